//! Several relay processes (the real binary) on one PostgreSQL database, whatever the run's
//! backend: what one relay is told reaches the connections of the others.

mod common;

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use automerge::{ChangeHash, ReadDoc};
use common::{process::*, *};
use shared::{access::Role, ids::DocumentId};

/// The relays poll the shared access revision every 500 ms (server/src/revocation.rs).
const REVOCATION_BOUND: Duration = Duration::from_secs(2);

/// Two relays on one PostgreSQL database, with ana and bo (technicians of site north).
async fn two_relays() -> (tempfile::TempDir, RelayProcess, RelayProcess, String) {
    two_relays_with(&[]).await
}

/// [`two_relays`], each started with `args`.
async fn two_relays_with(args: &[&str]) -> (tempfile::TempDir, RelayProcess, RelayProcess, String) {
    let dir = tempfile::tempdir().unwrap();
    postgres::use_postgres(&dir.path().join("data"));
    let a = RelayProcess::start(dir.path(), args);
    let b = RelayProcess::start(dir.path(), args);
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

/// A chunk committed without its notification reaching the relays still reaches the devices
/// holding its record: each relay re-reads which chunks were stored (here every second),
/// finds it, and syncs it. The chunk is written straight into the database, which sends no
/// notification: the relays' listeners stay connected throughout, so this is a notification
/// missed without a reconnect, which only the periodic re-read catches.
#[tokio::test]
async fn a_change_whose_notification_is_missed_reaches_devices_on_every_relay() {
    use sha2::Digest;
    let (dir, a, b, _admin) = two_relays_with(&["--reread-secs", "1"]).await;
    let mut ana = Device::sign_in(&a, "ana", PASSWORD, "device-ana").await;
    let mut bo = Device::sign_in(&b, "bo", PASSWORD, "device-bo").await;
    let record = new_id();
    ana.edit(record, incident_doc("Pump 3 leaks", Some("north"), None))
        .await;
    ana.run_until(|d| d.unsynced(&record) == 0).await;
    bo.request(record).await;
    bo.run_until(|d| d.has_record(&record)).await;

    // An edit made elsewhere, stored as a relay stores a chunk, without a notification.
    let before = ana.docs[&record].clone();
    let edited = retitled(&before, "Pump 3 fixed", "cy");
    let bytes = edited.save_after(&before.get_heads());
    let heads: Vec<u8> = edited.get_heads().iter().flat_map(|h| h.0).collect();
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let start = Instant::now();
    postgres::psql_at(
        &database_url(dir.path()),
        &format!(
            "INSERT INTO document_chunks (document, name, bytes, heads) \
             VALUES ('{record}', '{:x}', '\\x{}', '\\x{}')",
            sha2::Sha256::digest(&bytes),
            hex(&bytes),
            hex(&heads)
        ),
    );
    let title = |d: &Device| {
        let (value, _) = d.docs.get(&record)?.get(automerge::ROOT, "title").ok()??;
        value.as_str().map(str::to_owned)
    };
    // One second between re-reads, and a loaded machine's margin.
    let limit = Duration::from_secs(15);
    let (on_a, on_b) = tokio::join!(
        ana.try_run_until(|d| title(d).as_deref() == Some("Pump 3 fixed"), limit),
        bo.try_run_until(|d| title(d).as_deref() == Some("Pump 3 fixed"), limit)
    );
    assert!(
        on_a && on_b,
        "the edit reached the device on relay A ({on_a}) and on relay B ({on_b}) within {limit:?}"
    );
    eprintln!(
        "a chunk stored without a notification reached both devices after {:?}",
        start.elapsed()
    );
    assert!(!ana.closed && !bo.closed);
}

/// The test database's URL (relays on `dir` keep their records there).
fn database_url(dir: &std::path::Path) -> String {
    std::fs::read_to_string(dir.join("data/test-postgres-url")).unwrap()
}

/// What every relay on `dir` has of `id` in the database: its heads, sorted.
fn stored_heads(store: &server::store::Store, id: &DocumentId) -> Vec<ChangeHash> {
    let mut heads = store
        .load_document(&id.to_string())
        .unwrap()
        .map(|d| d.get_heads())
        .unwrap_or_default();
    heads.sort();
    heads
}

/// Relay A killed with SIGKILL while a device uploads through it: the device reconnects to
/// relay B with the same cookie (no sticky sessions) and finishes. Every change A
/// acknowledged is in the database, every change has exactly one receipt (the device sends
/// again what A committed but never acknowledged, and B logs nothing twice), and the device,
/// B and the database end with the same heads.
#[tokio::test]
async fn a_device_fails_over_to_another_relay_when_its_relay_is_killed() {
    let (dir, mut a, b, _admin) = two_relays().await;
    let cookie = a.sign_in("ana", PASSWORD, "device-ana").await.unwrap();
    let mut ana = Device::connect(&a, &cookie, "device-ana").await;
    let ids: Vec<_> = (0..150).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        let doc = incident_doc(&format!("Record {i}"), Some("north"), None);
        ana.edit(*id, retitled(&doc, &format!("Record {i}, checked"), "ana"))
            .await;
    }
    ana.try_run_until(
        |d| ids.iter().filter(|id| d.unsynced(id) == 0).count() >= 20,
        Duration::from_secs(60),
    )
    .await;
    a.child.kill().unwrap(); // SIGKILL
    a.child.wait().unwrap();
    let acknowledged: HashMap<DocumentId, Vec<ChangeHash>> = ana
        .relay_heads
        .iter()
        .filter(|(_, heads)| !heads.is_empty())
        .map(|(id, heads)| (*id, heads.clone()))
        .collect();
    let pending = ids.iter().filter(|id| ana.unsynced(id) > 0).count();
    eprintln!(
        "relay A killed with {} records acknowledged, {pending} not yet",
        acknowledged.len()
    );
    assert!(acknowledged.len() >= 20);

    assert!(
        ana.reconnect_to(b.addr, &cookie, Duration::from_secs(30))
            .await,
        "relay B takes the device"
    );
    assert!(
        ana.try_run_until(
            |d| ids.iter().all(|id| d.unsynced(id) == 0),
            Duration::from_secs(60)
        )
        .await,
        "the device finishes its upload through relay B"
    );

    // Per record: the device's heads and its changes' hashes.
    let device: Vec<(DocumentId, Vec<ChangeHash>, Vec<String>)> = ids
        .iter()
        .map(|id| {
            let mut changes: Vec<String> = ana.docs[id]
                .get_changes(&[])
                .iter()
                .map(|c| c.hash().to_string())
                .collect();
            changes.sort();
            (*id, ana.heads(id), changes)
        })
        .collect();
    on_store(dir.path(), move |store| {
        for (id, heads) in &acknowledged {
            let doc = store.load_document(&id.to_string()).unwrap().unwrap();
            assert!(
                heads.iter().all(|h| doc.get_change_by_hash(h).is_some()),
                "every change relay A acknowledged of {id} is stored"
            );
        }
        for (id, heads, changes) in &device {
            assert_eq!(&stored_heads(store, id), heads, "converged: {id}");
            let mut receipts: Vec<String> = store
                .receipts_for(&id.to_string())
                .unwrap()
                .into_iter()
                .map(|r| r.hash)
                .collect();
            receipts.sort();
            assert_eq!(&receipts, changes, "one receipt per change of {id}");
        }
    })
    .await;
    let url = database_url(dir.path());
    assert_eq!(
        postgres::psql_at(&url, "SELECT count(*) - count(DISTINCT hash) FROM receipts").trim(),
        "0",
        "no receipt twice"
    );
    assert!(!ana.closed);
}

