//! A property ("fuzz") test of the relay's first line of defence, `shared`'s codec (bounded
//! CBOR) and sync-data limits, over random bytes and over real frames mutated: frames captured
//! from a sync of real records between devices and the hub, flipped, truncated, spliced and
//! given huge numbers. For every case:
//!
//! - nothing panics;
//! - decoding and checking allocate at most [`bound`] (four times the frame, twice the inflate
//!   budget, and a megabyte), counted by this binary's allocator;
//! - a frame that is refused gets an error; one that passes is handed to a hub holding the
//!   documents, where Automerge may still panic on a deliberately broken chunk (SECURITY.md):
//!   the hub contains that, and every stored document must then still come back whole to a
//!   fresh device.
//!
//! CI runs [`DEFAULT_CASES`]; `OUTPOST_FUZZ_CASES=1000000 cargo test --release -p shared --test
//! hostile_frames -- --nocapture` is the long run (BENCHMARKS.md), `OUTPOST_FUZZ_SEED=n` another
//! sequence of cases (the frames are fixed, so a seed reproduces a run).

use std::{
    alloc::{GlobalAlloc, Layout, System},
    cell::Cell,
    collections::HashMap,
};

use automerge::{Automerge, ReadDoc};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRng, TestRunner};
use shared::{
    forms::{self, Nothing, Values},
    ids::{DocumentId, PeerId},
    protocol::{self, Message, limits},
    records::ChangeMeta,
    sync::{Effect, Hub, HubEffect, Session, Stored},
    time::Timestamp,
};

const DEFAULT_CASES: u32 = 3_000;
const LIMITS: limits::Limits = limits::Limits {
    inflated_bytes: 1 << 20,
    change_ops: 10_000,
    message_ops: 50_000,
};

/// Counts this thread's live and peak heap bytes.
struct Counting;

thread_local! {
    static LIVE: Cell<usize> = const { Cell::new(0) };
    static PEAK: Cell<usize> = const { Cell::new(0) };
}

fn track(add: isize) {
    let _ = LIVE.try_with(|live| {
        let now = live.get().saturating_add_signed(add);
        live.set(now);
        let _ = PEAK.try_with(|peak| peak.set(peak.get().max(now)));
    });
}

// SAFETY: forwards to the system allocator; only counts.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        track(layout.size() as isize);
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        track(-(layout.size() as isize));
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        track(new_size as isize - layout.size() as isize);
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Runs `f`; returns its result and the most heap it held at once beyond what was live before.
fn peak_of<T>(f: impl FnOnce() -> T) -> (T, usize) {
    let start = LIVE.with(Cell::get);
    PEAK.with(|p| p.set(start));
    let out = f();
    (out, PEAK.with(Cell::get) - start)
}

/// What decoding and checking a frame may allocate.
fn bound(frame: &[u8]) -> usize {
    4 * frame.len() + 2 * LIMITS.inflated_bytes + (1 << 20)
}

fn meta(n: i64) -> ChangeMeta {
    ChangeMeta {
        author: "ana".into(),
        device: "device-a".into(),
        at: Timestamp(1_795_392_000_000 + n * 60_000),
    }
}

/// An incident worked a little: several changes, a work log, a status change. Its actor is
/// fixed, so that the frames, and so a failing case, are the same on every run.
fn incident(title: &str, actor: u8) -> Automerge {
    let form = forms::of("incident").unwrap();
    let values = |pairs: &[(&str, &str)]| -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let mut record = form
        .new_record(
            &values(&[
                ("title", title),
                ("description", "Printer on floor 3 jams on every job"),
                ("impact", "high"),
                ("urgency", "medium"),
            ]),
            &Nothing,
            &meta(0),
        )
        .unwrap();
    record.set("number", "INC-1");
    let mut doc = Automerge::new().with_actor(automerge::ActorId::from([actor; 16]));
    record.write(&mut doc, &meta(0)).unwrap();
    for n in 1..4 {
        let note = format!("Visited, step {n}");
        let edit = values(&[("note", &note), ("status", "in_progress")]);
        form.edit(&mut doc, &edit, &Nothing, &meta(n)).unwrap();
    }
    doc
}

/// A hub and its storage; the target of frames that pass the checks.
struct Relay {
    hub: Hub,
    storage: HashMap<DocumentId, (Vec<u8>, Vec<automerge::ChangeHash>)>,
    next_conn: u64,
}

impl Relay {
    fn new() -> Self {
        Relay {
            hub: Hub::new(PeerId::from("relay")),
            storage: HashMap::new(),
            next_conn: 0,
        }
    }

