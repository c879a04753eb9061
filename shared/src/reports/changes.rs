//! Changes by outcome, as the change model records them: closed after implementation (at
//! the first attempt, or after review sent it back to implementing), rejected, cancelled.

use super::Period;
use super::process::{Process, last_entered};
use crate::records::change::{Change, ChangeStatus, ChangeType};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeOutcome {
    /// Implemented, reviewed and closed at the first attempt.
    Implemented,
    /// Closed after its review sent it back to implementing at least once (reworked).
    ImplementedAfterRework,
    Rejected,
    Cancelled,
}

impl ChangeOutcome {
    pub const ALL: [ChangeOutcome; 4] = [
        ChangeOutcome::Implemented,
        ChangeOutcome::ImplementedAfterRework,
        ChangeOutcome::Rejected,
        ChangeOutcome::Cancelled,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ChangeOutcome::Implemented => "Implemented",
            ChangeOutcome::ImplementedAfterRework => "Implemented after rework",
            ChangeOutcome::Rejected => "Rejected",
            ChangeOutcome::Cancelled => "Cancelled",
        }
    }
}

/// One outcome, split by change type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutcomeRow {
    pub outcome: ChangeOutcome,
    pub normal: usize,
    pub standard: usize,
    pub emergency: usize,
}

impl OutcomeRow {
    pub fn total(&self) -> usize {
        self.normal + self.standard + self.emergency
    }
}

/// Every outcome in [`ChangeOutcome::ALL`] order, zero rows included.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOutcomes {
    pub rows: Vec<OutcomeRow>,
}

impl ChangeOutcomes {
    pub fn total(&self) -> usize {
        self.rows.iter().map(OutcomeRow::total).sum()
    }
}

/// Changes whose last finishing move (closed, rejected, cancelled) in the period is where
/// they ended it; one outcome each.
pub fn changes_by_outcome(changes: &[Change], period: Period) -> ChangeOutcomes {
    let mut rows: Vec<OutcomeRow> = ChangeOutcome::ALL
        .iter()
        .map(|&outcome| OutcomeRow {
            outcome,
            normal: 0,
            standard: 0,
            emergency: 0,
        })
        .collect();
    for change in changes {
        let Some(outcome) = outcome(change, period) else {
            continue;
        };
        if let Some(row) = rows.iter_mut().find(|r| r.outcome == outcome) {
            *match change.change_type {
                ChangeType::Normal => &mut row.normal,
                ChangeType::Standard => &mut row.standard,
                ChangeType::Emergency => &mut row.emergency,
            } += 1;
        }
    }
    ChangeOutcomes { rows }
}

fn outcome(change: &Change, period: Period) -> Option<ChangeOutcome> {
    let history = &change.status_history;
    let at = last_entered(history, Change::CLOSED, period)?;
    // Entries at the same instant: the finishing one decides.
    let status = history
        .iter()
        .filter(|c| c.at == at && Change::CLOSED.contains(&c.status.as_str()))
        .map(|c| c.status.as_str())
        .next_back()?;
    let implementing = ChangeStatus::Implementing.as_str();
    Some(match ChangeStatus::parse(status)? {
        ChangeStatus::Closed
            if history
                .iter()
                .filter(|c| c.status == implementing && c.at <= at)
                .count()
                > 1 =>
        {
            ChangeOutcome::ImplementedAfterRework
        }
        ChangeStatus::Closed => ChangeOutcome::Implemented,
        ChangeStatus::Rejected => ChangeOutcome::Rejected,
        _ => ChangeOutcome::Cancelled,
    })
}
