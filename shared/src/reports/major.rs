//! The major incidents open at an instant.

use super::process::{open_at, opened_at};
use crate::records::incident::Incident;
use crate::time::Timestamp;

/// One line of the major-incident board.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MajorIncidentRow {
    pub number: String,
    pub title: String,
    pub service: String,
    pub owner: String,
    pub opened_at: Timestamp,
    /// How long it has been open at the report instant.
    pub open_ms: i64,
    /// Whether its service is down at the report instant (an outage without an end).
    pub service_down: bool,
}

/// Major incidents open (logged, not resolved or closed) at `at`, oldest first.
pub fn open_major_incidents<'a>(
    incidents: impl IntoIterator<Item = &'a Incident>,
    at: Timestamp,
) -> Vec<MajorIncidentRow> {
    let mut rows: Vec<MajorIncidentRow> = incidents
        .into_iter()
        .filter(|i| i.major && open_at(*i, at))
        .map(|i| {
            let opened = opened_at(&i.status_history).unwrap_or(i.created_at);
            MajorIncidentRow {
                number: i.number.clone(),
                title: i.title.clone(),
                service: i.service.clone(),
                owner: i.major_owner.clone(),
                opened_at: opened,
                open_ms: (at.millis() - opened.millis()).max(0),
                service_down: i
                    .outage
                    .is_some_and(|o| o.start <= at && o.end.is_none_or(|end| at < end)),
            }
        })
        .collect();
    crate::order::sort_by(&mut rows, |a, b| {
        a.opened_at.cmp(&b.opened_at).then(a.number.cmp(&b.number))
    });
    rows
}
