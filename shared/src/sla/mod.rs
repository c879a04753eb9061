//! The SLA clock (ISO 20000 8.3.3): business-hours calendars and targets measured from status
//! histories. Pure and offline: the caller passes `now`.

pub mod calendar;
pub mod clock;

pub use calendar::{BusinessCalendar, Calendar, CalendarError, WorkingDay};
pub use clock::{Measure, Policy, PriorityTarget, SlaState, Warning, measure};
