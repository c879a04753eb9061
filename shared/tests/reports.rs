//! Service reports and KPIs (ISO 20000 9.1, 9.4) and availability from major-incident outages
//! (8.7.1): one test per rule, and properties that hold for any records.

mod common;

use common::{HOUR, MINUTE, MONDAY, act, incident_edit, meta, new, notes, to};
use proptest::prelude::*;
use shared::model::Record;
use shared::priority::{Priority, PriorityMatrix};
use shared::records::agreement::Sla;
use shared::records::change::Change;
use shared::records::incident::{Incident, IncidentStatus, Outage};
use shared::records::service::Service;
use shared::reports::*;
use shared::sla::Calendar;
use shared::sla::PriorityTarget;
use shared::time::Timestamp;
use shared::workflow::WorkflowError;

use IncidentStatus::*;

const DAY: i64 = 24 * HOUR;

fn at(ms: i64) -> Timestamp {
    Timestamp(MONDAY + ms)
}

/// The week starting Monday 2026-11-23 00:00 UTC.
fn week() -> Period {
    Period::new(at(0), at(7 * DAY)).unwrap()
}

/// A medium/medium (P3) incident on `service` under `sla`, logged at `opened` and moved
/// through `moves` (offsets from Monday).
fn record(
    number: &str,
    service: &str,
    sla: &str,
    opened: i64,
    moves: &[(IncidentStatus, i64)],
) -> Record {
    let mut inc = common::incident(
        number,
        &incident_edit(number, ""),
        &meta("ana", MONDAY + opened),
    );
    inc.set("service", service);
    inc.set("sla", sla);
    for &(status, when) in moves {
        to(
            &mut inc,
            status.as_str(),
            "waiting for the supplier",
            &meta("ana", MONDAY + when),
        )
        .unwrap();
    }
    inc
}

/// [`record`] as the reports read it.
fn incident(
    number: &str,
    service: &str,
    sla: &str,
    opened: i64,
    moves: &[(IncidentStatus, i64)],
) -> Incident {
    Incident::of(&record(number, service, sla, opened, moves))
}

/// 24×7 SLA: P3 responds in 15 minutes and resolves in 4 hours.
fn sla() -> Sla {
    Sla {
        number: "SLA-1".into(),
        name: "Gold".into(),
        status: "draft".into(),
        targets: vec![PriorityTarget {
            priority: Priority::P3,
            response_minutes: 15,
            resolution_minutes: 240,
        }],
        calendar: Calendar::default(),
        pause_statuses: vec!["pending".into()],
        ..Sla::default()
    }
}

#[test]
fn a_period_must_end_after_it_starts() {
    assert_eq!(
        Period::new(at(5), at(5)).unwrap_err().to_string(),
        format!(
            "the report period must end after it starts ({} to {})",
            at(5),
            at(5)
        )
    );
    assert!(Period::new(at(6), at(5)).is_err());
    assert!(week().contains(at(0)) && !week().contains(at(7 * DAY)));
}

#[test]
fn volumes_count_records_once_per_column() {
    let incidents = [
        // Opened, resolved and closed in the week.
        incident(
            "INC-1",
            "SVC-1",
            "",
            HOUR,
            &[
                (Assigned, 2 * HOUR),
                (Resolved, 3 * HOUR),
                (Closed, 4 * HOUR),
            ],
        ),
        // Opened before the week, resolved twice in it (reopened): one resolution.
        incident(
            "INC-2",
            "SVC-1",
            "",
            -DAY,
            &[
                (Resolved, HOUR),
                (InProgress, 2 * HOUR),
                (Resolved, 3 * HOUR),
            ],
        ),
        // Opened in the week, still open.
        incident("INC-3", "SVC-1", "", 2 * DAY, &[(Assigned, 3 * DAY)]),
        // Everything after the week.
        incident("INC-4", "SVC-1", "", 8 * DAY, &[(Resolved, 9 * DAY)]),
    ];
    assert_eq!(
        volumes(&incidents, week()),
        Volume {
            process: "Incidents",
            opened: 2,
            resolved: 2,
            closed: 1,
        }
    );
}

