//! Every role's allowed and denied actions, over the real WebSocket and HTTP.

mod common;

use std::time::Duration;

use common::*;
use shared::{access::Role, protocol::Message, refusal::RefusalCode};

/// A relay with a record in each of: site north, site south, team desk, and a security incident.
struct World {
    relay: RunningRelay,
    north: shared::ids::DocumentId,
    south: shared::ids::DocumentId,
    desk: shared::ids::DocumentId,
    secret: shared::ids::DocumentId,
    change: shared::ids::DocumentId,
    _dir: tempfile::TempDir,
}

async fn world() -> World {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "nora", &[Role::Technician], &["north"], &[])
        .await;
    relay
        .add_person(&admin, "sam", &[Role::Technician], &["south"], &[])
        .await;
    relay
        .add_person(&admin, "dee", &[Role::Agent], &[], &["desk"])
        .await;
    relay
        .add_person(&admin, "audrey", &[Role::Auditor], &[], &[])
        .await;
    relay
        .add_person(&admin, "cass", &[Role::ChangeManager], &[], &[])
        .await;
    relay
        .add_person(&admin, "sid", &[Role::Security], &[], &[])
        .await;
    let mut admin_dev = Device::connect(&relay, &admin, "device-admin").await;
    let (north, south, desk, secret, change) = (new_id(), new_id(), new_id(), new_id(), new_id());
    admin_dev
        .edit(north, incident_doc("North", Some("north"), None))
        .await;
    admin_dev
        .edit(south, incident_doc("South", Some("south"), None))
        .await;
    admin_dev
        .edit(desk, incident_doc("Desk", None, Some("desk")))
        .await;
    let mut secret_doc = incident_doc("Phishing", Some("north"), None);
    {
        use automerge::transaction::Transactable;
        let mut tx = secret_doc.transaction();
        tx.put(automerge::ROOT, "restricted", true).unwrap();
        tx.commit();
    }
    admin_dev.edit(secret, secret_doc).await;
    let mut change_doc = incident_doc("Swap core switch", Some("south"), None);
    {
        use automerge::transaction::Transactable;
        let mut tx = change_doc.transaction();
        tx.put(automerge::ROOT, "type", "change").unwrap();
        tx.commit();
    }
    admin_dev.edit(change, change_doc).await;
    // The administrator cannot upload the security incident (no security role): sid does.
    admin_dev
        .run_until(|d| {
            [north, south, desk, change]
                .iter()
                .all(|id| d.unsynced(id) == 0)
        })
        .await;
    World {
        relay,
        north,
        south,
        desk,
        secret,
        change,
        _dir: dir,
    }
}

/// Whether `username` can fetch `id`.
async fn can_read(w: &World, username: &str, id: shared::ids::DocumentId) -> bool {
    let mut d = Device::sign_in(&w.relay, username, PASSWORD, &format!("device-{username}")).await;
    d.request(id).await;
    let has = |d: &Device| {
        d.docs
            .get(&id)
            .is_some_and(|doc| !doc.get_heads().is_empty())
    };
    d.try_run_until(
        |d| has(d) || d.unavailable.contains(&id),
        Duration::from_secs(10),
    )
    .await;
    assert!(
        has(&d) || d.unavailable.contains(&id),
        "an answer for {username}"
    );
    has(&d)
}

#[tokio::test]
async fn each_role_sees_exactly_its_scope() {
    let w = world().await;
    // Security incidents need the security role: sid uploads one.
    let mut sid = Device::sign_in(&w.relay, "sid", PASSWORD, "device-sid").await;
    let mut secret_doc = incident_doc("Phishing", Some("north"), None);
    {
        use automerge::transaction::Transactable;
        let mut tx = secret_doc.transaction();
        tx.put(automerge::ROOT, "restricted", true).unwrap();
        tx.commit();
    }
    sid.edit(w.secret, secret_doc).await;
    sid.run_until(|d| d.unsynced(&w.secret) == 0).await;

    let cases = [
        ("nora", w.north, true),
        ("nora", w.south, false),
        ("nora", w.desk, false),
        ("nora", w.secret, false),
        ("sam", w.south, true),
        ("sam", w.north, false),
        ("dee", w.desk, true),
        ("dee", w.north, false),
        ("audrey", w.north, true),
        ("audrey", w.south, true),
        ("audrey", w.desk, true),
        ("audrey", w.secret, false),
        ("cass", w.change, true),
        ("cass", w.north, false),
        ("sid", w.secret, true),
        ("sid", w.north, false),
    ];
    for (who, id, allowed) in cases {
        assert_eq!(can_read(&w, who, id).await, allowed, "{who} reading {id}");
    }
    w.relay.shutdown().await;
}

