//! The one form engine: what a person edits of any record type, how its text becomes the
//! record's values (`text`), and the four things a form does to a record's document, through
//! the record type's own description (`crate::records`) so a form can never bypass a rule:
//! [`Form::create`] makes a new one, [`Form::edit`] writes the fields a person changed (and, in
//! the ticket layout, moves the status and logs a note with them), [`Form::move_to`] moves the
//! status, [`Form::act`] takes an action (a CAB decision, a check on site). Each refuses with
//! the reason `shared` gives. [`Form::view`] is what the form shows, including any value that
//! could not be read, with what the document holds there.

#[cfg(test)]
mod tests;
mod text;

use std::ops::Deref;

use automerge::Automerge;

use crate::access::Actor;
use crate::ids::DocumentId;
pub use crate::model::{
    Area, Layout, Lookup, Nothing, Pick, Row, RowButton, Section, Values, given,
};
use crate::model::{ChangeMeta, FormField, Record, RecordError, RecordType, Value, WorkLogEntry};
pub use text::{from_text, input, to_text};

/// What control a field needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    Text,
    /// Several lines of prose.
    LongText,
    /// A list, one item per line.
    Lines,
    /// A whole or decimal number.
    Number,
    /// An instant, as milliseconds since 1970 (the app converts from and to local time).
    When,
    /// One of these (key, label) pairs; an empty key means "none".
    Choice(Vec<(&'static str, &'static str)>),
    /// Another record, of one of these types (`crate::references::kinds`), by its number: picked
    /// from the records on the device, or typed.
    Record(&'static str),
    /// Other records, one number per line, each picked or typed.
    Records(&'static str),
    /// A drawing on the screen: a signature pad.
    Drawing,
}

/// One control on a form or an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub input: Input,
    /// Must not be empty when the record is created or the action taken.
    pub required: bool,
    /// Chosen when the record is created, then shown but not changed.
    pub fixed: bool,
    pub pick: Pick,
}

/// Something a record offers besides editing its fields and moving its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub key: &'static str,
    pub label: &'static str,
    pub inputs: Vec<Field>,
}

/// What a form shows of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub number: String,
    pub title: String,
    /// Every form field's value as text, by key (empty for a value that could not be read).
    pub values: Values,
    /// The current status (key, label).
    pub status: (&'static str, &'static str),
    /// The statuses it may move to now (key, label).
    pub moves: Vec<(&'static str, &'static str)>,
    pub sections: Vec<Section>,
    /// What people did, oldest first.
    pub work_log: Vec<WorkLogEntry>,
    /// When and by whom the record was created (its first status).
    pub opened: Option<(crate::time::Timestamp, String)>,
    /// The values that could not be read: the form key (or the path, for a value no form
    /// field shows) and what the document holds there. Saving a value repairs it.
    pub unreadable: Vec<(String, String)>,
}

/// The form of one record type.
#[derive(Clone, Copy)]
pub struct Form(pub &'static RecordType);

impl Deref for Form {
    type Target = RecordType;
    fn deref(&self) -> &RecordType {
        self.0
    }
}

impl std::fmt::Debug for Form {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Form({})", self.0.kind)
    }
}

/// Every record type's form, in navigation order.
pub fn all() -> impl Iterator<Item = Form> {
    crate::records::TYPES.iter().map(|t| Form(t))
}

/// The form of record type `kind`.
pub fn of(kind: &str) -> Option<Form> {
    crate::records::type_of(kind).map(Form)
}

/// The form of the record in `doc`.
pub fn of_document(doc: &Automerge) -> Result<Form, RecordError> {
    let kind = crate::model::record_type(doc).ok_or(RecordError::NoType)?;
    of(&kind).ok_or(RecordError::UnknownType(kind))
}

/// A field's control, from its shape (or its codec).
fn control(field: &FormField, ty: &RecordType) -> Field {
    let input = match (field.codec, ty.field(field.path)) {
        (Some(_), _) => Input::Lines,
        (None, Some(f)) => input(&f.shape),
        (None, None) => Input::Text,
    };
    Field {
        key: field.key,
        label: field.label,
        input,
        required: field.required,
        fixed: field.fixed,
        pick: field.pick,
    }
}

/// A form field's value as text (empty for a value that could not be read).
pub(crate) fn field_text(field: &FormField, value: &Value) -> String {
    match field.codec {
        _ if value.is_unreadable() => String::new(),
        Some(codec) => (codec.to_text)(value),
        None => to_text(value),
    }
}

/// Refuses empty required fields, naming the first one.
fn check_required(
    required: impl IntoIterator<Item = (&'static str, &'static str)>,
    values: &Values,
) -> Result<(), RecordError> {
    for (key, label) in required {
        if given(values, key).is_empty() {
            return Err(RecordError::invalid(label, "this is required"));
        }
    }
    Ok(())
}

