//! Per-process volumes: opened, resolved and closed in a period.

use super::Period;
use super::process::{Process, last_entered, opened_at, resolved_in};

/// How many records of one process were opened, resolved and closed in the period. A record
/// counts once per column however often it moved (a reopened and re-resolved ticket is one
/// resolution). For problems and changes, resolving is closing: both columns hold the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub process: &'static str,
    pub opened: usize,
    pub resolved: usize,
    pub closed: usize,
}

pub fn volumes<R: Process>(records: &[R], period: Period) -> Volume {
    let count = |f: &dyn Fn(&R) -> bool| records.iter().filter(|r| f(r)).count();
    Volume {
        process: R::PROCESS,
        opened: count(&|r| opened_at(r.status_history()).is_some_and(|at| period.contains(at))),
        resolved: count(&|r| resolved_in(r, period).is_some()),
        closed: count(&|r| last_entered(r.status_history(), R::CLOSED, period).is_some()),
    }
}