#[test]
fn sla_attainment_counts_met_and_breached_per_service_and_overall() {
    let incidents = [
        // Responds in 10 min, resolves in 100 min: both met.
        incident(
            "INC-1",
            "SVC-1",
            "SLA-1",
            0,
            &[(Assigned, 10 * MINUTE), (Resolved, 100 * MINUTE)],
        ),
        // Responds in 30 min, resolves in 5 h: both breached.
        incident(
            "INC-2",
            "SVC-2",
            "SLA-1",
            0,
            &[(Assigned, 30 * MINUTE), (Resolved, 5 * HOUR)],
        ),
        // Resolves in 5 h, of which 3 h pending (paused): met.
        incident(
            "INC-3",
            "SVC-1",
            "SLA-1",
            0,
            &[
                (Assigned, 5 * MINUTE),
                (Pending, HOUR),
                (InProgress, 4 * HOUR),
                (Resolved, 5 * HOUR),
            ],
        ),
        incident("INC-4", "SVC-1", "", 0, &[(Resolved, HOUR)]),
        incident("INC-5", "SVC-1", "SLA-9", 0, &[(Resolved, HOUR)]),
        // Not resolved in the week: not measured at all.
        incident("INC-6", "SVC-1", "SLA-1", 0, &[(Assigned, HOUR)]),
    ];
    let report = sla_attainment(&incidents, &[sla()], &PriorityMatrix::default(), week());
    assert_eq!(
        report.overall.response,
        Attainment {
            met: 2,
            breached: 1
        }
    );
    assert_eq!(report.overall.resolution.percent(), Some(200.0 / 3.0));
    let services: Vec<(&str, usize, usize)> = report
        .per_service
        .iter()
        .map(|r| (r.service.as_str(), r.resolution.met, r.resolution.breached))
        .collect();
    assert_eq!(services, [("SVC-1", 2, 0), ("SVC-2", 0, 1)]);
    assert_eq!(
        report.unmeasured,
        [
            Unmeasured::NoSla {
                record: "INC-4".into()
            },
            Unmeasured::UnknownSla {
                record: "INC-5".into(),
                sla: "SLA-9".into()
            }
        ]
    );
}

#[test]
fn sla_attainment_measures_the_clock_as_it_stood_at_resolution() {
    // Resolved in time on Monday, reopened after the week and left open for days: the week's
    // report still shows it met.
    let incidents = [incident(
        "INC-1",
        "SVC-1",
        "SLA-1",
        0,
        &[
            (Assigned, 5 * MINUTE),
            (Resolved, HOUR),
            (InProgress, 8 * DAY),
        ],
    )];
    let report = sla_attainment(&incidents, &[sla()], &PriorityMatrix::default(), week());
    assert_eq!(report.overall.resolution.met, 1);
}

#[test]
fn sla_attainment_names_tickets_without_a_target_or_with_a_bad_calendar() {
    let incidents = [incident("INC-1", "SVC-1", "SLA-1", 0, &[(Resolved, HOUR)])];
    let mut no_target = sla();
    no_target.targets.clear();
    let report = sla_attainment(&incidents, &[no_target], &PriorityMatrix::default(), week());
    assert_eq!(
        report.unmeasured,
        [Unmeasured::NoTarget {
            record: "INC-1".into(),
            sla: "SLA-1".into(),
            priority: Priority::P3
        }]
    );
    let mut bad = sla();
    bad.calendar.time_zone = "Mars/Olympus".into();
    let report = sla_attainment(&incidents, &[bad], &PriorityMatrix::default(), week());
    assert!(matches!(
        report.unmeasured.as_slice(),
        [Unmeasured::BadCalendar { .. }]
    ));
    assert_eq!(report.overall.response.percent(), None);
}

#[test]
fn backlog_counts_what_was_open_at_the_instant_by_priority() {
    let mut urgent = incident("INC-2", "SVC-1", "", HOUR, &[]);
    urgent.impact = shared::priority::Level::High;
    urgent.urgency = shared::priority::Level::High;
    let incidents = [
        incident("INC-1", "SVC-1", "", 0, &[(Resolved, 2 * DAY)]),
        urgent,
        incident("INC-3", "SVC-1", "", 0, &[(Resolved, HOUR)]),
        incident("INC-4", "SVC-1", "", 3 * DAY, &[]),
    ];
    let b = backlog(&incidents, &PriorityMatrix::default(), at(DAY));
    assert_eq!(b.total, 2);
    assert_eq!(
        b.by_priority,
        [
            (Priority::P1, 1),
            (Priority::P2, 0),
            (Priority::P3, 1),
            (Priority::P4, 0),
            (Priority::P5, 0)
        ]
    );
}

