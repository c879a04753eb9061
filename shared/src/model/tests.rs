use automerge::transaction::Transactable as _;
use automerge::{Automerge, ObjType, ROOT, ReadDoc};

use super::*;
use crate::records::incident::INCIDENT;
use crate::records::registers::RISK;
use crate::time::Timestamp;

fn meta(who: &str, at: i64) -> ChangeMeta {
    ChangeMeta {
        author: who.into(),
        device: format!("{who}-tablet"),
        at: Timestamp(at),
    }
}

fn incident() -> Automerge {
    let mut r = Record::new(&INCIDENT);
    r.set("number", "INC-1");
    r.set("title", "Scanner");
    r.start(&meta("ana", 1), "Incident logged");
    r.document(&meta("ana", 1)).unwrap()
}

fn ops(doc: &Automerge) -> usize {
    doc.get_changes(&[]).iter().map(|c| c.len()).sum()
}

fn edit(doc: &mut Automerge, who: &str, f: impl FnOnce(&mut Record)) {
    let mut r = Record::read(doc, &INCIDENT).unwrap();
    f(&mut r);
    r.write(doc, &meta(who, 2)).unwrap();
}

#[test]
fn an_unchanged_record_writes_nothing_and_a_change_writes_only_itself() {
    let mut doc = incident();
    let before = (doc.get_changes(&[]).len(), ops(&doc));
    Record::read(&doc, &INCIDENT)
        .unwrap()
        .write(&mut doc, &meta("ana", 2))
        .unwrap();
    assert_eq!(
        (doc.get_changes(&[]).len(), ops(&doc)),
        before,
        "no change at all"
    );
    edit(&mut doc, "ana", |r| r.set("assignee", "bo"));
    assert_eq!(ops(&doc), before.1 + 1, "one put");
}

#[test]
fn concurrent_edits_of_different_fields_both_survive_and_a_conflict_is_settled_by_a_write() {
    let mut a = incident();
    let mut b = a.fork();
    edit(&mut a, "ana", |r| r.set("title", "Scanner 4 dead"));
    edit(&mut b, "bo", |r| r.set("assignee", "bo"));
    a.merge(&mut b).unwrap();
    let merged = Record::read(&a, &INCIDENT).unwrap();
    assert_eq!(
        (merged.str("title"), merged.str("assignee")),
        ("Scanner 4 dead", "bo")
    );

    let mut b = a.fork();
    edit(&mut a, "ana", |r| r.set("assignee", "cy"));
    edit(&mut b, "bo", |r| r.set("assignee", "di"));
    a.merge(&mut b).unwrap();
    assert_eq!(crate::review::conflicts(&a).len(), 1);
    let kept = Record::read(&a, &INCIDENT).unwrap();
    kept.write(&mut a, &meta("ana", 3)).unwrap();
    assert!(crate::review::conflicts(&a).is_empty());
    assert_eq!(Record::read(&a, &INCIDENT).unwrap(), kept);
}

#[test]
fn text_a_peer_wrote_as_a_text_object_is_read_and_kept_until_it_changes() {
    let mut doc = incident();
    let mut tx = doc.transaction();
    let text = tx.put_object(ROOT, "title", ObjType::Text).unwrap();
    tx.splice_text(&text, 0, 0, "Scanner offline").unwrap();
    tx.put(ROOT, "x_from_a_script", "kept").unwrap();
    tx.commit();
    let r = Record::read(&doc, &INCIDENT).unwrap();
    assert_eq!(r.str("title"), "Scanner offline");
    edit(&mut doc, "ana", |r| r.set("assignee", "bo"));
    assert!(matches!(
        doc.get(ROOT, "title").unwrap(),
        Some((automerge::Value::Object(ObjType::Text), _))
    ));
    edit(&mut doc, "ana", |r| r.set("title", "Scanner back"));
    assert_eq!(
        crate::history::field_text(&doc, "title").as_deref(),
        Some("Scanner back")
    );
    assert!(matches!(
        doc.get(ROOT, "title").unwrap(),
        Some((automerge::Value::Scalar(_), _))
    ));
    assert!(doc.get(ROOT, "x_from_a_script").unwrap().is_some());
}

