//! Backlog: the tickets open at an instant, by priority.

use super::process::{Ticket, open_at};
use crate::priority::{Priority, PriorityMatrix};
use crate::time::Timestamp;

/// Open tickets at `at`: one count per priority, P1 first, every priority present (zero
/// included) so a chart's bars stay in place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backlog {
    pub at: Timestamp,
    pub by_priority: Vec<(Priority, usize)>,
    pub total: usize,
}

/// Tickets logged at or before `at` and not resolved or closed then. The priority is the
/// ticket's current one (impact and urgency keep no history of their own).
pub fn backlog<T: Ticket>(tickets: &[T], matrix: &PriorityMatrix, at: Timestamp) -> Backlog {
    let mut by_priority: Vec<(Priority, usize)> = Priority::ALL.iter().map(|&p| (p, 0)).collect();
    for ticket in tickets.iter().filter(|t| open_at(*t, at)) {
        let priority = ticket.ticket_priority(matrix);
        if let Some(row) = by_priority.iter_mut().find(|(p, _)| *p == priority) {
            row.1 += 1;
        }
    }
    let total = by_priority.iter().map(|(_, n)| n).sum();
    Backlog {
        at,
        by_priority,
        total,
    }
}
