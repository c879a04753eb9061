//! Every record type to an Automerge document and back, schema migration, and odd input that
//! must read as far as it can, never panic, and never sink a whole record.

mod common;

use automerge::{Automerge, ObjType, ROOT, transaction::Transactable};
use common::{act, doc_of, edit, meta, new, to};
use shared::model::{Record, RecordError, Value, schema_version};
use shared::records::incident::{INCIDENT, Incident, Outage};
use shared::records::{TYPES, read};
use shared::time::Timestamp;

fn round_trip(record: &Record) {
    let doc = doc_of(record);
    assert_eq!(&read(&doc).unwrap(), record, "{}", record.ty.kind);
    // Saved and loaded bytes read the same.
    let loaded = Automerge::load(&doc.save()).unwrap();
    assert_eq!(&read(&loaded).unwrap(), record, "{}", record.ty.kind);
}

#[test]
fn every_record_type_round_trips() {
    let m = meta("ana", 1_000);
    for ty in TYPES {
        let mut record = Record::new(ty);
        record.set("number", format!("{}-1", ty.prefix));
        record.start(&m, ty.logged);
        round_trip(&record);
    }
    let mut incident = common::incident("INC-1", &common::incident_edit("Scanner", ""), &m);
    act(&mut incident, "major", &[("owner", "bo")], &m).unwrap();
    round_trip(&incident);
    let mut change = new(
        "change",
        "CHG-1",
        &[("change_type", "normal"), ("title", "Patch")],
        &m,
    );
    act(
        &mut change,
        "decide",
        &[("role", "cab"), ("decision", "approve"), ("comment", "ok")],
        &m,
    )
    .unwrap();
    change.set("planned_start", Timestamp(5));
    round_trip(&change);
    let mut ci = new("configuration_item", "CI-1", &[("name", "Switch 4")], &m);
    act(
        &mut ci,
        "relate",
        &[("kind", "part_of"), ("target", "CI-2")],
        &m,
    )
    .unwrap();
    act(
        &mut ci,
        "verify",
        &[("method", "scanned"), ("found", "true")],
        &m,
    )
    .unwrap();
    round_trip(&ci);
    let mut sla = new("sla", "SLA-1", &[("name", "Gold")], &m);
    act(
        &mut sla,
        "target",
        &[
            ("priority", "P1"),
            ("response", "15"),
            ("resolution", "240"),
        ],
        &m,
    )
    .unwrap();
    round_trip(&sla);
}

#[test]
fn every_kind_and_prefix_is_distinct() {
    let mut kinds: Vec<&str> = TYPES.iter().map(|t| t.kind).collect();
    let mut prefixes: Vec<&str> = TYPES.iter().map(|t| t.prefix).collect();
    kinds.sort();
    kinds.dedup();
    prefixes.sort();
    prefixes.dedup();
    assert_eq!(kinds.len(), TYPES.len());
    assert_eq!(prefixes.len(), TYPES.len());
}

/// An incident as schema 1 wrote it (before the status history existed).
fn schema_1_incident(status: &str, log: &[(i64, &str)]) -> Automerge {
    let mut doc = Automerge::new();
    let mut tx = doc.transaction();
    tx.put(ROOT, "type", "incident").unwrap();
    tx.put(ROOT, "schema", 1_u64).unwrap();
    for (key, value) in [
        ("number", "INC-OLD"),
        ("title", "Old"),
        ("description", ""),
        ("impact", "low"),
        ("urgency", "low"),
        ("status", status),
        ("assignee", "bo"),
        ("created_by", "ana"),
    ] {
        tx.put(ROOT, key, value).unwrap();
    }
    tx.put(ROOT, "created_at", 100_i64).unwrap();
    let list = tx.put_object(ROOT, "work_log", ObjType::List).unwrap();
    for (i, (at, note)) in log.iter().enumerate() {
        let entry = tx.insert_object(&list, i, ObjType::Map).unwrap();
        tx.put(&entry, "at", *at).unwrap();
        tx.put(&entry, "author", "ana").unwrap();
        tx.put(&entry, "device", "ana-tablet").unwrap();
        tx.put(&entry, "note", *note).unwrap();
    }
    tx.commit_with(meta("ana", 300).commit_options());
    doc
}

#[test]
fn schema_1_incident_is_upgraded_with_its_status_history_rebuilt() {
    let doc = schema_1_incident(
        "pending",
        &[
            (100, "Incident logged"),
            (200, "Status New → Assigned"),
            (300, "Status Assigned → Pending: waiting for parts"),
        ],
    );
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
    let record = Record::read(&doc, &INCIDENT).unwrap();
    let mut again = doc.fork();
    record.write(&mut again, &meta("ana", 400)).unwrap();
    assert_eq!(schema_version(&again), Some(INCIDENT.schema()));
    assert_eq!(Record::read(&again, &INCIDENT).unwrap(), record);
}

