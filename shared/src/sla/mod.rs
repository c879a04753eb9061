//! The SLA clock (ISO 20000 8.3.3): business-hours calendars and targets measured from status
//! histories. Pure and offline: the caller passes `now`.

pub mod calendar;
pub mod clock;

pub use calendar::{BusinessCalendar, Calendar, CalendarError, WorkingDay};
pub use clock::{Measure, Policy, SlaState, Warning, measure};

use crate::model::{ChangeMeta, Record};
use crate::records::registers::{IMPROVEMENT, open_improvement};

/// The improvement action a breach produces (ISO 20000 10.2): created once per breached
/// target, by whoever's device first sees the breach.
pub fn breach_improvement(
    number: String,
    record: &str,
    target: &str,
    state: &Measure,
    meta: &ChangeMeta,
) -> Option<Record> {
    if !state.breached() {
        return None;
    }
    let opportunity = format!(
        "{record} breached its {target} target ({} % of {} min used): find out why and prevent a repeat",
        state.percent(),
        state.target_ms / 60_000
    );
    let mut improvement = Record::new(&IMPROVEMENT);
    improvement.set("number", number);
    improvement.set("opportunity", opportunity);
    improvement.set("source_ref", record);
    open_improvement(&mut improvement, "breach", meta);
    Some(improvement)
}
