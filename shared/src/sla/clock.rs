//! The SLA clock, computed from a record's status history and nothing else.
//!
//! No counters are stored: elapsed and paused time are recomputed from the (merged, grow-only)
//! history each time, so every device and the relay agree, a reopen continues where the clock
//! stopped, and a change of SLA re-measures the same history without losing paused time.

use super::calendar::{BusinessCalendar, minutes};
use crate::model::{StatusChange, in_time_order};
use crate::priority::Priority;
use crate::time::Timestamp;

/// Response and resolution targets for one priority, in business minutes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PriorityTarget {
    pub priority: Priority,
    pub response_minutes: u32,
    pub resolution_minutes: u32,
}

/// What the clock needs from an SLA for one record: its calendar, its targets for the
/// record's priority, and which statuses pause and stop it.
#[derive(Debug, Clone)]
pub struct Policy<'a> {
    pub calendar: &'a BusinessCalendar,
    pub target: PriorityTarget,
    pub pause: &'a [String],
    pub stop: &'a [&'a str],
    /// The status a record waits in until someone responds (`new`).
    pub awaiting_response: &'a str,
}

/// How close a target is to breaching.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Warning {
    None,
    /// 50 % of the target used.
    Half,
    /// 75 %.
    ThreeQuarters,
    /// 90 %.
    Ninety,
    Breached,
}

impl Warning {
    fn of(elapsed: i64, target: i64) -> Self {
        if target <= 0 {
            return Warning::None;
        }
        match elapsed.saturating_mul(100) / target {
            _ if elapsed > target => Warning::Breached,
            p if p >= 90 => Warning::Ninety,
            p if p >= 75 => Warning::ThreeQuarters,
            p if p >= 50 => Warning::Half,
            _ => Warning::None,
        }
    }
}

/// One target (response or resolution) measured against the history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Measure {
    pub target_ms: i64,
    /// Business time counted against the target.
    pub elapsed_ms: i64,
    /// Business time spent in pause statuses while the target was running.
    pub paused_ms: i64,
    /// Whether the clock is running now (not met, not paused).
    pub running: bool,
    /// Whether the target is met or finished (response given, record resolved).
    pub stopped: bool,
    pub warning: Warning,
}

impl Measure {
    pub fn breached(&self) -> bool {
        self.warning == Warning::Breached
    }

    /// Percent of the target used (may exceed 100).
    pub fn percent(&self) -> i64 {
        if self.target_ms <= 0 {
            0
        } else {
            self.elapsed_ms.saturating_mul(100) / self.target_ms
        }
    }

    /// When the target will be breached if the clock keeps running, by business hours.
    pub fn due_at(&self, calendar: &BusinessCalendar, now: Timestamp) -> Option<Timestamp> {
        (self.running && !self.breached())
            .then(|| calendar.add_business(now, self.target_ms - self.elapsed_ms))
            .flatten()
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaState {
    pub response: Measure,
    pub resolution: Measure,
}

impl SlaState {
    /// The worse of the two warnings.
    pub fn warning(&self) -> Warning {
        self.response.warning.max(self.resolution.warning)
    }
}

#[derive(Default)]
struct Tally {
    elapsed: i64,
    paused: i64,
}

/// The SLA state of a record with status history `history` at `now`.
pub fn measure(history: &[StatusChange], policy: &Policy<'_>, now: Timestamp) -> SlaState {
    let history = in_time_order(history);
    let is = |list: &[&str], status: &str| list.contains(&status);
    let paused = |status: &str| policy.pause.iter().any(|p| p == status);
    let (mut response, mut resolution) = (Tally::default(), Tally::default());
    let mut responded = false;
    for (i, change) in history.iter().enumerate() {
        let status = change.status.as_str();
        responded |= status != policy.awaiting_response;
        let end = history
            .get(i + 1)
            .map_or(now, |next| next.at)
            .max(change.at);
        let business = policy.calendar.business_ms(change.at, end);
        if is(policy.stop, status) {
            continue;
        }
        let tally = |t: &mut Tally| {
            if paused(status) {
                t.paused += business;
            } else {
                t.elapsed += business;
            }
        };
        tally(&mut resolution);
        if !responded {
            tally(&mut response);
        }
    }
    let current = history.last().map(|c| c.status.as_str());
    let finish = |t: Tally, target_ms: i64, stopped: bool| Measure {
        target_ms,
        elapsed_ms: t.elapsed,
        paused_ms: t.paused,
        running: !stopped && current.is_some_and(|s| !paused(s)),
        stopped,
        warning: Warning::of(t.elapsed, target_ms),
    };
    let resolved = current.is_none_or(|s| is(policy.stop, s));
    SlaState {
        response: finish(response, minutes(policy.target.response_minutes), responded),
        resolution: finish(
            resolution,
            minutes(policy.target.resolution_minutes),
            resolved,
        ),
    }
}
