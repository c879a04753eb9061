//! Record summaries: what lists read instead of whole documents.

mod common;

use automerge::Automerge;
use automerge::transaction::Transactable as _;
use common::{HOUR, MINUTE, MONDAY, edit_form, incident_edit, meta, new};
use shared::forms::Nothing;
use shared::model::Record;
use shared::priority::{Level, Priority, PriorityMatrix};
use shared::records::agreement::{Agreements, Sla};
use shared::sla::PriorityTarget;
use shared::sla::Warning;
use shared::summary::{NoSummary, standard_sla, warning_level, warning_of_level};
use shared::time::Timestamp;

fn logged(title: &str, assignee: &str, at: i64) -> (Record, Automerge) {
    let m = meta("ana", at);
    let mut inc = common::incident("INC-0042", &incident_edit(title, assignee), &m);
    inc.set("site", "north");
    let doc = inc.document(&m).unwrap();
    (inc, doc)
}

fn summarize(
    id: &str,
    doc: &Automerge,
    matrix: &PriorityMatrix,
    slas: &Agreements,
    now: Timestamp,
) -> Result<shared::summary::Summary, NoSummary> {
    shared::summary::summarize(id, doc, matrix, slas, &Nothing, now)
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
    edit_form(
        &mut inc,
        &[("note", "Replaced the roller")],
        &meta("ben", MONDAY + HOUR),
    )
    .unwrap();
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
    edit_form(
        &mut inc,
        &[("status", "in_progress")],
        &meta("ana", MONDAY + 5 * MINUTE),
    )
    .unwrap();
    edit_form(
        &mut inc,
        &[("status", "pending"), ("note", "Waiting for the vendor")],
        &meta("ana", MONDAY + 10 * MINUTE),
    )
    .unwrap();
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
fn documents_that_are_not_records_have_no_summary() {
    let summary = |doc: &Automerge| {
        summarize(
            "x",
            doc,
            &PriorityMatrix::default(),
            &Agreements::default(),
            Timestamp(0),
        )
    };
    assert_eq!(summary(&Automerge::new()), Err(NoSummary::NotListed));
    let typed = |pairs: &[(&str, automerge::ScalarValue)]| {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        for (key, value) in pairs {
            tx.put(automerge::ROOT, *key, value.clone()).unwrap();
        }
        tx.commit();
        doc
    };
    assert_eq!(
        summary(&typed(&[("type", "index".into())])),
        Err(NoSummary::NotListed)
    );
    // An incident written by a newer version is not misread.
    let newer = typed(&[("type", "incident".into()), ("schema", 9_u64.into())]);
    assert!(matches!(summary(&newer), Err(NoSummary::Unreadable(_))));
    // One with nothing but its type lists with every field at its default.
    let bare = summary(&typed(&[("type", "incident".into())])).unwrap();
    assert_eq!((bare.status.as_str(), bare.priority), ("new", Priority::P3));
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
        status: "active".into(),
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
        inc.set("sla", named);
        let doc = inc.document(&meta("ana", MONDAY)).unwrap();
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
    draft.status = "draft".into();
    let slas = Agreements::new([also, draft, covering]);
    let mut service = new("service", "SVC-1", &[("name", "Laptops")], &meta("ana", 1));
    // No SLA of its own: the first active SLA listing it (drafts do not count).
    assert_eq!(slas.for_service(&service), "SLA-B");
    service.set("sla", "SLA-OWN");
    assert_eq!(slas.for_service(&service), "SLA-OWN");
    let other = new("service", "SVC-2", &[("name", "Phones")], &meta("ana", 1));
    assert_eq!(slas.for_service(&other), "", "the standard SLA");
}
