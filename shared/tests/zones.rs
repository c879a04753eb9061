//! Time zones from supplied offsets (`shared::time::zone`), the way the browser app gets them
//! from `Intl`: rules written here (fixed daylight-saving rules, a provider installed once) give
//! the same local dates, gaps, overlaps, business time and trends as the built-in database.

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use chrono::{Datelike, NaiveDate, NaiveDateTime, Weekday};
use common::{HOUR, MINUTE, MONDAY};
use shared::reports::{Bucket, Period, ReportError, trend};
use shared::sla::{Calendar, CalendarError, WorkingDay};
use shared::time::Timestamp;
use shared::time::zone::{self, LocalTime, Offsets, Zone};

/// Asked-for offsets of `Test/Counted` (a copy of `Test/Middle-European`).
static COUNTED: AtomicUsize = AtomicUsize::new(0);

/// The provider the tests install, as the app installs its `Intl` one.
fn provide(name: &str) -> Option<Arc<dyn Offsets>> {
    Some(match name {
        "Test/Middle-European" => Arc::new(MiddleEuropean),
        "Test/Newfoundland" => Arc::new(Newfoundland),
        "Test/Midnight" => Arc::new(Midnight),
        "Test/Counted" => Arc::new(Counted),
        "Test/Fixed+0545" => Arc::new(Fixed(5 * 3600 + 45 * 60)),
        _ => return None,
    })
}

fn setup() {
    zone::install(provide);
}

/// The instant (UTC seconds) of a UTC wall time.
fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> i64 {
    wall(y, m, d, h, min).and_utc().timestamp()
}

fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap()
}

fn ts(secs: i64) -> Timestamp {
    Timestamp(secs * 1000)
}

/// The `n`th `weekday` of a month (n = 1..=4), or with n = 0 its last.
fn weekday_of(year: i32, month: u32, weekday: Weekday, n: u32) -> u32 {
    if n == 0 {
        let last = NaiveDate::from_ymd_opt(year, month + 1, 1)
            .unwrap()
            .pred_opt()
            .unwrap();
        let back = (7 + last.weekday().num_days_from_monday() - weekday.num_days_from_monday()) % 7;
        return last.day() - back;
    }
    let first = NaiveDate::from_ymd_opt(year, month, 1).unwrap().weekday();
    1 + (7 + weekday.num_days_from_monday() - first.num_days_from_monday()) % 7 + 7 * (n - 1)
}

fn year_of(utc_secs: i64) -> i32 {
    chrono::DateTime::from_timestamp(utc_secs, 0)
        .unwrap()
        .year()
}

/// The EU rule Europe/Berlin has followed since 1996: UTC+1, UTC+2 from the last Sunday of March
/// 01:00 UTC to the last Sunday of October 01:00 UTC.
struct MiddleEuropean;

impl Offsets for MiddleEuropean {
    fn offset_secs(&self, utc_secs: i64) -> i32 {
        let y = year_of(utc_secs);
        let begins = utc(y, 3, weekday_of(y, 3, Weekday::Sun, 0), 1, 0);
        let ends = utc(y, 10, weekday_of(y, 10, Weekday::Sun, 0), 1, 0);
        if (begins..ends).contains(&utc_secs) {
            7200
        } else {
            3600
        }
    }
}

struct Counted;

impl Offsets for Counted {
    fn offset_secs(&self, utc_secs: i64) -> i32 {
        COUNTED.fetch_add(1, Ordering::Relaxed);
        MiddleEuropean.offset_secs(utc_secs)
    }
}

/// Half-hour offsets changing at 02:00 local, so at 05:30 and 04:30 UTC: UTC−3:30, UTC−2:30
/// from the second Sunday of March to the first Sunday of November.
struct Newfoundland;

impl Offsets for Newfoundland {
    fn offset_secs(&self, utc_secs: i64) -> i32 {
        let y = year_of(utc_secs);
        let begins = utc(y, 3, weekday_of(y, 3, Weekday::Sun, 2), 5, 30);
        let ends = utc(y, 11, weekday_of(y, 11, Weekday::Sun, 1), 4, 30);
        if (begins..ends).contains(&utc_secs) {
            -9000
        } else {
            -12600
        }
    }
}

