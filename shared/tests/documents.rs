//! Every record type to an Automerge document and back, schema migration, and invalid input
//! that must give a clear error, never a panic.

mod common;

use automerge::{Automerge, transaction::Transactable};
use autosurgeon::{Hydrate, Reconcile};
use common::{doc_of, meta};
use shared::records::agreement::{PriorityTarget, Sla};
use shared::records::change::{ApprovalRole, Change, ChangeTemplate, ChangeType, Decision};
use shared::records::ci::{Asset, ConfigurationItem, RelationKind, VerifyMethod};
use shared::records::continuity::ContinuityPlan;
use shared::records::incident::{Incident, IncidentEdit, IncidentStatus, WorkLogEntry};
use shared::records::parties::{Complaint, Contract, Customer, Supplier};
use shared::records::priority::{Level, Priority};
use shared::records::problem::Problem;
use shared::records::registers::*;
use shared::records::release::Release;
use shared::records::request::ServiceRequest;
use shared::records::security::SecurityIncident;
use shared::records::service::{Offering, Service, ServiceState};
use shared::records::{KINDS, Record, RecordError, document};
use shared::time::Timestamp;
use shared::workflow::Workflow;

fn edit(title: &str) -> IncidentEdit {
    IncidentEdit {
        title: title.into(),
        description: "Scanner offline".into(),
        impact: Level::High,
        urgency: Level::Medium,
        status: IncidentStatus::New,
        assignee: String::new(),
        note: String::new(),
    }
}

fn round_trip<R: Record + PartialEq + std::fmt::Debug>(record: R) {
    let doc = doc_of(&record);
    assert_eq!(R::read(&doc).unwrap(), record, "{}", R::KIND);
    // Saved and loaded bytes read the same.
    let loaded = Automerge::load(&doc.save()).unwrap();
    assert_eq!(R::read(&loaded).unwrap(), record, "{}", R::KIND);
}

fn live_service() -> Service {
    let m = meta("ana", 10);
    let mut s = Service::create("SVC-1".into(), "Field IT", "ana", &m).unwrap();
    s.offerings.push(Offering {
        key: "laptop".into(),
        name: "New laptop".into(),
        description: String::new(),
        steps: vec!["Order".into(), "Image".into(), "Hand over".into()],
    });
    s.move_to(ServiceState::Live, "", &m).unwrap();
    s
}

#[test]
fn every_record_type_round_trips() {
    let m = meta("ana", 1_000);
    let mut incident = Incident::create("INC-1".into(), edit("Scanner"), &m).unwrap();
    incident.declare_major("bo", &m).unwrap();
    round_trip(incident);
    round_trip(SecurityIncident::create("SEC-1".into(), edit("Phishing"), &m).unwrap());
    round_trip(ServiceRequest::create("REQ-1".into(), &live_service(), "laptop", "", &m).unwrap());
    round_trip(live_service());
    let mut problem = Problem::create("PRB-1".into(), "Scanners drop wifi", &m).unwrap();
    problem.link_incident("INC-1", &m);
    round_trip(problem);
    let mut change = Change::create("CHG-1".into(), ChangeType::Normal, "Patch", &m).unwrap();
    change.decide(ApprovalRole::Cab, Decision::Approve, "ok", &m);
    change.planned_start = Some(Timestamp(5));
    round_trip(change);
    round_trip(ChangeTemplate {
        number: "TPL-1".into(),
        name: "Reboot".into(),
        approved: true,
        ..Default::default()
    });
    round_trip(Release::create("REL-1".into(), "2026.11", &m).unwrap());
    let mut ci = ConfigurationItem::create("CI-1".into(), "Switch 4", "network", &m).unwrap();
    ci.relate(RelationKind::PartOf, "CI-2", &m).unwrap();
    ci.verify(VerifyMethod::Scanned, true, "", "Q4", &m);
    round_trip(ci);
    round_trip(Asset::create("AST-1".into(), "T-0042", "Zebra TC52", &m).unwrap());
    let mut sla = Sla::create("SLA-1".into(), "Gold", "CUS-1", &m).unwrap();
    sla.targets.push(PriorityTarget {
        priority: Priority::P1,
        response_minutes: 15,
        resolution_minutes: 240,
    });
    round_trip(sla);
    round_trip(Customer::create("CUS-1".into(), "Acme", &m).unwrap());
    round_trip(Complaint::create("CMP-1".into(), "CUS-1", "Slow", &m).unwrap());
    round_trip(Supplier::create("SUP-1".into(), "NetCo", "ana", &m).unwrap());
    round_trip(Contract::create("CON-1".into(), "SUP-1", "WAN", &m).unwrap());
    round_trip(ContinuityPlan::create("BCP-1".into(), "SVC-1", &m));
    round_trip(Risk::create("RSK-1".into(), "Flood", 2, 5, &m).unwrap());
    round_trip(Competence::create("CMT-1".into(), "bo", "technician", &m).unwrap());
    round_trip(InternalAudit::create("AUD-1".into(), "2026", "Incident mgmt", &m).unwrap());
    round_trip(ManagementReview::create("MRV-1".into(), &m));
    round_trip(Nonconformity::create("NCF-1".into(), "No PIR", "AUD-1", &m).unwrap());
    round_trip(
        Improvement::create(
            "IMP-1".into(),
            "Faster triage",
            ImprovementSource::Idea,
            "",
            &m,
        )
        .unwrap(),
    );
}