#[tokio::test]
async fn writes_outside_scope_or_by_read_only_roles_are_refused() {
    let w = world().await;
    // A technician cannot create a record in another site: answered as if it did not exist.
    let mut nora = Device::sign_in(&w.relay, "nora", PASSWORD, "device-nora").await;
    let foreign = new_id();
    nora.edit(foreign, incident_doc("Not mine", Some("south"), None))
        .await;
    nora.try_run_until(
        |d| d.unavailable.contains(&foreign),
        Duration::from_secs(10),
    )
    .await;
    assert!(nora.unavailable.contains(&foreign));
    assert!(!can_read(&w, "sam", foreign).await, "nothing was stored");

    // An auditor's change is refused with the reason, and nothing of it is stored.
    let mut audrey = holding(&w, "audrey", "device-audrey", w.north).await;
    let doc = retitled(&audrey.docs[&w.north], "Audited away", "audrey");
    audrey.edit(w.north, doc).await;
    audrey.run_until(|d| !d.refusals.is_empty()).await;
    let (doc, refusal) = &audrey.refusals[0];
    assert_eq!(*doc, w.north);
    assert_eq!(refusal.code, RefusalCode::ReadOnly);
    assert!(
        refusal.reason.starts_with("Auditors read only"),
        "{refusal:?}"
    );
    assert_eq!(title_on_relay(&w, w.north).await, "North");
    w.relay.shutdown().await;
}

/// `username` signed in on `device`, holding record `id` as fetched from the relay.
async fn holding(w: &World, username: &str, device: &str, id: shared::ids::DocumentId) -> Device {
    let mut d = Device::sign_in(&w.relay, username, PASSWORD, device).await;
    d.request(id).await;
    d.run_until(|d| d.has_record(&id)).await;
    d
}

/// The title of `id` as the relay has it (read by the auditor, who reads everything).
async fn title_on_relay(w: &World, id: shared::ids::DocumentId) -> String {
    let check = holding(w, "audrey", "device-audrey-check", id).await;
    shared::records::incident::Incident::read(&check.docs[&id])
        .unwrap()
        .title
}

#[tokio::test]
async fn a_refused_write_keeps_the_connection_and_everything_else_syncing() {
    let w = world().await;
    let mut audrey = holding(&w, "audrey", "device-audrey", w.north).await;
    let mine = retitled(&audrey.docs[&w.north], "Audited away", "audrey");
    audrey.edit(w.north, mine).await;
    audrey.run_until(|d| !d.refusals.is_empty()).await;
    assert!(audrey.errors.is_empty(), "a refusal is no protocol error");

    // On the same connection: a technician's edit of the refused record comes down and merges
    // into the auditor's copy, which keeps her refused change...
    let mut nora = holding(&w, "nora", "device-nora", w.north).await;
    let mut edited = nora.docs[&w.north].clone();
    {
        use automerge::transaction::Transactable;
        let mut tx = edited.transaction();
        tx.put(automerge::ROOT, "assignee", "nora").unwrap();
        tx.commit();
    }
    nora.edit(w.north, edited).await;
    nora.run_until(|d| d.unsynced(&w.north) == 0).await;
    let read = |d: &Device| shared::records::incident::Incident::read(&d.docs[&w.north]).unwrap();
    audrey.run_until(|d| read(d).assignee == "nora").await;
    assert_eq!(
        read(&audrey).title,
        "Audited away",
        "the refused change is kept"
    );
    // ...and other records still sync.
    audrey.request(w.desk).await;
    audrey.run_until(|d| d.has_record(&w.desk)).await;
    // The refused change was never offered again, nor stored.
    assert_eq!(audrey.refusals.len(), 1, "{:?}", audrey.refusals);
    assert_eq!(title_on_relay(&w, w.north).await, "North");
    w.relay.shutdown().await;
}

