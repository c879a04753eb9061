use std::collections::HashMap;

use automerge::{
    Automerge, ReadDoc,
    sync::{self, SyncDoc},
    transaction::Transactable,
};

use super::*;
use crate::ids::{DocumentId, PeerId};
use crate::protocol::{self, Message};

type DocMap = HashMap<DocumentId, Automerge>;

/// A minimal relay for unit tests: answers `join`, and runs Automerge sync per document.
#[derive(Default)]
struct TestRelay {
    docs: HashMap<DocumentId, (Automerge, sync::State)>,
}

impl TestRelay {
    fn handle(&mut self, frame: &[u8]) -> Vec<Vec<u8>> {
        let relay = PeerId::from("relay");
        match protocol::decode(frame).unwrap() {
            Message::Join { sender_id, .. } => vec![protocol::encode(&Message::Peer {
                sender_id: relay,
                target_id: sender_id,
                selected_protocol_version: "1".into(),
                metadata: None,
            })],
            Message::Sync {
                document_id,
                sender_id,
                data,
                ..
            }
            | Message::Request {
                document_id,
                sender_id,
                data,
                ..
            } => {
                let (doc, state) = self.docs.entry(document_id).or_default();
                doc.receive_sync_message(state, sync::Message::decode(&data).unwrap())
                    .unwrap();
                doc.generate_sync_message(state)
                    .map(|m| {
                        protocol::encode(&Message::Sync {
                            document_id,
                            sender_id: relay,
                            target_id: sender_id,
                            data: m.encode(),
                        })
                    })
                    .into_iter()
                    .collect()
            }
            other => panic!("test relay got {other:?}"),
        }
    }
}

fn sends(effects: &[Effect]) -> Vec<Vec<u8>> {
    effects
        .iter()
        .filter_map(|e| match e {
            Effect::Send(f) => Some(f.clone()),
            _ => None,
        })
        .collect()
}

/// Runs frames back and forth until both sides are quiet; returns every effect the device saw.
fn pump(
    session: &mut Session,
    docs: &mut DocMap,
    relay: &mut TestRelay,
    mut out: Vec<Vec<u8>>,
) -> Vec<Effect> {
    let mut seen = vec![];
    for _ in 0..50 {
        let inbound: Vec<Vec<u8>> = out.iter().flat_map(|f| relay.handle(f)).collect();
        if inbound.is_empty() {
            return seen;
        }
        out = vec![];
        for frame in inbound {
            let effects = session.receive(&frame, docs).unwrap();
            out.extend(sends(&effects));
            seen.extend(effects);
        }
    }
    panic!("sync did not settle");
}

/// Opens the session and runs the handshake and the first sync round.
fn connect(session: &mut Session, docs: &mut DocMap, relay: &mut TestRelay) -> Vec<Effect> {
    let join = session.open();
    pump(session, docs, relay, join)
}

fn doc_with(key: &str, value: &str) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, key, value).unwrap();
    tx.commit();
    doc
}

fn id(n: u8) -> DocumentId {
    DocumentId::from_bytes([n; 16])
}

#[test]
fn open_sends_join_with_our_peer_id() {
    let mut s = Session::new("device-1".into());
    let frames = s.open();
    match protocol::decode(&frames[0]).unwrap() {
        Message::Join {
            sender_id,
            supported_protocol_versions,
            ..
        } => {
            assert_eq!(sender_id, PeerId::from("device-1"));
            assert_eq!(supported_protocol_versions, vec!["1".to_string()]);
        }
        other => panic!("{other:?}"),
    }
    assert!(!s.is_ready());
}

#[test]
fn local_docs_reach_the_relay_and_the_unsynced_count_drops() {
    let mut docs = DocMap::new();
    docs.insert(id(1), doc_with("title", "Printer jam"));
    let mut s = Session::new("device-1".into());
    let mut relay = TestRelay::default();
    let heads = docs[&id(1)].get_heads();
    assert_eq!(unsynced_changes(&docs[&id(1)], &[]), 1);

    let effects = connect(&mut s, &mut docs, &mut relay);
    assert!(s.is_ready());
    assert!(effects.contains(&Effect::Ready {
        relay: "relay".into()
    }));
    assert!(effects.contains(&Effect::RelayHas {
        doc: id(1),
        heads: heads.clone()
    }));
    assert_eq!(relay.docs[&id(1)].0.get_heads(), heads);
    assert_eq!(unsynced_changes(&docs[&id(1)], &heads), 0);
}

