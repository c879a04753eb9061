//! The two lists every record keeps and that only grow: the work log (what people did) and the
//! status history (when the status changed). Both are appended to, never edited, so concurrent
//! offline entries from several tablets all survive a merge; the SLA clock is computed from
//! the status history alone, so every device and the relay get the same answer.
//!
//! [`Record::move_to`] applies a record type's lifecycle and rules and records the move;
//! [`Record::recheck`] runs the same rules again on a merged record (`crate::review`), so a
//! rule lives in exactly one place whether it is enforced on a tablet or detected after sync.

use super::kind::Facts;
use super::record::{ChangeMeta, Record};
use super::shape::{Field, Shape};
use super::value::{Group, Value};
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

/// One timestamped line of the work log.
pub const WORK_LOG_ENTRY: &[Field] = &[
    Field::new("at", Shape::When),
    Field::new("author", Shape::Text),
    Field::new("device", Shape::Text),
    Field::new("note", Shape::LongText),
];

/// A status the record entered, when, by whom and why. `status` is the status's key (e.g.
/// `"pending"`), so one clock serves every record type.
pub const STATUS_CHANGE: &[Field] = &[
    Field::new("at", Shape::When),
    Field::new("status", Shape::Text),
    Field::new("by", Shape::Text),
    Field::new("device", Shape::Text),
    Field::new("reason", Shape::Text),
];

pub const WORK_LOG: Shape = Shape::List(&Shape::Group(WORK_LOG_ENTRY));
pub const STATUS_HISTORY: Shape = Shape::List(&Shape::Group(STATUS_CHANGE));

/// One work-log line as code reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct WorkLogEntry {
    pub at: Timestamp,
    pub author: String,
    pub device: String,
    pub note: String,
}

impl WorkLogEntry {
    pub fn new(meta: &ChangeMeta, note: impl Into<String>) -> Self {
        WorkLogEntry {
            at: meta.at,
            author: meta.author.clone(),
            device: meta.device.clone(),
            note: note.into(),
        }
    }

    pub fn of(g: &Group) -> Self {
        WorkLogEntry {
            at: g.at("at"),
            author: g.str("author").into(),
            device: g.str("device").into(),
            note: g.str("note").into(),
        }
    }

    pub fn group(&self) -> Group {
        Group::defaults(WORK_LOG_ENTRY)
            .with("at", self.at)
            .with("author", self.author.as_str())
            .with("device", self.device.as_str())
            .with("note", self.note.as_str())
    }
}

/// One status change as code reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StatusChange {
    pub at: Timestamp,
    pub status: String,
    pub by: String,
    pub device: String,
    pub reason: String,
}

impl StatusChange {
    pub fn new(meta: &ChangeMeta, status: &str, reason: &str) -> Self {
        StatusChange {
            at: meta.at,
            status: status.into(),
            by: meta.author.clone(),
            device: meta.device.clone(),
            reason: reason.into(),
        }
    }

    pub fn of(g: &Group) -> Self {
        StatusChange {
            at: g.at("at"),
            status: g.str("status").into(),
            by: g.str("by").into(),
            device: g.str("device").into(),
            reason: g.str("reason").into(),
        }
    }

    pub fn group(&self) -> Group {
        Group::defaults(STATUS_CHANGE)
            .with("at", self.at)
            .with("status", self.status.as_str())
            .with("by", self.by.as_str())
            .with("device", self.device.as_str())
            .with("reason", self.reason.as_str())
    }
}

/// The status history in time order. Entries appended concurrently on different devices sit
/// in the list in Automerge's (deterministic) order, not time order; sorting stably by time
/// gives every replica the same sequence.
pub fn in_time_order(history: &[StatusChange]) -> Vec<&StatusChange> {
    let mut sorted: Vec<&StatusChange> = history.iter().collect();
    crate::order::sort_by_key(&mut sorted, |c| c.at);
    sorted
}

impl Record {
    /// The readable work log, oldest first.
    pub fn work_log(&self) -> Vec<WorkLogEntry> {
        self.groups("work_log").map(WorkLogEntry::of).collect()
    }

    /// The readable status history, in list order.
    pub fn status_history(&self) -> Vec<StatusChange> {
        self.groups("status_history")
            .map(StatusChange::of)
            .collect()
    }

    /// Appends a line to the work log.
    pub fn log(&mut self, meta: &ChangeMeta, note: impl Into<String>) {
        let entry = WorkLogEntry::new(meta, note).group();
        self.push("work_log", entry);
    }

    /// Records the creation: the initial status opens the history, `note` the work log.
    pub fn start(&mut self, meta: &ChangeMeta, note: &str) {
        let status = self.status().to_string();
        self.push(
            "status_history",
            StatusChange::new(meta, &status, "").group(),
        );
        self.log(meta, note);
    }

    /// Moves to `to` if the lifecycle and the record type's rules allow it, and records the
    /// move in the status history and the work log.
    pub fn move_to(
        &mut self,
        to: &str,
        reason: &str,
        facts: &Facts,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        let lifecycle = self.ty.lifecycle;
        let from = self.status().to_string();
        if from == to {
            return Ok(());
        }
        if !lifecycle.allows(&from, to) {
            return Err(lifecycle.not_allowed(&from, to));
        }
        let reason = reason.trim();
        self.check(to, reason, facts)?;
        let to_key = lifecycle.status(to).unwrap_or_default();
        self.set("status", to_key);
        self.push(
            "status_history",
            StatusChange::new(meta, to_key, reason).group(),
        );
        let (from, to) = (lifecycle.label(&from), lifecycle.label(to_key));
        let line = if reason.is_empty() {
            format!("Status {from} → {to}")
        } else {
            format!("Status {from} → {to}: {reason}")
        };
        self.log(meta, line);
        Ok(())
    }

    /// The lifecycle's reason rule and the record type's own rules for being in `to`.
    fn check(&self, to: &str, reason: &str, facts: &Facts) -> Result<(), WorkflowError> {
        if let Some(consequence) = self.ty.lifecycle.reason_for(to)
            && reason.is_empty()
        {
            return Err(WorkflowError::ReasonRequired {
                status: self.ty.lifecycle.label(to).to_lowercase(),
                consequence,
            });
        }
        (self.ty.rules)(self, to, reason, facts)
    }

    /// The reason given when the record entered its current status.
    pub fn current_reason(&self) -> String {
        let status = self.status();
        self.groups("status_history")
            .filter(|c| c.str("status") == status)
            .last()
            .map_or_else(String::new, |c| c.str("reason").to_string())
    }

    /// Whether the current (e.g. merged) record still obeys its rules.
    pub fn recheck(&self, facts: &Facts) -> Result<(), WorkflowError> {
        self.check(self.status(), &self.current_reason(), facts)
    }
}

/// A new list entry from pairs of field and value (the other fields at their defaults).
pub fn entry(
    fields: &'static [Field],
    pairs: impl IntoIterator<Item = (&'static str, Value)>,
) -> Group {
    pairs
        .into_iter()
        .fold(Group::defaults(fields), |g, (k, v)| g.with(k, v))
}
