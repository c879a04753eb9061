//! Trend: records opened and resolved per day or week, by local calendar days.

use chrono::{Datelike, Duration, NaiveDate};

use super::process::{Process, opened_at};
use super::{Period, ReportError};
use crate::time::Timestamp;
use crate::time::zone::Zone;

/// More points than any chart can show; also bounds the work a bad period can cause.
const MAX_BUCKETS: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Bucket {
    Day,
    /// Monday to Sunday.
    Week,
}

/// One point of the trend. The first and last buckets are clipped to the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrendPoint {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The local date the bucket starts on (a week's Monday), `YYYY-MM-DD`, for the axis.
    pub label: String,
    pub opened: usize,
    /// Records resolved (or, for problems and changes, closed) in the bucket, once each.
    pub resolved: usize,
}

/// Opened and resolved per local day or week of `time_zone` (an IANA name).
pub fn trend<R: Process>(
    records: &[R],
    period: Period,
    bucket: Bucket,
    time_zone: &str,
) -> Result<Vec<TrendPoint>, ReportError> {
    let zone =
        Zone::named(time_zone).map_err(|_| ReportError::UnknownTimeZone(time_zone.into()))?;
    let (step, unit) = match bucket {
        Bucket::Day => (1, "days"),
        Bucket::Week => (7, "weeks"),
    };
    // Checked before building anything, so a period of centuries fails fast.
    let estimate = usize::try_from(period.length_ms() / (step * 86_400_000)).unwrap_or(usize::MAX);
    if estimate.saturating_add(2) > MAX_BUCKETS {
        return Err(ReportError::TooManyBuckets {
            buckets: estimate.saturating_add(1),
            unit,
        });
    }
    let mut day = zone.local_date(period.start());
    if bucket == Bucket::Week {
        day -= Duration::days(i64::from(day.weekday().num_days_from_monday()));
    }
    let mut points = vec![];
    while local_midnight(&zone, day) < period.end() {
        let next = day + Duration::days(step);
        points.push(TrendPoint {
            start: local_midnight(&zone, day).max(period.start()),
            end: local_midnight(&zone, next).min(period.end()),
            label: day.format("%Y-%m-%d").to_string(),
            opened: 0,
            resolved: 0,
        });
        day = next;
    }
    let index = |at: Timestamp| -> Option<usize> {
        period
            .contains(at)
            .then(|| points.partition_point(|p| p.end <= at))
    };
    let resolved_keys = if R::RESOLVED.is_empty() {
        R::CLOSED
    } else {
        R::RESOLVED
    };
    let mut opened = vec![0; points.len()];
    let mut resolved = vec![0; points.len()];
    for record in records {
        let history = record.status_history();
        if let Some(i) = opened_at(history).and_then(index) {
            opened[i] += 1;
        }
        let mut buckets: Vec<usize> = history
            .iter()
            .filter(|c| resolved_keys.contains(&c.status.as_str()))
            .filter_map(|c| index(c.at))
            .collect();
        buckets.sort_unstable();
        buckets.dedup();
        for i in buckets {
            resolved[i] += 1;
        }
    }
    for (i, point) in points.iter_mut().enumerate() {
        point.opened = opened[i];
        point.resolved = resolved[i];
    }
    Ok(points)
}

/// The instant a local date begins. Where midnight falls in a daylight-saving gap, the day
/// begins at the first instant that exists ([`Zone::instant`]).
fn local_midnight(zone: &Zone, day: NaiveDate) -> Timestamp {
    zone.instant(day.and_hms_opt(0, 0, 0).unwrap_or_default())
}
