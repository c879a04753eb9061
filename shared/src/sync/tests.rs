use std::collections::HashMap;

use automerge::{
    Automerge, ReadDoc,
    sync::{self, SyncDoc},
    transaction::Transactable,
};

use super::*;
use crate::ids::{DocumentId, PeerId};
use crate::protocol::{self, Message};
use crate::refusal::{Refusal, RefusalCode};

type DocMap = HashMap<DocumentId, Automerge>;

/// A minimal relay for unit tests: answers `join`, and runs Automerge sync per document. It
/// refuses writes to the documents in `refuse` (and counts those it was sent).
#[derive(Default)]
struct TestRelay {
    docs: HashMap<DocumentId, (Automerge, sync::State)>,
    refuse: std::collections::HashSet<DocumentId>,
    refused_writes: usize,
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
                let message = sync::Message::decode(&data).unwrap();
                if self.refuse.contains(&document_id) && !message.changes.is_empty() {
                    self.refused_writes += 1;
                    return vec![protocol::encode(&Message::Refused {
                        document_id,
                        refusal: Refusal::new(RefusalCode::ReadOnly, "Auditors read only"),
                    })];
                }
                let (doc, state) = self.docs.entry(document_id).or_default();
                doc.receive_sync_message(state, message).unwrap();
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

impl TestRelay {
    /// A sync frame the relay sends of its own accord (another device changed `id`).
    fn push(&mut self, id: DocumentId) -> Vec<Vec<u8>> {
        let (doc, state) = self.docs.get_mut(&id).unwrap();
        doc.generate_sync_message(state)
            .map(|m| {
                protocol::encode(&Message::Sync {
                    document_id: id,
                    sender_id: "relay".into(),
                    target_id: "device-1".into(),
                    data: m.encode(),
                })
            })
            .into_iter()
            .collect()
    }

