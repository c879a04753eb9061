//! [`Record`]: one record of any type in memory, read from and written to its Automerge
//! document with the envelope every record document carries at its root: `type` (e.g.
//! `"incident"`) and `schema` (an integer). A reader refuses a document whose schema is newer
//! than it understands, rather than misreading it, and brings an older one up to date in
//! memory ([`super::Schema::upgrade`]); the next write stores the current layout.

use std::ops::{Deref, DerefMut};

use automerge::transaction::{CommitOptions, Transactable as _};
use automerge::{Automerge, ReadDoc, ScalarValue, Value as Am};
use serde::{Deserialize, Serialize};

use super::kind::RecordType;
use super::read::{group_of, map_entries};
use super::value::{Group, Value};
use super::write::{Op, apply, hydrated_entries, plan_group};
use crate::time::Timestamp;

/// Why a document could not be read or written as a record, or a change was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RecordError {
    #[error("this document is a {found}, not a {expected}")]
    WrongType { expected: String, found: String },
    #[error("this document has no record type: it is not an Outpost record")]
    NoType,
    #[error(
        "this {kind} was written by a newer version of Outpost (schema {found}; this version reads up to {supported}). Update the app to open it."
    )]
    NewerSchema {
        kind: String,
        found: u64,
        supported: u64,
    },
    #[error("this {kind} could not be read: {detail}")]
    Unreadable { kind: String, detail: String },
    #[error("records of type '{0}' are not known to this version of Outpost")]
    UnknownType(String),
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },
    #[error("the change could not be written: {0}")]
    Write(String),
    #[error(transparent)]
    Rule(#[from] crate::workflow::WorkflowError),
}

impl RecordError {
    /// A refusal of what a person entered for `field`, in words they can act on.
    pub fn invalid(field: &str, message: impl ToString) -> Self {
        RecordError::Invalid {
            field: field.into(),
            message: message.to_string(),
        }
    }
}

/// Who made a change, on which device, and when by the device's clock. Stored as the
/// Automerge change's message (JSON) and time, so every change carries its own evidence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeMeta {
    pub author: String,
    pub device: String,
    pub at: Timestamp,
}

impl ChangeMeta {
    pub fn commit_options(&self) -> CommitOptions {
        let message = serde_json::to_string(self).unwrap_or_default();
        CommitOptions::default()
            .with_message(message)
            .with_time(self.at.millis() / 1000)
    }

    /// The metadata of a change, if it was written by Outpost.
    pub fn of_change(change: &automerge::Change) -> Option<Self> {
        Self::of_message(change.message())
    }

    /// The metadata in a change's message (see [`ChangeMeta::commit_options`]), if it has one.
    pub fn of_message(message: Option<&str>) -> Option<Self> {
        serde_json::from_str(message?).ok()
    }
}

