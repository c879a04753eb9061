//! Several relay processes (the real binary) on one PostgreSQL database, whatever the run's
//! backend: what one relay is told reaches the connections of the others.

mod common;

use std::time::{Duration, Instant};

use common::{process::*, *};
use shared::access::Role;

/// The relays poll the shared access revision every 500 ms (server/src/revocation.rs).
const REVOCATION_BOUND: Duration = Duration::from_secs(2);

/// Two relays on one PostgreSQL database, with ana and bo (technicians of site north).
async fn two_relays() -> (tempfile::TempDir, RelayProcess, RelayProcess, String) {
    let dir = tempfile::tempdir().unwrap();
    postgres::use_postgres(&dir.path().join("data"));
    let a = RelayProcess::start(dir.path(), &[]);
    let b = RelayProcess::start(dir.path(), &[]);
    assert!(
        b.first_password.is_none(),
        "the second relay finds the accounts"
    );
    let admin = a.admin_cookie().await;
    for name in ["ana", "bo"] {
        a.add_person(&admin, name, &[Role::Technician], &["north"], &[])
            .await;
    }
    (dir, a, b, admin)
}

/// A person disabled through relay A's API, or a session ended there, closes their
/// connections to relay B; a device that signed in on A is known on B (no sticky sessions).
#[tokio::test]
async fn a_session_ended_on_one_relay_ends_on_every_relay() {
    let (_dir, a, b, admin) = two_relays().await;
    // Signed in on A, syncing through B with A's cookie.
    let cookie = a.sign_in("ana", PASSWORD, "device-ana").await.unwrap();
    let mut ana = Device::connect(&b, &cookie, "device-ana").await;
    let record = new_id();
    ana.edit(record, incident_doc("Pump 3 leaks", Some("north"), None))
        .await;
    ana.run_until(|d| d.unsynced(&record) == 0).await;
    let mut bo = Device::sign_in(&b, "bo", PASSWORD, "device-bo").await;

    let start = Instant::now();
    let res = a
        .call(
            reqwest::Method::POST,
            "/api/people/ana",
            &admin,
            Some(serde_json::json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    ana.try_run_until(|d| d.closed, REVOCATION_BOUND).await;
    assert!(ana.closed, "closed within {REVOCATION_BOUND:?}");
    assert!(
        ana.errors.iter().any(|e| e.contains("session has ended")),
        "{:?}",
        ana.errors
    );
    eprintln!(
        "disabled on relay A, closed on relay B after {:?}",
        start.elapsed()
    );

    // Bo's connection to B goes on, and sees what ana stored before.
    bo.request(record).await;
    bo.run_until(|d| d.has_record(&record)).await;
    assert!(!bo.closed);
}

/// Two relays, a device on each with the same record open: an edit made through one relay
/// reaches the device on the other, both ways (the commit notifies the other relays, whose
/// listener hands the stored chunk to their hub, which syncs it to the devices holding the
/// record). Prints the cross-relay latency (edit sent until the other device has it).
#[tokio::test]
async fn an_edit_through_one_relay_reaches_a_device_on_another() {
    let (_dir, a, b, _admin) = two_relays().await;
    let mut ana = Device::sign_in(&a, "ana", PASSWORD, "device-ana").await;
    let mut bo = Device::sign_in(&b, "bo", PASSWORD, "device-bo").await;
    let record = new_id();
    ana.edit(record, incident_doc("Pump 3 leaks", Some("north"), None))
        .await;
    ana.run_until(|d| d.unsynced(&record) == 0).await;
    bo.request(record).await;
    bo.run_until(|d| d.has_record(&record)).await;

    let title = |d: &Device| {
        use automerge::ReadDoc;
        let (value, _) = d.docs.get(&record)?.get(automerge::ROOT, "title").ok()??;
        value.as_str().map(str::to_owned)
    };
    let mut latencies = vec![];
    for i in 0..20 {
        let (from, to, author) = if i % 2 == 0 {
            (&mut ana, &mut bo, "ana")
        } else {
            (&mut bo, &mut ana, "bo")
        };
        let text = format!("Pump 3 leaks ({i})");
        let edited = retitled(&from.docs[&record], &text, author);
        let start = Instant::now();
        from.edit(record, edited).await;
        // The sender reads too: its session sends the change once the relay has answered
        // what it sent before.
        tokio::join!(
            from.run_until(|d| d.unsynced(&record) == 0),
            to.run_until(|d| title(d).as_deref() == Some(text.as_str()))
        );
        latencies.push(start.elapsed());
    }
    latencies.sort();
    eprintln!(
        "cross-relay latency over {} edits: p50 {:?}, p95 {:?}, max {:?}",
        latencies.len(),
        latencies[latencies.len() / 2],
        latencies[latencies.len() * 95 / 100],
        latencies[latencies.len() - 1]
    );
    assert!(!ana.closed && !bo.closed);
}