/// The connections the relays listen on for each other's chunks, terminated by PostgreSQL
/// (`pg_terminate_backend`, as a failover or an administrator would): the relays listen
/// again and read every document they hold again, so edits made meanwhile and after still
/// reach the device on the other relay, both ways.
#[tokio::test]
async fn edits_converge_after_the_listeners_connections_are_killed() {
    let (dir, a, b, _admin) = two_relays().await;
    let url = database_url(dir.path());
    let name = postgres::application_name(&url);
    let listeners = || {
        postgres::psql(&format!(
            "SELECT count(*) FROM pg_stat_activity
             WHERE application_name = '{name}' AND query LIKE 'LISTEN%'"
        ))
        .trim()
        .to_string()
    };
    let mut ana = Device::sign_in(&a, "ana", PASSWORD, "device-ana").await;
    let mut bo = Device::sign_in(&b, "bo", PASSWORD, "device-bo").await;
    let ids: Vec<_> = (0..4).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        ana.edit(*id, incident_doc(&format!("Pump {i}"), Some("north"), None))
            .await;
    }
    ana.run_until(|d| ids.iter().all(|id| d.unsynced(id) == 0))
        .await;
    for id in &ids {
        bo.request(*id).await;
    }
    bo.run_until(|d| ids.iter().all(|id| d.has_record(id)))
        .await;
    assert_eq!(listeners(), "2", "each relay listens");

    let killed = postgres::psql(&format!(
        "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
         WHERE application_name = '{name}' AND query LIKE 'LISTEN%'"
    ));
    assert_eq!(killed.trim(), "2");
    // For five seconds every listening connection is terminated again within a millisecond of
    // its LISTEN, while each device makes edits that its relay stores: the other relay hears
    // of next to none of them, and only its read after listening again brings them.
    let keep_killing = format!(
        "DO $$ DECLARE stop timestamptz := clock_timestamp() + interval '5 seconds'; BEGIN
         WHILE clock_timestamp() < stop LOOP
             PERFORM pg_stat_clear_snapshot();
             PERFORM pg_terminate_backend(pid) FROM pg_stat_activity
                 WHERE application_name = '{name}' AND query LIKE 'LISTEN%';
             PERFORM pg_sleep(0.0005);
         END LOOP; END $$"
    );
    let killer = tokio::task::spawn_blocking(move || postgres::psql(&keep_killing));
    for round in 0..10 {
        for (device, id, author) in [(&mut ana, ids[0], "ana"), (&mut bo, ids[1], "bo")] {
            let edited = retitled(&device.docs[&id], &format!("during {round}"), author);
            device.edit(id, edited).await;
            device.run_until(|d| d.unsynced(&id) == 0).await;
        }
    }
    assert!(
        !killer.is_finished(),
        "the edits were made while the listeners were down"
    );
    killer.await.unwrap();
    let start = Instant::now();
    let converged = |d: &Device, other: &HashMap<DocumentId, Vec<ChangeHash>>| {
        ids.iter().all(|id| d.heads(id) == other[id])
    };
    let limit = Duration::from_secs(30);
    loop {
        ana.pump(Duration::from_millis(100)).await;
        bo.pump(Duration::from_millis(100)).await;
        let bo_heads = ids.iter().map(|id| (*id, bo.heads(id))).collect();
        if converged(&ana, &bo_heads) && ids.iter().all(|id| ana.unsynced(id) == 0) {
            break;
        }
        assert!(start.elapsed() < limit, "converged within {limit:?}");
    }
    eprintln!(
        "edits made while the listeners were down converged after {:?}",
        start.elapsed()
    );
    let deadline = Instant::now() + limit;
    while listeners() != "2" {
        assert!(Instant::now() < deadline, "both relays listen again");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // And after: each edit reaches the other relay's device.
    let title = |d: &Device, id: &DocumentId| {
        let (value, _) = d.docs.get(id)?.get(automerge::ROOT, "title").ok()??;
        value.as_str().map(str::to_owned)
    };
    for (i, id) in ids.iter().enumerate() {
        let (from, to, author) = if i % 2 == 0 {
            (&mut ana, &mut bo, "ana")
        } else {
            (&mut bo, &mut ana, "bo")
        };
        let text = format!("Pump {i}, after");
        let edited = retitled(&from.docs[id], &text, author);
        from.edit(*id, edited).await;
        let (sent, arrived) = tokio::join!(
            from.try_run_until(|d| d.unsynced(id) == 0, limit),
            to.try_run_until(|d| title(d, id).as_deref() == Some(text.as_str()), limit)
        );
        assert!(sent && arrived, "{text} reached the other relay's device");
    }
    assert!(!ana.closed && !bo.closed);
}

