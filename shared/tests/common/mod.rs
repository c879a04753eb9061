//! Helpers shared by the integration tests.
#![allow(dead_code)]

use automerge::Automerge;
use shared::records::incident::{IncidentEdit, IncidentStatus};
use shared::records::priority::Level;
use shared::records::{ChangeMeta, Record};
use shared::time::Timestamp;

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

/// Writes a record into a fresh document.
pub fn doc_of<R: Record>(record: &R) -> Automerge {
    let mut doc = Automerge::new();
    record.write(&mut doc, &meta("setup", 1)).unwrap();
    doc
}

/// Merges `b` into `a` and `a` into `b`.
pub fn sync(a: &mut Automerge, b: &mut Automerge) {
    a.merge(b).unwrap();
    b.merge(a).unwrap();
}

/// Reads, edits and writes back a record on one replica.
pub fn edit<R: Record>(doc: &mut Automerge, who: &str, at: i64, f: impl FnOnce(&mut R)) {
    let mut record = R::read(doc).unwrap();
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