#[test]
fn a_document_without_a_schema_field_reads_as_schema_1() {
    let mut doc = doc_of(&common::incident(
        "INC-1",
        &common::incident_edit("x", ""),
        &meta("ana", 1),
    ));
    let mut tx = doc.transaction();
    tx.delete(ROOT, "schema").unwrap();
    tx.delete(ROOT, "status_history").unwrap();
    tx.commit();
    let incident = Incident::read(&doc).unwrap();
    assert_eq!(incident.status_history.len(), 1, "rebuilt from created_at");
}

/// Writes an odd value into a fresh document of `record` and reads it again.
fn read_after(
    record: &Record,
    odd: impl FnOnce(&mut automerge::transaction::Transaction<'_>),
) -> Record {
    let mut doc = doc_of(record);
    let mut tx = doc.transaction();
    odd(&mut tx);
    tx.commit();
    read(&doc).unwrap()
}

#[test]
fn an_unknown_choice_marks_its_field_and_names_what_it_holds() {
    let change = new(
        "change",
        "CHG-1",
        &[("change_type", "normal"), ("title", "Patch")],
        &meta("ana", 1),
    );
    let mut doc = doc_of(&change);
    let mut tx = doc.transaction();
    tx.put(ROOT, "change_type", "yolo").unwrap();
    tx.commit();
    let odd = read(&doc).unwrap();
    assert_eq!(
        odd.unreadable(),
        [("change_type".to_string(), "'yolo'".to_string())]
    );
    assert_eq!(odd.str("title"), "Patch", "the rest reads");
    let view = shared::forms::of("change").unwrap().view(&doc).unwrap();
    assert_eq!(
        view.unreadable,
        [("change_type".to_string(), "'yolo'".to_string())]
    );
    assert_eq!(
        view.values["change_type"], "",
        "nothing chosen until it is repaired"
    );
}

#[test]
fn newer_schema_is_refused_for_every_record_type() {
    let risk = new(
        "risk",
        "RSK-1",
        &[("description", "Flood")],
        &meta("ana", 1),
    );
    let mut doc = doc_of(&risk);
    let mut tx = doc.transaction();
    tx.put(ROOT, "schema", 7_u64).unwrap();
    tx.commit();
    assert_eq!(
        read(&doc).unwrap_err().to_string(),
        "this risk was written by a newer version of Outpost (schema 7; this version reads up to 1). Update the app to open it."
    );
}

#[test]
fn a_missing_field_reads_as_its_default() {
    let problem = new("problem", "PRB-1", &[("title", "Wifi")], &meta("ana", 1));
    let read = read_after(&problem, |tx| {
        tx.delete(ROOT, "root_cause").unwrap();
        tx.delete(ROOT, "owner").unwrap();
    });
    assert_eq!((read.str("root_cause"), read.str("owner")), ("", ""));
    assert!(read.unreadable().is_empty());
}

#[test]
fn wrong_type_of_value_marks_the_field_not_the_record() {
    let ci = new(
        "configuration_item",
        "CI-1",
        &[("name", "Switch")],
        &meta("ana", 1),
    );
    let read = read_after(&ci, |tx| tx.put(ROOT, "relationships", 42_i64).unwrap());
    assert_eq!(
        read.unreadable(),
        [("relationships".to_string(), "42".to_string())]
    );
    assert_eq!(read.str("name"), "Switch");
}

#[test]
fn a_record_of_another_type_is_refused() {
    let doc = doc_of(&new(
        "customer",
        "CUS-1",
        &[("organisation", "Acme")],
        &meta("ana", 1),
    ));
    assert_eq!(
        Record::read(&doc, &shared::records::parties::SUPPLIER).unwrap_err(),
        RecordError::WrongType {
            expected: "supplier".into(),
            found: "customer".into()
        }
    );
    assert_eq!(
        Record::read(&Automerge::new(), &shared::records::parties::SUPPLIER).unwrap_err(),
        RecordError::NoType
    );
}

#[test]
fn restricted_and_everywhere_records_say_so() {
    use shared::records::{continuity::CONTINUITY_PLAN, security::SECURITY_INCIDENT};
    assert_eq!(SECURITY_INCIDENT.restricted_to, Some("security"));
    assert_eq!(INCIDENT.restricted_to, None);
    assert!(CONTINUITY_PLAN.on_every_device);
    assert!(!INCIDENT.on_every_device);
}

/// `incident` as schema 2 wrote it: no `outage` field.
fn schema_2_document(incident: &Record) -> Automerge {
    let mut doc = doc_of(incident);
    let mut tx = doc.transaction();
    tx.delete(ROOT, "outage").unwrap();
    tx.put(ROOT, "schema", 2_u64).unwrap();
    tx.commit();
    doc
}

#[test]
fn schema_2_major_incident_gets_its_outage_from_its_history() {
    let m = |at| meta("ana", at);
    let mut inc = common::incident("INC-1", &common::incident_edit("Tills down", ""), &m(1_000));
    act(&mut inc, "major", &[("owner", "bo")], &m(1_000)).unwrap();
    to(&mut inc, "resolved", "", &m(5_000)).unwrap();
    to(&mut inc, "in_progress", "", &m(6_000)).unwrap();
    to(&mut inc, "resolved", "", &m(9_000)).unwrap();
    let upgraded = Incident::read(&schema_2_document(&inc)).unwrap();
    assert_eq!(
        upgraded.outage,
        Some(Outage {
            start: Timestamp(1_000),
            end: Some(Timestamp(9_000))
        }),
        "down from logged until last resolved"
    );
    // Still open: still down. A minor incident had no outage.
    let mut open = common::incident("INC-2", &common::incident_edit("Tills down", ""), &m(1_000));
    act(&mut open, "major", &[("owner", "bo")], &m(1_000)).unwrap();
    let upgraded = Incident::read(&schema_2_document(&open)).unwrap();
    assert_eq!(upgraded.outage.unwrap().end, None);
    let minor = common::incident("INC-3", &common::incident_edit("Mouse", ""), &m(1_000));
    assert_eq!(
        Incident::read(&schema_2_document(&minor)).unwrap().outage,
        None
    );
    // The current schema reads its own outage as written, with no inference.
    assert_eq!(Incident::read(&doc_of(&minor)).unwrap().outage, None);
}

/// Records are read one object at a time; a merged record (conflicts, nested lists and groups
/// written on two replicas) reads with every entry of both.
#[test]
fn a_merged_record_reads_every_entry_of_both_replicas() {
    let m = |who, at| meta(who, at);
    let mut inc = common::incident("INC-1", &common::incident_edit("Scanner", ""), &m("ana", 1));
    act(&mut inc, "major", &[("owner", "bo")], &m("ana", 2)).unwrap();
    let mut a = doc_of(&inc);
    let mut b = a.fork();
    edit(&mut a, "ana", 3, |i| {
        i.set("assignee", "ana");
        act(i, "outage", &[("start", "2")], &m("ana", 3)).unwrap();
    });
    edit(&mut b, "bo", 4, |i| {
        i.set("assignee", "bo");
        to(i, "assigned", "", &m("bo", 4)).unwrap();
    });
    common::sync(&mut a, &mut b);
    let merged = Incident::read(&a).unwrap();
    assert_eq!(merged, Incident::read(&b).unwrap());
    assert_eq!(merged.work_log.len(), 4);
    assert!(merged.outage.is_some());
}

/// Writing only what differs: an unchanged field is not rewritten, so it cannot override a
/// concurrent edit on another device; a conflicted field is rewritten, which settles it.
#[test]
fn unchanged_fields_are_not_rewritten_and_conflicts_are_settled_by_a_write() {
    let inc = common::incident(
        "INC-1",
        &common::incident_edit("Scanner", ""),
        &meta("ana", 1),
    );
    let mut a = doc_of(&inc);
    let ops = |d: &Automerge| d.get_changes(&[]).iter().map(|c| c.len()).sum::<usize>();
    let before = ops(&a);
    read(&a).unwrap().write(&mut a, &meta("ana", 2)).unwrap();
    assert_eq!(ops(&a), before, "an unchanged record writes nothing");

    // Bo retitles while Ana saves the record without touching the title.
    let mut b = a.fork();
    edit(&mut b, "bo", 3, |i| i.set("title", "Scanner 4 dead"));
    edit(&mut a, "ana", 3, |i| i.set("assignee", "ana"));
    common::sync(&mut a, &mut b);
    let merged = Incident::read(&a).unwrap();
    assert_eq!(
        (merged.title.as_str(), merged.assignee.as_str()),
        ("Scanner 4 dead", "ana")
    );
    assert!(shared::review::conflicts(&a).is_empty());

    // Both set the assignee: a conflict, settled when someone saves the kept value.
    let mut b = a.fork();
    edit(&mut a, "ana", 4, |i| i.set("assignee", "cy"));
    edit(&mut b, "bo", 4, |i| i.set("assignee", "bo"));
    common::sync(&mut a, &mut b);
    assert_eq!(shared::review::conflicts(&a).len(), 1);
    let kept = read(&a).unwrap();
    kept.write(&mut a, &meta("ana", 5)).unwrap();
    assert!(shared::review::conflicts(&a).is_empty());
    assert_eq!(read(&a).unwrap(), kept);
}

#[test]
fn a_change_written_before_outcomes_existed_reads_as_not_recorded() {
    let change = new(
        "change",
        "CHG-1",
        &[("change_type", "normal"), ("title", "Patch")],
        &meta("ana", 1),
    );
    let read = read_after(&change, |tx| tx.delete(ROOT, "outcome").unwrap());
    assert_eq!(read.get("outcome"), &Value::Null);
}
