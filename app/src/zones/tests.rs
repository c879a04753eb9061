//! Browser tests of the zones `Intl` supplies (run with wasm-bindgen-test-runner in Chromium):
//! the browser's rules give the figures the relay gets from its database (shared/tests/sla.rs).

use wasm_bindgen_test::*;

use chrono::{NaiveDate, NaiveDateTime};
use shared::priority::Priority;
use shared::records::journal::StatusChange;
use shared::records::ticket::{STOP_STATUSES, TicketStatus};
use shared::reports::{Bucket, Period, trend};
use shared::sla::PriorityTarget;
use shared::sla::{Calendar, CalendarError, Policy, measure};
use shared::time::Timestamp;
use shared::time::zone::{LocalTime, Zone};

use super::*;

wasm_bindgen_test_configure!(run_in_browser);

const HOUR: i64 = 3_600_000;
const MINUTE: i64 = 60_000;
/// 2026-11-23T00:00:00Z, a Monday.
const MONDAY: i64 = 1_795_392_000_000;

fn wall(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
    NaiveDate::from_ymd_opt(y, m, d)
        .unwrap()
        .and_hms_opt(h, min, 0)
        .unwrap()
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> Timestamp {
    Timestamp(wall(y, m, d, h, min).and_utc().timestamp_millis())
}

fn zone(name: &str) -> Zone {
    install();
    Zone::named(name).unwrap()
}

#[wasm_bindgen_test]
fn berlin_offsets_come_from_the_browser() {
    let berlin = zone("Europe/Berlin");
    assert_eq!(berlin.offset_secs(utc(2027, 1, 15, 12, 0)), 3600);
    assert_eq!(berlin.offset_secs(utc(2027, 7, 15, 12, 0)), 7200);
    // The clocks change at 01:00 UTC, to the second.
    let change = utc(2027, 3, 28, 1, 0).millis();
    assert_eq!(berlin.offset_secs(Timestamp(change - 1)), 3600);
    assert_eq!(berlin.offset_secs(Timestamp(change)), 7200);
    assert_eq!(berlin.offset_secs(utc(2027, 10, 31, 0, 59)), 7200);
    assert_eq!(berlin.offset_secs(utc(2027, 10, 31, 1, 0)), 3600);
    // Berlin kept local mean time (+0:53:28) until 1893.
    assert_eq!(berlin.offset_secs(utc(1890, 1, 1, 0, 0)), 3208);
    assert_eq!(
        berlin.local_date(utc(2026, 11, 23, 23, 30)),
        NaiveDate::from_ymd_opt(2026, 11, 24).unwrap()
    );
    // Half-hour offsets changing at 05:30 UTC, and a quarter-hour one.
    let st_johns = zone("America/St_Johns");
    assert_eq!(st_johns.offset_secs(utc(2027, 3, 14, 5, 29)), -12600);
    assert_eq!(st_johns.offset_secs(utc(2027, 3, 14, 5, 30)), -9000);
    assert_eq!(
        zone("Asia/Kathmandu").offset_secs(utc(2027, 1, 1, 0, 0)),
        20700
    );
    // Aliases the browser knows by another name still work.
    assert_eq!(
        zone("Asia/Calcutta").offset_secs(utc(2027, 1, 1, 0, 0)),
        19800
    );
    assert_eq!(zone("Etc/UTC").offset_secs(utc(2027, 1, 1, 0, 0)), 0);
}

#[wasm_bindgen_test]
fn a_gap_takes_the_time_an_hour_later_and_an_overlap_the_earlier_instant() {
    let berlin = zone("Europe/Berlin");
    assert_eq!(berlin.resolve(wall(2027, 3, 28, 2, 30)), LocalTime::Gap);
    assert_eq!(
        berlin.instant(wall(2027, 3, 28, 2, 30)),
        utc(2027, 3, 28, 1, 30)
    );
    assert_eq!(
        berlin.resolve(wall(2027, 10, 31, 2, 30)),
        LocalTime::Overlap {
            earlier: utc(2027, 10, 31, 0, 30),
            later: utc(2027, 10, 31, 1, 30),
        }
    );
    assert_eq!(
        berlin.instant(wall(2027, 10, 31, 2, 30)),
        utc(2027, 10, 31, 0, 30)
    );
    assert_eq!(
        berlin.resolve(wall(2027, 3, 28, 3, 0)),
        LocalTime::Single(utc(2027, 3, 28, 1, 0))
    );
}

#[wasm_bindgen_test]
fn an_unknown_zone_is_refused_as_the_relay_refuses_it() {
    install();
    for name in [
        "Mars/Olympus",
        "Berlin",
        "europe/berlin",
        "+01:00",
        "",
        "Europe/Berlin ",
    ] {
        assert_eq!(
            Calendar::office(name, 8, 18).compile().unwrap_err(),
            CalendarError::UnknownTimeZone(name.into()),
            "{name:?}"
        );
    }
    assert_eq!(
        Zone::named("Mars/Olympus").unwrap_err().to_string(),
        "'Mars/Olympus' is not a time zone; use an IANA name such as Europe/Berlin"
    );
}

fn berlin_office() -> shared::sla::BusinessCalendar {
    install();
    let mut cal = Calendar::office("Europe/Berlin", 8, 18);
    cal.holidays = vec!["2026-12-25".into()];
    cal.compile().unwrap()
}

/// The figures of shared/tests/sla.rs, where the relay's database supplies Europe/Berlin.
#[wasm_bindgen_test]
fn business_time_in_the_browser_matches_the_native_figures() {
    let cal = berlin_office();
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

    // The trend's local days (shared/tests/reports.rs): Monday 00:00 UTC is 01:00 in Berlin.
    let week = Period::new(at(0), at(7 * 24)).unwrap();
    let days =
        trend::<shared::records::incident::Incident>(&[], week, Bucket::Day, "Europe/Berlin")
            .unwrap();
    assert_eq!(days.len(), 8);
    assert_eq!(days[0].end, at(23));
}

/// 10,000 SLA clocks over two weeks of Berlin office hours, as the list's summaries count them:
/// the first pass asks the browser for the offsets, the next ones find them remembered.
#[wasm_bindgen_test]
fn ten_thousand_clocks_stay_fast() {
    let cal = berlin_office();
    let pause = vec!["pending".to_string()];
    let histories: Vec<Vec<StatusChange>> = (0..10_000_i64)
        .map(|seed| {
            let start = MONDAY + (seed % 500) * 37 * MINUTE;
            [
                (0, "new"),
                (40, "assigned"),
                (200, "pending"),
                (900, "in_progress"),
                (3000, "resolved"),
            ]
            .iter()
            .map(|(m, status)| StatusChange {
                at: Timestamp(start + m * MINUTE),
                status: status.to_string(),
                ..StatusChange::default()
            })
            .collect()
        })
        .collect();
    let policy = Policy {
        calendar: &cal,
        target: PriorityTarget {
            priority: Priority::P2,
            response_minutes: 30,
            resolution_minutes: 480,
        },
        pause: &pause,
        stop: &STOP_STATUSES,
        awaiting_response: TicketStatus::New.as_str(),
    };
    let now = Timestamp(MONDAY + 14 * 24 * HOUR);
    let mut times = vec![];
    let mut breached = 0;
    for _ in 0..3 {
        let started = js_sys::Date::now();
        breached = histories
            .iter()
            .filter(|h| measure(h, &policy, now).resolution.breached())
            .count();
        times.push(js_sys::Date::now() - started);
    }
    gloo::console::log!(format!(
        "10,000 SLA clocks (Europe/Berlin office hours): {times:?} ms, {breached} breached"
    ));
    assert!(breached > 0);
    assert!(times.iter().all(|ms| *ms < 2_000.0), "{times:?}");
}
