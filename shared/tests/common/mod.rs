//! Helpers shared by the integration tests.
#![allow(dead_code)]

use automerge::Automerge;
use shared::forms::{self, Lookup, Nothing, Values};
use shared::model::{ChangeMeta, Facts, Record};
use shared::priority::Level;
use shared::records::incident::{IncidentEdit, IncidentStatus};
use shared::time::Timestamp;
use shared::workflow::WorkflowError;

pub const HOUR: i64 = 3_600_000;
pub const MINUTE: i64 = 60_000;
/// 2026-11-23T00:00:00Z, a Monday.
pub const MONDAY: i64 = 1_795_392_000_000;

pub fn meta(author: &str, at: i64) -> ChangeMeta {
    ChangeMeta {
        author: author.into(),
        device: format!("{author}-tablet"),
        at: Timestamp(at),
    }
}

/// Form values from `(key, text)` pairs.
pub fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A new record of `kind` numbered `number`, made by its form from `pairs`.
pub fn new(kind: &str, number: &str, pairs: &[(&str, &str)], at: &ChangeMeta) -> Record {
    new_on(kind, number, pairs, &Nothing, at).unwrap_or_else(|e| panic!("{kind}: {e}"))
}

/// [`new`] with other records to read, or why the form refused.
pub fn new_on(
    kind: &str,
    number: &str,
    pairs: &[(&str, &str)],
    lookup: &dyn Lookup,
    at: &ChangeMeta,
) -> Result<Record, shared::model::RecordError> {
    let mut record = forms::of(kind)
        .unwrap()
        .new_record(&values(pairs), lookup, at)?;
    record.set("number", number);
    Ok(record)
}

/// Takes action `action` of `record` with `pairs`.
pub fn act(
    record: &mut Record,
    action: &str,
    pairs: &[(&str, &str)],
    at: &ChangeMeta,
) -> Result<(), shared::model::RecordError> {
    record.act(action, &values(pairs), &Nothing, at)
}

/// Moves `record` to `status` (rules that read other records know nothing).
pub fn to(
    record: &mut Record,
    status: &str,
    reason: &str,
    at: &ChangeMeta,
) -> Result<(), WorkflowError> {
    record.move_to(status, reason, &Facts::default(), at)
}

/// Edits `record` through its form with `pairs`.
pub fn edit_form(
    record: &mut Record,
    pairs: &[(&str, &str)],
    at: &ChangeMeta,
) -> Result<(), shared::model::RecordError> {
    forms::of(record.ty.kind)
        .unwrap()
        .edit_record(record, &values(pairs), &Nothing, at)
}

/// The work log's notes.
pub fn notes(record: &Record) -> Vec<String> {
    record.work_log().into_iter().map(|e| e.note).collect()
}

/// Writes a record into a fresh document.
pub fn doc_of(record: &Record) -> Automerge {
    record.document(&meta("setup", 1)).unwrap()
}

/// Merges `b` into `a` and `a` into `b`.
pub fn sync(a: &mut Automerge, b: &mut Automerge) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
}

/// Reads, edits and writes back a record on one replica.
pub fn edit(doc: &mut Automerge, who: &str, at: i64, f: impl FnOnce(&mut Record)) {
    let mut record = shared::records::read(doc).unwrap();
    f(&mut record);
    record.write(doc, &meta(who, at)).unwrap();
}

/// The form of a new medium/medium incident.
pub fn incident_edit(title: &str, assignee: &str) -> IncidentEdit {
    IncidentEdit {
        title: title.into(),
        description: String::new(),
        impact: Level::Medium,
        urgency: Level::Medium,
        status: IncidentStatus::New,
        assignee: assignee.into(),
        note: String::new(),
    }
}

/// An incident numbered `number`, logged with `edit`.
pub fn incident(number: &str, edit: &IncidentEdit, at: &ChangeMeta) -> Record {
    forms::log_incident(number, edit, at).unwrap()
}

/// Other records on a device, by number.
pub type Device = std::collections::BTreeMap<String, Automerge>;

/// A device holding `records`.
pub fn holding(records: &[&Record]) -> Device {
    records
        .iter()
        .map(|r| (r.number().to_string(), doc_of(r)))
        .collect()
}
