//! The SLA clock: calendars, targets, pauses, reopen, change of SLA, warnings, breach.

mod common;

use common::{HOUR, MINUTE, MONDAY, meta};
use proptest::prelude::*;
use shared::model::StatusChange;
use shared::priority::Priority;
use shared::records::agreement::Sla;
use shared::records::registers::breach_improvement;
use shared::records::ticket::{STOP_STATUSES, TicketStatus};
use shared::sla::{
    BusinessCalendar, Calendar, CalendarError, Policy, PriorityTarget, Warning, measure,
};
use shared::time::Timestamp;

fn berlin_office() -> BusinessCalendar {
    let mut cal = Calendar::office("Europe/Berlin", 8, 18);
    cal.holidays = vec!["2026-12-25".into()];
    cal.compile().unwrap()
}

fn at(h: i64) -> Timestamp {
    Timestamp(MONDAY + h * HOUR)
}

fn history(changes: &[(i64, &str)]) -> Vec<StatusChange> {
    changes
        .iter()
        .map(|(t, s)| StatusChange {
            at: Timestamp(*t),
            status: s.to_string(),
            ..StatusChange::default()
        })
        .collect()
}

fn pending() -> Vec<String> {
    vec!["pending".into()]
}

fn policy<'a>(
    cal: &'a BusinessCalendar,
    pause: &'a [String],
    response: u32,
    resolution: u32,
) -> Policy<'a> {
    Policy {
        calendar: cal,
        target: PriorityTarget {
            priority: Priority::P2,
            response_minutes: response,
            resolution_minutes: resolution,
        },
        pause,
        stop: &STOP_STATUSES,
        awaiting_response: TicketStatus::New.as_str(),
    }
}

#[test]
fn business_time_counts_only_working_hours_in_the_calendar_zone() {
    let cal = berlin_office();
    // Monday 00:00Z = 01:00 Berlin; office opens 08:00 Berlin = 07:00Z.
    assert_eq!(cal.business_ms(at(0), at(7)), 0);
    assert_eq!(cal.business_ms(at(0), at(9)), 2 * HOUR);
    // Monday 07:00Z to Tuesday 07:00Z: one full 10-hour day.
    assert_eq!(cal.business_ms(at(7), at(31)), 10 * HOUR);
    // A whole week: five days.
    assert_eq!(cal.business_ms(at(0), at(7 * 24)), 50 * HOUR);
    assert_eq!(cal.business_ms(at(9), at(9)), 0);
    assert_eq!(cal.business_ms(at(9), at(8)), 0);
}

#[test]
fn holidays_and_daylight_saving_are_respected() {
    let cal = berlin_office();
    // Friday 2026-12-25 is a holiday: Thursday 00:00Z to Saturday 00:00Z holds only Thursday.
    let thursday = Timestamp(MONDAY + 31 * 24 * HOUR);
    let saturday = Timestamp(thursday.millis() + 48 * HOUR);
    assert_eq!(cal.business_ms(thursday, saturday), 10 * HOUR);
    // 2027-03-29 is the Monday after clocks go forward: 08:00 Berlin is 06:00Z.
    let monday_after_dst = Timestamp(1_806_278_400_000); // 2027-03-29T00:00Z
    assert_eq!(
        cal.business_ms(
            monday_after_dst,
            Timestamp(monday_after_dst.millis() + 7 * HOUR)
        ),
        HOUR
    );
}

#[test]
fn due_time_is_found_in_business_hours() {
    let cal = berlin_office();
    // Friday 16:00 Berlin (15:00Z) + 4 business hours = Monday 10:00 Berlin (09:00Z).
    let friday = at(4 * 24 + 15);
    assert_eq!(cal.add_business(friday, 4 * HOUR), Some(at(7 * 24 + 9)));
}

