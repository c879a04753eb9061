//! What Automerge 0.12 itself should refuse (SECURITY.md, "What Automerge itself should
//! refuse"): minimal reproductions, fit for an upstream report, of panics a peer can cause.
//! Each test asserts that Automerge still panics; when one starts failing, Automerge refuses
//! that input now, and SECURITY.md should say so. The relay checks what it can before Automerge
//! sees a message (`shared::protocol::limits`) and contains the rest (`shared::sync::Hub`).

use std::panic::{AssertUnwindSafe, catch_unwind};

use automerge::{
    Automerge, ROOT,
    sync::{self, SyncDoc},
    transaction::Transactable,
};

#[test]
fn a_bloom_filter_with_entries_but_no_bits_panics_generate_sync_message() {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "k", "v").unwrap();
    tx.commit();
    // Bloom filter bytes: 1 entry, 0 bits per entry, 7 probes, 0 bytes of bits.
    let bloom = sync::BloomFilter::try_from(&[1u8, 0, 7][..]).unwrap();
    let hostile = sync::Message {
        heads: vec![],
        need: vec![],
        have: vec![sync::Have {
            last_sync: vec![],
            bloom,
        }],
        changes: sync::ChunkList::empty(),
        flags: None,
        version: sync::MessageVersion::V1,
    };
    let mut state = sync::State::new();
    doc.receive_sync_message(&mut state, hostile).unwrap();
    let generated = catch_unwind(AssertUnwindSafe(|| doc.generate_sync_message(&mut state)));
    assert!(
        generated.is_err(),
        "Automerge divides by the number of bits"
    );
}

/// A two-field document (`title`, `status`) saved uncompressed, with one bit changed (byte 93,
/// bit 0) and its checksum made right again: the columns no longer agree with each other.
const BROKEN_DOCUMENT: &str = "856f4a83ea72690a0098010110a14ba3c2658e84d6f2fe865e1bc1dcf6014eb45f1f41a1c9e10107899fdb9961e85f4816fd8c14ee759ce3c5924ec4ece40601020302130223024002560208150e21022303340142025604571d8001027e007f017f027f007f007f077e06737461747573057469746c6502007e027f0202017e36a6036e65775072696e746572206a616d206f6e20666c6f6f72207468726565020000";

#[test]
fn a_document_whose_columns_disagree_panics_load() {
    let bytes: Vec<u8> = (0..BROKEN_DOCUMENT.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&BROKEN_DOCUMENT[i..i + 2], 16).unwrap())
        .collect();
    let loaded = catch_unwind(|| Automerge::load(&bytes).map(|_| ()));
    assert!(
        loaded.is_err(),
        "Automerge panics instead of returning an error"
    );
}
