use std::io::Read;

use automerge::{Automerge, ObjType, ROOT, transaction::Transactable};
use proptest::prelude::*;

use super::*;

const MIB: usize = 1024 * 1024;

pub(crate) use super::{write_sleb as sleb, write_uleb as uleb};

/// A chunk around `payload`, with the checksum Automerge would write.
pub(crate) fn chunk(kind: u8, payload: &[u8]) -> Vec<u8> {
    let mut out = MAGIC.to_vec();
    out.extend(checksum(kind, payload));
    out.push(kind);
    uleb(&mut out, payload.len() as u64);
    out.extend(payload);
    out
}

/// `n` zero bytes, deflated (about a thousandth of `n`).
pub(crate) fn deflated_zeros(n: u64) -> Vec<u8> {
    let mut out = vec![];
    flate2::read::DeflateEncoder::new(std::io::repeat(0).take(n), flate2::Compression::best())
        .read_to_end(&mut out)
        .unwrap();
    out
}

/// A change body whose one integer column claims `rows` rows in a handful of bytes.
pub(crate) fn change_claiming(rows: u64) -> Vec<u8> {
    let mut body = vec![0]; // no dependencies
    body.extend([16]); // actor: 16 bytes
    body.extend([7; 16]);
    body.extend([1, 1, 0, 0, 0]); // seq 1, start op 1, time 0, no message, no other actors
    let mut column = vec![];
    sleb(&mut column, rows as i64); // a run of `rows` copies of
    uleb(&mut column, 0); // the value 0
    body.push(1); // one column: id 1, integer
    uleb(&mut body, (1 << 4) | 2);
    uleb(&mut body, column.len() as u64);
    body.extend(column);
    body
}

fn payload(chunk: &[u8]) -> (u8, Vec<u8>) {
    let chunk = split(chunk).unwrap()[0];
    (chunk.kind, chunk.payload.to_vec())
}

/// Measures `payload` as a chunk of `kind` with a right checksum (a compressed change's is
/// that of the change it inflates to, which a bomb does not have: it fails on size first).
fn measure_payload(kind: u8, payload: &[u8], budget: usize, ops: u64) -> Result<Cost, ChunkError> {
    let mut whole = chunk(kind, payload);
    if kind == COMPRESSED_CHANGE
        && let Ok(inflated) = inflate(payload, 16 * MIB)
    {
        whole[4..8].copy_from_slice(&checksum(CHANGE, &inflated));
    }
    measure(&split(&whole).unwrap()[0], budget, ops)
}

/// A document with several changes: map puts, a list, a long text, overwrites.
fn sample() -> Automerge {
    let mut doc = Automerge::new();
    for round in 0..5 {
        let mut tx = doc.transaction();
        for k in 0..20 {
            tx.put(ROOT, format!("k{k}"), format!("value {round} {k}"))
                .unwrap();
        }
        let list = tx
            .put_object(ROOT, format!("list{round}"), ObjType::List)
            .unwrap();
        for i in 0..30 {
            tx.insert(&list, i, i as i64).unwrap();
        }
        tx.put(ROOT, "note", "lorem ipsum dolor sit amet ".repeat(40))
            .unwrap();
        tx.commit();
    }
    doc
}

#[test]
fn real_changes_and_documents_measure_as_automerge_counts_them() {
    let doc = sample();
    let total: usize = doc.get_changes(&[]).iter().map(|c| c.len()).sum();
    for mut change in doc.get_changes(&[]) {
        let ops = change.len() as u64;
        let (kind, body) = payload(change.raw_bytes());
        assert_eq!(kind, CHANGE);
        assert_eq!(measure_payload(kind, &body, MIB, 1000).unwrap().ops, ops);
        // Large enough to be compressed when sent.
        let (kind, body) = payload(&change.bytes());
        assert_eq!(kind, COMPRESSED_CHANGE);
        let cost = measure_payload(kind, &body, MIB, 1000).unwrap();
        assert_eq!(cost.ops, ops);
        assert!(cost.inflated > body.len(), "it inflates");
    }
    let saved = doc.save();
    let (kind, body) = payload(&saved);
    assert_eq!(kind, DOCUMENT);
    let cost = measure_payload(kind, &body, MIB, 1).unwrap();
    assert_eq!(
        cost.ops, total as u64,
        "a document counts all its operations"
    );
    let uncompressed = doc.save_nocompress();
    let (_, plain) = payload(&uncompressed);
    assert_eq!(measure_payload(DOCUMENT, &plain, MIB, 1).unwrap(), cost);
}