#[test]
fn calendar_errors_are_readable() {
    let mut cal = Calendar::office("Europe/Berlin", 8, 18);
    cal.holidays = vec!["25/12/2026".into()];
    assert_eq!(
        cal.compile().unwrap_err().to_string(),
        "'25/12/2026' is not a holiday date; write it as YYYY-MM-DD"
    );
    cal.holidays.clear();
    cal.week[2].open = 20 * 60;
    assert_eq!(
        cal.compile().unwrap_err(),
        CalendarError::BadHours("Wednesday")
    );
    cal.week.pop();
    assert_eq!(cal.compile().unwrap_err(), CalendarError::WeekLength(6));
}

#[test]
fn pending_pauses_the_clock_and_a_reopen_continues_it() {
    let cal = Calendar::default().compile().unwrap();
    let pause = pending();
    let p = policy(&cal, &pause, 30, 8 * 60);
    let h = history(&[
        (0, "new"),
        (20 * MINUTE, "assigned"),
        (HOUR, "pending"),
        (3 * HOUR, "in_progress"),
        (4 * HOUR, "resolved"),
        (10 * HOUR, "in_progress"),
    ]);
    let state = measure(&h, &p, Timestamp(11 * HOUR));
    assert_eq!(state.response.elapsed_ms, 20 * MINUTE);
    assert!(state.response.stopped && !state.response.breached());
    // 1 h before pending + 1 h after it + 1 h since the reopen.
    assert_eq!(state.resolution.elapsed_ms, 3 * HOUR);
    assert_eq!(state.resolution.paused_ms, 2 * HOUR);
    assert!(state.resolution.running);
    assert_eq!(state.resolution.percent(), 37);
    assert_eq!(
        state.resolution.due_at(&cal, Timestamp(11 * HOUR)),
        Some(Timestamp(16 * HOUR))
    );
}

#[test]
fn warnings_at_50_75_90_percent_and_breach_beyond_100() {
    let cal = Calendar::default().compile().unwrap();
    let pause = pending();
    let p = policy(&cal, &pause, 60, 100);
    let h = history(&[(0, "new"), (MINUTE, "in_progress")]);
    let warning = |minutes: i64| {
        measure(&h, &p, Timestamp(minutes * MINUTE))
            .resolution
            .warning
    };
    assert_eq!(warning(49), Warning::None);
    assert_eq!(warning(50), Warning::Half);
    assert_eq!(warning(75), Warning::ThreeQuarters);
    assert_eq!(warning(90), Warning::Ninety);
    assert_eq!(warning(100), Warning::Ninety);
    assert_eq!(warning(101), Warning::Breached);
    let state = measure(&h, &p, Timestamp(200 * MINUTE));
    assert_eq!(state.warning(), Warning::Breached);
    assert_eq!(state.resolution.due_at(&cal, Timestamp(200 * MINUTE)), None);
}

#[test]
fn a_breach_produces_an_improvement_action() {
    let cal = Calendar::default().compile().unwrap();
    let pause = pending();
    let p = policy(&cal, &pause, 15, 60);
    let h = history(&[(0, "new"), (MINUTE, "in_progress")]);
    let state = measure(&h, &p, Timestamp(2 * HOUR));
    let imp = breach_improvement(
        "IMP-1".into(),
        "INC-7",
        "resolution",
        &state.resolution,
        &meta("relay", 2 * HOUR),
    )
    .unwrap();
    assert_eq!(imp.str("source"), "breach");
    assert_eq!(imp.str("source_ref"), "INC-7");
    assert_eq!(
        imp.str("opportunity"),
        "INC-7 breached its resolution target (200 % of 60 min used): find out why and prevent a repeat"
    );
    let on_time = measure(&h, &p, Timestamp(30 * MINUTE));
    assert!(
        breach_improvement(
            "IMP-2".into(),
            "INC-7",
            "resolution",
            &on_time.resolution,
            &meta("a", 1)
        )
        .is_none()
    );
}

#[test]
fn the_sla_record_gives_the_policy_for_a_priority() {
    let mut sla = Sla::of(&common::new(
        "sla",
        "SLA-1",
        &[("name", "Gold")],
        &meta("ana", 1),
    ));
    sla.targets.push(PriorityTarget {
        priority: Priority::P1,
        response_minutes: 15,
        resolution_minutes: 240,
    });
    let cal = sla.calendar.compile().unwrap();
    assert!(sla.ticket_policy(&cal, Priority::P2).is_none());
    let p = sla.ticket_policy(&cal, Priority::P1).unwrap();
    let state = measure(&history(&[(0, "new")]), &p, Timestamp(10 * MINUTE));
    assert_eq!(state.response.percent(), 66);
    assert!(state.response.running);
}

