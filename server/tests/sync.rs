//! Sync through the real relay between devices built on `shared`'s session.

mod common;

use std::time::Duration;

use common::*;
use futures::{SinkExt, StreamExt};
use shared::{index, protocol::Message, records::incident::Incident};
use tokio_tungstenite::tungstenite::Message as Ws;

#[tokio::test]
async fn a_record_synced_by_one_device_reaches_another() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_with_tech(dir.path()).await;
    let id = new_id();
    let mut a = Device::sign_in(&relay, "ana", PASSWORD, "device-a").await;
    a.edit(
        id,
        incident_doc("Router down at depot", Some("north"), None),
    )
    .await;
    assert_eq!(a.unsynced(&id), 2);
    a.run_until(|d| d.unsynced(&id) == 0).await;

    let mut b = Device::sign_in(&relay, "bo", PASSWORD, "device-b").await;
    b.request(id).await;
    b.run_until(|d| d.has_record(&id)).await;
    assert_eq!(
        Incident::read(&b.docs[&id]).unwrap(),
        Incident::read(&a.docs[&id]).unwrap()
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn a_connected_device_learns_of_new_records_through_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_with_tech(dir.path()).await;
    let index_id = index::index_id(index::DEFAULT_SCOPE);

    // B is online first with an empty index (a fresh tablet).
    let mut b = Device::sign_in(&relay, "bo", PASSWORD, "device-b").await;
    b.request(index_id).await;

    let mut a = Device::sign_in(&relay, "ana", PASSWORD, "device-a").await;
    let id = new_id();
    let mut idx = automerge::Automerge::new();
    index::add(&mut idx, &id, "incident", &meta("ana")).unwrap();
    a.edit(id, incident_doc("Fuel pump leak", Some("north"), None))
        .await;
    a.edit(index_id, idx).await;
    a.run_until(|d| d.unsynced(&id) == 0 && d.unsynced(&index_id) == 0)
        .await;

    b.run_until(|d| {
        d.docs
            .get(&index_id)
            .is_some_and(|i| index::records(i) == vec![id])
    })
    .await;
    b.request(id).await;
    b.run_until(|d| d.has_record(&id)).await;
    relay.shutdown().await;
}

#[tokio::test]
async fn a_malformed_frame_closes_only_that_connection() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_with_tech(dir.path()).await;
    let mut good = Device::sign_in(&relay, "ana", PASSWORD, "device-a").await;

    let cookie = relay.sign_in("bo", PASSWORD, "device-b").await.unwrap();
    let mut bad = open_socket(&relay, Some(&cookie)).await.unwrap();
    bad.send(Ws::Binary(
        b"\xa1\x64type\x63bad and then some".to_vec().into(),
    ))
    .await
    .unwrap();
    let reply = tokio::time::timeout(Duration::from_secs(5), bad.next())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    match decode(&reply.into_data()) {
        Message::Error { message } => assert!(message.contains("malformed"), "{message}"),
        other => panic!("expected an error message, got {other:?}"),
    }
    loop {
        match tokio::time::timeout(Duration::from_secs(5), bad.next())
            .await
            .unwrap()
        {
            Some(Ok(Ws::Close(_))) | None | Some(Err(_)) => break,
            Some(Ok(_)) => {}
        }
    }

    let mut text = open_socket(&relay, Some(&cookie)).await.unwrap();
    text.send(Ws::Text("hello".into())).await.unwrap();
    let reply = text.next().await.unwrap().unwrap();
    assert!(matches!(decode(&reply.into_data()), Message::Error { .. }));

    // An oversized frame (the test relay allows 1 MiB) closes that connection too.
    let mut big = open_socket(&relay, Some(&cookie)).await.unwrap();
    let _ = big
        .send(Ws::Binary(vec![0u8; 2 * 1024 * 1024].into()))
        .await;
    let closed = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match big.next().await {
                Some(Ok(Ws::Close(_))) | None | Some(Err(_)) => return true,
                Some(Ok(_)) => {}
            }
        }
    })
    .await;
    assert_eq!(closed, Ok(true));

    // The other device carries on.
    let id = new_id();
    good.edit(id, incident_doc("Still syncing", Some("north"), None))
        .await;
    good.run_until(|d| d.unsynced(&id) == 0).await;
    relay.shutdown().await;
}

