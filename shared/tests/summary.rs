//! Record summaries: what lists read instead of whole documents.

mod common;

use automerge::Automerge;
use automerge::transaction::Transactable as _;
use common::{HOUR, MINUTE, MONDAY, incident_edit, meta};
use shared::records::agreement::{AgreementStatus, Agreements, PriorityTarget, Sla};
use shared::records::incident::{Incident, IncidentStatus};
use shared::records::priority::{Level, Priority, PriorityMatrix};
use shared::records::service::Service;
use shared::sla::Warning;
use shared::summary::{NoSummary, standard_sla, summarize, warning_level, warning_of_level};
use shared::time::Timestamp;

fn logged(title: &str, assignee: &str, at: i64) -> (Incident, Automerge) {
    let m = meta("ana", at);
    let mut inc = Incident::create("INC-0042".into(), incident_edit(title, assignee), &m).unwrap();
    inc.site = "north".into();
    let mut doc = Automerge::new();
    inc.write(&mut doc, &m).unwrap();
    (inc, doc)
}

fn summary_at(doc: &Automerge, now: i64) -> shared::summary::Summary {
    summarize(
        "doc-1",
        doc,
        &PriorityMatrix::default(),
        &Agreements::default(),
        Timestamp(now),
    )
    .unwrap()
}

#[test]
fn an_incident_summary_carries_what_the_list_shows_filters_and_searches() {
    let (_, mut doc) = logged("Core switch reboots", "omar", MONDAY);
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "team", "network").unwrap();
    tx.commit();
    let s = summary_at(&doc, MONDAY + MINUTE);
    assert_eq!(s.id, "doc-1");
    assert_eq!(s.kind, "incident");
    assert_eq!(s.number, "INC-0042");
    assert_eq!(s.title, "Core switch reboots");
    assert_eq!((s.status.as_str(), s.status_label.as_str()), ("new", "New"));
    assert!(s.open);
    assert_eq!(s.priority, Priority::P3);
    assert_eq!((s.impact, s.urgency), (Level::Medium, Level::Medium));
    assert_eq!((s.site.as_str(), s.team.as_str()), ("north", "network"));
    assert_eq!(s.assignee, "omar");
    assert_eq!(s.created_at, Timestamp(MONDAY));
    assert!(s.matches("core SWITCH"), "every word, any case");
    assert!(s.matches("inc-0042 omar north network"));
    assert!(!s.matches("core router"));
    // JSON round trip: the app stores summaries as JSON.
    let json = serde_json::to_string(&s).unwrap();
    assert_eq!(
        serde_json::from_str::<shared::summary::Summary>(&json).unwrap(),
        s
    );
}

#[test]
fn the_updated_time_follows_the_latest_change() {
    let (mut inc, mut doc) = logged("Printer jams", "", MONDAY);
    let mut edit = inc.edit_form();
    edit.note = "Replaced the roller".into();
    inc.apply(edit, &meta("ben", MONDAY + HOUR)).unwrap();
    inc.write(&mut doc, &meta("ben", MONDAY + HOUR)).unwrap();
    let s = summary_at(&doc, MONDAY + 2 * HOUR);
    assert_eq!(s.updated_at, Timestamp(MONDAY + HOUR));
    assert!(s.matches("roller"), "the work log is searchable");
}

#[test]
fn sla_warnings_and_breach_are_instants_a_list_can_tick_against() {
    // P3 under the standard SLA: respond within 60 min, resolve within 1440 min, 24×7.
    let (_, doc) = logged("Wi-Fi drops", "", MONDAY);
    let s = summary_at(&doc, MONDAY + 10 * MINUTE);
    let sla = s.sla.expect("the standard SLA applies");
    let r = sla.response;
    assert!(!r.stopped && !r.paused);
    assert_eq!(r.due_at, Some(Timestamp(MONDAY + 60 * MINUTE)));
    assert_eq!(
        r.warn_at,
        [30, 45, 54].map(|m| Some(Timestamp(MONDAY + m * MINUTE)))
    );
    assert_eq!(
        r.left_ms(Timestamp(MONDAY + 20 * MINUTE)),
        Some(40 * MINUTE)
    );
    // The same summary, read later, ticks through the warnings without being rebuilt.
    let at = |m: i64| r.warning(Timestamp(MONDAY + m * MINUTE));
    assert_eq!(at(29), Warning::None);
    assert_eq!(at(30), Warning::Half);
    assert_eq!(at(46), Warning::ThreeQuarters);
    assert_eq!(at(55), Warning::Ninety);
    assert_eq!(at(61), Warning::Breached);
    assert_eq!(
        s.warning(Timestamp(MONDAY + 61 * MINUTE)),
        Warning::Breached
    );
    assert_eq!(
        sla.resolution.due_at,
        Some(Timestamp(MONDAY + 1440 * MINUTE))
    );
}

