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

/// A review that closes a loop, as a record field (see [`Review`]).
pub const REVIEW: &[crate::model::Field] = &[
    crate::model::Field::new("at", crate::model::Shape::When),
    crate::model::Field::new("by", crate::model::Shape::Text),
    crate::model::Field::new("summary", crate::model::Shape::LongText),
];

/// An optional review.
pub const OPTIONAL_REVIEW: crate::model::Shape =
    crate::model::Shape::Optional(&crate::model::Shape::Group(REVIEW));

/// A new review by the person making the change.
pub fn review(meta: &ChangeMeta, summary: &str) -> crate::model::Group {
    crate::model::Group::defaults(REVIEW)
        .with("at", meta.at)
        .with("by", meta.author.as_str())
        .with("summary", summary.trim())
}

/// A person to reach, as a list of record fields (see [`Contact`]).
pub const CONTACTS: crate::model::Shape =
    crate::model::Shape::List(&crate::model::Shape::Group(&[
        crate::model::Field::new("name", crate::model::Shape::Text),
        crate::model::Field::new("role", crate::model::Shape::Text),
        crate::model::Field::new("email", crate::model::Shape::Text),
        crate::model::Field::new("phone", crate::model::Shape::Text),
    ]));