#[test]
fn limits_are_checked_per_change_and_while_inflating() {
    let doc = sample();
    let change = doc.get_changes(&[])[0].clone();
    let (kind, body) = payload(change.raw_bytes());
    assert_eq!(
        measure_payload(kind, &body, MIB, change.len() as u64 - 1),
        Err(ChunkError::Ops(change.len() as u64 - 1))
    );
    assert_eq!(
        measure_payload(kind, &body, 10, 1000),
        Err(ChunkError::Inflated(10))
    );
    let (kind, body) = payload(&doc.save());
    assert_eq!(
        measure_payload(kind, &body, 100, 1000),
        Err(ChunkError::Inflated(100))
    );
}

#[test]
fn a_chunk_whose_checksum_does_not_match_is_refused() {
    let doc = sample();
    let mut saved = doc.save();
    let last = saved.len() - 1;
    saved[last] ^= 1;
    assert_eq!(
        measure(&split(&saved).unwrap()[0], MIB, 1000),
        Err(ChunkError::Checksum)
    );
    let mut change = doc.get_changes(&[])[0].clone();
    let mut compressed = change.bytes().to_vec();
    compressed[4] ^= 1;
    assert_eq!(
        measure(&split(&compressed).unwrap()[0], MIB, 1000),
        Err(ChunkError::Checksum)
    );
}

#[test]
fn a_deflate_bomb_is_refused_having_inflated_no_more_than_the_budget() {
    // 256 MiB of zeros in about 250 KiB.
    let bomb = deflated_zeros(256 * MIB as u64);
    assert!(bomb.len() < MIB / 2);
    assert_eq!(
        measure_payload(COMPRESSED_CHANGE, &bomb, 4 * MIB, 1000),
        Err(ChunkError::Inflated(4 * MIB))
    );
    // The same inside a document: one deflated column.
    let mut doc = vec![0, 0]; // no actors, no heads
    doc.push(1); // one change column
    uleb(&mut doc, (1 << 4) | 0b1000 | 2);
    uleb(&mut doc, bomb.len() as u64);
    doc.push(0); // no operation columns
    doc.extend(&bomb);
    assert_eq!(
        measure_payload(DOCUMENT, &doc, 4 * MIB, 1000),
        Err(ChunkError::Inflated(4 * MIB))
    );
}

#[test]
fn a_column_claiming_more_rows_than_allowed_is_refused_at_once() {
    let body = change_claiming(1 << 60);
    assert!(body.len() < 40);
    assert_eq!(
        measure_payload(CHANGE, &body, MIB, 100_000),
        Err(ChunkError::Ops(100_000))
    );
    assert_eq!(
        measure_payload(CHANGE, &change_claiming(5), MIB, 100)
            .unwrap()
            .ops,
        5
    );
}

#[test]
fn counters_javascript_cannot_hold_are_refused() {
    let mut body = change_claiming(2);
    body[19] = 0xff; // start op: a 10-byte number close to 2^64
    body.splice(
        20..20,
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
    );
    assert!(matches!(
        measure_payload(CHANGE, &body, MIB, 100),
        Err(ChunkError::Malformed(_))
    ));
}

#[test]
fn huge_counts_are_refused_before_reading_on() {
    // A document claiming 2^40 actors.
    let mut doc = vec![];
    uleb(&mut doc, 1 << 40);
    assert!(matches!(
        measure_payload(DOCUMENT, &doc, MIB, 1),
        Err(ChunkError::Malformed(_))
    ));
    assert!(matches!(
        measure_payload(9, &[], MIB, 1),
        Err(ChunkError::UnknownType(9))
    ));
    assert!(split(&[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 0xff]).is_err());
    assert!(split(&[0x85, 0x6f, 0x4a, 0x83, 0, 0, 0, 0, 1, 50, 1]).is_err());
}

proptest! {
    #[test]
    fn arbitrary_payloads_never_panic(kind in 0u8..5, bytes in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = measure_payload(kind, &bytes, 64 * 1024, 1000);
        let _ = split(&bytes);
    }
}
