use automerge::{
    Automerge, ROOT,
    sync::{self, SyncDoc},
    transaction::Transactable,
};
use proptest::prelude::*;

use super::*;
use crate::protocol::chunks::tests::{chunk, deflated_zeros, uleb};
use crate::protocol::chunks::{self, COMPRESSED_CHANGE};

const MIB: usize = 1024 * 1024;
const LIMITS: Limits = Limits {
    inflated_bytes: 4 * MIB,
    change_ops: 10_000,
    message_ops: 100_000,
};

fn doc_with(n: usize) -> Automerge {
    let mut doc = Automerge::new();
    for i in 0..n {
        let mut tx = doc.transaction();
        tx.put(ROOT, format!("k{}", i % 7), i as i64).unwrap();
        tx.commit();
    }
    doc
}

/// Every message of a sync between `a` and `b` until both are done, encoded.
fn sync_messages(a: &mut Automerge, b: &mut Automerge) -> Vec<Vec<u8>> {
    let (mut sa, mut sb) = (sync::State::new(), sync::State::new());
    let mut seen = vec![];
    for _ in 0..10 {
        if let Some(m) = a.generate_sync_message(&mut sa) {
            seen.push(m.encode());
            let m = sync::Message::decode(seen.last().unwrap()).unwrap();
            b.receive_sync_message(&mut sb, m).unwrap();
        }
        if let Some(m) = b.generate_sync_message(&mut sb) {
            seen.push(m.encode());
            let m = sync::Message::decode(seen.last().unwrap()).unwrap();
            a.receive_sync_message(&mut sa, m).unwrap();
        }
    }
    seen
}

/// A message of the given parts, encoded as Automerge does (V2, no flags).
fn message(heads: u64, haves: &[&[u8]], changes: &[&[u8]]) -> Vec<u8> {
    let mut out = vec![0x43];
    uleb(&mut out, heads);
    out.extend(std::iter::repeat_n(7u8, heads as usize * 32));
    out.push(0); // need
    uleb(&mut out, haves.len() as u64);
    for bloom in haves {
        out.push(0); // last sync
        uleb(&mut out, bloom.len() as u64);
        out.extend(*bloom);
    }
    uleb(&mut out, changes.len() as u64);
    for c in changes {
        uleb(&mut out, c.len() as u64);
        out.extend(*c);
    }
    out
}

#[test]
fn real_sync_messages_pass_with_their_cost() {
    let mut a = doc_with(40);
    let mut b = Automerge::new();
    let messages = sync_messages(&mut a, &mut b);
    assert!(messages.len() >= 2);
    let carried: u64 = messages
        .iter()
        .map(|m| check(m, &LIMITS).unwrap().cost.ops)
        .sum();
    assert_eq!(carried, 40, "the whole document went over once");
    // Incremental sync of an edit, both ways.
    let mut tx = a.transaction();
    tx.put(ROOT, "late", "edit").unwrap();
    tx.commit();
    for m in sync_messages(&mut a, &mut b) {
        check(&m, &LIMITS).unwrap();
    }
}

#[test]
fn a_bloom_filter_without_bits_is_refused() {
    // Automerge 0.12 divides by its number of bits (tests/automerge_panics.rs).
    let without_bits = [1u8, 0, 7];
    assert_eq!(
        check(&message(0, &[&without_bits], &[]), &LIMITS),
        Err(Refusal::Bloom("bits per entry out of range"))
    );
}

#[test]
fn bloom_filters_automerge_cannot_use_safely_are_refused() {
    let probes_bomb = [1u8, 10, 0xff, 0xff, 0xff, 0xff, 0x0f, 0xff, 0xff]; // 2^32-1 probes
    assert_eq!(
        check(&message(0, &[&probes_bomb], &[]), &LIMITS),
        Err(Refusal::Bloom("number of probes out of range"))
    );
    let short = [100u8, 10, 7, 1, 2, 3]; // 100 entries need 125 bytes
    assert_eq!(
        check(&message(0, &[&short], &[]), &LIMITS),
        Err(Refusal::Bloom("fewer bits than its entries need"))
    );
    let fine = [2u8, 10, 7, 0, 0, 0];
    check(&message(0, &[&fine], &[]), &LIMITS).unwrap();
    let many: Vec<&[u8]> = vec![&fine; 9];
    assert_eq!(
        check(&message(0, &many, &[]), &LIMITS),
        Err(Refusal::Malformed("more haves than Automerge sends"))
    );
}

#[test]
fn lists_longer_than_automerge_writes_are_refused() {
    assert!(check(&message(1024, &[], &[]), &LIMITS).is_ok());
    assert_eq!(
        check(&message(1025, &[], &[]), &LIMITS),
        Err(Refusal::Malformed("too many change hashes in one list"))
    );
    // 100,000 empty change entries would cost 2.4 MB in Automerge's decoder.
    let mut empties = vec![0x43, 0, 0, 0];
    uleb(&mut empties, 100_000);
    empties.extend(std::iter::repeat_n(0u8, 100_000));
    assert_eq!(
        check(&empties, &LIMITS),
        Err(Refusal::Malformed(
            "more change entries than the message holds"
        ))
    );
    assert_eq!(
        check(&message(0, &[], &[&[0u8; 3], &[0u8; 20]]), &LIMITS),
        Err(Refusal::Malformed("an empty change entry"))
    );
}

#[test]
fn bombs_in_change_chunks_are_refused_by_the_bound_they_cross() {
    let bomb = chunk(COMPRESSED_CHANGE, &deflated_zeros(64 * MIB as u64));
    let refused = check(&message(0, &[], &[&bomb]), &LIMITS).unwrap_err();
    assert_eq!(refused.bound(), Bound::Inflated);
    let ops = chunk(chunks::CHANGE, &chunks::tests::change_claiming(1 << 40));
    let refused = check(&message(0, &[], &[&ops]), &LIMITS).unwrap_err();
    assert_eq!(refused.bound(), Bound::ChangeOps);
    // Many changes that each pass still add up.
    let each = chunk(chunks::CHANGE, &chunks::tests::change_claiming(9_000));
    let twelve: Vec<&[u8]> = vec![&each; 12];
    let refused = check(&message(0, &[], &twelve), &LIMITS).unwrap_err();
    assert_eq!(refused, Refusal::MessageOps(100_000));
    assert_eq!(refused.bound(), Bound::MessageOps);
}

proptest! {
    #[test]
    fn arbitrary_sync_data_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..1024)) {
        let _ = check(&bytes, &LIMITS);
    }
}

#[test]
fn only_a_change_too_large_is_a_bound_an_honest_peer_crosses() {
    assert!(!Bound::Shape.honest());
    for bound in [Bound::Inflated, Bound::ChangeOps, Bound::MessageOps] {
        assert!(bound.honest(), "{bound:?}");
    }
}