#[tokio::test]
async fn out_of_scope_writes_are_refused_to_those_who_held_the_record_only() {
    let w = world().await;
    // Nora holds the north incident, then leaves site north.
    let nora = holding(&w, "nora", "device-nora", w.north).await;
    let held = nora.docs[&w.north].clone();
    drop(nora);
    let admin = w.relay.admin_cookie().await;
    let res = w
        .relay
        .call(
            reqwest::Method::POST,
            "/api/people/nora",
            &admin,
            Some(serde_json::json!({"leave_site": "north"})),
        )
        .await;
    assert_eq!(res.status(), 200);

    // Her change built on the record's history: refused, saying why.
    let mut nora = Device::sign_in(&w.relay, "nora", PASSWORD, "device-nora").await;
    let edit = retitled(&held, "Edited after leaving", "nora");
    let frame = write_frame("device-nora", w.north, &edit, &held.get_heads());
    nora.send(frame).await;
    nora.run_until(|d| !d.refusals.is_empty()).await;
    assert_eq!(nora.refusals[0].0, w.north);
    assert_eq!(nora.refusals[0].1.code, RefusalCode::OutOfScope);
    assert!(nora.unavailable.is_empty());

    // Sam (site south) knows the id but not the history: his write is answered exactly as one
    // to an id that does not exist.
    let mut sam = Device::sign_in(&w.relay, "sam", PASSWORD, "device-sam").await;
    let forged = incident_doc("Forged", Some("north"), None);
    let forged = retitled(&forged, "Forged again", "sam");
    let base = vec![forged.get_changes(&[])[0].hash()];
    let nowhere = new_id();
    for id in [w.north, nowhere] {
        sam.send(write_frame("device-sam", id, &forged, &base))
            .await;
    }
    sam.try_run_until(
        |d| d.unavailable.len() == 2 || !d.refusals.is_empty(),
        Duration::from_secs(10),
    )
    .await;
    assert!(sam.refusals.is_empty(), "{:?}", sam.refusals);
    assert_eq!(sam.unavailable, vec![w.north, nowhere]);
    assert_eq!(title_on_relay(&w, w.north).await, "North");
    w.relay.shutdown().await;
}

#[tokio::test]
async fn a_peer_that_keeps_sending_refused_writes_is_closed() {
    let w = world().await;
    let mut audrey = holding(&w, "audrey", "device-audrey", w.north).await;
    let base = audrey.docs[&w.north].get_heads();
    let edit = retitled(&audrey.docs[&w.north], "Again and again", "audrey");
    let frame = write_frame("device-audrey", w.north, &edit, &base);
    for _ in 0..40 {
        audrey.send(frame.clone()).await;
    }
    audrey
        .try_run_until(|d| !d.errors.is_empty(), Duration::from_secs(10))
        .await;
    assert_eq!(
        audrey.refusals.len(),
        32,
        "each refused until the bound; then: {:?}",
        audrey.errors
    );
    assert!(
        audrey.errors[0].contains("after the relay refused them"),
        "{:?}",
        audrey.errors
    );
    w.relay.shutdown().await;
}

#[tokio::test]
async fn the_socket_needs_a_session_bound_to_the_device_it_claims() {
    let w = world().await;
    assert!(
        open_socket(&w.relay, None).await.is_err(),
        "no cookie, no socket"
    );
    assert!(
        open_socket(&w.relay, Some("outpost_session=forged"))
            .await
            .is_err()
    );

    // A session for device-nora cannot speak as device-other.
    let cookie = w
        .relay
        .sign_in("nora", PASSWORD, "device-nora")
        .await
        .unwrap();
    let mut socket = open_socket(&w.relay, Some(&cookie)).await.unwrap();
    let mut session = shared::sync::Session::new("device-other".into());
    use futures::{SinkExt, StreamExt};
    for f in session.open() {
        socket
            .send(tokio_tungstenite::tungstenite::Message::Binary(f.into()))
            .await
            .unwrap();
    }
    let outcome = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match socket.next().await {
                Some(Ok(tokio_tungstenite::tungstenite::Message::Binary(b))) => {
                    if let Message::Peer { .. } = decode(&b) {
                        return "accepted";
                    }
                }
                Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)))
                | None
                | Some(Err(_)) => {
                    return "closed";
                }
                _ => {}
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(outcome, "closed");
    w.relay.shutdown().await;
}

#[tokio::test]
async fn the_change_feed_only_lists_what_the_person_may_read() {
    let w = world().await;
    let cookie = w
        .relay
        .sign_in("sam", PASSWORD, "device-sam")
        .await
        .unwrap();
    let v = w.relay.get_json("/api/changes?since=0", &cookie).await;
    let docs: Vec<String> = serde_json::from_value(v["documents"].clone()).unwrap();
    assert!(docs.contains(&w.south.to_string()));
    assert!(!docs.contains(&w.north.to_string()));
    assert!(!docs.contains(&w.desk.to_string()));
    w.relay.shutdown().await;
}