#[test]
fn time_to_resolve_is_measured_from_logged_to_resolved() {
    let incidents = [
        incident("INC-1", "SVC-1", "", 0, &[(Resolved, HOUR)]),
        incident("INC-2", "SVC-1", "", 0, &[(Resolved, 2 * HOUR)]),
        incident("INC-3", "SVC-1", "", 0, &[(Resolved, 6 * HOUR)]),
        incident("INC-4", "SVC-1", "", 0, &[]),
    ];
    let times = time_to_resolve(&incidents, week(), None);
    assert_eq!(
        times,
        ResolutionTimes {
            resolved: 3,
            mean_ms: Some(3 * HOUR),
            median_ms: Some(2 * HOUR),
            longest_ms: Some(6 * HOUR),
        }
    );
    // By office hours (Mon–Fri 08–18 UTC), the night does not count.
    let office = shared::sla::Calendar::office("UTC", 8, 18)
        .compile()
        .unwrap();
    let overnight = [incident(
        "INC-5",
        "SVC-1",
        "",
        17 * HOUR,
        &[(Resolved, DAY + 9 * HOUR)],
    )];
    let times = time_to_resolve(&overnight, week(), Some(&office));
    assert_eq!(times.mean_ms, Some(2 * HOUR));
    assert_eq!(
        time_to_resolve(&[] as &[Incident], week(), None).mean_ms,
        None
    );
}

#[test]
fn trend_buckets_by_local_day_and_week() {
    let incidents = [
        incident("INC-1", "SVC-1", "", HOUR, &[(Resolved, DAY + HOUR)]),
        incident("INC-2", "SVC-1", "", 2 * HOUR, &[]),
        // 23:30 UTC on Monday is already Tuesday in Berlin.
        incident("INC-3", "SVC-1", "", 23 * HOUR + 30 * MINUTE, &[]),
    ];
    let days = trend(&incidents, week(), Bucket::Day, "Europe/Berlin").unwrap();
    // Monday 00:00 UTC is Monday 01:00 Berlin: eight local days touch the week.
    assert_eq!(days.len(), 8);
    assert_eq!(days[0].label, "2026-11-23");
    assert_eq!(days[0].start, at(0));
    assert_eq!(days[0].end, at(23 * HOUR));
    let counts: Vec<(usize, usize)> = days.iter().map(|p| (p.opened, p.resolved)).collect();
    assert_eq!(counts[..3], [(2, 0), (1, 1), (0, 0)]);
    assert_eq!(days.last().unwrap().end, week().end());

    let weeks = trend(&incidents, week(), Bucket::Week, "UTC").unwrap();
    assert_eq!(weeks.len(), 1);
    assert_eq!((weeks[0].opened, weeks[0].resolved), (3, 1));

    assert_eq!(
        trend(&incidents, week(), Bucket::Day, "Berlin").unwrap_err(),
        ReportError::UnknownTimeZone("Berlin".into())
    );
    let centuries = Period::new(Timestamp(0), Timestamp(i64::MAX / 2)).unwrap();
    assert!(matches!(
        trend(&incidents, centuries, Bucket::Day, "UTC"),
        Err(ReportError::TooManyBuckets { .. })
    ));
}

fn normal_change(number: &str) -> Record {
    let m = meta("ana", MONDAY);
    let mut c = new(
        "change",
        number,
        &[("change_type", "normal"), ("title", "Patch")],
        &m,
    );
    act(
        &mut c,
        "decide",
        &[("role", "cab"), ("decision", "approve"), ("comment", "ok")],
        &m,
    )
    .unwrap();
    c
}

