//! Service reports and KPIs (ISO 20000 9.1 measurement, 9.4 service reporting).
//!
//! Pure functions over slices of records and a [`Period`]: no document access, no clock (the
//! caller passes `now` where an open outage needs an end). Each returns a plain struct that a
//! dashboard can chart as is; counts are of records, not of events, so a ticket resolved
//! twice in a period counts once.
//!
//! | function | what it answers |
//! |---|---|
//! | [`volumes`] | per process: how many opened, resolved, closed in the period |
//! | [`sla_attainment`] | tickets resolved in the period: response and resolution targets met vs breached, per service and overall |
//! | [`backlog`] | tickets open at an instant, by priority |
//! | [`time_to_resolve`] | mean (and median, longest) time from logged to resolved |
//! | [`trend`] | opened and resolved per day or week |
//! | [`changes_by_outcome`] | changes finished in the period by outcome and type |
//! | [`open_major_incidents`] | the major incidents open at an instant |
//! | [`availability`] | a service's measured availability from its major incidents' outages vs its target |
//! | [`time_spent`] | minutes logged in the period per person and per service |
//!
//! Times are instants from the records' status histories (grow-only, merged), so every device
//! computes the same report from the same records.

mod attainment;
mod availability;
mod backlog;
mod changes;
mod major;
mod process;
mod resolution;
mod time_spent;
mod trend;
mod volumes;

pub use attainment::{Attainment, ServiceAttainment, SlaAttainment, Unmeasured, sla_attainment};
pub use availability::{
    Availability, OutageWindow, availability, by_service as availability_by_service,
};
pub use backlog::{Backlog, backlog};
pub use changes::{ChangeOutcome, ChangeOutcomes, OutcomeRow, changes_by_outcome};
pub use major::{MajorIncidentRow, open_major_incidents};
pub use process::{Process, Ticket};
pub use resolution::{ResolutionTimes, time_to_resolve};
pub use time_spent::{TimeSpent, Worked, logged, time_spent};
pub use trend::{Bucket, TrendPoint, trend};
pub use volumes::{Volume, volumes};

use crate::time::Timestamp;

/// Why a report could not be computed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReportError {
    #[error("the report period must end after it starts ({start} to {end})")]
    EmptyPeriod { start: Timestamp, end: Timestamp },
    #[error("'{0}' is not a time zone; use an IANA name such as Europe/Berlin")]
    UnknownTimeZone(String),
    #[error("{buckets} {unit} are too many for one chart; choose a shorter period or weeks")]
    TooManyBuckets { buckets: usize, unit: &'static str },
    #[error(
        "the availability target of {service} must be a percentage between 0 and 100, not {target}"
    )]
    BadTarget { service: String, target: f64 },
}

/// The half-open interval `[start, end)` a report covers. Built with [`Period::new`], so a
/// report never sees an empty or reversed period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Period {
    start: Timestamp,
    end: Timestamp,
}

impl Period {
    pub fn new(start: Timestamp, end: Timestamp) -> Result<Self, ReportError> {
        if end <= start {
            return Err(ReportError::EmptyPeriod { start, end });
        }
        Ok(Self { start, end })
    }

    pub fn start(self) -> Timestamp {
        self.start
    }

    pub fn end(self) -> Timestamp {
        self.end
    }

    pub fn contains(self, at: Timestamp) -> bool {
        self.start <= at && at < self.end
    }

    pub fn length_ms(self) -> i64 {
        self.end.millis() - self.start.millis()
    }
}
