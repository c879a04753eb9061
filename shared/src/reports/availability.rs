//! Availability (ISO 20000 8.7.1): a service's measured availability over a period, from the
//! outages of the major incidents on it, against its target.

use super::{Period, ReportError};
use crate::records::incident::Incident;
use crate::records::service::Service;
use crate::time::Timestamp;

/// A stretch of downtime within the period: overlapping outages merged, clipped to the period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutageWindow {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The major incidents whose outages make up the window.
    pub incidents: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Availability {
    pub service: String,
    pub period_ms: i64,
    pub downtime_ms: i64,
    /// 100 × (period − downtime) / period, in [0, 100].
    pub measured_percent: f64,
    /// `None` when the service has no target (0).
    pub target_percent: Option<f64>,
    /// Whether the measured availability reaches the target; `None` without a target.
    pub met: Option<bool>,
    pub outages: Vec<OutageWindow>,
}

/// The availability of `service` over `period`. Outages come from the major incidents on the
/// service (incidents naming its record number); an outage still open runs until `now`.
/// Downtime counts wall-clock time: the service hours are words, not a calendar.
pub fn availability<'a>(
    service: &Service,
    incidents: impl IntoIterator<Item = &'a Incident>,
    period: Period,
    now: Timestamp,
) -> Result<Availability, ReportError> {
    let target = service.availability_target;
    if !(0.0..=100.0).contains(&target) {
        return Err(ReportError::BadTarget {
            service: service.number.clone(),
            target,
        });
    }
    let mut spans: Vec<(Timestamp, Timestamp, &str)> = incidents
        .into_iter()
        .filter(|i| i.major && i.service == service.number)
        .filter_map(|i| {
            let outage = i.outage?;
            let start = outage.start.max(period.start());
            let end = outage.end.unwrap_or(now).min(period.end());
            (start < end).then_some((start, end, i.number.as_str()))
        })
        .collect();
    crate::order::sort(&mut spans);
    let mut outages: Vec<OutageWindow> = vec![];
    for (start, end, number) in spans {
        match outages.last_mut() {
            // Touching or overlapping: one window, so downtime is never counted twice.
            Some(last) if start <= last.end => {
                last.end = last.end.max(end);
                if !last.incidents.iter().any(|n| n == number) {
                    last.incidents.push(number.into());
                }
            }
            _ => outages.push(OutageWindow {
                start,
                end,
                incidents: vec![number.into()],
            }),
        }
    }
    let period_ms = period.length_ms();
    let downtime_ms: i64 = outages
        .iter()
        .map(|w| w.end.millis() - w.start.millis())
        .sum();
    let measured_percent = 100.0 * (period_ms - downtime_ms) as f64 / period_ms as f64;
    let target_percent = (target > 0.0).then_some(target);
    Ok(Availability {
        service: service.number.clone(),
        period_ms,
        downtime_ms,
        measured_percent,
        target_percent,
        met: target_percent.map(|t| measured_percent >= t),
        outages,
    })
}