#[tokio::test]
async fn acknowledged_records_survive_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, id) = restarted_relay_with_incident(dir.path(), "Generator service").await;
    assert!(relay.first_password.is_none(), "people persist too");
    let mut b = Device::sign_in(&relay, "bo", PASSWORD, "device-b").await;
    b.request(id).await;
    b.run_until(|d| d.has_record(&id)).await;
    assert_eq!(
        Incident::read(&b.docs[&id]).unwrap().title,
        "Generator service"
    );
    relay.shutdown().await;
}

/// A fresh device is answered with the document exactly as storage holds it (no load and
/// re-save on the relay), and the exchange goes on as with Automerge: it then edits the record
/// and the relay stores that.
#[tokio::test]
async fn a_fresh_device_is_sent_the_stored_bytes_as_they_are() {
    let dir = tempfile::tempdir().unwrap();
    let (relay, id) = restarted_relay_with_incident(dir.path(), "Badge reader offline").await;
    let stored = open_store(dir.path())
        .document_bytes(&id.to_string())
        .unwrap()
        .unwrap();
    let mut b = Device::sign_in(&relay, "bo", PASSWORD, "device-b").await;
    b.request(id).await;
    let frame = loop {
        let Some(Ok(Ws::Binary(frame))) = b.socket.next().await else {
            panic!("the relay closed the connection")
        };
        if matches!(decode(&frame), Message::Sync { .. }) {
            break frame;
        }
    };
    let Message::Sync { data, .. } = decode(&frame) else {
        unreachable!()
    };
    let reply = automerge::sync::Message::decode(&data).unwrap();
    assert_eq!(
        reply.changes.iter().collect::<Vec<_>>(),
        vec![&stored.bytes[..]]
    );
    assert_eq!(Some(reply.heads), stored.heads);

    for effect in b.session.receive(&frame, &mut b.docs).unwrap() {
        if let shared::sync::Effect::Send(f) = effect {
            b.send(f).await;
        }
    }
    assert!(b.has_record(&id));
    let mut doc = b.docs[&id].clone();
    let assign = shared::forms::Values::from([("assignee".to_string(), "bo".to_string())]);
    shared::forms::of("incident")
        .unwrap()
        .edit(&mut doc, &assign, &shared::forms::Nothing, &meta("bo"))
        .unwrap();
    b.edit(id, doc).await;
    b.run_until(|d| d.unsynced(&id) == 0).await;
    let mut c = Device::sign_in(&relay, "ana", PASSWORD, "device-c").await;
    c.request(id).await;
    c.run_until(|d| d.has_record(&id)).await;
    assert_eq!(Incident::read(&c.docs[&id]).unwrap().assignee, "bo");
    relay.shutdown().await;
}

#[tokio::test]
async fn the_change_feed_lists_what_changed_since_a_cursor() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_with_tech(dir.path()).await;
    let cookie = relay.sign_in("bo", PASSWORD, "device-b").await.unwrap();
    let feed = |since: i64| {
        let (relay, cookie) = (&relay, cookie.clone());
        async move {
            relay
                .get_json(&format!("/api/changes?since={since}"), &cookie)
                .await
        }
    };
    let start = feed(0).await["cursor"].as_i64().unwrap();
    let (x, y) = (new_id(), new_id());
    let mut a = Device::sign_in(&relay, "ana", PASSWORD, "device-a").await;
    a.edit(x, incident_doc("X", Some("north"), None)).await;
    a.edit(y, incident_doc("Y", Some("north"), None)).await;
    a.run_until(|d| d.unsynced(&x) == 0 && d.unsynced(&y) == 0)
        .await;
    let after = feed(start).await;
    let mut docs: Vec<String> = serde_json::from_value(after["documents"].clone()).unwrap();
    docs.sort();
    let mut want = vec![x.to_string(), y.to_string()];
    want.sort();
    assert_eq!(docs, want);
    let cursor = after["cursor"].as_i64().unwrap();
    assert_eq!(feed(cursor).await["documents"], serde_json::json!([]));
    // The device that sent the changes has them: its own feed leaves them out.
    let a_cookie = relay.sign_in("ana", PASSWORD, "device-a").await.unwrap();
    let own = relay
        .get_json(&format!("/api/changes?since={start}"), &a_cookie)
        .await;
    assert_eq!(own["documents"], serde_json::json!([]));
    assert!(own["cursor"].as_i64().unwrap() >= cursor);

    // Receipts name the person and device, with the relay's and the device's times.
    let receipts = relay
        .get_json(&format!("/api/documents/{x}/receipts"), &cookie)
        .await;
    let first = &receipts["receipts"][0];
    assert_eq!(first["person"], "ana");
    assert_eq!(first["device"], "device-a");
    assert_eq!(first["device_time"], 1_764_000_000_000_i64);
    assert!(first["received_at"].as_i64().unwrap() > 1_764_000_000_000);
    relay.shutdown().await;
}