#[test]
fn every_kind_and_prefix_is_distinct() {
    let mut kinds: Vec<&str> = KINDS.iter().map(|(k, _)| *k).collect();
    let mut prefixes: Vec<&str> = KINDS.iter().map(|(_, p)| *p).collect();
    kinds.sort();
    kinds.dedup();
    prefixes.sort();
    prefixes.dedup();
    assert_eq!(kinds.len(), KINDS.len());
    assert_eq!(prefixes.len(), KINDS.len());
}

/// The layout of an incident as schema 1 wrote it (before the status history existed).
#[derive(Reconcile, Hydrate)]
struct IncidentV1 {
    number: String,
    title: String,
    description: String,
    impact: Level,
    urgency: Level,
    status: IncidentStatus,
    assignee: String,
    created_at: Timestamp,
    created_by: String,
    work_log: Vec<WorkLogEntry>,
}

fn entry(at: i64, note: &str) -> WorkLogEntry {
    WorkLogEntry {
        at: Timestamp(at),
        author: "ana".into(),
        device: "ana-tablet".into(),
        note: note.into(),
    }
}

#[test]
fn schema_1_incident_is_upgraded_with_its_status_history_rebuilt() {
    let old = IncidentV1 {
        number: "INC-OLD".into(),
        title: "Old".into(),
        description: String::new(),
        impact: Level::Low,
        urgency: Level::Low,
        status: IncidentStatus::Pending,
        assignee: "bo".into(),
        created_at: Timestamp(100),
        created_by: "ana".into(),
        work_log: vec![
            entry(100, "Incident logged"),
            entry(200, "Status New → Assigned"),
            entry(300, "Status Assigned → Pending: waiting for parts"),
        ],
    };
    let mut doc = Automerge::new();
    document::write(&mut doc, "incident", 1, &old, &meta("ana", 300)).unwrap();

    let upgraded = Incident::read(&doc).unwrap();
    let history: Vec<(i64, &str, &str)> = upgraded
        .status_history
        .iter()
        .map(|c| (c.at.millis(), c.status.as_str(), c.reason.as_str()))
        .collect();
    assert_eq!(
        history,
        [
            (100, "new", ""),
            (200, "assigned", ""),
            (300, "pending", "waiting for parts")
        ]
    );
    assert_eq!(upgraded.major_owner, "");
    assert_eq!(upgraded.review, None);

    // The next write stores the new layout and schema; reading it again changes nothing.
    let mut again = doc.fork();
    upgraded.write(&mut again, &meta("ana", 400)).unwrap();
    assert_eq!(document::schema_version(&again), Some(Incident::SCHEMA));
    assert_eq!(Incident::read(&again).unwrap(), upgraded);
}

#[test]
fn a_document_without_a_schema_field_reads_as_schema_1() {
    let mut doc = doc_of(&Incident::create("INC-1".into(), edit("x"), &meta("ana", 1)).unwrap());
    let mut tx = doc.transaction();
    tx.delete(automerge::ROOT, "schema").unwrap();
    tx.delete(automerge::ROOT, "status_history").unwrap();
    tx.commit();
    let incident = Incident::read(&doc).unwrap();
    assert_eq!(incident.status_history.len(), 1, "rebuilt from created_at");
}