/// Clocks that change at local midnight: UTC−4, UTC−3 from the first Sunday of September
/// (00:00 becomes 01:00) to the first Sunday of April (00:00 becomes 23:00 the day before).
struct Midnight;

impl Offsets for Midnight {
    fn offset_secs(&self, utc_secs: i64) -> i32 {
        let y = year_of(utc_secs);
        let ends = utc(y, 4, weekday_of(y, 4, Weekday::Sun, 1), 3, 0);
        let begins = utc(y, 9, weekday_of(y, 9, Weekday::Sun, 1), 4, 0);
        if utc_secs < ends || utc_secs >= begins {
            -10800
        } else {
            -14400
        }
    }
}

struct Fixed(i32);

impl Offsets for Fixed {
    fn offset_secs(&self, _: i64) -> i32 {
        self.0
    }
}

#[test]
fn offsets_and_local_dates_come_from_the_supplied_rules() {
    setup();
    let zone = Zone::named("Test/Middle-European").unwrap();
    assert_eq!(zone.name(), "Test/Middle-European");
    assert_eq!(zone.offset_secs(ts(utc(2027, 1, 15, 12, 0))), 3600);
    assert_eq!(zone.offset_secs(ts(utc(2027, 7, 15, 12, 0))), 7200);
    // The second the clocks change, found inside the day.
    assert_eq!(zone.offset_secs(ts(utc(2027, 3, 28, 1, 0) - 1)), 3600);
    assert_eq!(zone.offset_secs(ts(utc(2027, 3, 28, 1, 0))), 7200);
    assert_eq!(
        zone.offset_secs(Timestamp(utc(2027, 3, 28, 1, 0) * 1000 - 1)),
        3600
    );
    assert_eq!(zone.offset_secs(ts(utc(2027, 10, 31, 1, 0) - 1)), 7200);
    assert_eq!(zone.offset_secs(ts(utc(2027, 10, 31, 1, 0))), 3600);
    // 23:30 UTC on a Monday in winter is Tuesday 00:30 local; in summer 22:30 UTC is too.
    assert_eq!(
        zone.local(ts(utc(2026, 11, 23, 23, 30))),
        wall(2026, 11, 24, 0, 30)
    );
    assert_eq!(
        zone.local_date(ts(utc(2027, 6, 14, 22, 30))),
        NaiveDate::from_ymd_opt(2027, 6, 15).unwrap()
    );
    let kathmandu = Zone::named("Test/Fixed+0545").unwrap();
    assert_eq!(
        kathmandu.local(ts(utc(2027, 1, 1, 18, 15))),
        wall(2027, 1, 2, 0, 0)
    );
    assert_eq!(
        kathmandu.instant(wall(2027, 1, 2, 0, 0)),
        ts(utc(2027, 1, 1, 18, 15))
    );
}

#[test]
fn a_gap_takes_the_time_an_hour_later_and_an_overlap_the_earlier_instant() {
    setup();
    let zone = Zone::named("Test/Middle-European").unwrap();
    // 2027-03-28: 02:00 local becomes 03:00.
    assert_eq!(zone.resolve(wall(2027, 3, 28, 2, 30)), LocalTime::Gap);
    assert_eq!(
        zone.instant(wall(2027, 3, 28, 2, 30)),
        ts(utc(2027, 3, 28, 1, 30))
    );
    assert_eq!(
        zone.resolve(wall(2027, 3, 28, 1, 59)),
        LocalTime::Single(ts(utc(2027, 3, 28, 0, 59)))
    );
    assert_eq!(
        zone.resolve(wall(2027, 3, 28, 3, 0)),
        LocalTime::Single(ts(utc(2027, 3, 28, 1, 0)))
    );
    // 2027-10-31: 03:00 local becomes 02:00 again.
    assert_eq!(
        zone.resolve(wall(2027, 10, 31, 2, 30)),
        LocalTime::Overlap {
            earlier: ts(utc(2027, 10, 31, 0, 30)),
            later: ts(utc(2027, 10, 31, 1, 30)),
        }
    );
    assert_eq!(
        zone.instant(wall(2027, 10, 31, 2, 30)),
        ts(utc(2027, 10, 31, 0, 30))
    );
    assert_eq!(
        zone.resolve(wall(2027, 10, 31, 3, 0)),
        LocalTime::Single(ts(utc(2027, 10, 31, 2, 0)))
    );

    // Half-hour offsets, changing at 05:30 UTC.
    let newfoundland = Zone::named("Test/Newfoundland").unwrap();
    assert_eq!(
        newfoundland.offset_secs(ts(utc(2027, 3, 14, 5, 30) - 1)),
        -12600
    );
    assert_eq!(newfoundland.offset_secs(ts(utc(2027, 3, 14, 5, 30))), -9000);
    assert_eq!(
        newfoundland.resolve(wall(2027, 3, 14, 2, 15)),
        LocalTime::Gap
    );
    assert_eq!(
        newfoundland.instant(wall(2027, 3, 14, 2, 15)),
        ts(utc(2027, 3, 14, 5, 45))
    );
    assert_eq!(
        newfoundland.resolve(wall(2027, 11, 7, 1, 45)),
        LocalTime::Overlap {
            earlier: ts(utc(2027, 11, 7, 4, 15)),
            later: ts(utc(2027, 11, 7, 5, 15)),
        }
    );
}