#[test]
fn changes_by_outcome_follow_the_change_model() {
    use shared::records::change::ImplementationOutcome as Impl;
    let m = |h: i64| meta("ana", MONDAY + h * HOUR);
    let implemented = |number: &str, outcome: Option<Impl>, rework: bool| {
        let mut c = normal_change(number);
        to(&mut c, "implementing", "", &m(1)).unwrap();
        to(&mut c, "review", "", &m(2)).unwrap();
        if rework {
            to(&mut c, "implementing", "", &m(3)).unwrap();
            to(&mut c, "review", "", &m(4)).unwrap();
        }
        if let Some(o) = outcome {
            act(&mut c, "outcome", &[("outcome", o.as_str())], &m(4)).unwrap();
        }
        act(&mut c, "review", &[("summary", "done")], &m(5)).unwrap();
        to(&mut c, "closed", "", &m(5)).unwrap();
        c
    };
    let mut rejected = normal_change("CHG-5");
    to(&mut rejected, "submitted", "", &m(1)).unwrap();
    to(&mut rejected, "rejected", "too risky", &m(2)).unwrap();
    let mut cancelled = normal_change("CHG-6");
    to(&mut cancelled, "cancelled", "not needed", &m(1)).unwrap();
    let mut later = normal_change("CHG-7");
    to(&mut later, "cancelled", "not needed", &m(24 * 8)).unwrap();
    let changes = [
        implemented("CHG-1", Some(Impl::Successful), false),
        implemented("CHG-2", Some(Impl::BackedOut), true),
        implemented("CHG-3", Some(Impl::Failed), false),
        implemented("CHG-4", None, false),
        rejected,
        cancelled,
        later,
        normal_change("CHG-8"),
    ]
    .map(|c| Change::of(&c));
    let report = changes_by_outcome(&changes, week());
    let rows: Vec<(&str, usize)> = report
        .rows
        .iter()
        .map(|r| (r.outcome.label(), r.normal))
        .collect();
    assert_eq!(
        rows,
        [
            ("Successful", 1),
            ("Successful with issues", 0),
            ("Failed", 1),
            ("Backed out", 1),
            ("Closed, outcome not recorded", 1),
            ("Rejected", 1),
            ("Cancelled", 1)
        ]
    );
    assert_eq!((report.total(), report.reworked), (6, 1));
}

#[test]
fn an_outcome_is_recorded_only_after_implementation() {
    use shared::records::change::ImplementationOutcome as Impl;
    let mut c = normal_change("CHG-1");
    let m = meta("ana", MONDAY);
    assert_eq!(
        act(&mut c, "outcome", &[("outcome", "successful")], &m)
            .unwrap_err()
            .to_string(),
        "the change is draft: record its outcome once it has been implemented"
    );
    to(&mut c, "implementing", "", &m).unwrap();
    act(&mut c, "outcome", &[("outcome", "backed_out")], &m).unwrap();
    assert_eq!(Change::of(&c).outcome, Some(Impl::BackedOut));
    assert_eq!(notes(&c).last().unwrap(), "Outcome: Backed out");
}

/// Records the outage from `start` to `end` (offsets from Monday) on incident `inc`.
fn record_outage(
    inc: &mut Record,
    start: i64,
    end: Option<i64>,
    m: &shared::model::ChangeMeta,
) -> Result<(), shared::model::RecordError> {
    let (start, end) = (
        at(start).millis().to_string(),
        end.map(|e| at(e).millis().to_string()),
    );
    act(
        inc,
        "outage",
        &[("start", &start), ("end", end.as_deref().unwrap_or(""))],
        m,
    )
}

fn major_record(
    number: &str,
    service: &str,
    opened: i64,
    outage: Option<(i64, Option<i64>)>,
) -> Record {
    let mut inc = record(number, service, "", opened, &[]);
    let m = meta("ana", MONDAY + opened);
    act(
        &mut inc,
        "major",
        &[("owner", "bo"), ("reason", "Service down")],
        &m,
    )
    .unwrap();
    if let Some((start, end)) = outage {
        record_outage(&mut inc, start, end, &m).unwrap();
    }
    inc
}

fn major(number: &str, service: &str, opened: i64, outage: Option<(i64, Option<i64>)>) -> Incident {
    Incident::of(&major_record(number, service, opened, outage))
}

#[test]
fn open_major_incidents_lists_the_board_oldest_first() {
    let mut resolved = major_record("INC-3", "SVC-1", 0, Some((0, Some(HOUR))));
    to(&mut resolved, "resolved", "", &meta("ana", MONDAY + HOUR)).unwrap();
    let incidents = [
        major("INC-2", "SVC-1", 2 * HOUR, Some((2 * HOUR, None))),
        major("INC-1", "SVC-2", HOUR, None),
        Incident::of(&resolved),
        incident("INC-4", "SVC-1", "", 0, &[]),
    ];
    let rows = open_major_incidents(&incidents, at(3 * HOUR));
    let board: Vec<(&str, i64, bool)> = rows
        .iter()
        .map(|r| (r.number.as_str(), r.open_ms, r.service_down))
        .collect();
    assert_eq!(board, [("INC-1", 2 * HOUR, false), ("INC-2", HOUR, true)]);
    assert_eq!(rows[0].owner, "bo");
}

