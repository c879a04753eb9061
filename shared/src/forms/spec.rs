//! [`Spec`]: one record type's form, built from its fields and actions, implementing [`Form`]
//! for any record with a workflow. Reading, writing and moving go through the record's own
//! `Record` and `Workflow` implementations, so a form can never bypass a rule.

use automerge::Automerge;

use super::{Action, Area, Field, Form, Input, Lookup, Section, Values, View, value};
use crate::ids::DocumentId;
use crate::records::agreement::Agreements;
use crate::records::priority::{Level, Priority, PriorityMatrix};
use crate::records::{ChangeMeta, Record, RecordError};
use crate::summary::{Summary, sla_of, updated_at};
use crate::time::Timestamp;
use crate::workflow::{State, Workflow};

/// One editable field of an `R`: its control, and how it reads and writes as text.
pub struct FieldDef<R> {
    pub field: Field,
    pub get: fn(&R) -> String,
    pub set: fn(&mut R, &str) -> Result<(), String>,
}

impl<R> FieldDef<R> {
    pub fn required(mut self) -> Self {
        self.field.required = true;
        self
    }

    /// Several lines of prose instead of one line.
    pub fn long(mut self) -> Self {
        self.field.input = Input::LongText;
        self
    }
}

/// A field of record type `$record` named `$field`, labelled `$label`; its control follows the
/// field's type ([`super::FieldValue`]).
macro_rules! field {
    ($record:ty, $field:ident, $label:literal) => {
        $crate::forms::spec::field!($record, stringify!($field) => $field, $label)
    };
    // A field inside a part of the record (`calendar.time_zone`), under its own key.
    ($record:ty, $key:expr => $($field:ident).+, $label:literal) => {
        $crate::forms::FieldDef::<$record> {
            field: $crate::forms::Field::new(
                $key,
                $label,
                $crate::forms::value::input_for(&<$record as Default>::default().$($field).+),
            ),
            get: |r| $crate::forms::FieldValue::to_text(&r.$($field).+),
            set: |r, v| {
                r.$($field).+ = $crate::forms::FieldValue::from_text(v)?;
                Ok(())
            },
        }
    };
}
pub(crate) use field;

/// A [`Spec::create_with`] that calls the record's own constructor with the create form's
/// values for `$key`s (after the record number), so its rules (a name is required, …) apply.
macro_rules! made_by {
    ($record:ident :: $constructor:ident ($($key:literal),*)) => {
        |values, _, meta| {
            Ok($record::$constructor(
                String::new(),
                $($crate::forms::given(values, $key),)*
                meta,
            )?)
        }
    };
}
pub(crate) use made_by;

/// Changes a record as an action: its form values, the other records, who and when.
pub type Apply<R> = fn(&mut R, &Values, &dyn Lookup, &ChangeMeta) -> Result<(), RecordError>;

pub struct ActionDef<R> {
    pub action: Action,
    pub apply: Apply<R>,
}

/// What a ticket-like record adds to its summary: its priority inputs and where it is.
pub struct Ticket {
    pub impact: Level,
    pub urgency: Level,
    pub priority: Priority,
    /// The SLA record number it names (empty: the standard SLA).
    pub sla: String,
}

/// Site, team and the person it is with, for list filters and "My work".
#[derive(Default)]
pub struct Place {
    pub site: String,
    pub team: String,
    pub assignee: String,
}

/// The form of record type `R`.
pub struct Spec<R: Workflow> {
    noun: &'static str,
    plural: &'static str,
    area: Area,
    title: fn(&R) -> String,
    number: fn(&mut R) -> &mut String,
    fields: Vec<FieldDef<R>>,
    /// `fields`' controls, kept for [`Form::fields`].
    controls: Vec<Field>,
    actions: Vec<ActionDef<R>>,
    sections: fn(&R) -> Vec<Section>,
    create: fn(&Values, &dyn Lookup, &ChangeMeta) -> Result<R, RecordError>,
    facts: fn(&R, &dyn Lookup) -> R::Facts,
    ticket: Option<fn(&R, &PriorityMatrix) -> Ticket>,
    place: fn(&R) -> Place,
    validate: fn(&R) -> Result<(), RecordError>,
}