fn office(zone: &str) -> Calendar {
    let mut cal = Calendar::office(zone, 8, 18);
    cal.holidays = vec!["2026-12-25".into()];
    cal
}

/// The figures of tests/sla.rs (Europe/Berlin from the database), from the supplied rules.
#[test]
fn business_time_from_supplied_offsets_matches_the_database_figures() {
    setup();
    let cal = office("Test/Middle-European").compile().unwrap();
    let at = |h: i64| Timestamp(MONDAY + h * HOUR);
    assert_eq!(cal.business_ms(at(0), at(7)), 0);
    assert_eq!(cal.business_ms(at(0), at(9)), 2 * HOUR);
    assert_eq!(cal.business_ms(at(7), at(31)), 10 * HOUR);
    assert_eq!(cal.business_ms(at(0), at(7 * 24)), 50 * HOUR);
    let thursday = Timestamp(MONDAY + 31 * 24 * HOUR);
    assert_eq!(
        cal.business_ms(thursday, Timestamp(thursday.millis() + 48 * HOUR)),
        10 * HOUR
    );
    let monday_after_dst = Timestamp(1_806_278_400_000); // 2027-03-29T00:00Z
    assert_eq!(
        cal.business_ms(
            monday_after_dst,
            Timestamp(monday_after_dst.millis() + 7 * HOUR)
        ),
        HOUR
    );
    assert_eq!(
        cal.add_business(at(4 * 24 + 15), 4 * HOUR),
        Some(at(7 * 24 + 9))
    );
}

/// Working hours that begin in the gap or in the overlap, on the days the clocks change.
#[test]
fn working_hours_across_the_clock_changes() {
    setup();
    let mut cal = Calendar::office("Test/Middle-European", 8, 18);
    cal.week[6] = WorkingDay::hours(2, 4); // Sunday 02:00–04:00
    let compiled = cal.compile().unwrap();
    let day = |y, m, d| (ts(utc(y, m, d, 0, 0)), ts(utc(y, m, d, 0, 0) + 24 * 3600));
    // Spring: 02:00 does not exist, the hours open at 03:00 (01:00Z), close 04:00 (02:00Z).
    let (from, to) = day(2027, 3, 28);
    assert_eq!(compiled.business_ms(from, to), HOUR);
    // Autumn: 02:00 is first met at 00:00Z, 04:00 is 03:00Z.
    let (from, to) = day(2027, 10, 31);
    assert_eq!(compiled.business_ms(from, to), 3 * HOUR);
    assert_eq!(
        compiled.add_business(from, 90 * MINUTE),
        Some(ts(utc(2027, 10, 31, 1, 30)))
    );
    #[cfg(feature = "tzdb")]
    {
        cal.time_zone = "Europe/Berlin".into();
        let berlin = cal.compile().unwrap();
        for (y, m, d) in [(2027, 3, 28), (2027, 10, 31), (2026, 3, 29), (2026, 10, 25)] {
            let (from, to) = day(y, m, d);
            assert_eq!(compiled.business_ms(from, to), berlin.business_ms(from, to));
            assert_eq!(
                compiled.add_business(from, 100 * MINUTE),
                berlin.add_business(from, 100 * MINUTE)
            );
        }
    }
}