fn service(target: f64) -> Service {
    Service {
        number: "SVC-1".into(),
        name: "Tills".into(),
        sla: String::new(),
        availability_target: target,
    }
}

#[test]
fn availability_merges_overlaps_and_clips_to_the_period() {
    let incidents = [
        // Sunday 22:00 to Monday 02:00: two hours fall in the week.
        major(
            "INC-1",
            "SVC-1",
            -2 * HOUR,
            Some((-2 * HOUR, Some(2 * HOUR))),
        ),
        // Overlaps INC-1: the window grows to 03:00, counted once.
        major("INC-2", "SVC-1", HOUR, Some((HOUR, Some(3 * HOUR)))),
        // Another service and a minor incident do not count.
        major("INC-3", "SVC-2", HOUR, Some((HOUR, Some(5 * HOUR)))),
        incident("INC-4", "SVC-1", "", HOUR, &[]),
        // Still down: counts until now (Sunday 23:00), clipped to the week.
        major("INC-5", "SVC-1", 6 * DAY, Some((6 * DAY + 22 * HOUR, None))),
    ];
    let a = availability(&service(99.0), &incidents, week(), at(6 * DAY + 23 * HOUR)).unwrap();
    assert_eq!(a.downtime_ms, 4 * HOUR);
    assert_eq!(
        a.outages,
        [
            OutageWindow {
                start: at(0),
                end: at(3 * HOUR),
                incidents: vec!["INC-1".into(), "INC-2".into()]
            },
            OutageWindow {
                start: at(6 * DAY + 22 * HOUR),
                end: at(6 * DAY + 23 * HOUR),
                incidents: vec!["INC-5".into()]
            }
        ]
    );
    assert!((a.measured_percent - 100.0 * (168.0 - 4.0) / 168.0).abs() < 1e-9);
    assert_eq!(a.met, Some(false), "97.6 % misses 99 %");
    let relaxed = availability(&service(95.0), &incidents, week(), at(7 * DAY)).unwrap();
    assert_eq!(relaxed.met, Some(true));
    assert_eq!(relaxed.target_percent, Some(95.0));
}

#[test]
fn availability_without_target_or_with_a_bad_one() {
    let none = availability(&service(0.0), &[] as &[Incident], week(), at(0)).unwrap();
    assert_eq!((none.measured_percent, none.met), (100.0, None));
    for bad in [101.0, -1.0, f64::NAN] {
        let err = availability(&service(bad), &[] as &[Incident], week(), at(0)).unwrap_err();
        assert!(matches!(err, ReportError::BadTarget { .. }), "{bad}");
    }
    assert_eq!(
        availability(&service(120.0), &[] as &[Incident], week(), at(0))
            .unwrap_err()
            .to_string(),
        "the availability target of SVC-1 must be a percentage between 0 and 100, not 120"
    );
}

#[test]
fn availability_by_service_lists_every_service_by_name_with_its_own_outages() {
    let tills = service(99.0);
    let web = Service {
        number: "SVC-2".into(),
        name: "Shop website".into(),
        ..service(0.0)
    };
    let broken = Service {
        number: "SVC-3".into(),
        name: "Archive".into(),
        ..service(150.0)
    };
    let incidents = [
        major("INC-1", "SVC-1", 0, Some((0, Some(HOUR)))),
        major("INC-2", "SVC-2", 0, Some((0, Some(2 * HOUR)))),
    ];
    let services = [tills, web, broken];
    let rows = availability_by_service(&services, &incidents, week(), at(7 * DAY));
    let names: Vec<&str> = rows.iter().map(|(s, _)| s.name.as_str()).collect();
    assert_eq!(names, ["Archive", "Shop website", "Tills"]);
    assert!(matches!(rows[0].1, Err(ReportError::BadTarget { .. })));
    let downtime = |i: usize| rows[i].1.as_ref().unwrap().downtime_ms;
    assert_eq!((downtime(1), downtime(2)), (2 * HOUR, HOUR));
    assert_eq!(
        rows[2].1.as_ref().unwrap().met,
        Some(true),
        "167/168 h is 99.4 %"
    );
}

