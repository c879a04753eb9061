//! Lifecycles as explicit state machines.
//!
//! One mechanism serves every record type: a [`Lifecycle`] table says which status may follow
//! which, and the record's [`Workflow::check`] adds the rules of ISO/IEC 20000 that depend on
//! its contents (a pending incident needs a reason, a normal change needs CAB approval, …).
//! [`Workflow::move_to`] applies both, then records the move in the status history and the
//! work log. The same `check` is run again after a merge ([`crate::review`]), so a rule lives in
//! exactly one place whether it is enforced on a tablet or detected after sync.

mod error;

pub use error::WorkflowError;

use std::fmt;

use crate::records::ChangeMeta;
use crate::records::journal::{StatusChange, WorkLogEntry};

/// A status enum (declared with `labelled_enum!`).
pub trait State: Copy + Eq + fmt::Display + 'static {
    /// The key stored in documents and in the status history.
    fn key(self) -> &'static str;
    /// The words shown to people.
    fn label(self) -> &'static str;
    /// Every status, in declaration (lifecycle) order.
    fn all() -> &'static [Self];
}

/// Which status may follow which.
pub struct Lifecycle<S: 'static> {
    /// The record named with its article, for messages: "an incident".
    pub noun: &'static str,
    /// From each status, the statuses it may move to.
    pub moves: &'static [(S, &'static [S])],
    /// Statuses in which the record's work is finished: activity after entering one of them,
    /// from another device, needs a person to look (see [`crate::review`]).
    pub finished: &'static [S],
}

impl<S: State> Lifecycle<S> {
    pub fn targets(&self, from: S) -> &'static [S] {
        self.moves
            .iter()
            .find(|(s, _)| *s == from)
            .map(|(_, to)| *to)
            .unwrap_or(&[])
    }

    /// Staying put is always allowed.
    pub fn allows(&self, from: S, to: S) -> bool {
        from == to || self.targets(from).contains(&to)
    }

    pub fn is_finished(&self, status: S) -> bool {
        self.finished.contains(&status)
    }

    fn not_allowed(&self, from: S, to: S) -> WorkflowError {
        let options: Vec<String> = self.targets(from).iter().map(|s| s.to_string()).collect();
        WorkflowError::NotAllowed {
            noun: self.noun,
            from: from.to_string(),
            to: to.to_string(),
            options: match options.as_slice() {
                [] => "nowhere: it is final".to_string(),
                [one] => one.clone(),
                [init @ .., last] => format!("{} or {last}", init.join(", ")),
            },
        }
    }
}

/// The status, status history and work log of a record (implemented by `tracked!`).
pub trait Tracked {
    type Status: State;
    fn status(&self) -> Self::Status;
    fn set_status(&mut self, to: Self::Status);
    fn status_history(&self) -> &[StatusChange];
    fn status_history_mut(&mut self) -> &mut Vec<StatusChange>;
    fn work_log(&self) -> &[WorkLogEntry];
    fn work_log_mut(&mut self) -> &mut Vec<WorkLogEntry>;
}

/// Implements [`Tracked`] for a record with fields `status`, `status_history` and `work_log`.
macro_rules! tracked {
    ($record:ty, $status:ty) => {
        impl $crate::workflow::Tracked for $record {
            type Status = $status;
            fn status(&self) -> $status {
                self.status
            }
            fn set_status(&mut self, to: $status) {
                self.status = to;
            }
            fn status_history(&self) -> &[$crate::records::journal::StatusChange] {
                &self.status_history
            }
            fn status_history_mut(&mut self) -> &mut Vec<$crate::records::journal::StatusChange> {
                &mut self.status_history
            }
            fn work_log(&self) -> &[$crate::records::journal::WorkLogEntry] {
                &self.work_log
            }
            fn work_log_mut(&mut self) -> &mut Vec<$crate::records::journal::WorkLogEntry> {
                &mut self.work_log
            }
        }
    };
}
pub(crate) use tracked;

/// A record with a lifecycle.
pub trait Workflow: Tracked {
    /// What a rule needs to know about *other* records (e.g. whether a problem's fix change is
    /// closed). `()` for most.
    type Facts: Default;

    fn lifecycle() -> &'static Lifecycle<Self::Status>;

    /// The record's own rules for being in status `to`, beyond the lifecycle table. `reason` is
    /// what the person gave for the move. Also run after a merge on the merged record.
    fn check(
        &self,
        _to: Self::Status,
        _reason: &str,
        _facts: &Self::Facts,
    ) -> Result<(), WorkflowError> {
        Ok(())
    }

    /// Moves to `to` if the lifecycle and the record's rules allow it, and records the move.
    fn move_to(
        &mut self,
        to: Self::Status,
        reason: &str,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        self.move_to_with(to, reason, &Self::Facts::default(), meta)
    }

    fn move_to_with(
        &mut self,
        to: Self::Status,
        reason: &str,
        facts: &Self::Facts,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        let from = self.status();
        if from == to {
            return Ok(());
        }
        let lifecycle = Self::lifecycle();
        if !lifecycle.allows(from, to) {
            return Err(lifecycle.not_allowed(from, to));
        }
        let reason = reason.trim();
        self.check(to, reason, facts)?;
        self.set_status(to);
        self.status_history_mut()
            .push(StatusChange::new(meta, to.key(), reason));
        let line = if reason.is_empty() {
            format!("Status {from} → {to}")
        } else {
            format!("Status {from} → {to}: {reason}")
        };
        self.log(meta, line);
        Ok(())
    }

    /// Records the creation: the initial status opens the history, `note` the work log.
    fn start(&mut self, meta: &ChangeMeta, note: &str) {
        let status = self.status().key();
        self.status_history_mut()
            .push(StatusChange::new(meta, status, ""));
        self.log(meta, note);
    }

    /// Appends a line to the work log.
    fn log(&mut self, meta: &ChangeMeta, note: impl Into<String>) {
        self.work_log_mut().push(WorkLogEntry::new(meta, note));
    }

    /// The reason given when the record entered its current status.
    fn current_reason(&self) -> &str {
        let key = self.status().key();
        self.status_history()
            .iter()
            .rev()
            .find(|c| c.status == key)
            .map_or("", |c| c.reason.as_str())
    }

    /// Whether the current (e.g. merged) state still obeys the record's rules.
    fn recheck(&self, facts: &Self::Facts) -> Result<(), WorkflowError> {
        self.check(self.status(), self.current_reason(), facts)
    }
}