    fn title(&self, id: DocumentId) -> String {
        title(&self.docs[&id].0)
    }
}

fn title(doc: &Automerge) -> String {
    doc.get(automerge::ROOT, "title")
        .unwrap()
        .and_then(|(v, _)| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn retitle(docs: &mut DocMap, id: DocumentId, title: &str) {
    let mut tx = docs.get_mut(&id).unwrap().transaction();
    tx.put(automerge::ROOT, "title", title).unwrap();
    tx.commit();
}

/// Feeds frames from the relay to the session, then runs the exchange until quiet.
fn deliver(
    session: &mut Session,
    docs: &mut DocMap,
    relay: &mut TestRelay,
    frames: Vec<Vec<u8>>,
) -> Vec<Effect> {
    let mut seen = vec![];
    let mut out = vec![];
    for frame in frames {
        let effects = session.receive(&frame, docs).unwrap();
        out.extend(sends(&effects));
        seen.extend(effects);
    }
    seen.extend(pump(session, docs, relay, out));
    seen
}

/// A device that synced record 1 ("Printer jam") with a relay that now refuses its writes to it.
fn refusing_relay() -> (Session, DocMap, TestRelay) {
    let mut docs = DocMap::new();
    docs.insert(id(1), doc_with("title", "Printer jam"));
    let mut s = Session::new("device-1".into());
    let mut relay = TestRelay::default();
    connect(&mut s, &mut docs, &mut relay);
    assert_eq!(relay.title(id(1)), "Printer jam");
    relay.refuse.insert(id(1));
    (s, docs, relay)
}

#[test]
fn a_refused_change_is_kept_held_back_and_never_offered_again() {
    let (mut s, mut docs, mut relay) = refusing_relay();
    retitle(&mut docs, id(1), "Refused edit");
    docs.insert(id(2), doc_with("title", "Other record"));
    let mut out = s.local_change(&id(1), &docs);
    out.extend(s.local_change(&id(2), &docs));
    let effects = pump(&mut s, &mut docs, &mut relay, out);
    assert!(effects.iter().any(|e| matches!(
        e,
        Effect::Refused { doc, refusal } if *doc == id(1) && refusal.code == RefusalCode::ReadOnly
    )));
    assert!(s.is_held(&id(1)));
    assert_eq!(title(&docs[&id(1)]), "Refused edit", "kept on the device");
    assert_eq!(relay.title(id(1)), "Printer jam");
    assert_eq!(relay.title(id(2)), "Other record", "the rest syncs");
    assert_eq!(relay.refused_writes, 1);

    // More edits of the held record: nothing of them is offered.
    retitle(&mut docs, id(1), "Edited again");
    let out = s.local_change(&id(1), &docs);
    pump(&mut s, &mut docs, &mut relay, out);
    assert_eq!(relay.refused_writes, 1);
    assert_eq!(relay.title(id(1)), "Printer jam");
}

#[test]
fn others_changes_to_a_held_record_still_come_down_and_merge() {
    let (mut s, mut docs, mut relay) = refusing_relay();
    retitle(&mut docs, id(1), "Refused edit");
    let out = s.local_change(&id(1), &docs);
    pump(&mut s, &mut docs, &mut relay, out);

    // Someone with the right role sets the assignee on the relay.
    {
        let (doc, _) = relay.docs.get_mut(&id(1)).unwrap();
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "assignee", "nora").unwrap();
        tx.commit();
    }
    let pushed = relay.push(id(1));
    let effects = deliver(&mut s, &mut docs, &mut relay, pushed);
    assert!(effects.contains(&Effect::DocChanged(id(1))));
    let doc = &docs[&id(1)];
    let assignee = doc.get(automerge::ROOT, "assignee").unwrap().unwrap().0;
    assert_eq!(assignee.as_str(), Some("nora"));
    assert_eq!(title(doc), "Refused edit", "the refused change stays");
    // What the relay is reported to have is the relay's version, never the refused change.
    let relay_heads = effects
        .iter()
        .rev()
        .find_map(|e| match e {
            Effect::RelayHas { doc, heads } if *doc == id(1) => Some(heads.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(relay_heads, relay.docs[&id(1)].0.get_heads());
    assert_eq!(unsynced_changes(doc, &relay_heads), 1);
    assert_eq!(relay.refused_writes, 1);
}

#[test]
fn a_released_change_is_offered_again() {
    let (mut s, mut docs, mut relay) = refusing_relay();
    retitle(&mut docs, id(1), "Refused edit");
    let out = s.local_change(&id(1), &docs);
    pump(&mut s, &mut docs, &mut relay, out);
    // The person's rights are back and they try again.
    relay.refuse.clear();
    let out = s.release(&id(1), &docs);
    assert!(!s.is_held(&id(1)));
    pump(&mut s, &mut docs, &mut relay, out);
    assert_eq!(relay.title(id(1)), "Refused edit");
}

#[test]
fn a_record_held_before_connecting_offers_nothing_refused() {
    let (mut s, mut docs, mut relay) = refusing_relay();
    let synced = docs[&id(1)].get_heads();
    retitle(&mut docs, id(1), "Refused edit");
    let out = s.local_change(&id(1), &docs);
    pump(&mut s, &mut docs, &mut relay, out);
    assert_eq!(relay.refused_writes, 1);

    // Next connection: the app holds the record back before the session opens.
    let mut s = Session::new("device-1".into());
    assert!(
        s.hold(id(1), &synced, &docs).is_empty(),
        "nothing before the handshake"
    );
    connect(&mut s, &mut docs, &mut relay);
    assert_eq!(relay.refused_writes, 1);
    assert_eq!(title(&docs[&id(1)]), "Refused edit");
    assert_eq!(relay.title(id(1)), "Printer jam");
}

#[test]
fn a_change_released_during_the_handshake_goes_once_the_session_is_ready() {
    let (mut s, mut docs, mut relay) = refusing_relay();
    let synced = docs[&id(1)].get_heads();
    retitle(&mut docs, id(1), "Kept edit");
    let out = s.local_change(&id(1), &docs);
    pump(&mut s, &mut docs, &mut relay, out);
    relay.refuse.clear();

    // A reconnect that plans nothing: the record is held, then released before `peer` arrives.
    let mut s = Session::resume("device-1".into(), vec![]);
    s.hold(id(1), &synced, &docs);
    let join = s.open();
    assert!(
        s.release(&id(1), &docs).is_empty(),
        "nothing before the handshake"
    );
    pump(&mut s, &mut docs, &mut relay, join);
    assert_eq!(relay.title(id(1)), "Kept edit");
}