#[test]
fn a_document_new_to_the_device_is_added() {
    let mut relay = TestRelay::default();
    let remote = doc_with("title", "From tablet B");
    relay
        .docs
        .insert(id(2), (remote.clone(), sync::State::new()));
    let mut docs = DocMap::new();
    let mut s = Session::new("device-1".into());
    connect(&mut s, &mut docs, &mut relay);
    // The device asks for it the way an automerge-repo peer would: `request` on an empty doc.
    docs.insert(id(2), Automerge::new());
    let frames = s.local_change(&id(2), &docs);
    assert!(matches!(
        protocol::decode(&frames[0]).unwrap(),
        Message::Request { .. }
    ));
    let effects = pump(&mut s, &mut docs, &mut relay, frames);
    assert!(effects.contains(&Effect::DocChanged(id(2))));
    assert_eq!(docs[&id(2)].get_heads(), remote.get_heads());
}

#[test]
fn an_unsolicited_sync_for_an_unknown_doc_creates_it() {
    let mut docs = DocMap::new();
    let mut s = Session::new("device-1".into());
    let mut relay = TestRelay::default();
    connect(&mut s, &mut docs, &mut relay);
    let remote = doc_with("title", "Announced");
    let mut state = sync::State::new();
    let data = remote.generate_sync_message(&mut state).unwrap().encode();
    let frame = protocol::encode(&Message::Sync {
        document_id: id(3),
        sender_id: "relay".into(),
        target_id: "device-1".into(),
        data,
    });
    let effects = s.receive(&frame, &mut docs).unwrap();
    assert!(docs.contains_key(&id(3)));
    // The device answers with what it needs; the change itself follows in the next round.
    assert!(!sends(&effects).is_empty());
}

#[test]
fn offline_edits_are_held_until_the_handshake() {
    let mut docs = DocMap::new();
    docs.insert(id(4), doc_with("a", "b"));
    let mut s = Session::new("device-1".into());
    assert!(s.local_change(&id(4), &docs).is_empty());
    s.open();
    assert!(s.local_change(&id(4), &docs).is_empty());
}

#[test]
fn messages_before_the_handshake_are_a_protocol_error() {
    let mut s = Session::new("device-1".into());
    s.open();
    let frame = protocol::encode(&Message::Sync {
        document_id: id(1),
        sender_id: "relay".into(),
        target_id: "device-1".into(),
        data: vec![],
    });
    assert_eq!(
        s.receive(&frame, &mut DocMap::new()),
        Err(ProtocolError::BeforeHandshake("sync"))
    );
}

#[test]
fn an_unknown_protocol_version_is_refused() {
    let mut s = Session::new("device-1".into());
    s.open();
    let frame = protocol::encode(&Message::Peer {
        sender_id: "relay".into(),
        target_id: "device-1".into(),
        selected_protocol_version: "2".into(),
        metadata: None,
    });
    assert_eq!(
        s.receive(&frame, &mut DocMap::new()),
        Err(ProtocolError::UnsupportedVersion("2".into()))
    );
}

#[test]
fn garbage_and_bad_sync_data_are_errors_not_panics() {
    let mut docs = DocMap::new();
    let mut s = Session::new("device-1".into());
    let mut relay = TestRelay::default();
    connect(&mut s, &mut docs, &mut relay);
    assert!(matches!(
        s.receive(b"\x00\x01garbage", &mut docs),
        Err(ProtocolError::Decode(_))
    ));
    let frame = protocol::encode(&Message::Sync {
        document_id: id(5),
        sender_id: "relay".into(),
        target_id: "device-1".into(),
        data: vec![0xff, 0x00],
    });
    assert!(matches!(
        s.receive(&frame, &mut docs),
        Err(ProtocolError::BadSyncData { .. })
    ));
}

#[test]
fn a_request_for_a_doc_we_lack_is_answered_unavailable() {
    let mut docs = DocMap::new();
    let mut s = Session::new("device-1".into());
    let mut relay = TestRelay::default();
    connect(&mut s, &mut docs, &mut relay);
    let frame = protocol::encode(&Message::Request {
        document_id: id(6),
        sender_id: "relay".into(),
        target_id: "device-1".into(),
        data: Automerge::new()
            .generate_sync_message(&mut sync::State::new())
            .unwrap()
            .encode(),
    });
    let effects = s.receive(&frame, &mut docs).unwrap();
    assert!(matches!(
        protocol::decode(&sends(&effects)[0]).unwrap(),
        Message::DocUnavailable { .. }
    ));
}

