//! After a merge: what needs a person.
//!
//! Automerge merges every concurrent edit without asking, which is right for an offline team
//! but can leave a record that no single person wrote: two values for one field (one kept by
//! Automerge's rule), a combination the workflow forbids (closed on one tablet, re-assigned on
//! another; a change implemented without approval), or a value another program wrote that
//! does not fit its field. [`review`] lists them for a record of any type, so the app can show
//! them and the person can confirm, correct or repair. The rules are not restated here: the
//! merged record is re-checked with the same rules that guard every move
//! (`crate::model::RecordType::rules`).

use std::fmt;

use automerge::transaction::Transactable as _;
use automerge::{Automerge, ObjId, ObjType, Prop, ReadDoc, ScalarValue, Value, ValueRef};

use crate::model::{ChangeMeta, Lookup, Record, RecordError, WorkLogEntry, in_time_order};
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

/// Concurrent values of one field. `values[0]` is the one Automerge kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// e.g. `assignee`, `steps[2].done`.
    pub field: String,
    pub values: Vec<String>,
    /// Who wrote each of `values` (same order), from the change that set it; `None` when
    /// that change was not written by Outpost.
    pub authors: Vec<Option<String>>,
}

/// Something in a merged record that needs a person.
#[derive(Debug, Clone, PartialEq)]
pub enum Attention {
    Conflict(Conflict),
    /// The record is in a status whose rules the merged contents break.
    Rule {
        status: String,
        error: WorkflowError,
    },
    /// A value that does not fit its field (written by another program, or a newer version):
    /// `field` is its path, `raw` what the document holds. Writing the field repairs it.
    Unreadable {
        field: String,
        raw: String,
    },
    /// The record was finished (closed, retired, …) on one device while another device went on
    /// working on it.
    WorkAfterFinish {
        status: String,
        finished_at: Timestamp,
        finished_on: String,
        later: Vec<WorkLogEntry>,
    },
}

impl fmt::Display for Attention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attention::Conflict(c) => write!(
                f,
                "{} was changed on two devices at once: kept '{}', also set to '{}'. Confirm or change it.",
                c.field,
                c.values[0],
                c.values[1..].join("', '")
            ),
            Attention::Rule { status, error } => write!(f, "It is {status}, but {error}."),
            Attention::Unreadable { field, raw } => write!(
                f,
                "{field} could not be read: it holds {raw}. Enter a value to repair it."
            ),
            Attention::WorkAfterFinish {
                status,
                finished_at,
                finished_on,
                later,
            } => write!(
                f,
                "It was {status} on {finished_on} at {finished_at}, but work went on elsewhere: {}. Reopen it or confirm it is {status}.",
                later
                    .iter()
                    .map(|e| format!("'{}' ({}, {})", e.note, e.author, e.device))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        }
    }
}

/// Reads the record in `doc` (of any type) and lists what needs a person. `lookup` holds the
/// other records its rules may read (a problem's fix change).
pub fn review(doc: &Automerge, lookup: &dyn Lookup) -> Result<Vec<Attention>, RecordError> {
    let record = crate::records::read(doc)?;
    Ok(of_record(doc, &record, lookup))
}

/// What needs a person in the record document `doc`; nothing for a document that is not a
/// record this version reads.
pub fn attention(doc: &Automerge, lookup: &dyn Lookup) -> Vec<Attention> {
    review(doc, lookup).unwrap_or_default()
}

/// What needs a person in `record`, read from `doc`.
pub(crate) fn of_record(doc: &Automerge, record: &Record, lookup: &dyn Lookup) -> Vec<Attention> {
    let mut found: Vec<Attention> = conflicts(doc)
        .into_iter()
        .map(Attention::Conflict)
        .collect();
    found.extend(
        record
            .unreadable()
            .into_iter()
            .map(|(field, raw)| Attention::Unreadable { field, raw }),
    );
    let facts = (record.ty.facts)(record, lookup);
    if let Err(error) = record.recheck(&facts) {
        found.push(Attention::Rule {
            status: record.ty.lifecycle.label(record.status()).to_lowercase(),
            error,
        });
    }
    found.extend(work_after_finish(record));
    found
}

/// Work logged on another device after the record entered the finished status it is in.
fn work_after_finish(record: &Record) -> Option<Attention> {
    let status = record.status();
    let lifecycle = record.ty.lifecycle;
    if !lifecycle.is_finished(status) {
        return None;
    }
    let history = record.status_history();
    let finish = in_time_order(&history)
        .into_iter()
        .rev()
        .find(|c| c.status == status)?
        .clone();
    let later: Vec<WorkLogEntry> = record
        .work_log()
        .into_iter()
        .filter(|e| e.at > finish.at && e.device != finish.device)
        .collect();
    (!later.is_empty()).then(|| Attention::WorkAfterFinish {
        status: lifecycle.label(status).to_lowercase(),
        finished_at: finish.at,
        finished_on: finish.device.clone(),
        later,
    })
}

/// Every field, at any depth, that holds concurrent different values.
pub fn conflicts(doc: &Automerge) -> Vec<Conflict> {
    let mut found = vec![];
    walk(doc, &automerge::ROOT, "", &mut found);
    found
}

