//! What the reports need to know about a record type: which process it belongs to, which
//! statuses mean resolved and closed, and (for tickets) its service, SLA and priority.
//! One place per record type, so every report counts "resolved" the same way.

use crate::model::{StatusChange, in_time_order};
use crate::priority::{Priority, PriorityMatrix};
use crate::records::change::Change;
use crate::records::incident::Incident;
use crate::records::problem::Problem;
use crate::records::request::ServiceRequest;
use crate::records::security::SecurityIncident;
use crate::time::Timestamp;

use super::Period;

/// A record type that a process report counts.
pub trait Process {
    /// The process, as a report heading: "Incidents".
    const PROCESS: &'static str;
    /// Status keys in which the record's work is done but not yet closed (a problem or a
    /// change has none: closing is resolving).
    const RESOLVED: &'static [&'static str];
    /// Status keys that end the record's life.
    const CLOSED: &'static [&'static str];

    fn record_number(&self) -> &str;
    fn status_history(&self) -> &[StatusChange];
}

/// A ticket with an SLA clock: incidents, service requests, security incidents.
pub trait Ticket: Process {
    /// The service record number.
    fn service(&self) -> &str;
    /// The SLA record number.
    fn sla(&self) -> &str;
    fn ticket_priority(&self, matrix: &PriorityMatrix) -> Priority;
}

/// Incidents, security incidents and service requests share the ticket lifecycle and fields.
macro_rules! ticket {
    ($record:ty, $process:literal) => {
        impl Process for $record {
            const PROCESS: &'static str = $process;
            const RESOLVED: &'static [&'static str] = &["resolved"];
            const CLOSED: &'static [&'static str] = &["closed"];
            fn record_number(&self) -> &str {
                &self.number
            }
            fn status_history(&self) -> &[StatusChange] {
                &self.status_history
            }
        }

        impl Ticket for $record {
            fn service(&self) -> &str {
                &self.service
            }
            fn sla(&self) -> &str {
                &self.sla
            }
            fn ticket_priority(&self, matrix: &PriorityMatrix) -> Priority {
                self.priority(matrix)
            }
        }
    };
}

ticket!(Incident, "Incidents");
ticket!(SecurityIncident, "Security incidents");
ticket!(ServiceRequest, "Service requests");

impl Process for Problem {
    const PROCESS: &'static str = "Problems";
    const RESOLVED: &'static [&'static str] = &[];
    const CLOSED: &'static [&'static str] = &["closed"];
    fn record_number(&self) -> &str {
        &self.number
    }
    fn status_history(&self) -> &[StatusChange] {
        &self.status_history
    }
}

impl Process for Change {
    const PROCESS: &'static str = "Changes";
    const RESOLVED: &'static [&'static str] = &[];
    const CLOSED: &'static [&'static str] = &["closed", "rejected", "cancelled"];
    fn record_number(&self) -> &str {
        &self.number
    }
    fn status_history(&self) -> &[StatusChange] {
        &self.status_history
    }
}

/// When the record was opened: its first status change (the history starts at creation).
pub(crate) fn opened_at(history: &[StatusChange]) -> Option<Timestamp> {
    history.iter().map(|c| c.at).min()
}

/// The status the record was in at `at` (the last status entered at or before it).
pub(crate) fn status_at(history: &[StatusChange], at: Timestamp) -> Option<&str> {
    in_time_order(history)
        .into_iter()
        .take_while(|c| c.at <= at)
        .last()
        .map(|c| c.status.as_str())
}

/// The last time within `period` the record entered one of `keys`.
pub(crate) fn last_entered(
    history: &[StatusChange],
    keys: &[&str],
    period: Period,
) -> Option<Timestamp> {
    history
        .iter()
        .filter(|c| period.contains(c.at) && keys.contains(&c.status.as_str()))
        .map(|c| c.at)
        .max()
}

/// When the record was resolved within `period`: the last entry into a resolved status, or
/// into a closed one for processes without a resolved status.
pub(crate) fn resolved_in<R: Process>(record: &R, period: Period) -> Option<Timestamp> {
    let keys = if R::RESOLVED.is_empty() {
        R::CLOSED
    } else {
        R::RESOLVED
    };
    last_entered(record.status_history(), keys, period)
}

/// Whether a record was open (logged and not resolved or closed) at `at`.
pub(crate) fn open_at<R: Process>(record: &R, at: Timestamp) -> bool {
    status_at(record.status_history(), at)
        .is_some_and(|s| !R::RESOLVED.contains(&s) && !R::CLOSED.contains(&s))
}
