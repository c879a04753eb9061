//! What incidents and service requests share: one lifecycle and its pending rule.

use super::labels::labelled_enum;
use crate::workflow::{Lifecycle, WorkflowError};

labelled_enum! {
    /// The lifecycle new → assigned → in progress ⇄ pending → resolved → closed, with reopen
    /// from resolved or closed back to in progress.
    pub enum TicketStatus {
        New = ("new", "New"),
        Assigned = ("assigned", "Assigned"),
        InProgress = ("in_progress", "In progress"),
        Pending = ("pending", "Pending"),
        Resolved = ("resolved", "Resolved"),
        Closed = ("closed", "Closed"),
    }
}

use TicketStatus::*;

const MOVES: &[(TicketStatus, &[TicketStatus])] = &[
    (New, &[Assigned, InProgress, Resolved]),
    (Assigned, &[InProgress, Pending, Resolved]),
    (InProgress, &[Assigned, Pending, Resolved]),
    (Pending, &[InProgress, Assigned, Resolved]),
    (Resolved, &[Closed, InProgress]),
    (Closed, &[InProgress]),
];

pub static INCIDENT_LIFECYCLE: Lifecycle<TicketStatus> = Lifecycle {
    noun: "an incident",
    moves: MOVES,
    finished: &[Closed],
};

pub static REQUEST_LIFECYCLE: Lifecycle<TicketStatus> = Lifecycle {
    noun: "a service request",
    moves: MOVES,
    finished: &[Closed],
};

/// The statuses in which the SLA clock stops counting resolution time.
pub const STOP_STATUSES: [&str; 2] = ["resolved", "closed"];
/// The statuses in which the SLA clock is paused by default.
pub const PAUSE_STATUSES: [&str; 1] = ["pending"];

/// Pending needs a reason: the SLA clock pauses while pending, so an auditor must see why.
pub fn check_pending(to: TicketStatus, reason: &str) -> Result<(), WorkflowError> {
    if to == Pending && reason.is_empty() {
        return Err(WorkflowError::ReasonRequired {
            status: "pending".into(),
            consequence: ", and the SLA clock pauses until it moves on",
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- as data, for the record engine

/// The statuses of incidents, security incidents and service requests.
pub const TICKET_STATUSES: crate::model::Choices = crate::model::Choices::new(&[
    ("new", "New"),
    ("assigned", "Assigned"),
    ("in_progress", "In progress"),
    ("pending", "Pending"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
]);

const TICKET_MOVES: &[(&str, &[&str])] = &[
    ("new", &["assigned", "in_progress", "resolved"]),
    ("assigned", &["in_progress", "pending", "resolved"]),
    ("in_progress", &["assigned", "pending", "resolved"]),
    ("pending", &["in_progress", "assigned", "resolved"]),
    ("resolved", &["closed", "in_progress"]),
    ("closed", &["in_progress"]),
];

/// Pending needs a reason: the SLA clock pauses while pending, so an auditor must see why.
const PENDING_REASON: &[(&str, &str)] =
    &[("pending", ", and the SLA clock pauses until it moves on")];

/// The ticket lifecycle of the record named `noun` ("an incident").
pub const fn ticket_lifecycle(noun: &'static str) -> crate::model::Lifecycle {
    crate::model::Lifecycle {
        noun,
        statuses: &TICKET_STATUSES,
        moves: TICKET_MOVES,
        finished: &["closed"],
        reasons: PENDING_REASON,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pending_needs_a_reason() {
        let err = check_pending(Pending, "").unwrap_err();
        assert_eq!(
            err.to_string(),
            "say why it is pending: a reason is required, and the SLA clock pauses until it moves on"
        );
        assert!(check_pending(Pending, "waiting for parts").is_ok());
        assert!(check_pending(Resolved, "").is_ok());
    }

    #[test]
    fn unknown_status_is_a_readable_error() {
        use autosurgeon::Hydrate;
        let err = TicketStatus::hydrate_string("parked").unwrap_err();
        assert!(err.to_string().contains("'parked'"), "{err}");
        assert!(err.to_string().contains("'in_progress'"), "{err}");
    }
}