/// One range read per object (map_range / list_range flag the places that hold concurrent
/// values), then `get_all` only where a flag is up: a lookup per field made reviewing an
/// incident cost ~0.4 ms natively, and every save reviews its record.
fn walk(doc: &Automerge, obj: &ObjId, path: &str, found: &mut Vec<Conflict>) {
    // (property, the kept value's id if it is an object, whether it holds several values)
    let entries: Vec<(Prop, Option<ObjId>, bool)> = match doc.object_type(obj) {
        Ok(ObjType::Map | ObjType::Table) => doc
            .map_range(obj, ..)
            .map(|item| {
                let child = matches!(item.value, ValueRef::Object(_)).then(|| item.id());
                (Prop::Map(item.key.into_owned()), child, item.conflict)
            })
            .collect(),
        Ok(ObjType::List) => doc
            .list_range(obj, ..)
            .map(|item| {
                let child = matches!(item.value, ValueRef::Object(_)).then(|| item.id());
                (Prop::Seq(item.index), child, item.conflict)
            })
            .collect(),
        _ => return,
    };
    for (prop, child, conflict) in entries {
        let field = match &prop {
            Prop::Map(key) if path.is_empty() => key.clone(),
            Prop::Map(key) => format!("{path}.{key}"),
            Prop::Seq(i) => format!("{path}[{i}]"),
        };
        // Only a field holding several values can conflict; only then are their authors looked
        // up (which reads the change history).
        if conflict {
            conflict_at(doc, obj, prop, &field, found);
        }
        if let Some(child) = child {
            walk(doc, &child, &field, found);
        }
    }
}

/// The concurrent values of `prop` in `obj`, if they differ, as a [`Conflict`] named `field`.
fn conflict_at(doc: &Automerge, obj: &ObjId, prop: Prop, field: &str, found: &mut Vec<Conflict>) {
    let Ok(all) = doc.get_all(obj, prop.clone()) else {
        return;
    };
    let kept = doc.get(obj, prop).ok().flatten().map(|(_, id)| id);
    let mut values: Vec<(String, Option<String>)> = vec![];
    for (value, id) in &all {
        let entry = (render(value), author_of(doc, id));
        if Some(id) == kept.as_ref() {
            values.insert(0, entry);
        } else {
            values.push(entry);
        }
    }
    values.dedup_by(|a, b| a.0 == b.0);
    if values.iter().skip(1).any(|v| v.0 != values[0].0) {
        let (values, authors) = values.into_iter().unzip();
        found.push(Conflict {
            field: field.to_string(),
            values,
            authors,
        });
    }
}

/// The author of the change that wrote the op `id`, from its [`ChangeMeta`].
fn author_of(doc: &Automerge, id: &ObjId) -> Option<String> {
    let ObjId::Id(counter, actor, _) = id else {
        return None;
    };
    doc.get_changes_meta(&[])
        .into_iter()
        .find(|c| c.actor.as_ref() == actor && c.start_op <= *counter && *counter <= c.max_op)
        .and_then(|c| serde_json::from_str::<ChangeMeta>(c.message.as_deref()?).ok())
        .map(|m| m.author)
}

/// A person chose `value` (as [`Conflict::values`] shows it) for the conflicting `field` (as
/// [`Conflict::field`] names it): writes it once more as one change carrying `meta`, which
/// supersedes every concurrent value, so the conflict is resolved on every device that syncs it.
pub fn choose(
    doc: &mut Automerge,
    field: &str,
    value: &str,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let missing = || RecordError::Invalid {
        field: field.to_string(),
        message: "this field has no such value any more".into(),
    };
    let (obj, prop) = locate(doc, field).ok_or_else(missing)?;
    let all = doc
        .get_all(&obj, prop.clone())
        .map_err(|e| RecordError::Write(e.to_string()))?;
    let chosen = all
        .iter()
        .find_map(|(v, _)| match v {
            Value::Scalar(s) if render(v) == value => Some(s.as_ref().clone()),
            _ => None,
        })
        .ok_or_else(missing)?;
    let mut tx = doc.transaction();
    tx.put(&obj, prop, chosen)
        .map_err(|e| RecordError::Write(e.to_string()))?;
    tx.commit_with(meta.commit_options());
    Ok(())
}

/// The object and property a [`Conflict::field`] path (`a.b[2].c`) names, following the kept
/// value at each step.
fn locate(doc: &Automerge, path: &str) -> Option<(ObjId, Prop)> {
    let mut props = vec![];
    for segment in path.split('.') {
        let (key, rest) = segment.split_at(segment.find('[').unwrap_or(segment.len()));
        if !key.is_empty() {
            props.push(Prop::Map(key.to_string()));
        }
        for index in rest.split('[').skip(1) {
            props.push(Prop::Seq(index.strip_suffix(']')?.parse().ok()?));
        }
    }
    let last = props.pop()?;
    let mut obj = automerge::ROOT;
    for prop in props {
        match doc.get(&obj, prop).ok()?? {
            (Value::Object(_), id) => obj = id,
            _ => return None,
        }
    }
    Some((obj, last))
}

fn render(value: &Value<'_>) -> String {
    match value {
        Value::Object(ObjType::List) => "(a list)".into(),
        Value::Object(ObjType::Text) => "(a text)".into(),
        Value::Object(_) => "(a group of fields)".into(),
        Value::Scalar(s) => match s.as_ref() {
            ScalarValue::Null => "(empty)".into(),
            ScalarValue::Boolean(b) => if *b { "yes" } else { "no" }.into(),
            other => crate::model::scalar_text(other),
        },
    }
}