#[test]
fn a_day_that_begins_in_a_gap_begins_at_the_first_instant() {
    setup();
    // 2027-09-05: local midnight becomes 01:00 (04:00Z); 2027-04-04: 00:00 becomes 23:00.
    let days = |from: i64, to: i64| {
        let period = Period::new(ts(from), ts(to)).unwrap();
        trend::<shared::records::incident::Incident>(&[], period, Bucket::Day, "Test/Midnight")
            .unwrap()
    };
    let points = days(utc(2027, 9, 4, 4, 0), utc(2027, 9, 7, 3, 0));
    let spans: Vec<(&str, i64, i64)> = points
        .iter()
        .map(|p| {
            (
                p.label.as_str(),
                p.start.millis() / 1000,
                p.end.millis() / 1000,
            )
        })
        .collect();
    assert_eq!(
        spans,
        [
            ("2027-09-04", utc(2027, 9, 4, 4, 0), utc(2027, 9, 5, 4, 0)),
            ("2027-09-05", utc(2027, 9, 5, 4, 0), utc(2027, 9, 6, 3, 0)),
            ("2027-09-06", utc(2027, 9, 6, 3, 0), utc(2027, 9, 7, 3, 0)),
        ]
    );
    // Autumn: 2027-04-03 has 25 hours (its 23:00 comes twice), 2027-04-04 begins at 00:00 −4.
    let points = days(utc(2027, 4, 3, 3, 0), utc(2027, 4, 5, 4, 0));
    assert_eq!(points[0].end, ts(utc(2027, 4, 4, 4, 0)));
    assert_eq!(points[1].start, ts(utc(2027, 4, 4, 4, 0)));
}

#[test]
fn an_unknown_zone_is_a_readable_error() {
    setup();
    assert_eq!(
        Calendar::office("Test/Nowhere", 8, 18)
            .compile()
            .unwrap_err(),
        CalendarError::UnknownTimeZone("Test/Nowhere".into())
    );
    assert_eq!(
        Zone::named("Test/Nowhere").unwrap_err().to_string(),
        "'Test/Nowhere' is not a time zone; use an IANA name such as Europe/Berlin"
    );
    let week = Period::new(Timestamp(MONDAY), Timestamp(MONDAY + 7 * 24 * HOUR)).unwrap();
    assert_eq!(
        trend::<shared::records::incident::Incident>(&[], week, Bucket::Day, "Test/Nowhere")
            .unwrap_err(),
        ReportError::UnknownTimeZone("Test/Nowhere".into())
    );
    // UTC needs no provider and no database.
    assert_eq!(Zone::named("UTC").unwrap().offset_secs(Timestamp(0)), 0);
}

/// One zone per name: calendars compiled again and again (each summary compiles its SLA's)
/// share the offsets already asked for, and a month of clocks asks for a few per day.
#[test]
fn supplied_offsets_are_asked_for_once_per_day() {
    setup();
    let cal = office("Test/Counted").compile().unwrap();
    let month = |start: i64| (Timestamp(start), Timestamp(start + 31 * 24 * HOUR));
    let (from, to) = month(MONDAY);
    let before = COUNTED.load(Ordering::Relaxed);
    assert_eq!(cal.business_ms(from, to), 23 * 10 * HOUR);
    let asked = COUNTED.load(Ordering::Relaxed) - before;
    assert!(asked <= 2 * 36, "{asked} offsets asked for a month");
    // Compiled again: nothing new to ask.
    let before = COUNTED.load(Ordering::Relaxed);
    let again = office("Test/Counted").compile().unwrap();
    for _ in 0..100 {
        assert_eq!(again.business_ms(from, to), 23 * 10 * HOUR);
    }
    assert_eq!(COUNTED.load(Ordering::Relaxed), before);
    // A month with a clock change: one search of about 17 offsets more.
    let before = COUNTED.load(Ordering::Relaxed);
    let (from, to) = month(utc(2027, 3, 15, 0, 0) * 1000);
    cal.business_ms(from, to);
    let asked = COUNTED.load(Ordering::Relaxed) - before;
    assert!(
        asked <= 2 * 36 + 20,
        "{asked} offsets asked for a month with a change"
    );
}

