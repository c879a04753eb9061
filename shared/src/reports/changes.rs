//! Changes by outcome: how the changes that finished in a period ended, by change type.

use super::Period;
use super::process::{Process, last_entered};
use crate::records::change::{Change, ChangeStatus, ChangeType, ImplementationOutcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChangeOutcome {
    /// Closed, and its recorded implementation outcome.
    Implemented(ImplementationOutcome),
    /// Closed without an implementation outcome recorded (e.g. before the field existed).
    OutcomeNotRecorded,
    Rejected,
    Cancelled,
}

impl ChangeOutcome {
    pub const ALL: [ChangeOutcome; 7] = [
        ChangeOutcome::Implemented(ImplementationOutcome::Successful),
        ChangeOutcome::Implemented(ImplementationOutcome::WithIssues),
        ChangeOutcome::Implemented(ImplementationOutcome::Failed),
        ChangeOutcome::Implemented(ImplementationOutcome::BackedOut),
        ChangeOutcome::OutcomeNotRecorded,
        ChangeOutcome::Rejected,
        ChangeOutcome::Cancelled,
    ];

    /// The words for a chart legend.
    pub fn label(self) -> &'static str {
        match self {
            ChangeOutcome::Implemented(outcome) => outcome.label(),
            ChangeOutcome::OutcomeNotRecorded => "Closed, outcome not recorded",
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

/// Every outcome in [`ChangeOutcome::ALL`] order, zero rows included, and how many of the
/// closed changes were reworked (sent back from review to implementing at least once).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeOutcomes {
    pub rows: Vec<OutcomeRow>,
    pub reworked: usize,
}

impl ChangeOutcomes {
    pub fn total(&self) -> usize {
        self.rows.iter().map(OutcomeRow::total).sum()
    }
}

/// Changes whose last finishing move (closed, rejected, cancelled) falls in the period; one
/// outcome each.
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
    let mut reworked = 0;
    for change in changes {
        let Some((outcome, rework)) = outcome(change, period) else {
            continue;
        };
        reworked += usize::from(rework);
        if let Some(row) = rows.iter_mut().find(|r| r.outcome == outcome) {
            *match change.change_type {
                ChangeType::Normal => &mut row.normal,
                ChangeType::Standard => &mut row.standard,
                ChangeType::Emergency => &mut row.emergency,
            } += 1;
        }
    }
    ChangeOutcomes { rows, reworked }
}

/// The change's outcome in the period, and whether it was reworked before closing.
fn outcome(change: &Change, period: Period) -> Option<(ChangeOutcome, bool)> {
    let history = &change.status_history;
    let at = last_entered(history, Change::CLOSED, period)?;
    // Entries at the same instant: the last finishing one decides.
    let status = history
        .iter()
        .filter(|c| c.at == at && Change::CLOSED.contains(&c.status.as_str()))
        .map(|c| c.status.as_str())
        .next_back()?;
    Some(match ChangeStatus::parse(status)? {
        ChangeStatus::Closed => {
            let implementing = ChangeStatus::Implementing.as_str();
            let attempts = history
                .iter()
                .filter(|c| c.status == implementing && c.at <= at)
                .count();
            let outcome = change.outcome.map_or(
                ChangeOutcome::OutcomeNotRecorded,
                ChangeOutcome::Implemented,
            );
            (outcome, attempts > 1)
        }
        ChangeStatus::Rejected => (ChangeOutcome::Rejected, false),
        _ => (ChangeOutcome::Cancelled, false),
    })
}