impl<R: Record + Workflow + 'static> Spec<R> {
    /// `title` names a record in lists; `number` is where its record number lives.
    pub fn new(
        noun: &'static str,
        plural: &'static str,
        area: Area,
        title: fn(&R) -> String,
        number: fn(&mut R) -> &mut String,
    ) -> Self {
        Spec {
            noun,
            plural,
            area,
            title,
            number,
            fields: vec![],
            controls: vec![],
            actions: vec![],
            sections: |_| vec![],
            create: |_, _, meta| {
                let mut record = R::default();
                record.start(meta, "Created");
                Ok(record)
            },
            facts: |_, _| R::Facts::default(),
            ticket: None,
            place: |_| Place::default(),
            validate: |_| Ok(()),
        }
    }

    pub fn fields(mut self, fields: Vec<FieldDef<R>>) -> Self {
        self.controls = fields.iter().map(|f| f.field.clone()).collect();
        self.fields = fields;
        self
    }

    pub fn action(
        mut self,
        key: &'static str,
        label: &'static str,
        inputs: Vec<Field>,
        apply: Apply<R>,
    ) -> Self {
        self.actions.push(ActionDef {
            action: Action { key, label, inputs },
            apply,
        });
        self
    }

    /// Read-only lists the form shows below the fields.
    pub fn sections(mut self, sections: fn(&R) -> Vec<Section>) -> Self {
        self.sections = sections;
        self
    }

    /// How a new record starts (before the create form's fields are applied); by default an
    /// empty record in its first status.
    pub fn create_with(
        mut self,
        create: fn(&Values, &dyn Lookup, &ChangeMeta) -> Result<R, RecordError>,
    ) -> Self {
        self.create = create;
        self
    }

    /// What the record's rules need to know about other records.
    pub fn facts(mut self, facts: fn(&R, &dyn Lookup) -> R::Facts) -> Self {
        self.facts = facts;
        self
    }

    /// A ticket: lists show its priority and its SLA clock.
    pub fn ticket(mut self, ticket: fn(&R, &PriorityMatrix) -> Ticket) -> Self {
        self.ticket = Some(ticket);
        self
    }

    pub fn place(mut self, place: fn(&R) -> Place) -> Self {
        self.place = place;
        self
    }

    /// What the record's fields must satisfy together, checked after every create and edit
    /// (e.g. an SLA's time zone must exist).
    pub fn validate(mut self, validate: fn(&R) -> Result<(), RecordError>) -> Self {
        self.validate = validate;
        self
    }

    /// Applies the form `values` it has a field for; blank ones too unless `skip_blank` (a
    /// new record keeps what its constructor derived, e.g. a request's title).
    fn apply_values(
        &self,
        record: &mut R,
        values: &Values,
        skip_blank: bool,
    ) -> Result<(), RecordError> {
        for def in &self.fields {
            if let Some(text) = values.get(def.field.key)
                && !(skip_blank && text.trim().is_empty())
            {
                (def.set)(record, text).map_err(|message| RecordError::Invalid {
                    field: def.field.label.into(),
                    message,
                })?;
            }
        }
        Ok(())
    }
}

/// Refuses empty required fields, naming the first one.
pub(crate) fn check_required(fields: &[Field], values: &Values) -> Result<(), RecordError> {
    match fields
        .iter()
        .find(|f| f.required && value::is_blank(values.get(f.key)))
    {
        Some(f) => Err(RecordError::Invalid {
            field: f.label.into(),
            message: "this is required".into(),
        }),
        None => Ok(()),
    }
}

fn pairs<S: State>(states: &[S]) -> Vec<(&'static str, &'static str)> {
    states.iter().map(|s| (s.key(), s.label())).collect()
}

fn parse_status<S: State>(key: &str) -> Result<S, RecordError> {
    S::all()
        .iter()
        .copied()
        .find(|s| s.key() == key)
        .ok_or_else(|| RecordError::Invalid {
            field: "Status".into(),
            message: format!("'{key}' is not a status of this record"),
        })
}