#[tokio::test]
async fn the_device_that_created_the_index_receives_later_additions() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_with_tech(dir.path()).await;
    let index_id = index::index_id(index::DEFAULT_SCOPE);

    // A creates the index (first record) and uploads it.
    let mut a = Device::sign_in(&relay, "ana", PASSWORD, "device-a").await;
    let first = new_id();
    let mut idx = automerge::Automerge::new();
    index::add(&mut idx, &first, "incident", &meta("ana")).unwrap();
    a.edit(first, incident_doc("First", None, None)).await;
    a.edit(index_id, idx).await;
    a.run_until(|d| d.unsynced(&first) == 0 && d.unsynced(&index_id) == 0)
        .await;

    // B joins, gets the index, adds its own record to it.
    let mut b = Device::sign_in(&relay, "bo", PASSWORD, "device-b").await;
    b.request(index_id).await;
    b.run_until(|d| {
        d.docs
            .get(&index_id)
            .is_some_and(|i| index::records(i).len() == 1)
    })
    .await;
    let second = new_id();
    let mut idx_b = b.docs[&index_id].clone();
    index::add(&mut idx_b, &second, "incident", &meta("bo")).unwrap();
    b.edit(second, incident_doc("Second", None, None)).await;
    b.edit(index_id, idx_b).await;
    b.run_until(|d| d.unsynced(&second) == 0 && d.unsynced(&index_id) == 0)
        .await;

    // A, still connected, hears of it.
    a.run_until(|d| index::records(&d.docs[&index_id]).len() == 2)
        .await;
    relay.shutdown().await;
}

/// A device that sends faster than it reads must not stall the relay: before the fix, the
/// relay stopped draining samod's replies while it waited to hand samod more input, and each
/// side waited on the other for ever.
#[tokio::test]
async fn a_burst_upload_completes_without_reading_in_between() {
    let dir = tempfile::tempdir().unwrap();
    let relay = relay_with_tech(dir.path()).await;
    let mut a = Device::sign_in(&relay, "ana", PASSWORD, "device-a").await;
    let ids: Vec<_> = (0..300).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        a.edit(*id, incident_doc(&format!("Burst {i}"), None, None))
            .await;
    }
    assert!(
        a.try_run_until(
            |d| ids.iter().all(|id| d.unsynced(id) == 0),
            Duration::from_secs(60)
        )
        .await,
        "all 300 acknowledged"
    );
    relay.shutdown().await;
}

/// A data directory from the samod-based relay (automerge-repo's nodefs layout) keeps its
/// documents: they are imported into the database on the first start.
#[tokio::test]
async fn documents_from_a_samod_data_directory_are_imported() {
    let dir = tempfile::tempdir().unwrap();
    let id = new_id();
    let key = id.to_string();
    let (prefix, rest) = key.split_at(2);
    let snapshot = dir.path().join("data/documents").join(prefix).join(rest);
    std::fs::create_dir_all(snapshot.join("snapshot")).unwrap();
    let doc = incident_doc("From the old relay", Some("north"), None);
    std::fs::write(snapshot.join("snapshot").join("a"), doc.save()).unwrap();

    let relay = relay_with_tech(dir.path()).await;
    let mut b = Device::sign_in(&relay, "bo", PASSWORD, "device-b").await;
    b.request(id).await;
    b.run_until(|d| d.has_record(&id)).await;
    assert_eq!(
        Incident::read(&b.docs[&id]).unwrap().title,
        "From the old relay"
    );
    relay.shutdown().await;
}
