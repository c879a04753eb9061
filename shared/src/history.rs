//! A record's history as an auditor reads it: every change of its document, in causal order,
//! with who made it, on which device, when by that device's clock, and what each field became.
//!
//! Computed from the Automerge document alone (each change carries its [`ChangeMeta`]), so the
//! app, the relay and an exported document replayed elsewhere list the same history. The relay's
//! receipt (when it first received a change) is joined on by change hash where it is known.

use automerge::{
    Automerge, ChangeHash, ChangeMetadata, ObjType, Patch, PatchAction, Prop, ReadDoc, Value,
};
use serde::Serialize;

use crate::{records::ChangeMeta, time::Timestamp};

/// One change of a document.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryEntry {
    /// The change hash (hex), the key of the relay's receipt log.
    pub hash: String,
    /// Who made it, from its metadata; `None` for changes not written by Outpost.
    pub author: Option<String>,
    pub device: Option<String>,
    /// When, by the device's clock (milliseconds when Outpost wrote it; otherwise the change's
    /// own seconds-resolution time, if any).
    pub device_time: Option<Timestamp>,
    /// What the change did to the record, field by field.
    pub fields: Vec<FieldChange>,
}

/// What one change did to one field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The field's path, e.g. `status`, `work_log[3].note`.
    pub field: String,
    pub action: FieldAction,
    /// The new value as text (empty for removals).
    pub value: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FieldAction {
    Set,
    Inserted,
    Removed,
    TextEdited,
    Incremented,
}

impl FieldAction {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldAction::Set => "set",
            FieldAction::Inserted => "inserted",
            FieldAction::Removed => "removed",
            FieldAction::TextEdited => "text edited",
            FieldAction::Incremented => "incremented",
        }
    }
}

/// Every change of `doc`, oldest first (causal order: a change comes after everything it saw).
pub fn history(doc: &Automerge) -> Vec<HistoryEntry> {
    history_since(doc, &[])
}

/// The entries of the changes `doc` has beyond `heads` (what a view following the document had
/// seen), oldest first. A change's entry never changes, so a view appends these instead of
/// working out and comparing every change of a long-lived record on every save.
pub fn history_since(doc: &Automerge, heads: &[ChangeHash]) -> Vec<HistoryEntry> {
    changes_beyond(doc, heads)
        .iter()
        .map(|change| entry(doc, change, change.hash.to_string()))
        .collect()
}

fn entry(doc: &Automerge, change: &ChangeMetadata<'_>, hash: String) -> HistoryEntry {
    let meta = change
        .message
        .as_deref()
        .and_then(|m| serde_json::from_str::<ChangeMeta>(m).ok());
    let device_time = match &meta {
        Some(m) => Some(m.at),
        None if change.timestamp != 0 => Some(Timestamp::from_millis(change.timestamp * 1000)),
        None => None,
    };
    // The difference between what the change saw and the change itself is exactly its effect,
    // also for changes made concurrently with others.
    let patches = doc.diff(&change.deps, &[change.hash]);
    HistoryEntry {
        hash,
        author: meta.as_ref().map(|m| m.author.clone()),
        device: meta.map(|m| m.device),
        device_time,
        fields: patches.iter().flat_map(field_changes).collect(),
    }
}

fn field_changes(patch: &Patch) -> Vec<FieldChange> {
    let base = path_of(patch);
    let at = |prop: String| join(&base, &prop);
    let one = |field, action, value| {
        vec![FieldChange {
            field,
            action,
            value,
        }]
    };
    match &patch.action {
        PatchAction::PutMap { key, value, .. } => {
            one(at(key.clone()), FieldAction::Set, render(&value.0))
        }
        PatchAction::PutSeq { index, value, .. } => {
            one(at(format!("[{index}]")), FieldAction::Set, render(&value.0))
        }
        PatchAction::Insert { index, values } => values
            .iter()
            .enumerate()
            .map(|(i, (value, _, _))| FieldChange {
                field: at(format!("[{}]", index + i)),
                action: FieldAction::Inserted,
                value: render(value),
            })
            .collect(),
        PatchAction::SpliceText { value, .. } => {
            one(base.clone(), FieldAction::TextEdited, value.make_string())
        }
        PatchAction::Increment { prop, value } => one(
            at(prop_text(prop)),
            FieldAction::Incremented,
            value.to_string(),
        ),
        PatchAction::DeleteMap { key } => one(at(key.clone()), FieldAction::Removed, String::new()),
        PatchAction::DeleteSeq { index, length } => (0..*length)
            .map(|i| FieldChange {
                field: at(format!("[{}]", index + i)),
                action: FieldAction::Removed,
                value: String::new(),
            })
            .collect(),
        // A conflict is reported by `review`; marks are not used by records.
        PatchAction::Conflict { .. } | PatchAction::Mark { .. } => vec![],
    }
}

/// `work_log[3].note` from the patch's path of (object, property) pairs.
fn path_of(patch: &Patch) -> String {
    patch.path.iter().fold(String::new(), |path, (_, prop)| {
        join(&path, &prop_text(prop))
    })
}

fn prop_text(prop: &Prop) -> String {
    match prop {
        Prop::Map(key) => key.clone(),
        Prop::Seq(index) => format!("[{index}]"),
    }
}

fn join(path: &str, next: &str) -> String {
    if path.is_empty() || next.starts_with('[') {
        format!("{path}{next}")
    } else {
        format!("{path}.{next}")
    }
}

fn render(value: &Value) -> String {
    match value {
        Value::Scalar(s) => crate::model::scalar_text(s),
        // The object's contents follow as their own field changes.
        Value::Object(ObjType::Map | ObjType::Table) => "{}".into(),
        Value::Object(ObjType::List) => "[]".into(),
        Value::Object(ObjType::Text) => String::new(),
    }
}

/// The metadata of the changes of `doc` that `heads` do not cover, oldest first. Heads `doc`
/// has never seen (another device's newer changes) cannot be ancestors of its changes: they
/// are left out, where Automerge would answer nothing at all.
pub fn changes_beyond<'a>(
    doc: &'a Automerge,
    heads: &[automerge::ChangeHash],
) -> Vec<automerge::ChangeMetadata<'a>> {
    let known: Vec<automerge::ChangeHash> = heads
        .iter()
        .copied()
        .filter(|h| doc.get_change_meta_by_hash(h).is_some())
        .collect();
    doc.get_changes_meta(&known)
}

/// The document's current value of a top-level field as text (for exports and lists).
pub fn field_text(doc: &Automerge, key: &str) -> Option<String> {
    match doc.get(automerge::ROOT, key).ok().flatten()? {
        (Value::Object(ObjType::Text), id) => doc.text(id).ok(),
        (value, _) => Some(render(&value)),
    }
}