#[test]
fn a_pending_incident_shows_a_paused_clock_and_a_resolved_one_none() {
    let (mut inc, mut doc) = logged("Badge reader", "", MONDAY);
    let mut edit = inc.edit_form();
    edit.status = IncidentStatus::InProgress;
    inc.apply(edit, &meta("ana", MONDAY + 5 * MINUTE)).unwrap();
    let mut edit = inc.edit_form();
    edit.status = IncidentStatus::Pending;
    edit.note = "Waiting for the vendor".into();
    inc.apply(edit, &meta("ana", MONDAY + 10 * MINUTE)).unwrap();
    inc.write(&mut doc, &meta("ana", MONDAY + 10 * MINUTE))
        .unwrap();
    let s = summary_at(&doc, MONDAY + 70 * MINUTE);
    let res = s.sla.unwrap().resolution;
    assert!(res.paused, "pending pauses the resolution clock");
    assert_eq!(res.due_at, None);
    assert_eq!(
        res.left_ms(Timestamp(MONDAY + 500 * MINUTE)),
        Some((1440 - 10) * MINUTE)
    );
    assert!(s.sla.unwrap().response.stopped, "someone responded");
    assert_eq!(s.sla.unwrap().response.left_ms(Timestamp(MONDAY)), None);
}

#[test]
fn documents_that_are_not_incidents_have_no_summary() {
    assert_eq!(
        summarize(
            "x",
            &Automerge::new(),
            &PriorityMatrix::default(),
            &Agreements::default(),
            Timestamp(0)
        ),
        Err(NoSummary::NotListed)
    );
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "type", "incident").unwrap();
    tx.commit();
    assert!(matches!(
        summarize(
            "x",
            &doc,
            &PriorityMatrix::default(),
            &Agreements::default(),
            Timestamp(0)
        ),
        Err(NoSummary::Unreadable(_))
    ));
}

#[test]
fn the_standard_sla_has_a_target_for_every_priority_and_levels_round_trip() {
    let sla = standard_sla();
    for p in [
        Priority::P1,
        Priority::P2,
        Priority::P3,
        Priority::P4,
        Priority::P5,
    ] {
        assert!(sla.target(p).is_some(), "{p:?}");
    }
    for w in [
        Warning::None,
        Warning::Half,
        Warning::ThreeQuarters,
        Warning::Ninety,
        Warning::Breached,
    ] {
        assert_eq!(warning_of_level(warning_level(w)), w);
    }
}

/// An active SLA `number` with one P3 target (minutes) round the clock.
fn gold(number: &str, response: u32, resolution: u32) -> Sla {
    Sla {
        number: number.into(),
        name: "Gold".into(),
        targets: vec![PriorityTarget {
            priority: Priority::P3,
            response_minutes: response,
            resolution_minutes: resolution,
        }],
        status: AgreementStatus::Active,
        pause_statuses: vec!["pending".into()],
        ..Sla::default()
    }
}

#[test]
fn a_ticket_runs_against_the_sla_it_names_and_the_standard_one_otherwise() {
    let slas = Agreements::new([gold("SLA-GOLD", 120, 600)]);
    let now = Timestamp(MONDAY + 10 * MINUTE);
    let clock = |named: &str| {
        let (mut inc, _) = logged("Core switch reboots", "", MONDAY);
        inc.sla = named.into();
        let mut doc = Automerge::new();
        inc.write(&mut doc, &meta("ana", MONDAY)).unwrap();
        let s = summarize("doc-1", &doc, &PriorityMatrix::default(), &slas, now).unwrap();
        let left = s.sla.unwrap().response.left_ms(now).unwrap();
        (s.agreement, left / MINUTE)
    };
    // P3: the named SLA's 120 minutes, not the standard SLA's 60.
    assert_eq!(clock("SLA-GOLD"), ("SLA-GOLD".into(), 110));
    // An SLA this device does not hold (not synced yet): the standard clock until it arrives.
    assert_eq!(clock("SLA-ELSEWHERE"), ("SLA-ELSEWHERE".into(), 50));
    assert_eq!(clock(""), (String::new(), 50));
}

#[test]
fn a_new_ticket_for_a_service_gets_its_sla_or_an_active_one_that_covers_it() {
    let mut covering = gold("SLA-B", 30, 60);
    covering.services = vec!["SVC-1".into()];
    let mut also = gold("SLA-C", 30, 60);
    also.services = vec!["SVC-1".into()];
    let mut draft = gold("SLA-A", 30, 60);
    draft.services = vec!["SVC-1".into()];
    draft.status = AgreementStatus::Draft;
    let slas = Agreements::new([also, draft, covering]);
    let mut service = Service {
        number: "SVC-1".into(),
        ..Service::default()
    };
    // No SLA of its own: the first active SLA listing it (drafts do not count).
    assert_eq!(slas.for_service(&service), "SLA-B");
    service.sla = "SLA-OWN".into();
    assert_eq!(slas.for_service(&service), "SLA-OWN");
    let other = Service {
        number: "SVC-2".into(),
        ..Service::default()
    };
    assert_eq!(slas.for_service(&other), "", "the standard SLA");
}
