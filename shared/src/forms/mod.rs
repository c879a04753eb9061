//! The forms of every record type: which fields a person edits, which actions a record offers
//! (a CAB decision, linking an incident, verifying a CI on site), and how each maps onto the
//! record. Declared once here, so the app renders one generic list and form for every type and
//! every rule stays in the record's module (the app never decides anything itself).
//!
//! A form works on the record's Automerge document: [`Form::create`] makes a new one,
//! [`Form::view`] reads what the form shows, [`Form::edit`], [`Form::move_to`] and [`Form::act`]
//! change it through the record's own methods and workflow, and refuse with the reason from
//! `shared` when a rule says no.
//!
//! | module | records |
//! |---|---|
//! | `desk` | service requests, security incidents, problems |
//! | `changes` | changes, change templates, releases |
//! | `config` | configuration items, assets, verification campaigns |
//! | `service_level` | services, SLAs, customers, complaints, suppliers, contracts, continuity plans |
//! | `registers` | risks, competences, internal audits, management reviews, nonconformities, improvements |
//!
//! Incidents keep their own form in the app (SLA, major incident, outage) and are not listed
//! here.

mod changes;
mod config;
mod desk;
mod registers;
mod service_level;
mod spec;
#[cfg(test)]
mod tests;
mod value;

use std::collections::BTreeMap;
use std::sync::LazyLock;

use automerge::Automerge;

use crate::ids::DocumentId;
use crate::records::agreement::{Agreements, Sla};
use crate::records::priority::PriorityMatrix;
use crate::records::service::Service;
use crate::records::{ChangeMeta, Record, RecordError};
use crate::summary::Summary;
use crate::time::Timestamp;

pub use spec::{ActionDef, FieldDef, Spec};
pub use value::FieldValue;

/// Form values by field key, as text (see [`FieldValue`] for each type's text form).
pub type Values = BTreeMap<String, String>;

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
}

/// One control on a form or an action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    pub key: &'static str,
    pub label: &'static str,
    pub input: Input,
    /// Must not be empty when the record is created or the action taken.
    pub required: bool,
}

impl Field {
    pub fn new(key: &'static str, label: &'static str, input: Input) -> Self {
        Field {
            key,
            label,
            input,
            required: false,
        }
    }

    pub fn required(mut self) -> Self {
        self.required = true;
        self
    }
}

/// Where a record type sits in the navigation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Area {
    ServiceDesk,
    Change,
    Configuration,
    ServiceLevel,
    Registers,
}

impl Area {
    pub const ALL: [Area; 5] = [
        Area::ServiceDesk,
        Area::Change,
        Area::Configuration,
        Area::ServiceLevel,
        Area::Registers,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Area::ServiceDesk => "Service desk",
            Area::Change => "Change and release",
            Area::Configuration => "Configuration",
            Area::ServiceLevel => "Service level and relationships",
            Area::Registers => "Management registers",
        }
    }
}

/// Something a record offers besides editing its fields and moving its status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub key: &'static str,
    pub label: &'static str,
    pub inputs: Vec<Field>,
}

/// A read-only list on the form (approvals, relationships, checklist…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    pub title: &'static str,
    pub rows: Vec<Row>,
}

impl Section {
    /// A section of plain text rows.
    pub fn text(title: &'static str, rows: impl IntoIterator<Item = String>) -> Self {
        Section {
            title,
            rows: rows.into_iter().map(Row::text).collect(),
        }
    }
}

/// One line of a section, with a button when the line itself can be acted on (a checklist
/// step to tick off).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub text: String,
    pub button: Option<RowButton>,
}

impl Row {
    pub fn text(text: String) -> Self {
        Row { text, button: None }
    }
}

/// Takes `action` with `values` when pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowButton {
    pub label: &'static str,
    pub action: &'static str,
    pub values: Values,
}

/// What a form shows of a record.
#[derive(Debug, Clone, PartialEq)]
pub struct View {
    pub number: String,
    pub title: String,
    /// Every field's value by key.
    pub values: Values,
    /// The current status (key, label).
    pub status: (&'static str, &'static str),
    /// The statuses it may move to now (key, label).
    pub moves: Vec<(&'static str, &'static str)>,
    pub sections: Vec<Section>,
    /// What people did, oldest first.
    pub work_log: Vec<crate::records::journal::WorkLogEntry>,
}

/// The other records on the device, for rules and actions that read them: a request reads its
/// service's catalogue, a problem the status of its fix change, a campaign the CIs of a site.
pub trait Lookup {
    /// The document of the record with this number.
    fn record(&self, number: &str) -> Option<Automerge>;
    /// The documents of every record of this type.
    fn all(&self, kind: &str) -> Vec<Automerge>;
}

/// No other records (tests, and records whose rules read none).
pub struct Nothing;

