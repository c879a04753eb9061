//! The two lists that only grow on a record: the work log (what people did) and the status
//! history (when the status changed). Both are appended to, never edited, so concurrent
//! offline entries from several tablets all survive a merge; the SLA clock is computed from
//! the status history alone, so every device and the relay get the same answer.

use autosurgeon::{Hydrate, Reconcile};

use super::document::ChangeMeta;
use crate::time::Timestamp;

/// One timestamped line of the work log.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct WorkLogEntry {
    pub at: Timestamp,
    pub author: String,
    pub device: String,
    pub note: String,
}

impl WorkLogEntry {
    pub fn new(meta: &ChangeMeta, note: impl Into<String>) -> Self {
        Self {
            at: meta.at,
            author: meta.author.clone(),
            device: meta.device.clone(),
            note: note.into(),
        }
    }
}

/// A status the record entered, when, by whom and why. `status` is the status's stored key
/// (e.g. `"pending"`), so one clock serves every record type.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct StatusChange {
    pub at: Timestamp,
    pub status: String,
    pub by: String,
    pub device: String,
    pub reason: String,
}

impl StatusChange {
    pub fn new(meta: &ChangeMeta, status: &str, reason: &str) -> Self {
        Self {
            at: meta.at,
            status: status.into(),
            by: meta.author.clone(),
            device: meta.device.clone(),
            reason: reason.into(),
        }
    }
}

/// The status history in time order. Entries appended concurrently on different devices sit
/// in the list in Automerge's (deterministic) order, not time order; sorting stably by time
/// gives every replica the same sequence.
pub fn in_time_order(history: &[StatusChange]) -> Vec<&StatusChange> {
    let mut sorted: Vec<&StatusChange> = history.iter().collect();
    sorted.sort_by_key(|c| c.at);
    sorted
}

/// A review that closes a loop: post-incident review, post-implementation or retrospective
/// review of a change, effectiveness check of a fix or a corrective action.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Review {
    pub at: Timestamp,
    pub by: String,
    pub summary: String,
}

impl Review {
    pub fn new(meta: &ChangeMeta, summary: &str) -> Self {
        Self {
            at: meta.at,
            by: meta.author.clone(),
            summary: summary.trim().into(),
        }
    }
}

/// A person to reach (customer contacts, supplier contacts, continuity call lists).
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Contact {
    pub name: String,
    pub role: String,
    pub email: String,
    pub phone: String,
}
