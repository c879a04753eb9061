//! Hostile frames, built byte by byte from Automerge's binary format and automerge-repo's
//! protocol: what an attacker with an ordinary account sends (SECURITY.md lists each class).

use std::io::Read;

use sha2::{Digest, Sha256};
use shared::{
    ids::{DocumentId, PeerId},
    protocol::{self, Message},
};

pub use shared::protocol::chunks::{write_sleb as sleb, write_uleb as uleb};

pub const DOCUMENT: u8 = 0;
pub const CHANGE: u8 = 1;
pub const COMPRESSED_CHANGE: u8 = 2;

/// A chunk with a correct checksum (Automerge checks it): the first four bytes of the SHA-256
/// of type, length and payload.
pub fn chunk(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut hashed = vec![kind];
    uleb(&mut hashed, payload.len() as u64);
    hashed.extend(payload);
    let hash = Sha256::digest(&hashed);
    let mut out = vec![0x85, 0x6f, 0x4a, 0x83];
    out.extend(&hash[..4]);
    out.extend(hashed);
    out
}

/// `n` zero bytes, deflated (about a thousandth of `n`).
pub fn deflated_zeros(n: u64) -> Vec<u8> {
    let mut out = vec![];
    flate2::read::DeflateEncoder::new(std::io::repeat(0).take(n), flate2::Compression::best())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A compressed change that inflates to `n` zero bytes.
pub fn deflate_bomb_change(n: u64) -> Vec<u8> {
    chunk(COMPRESSED_CHANGE, &deflated_zeros(n))
}

/// A document whose one (deflated) change column inflates to `n` zero bytes.
pub fn deflate_bomb_document(n: u64) -> Vec<u8> {
    let bomb = deflated_zeros(n);
    let mut doc = vec![0, 0, 1]; // no actors, no heads, one change column:
    uleb(&mut doc, (1 << 4) | 0b1000 | 2); // id 1, deflated, integer
    uleb(&mut doc, bomb.len() as u64);
    doc.push(0); // no operation columns
    doc.extend(bomb);
    chunk(DOCUMENT, &doc)
}

/// A change of `n` operations that each set key "k" of the root map to null, in about fifty
/// bytes: every column is one run-length run of `n` rows.
pub fn operation_bomb(n: u64) -> Vec<u8> {
    let mut body = vec![0, 16]; // no dependencies; a 16-byte actor
    body.extend([0xa5; 16]);
    body.extend([1, 1, 0, 0, 0]); // seq 1, start op 1, time 0, no message, no other actors
    let run = |value: &[u8]| {
        let mut data = vec![];
        sleb(&mut data, n as i64);
        data.extend(value);
        data
    };
    let mut falses = vec![];
    uleb(&mut falses, n);
    let columns: [(u32, Vec<u8>); 5] = [
        ((1 << 4) | 5, run(&[1, b'k'])), // key: the string "k"
        ((3 << 4) | 4, falses),          // insert: false
        ((4 << 4) | 2, run(&[1])),       // action: set
        ((5 << 4) | 6, run(&[0])),       // value: null
        (7 << 4, run(&[0])),             // predecessors: none
    ];
    uleb(&mut body, columns.len() as u64);
    for (spec, data) in &columns {
        uleb(&mut body, u64::from(*spec));
        uleb(&mut body, data.len() as u64);
    }
    for (_, data) in &columns {
        body.extend(data);
    }
    chunk(CHANGE, &body)
}

/// An Automerge sync message (V1, as old peers send) with these Bloom filters as haves and these
/// change chunks, encoded by Automerge itself (it writes whatever it is given).
pub fn sync_data(blooms: &[&[u8]], changes: &[&[u8]]) -> Vec<u8> {
    use automerge::sync;
    sync::Message {
        heads: vec![],
        need: vec![],
        have: blooms
            .iter()
            .map(|bloom| sync::Have {
                last_sync: vec![],
                bloom: sync::BloomFilter::try_from(*bloom).expect("Automerge parses it"),
            })
            .collect(),
        changes: changes
            .iter()
            .map(|c| c.to_vec())
            .collect::<Vec<_>>()
            .into(),
        flags: None,
        version: sync::MessageVersion::V1,
    }
    .encode()
}

/// A `sync` frame about `doc` from `from`.
pub fn sync_frame(doc: DocumentId, from: &str, data: Vec<u8>) -> Vec<u8> {
    protocol::encode(&Message::Sync {
        document_id: doc,
        sender_id: PeerId::from(from),
        target_id: PeerId::from("outpost-relay"),
        data,
    })
}

/// A Bloom filter with one entry and no bits: Automerge divides by its number of bits.
pub const BLOOM_WITHOUT_BITS: &[u8] = &[1, 0, 7];
/// A Bloom filter asking for 2^32 - 1 probes: Automerge allocates a vector of them per hash.
pub const BLOOM_OF_FOUR_BILLION_PROBES: &[u8] = &[1, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff];

/// A document chunk, checksum and all, that passes the relay's checks of its bytes
/// (`shared::protocol::limits`) yet makes Automerge 0.12 panic while loading it: a small
/// record with one bit changed where its columns stop agreeing with each other (about one
/// single-bit change in thirty makes Automerge panic; SECURITY.md). Found by trying, so that
/// it stays one while Automerge has such panics.
pub fn document_automerge_cannot_load() -> Vec<u8> {
    use automerge::{Automerge, ROOT, transaction::Transactable};
    use shared::protocol::limits::{Limits, check};
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "title", "Printer jam on floor three").unwrap();
    tx.put(ROOT, "status", "new").unwrap();
    tx.commit();
    let saved = doc.save_nocompress();
    let payload = shared::protocol::chunks::split(&saved).unwrap()[0]
        .payload
        .to_vec();
    for at in 0..payload.len() {
        for bit in 0..8 {
            let mut broken = payload.clone();
            broken[at] ^= 1 << bit;
            let candidate = chunk(DOCUMENT, &broken);
            if check(&sync_data(&[], &[&candidate]), &Limits::DEFAULT).is_err() {
                continue;
            }
            let loads = std::panic::catch_unwind(|| {
                let _ = Automerge::new().load_incremental(&candidate);
            });
            if loads.is_err() {
                return candidate;
            }
        }
    }
    panic!(
        "no single-bit change gets past the checks and makes Automerge panic: update SECURITY.md"
    );
}