impl<R: Record + Workflow + Send + Sync + 'static> Form for Spec<R> {
    fn kind(&self) -> &'static str {
        R::KIND
    }
    fn prefix(&self) -> &'static str {
        R::NUMBER_PREFIX
    }
    fn noun(&self) -> &'static str {
        self.noun
    }
    fn plural(&self) -> &'static str {
        self.plural
    }
    fn area(&self) -> Area {
        self.area
    }
    fn fields(&self) -> &[Field] {
        &self.controls
    }
    fn actions(&self) -> Vec<Action> {
        self.actions.iter().map(|a| a.action.clone()).collect()
    }
    fn statuses(&self) -> Vec<(&'static str, &'static str)> {
        pairs(R::Status::all())
    }
    fn has_priority(&self) -> bool {
        self.ticket.is_some()
    }
    fn restricted_to(&self) -> Option<&'static str> {
        R::RESTRICTED_TO
    }

    fn create(
        &self,
        id: &DocumentId,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<Automerge, RecordError> {
        check_required(&self.controls, values)?;
        let mut record = (self.create)(values, lookup, meta)?;
        *(self.number)(&mut record) = R::number(id);
        self.apply_values(&mut record, values, true)?;
        (self.validate)(&record)?;
        let mut doc = Automerge::new();
        record.write(&mut doc, meta)?;
        Ok(doc)
    }

    fn view(&self, doc: &Automerge) -> Result<View, RecordError> {
        let mut record = R::read(doc)?;
        let status = record.status();
        Ok(View {
            number: (self.number)(&mut record).clone(),
            title: (self.title)(&record),
            values: self
                .fields
                .iter()
                .map(|f| (f.field.key.to_string(), (f.get)(&record)))
                .collect(),
            status: (status.key(), status.label()),
            moves: pairs(R::lifecycle().targets(status)),
            sections: (self.sections)(&record),
            work_log: record.work_log().to_vec(),
        })
    }

    fn edit(
        &self,
        doc: &mut Automerge,
        values: &Values,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        let mut record = R::read(doc)?;
        let required: Vec<Field> = self
            .controls
            .iter()
            .filter(|f| values.contains_key(f.key))
            .cloned()
            .collect();
        check_required(&required, values)?;
        self.apply_values(&mut record, values, false)?;
        (self.validate)(&record)?;
        record.write(doc, meta)
    }

    fn move_to(
        &self,
        doc: &mut Automerge,
        to: &str,
        reason: &str,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        let mut record = R::read(doc)?;
        let to = parse_status::<R::Status>(to)?;
        let facts = (self.facts)(&record, lookup);
        record.move_to_with(to, reason, &facts, meta)?;
        record.write(doc, meta)
    }

    fn act(
        &self,
        doc: &mut Automerge,
        action: &str,
        values: &Values,
        lookup: &dyn Lookup,
        meta: &ChangeMeta,
    ) -> Result<(), RecordError> {
        let def = self
            .actions
            .iter()
            .find(|a| a.action.key == action)
            .ok_or_else(|| RecordError::Invalid {
                field: "Action".into(),
                message: format!("a {} has no action '{action}'", self.noun),
            })?;
        check_required(&def.action.inputs, values)?;
        let mut record = R::read(doc)?;
        (def.apply)(&mut record, values, lookup, meta)?;
        record.write(doc, meta)
    }

    fn summary(
        &self,
        id: &str,
        doc: &Automerge,
        matrix: &PriorityMatrix,
        slas: &Agreements,
        now: Timestamp,
    ) -> Result<Summary, RecordError> {
        let mut record = R::read(doc)?;
        let status = record.status();
        let created_at = record
            .status_history()
            .iter()
            .map(|c| c.at)
            .min()
            .unwrap_or_default();
        let number = (self.number)(&mut record).clone();
        let title = (self.title)(&record);
        let place = (self.place)(&record);
        let finished = R::lifecycle().is_finished(status);
        let (ticket, sla) = match self.ticket {
            Some(ticket) => {
                let t = ticket(&record, matrix);
                let sla = sla_of(
                    record.status_history(),
                    t.priority,
                    slas.for_ticket(&t.sla),
                    now,
                );
                (t, sla)
            }
            None => (
                Ticket {
                    impact: Level::default(),
                    urgency: Level::default(),
                    priority: Priority::default(),
                    sla: String::new(),
                },
                None,
            ),
        };
        // A resolved ticket's work is done although its lifecycle has one step left.
        let resolved =
            self.ticket.is_some() && crate::records::ticket::STOP_STATUSES.contains(&status.key());
        let open = !finished && !resolved;
        let mut search: Vec<String> = vec![number.clone(), title.clone()];
        search.extend(self.fields.iter().map(|f| (f.get)(&record)));
        search.extend(record.work_log().iter().map(|e| e.note.clone()));
        Ok(Summary {
            id: id.into(),
            kind: R::KIND.into(),
            number,
            title,
            status: status.key().into(),
            status_label: status.label().into(),
            open,
            priority: ticket.priority,
            impact: ticket.impact,
            urgency: ticket.urgency,
            site: place.site,
            team: place.team,
            assignee: place.assignee,
            created_at,
            updated_at: updated_at(doc, created_at),
            sla,
            agreement: ticket.sla,
            search: search.join("\n").to_lowercase(),
            attention: crate::review::attention(doc).len(),
        })
    }
}