impl Lookup for Nothing {
    fn record(&self, _: &str) -> Option<Automerge> {
        None
    }
    fn all(&self, _: &str) -> Vec<Automerge> {
        vec![]
    }
}

/// One record type's form. Object-safe, so the app keeps one registry of them.
pub trait Form: Send + Sync {
    fn kind(&self) -> &'static str;
    fn prefix(&self) -> &'static str;
    /// The record type in words, singular lower case: "problem".
    fn noun(&self) -> &'static str;
    /// The list's heading: "Problems".
    fn plural(&self) -> &'static str;
    fn area(&self) -> Area;
    fn fields(&self) -> &[Field];
    fn actions(&self) -> Vec<Action>;
    /// Every status (key, label), in lifecycle order.
    fn statuses(&self) -> Vec<(&'static str, &'static str)>;
    /// Whether lists show a priority and an SLA clock for it (ticket-like records).
    fn has_priority(&self) -> bool;
    /// The role a person needs to see or record one at all (security incidents); the relay
    /// neither accepts nor sends such records for anyone else (`crate::access`).
    fn restricted_to(&self) -> Option<&'static str>;
    /// A new record in a new document, from the create form's `values`.
    fn create(
        &self,
        id: &DocumentId,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<Automerge, RecordError>;
    fn view(&self, doc: &Automerge) -> Result<View, RecordError>;
    /// Writes the fields in `values` (others stay as they are).
    fn edit(
        &self,
        doc: &mut Automerge,
        values: &Values,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError>;
    fn move_to(
        &self,
        doc: &mut Automerge,
        to: &str,
        reason: &str,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError>;
    fn act(
        &self,
        doc: &mut Automerge,
        action: &str,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError>;
    /// The list's summary of the record (see [`crate::summary`]).
    fn summary(
        &self,
        id: &str,
        doc: &Automerge,
        matrix: &PriorityMatrix,
        slas: &Agreements,
        now: Timestamp,
    ) -> Result<Summary, RecordError>;
}

static FORMS: LazyLock<Vec<Box<dyn Form>>> = LazyLock::new(|| {
    let mut forms = vec![];
    desk::add(&mut forms);
    changes::add(&mut forms);
    config::add(&mut forms);
    service_level::add(&mut forms);
    registers::add(&mut forms);
    forms
});

/// Every form, in navigation order.
pub fn all() -> &'static [Box<dyn Form>] {
    &FORMS
}

/// The form of record type `kind`.
pub fn of(kind: &str) -> Option<&'static dyn Form> {
    FORMS.iter().find(|f| f.kind() == kind).map(|f| f.as_ref())
}

/// The value of `key` in `values`, trimmed ("" when absent).
pub fn given<'a>(values: &'a Values, key: &str) -> &'a str {
    values.get(key).map_or("", |v| v.trim())
}

/// The record `number` (of type `R`) from the device, or why it cannot be used.
/// The SLAs on this device, for tickets' clocks.
pub fn agreements(lookup: &dyn Lookup) -> Agreements {
    let slas = lookup.all(Sla::KIND);
    Agreements::new(slas.iter().filter_map(|doc| Sla::read(doc).ok()))
}

/// For a new ticket about the service numbered `number`: the service's number and the SLA
/// number the ticket's clock runs against ([`Agreements::for_service`]). A retired service
/// takes no new tickets ([`ServiceState::takes_incidents`]).
pub fn ticket_service(lookup: &dyn Lookup, number: &str) -> Result<(String, String), RecordError> {
    let service: Service = other(lookup, number, "Service")?;
    if !service.status.takes_incidents() {
        return Err(RecordError::Invalid {
            field: "Service".into(),
            message: format!(
                "{} {} is {}: it takes no new incidents",
                service.number,
                service.name,
                service.status.label().to_lowercase()
            ),
        });
    }
    Ok((
        service.number.clone(),
        agreements(lookup).for_service(&service),
    ))
}

pub(crate) fn other<R: Record>(
    lookup: &dyn Lookup,
    number: &str,
    field: &str,
) -> Result<R, RecordError> {
    let doc = lookup.record(number).ok_or_else(|| RecordError::Invalid {
        field: field.into(),
        message: format!(
            "there is no {} {number} on this device",
            R::KIND.replace('_', " ")
        ),
    })?;
    R::read(&doc)
}

/// A refusal that is not a workflow rule (a wrong tag, an unknown step), in the record's words.
pub(crate) fn refused(field: &str, error: impl ToString) -> RecordError {
    RecordError::Invalid {
        field: field.into(),
        message: error.to_string(),
    }
}

/// The choice made for `key`, or the type's default when none was made.
pub(crate) fn chosen<T: FieldValue + Default>(
    values: &Values,
    key: &str,
    label: &str,
) -> Result<T, RecordError> {
    match given(values, key) {
        "" => Ok(T::default()),
        text => T::from_text(text).map_err(|e| refused(label, e)),
    }
}
