//! PostgreSQL itself crashing under a running relay (`pg_ctl -m immediate`, no checkpoint), or
//! gone: on a PostgreSQL server of each test's own, fsync on, so the shared test server is
//! never touched.

mod common;

use std::time::{Duration, Instant};

use automerge::ReadDoc;
use common::{process::*, *};
use shared::access::Role;

/// The private servers' ports: beside the shared one's (25432), below the ephemeral range.
const PORT: u16 = 25433;
const HEALTH_PORT: u16 = 25434;

/// A device uploading through a relay while PostgreSQL restarts as after a crash: the relay
/// stays up, its pool connects again, every change it acknowledged (before, during and after
/// the crash) is in the database, and the device goes on syncing, reconnecting if the relay
/// closed its connection while it could not store.
#[tokio::test]
async fn postgres_crashing_loses_nothing_acknowledged_and_the_relay_goes_on() {
    let server = postgres::PrivateServer::start(PORT);
    let dir = tempfile::tempdir().unwrap();
    postgres::use_database(
        &dir.path().join("data"),
        &postgres::fresh_database_on(&server.url),
    );
    let mut relay = RelayProcess::start(dir.path(), &[]);
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "ana", &[Role::Technician], &["north"], &[])
        .await;
    let cookie = relay.sign_in("ana", PASSWORD, "device-ana").await.unwrap();
    let mut ana = Device::connect(&relay, &cookie, "device-ana").await;

    let before: Vec<_> = (0..20).map(|_| new_id()).collect();
    for (i, id) in before.iter().enumerate() {
        ana.edit(
            *id,
            incident_doc(&format!("Before {i}"), Some("north"), None),
        )
        .await;
    }
    ana.run_until(|d| before.iter().all(|id| d.unsynced(id) == 0))
        .await;

    // More records on their way while PostgreSQL crashes and recovers.
    let during: Vec<_> = (0..40).map(|_| new_id()).collect();
    for (i, id) in during.iter().enumerate() {
        ana.edit(
            *id,
            incident_doc(&format!("During {i}"), Some("north"), None),
        )
        .await;
    }
    let crash = tokio::task::spawn_blocking(move || {
        server.crash_restart();
        server
    });
    while !crash.is_finished() {
        ana.pump(Duration::from_millis(50)).await;
    }
    let server = crash.await.unwrap();
    let acknowledged = ana.relay_heads.clone();
    eprintln!(
        "PostgreSQL restarted; {} records acknowledged by then",
        acknowledged.values().filter(|h| !h.is_empty()).count()
    );

    // The device finishes, reconnecting whenever the relay closed its connection.
    let all: Vec<_> = before.iter().chain(&during).copied().collect();
    let start = Instant::now();
    let limit = Duration::from_secs(90);
    while !all.iter().all(|id| ana.unsynced(id) == 0) {
        assert!(start.elapsed() < limit, "synced again within {limit:?}");
        if ana.closed {
            eprintln!("the relay closed the connection: {:?}", ana.errors);
            assert!(
                ana.reconnect_to(relay.addr, &cookie, limit).await,
                "the relay takes the device again"
            );
        }
        ana.pump(Duration::from_millis(200)).await;
    }
    assert!(relay.alive(), "the relay process stays up");

    // And goes on syncing: a new edit is stored.
    let edited = retitled(&ana.docs[&before[0]], "Before 0, after the crash", "ana");
    ana.edit(before[0], edited).await;
    ana.run_until(|d| d.unsynced(&before[0]) == 0).await;

    let device: Vec<_> = all.iter().map(|id| (*id, ana.heads(id))).collect();
    on_store(dir.path(), move |store| {
        for (id, heads) in &device {
            let doc = store.load_document(&id.to_string()).unwrap().unwrap();
            let acked = acknowledged.get(id).cloned().unwrap_or_default();
            assert!(
                acked.iter().all(|h| doc.get_change_by_hash(h).is_some()),
                "what the relay acknowledged of {id} survived"
            );
            let mut stored = doc.get_heads();
            stored.sort();
            assert_eq!(&stored, heads, "stored as the device has it: {id}");
        }
    })
    .await;
    drop(relay);
    drop(server);
}

/// `GET /healthz`: status and body.
async fn health(relay: &Api) -> (u16, String) {
    let res = reqwest::get(relay.url("/healthz")).await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// `/healthz` answers 200 `ok` while the relay's PostgreSQL answers, and 503 saying why, within
/// its 2 s bound, once the server is gone (a load balancer then takes the relay out of
/// rotation); the relay stays up.
#[tokio::test]
async fn healthz_answers_503_while_postgres_is_gone() {
    let server = postgres::PrivateServer::start(HEALTH_PORT);
    let dir = tempfile::tempdir().unwrap();
    postgres::use_database(
        &dir.path().join("data"),
        &postgres::fresh_database_on(&server.url),
    );
    let mut relay = RelayProcess::start(dir.path(), &[]);
    assert_eq!(health(&relay).await, (200, "ok".to_string()));

    tokio::task::spawn_blocking(move || drop(server))
        .await
        .unwrap();
    // An answer is reused for up to a second (a flood of checks costs one query), so the
    // first checks may still say ok.
    let start = Instant::now();
    let (status, body) = loop {
        let (status, body) = health(&relay).await;
        if status != 200 || start.elapsed() > Duration::from_secs(10) {
            break (status, body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let took = start.elapsed();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("cannot use its database"), "{body}");
    eprintln!("/healthz with PostgreSQL gone: {status} after {took:?}: {body}");
    // The reuse window, the bound, and a loaded machine's margin.
    assert!(took < Duration::from_secs(6), "answered after {took:?}");
    assert!(relay.alive(), "the relay process stays up");
}