    /// Carries out effects until there are none; returns the frames sent.
    fn drive(&mut self) -> Vec<(u64, Vec<u8>)> {
        let mut sent = vec![];
        loop {
            let effects = self.hub.take_effects();
            if effects.is_empty() {
                return sent;
            }
            for effect in effects {
                match effect {
                    HubEffect::Load(id) => {
                        let stored = self.storage.get(&id).map(|(bytes, heads)| Stored {
                            bytes: bytes.clone(),
                            chunks: 1,
                            heads: Some(heads.clone()),
                        });
                        self.hub.loaded(id, stored);
                    }
                    HubEffect::Persist {
                        doc, chunk, heads, ..
                    } => {
                        let entry = self.storage.entry(doc).or_default();
                        match chunk {
                            shared::sync::Chunk::Snapshot(b) => entry.0 = b,
                            shared::sync::Chunk::Incremental(b) => entry.0.extend(b),
                        }
                        entry.1 = heads;
                    }
                    HubEffect::Send { conn, frame, .. } => sent.push((conn, frame)),
                    HubEffect::Close { .. } | HubEffect::Refuse { .. } => {}
                }
            }
        }
    }

    /// Every stored document, as a fresh device fetching it gets it, has the heads storage
    /// recorded: whatever happened to a connection, what the relay holds is whole.
    fn intact(&mut self) -> Result<(), String> {
        use automerge::sync::{self, SyncDoc};
        let stored: Vec<_> = self
            .storage
            .iter()
            .map(|(id, (_, heads))| (*id, heads.clone()))
            .collect();
        for (id, heads) in stored {
            let conn = self.connect("checker");
            let (mut doc, mut state) = (Automerge::new(), sync::State::new());
            let mut message = doc.generate_sync_message(&mut state);
            for _ in 0..5 {
                let Some(m) = message.take() else { break };
                self.hub.receive_message(
                    conn,
                    Message::Request {
                        document_id: id,
                        sender_id: PeerId::from("checker"),
                        target_id: PeerId::from("relay"),
                        data: m.encode(),
                    },
                );
                for (to, frame) in self.drive() {
                    if let (true, Ok(Message::Sync { data, .. })) =
                        (to == conn, protocol::decode(&frame))
                    {
                        let reply = sync::Message::decode(&data).map_err(|e| e.to_string())?;
                        doc.receive_sync_message(&mut state, reply)
                            .map_err(|e| e.to_string())?;
                    }
                }
                message = doc.generate_sync_message(&mut state);
            }
            self.hub.disconnect(conn);
            self.drive();
            if doc.get_heads() != heads {
                return Err(format!("document {id} came back with other heads"));
            }
        }
        Ok(())
    }

    fn connect(&mut self, name: &str) -> u64 {
        self.next_conn += 1;
        let conn = self.next_conn;
        self.hub.connect(conn, None);
        let join = protocol::encode(&Message::Join {
            sender_id: PeerId::from(name),
            supported_protocol_versions: vec!["1".into()],
            metadata: None,
        });
        self.hub.receive(conn, &join);
        self.drive();
        conn
    }
}

/// Real frames, both ways, from devices uploading and fetching real records through a hub;
/// and the relay holding those records afterwards.
fn real_frames() -> (Vec<Vec<u8>>, Relay) {
    let mut relay = Relay::new();
    let mut frames = vec![];
    let ids: Vec<DocumentId> = (1..=3u8).map(|n| DocumentId::from_bytes([n; 16])).collect();
    for (round, device) in ["device-a", "device-b", "device-c"].iter().enumerate() {
        let conn = relay.connect(device);
        let mut session = Session::new(PeerId::from(*device));
        session.open();
        let peer = protocol::encode(&Message::Peer {
            sender_id: PeerId::from("relay"),
            target_id: PeerId::from(*device),
            selected_protocol_version: "1".into(),
            metadata: None,
        });
        let mut docs: HashMap<DocumentId, Automerge> = HashMap::new();
        let mut outgoing = session.receive(&peer, &mut docs).unwrap();
        for (n, id) in ids.iter().enumerate() {
            if round == 0 {
                docs.insert(*id, incident(&format!("Record {n}"), n as u8));
            } else {
                docs.insert(*id, Automerge::new()); // fetch it
            }
            outgoing.extend(
                session
                    .local_change(id, &docs)
                    .into_iter()
                    .map(Effect::Send),
            );
        }
        for _ in 0..20 {
            let mut next = vec![];
            for effect in outgoing.drain(..) {
                if let Effect::Send(frame) = effect {
                    frames.push(frame.clone());
                    relay.hub.receive(conn, &frame);
                    for (_, reply) in relay.drive() {
                        frames.push(reply.clone());
                        next.extend(session.receive(&reply, &mut docs).unwrap());
                    }
                }
            }
            outgoing = next;
        }
        assert!(
            ids.iter()
                .all(|id| docs[id].get(automerge::ROOT, "title").unwrap().is_some())
        );
        relay.hub.disconnect(conn);
    }
    (frames, relay)
}

