//! Changes the relay did not accept, held back on the device.
//!
//! A refused change is never lost and never blocks the rest: the device keeps it in its copy of
//! the record (the person still sees it, marked "not accepted by the relay"), while its sync
//! session exchanges the record as the relay has it ([`relay_version`]), so the refused change
//! is not offered again and everyone else's changes still come down and merge into the copy.
//! The person then discards the change (the copy becomes the relay's version) or keeps it and
//! retries once their rights allow ([`super::Session::release`]).

use automerge::{Automerge, ChangeHash};

use super::unsynced_changes;
use crate::access::OUT_OF_SCOPE;
use crate::refusal::{Refusal, RefusalCode};
use crate::time::Timestamp;

/// A refusal as the device keeps it with the record, and when it came.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct NotAccepted {
    pub refusal: Refusal,
    pub at: Timestamp,
}

/// `doc` as the relay has it: only the history under `relay_heads`. Heads `doc` has never seen
/// are left out; with none left, the relay has nothing of it (an empty document).
pub fn relay_version(doc: &Automerge, relay_heads: &[ChangeHash]) -> Automerge {
    let known: Vec<ChangeHash> = relay_heads
        .iter()
        .copied()
        .filter(|h| doc.get_change_meta_by_hash(h).is_some())
        .collect();
    if known.is_empty() {
        return Automerge::new();
    }
    doc.fork_at(&known)
        .expect("heads taken from the document itself")
}

/// What the device makes of the relay saying it does not have `doc` (`doc-unavailable`), which
/// is also how it answers a person who may no longer see a record: when the device holds changes
/// of it the relay lacks, those changes cannot go anywhere, so they are not accepted. The relay
/// answers the same whether the record exists or not, so the reason is the device's own.
pub fn unavailable_refusal(doc: &Automerge, relay_heads: &[ChangeHash]) -> Option<Refusal> {
    (!doc.get_heads().is_empty() && unsynced_changes(doc, relay_heads) > 0)
        .then(|| Refusal::new(RefusalCode::OutOfScope, OUT_OF_SCOPE))
}

#[cfg(test)]
mod tests {
    use automerge::{ReadDoc, transaction::Transactable};

    use super::*;

    fn put(doc: &mut Automerge, key: &str, value: &str) -> ChangeHash {
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, key, value).unwrap();
        tx.commit().0.unwrap()
    }

    #[test]
    fn the_relay_version_leaves_out_what_the_relay_lacks() {
        let mut doc = Automerge::new();
        let synced = put(&mut doc, "title", "Printer jam");
        put(&mut doc, "title", "Refused edit");
        let relay = relay_version(&doc, &[synced]);
        assert_eq!(relay.get_heads(), vec![synced]);
        let title = relay.get(automerge::ROOT, "title").unwrap().unwrap().0;
        assert_eq!(title.as_str(), Some("Printer jam"));
        // Heads the device never saw (another device's newer changes) are left out.
        let unknown = ChangeHash([7; 32]);
        assert_eq!(
            relay_version(&doc, &[synced, unknown]).get_heads(),
            vec![synced]
        );
        assert!(relay_version(&doc, &[unknown]).get_heads().is_empty());
    }

    #[test]
    fn unavailable_is_a_refusal_only_with_changes_the_relay_lacks() {
        let mut doc = Automerge::new();
        let synced = put(&mut doc, "title", "Printer jam");
        assert_eq!(unavailable_refusal(&doc, &[synced]), None);
        assert_eq!(unavailable_refusal(&Automerge::new(), &[]), None);
        put(&mut doc, "title", "Edited offline");
        let refusal = unavailable_refusal(&doc, &[synced]).unwrap();
        assert_eq!(refusal.code, RefusalCode::OutOfScope);
        // A record made on this device the relay never took: not accepted either.
        assert!(unavailable_refusal(&doc, &[]).is_some());
    }
}