#[test]
fn concurrent_offline_edits_converge_through_the_relay() {
    let base = doc_with("title", "Printer jam");
    let mut relay = TestRelay::default();
    let (mut docs_a, mut docs_b) = (DocMap::new(), DocMap::new());
    docs_a.insert(id(7), base.fork());
    docs_b.insert(id(7), base.fork());
    for (docs, key, value) in [
        (&mut docs_a, "title", "Printer jam, floor 2"),
        (&mut docs_b, "urgency", "high"),
    ] {
        let doc = docs.get_mut(&id(7)).unwrap();
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, key, value).unwrap();
        tx.commit();
    }
    let mut a = Session::new("device-a".into());
    let mut b = Session::new("device-b".into());
    connect(&mut a, &mut docs_a, &mut relay);
    connect(&mut b, &mut docs_b, &mut relay);
    // A reconnects and picks up B's change.
    let mut a = Session::new("device-a".into());
    connect(&mut a, &mut docs_a, &mut relay);
    let doc_a = &docs_a[&id(7)];
    assert_eq!(
        doc_a
            .get(automerge::ROOT, "urgency")
            .unwrap()
            .unwrap()
            .0
            .as_str(),
        Some("high")
    );
    assert_eq!(
        doc_a
            .get(automerge::ROOT, "title")
            .unwrap()
            .unwrap()
            .0
            .as_str(),
        Some("Printer jam, floor 2")
    );
}

#[test]
fn heads_survive_hex_storage() {
    let doc = doc_with("a", "b");
    let heads = doc.get_heads();
    assert_eq!(heads_from_hex(&heads_to_hex(&heads)), heads);
    assert!(heads_from_hex(&["zz".to_string()]).is_empty());
}

#[test]
fn a_resumed_session_syncs_only_its_plan() {
    let mut docs = DocMap::new();
    for n in 1..=5 {
        docs.insert(id(n), doc_with("n", &n.to_string()));
    }
    let mut s = Session::resume("device-1".into(), vec![id(2), id(4)]);
    let mut relay = TestRelay::default();
    connect(&mut s, &mut docs, &mut relay);
    let mut synced: Vec<_> = relay.docs.keys().copied().collect();
    synced.sort();
    assert_eq!(synced, vec![id(2), id(4)]);
    // An edit to a document outside the plan still goes straight away.
    assert!(!s.local_change(&id(5), &docs).is_empty());
}

#[test]
fn the_reconnect_plan_is_what_changed_on_either_side() {
    let mut docs = DocMap::new();
    for n in 1..=4 {
        docs.insert(id(n), doc_with("n", &n.to_string()));
    }
    // The relay has everything but doc 3's latest change.
    let mut relay_heads: HashMap<DocumentId, Vec<automerge::ChangeHash>> =
        docs.iter().map(|(k, d)| (*k, d.get_heads())).collect();
    let doc3 = docs.get_mut(&id(3)).unwrap();
    let mut tx = doc3.transaction();
    tx.put(automerge::ROOT, "n", "changed offline").unwrap();
    tx.commit();
    relay_heads.remove(&id(9));
    let plan = reconnect_plan(
        docs.iter(),
        |d| relay_heads.get(d).cloned().unwrap_or_default(),
        &[id(1), id(7)],
        &[id(9)],
    );
    assert_eq!(plan, vec![id(1), id(3), id(7), id(9)]);
}

#[test]
fn unsynced_changes_counts_what_the_relay_heads_do_not_cover() {
    let mut doc = doc_with("title", "Printer jam");
    let synced = doc.get_heads();
    assert_eq!(unsynced_changes(&doc, &synced), 0);
    // Heads the device has never seen (the relay has more) still cover its own.
    let other = doc_with("title", "elsewhere");
    let mut relay_more = synced.clone();
    relay_more.extend(other.get_heads());
    assert_eq!(unsynced_changes(&doc, &relay_more), 0);
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "title", "Printer jam, tray 2")
        .unwrap();
    tx.commit();
    assert_eq!(unsynced_changes(&doc, &synced), 1);
    assert_eq!(unsynced_changes(&doc, &relay_more), 1);
    assert_eq!(unsynced_changes(&doc, &[]), 2);
    // Which ones: the edit made after the relay's heads.
    assert_eq!(
        crate::sync::unsynced_hashes(&doc, &relay_more),
        doc.get_heads()
    );
}