/// One mutation of a frame.
#[derive(Debug, Clone)]
enum Mutation {
    Flip {
        at: usize,
        bit: u8,
    },
    Set {
        at: usize,
        byte: u8,
    },
    Insert {
        at: usize,
        bytes: Vec<u8>,
    },
    Delete {
        at: usize,
        len: usize,
    },
    Truncate {
        at: usize,
    },
    Duplicate {
        at: usize,
        len: usize,
    },
    /// A ten-byte LEB128 number close to 2^64, where a count or length might be.
    Huge {
        at: usize,
    },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = any::<usize>();
    // Mostly length-preserving, so that many mutated frames still parse and reach Automerge.
    prop_oneof![
        4 => (at, 0u8..8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        4 => (at, any::<u8>()).prop_map(|(at, byte)| Mutation::Set { at, byte }),
        1 => (at, proptest::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        1 => (at, 1usize..64).prop_map(|(at, len)| Mutation::Delete { at, len }),
        1 => at.prop_map(|at| Mutation::Truncate { at }),
        1 => (at, 1usize..256).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        1 => at.prop_map(|at| Mutation::Huge { at }),
    ]
}

fn mutate(bytes: &mut Vec<u8>, m: &Mutation) {
    let n = bytes.len().max(1);
    match m {
        Mutation::Flip { at, bit } => {
            if let Some(b) = bytes.get_mut(at % n) {
                *b ^= 1 << bit;
            }
        }
        Mutation::Set { at, byte } => {
            if let Some(b) = bytes.get_mut(at % n) {
                *b = *byte;
            }
        }
        Mutation::Insert { at, bytes: new } => {
            let at = at % (bytes.len() + 1);
            bytes.splice(at..at, new.iter().copied());
        }
        Mutation::Delete { at, len } => {
            let at = at % n;
            let end = (at + len).min(bytes.len());
            bytes.drain(at.min(end)..end);
        }
        Mutation::Truncate { at } => bytes.truncate(at % n),
        Mutation::Duplicate { at, len } => {
            let at = at % n;
            let end = (at + len).min(bytes.len());
            let copy = bytes[at.min(end)..end].to_vec();
            bytes.splice(end..end, copy);
        }
        Mutation::Huge { at } => {
            let at = at % (bytes.len() + 1);
            bytes.splice(
                at..at,
                [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
            );
        }
    }
}

/// Where a case's mutations go.
#[derive(Debug, Clone)]
enum Target {
    /// The whole frame.
    Frame,
    /// The sync data inside a `sync`/`request` frame, re-wrapped in valid CBOR, so mutations
    /// reach Automerge's format rather than stopping at the codec.
    SyncData,
    /// The same, with the checksums of the change chunks made right again afterwards, so
    /// mutations reach Automerge's column parsing rather than stopping at its checksum.
    SyncDataChecksummed,
}

/// Rewrites the checksum of every change chunk in `data` (when its shape can be read) as
/// Automerge computes it (`shared::protocol::chunks::checksum`).
fn fix_checksums(data: &mut [u8]) {
    use shared::protocol::chunks::{self, CHANGE, COMPRESSED_CHANGE};
    use std::io::Read;
    let mut fixes = vec![];
    if let Ok(shape) = limits::shape(data) {
        for entry in shape.entries() {
            for chunk in chunks::split(entry).unwrap_or_default() {
                let checksum = if chunk.kind == COMPRESSED_CHANGE {
                    let mut inflated = vec![];
                    let inflater = flate2::read::DeflateDecoder::new(chunk.payload);
                    if inflater.take(1 << 20).read_to_end(&mut inflated).is_err() {
                        continue;
                    }
                    chunks::checksum(CHANGE, &inflated)
                } else {
                    chunks::checksum(chunk.kind, chunk.payload)
                };
                let at = chunk.bytes.as_ptr() as usize - data.as_ptr() as usize + 4;
                fixes.push((at, checksum));
            }
        }
    }
    for (at, checksum) in fixes {
        data[at..at + 4].copy_from_slice(&checksum);
    }
}

/// How the cases ended.
#[derive(Debug, Default)]
struct Tally {
    not_protocol: u64,
    refused: u64,
    admitted: u64,
    admitted_with_changes: u64,
    /// Admitted frames on which Automerge panicked (in the hub, which contained it).
    contained: u64,
}

/// Decodes and checks `frame` as the relay's gate does; a frame that passes goes to the hub.
fn check_case(frame: &[u8], relay: &mut Relay, tally: &mut Tally) -> Result<(), TestCaseError> {
    let (verdict, peak) = peak_of(|| {
        let message = protocol::decode(frame).map_err(|_| false)?;
        let mut changes = false;
        if let Message::Sync { data, .. } | Message::Request { data, .. } = &message {
            let shape = limits::shape(data).map_err(|_| true)?;
            changes = shape.carries_changes();
            shape.measure(&LIMITS).map_err(|_| true)?;
        }
        Ok((message, changes))
    });
    prop_assert!(
        peak <= bound(frame),
        "{peak} bytes for a {}-byte frame",
        frame.len()
    );
    match verdict {
        Err(false) => tally.not_protocol += 1,
        Err(true) => tally.refused += 1,
        Ok((message, changes)) => {
            tally.admitted += 1;
            tally.admitted_with_changes += u64::from(changes);
            let contained = relay.hub.counters().panics_contained;
            let conn = relay.connect("fuzzer");
            relay.hub.receive_message(conn, message);
            relay.drive();
            relay.hub.disconnect(conn);
            relay.drive();
            if relay.hub.counters().panics_contained > contained {
                // Automerge panicked on what the checks let through (SECURITY.md lists what
                // it should refuse): the hub contained it; the relay must hold everything.
                tally.contained += 1;
                prop_assert_eq!(relay.intact(), Ok(()));
            }
        }
    }
    Ok(())
}

#[test]
fn random_and_mutated_frames_are_refused_cleanly_within_bounds() {
    let cases = std::env::var("OUTPOST_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    let (frames, relay) = real_frames();
    let relay = std::cell::RefCell::new(relay);
    let tally = std::cell::RefCell::new(Tally::default());
    assert!(frames.len() > 10, "{} real frames", frames.len());
    let started = std::time::Instant::now();
    let strategy = prop_oneof![
        1 => proptest::collection::vec(any::<u8>(), 0..2048)
            .prop_map(|bytes| (bytes, None, Target::Frame, vec![])),
        6 => (
            0..frames.len(),
            prop_oneof![
                Just(Target::Frame),
                Just(Target::SyncData),
                Just(Target::SyncDataChecksummed)
            ],
            proptest::collection::vec(mutation(), 1..4),
        )
            .prop_map(move |(i, target, mutations)| (vec![], Some(i), target, mutations)),
    ];
    // The frames are the same on every run (fixed actors), so a seed names a run: a failure is
    // reproduced with the seed it printed.
    let seed: u64 = std::env::var("OUTPOST_FUZZ_SEED")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    let rng = TestRng::from_seed(config.rng_algorithm, &seed_bytes);
    let mut runner = TestRunner::new_with_rng(config, rng);
    runner
        .run(&strategy, |(random, real, target, mutations)| {
            let frame = match real {
                None => random,
                Some(i) => {
                    let mut frame = frames[i].clone();
                    match (&target, protocol::decode(&frame)) {
                        (Target::Frame, _) | (_, Err(_)) => {
                            mutations.iter().for_each(|m| mutate(&mut frame, m))
                        }
                        (_, Ok(mut message)) => {
                            if let Message::Sync { data, .. } | Message::Request { data, .. } =
                                &mut message
                            {
                                mutations.iter().for_each(|m| mutate(data, m));
                                if matches!(target, Target::SyncDataChecksummed) {
                                    fix_checksums(data);
                                }
                            }
                            frame = protocol::encode(&message);
                        }
                    }
                    frame
                }
            };
            check_case(&frame, &mut relay.borrow_mut(), &mut tally.borrow_mut())
        })
        .unwrap();
    let tally = tally.into_inner();
    println!(
        "seed {seed}: {cases} cases in {:.1} s ({} real frames mutated, and random bytes): {tally:?}",
        started.elapsed().as_secs_f64(),
        frames.len()
    );
    // The cases reach every layer: the codec, the limits, and Automerge in the hub.
    assert!(tally.not_protocol > 0 && tally.refused > 0 && tally.admitted_with_changes > 0);
}