#[test]
fn outages_belong_to_major_incidents_and_end_after_they_start() {
    let m = meta("ana", MONDAY);
    let mut minor = record("INC-1", "SVC-1", "", 0, &[]);
    assert_eq!(
        record_outage(&mut minor, 0, None, &m),
        Err(WorkflowError::OutageNotMajor.into())
    );
    let mut inc = major_record("INC-2", "SVC-1", 0, None);
    assert_eq!(
        record_outage(&mut inc, HOUR, Some(HOUR), &m)
            .unwrap_err()
            .to_string(),
        "the outage must end after it starts; check the restore time"
    );
    record_outage(&mut inc, 0, None, &m).unwrap();
    assert_eq!(
        Incident::of(&inc).outage,
        Some(Outage {
            start: at(0),
            end: None
        })
    );
    assert_eq!(
        notes(&inc).last().unwrap(),
        &format!("Service down since {}", at(0))
    );
}

#[test]
fn a_major_incident_with_the_service_still_down_cannot_close() {
    let m = meta("ana", MONDAY + HOUR);
    let mut inc = major_record("INC-1", "SVC-1", 0, Some((0, None)));
    act(&mut inc, "review", &[("summary", "cable cut")], &m).unwrap();
    to(&mut inc, "resolved", "", &m).unwrap();
    assert_eq!(
        to(&mut inc, "closed", "", &m).unwrap_err().to_string(),
        "the service outage has no end yet: record when the service was restored before the incident can be closed"
    );
    record_outage(&mut inc, 0, Some(HOUR), &m).unwrap();
    to(&mut inc, "closed", "", &m).unwrap();
}

fn outage() -> impl Strategy<Value = (i64, Option<i64>)> {
    // Starts from a day before the week to a day after; some still open.
    (-DAY..8 * DAY, prop::option::of(1..3 * DAY)).prop_map(|(s, len)| (s, len.map(|l| s + l)))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Availability is a percentage, and one more outage never raises it.
    #[test]
    fn availability_stays_in_range_and_never_rises_with_an_outage(
        outages in prop::collection::vec(outage(), 0..8),
        extra in outage(),
        now in 0..9 * DAY,
    ) {
        let mut incidents: Vec<Incident> = outages
            .iter()
            .enumerate()
            .map(|(i, &o)| major(&format!("INC-{i}"), "SVC-1", o.0, Some(o)))
            .collect();
        let s = service(99.9);
        let before = availability(&s, &incidents, week(), at(now)).unwrap();
        prop_assert!((0.0..=100.0).contains(&before.measured_percent));
        prop_assert!(before.downtime_ms <= week().length_ms());
        // Merged windows are disjoint and ordered.
        for w in before.outages.windows(2) {
            prop_assert!(w[0].end < w[1].start);
        }
        incidents.push(major("INC-X", "SVC-1", extra.0, Some(extra)));
        let after = availability(&s, &incidents, week(), at(now)).unwrap();
        prop_assert!(after.measured_percent <= before.measured_percent);
        prop_assert!(after.downtime_ms >= before.downtime_ms);
    }

    /// Every ticket resolved in the period is either measured (met or breached, for both
    /// targets) or listed as unmeasured.
    #[test]
    fn attainment_counts_add_up(
        tickets in prop::collection::vec(
            (0..3usize, 0..2 * DAY, 1..600i64, prop::option::of(1..600i64), 0..2usize),
            0..20,
        ),
    ) {
        let incidents: Vec<Incident> = tickets
            .iter()
            .enumerate()
            .map(|(i, &(sla_pick, opened, respond, resolve, service))| {
                let mut moves = vec![(Assigned, opened + respond * MINUTE)];
                if let Some(r) = resolve {
                    moves.push((Resolved, opened + (respond + r) * MINUTE));
                }
                incident(
                    &format!("INC-{i}"),
                    ["SVC-1", "SVC-2"][service],
                    ["SLA-1", "", "SLA-9"][sla_pick],
                    opened,
                    &moves,
                )
            })
            .collect();
        let report = sla_attainment(&incidents, &[sla()], &PriorityMatrix::default(), week());
        let resolved = volumes(&incidents, week()).resolved;
        let o = &report.overall;
        prop_assert_eq!(o.response.measured(), o.resolution.measured());
        prop_assert_eq!(o.response.measured() + report.unmeasured.len(), resolved);
        let per_service: usize = report.per_service.iter().map(|r| r.resolution.measured()).sum();
        prop_assert_eq!(per_service, o.resolution.measured());
    }
}