/// A random status history: statuses at increasing times over about two weeks.
fn histories() -> impl Strategy<Value = Vec<(i64, &'static str)>> {
    let statuses = prop::sample::select(vec![
        "assigned",
        "in_progress",
        "pending",
        "resolved",
        "closed",
    ]);
    prop::collection::vec((1..(48 * 60_i64), statuses), 0..12).prop_map(|steps| {
        let mut t = MONDAY;
        let mut out = vec![(t, "new")];
        for (gap, s) in steps {
            t += gap * MINUTE;
            out.push((t, s));
        }
        out
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Inserting a pause into a history never adds elapsed business time.
    #[test]
    fn pausing_never_increases_elapsed_time(
        steps in histories(),
        at in 0usize..12,
        len in 1..(24 * 60_i64),
        office in any::<bool>(),
    ) {
        let cal = if office { berlin_office() } else { Calendar::default().compile().unwrap() };
        let pause = pending();
        let p = policy(&cal, &pause, 60, 8 * 60);
        let now = Timestamp(steps.last().unwrap().0 + 24 * HOUR);
        let base = history(&steps);
        let i = at % steps.len();
        let start = steps[i].0 + 1;
        // Resume the previous status strictly before the next recorded change.
        let resume = steps.get(i + 1).map_or(start + len * MINUTE, |n| (n.0 - 1).min(start + len * MINUTE));
        prop_assume!(resume > start);
        let mut paused = base.clone();
        paused.push(StatusChange { at: Timestamp(start), status: "pending".into(), ..StatusChange::default() });
        paused.push(StatusChange { at: Timestamp(resume), status: steps[i].1.into(), ..StatusChange::default() });
        let before = measure(&base, &p, now);
        let after = measure(&paused, &p, now);
        prop_assert!(after.resolution.elapsed_ms <= before.resolution.elapsed_ms);
        prop_assert!(after.response.elapsed_ms <= before.response.elapsed_ms);
    }

    /// A change of SLA (other targets, another priority) re-measures the same history: paused
    /// and elapsed time stay, only the verdict changes.
    #[test]
    fn recomputing_after_an_sla_change_keeps_paused_time(
        steps in histories(),
        targets in (1..600u32, 1..6000u32, 1..600u32, 1..6000u32),
    ) {
        let cal = berlin_office();
        let pause = pending();
        let now = Timestamp(steps.last().unwrap().0 + HOUR);
        let h = history(&steps);
        let first = measure(&h, &policy(&cal, &pause, targets.0, targets.1), now);
        let second = measure(&h, &policy(&cal, &pause, targets.2, targets.3), now);
        prop_assert_eq!(first.resolution.paused_ms, second.resolution.paused_ms);
        prop_assert_eq!(first.resolution.elapsed_ms, second.resolution.elapsed_ms);
        prop_assert_eq!(first.response.elapsed_ms, second.response.elapsed_ms);
        // Elapsed plus paused never exceeds the business time since creation.
        let total = cal.business_ms(Timestamp(steps[0].0), now);
        prop_assert!(first.resolution.elapsed_ms + first.resolution.paused_ms <= total);
    }

    /// The order entries arrive in (as after a merge) does not change the clock.
    #[test]
    fn the_clock_does_not_depend_on_list_order(steps in histories(), seed in any::<u64>()) {
        let cal = berlin_office();
        let pause = pending();
        let p = policy(&cal, &pause, 30, 600);
        let now = Timestamp(steps.last().unwrap().0 + HOUR);
        let h = history(&steps);
        let mut shuffled = h.clone();
        let n = shuffled.len();
        for i in 0..n {
            shuffled.swap(i, (seed as usize).wrapping_mul(i + 7) % n);
        }
        prop_assert_eq!(measure(&h, &p, now), measure(&shuffled, &p, now));
    }
}
