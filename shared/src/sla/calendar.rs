//! Business-hours calendars: an IANA time zone, working hours per weekday, and holidays.
//!
//! Working hours are local wall-clock times, so "08:00–18:00 in Europe/Berlin" stays right
//! across daylight-saving changes. A calendar is stored in the SLA document as plain data
//! ([`Calendar`]) and compiled once ([`BusinessCalendar`]) before counting many records.

use std::collections::HashSet;

use chrono::{Datelike, NaiveDate, NaiveDateTime};

use crate::time::Timestamp;
use crate::time::zone::Zone;

const MINUTES_PER_DAY: u32 = 24 * 60;
const MS_PER_MINUTE: i64 = 60_000;
/// How far ahead `add_business` looks for the end of a target before giving up.
const MAX_DAYS_AHEAD: u32 = 3 * 366;

/// Working hours of one weekday, in minutes after local midnight; `open == close` means closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct WorkingDay {
    pub open: u32,
    pub close: u32,
}

impl WorkingDay {
    pub const CLOSED: WorkingDay = WorkingDay { open: 0, close: 0 };
    pub const ALL_DAY: WorkingDay = WorkingDay {
        open: 0,
        close: MINUTES_PER_DAY,
    };

    pub fn hours(open_h: u32, close_h: u32) -> Self {
        Self {
            open: open_h * 60,
            close: close_h * 60,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Calendar {
    /// IANA time zone name, e.g. `Europe/Berlin`.
    pub time_zone: String,
    /// Monday first, seven days.
    pub week: Vec<WorkingDay>,
    /// Local dates with no working hours, `YYYY-MM-DD`.
    pub holidays: Vec<String>,
}

impl Default for Calendar {
    /// Round the clock, every day, in UTC.
    fn default() -> Self {
        Self {
            time_zone: "UTC".into(),
            week: vec![WorkingDay::ALL_DAY; 7],
            holidays: vec![],
        }
    }
}

impl Calendar {
    /// Monday to Friday, `open_h`:00 to `close_h`:00 local time.
    pub fn office(time_zone: &str, open_h: u32, close_h: u32) -> Self {
        let mut week = vec![WorkingDay::hours(open_h, close_h); 5];
        week.extend([WorkingDay::CLOSED; 2]);
        Self {
            time_zone: time_zone.into(),
            week,
            holidays: vec![],
        }
    }

    pub fn compile(&self) -> Result<BusinessCalendar, CalendarError> {
        let zone = Zone::named(&self.time_zone)
            .map_err(|_| CalendarError::UnknownTimeZone(self.time_zone.clone()))?;
        let week: [WorkingDay; 7] = self
            .week
            .clone()
            .try_into()
            .map_err(|w: Vec<WorkingDay>| CalendarError::WeekLength(w.len()))?;
        if let Some((day, _)) = week
            .iter()
            .enumerate()
            .find(|(_, d)| d.open > d.close || d.close > MINUTES_PER_DAY)
        {
            return Err(CalendarError::BadHours(WEEKDAYS[day]));
        }
        let holidays = self
            .holidays
            .iter()
            .map(|h| {
                NaiveDate::parse_from_str(h, "%Y-%m-%d")
                    .map_err(|_| CalendarError::BadHoliday(h.clone()))
            })
            .collect::<Result<HashSet<_>, _>>()?;
        let always_open = holidays.is_empty() && week.iter().all(|d| *d == WorkingDay::ALL_DAY);
        Ok(BusinessCalendar {
            zone,
            week,
            holidays,
            always_open,
        })
    }
}

const WEEKDAYS: [&str; 7] = [
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CalendarError {
    #[error("'{0}' is not a time zone; use an IANA name such as Europe/Berlin")]
    UnknownTimeZone(String),
    #[error("the working week needs 7 days (Monday first), not {0}")]
    WeekLength(usize),
    #[error("the working hours of {0} must open before they close, within the day")]
    BadHours(&'static str),
    #[error("'{0}' is not a holiday date; write it as YYYY-MM-DD")]
    BadHoliday(String),
}

/// A calendar ready to count.
#[derive(Debug, Clone)]
pub struct BusinessCalendar {
    zone: Zone,
    week: [WorkingDay; 7],
    holidays: HashSet<NaiveDate>,
    /// 24×7 with no holidays: business time is wall time, no need to walk the days.
    always_open: bool,
}

impl BusinessCalendar {
    /// Business milliseconds between two instants (0 if `to` is not after `from`).
    pub fn business_ms(&self, from: Timestamp, to: Timestamp) -> i64 {
        let (from, to) = (from.millis(), to.millis());
        if to <= from {
            return 0;
        }
        if self.always_open {
            return to - from;
        }
        let mut total = 0;
        let mut day = self.local_date(from);
        let last = self.local_date(to);
        while day <= last {
            if let Some((open, close)) = self.open_hours(day) {
                total += (close.min(to) - open.max(from)).max(0);
            }
            match day.succ_opt() {
                Some(next) => day = next,
                None => break,
            }
        }
        total
    }

    /// The instant at which `ms` business milliseconds after `from` have passed, if within
    /// three years.
    pub fn add_business(&self, from: Timestamp, ms: i64) -> Option<Timestamp> {
        let from = from.millis();
        if ms <= 0 {
            return Some(Timestamp(from));
        }
        if self.always_open {
            return Some(Timestamp(from + ms));
        }
        let mut left = ms;
        let mut day = self.local_date(from);
        for _ in 0..MAX_DAYS_AHEAD {
            if let Some((open, close)) = self.open_hours(day) {
                let start = open.max(from);
                let available = (close - start).max(0);
                if available >= left {
                    return Some(Timestamp(start + left));
                }
                left -= available;
            }
            day = day.succ_opt()?;
        }
        None
    }

    fn local_date(&self, ms: i64) -> NaiveDate {
        self.zone.local_date(Timestamp(ms))
    }

    /// The open and close instants (ms) of a local date, if it is a working day.
    fn open_hours(&self, day: NaiveDate) -> Option<(i64, i64)> {
        if self.holidays.contains(&day) {
            return None;
        }
        let hours = self.week[day.weekday().num_days_from_monday() as usize];
        (hours.open < hours.close).then(|| {
            (
                self.instant(day, hours.open),
                self.instant(day, hours.close),
            )
        })
    }

    /// The instant of a local wall-clock time. In a daylight-saving gap the clock jumps
    /// forward, so the time an hour later is the first that exists; in an overlap the earlier
    /// instant is taken ([`Zone::instant`]).
    fn instant(&self, day: NaiveDate, minute: u32) -> i64 {
        let midnight: NaiveDateTime = day.and_hms_opt(0, 0, 0).unwrap_or_default();
        let local = midnight + chrono::Duration::minutes(i64::from(minute));
        self.zone.instant(local).millis()
    }
}

/// Minutes to milliseconds, for targets given in minutes.
pub fn minutes(m: u32) -> i64 {
    i64::from(m) * MS_PER_MINUTE
}