/// The conversions from offsets alone agree with the database's own, for real zones with odd
/// rules (half and quarter hours, changes at midnight, a skipped day, negative daylight saving),
/// around every change from 1970 to 2040 and at random instants since 1900.
#[cfg(feature = "tzdb")]
#[test]
fn offsets_alone_agree_with_the_database() {
    use chrono::{Offset, TimeZone};

    struct Database(chrono_tz::Tz);
    impl Offsets for Database {
        fn offset_secs(&self, utc_secs: i64) -> i32 {
            let at = chrono::DateTime::from_timestamp(utc_secs, 0).unwrap();
            self.0
                .offset_from_utc_datetime(&at.naive_utc())
                .fix()
                .local_minus_utc()
        }
    }

    let zones = [
        "Europe/Berlin",
        "Europe/London",
        "Europe/Dublin",
        "Europe/Moscow",
        "America/New_York",
        "America/St_Johns",
        "America/Santiago",
        "America/Havana",
        "America/Asuncion",
        "America/Sao_Paulo",
        "America/Caracas",
        "America/Nuuk",
        "Asia/Beirut",
        "Asia/Tehran",
        "Asia/Kathmandu",
        "Asia/Kolkata",
        "Asia/Gaza",
        "Asia/Amman",
        "Asia/Pyongyang",
        "Africa/Casablanca",
        "Australia/Lord_Howe",
        "Australia/Sydney",
        "Pacific/Apia",
        "Pacific/Kiritimati",
        "Pacific/Chatham",
        "Pacific/Auckland",
        "Antarctica/Troll",
    ];
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut random = move |below: i64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % below as u64) as i64
    };
    for name in zones {
        let tz: chrono_tz::Tz = name.parse().unwrap();
        let database = Zone::named(name).unwrap();
        let supplied = Zone::with_offsets(name, Arc::new(Database(tz)));
        let check = |local: NaiveDateTime| {
            assert_eq!(
                supplied.resolve(local),
                database.resolve(local),
                "{name} {local}"
            );
            assert_eq!(
                supplied.instant(local),
                database.instant(local),
                "{name} {local}"
            );
        };
        let check_instant = |secs: i64| {
            let at = Timestamp(secs * 1000 + 250);
            assert_eq!(supplied.local(at), database.local(at), "{name} {secs}");
        };
        // Every change from 1970 to 2040 (scanned by the hour), and the wall times around it.
        let mut at = utc(1970, 1, 1, 0, 0);
        let end = utc(2040, 1, 1, 0, 0);
        let mut offset = Database(tz).offset_secs(at);
        let mut changes = 0;
        while at < end {
            let next = Database(tz).offset_secs(at + 3600);
            if next != offset {
                changes += 1;
                let around = at + 3600 + i64::from(offset);
                for step in -12..=12 {
                    let wall_secs = around + step * 15 * 60;
                    let local = chrono::DateTime::from_timestamp(wall_secs, 0)
                        .unwrap()
                        .naive_utc();
                    check(local);
                    check(local.date().and_hms_opt(0, 0, 0).unwrap());
                    check_instant(at + step * 10 * 60);
                }
                offset = next;
            }
            at += 3600;
        }
        assert!(
            changes > 0 || name == "Asia/Kolkata",
            "{name}: no changes found"
        );
        // Random local wall times and instants, 1900 to 2100, to the second.
        let (from, span) = (
            utc(1900, 1, 1, 0, 0),
            utc(2100, 1, 1, 0, 0) - utc(1900, 1, 1, 0, 0),
        );
        for _ in 0..2_000 {
            let secs = from + random(span);
            check(
                chrono::DateTime::from_timestamp(secs, 0)
                    .unwrap()
                    .naive_utc(),
            );
            check_instant(from + random(span));
        }
    }
}
