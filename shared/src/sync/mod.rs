//! The device side of sync, as a sans-I/O state machine.
//!
//! A [`Session`] lives for one WebSocket connection to the relay. The app feeds it what
//! happened (socket opened, frame received, document edited locally) and carries out the
//! [`Effect`]s it returns (send a frame, persist a document, record what the relay has). It
//! never touches a socket, a clock or storage, so the whole protocol is tested natively.
//!
//! Per document it runs Automerge's sync protocol (one `automerge::sync::State` per document
//! and connection), wrapped in automerge-repo's `request`/`sync` messages.

pub mod blobs;
mod changes;
mod docs;
mod held;
mod hub;
mod session;

pub use changes::{CarriedChange, changes_in, whole_document_in};
pub use docs::Docs;
pub use held::{NotAccepted, relay_version, unavailable_refusal};
pub use hub::{COMPACT_AFTER_CHUNKS, Chunk, ConnId, Hub, HubCounters, HubEffect, Stored};
pub use session::{Effect, ProtocolError, Session};

use automerge::{Automerge, ChangeHash};

use crate::ids::DocumentId;

/// How many changes of `doc` the relay does not have yet, given the heads it is known to have.
///
/// When every head of `doc` is among `relay_heads` the relay has all of it (a head's change
/// comes with its whole history), and the answer is 0 without walking the change graph: the
/// common case for a device holding thousands of synced documents, which `reconnect_plan`
/// checks one by one.
pub fn unsynced_changes(doc: &Automerge, relay_heads: &[ChangeHash]) -> usize {
    unsynced_hashes(doc, relay_heads).len()
}

/// The hashes of the changes of `doc` the relay does not have yet (see [`unsynced_changes`]).
pub fn unsynced_hashes(doc: &Automerge, relay_heads: &[ChangeHash]) -> Vec<ChangeHash> {
    if doc.get_heads().iter().all(|h| relay_heads.contains(h)) {
        return vec![];
    }
    // Metadata only: no change is rebuilt with its operations (the app counts after every
    // save, offline too, when the relay lacks a growing run of changes).
    crate::history::changes_beyond(doc, relay_heads)
        .iter()
        .map(|c| c.hash)
        .collect()
}

/// Which documents a reconnecting device must sync: those with changes the relay lacks,
/// those the relay's change feed lists as changed since the device's last sync, and the
/// index documents it always follows. Everything else is already the same on both sides.
pub fn reconnect_plan<'a>(
    held: impl IntoIterator<Item = (&'a DocumentId, &'a Automerge)>,
    relay_heads: impl Fn(&DocumentId) -> Vec<ChangeHash>,
    changed_on_relay: &[DocumentId],
    always: &[DocumentId],
) -> Vec<DocumentId> {
    let mut plan: Vec<DocumentId> = held
        .into_iter()
        .filter(|(id, doc)| unsynced_changes(doc, &relay_heads(id)) > 0)
        .map(|(id, _)| *id)
        .chain(changed_on_relay.iter().copied())
        .chain(always.iter().copied())
        .collect();
    plan.sort();
    plan.dedup();
    plan
}

/// Change hashes as hex strings, for storage outside Automerge (IndexedDB, JSON).
pub fn heads_to_hex(heads: &[ChangeHash]) -> Vec<String> {
    heads.iter().map(|h| h.to_string()).collect()
}

/// The inverse of [`heads_to_hex`]; malformed entries are dropped (they only make the unsynced
/// count err on the side of "not yet on the relay").
pub fn heads_from_hex(hex: &[String]) -> Vec<ChangeHash> {
    hex.iter().filter_map(|h| h.parse().ok()).collect()
}

#[cfg(test)]
mod hub_tests;
#[cfg(test)]
mod tests;
