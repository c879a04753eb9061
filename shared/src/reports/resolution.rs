//! Mean time to resolve.

use super::Period;
use super::process::{Process, opened_at, resolved_in};
use crate::sla::BusinessCalendar;

/// How long the records resolved in the period took, from logged to (last) resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ResolutionTimes {
    pub resolved: usize,
    /// `None` when nothing was resolved.
    pub mean_ms: Option<i64>,
    pub median_ms: Option<i64>,
    pub longest_ms: Option<i64>,
}

/// Wall-clock time with `calendar` `None`, business time by the calendar otherwise. Time spent
/// pending counts: this is what the customer waited, not the SLA clock.
pub fn time_to_resolve<R: Process>(
    records: &[R],
    period: Period,
    calendar: Option<&BusinessCalendar>,
) -> ResolutionTimes {
    let mut durations: Vec<i64> = records
        .iter()
        .filter_map(|r| {
            let resolved = resolved_in(r, period)?;
            let opened = opened_at(r.status_history())?;
            Some(match calendar {
                Some(calendar) => calendar.business_ms(opened, resolved),
                None => (resolved.millis() - opened.millis()).max(0),
            })
        })
        .collect();
    durations.sort_unstable();
    let n = durations.len();
    let total: i128 = durations.iter().map(|&d| i128::from(d)).sum();
    ResolutionTimes {
        resolved: n,
        mean_ms: (n > 0).then(|| (total / n as i128) as i64),
        median_ms: (n > 0).then(|| match n % 2 {
            1 => durations[n / 2],
            _ => durations[n / 2 - 1] / 2 + durations[n / 2] / 2,
        }),
        longest_ms: durations.last().copied(),
    }
}
