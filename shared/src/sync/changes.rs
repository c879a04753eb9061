//! Which changes a sync message carries: what the relay writes to its receipt log and its
//! change feed. Pure decoding of Automerge's chunk format; nothing is applied.

use automerge::{Automerge, Change, ChangeHash, ChangeMetadata, sync};

use crate::protocol::chunks::{self, CHANGE, COMPRESSED_CHANGE, DOCUMENT};
use crate::records::ChangeMeta;

/// One change found in a sync message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarriedChange {
    pub hash: ChangeHash,
    /// Who, on which device, and the device's time, when an Outpost app wrote it.
    pub meta: Option<ChangeMeta>,
    /// The changes it was made on top of.
    pub deps: Vec<ChangeHash>,
}

/// The changes in the `data` of a `sync` or `request` message.
pub fn changes_in(sync_data: &[u8]) -> Result<Vec<CarriedChange>, String> {
    let message = sync::Message::decode(sync_data).map_err(|e| e.to_string())?;
    let mut out = vec![];
    for blob in message.changes.iter() {
        for chunks::Chunk {
            kind, bytes: chunk, ..
        } in chunks::split(blob).map_err(|e| e.to_string())?
        {
            match kind {
                DOCUMENT => {
                    // A whole document (sent when the receiver had nothing): self-contained.
                    let doc = Automerge::load(chunk).map_err(|e| e.to_string())?;
                    out.extend(doc.get_changes_meta(&[]).iter().map(carried_meta));
                }
                CHANGE | COMPRESSED_CHANGE => {
                    let change = Change::try_from(chunk).map_err(|e| e.to_string())?;
                    out.push(carried(&change));
                }
                // Bundles and future chunk types: the relay still stores and relays them (samod
                // applies them); they are only missing from the receipt log.
                _ => {}
            }
        }
    }
    Ok(out)
}

/// The document a sync message carries from its first change, if it does: a device's first
/// upload of a record it created sends it whole. `None` when the message carries no changes or
/// only changes built on history the message does not include.
pub fn whole_document_in(sync_data: &[u8]) -> Option<Automerge> {
    let message = sync::Message::decode(sync_data).ok()?;
    let mut doc = Automerge::new();
    for chunk in message.changes.iter() {
        doc.load_incremental(chunk).ok()?;
    }
    (!doc.get_heads().is_empty()).then_some(doc)
}

fn carried(change: &Change) -> CarriedChange {
    CarriedChange {
        hash: change.hash(),
        meta: ChangeMeta::of_change(change),
        deps: change.deps().to_vec(),
    }
}

/// [`carried`] from what a document knows of a change without its operations: Automerge's
/// `get_changes` re-encodes every change from the document's columns, which was the largest
/// part of the relay's cost of storing a new record; `get_changes_meta` reads the change graph.
pub(crate) fn carried_meta(change: &ChangeMetadata<'_>) -> CarriedChange {
    CarriedChange {
        hash: change.hash,
        meta: ChangeMeta::of_message(change.message.as_deref()),
        deps: change.deps.clone(),
    }
}

#[cfg(test)]
mod tests {
    use automerge::{ReadDoc, sync::SyncDoc, transaction::Transactable};

    use super::*;
    use crate::time::Timestamp;

    fn meta(at: i64) -> ChangeMeta {
        ChangeMeta {
            author: "ana".into(),
            device: "tablet-1".into(),
            at: Timestamp(at),
        }
    }

    fn edit(doc: &mut Automerge, value: i64) -> ChangeHash {
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "k", value).unwrap();
        tx.commit_with(meta(value).commit_options()).0.unwrap()
    }

    /// Syncs `from` into a fresh peer and returns every message's carried changes.
    fn carried_in_sync(from: &mut Automerge, to: &mut Automerge) -> Vec<CarriedChange> {
        let (mut sf, mut st) = (sync::State::new(), sync::State::new());
        let mut seen = vec![];
        for _ in 0..10 {
            if let Some(m) = from.generate_sync_message(&mut sf) {
                let data = m.encode();
                seen.extend(changes_in(&data).unwrap());
                to.receive_sync_message(&mut st, sync::Message::decode(&data).unwrap())
                    .unwrap();
            }
            if let Some(m) = to.generate_sync_message(&mut st) {
                from.receive_sync_message(&mut sf, m).unwrap();
            }
        }
        seen
    }

    #[test]
    fn a_first_sync_reports_every_change_with_its_author() {
        let mut a = Automerge::new();
        let hashes: Vec<_> = (1..=3).map(|i| edit(&mut a, i)).collect();
        let mut b = Automerge::new();
        let seen = carried_in_sync(&mut a, &mut b);
        let mut got: Vec<_> = seen.iter().map(|c| c.hash).collect();
        let mut want = hashes.clone();
        got.sort();
        want.sort();
        assert_eq!(got, want);
        assert!(
            seen.iter()
                .all(|c| c.meta.as_ref().unwrap().author == "ana")
        );
    }

    #[test]
    fn an_incremental_sync_reports_just_the_new_change() {
        let mut a = Automerge::new();
        edit(&mut a, 1);
        let mut b = Automerge::new();
        let (mut sa, mut sb) = (sync::State::new(), sync::State::new());
        for _ in 0..6 {
            if let Some(m) = a.generate_sync_message(&mut sa) {
                b.receive_sync_message(&mut sb, m).unwrap();
            }
            if let Some(m) = b.generate_sync_message(&mut sb) {
                a.receive_sync_message(&mut sa, m).unwrap();
            }
        }
        let new = edit(&mut a, 42);
        let mut seen = vec![];
        for _ in 0..6 {
            if let Some(m) = a.generate_sync_message(&mut sa) {
                let data = m.encode();
                seen.extend(changes_in(&data).unwrap());
                b.receive_sync_message(&mut sb, sync::Message::decode(&data).unwrap())
                    .unwrap();
            }
            if let Some(m) = b.generate_sync_message(&mut sb) {
                a.receive_sync_message(&mut sa, m).unwrap();
            }
        }
        // Sync may carry a change again (the relay's log keys receipts by hash), but the new
        // one must be there, with its evidence.
        assert!(
            seen.iter()
                .any(|c| c.hash == new && c.meta == Some(meta(42))),
            "{seen:?}"
        );
        assert!(seen.iter().all(|c| a.get_change_by_hash(&c.hash).is_some()));
    }

    #[test]
    fn garbage_is_an_error_not_a_panic() {
        assert!(changes_in(b"nonsense").is_err());
    }
}