/// 300 edits on each of 20 records, 150 by a device on relay A and 150 by a device on relay B
/// at the same time (each edit sets the title and adds one to a counter): both devices and
/// the database end with identical heads for every record, and every counter at 300 (no
/// edit lost).
#[tokio::test]
async fn concurrent_edits_through_two_relays_converge_to_identical_heads() {
    use automerge::{ScalarValue, transaction::Transactable};
    const RECORDS: usize = 20;
    let (dir, a, b, _admin) = two_relays().await;
    let mut ana = Device::sign_in(&a, "ana", PASSWORD, "device-ana").await;
    let mut bo = Device::sign_in(&b, "bo", PASSWORD, "device-bo").await;
    let ids: Vec<_> = (0..RECORDS).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        let mut doc = incident_doc(&format!("Record {i}"), Some("north"), None);
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "edits", ScalarValue::counter(0))
            .unwrap();
        tx.commit_with(meta("ana").commit_options());
        ana.edit(*id, doc).await;
    }
    ana.run_until(|d| ids.iter().all(|id| d.unsynced(id) == 0))
        .await;
    for id in &ids {
        bo.request(*id).await;
    }
    bo.run_until(|d| ids.iter().all(|id| d.has_record(id)))
        .await;

    let start = Instant::now();
    tokio::join!(
        edit_rounds(&mut ana, "ana", &ids),
        edit_rounds(&mut bo, "bo", &ids)
    );
    let edited = start.elapsed();
    let limit = Duration::from_secs(180);
    loop {
        ana.pump(Duration::from_millis(100)).await;
        bo.pump(Duration::from_millis(100)).await;
        let done = ids.iter().all(|id| {
            ana.heads(id) == bo.heads(id) && ana.unsynced(id) == 0 && bo.unsynced(id) == 0
        });
        if done {
            break;
        }
        assert!(!ana.closed && !bo.closed, "the relays kept both devices");
        assert!(start.elapsed() < limit, "converged within {limit:?}");
    }
    eprintln!(
        "{} edits on {RECORDS} records made in {edited:?}, converged after {:?}",
        2 * EDITS_EACH as usize * RECORDS,
        start.elapsed()
    );
    let counter = |doc: &automerge::Automerge| -> i64 {
        match doc.get(automerge::ROOT, "edits") {
            Ok(Some((automerge::Value::Scalar(s), _))) => match s.as_ref() {
                ScalarValue::Counter(c) => i64::from(c),
                other => panic!("edits is {other:?}"),
            },
            other => panic!("edits is {other:?}"),
        }
    };
    for id in &ids {
        for doc in [&ana.docs[id], &bo.docs[id]] {
            assert_eq!(counter(doc), 2 * EDITS_EACH, "{id} on the devices");
        }
    }
    let heads: Vec<_> = ids.iter().map(|id| (*id, ana.heads(id))).collect();
    on_store(dir.path(), move |store| {
        for (id, heads) in &heads {
            assert_eq!(&stored_heads(store, id), heads, "the database: {id}");
            let stored = store.load_document(&id.to_string()).unwrap().unwrap();
            assert_eq!(counter(&stored), 2 * EDITS_EACH, "{id} in the database");
        }
    })
    .await;
}

/// Edits per device per record in the concurrent edits test.
const EDITS_EACH: i64 = 150;

/// [`EDITS_EACH`] rounds of one edit to each of `ids` (the title, and one more on the `edits`
/// counter), sent as the device makes them; between rounds it takes in what arrives until the
/// relay has the round.
async fn edit_rounds(d: &mut Device, author: &str, ids: &[DocumentId]) {
    use automerge::transaction::Transactable;
    for round in 0..EDITS_EACH {
        for id in ids {
            let doc = d.docs.get_mut(id).unwrap();
            let mut tx = doc.transaction();
            tx.put(automerge::ROOT, "title", format!("{author} {round}"))
                .unwrap();
            tx.increment(automerge::ROOT, "edits", 1).unwrap();
            tx.commit_with(meta(author).commit_options());
            for frame in d.session.local_change(id, &d.docs) {
                d.send(frame).await;
            }
        }
        // Until the relay has the round: a device that writes without reading what it is sent
        // (the other device's edits) is closed by the relay once its queue is full
        // (server/src/outbox.rs), which a busy machine reached.
        d.try_run_until(
            |d| ids.iter().all(|id| d.unsynced(id) == 0),
            Duration::from_secs(60),
        )
        .await;
    }
}