/// The record type named in a document's `type` field.
pub fn record_type(doc: &Automerge) -> Option<String> {
    match doc.get(automerge::ROOT, "type").ok().flatten() {
        Some((Am::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(t) => Some(t.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// The schema a document says it was written with (as an int or a uint).
pub fn schema_version(doc: &Automerge) -> Option<u64> {
    match doc.get(automerge::ROOT, "schema").ok().flatten() {
        Some((Am::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Uint(u) => Some(*u),
            ScalarValue::Int(i) => u64::try_from(*i).ok(),
            _ => None,
        },
        _ => None,
    }
}

/// A record of type [`Record::ty`]: its fields' values. Reads and changes them through
/// [`Group`] (by `Deref`).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub ty: &'static RecordType,
    fields: Group,
}

impl Deref for Record {
    type Target = Group;
    fn deref(&self) -> &Group {
        &self.fields
    }
}

impl DerefMut for Record {
    fn deref_mut(&mut self) -> &mut Group {
        &mut self.fields
    }
}

impl Record {
    /// A record of type `ty` with every field at its default.
    pub fn new(ty: &'static RecordType) -> Self {
        Record {
            ty,
            fields: Group::defaults(ty.fields),
        }
    }

    /// Reads the record of type `ty` in `doc`, upgraded in memory if an older schema wrote it.
    /// Only a document of another type or a newer schema is refused; a field that cannot be
    /// read is marked ([`Record::unreadable`]) and the rest reads normally.
    pub fn read(doc: &Automerge, ty: &'static RecordType) -> Result<Self, RecordError> {
        match record_type(doc) {
            None => return Err(RecordError::NoType),
            Some(found) if found != ty.kind => {
                return Err(RecordError::WrongType {
                    expected: ty.kind.into(),
                    found,
                });
            }
            Some(_) => {}
        }
        // Documents from before the field existed are schema 1.
        let schema = schema_version(doc).unwrap_or(1);
        if schema > ty.schema() {
            return Err(RecordError::NewerSchema {
                kind: ty.noun.into(),
                found: schema,
                supported: ty.schema(),
            });
        }
        let entries = map_entries(doc, &automerge::ROOT);
        let mut record = Record {
            ty,
            fields: group_of(doc, &automerge::ROOT, &entries, ty.fields),
        };
        for later in ty.schemas.iter().filter(|s| s.version > schema) {
            if let Some(upgrade) = later.upgrade {
                upgrade(&mut record);
            }
        }
        Ok(record)
    }

    /// Writes the record into `doc` as one change carrying `meta`: only what differs from
    /// what the document holds (see `model::write`), the envelope when it is not current.
    pub fn write(&self, doc: &mut Automerge, meta: &ChangeMeta) -> Result<(), RecordError> {
        let failed = |e: automerge::AutomergeError| RecordError::Write(e.to_string());
        let root = map_entries(doc, &automerge::ROOT);
        let mut tx_ops = vec![];
        if root.is_empty() {
            // A new document: everything in one batch, which halves the cost of creating a record.
            let mut map = hydrated_entries(self.ty.fields, &self.fields);
            map.insert("type", ScalarValue::from(self.ty.kind).into());
            map.insert("schema", ScalarValue::Uint(self.ty.schema()).into());
            let mut tx = doc.transaction();
            tx.init_root_from_hydrate(&map.into()).map_err(failed)?;
            tx.commit_with(meta.commit_options());
            return Ok(());
        }
        plan_group(
            doc,
            &automerge::ROOT,
            &root,
            self.ty.fields,
            &self.fields,
            &mut tx_ops,
        );
        if record_type(doc).as_deref() != Some(self.ty.kind) {
            tx_ops.push(Op::Put(automerge::ROOT, "type".into(), self.ty.kind.into()));
        }
        if schema_version(doc) != Some(self.ty.schema()) {
            tx_ops.push(Op::Put(
                automerge::ROOT,
                "schema".into(),
                ScalarValue::Uint(self.ty.schema()),
            ));
        }
        if tx_ops.is_empty() {
            return Ok(());
        }
        let mut tx = doc.transaction();
        apply(&mut tx, tx_ops).map_err(failed)?;
        tx.commit_with(meta.commit_options());
        Ok(())
    }

    /// A new document holding the record.
    pub fn document(&self, meta: &ChangeMeta) -> Result<Automerge, RecordError> {
        let mut doc = Automerge::new();
        self.write(&mut doc, meta)?;
        Ok(doc)
    }

    pub fn number(&self) -> &str {
        self.str("number")
    }

    /// Takes action `key` of its type with the form `values` (other records in `lookup`).
    /// Nothing changes if it is refused.
    pub fn act(
        &mut self,
        key: &str,
        values: &super::Values,
        lookup: &dyn super::Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        let action = self
            .ty
            .actions
            .iter()
            .find(|a| a.key == key)
            .ok_or_else(|| {
                RecordError::invalid(
                    "Action",
                    format!("a {} has no action '{key}'", self.ty.noun),
                )
            })?;
        if let Some(missing) = action
            .inputs
            .iter()
            .find(|i| i.required && super::given(values, i.key).is_empty())
        {
            return Err(RecordError::invalid(missing.label, "this is required"));
        }
        let mut next = self.clone();
        (action.apply)(&mut next, values, lookup, meta)?;
        *self = next;
        Ok(())
    }

    /// The value at `path`: a field's key, or a dotted path into a group
    /// (`calendar.time_zone`); null if there is none.
    pub fn get_at(&self, path: &str) -> &Value {
        let mut keys = path.split('.');
        let first = self.fields.get(keys.next().unwrap_or_default());
        keys.try_fold(first, |value, key| value.as_group().map(|g| g.get(key)))
            .unwrap_or(&Value::Null)
    }

    /// Sets the value at `path` (a group on the way that could not be read starts afresh).
    pub fn set_at(&mut self, path: &str, value: Value) {
        let Some((group, key)) = path.rsplit_once('.') else {
            self.fields.set(path, value);
            return;
        };
        let Some(field) = self.ty.field(group) else {
            return;
        };
        let mut inner = match self.get_at(group) {
            Value::Group(g) => g.clone(),
            _ => match field.shape {
                super::Shape::Group(fields) => Group::defaults(fields),
                _ => return,
            },
        };
        inner.set(key, value);
        self.set_at(group, inner.into());
    }

    /// The status's key.
    pub fn status(&self) -> &str {
        self.str("status")
    }

    /// Every value that could not be read, by its path (`work_log[3]`, `calendar.week`), with
    /// what the document holds there.
    pub fn unreadable(&self) -> Vec<(String, String)> {
        let mut found = vec![];
        unreadable_in(&self.fields, "", &mut found);
        found
    }
}

fn unreadable_in(group: &Group, path: &str, found: &mut Vec<(String, String)>) {
    for (key, value) in group.entries() {
        let here = if path.is_empty() {
            key.to_string()
        } else {
            format!("{path}.{key}")
        };
        unreadable_value(value, here, found);
    }
}

fn unreadable_value(value: &Value, path: String, found: &mut Vec<(String, String)>) {
    match value {
        Value::Unreadable(raw) => found.push((path, raw.clone())),
        Value::Group(group) => unreadable_in(group, &path, found),
        Value::List(items) => {
            for (i, item) in items.iter().enumerate() {
                unreadable_value(item, format!("{path}[{i}]"), found);
            }
        }
        _ => {}
    }
}