/// Corrupts a field of `record`'s document and returns the read error.
fn read_error<R: Record + std::fmt::Debug>(
    record: &R,
    corrupt: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> RecordError {
    let mut doc = doc_of(record);
    let mut tx = doc.transaction();
    corrupt(&mut tx);
    tx.commit();
    R::read(&doc).unwrap_err()
}

#[test]
fn unknown_enum_value_names_the_accepted_values() {
    let change =
        Change::create("CHG-1".into(), ChangeType::Normal, "Patch", &meta("ana", 1)).unwrap();
    let err = read_error(&change, |tx| {
        tx.put(automerge::ROOT, "change_type", "yolo").unwrap()
    });
    assert_eq!(
        err.to_string(),
        "this change could not be read: unexpected 'yolo', expected one of 'normal' 'standard' 'emergency' for ChangeType"
    );
}

#[test]
fn newer_schema_is_refused_for_every_record_type() {
    let risk = Risk::create("RSK-1".into(), "Flood", 1, 1, &meta("ana", 1)).unwrap();
    let err = read_error(&risk, |tx| {
        tx.put(automerge::ROOT, "schema", 7_u64).unwrap()
    });
    assert_eq!(
        err.to_string(),
        "this risk was written by a newer version of Outpost (schema 7; this version reads up to 1). Update the app to open it."
    );
}

#[test]
fn missing_required_field_is_named() {
    let problem = Problem::create("PRB-1".into(), "Wifi", &meta("ana", 1)).unwrap();
    let err = read_error(&problem, |tx| {
        tx.delete(automerge::ROOT, "root_cause").unwrap()
    });
    assert_eq!(
        err.to_string(),
        "this problem could not be read: the field 'root_cause' is missing"
    );
    let err = read_error(&problem, |tx| {
        tx.delete(automerge::ROOT, "owner").unwrap();
        tx.delete(automerge::ROOT, "workaround").unwrap();
    });
    assert!(
        err.to_string()
            .contains("the fields 'owner', 'workaround' are missing"),
        "{err}"
    );
}

#[test]
fn wrong_type_of_value_is_an_error_not_a_panic() {
    let ci =
        ConfigurationItem::create("CI-1".into(), "Switch", "network", &meta("ana", 1)).unwrap();
    let err = read_error(&ci, |tx| {
        tx.put(automerge::ROOT, "relationships", 42_i64).unwrap()
    });
    assert!(matches!(err, RecordError::Unreadable { .. }), "{err}");
}

#[test]
fn a_record_of_another_type_is_refused() {
    let doc = doc_of(&Customer::create("CUS-1".into(), "Acme", &meta("ana", 1)).unwrap());
    assert_eq!(
        Supplier::read(&doc).unwrap_err(),
        RecordError::WrongType {
            expected: "supplier".into(),
            found: "customer".into()
        }
    );
    assert_eq!(
        Supplier::read(&Automerge::new()).unwrap_err(),
        RecordError::NoType
    );
}

#[test]
fn restricted_and_everywhere_records_say_so() {
    assert_eq!(SecurityIncident::RESTRICTED_TO, Some("security"));
    assert_eq!(Incident::RESTRICTED_TO, None);
    const { assert!(ContinuityPlan::ON_EVERY_DEVICE) };
    const { assert!(!Incident::ON_EVERY_DEVICE) };
}

/// Writes `incident` as schema 2 wrote it: no `outage` field.
fn schema_2_document(incident: &Incident) -> Automerge {
    let mut doc = Automerge::new();
    document::write(&mut doc, "incident", 2, incident, &meta("ana", 1)).unwrap();
    let mut tx = doc.transaction();
    tx.delete(automerge::ROOT, "outage").unwrap();
    tx.commit();
    doc
}

#[test]
fn schema_2_major_incident_gets_its_outage_from_its_history() {
    let m = |at| meta("ana", at);
    let mut inc = Incident::create("INC-1".into(), edit("Tills down"), &m(1_000)).unwrap();
    inc.declare_major("bo", &m(1_000)).unwrap();
    inc.move_to(IncidentStatus::Resolved, "", &m(5_000))
        .unwrap();
    inc.move_to(IncidentStatus::InProgress, "", &m(6_000))
        .unwrap();
    inc.move_to(IncidentStatus::Resolved, "", &m(9_000))
        .unwrap();
    let upgraded = Incident::read(&schema_2_document(&inc)).unwrap();
    assert_eq!(
        upgraded.outage,
        Some(shared::records::incident::Outage {
            start: Timestamp(1_000),
            end: Some(Timestamp(9_000))
        }),
        "down from logged until last resolved"
    );
    // Still open: still down. A minor incident had no outage.
    let mut open = Incident::create("INC-2".into(), edit("Tills down"), &m(1_000)).unwrap();
    open.declare_major("bo", &m(1_000)).unwrap();
    let upgraded = Incident::read(&schema_2_document(&open)).unwrap();
    assert_eq!(upgraded.outage.unwrap().end, None);
    let minor = Incident::create("INC-3".into(), edit("Mouse"), &m(1_000)).unwrap();
    assert_eq!(
        Incident::read(&schema_2_document(&minor)).unwrap().outage,
        None
    );
    // The current schema reads its own outage as written, with no inference.
    assert_eq!(Incident::read(&doc_of(&minor)).unwrap().outage, None);
}

/// Records are read one object at a time (`records::prefetch`); what they read must be exactly
/// what autosurgeon reads field by field, conflicts and nested lists included.
#[test]
fn a_merged_record_reads_the_same_as_field_by_field() {
    let m = |who, at| meta(who, at);
    let mut inc = Incident::create("INC-1".into(), edit("Scanner"), &m("ana", 1)).unwrap();
    inc.declare_major("bo", &m("ana", 2)).unwrap();
    let mut a = doc_of(&inc);
    let mut b = a.fork();
    common::edit::<Incident>(&mut a, "ana", 3, |i| {
        i.assignee = "ana".into();
        i.record_outage(Timestamp(2), None, &m("ana", 3)).unwrap();
    });
    common::edit::<Incident>(&mut b, "bo", 4, |i| {
        i.assignee = "bo".into();
        i.move_to(IncidentStatus::Assigned, "", &m("bo", 4))
            .unwrap();
    });
    common::sync(&mut a, &mut b);
    let field_by_field: Incident = autosurgeon::hydrate(&a).unwrap();
    assert_eq!(Incident::read(&a).unwrap(), field_by_field);
    assert_eq!(field_by_field.work_log.len(), 4);
    assert!(field_by_field.outage.is_some());
}

/// Writing only what differs: an unchanged field is not rewritten, so it cannot override a
/// concurrent edit on another device; a conflicted field is rewritten, which settles it.
#[test]
fn unchanged_fields_are_not_rewritten_and_conflicts_are_settled_by_a_write() {
    let inc = Incident::create("INC-1".into(), edit("Scanner"), &meta("ana", 1)).unwrap();
    let mut a = doc_of(&inc);
    let ops = |d: &Automerge| d.get_changes(&[]).iter().map(|c| c.len()).sum::<usize>();
    let before = ops(&a);
    Incident::read(&a)
        .unwrap()
        .write(&mut a, &meta("ana", 2))
        .unwrap();
    assert_eq!(ops(&a), before, "an unchanged record writes nothing");

    // Bo retitles while Ana saves the record without touching the title.
    let mut b = a.fork();
    common::edit::<Incident>(&mut b, "bo", 3, |i| i.title = "Scanner 4 dead".into());
    common::edit::<Incident>(&mut a, "ana", 3, |i| i.assignee = "ana".into());
    common::sync(&mut a, &mut b);
    let merged = Incident::read(&a).unwrap();
    assert_eq!(
        (merged.title.as_str(), merged.assignee.as_str()),
        ("Scanner 4 dead", "ana")
    );
    assert!(shared::review::conflicts(&a).is_empty());

    // Both set the assignee: a conflict, settled when someone saves the kept value.
    let mut b = a.fork();
    common::edit::<Incident>(&mut a, "ana", 4, |i| i.assignee = "cy".into());
    common::edit::<Incident>(&mut b, "bo", 4, |i| i.assignee = "bo".into());
    common::sync(&mut a, &mut b);
    assert_eq!(shared::review::conflicts(&a).len(), 1);
    let kept = Incident::read(&a).unwrap();
    kept.write(&mut a, &meta("ana", 5)).unwrap();
    assert!(shared::review::conflicts(&a).is_empty());
    assert_eq!(Incident::read(&a).unwrap(), kept);
}

#[test]
fn a_change_written_before_outcomes_existed_reads_as_not_recorded() {
    let change =
        Change::create("CHG-1".into(), ChangeType::Normal, "Patch", &meta("ana", 1)).unwrap();
    let mut doc = doc_of(&change);
    let mut tx = doc.transaction();
    tx.delete(automerge::ROOT, "outcome").unwrap();
    tx.commit();
    assert_eq!(Change::read(&doc).unwrap().outcome, None);
}
