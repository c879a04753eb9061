//! The SLA clock (ISO 20000 8.3.3): business-hours calendars and targets measured from status
//! histories. Pure and offline: the caller passes `now`.

pub mod calendar;
pub mod clock;

pub use calendar::{BusinessCalendar, Calendar, CalendarError, WorkingDay};
pub use clock::{Measure, Policy, SlaState, Warning, measure};

use crate::records::ChangeMeta;
use crate::records::registers::{Improvement, ImprovementSource};

/// The improvement action a breach produces (ISO 20000 10.2): created once per breached
/// target, by whoever's device first sees the breach.
pub fn breach_improvement(
    number: String,
    record: &str,
    target: &str,
    state: &Measure,
    meta: &ChangeMeta,
) -> Option<Improvement> {
    if !state.breached() {
        return None;
    }
    let opportunity = format!(
        "{record} breached its {target} target ({} % of {} min used): find out why and prevent a repeat",
        state.percent(),
        state.target_ms / 60_000
    );
    Improvement::create(
        number,
        &opportunity,
        ImprovementSource::Breach,
        record,
        meta,
    )
    .ok()
}