#[test]
fn a_value_that_cannot_be_read_marks_its_field_and_is_kept_until_written() {
    let mut doc = incident();
    let mut tx = doc.transaction();
    tx.put(ROOT, "urgency", "whenever").unwrap();
    let log = tx.get(ROOT, "work_log").unwrap().unwrap().1;
    tx.insert(&log, 1, 42_i64).unwrap();
    tx.commit();
    let r = Record::read(&doc, &INCIDENT).unwrap();
    assert_eq!(
        r.unreadable(),
        [
            ("urgency".to_string(), "'whenever'".to_string()),
            ("work_log[1]".to_string(), "42".to_string()),
        ]
    );
    assert_eq!(r.work_log().len(), 1, "the readable entries");
    // Another field saved, a line logged: the odd values stay where they are.
    edit(&mut doc, "ana", |r| {
        r.set("assignee", "bo");
        r.log(&meta("ana", 2), "On my way");
    });
    let r = Record::read(&doc, &INCIDENT).unwrap();
    assert_eq!(r.unreadable().len(), 2);
    assert_eq!(r.work_log().len(), 2);
    assert_eq!(r.str("assignee"), "bo");
    // Writing the field repairs it.
    edit(&mut doc, "ana", |r| r.set("urgency", "high"));
    let r = Record::read(&doc, &INCIDENT).unwrap();
    assert_eq!(r.str("urgency"), "high");
    assert_eq!(r.unreadable().len(), 1);
}

#[test]
fn numbers_are_read_from_any_numeric_shape_that_fits() {
    let mut doc = risk_doc();
    let mut tx = doc.transaction();
    tx.put(ROOT, "likelihood", 4.0_f64).unwrap();
    tx.put(ROOT, "impact", 5_i64).unwrap();
    tx.put(
        ROOT,
        "review_date",
        automerge::ScalarValue::Timestamp(1_000),
    )
    .unwrap();
    tx.commit();
    let r = Record::read(&doc, &RISK).unwrap();
    assert_eq!((r.uint("likelihood"), r.uint("impact")), (4, 5));
    assert_eq!(r.when("review_date"), Some(Timestamp(1_000)));
    let mut tx = doc.transaction();
    tx.put(ROOT, "likelihood", 2.5_f64).unwrap();
    tx.put(ROOT, "impact", 300_u64).unwrap();
    tx.commit();
    let r = Record::read(&doc, &RISK).unwrap();
    assert!(r.get("likelihood").is_unreadable(), "not a whole number");
    assert!(r.get("impact").is_unreadable(), "does not fit 0 to 255");
}

fn risk_doc() -> Automerge {
    let mut r = Record::new(&RISK);
    r.set("description", "Flood");
    r.start(&meta("ana", 1), "Risk identified");
    r.document(&meta("ana", 1)).unwrap()
}

#[test]
fn a_missing_field_reads_as_its_default_and_is_written_with_the_next_change() {
    let mut doc = risk_doc();
    let mut tx = doc.transaction();
    tx.delete(ROOT, "treatment").unwrap();
    tx.delete(ROOT, "likelihood").unwrap();
    tx.commit();
    let r = Record::read(&doc, &RISK).unwrap();
    assert_eq!((r.str("treatment"), r.uint("likelihood")), ("", 1));
    assert!(r.unreadable().is_empty());
    r.write(&mut doc, &meta("ana", 2)).unwrap();
    assert!(doc.get(ROOT, "treatment").unwrap().is_some());
}

#[test]
fn only_a_document_of_another_type_or_a_newer_schema_is_refused() {
    let mut doc = risk_doc();
    assert_eq!(
        Record::read(&doc, &INCIDENT).unwrap_err(),
        RecordError::WrongType {
            expected: "incident".into(),
            found: "risk".into()
        }
    );
    assert_eq!(
        Record::read(&Automerge::new(), &RISK).unwrap_err(),
        RecordError::NoType
    );
    let mut tx = doc.transaction();
    tx.put(ROOT, "schema", 7_u64).unwrap();
    tx.commit();
    assert_eq!(
        Record::read(&doc, &RISK).unwrap_err().to_string(),
        "this risk was written by a newer version of Outpost (schema 7; this version reads up to 1). Update the app to open it."
    );
}