impl Form {
    pub fn kind(&self) -> &'static str {
        self.0.kind
    }

    pub fn prefix(&self) -> &'static str {
        self.0.prefix
    }

    pub fn noun(&self) -> &'static str {
        self.0.noun
    }

    pub fn plural(&self) -> &'static str {
        self.0.plural
    }

    pub fn area(&self) -> Area {
        self.0.area
    }

    /// The role a person needs to see or record one at all (security incidents); the relay
    /// neither accepts nor sends such records for anyone else (`crate::access`).
    pub fn restricted_to(&self) -> Option<&'static str> {
        self.0.restricted_to
    }

    /// Whether lists show a priority and an SLA clock for it (ticket-like records).
    pub fn has_priority(&self) -> bool {
        self.0.ticket
    }

    /// The record type the form field `key` names a record of ("" if it names none).
    pub fn reference(&self, key: &str) -> &'static str {
        let path = self
            .0
            .form
            .iter()
            .find(|f| f.key == key)
            .map_or(key, |f| f.path);
        match self.0.field(path).map(|f| f.shape) {
            Some(crate::model::Shape::Reference(kind)) => kind,
            _ => "",
        }
    }

    /// The form's fields.
    pub fn fields(&self) -> Vec<Field> {
        self.0.form.iter().map(|f| control(f, self.0)).collect()
    }

    /// The actions it offers, with their inputs.
    pub fn actions(&self) -> Vec<Action> {
        self.0
            .actions
            .iter()
            .map(|a| Action {
                key: a.key,
                label: a.label,
                inputs: a
                    .inputs
                    .iter()
                    .map(|i| Field {
                        key: i.key,
                        label: i.label,
                        input: input(&i.shape),
                        required: i.required,
                        fixed: false,
                        pick: i.pick,
                    })
                    .collect(),
            })
            .collect()
    }

    /// Every status (key, label), in lifecycle order.
    pub fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        self.0.lifecycle.statuses.to_vec()
    }

    /// A new record from the create form's `values` (its number not set yet).
    pub fn new_record(
        &self,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<Record, RecordError> {
        let ty = self.0;
        check_required(
            ty.form
                .iter()
                .filter(|f| f.required)
                .map(|f| (f.key, f.label)),
            values,
        )?;
        let mut record = Record::new(ty);
        (ty.create)(&mut record, values, lookup, meta)?;
        let before = record.clone();
        self.apply(&mut record, values, true)?;
        self.save(&mut record, &before, values, lookup, meta)?;
        Ok(record)
    }

    /// A new record in a new document `id`, from the create form's `values`.
    pub fn create(
        &self,
        id: &DocumentId,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<Automerge, RecordError> {
        let mut record = self.new_record(values, lookup, meta)?;
        record.set("number", self.0.number(id));
        record.document(meta)
    }

    pub fn view(&self, doc: &Automerge) -> Result<View, RecordError> {
        Ok(self.view_of(&Record::read(doc, self.0)?))
    }

    /// What the form of a new record shows before anything is typed: every field's default.
    pub fn blank(&self) -> View {
        self.view_of(&Record::new(self.0))
    }

    pub fn view_of(&self, record: &Record) -> View {
        let status = self.0.lifecycle.status(record.status()).unwrap_or_default();
        let lifecycle = self.0.lifecycle;
        let pairs = |keys: &[&'static str]| -> Vec<(&'static str, &'static str)> {
            keys.iter().map(|k| (*k, lifecycle.label(k))).collect()
        };
        let unreadable = record
            .unreadable()
            .into_iter()
            .map(|(path, raw)| {
                let key = self.0.form.iter().find(|f| f.path == path).map(|f| f.key);
                (key.map_or(path, String::from), raw)
            })
            .collect();
        View {
            number: record.number().into(),
            title: (self.0.title)(record),
            values: self
                .0
                .form
                .iter()
                .map(|f| (f.key.to_string(), field_text(f, record.get_at(f.path))))
                .collect(),
            status: (status, lifecycle.label(status)),
            moves: pairs(lifecycle.targets(status)),
            sections: (self.0.sections)(record),
            work_log: record.work_log(),
            opened: record
                .status_history()
                .into_iter()
                .min_by_key(|c| c.at)
                .map(|c| (c.at, c.by)),
            unreadable,
        }
    }

    /// Writes the fields in `values` (others stay as they are). In the ticket layout, `status`
    /// moves the record and `note` is logged (or is the reason, when the move needs one), with
    /// the time spent typed in `minutes`.
    pub fn edit(
        &self,
        doc: &mut Automerge,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        let mut record = Record::read(doc, self.0)?;
        self.edit_record(&mut record, values, lookup, meta)?;
        record.write(doc, meta)
    }

    /// [`Form::edit`] on a record in memory. Nothing changes if the edit is refused.
    pub fn edit_record(
        &self,
        record: &mut Record,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        check_required(
            self.0
                .form
                .iter()
                .filter(|f| f.required && values.contains_key(f.key))
                .map(|f| (f.key, f.label)),
            values,
        )?;
        let mut next = record.clone();
        self.apply(&mut next, values, false)?;
        self.save(&mut next, record, values, lookup, meta)?;
        *record = next;
        Ok(())
    }

    /// Applies the form `values` it has a field for; blank ones too unless `creating` (a new
    /// record keeps what it started with, e.g. a request's title). A fixed field is set when
    /// the record is created and refused afterwards.
    fn apply(
        &self,
        record: &mut Record,
        values: &Values,
        creating: bool,
    ) -> Result<(), RecordError> {
        for field in self.0.form {
            let Some(text) = values.get(field.key) else {
                continue;
            };
            if creating && text.trim().is_empty() {
                continue;
            }
            if field.fixed && !creating {
                if *text != field_text(field, record.get_at(field.path)) {
                    return Err(RecordError::invalid(
                        field.label,
                        "this is chosen when the record is created",
                    ));
                }
                continue;
            }
            let shape = self.0.field(field.path).map(|f| f.shape);
            let value = match (field.codec, shape) {
                (Some(codec), _) => (codec.from_text)(text),
                (None, Some(shape)) => from_text(&shape, text),
                (None, None) => Err("this field is not in the record".to_string()),
            }
            .map_err(|message| RecordError::invalid(field.label, message))?;
            record.set_at(field.path, value);
        }
        Ok(())
    }

    /// After the fields: the record type's checks, then (in the ticket layout) the move, what
    /// the type logs about the edit, and the note.
    fn save(
        &self,
        record: &mut Record,
        before: &Record,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        (self.0.validate)(record)?;
        let ticket = self.0.layout == Layout::Ticket;
        let minutes = crate::time_spent::parse(given(values, "minutes"))
            .map_err(|message| RecordError::invalid("Time spent", message))?;
        let note = given(values, "note");
        let to = given(values, "status");
        let mut reason = "";
        if ticket && !to.is_empty() && to != record.status() {
            if self.0.lifecycle.reason_for(to).is_some() {
                reason = note;
            }
            let facts = (self.0.facts)(record, lookup);
            record
                .move_to(to, reason, &facts, meta)
                .map_err(|e| RecordError::invalid("status", e))?;
        }
        (self.0.edited)(before, record, meta);
        crate::references::relink(record, before, lookup);
        // The note goes to the work log unless it was the move's reason (the move logs that);
        // time spent goes with it, or on a line of its own.
        let note = if reason.is_empty() { note } else { "" };
        if ticket && (!note.is_empty() || minutes.is_some()) {
            record.log_time(meta, note, minutes);
        }
        Ok(())
    }

    pub fn move_to(
        &self,
        doc: &mut Automerge,
        to: &str,
        reason: &str,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        let mut record = Record::read(doc, self.0)?;
        let to = self.0.lifecycle.status(to).ok_or_else(|| {
            RecordError::invalid("Status", format!("'{to}' is not a status of this record"))
        })?;
        let facts = (self.0.facts)(&record, lookup);
        record.move_to(to, reason, &facts, meta)?;
        record.write(doc, meta)
    }

    pub fn act(
        &self,
        doc: &mut Automerge,
        action: &str,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        let mut record = Record::read(doc, self.0)?;
        let before = record.clone();
        record.act(action, values, lookup, meta)?;
        crate::references::relink(&mut record, &before, lookup);
        record.write(doc, meta)
    }

    /// [`Form::act`] by a signed-in person, refused with the reason when the record type's
    /// duties bar them from it (`crate::duties`: a change's requester does not approve it).
    pub fn act_as(
        &self,
        doc: &mut Automerge,
        action: &str,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
        actor: &Actor,
    ) -> Result<(), RecordError> {
        let record = Record::read(doc, self.0)?;
        (self.0.duties)(&record, action, actor)
            .map_err(|why| RecordError::invalid("Action", why))?;
        self.act(doc, action, values, lookup, meta)
    }

    /// The actions of the record in `doc` that `actor` may not take, each with why: the app
    /// shows the reason instead of the action.
    pub fn barred(&self, doc: &Automerge, actor: &Actor) -> Vec<(&'static str, String)> {
        let Ok(record) = Record::read(doc, self.0) else {
            return vec![];
        };
        self.0
            .actions
            .iter()
            .filter_map(|a| Some((a.key, (self.0.duties)(&record, a.key, actor).err()?)))
            .collect()
    }
}

/// An incident numbered `number`, logged through its form with `edit` (for code that logs
/// incidents without a person: tests, benchmarks).
pub fn log_incident(
    number: &str,
    edit: &crate::records::incident::IncidentEdit,
    meta: &ChangeMeta,
) -> Result<Record, RecordError> {
    let mut record =
        Form(&crate::records::incident::INCIDENT).new_record(&edit.values(), &Nothing, meta)?;
    record.set("number", number);
    Ok(record)
}
