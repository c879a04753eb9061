//! What incidents, security incidents and service requests share: one lifecycle (new →
//! assigned → in progress ⇄ pending → resolved → closed, reopen from resolved or closed back to
//! in progress; pending needs a reason), where a ticket is, and its priority.

use super::labels::labelled_enum;
use crate::model::{Lifecycle, Place, Record};
use crate::priority::{Level, Priority, PriorityMatrix};

labelled_enum! {
    pub enum TicketStatus {
        New = ("new", "New"),
        Assigned = ("assigned", "Assigned"),
        InProgress = ("in_progress", "In progress"),
        Pending = ("pending", "Pending"),
        Resolved = ("resolved", "Resolved"),
        Closed = ("closed", "Closed"),
    }
}

/// The statuses in which the SLA clock stops counting resolution time.
pub const STOP_STATUSES: [&str; 2] = ["resolved", "closed"];
/// The statuses in which the SLA clock is paused by default.
pub const PAUSE_STATUSES: [&str; 1] = ["pending"];

/// The ticket lifecycle of the record named `noun` ("an incident").
pub const fn ticket_lifecycle(noun: &'static str) -> Lifecycle {
    Lifecycle {
        noun,
        statuses: TicketStatus::CHOICES.options,
        moves: &[
            ("new", &["assigned", "in_progress", "resolved"]),
            ("assigned", &["in_progress", "pending", "resolved"]),
            ("in_progress", &["assigned", "pending", "resolved"]),
            ("pending", &["in_progress", "assigned", "resolved"]),
            ("resolved", &["closed", "in_progress"]),
            ("closed", &["in_progress"]),
        ],
        finished: &["closed"],
        // The SLA clock pauses while pending, so an auditor must see why.
        reasons: &[("pending", ", and the SLA clock pauses until it moves on")],
    }
}

/// Where a ticket is: its site, its team (assignment group) and its assignee.
pub const TICKET_PLACE: Place = Place {
    site: "site",
    team: "group",
    assignee: "assignee",
};

/// A ticket's priority, from its impact and urgency.
pub fn priority(r: &Record, matrix: &PriorityMatrix) -> Priority {
    matrix.priority(Level::of(r.str("impact")), Level::of(r.str("urgency")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{ChangeMeta, Facts};
    use crate::records::incident::INCIDENT;
    use crate::time::Timestamp;

    #[test]
    fn pending_needs_a_reason() {
        let meta = ChangeMeta {
            author: "ana".into(),
            device: "t".into(),
            at: Timestamp(1),
        };
        let mut r = Record::new(&INCIDENT);
        r.move_to("assigned", "", &Facts::default(), &meta).unwrap();
        let err = r
            .move_to("pending", "", &Facts::default(), &meta)
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "say why it is pending: a reason is required, and the SLA clock pauses until it moves on"
        );
        r.move_to("pending", "waiting for parts", &Facts::default(), &meta)
            .unwrap();
        r.move_to("resolved", "", &Facts::default(), &meta).unwrap();
    }
}
