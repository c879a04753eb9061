//! [`RecordType`]: everything about one record type, as data: its document fields and their
//! shapes, the schemas it was written with (and how an older record is brought up to date), its
//! lifecycle and rules, how a new one starts, what its form edits, the actions it offers, and
//! what lists show of it. Each record type is one `static` of this (see `crate::records`); the
//! reader, the writer, the form engine (`crate::forms`), the summary and the after-merge review
//! are written once, for all of them.

use std::collections::BTreeMap;

use automerge::Automerge;

use super::record::{ChangeMeta, Record, RecordError};
use super::shape::{Field, Shape};
use crate::person::Actor;
use crate::workflow::{Lifecycle, WorkflowError};

/// Form values by field key, as text (what a person typed; see `crate::forms`).
pub type Values = BTreeMap<String, String>;

/// The value of `key` in `values`, trimmed ("" when absent).
pub fn given<'a>(values: &'a Values, key: &str) -> &'a str {
    values.get(key).map_or("", |v| v.trim())
}

pub struct RecordType {
    /// The document's `type`, e.g. `incident`.
    pub kind: &'static str,
    /// The prefix of its record numbers, e.g. `INC` in `INC-7K3Q-D2MX`.
    pub prefix: &'static str,
    /// In words, singular lower case: "problem".
    pub noun: &'static str,
    /// The list's heading: "Problems".
    pub plural: &'static str,
    pub area: Area,
    /// Every field of its documents, in order.
    pub fields: &'static [Field],
    /// The schemas it has been written with, oldest first; the last is the current one.
    pub schemas: &'static [Schema],
    pub lifecycle: &'static Lifecycle,
    /// Its own rules for being in status `to` (beyond the lifecycle), given the reason for the
    /// move and facts about other records. Checked on every move, and after every merge.
    pub rules: fn(&Record, to: &str, reason: &str, facts: &Facts) -> Result<(), WorkflowError>,
    /// What its rules need to know about other records on the device.
    pub facts: fn(&Record, &dyn Lookup) -> Facts,
    /// The work-log line of a new record.
    pub logged: &'static str,
    /// How a new record starts, before the create form's values are applied: by default in its
    /// first status, with [`RecordType::logged`] in its work log.
    pub create: Create,
    /// What the fields must satisfy together, after every create and edit.
    pub validate: fn(&Record) -> Result<(), RecordError>,
    /// After a person's edit of the fields (`before` is the record as it was): e.g. log who it
    /// was assigned to.
    pub edited: fn(before: &Record, after: &mut Record, meta: &ChangeMeta),
    /// The fields a person edits, in form order.
    pub form: &'static [FormField],
    pub actions: &'static [Action],
    /// Read-only lists the form shows below the fields.
    pub sections: fn(&Record) -> Vec<Section>,
    /// How lists name a record.
    pub title: fn(&Record) -> String,
    pub place: Place,
    /// A ticket (fields `impact`, `urgency`, `sla`): lists show its priority and SLA clock.
    pub ticket: bool,
    /// Kept on every device whatever its scope (continuity plans must be readable when the
    /// normal site is unreachable).
    pub on_every_device: bool,
    /// The role needed to see its contents at all (security incidents).
    pub restricted_to: Option<&'static str>,
    /// Defined by administrators and change managers only, read by everyone with a role
    /// (freeze windows; see `crate::access`).
    pub managed: bool,
    /// Whether `actor` may take action `action` on the record, beyond being allowed to write
    /// it: separation of duties (a change's requester does not approve it). The app offers
    /// no action this refuses, and says why; `duties_kept` is what the relay checks.
    pub duties: fn(&Record, action: &str, actor: &Actor) -> Result<(), String>,
    /// What the relay checks of a change it receives, knowing who sent it (`before` is the
    /// record as the relay held it): e.g. that every new approval names its sender, who may
    /// give it. `None`: nothing beyond access and scope, and the relay reads no record.
    pub duties_kept: Option<DutiesKept>,
    pub layout: Layout,
}

/// See [`RecordType::duties_kept`].
pub type DutiesKept = fn(before: &Record, after: &Record, actor: &Actor) -> Result<(), String>;

pub type Create = fn(&mut Record, &Values, &dyn Lookup, &ChangeMeta) -> Result<(), RecordError>;

impl RecordType {
    /// A record type with nothing but its defaults: fill in what differs.
    pub const BASE: RecordType = RecordType {
        kind: "",
        prefix: "",
        noun: "",
        plural: "",
        area: Area::Registers,
        fields: &[],
        schemas: &[Schema::FIRST],
        lifecycle: &crate::workflow::NO_LIFECYCLE,
        rules: |_, _, _, _| Ok(()),
        facts: |_, _| Facts::default(),
        logged: "Created",
        create: |record, _, _, meta| {
            record.start(meta, record.ty.logged);
            Ok(())
        },
        validate: |_| Ok(()),
        edited: |_, _, _| {},
        form: &[],
        actions: &[],
        sections: |_| vec![],
        title: |r| r.str("number").to_string(),
        place: Place::NONE,
        ticket: false,
        on_every_device: false,
        restricted_to: None,
        managed: false,
        duties: |_, _, _| Ok(()),
        duties_kept: None,
        layout: Layout::Record,
    };

    /// Whether its current schema stores references as links.
    pub fn links(&self) -> bool {
        self.schemas.iter().any(|s| s.links)
    }

    /// The current schema.
    pub fn schema(&self) -> u64 {
        self.schemas.last().map_or(1, |s| s.version)
    }

    /// The record number for a record in the document `id`.
    pub fn number(&self, id: &crate::ids::DocumentId) -> String {
        crate::numbering::record_number(self.prefix, id)
    }

    /// The document field at `path` (`calendar.time_zone`).
    pub fn field(&self, path: &str) -> Option<&'static Field> {
        super::shape::field_at(self.fields, path)
    }
}

impl std::fmt::Debug for RecordType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.kind)
    }
}

impl PartialEq for RecordType {
    fn eq(&self, other: &Self) -> bool {
        self.kind == other.kind
    }
}

/// A schema a record type was written with: the fields it added, and what bringing a record
/// of an older schema up to it takes beyond reading the added fields as their defaults.
#[derive(Debug, Clone, Copy)]
pub struct Schema {
    pub version: u64,
    pub added: &'static [&'static str],
    /// Derives what the added fields should hold from the rest of an older record, in memory.
    /// The next write stores the new layout and schema, so reading never writes and two
    /// devices reading the same old document see the same record.
    pub upgrade: Option<fn(&mut Record)>,
    /// From this schema on, a reference field holds a link (`{number, id}`, see
    /// `crate::links`) rather than the number as text. An older record's text reads as before
    /// and becomes a link when it is next written on a device that knows the record it names
    /// (which needs the other records, so it is not an in-memory `upgrade`).
    pub links: bool,
}

impl Schema {
    pub const FIRST: Schema = Schema {
        version: 1,
        added: &[],
        upgrade: None,
        links: false,
    };

    /// The schema that stores references as links.
    pub const fn links(version: u64) -> Schema {
        Schema {
            version,
            added: &[],
            upgrade: None,
            links: true,
        }
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

/// How the app lays out a record type's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// Fields, then a status card that moves the record with a reason, then actions.
    Record,
    /// A ticket worked in one form: its fields, the status to move to and a work-log note are
    /// saved together (the note is the reason when the move needs one); the priority and the
    /// SLA show as the person chooses; known errors can be searched and linked. Its controls
    /// are named by the field keys alone (`#title`), as the incident page always had them.
    Ticket,
}

/// Which fields say where a record is and who has it: list filters and "My work" (empty: none).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub site: &'static str,
    pub team: &'static str,
    pub assignee: &'static str,
}

impl Place {
    pub const NONE: Place = Place {
        site: "",
        team: "",
        assignee: "",
    };

    pub const fn assignee(key: &'static str) -> Place {
        Place {
            assignee: key,
            ..Place::NONE
        }
    }
}

/// A field on a record's form.
#[derive(Debug, Clone, Copy)]
pub struct FormField {
    /// The form's key (and the control's name).
    pub key: &'static str,
    pub label: &'static str,
    /// The document field it edits: its key, or a dotted path into a group.
    pub path: &'static str,
    /// Must not be empty when the record is created.
    pub required: bool,
    /// Chosen when the record is created, then fixed (it decides who may see the record).
    pub fixed: bool,
    /// How it reads and writes as text, when not as its shape does.
    pub codec: Option<&'static Codec>,
    /// What a person chooses from, when not typed or chosen as its shape says.
    pub pick: Pick,
}

impl FormField {
    pub const fn new(key: &'static str, label: &'static str) -> Self {
        FormField {
            key,
            label,
            path: key,
            required: false,
            fixed: false,
            codec: None,
            pick: Pick::Shape,
        }
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Edits the document field at `path` (under the form key given to `new`).
    pub const fn at(mut self, path: &'static str) -> Self {
        self.path = path;
        self
    }

    pub const fn fixed(mut self) -> Self {
        self.fixed = true;
        self
    }

    pub const fn codec(mut self, codec: &'static Codec) -> Self {
        self.codec = Some(codec);
        self
    }

    pub const fn pick(mut self, pick: Pick) -> Self {
        self.pick = pick;
        self
    }
}

/// What a person chooses a field's value from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pick {
    /// As the field's shape says: typed text or numbers, a choice's options, a date.
    Shape,
    /// One of the person's sites.
    Site,
    /// One of the person's teams (any team, for an administrator).
    Team,
    /// A record of the field's reference type that is not finished.
    Record,
    /// A person from the relay's directory as the device keeps it (`crate::directory`): shown
    /// by display name, stored as their username.
    Person,
    /// An asset tag: typed, or read from its QR code by the tablet's camera (`crate::tags`).
    Tag,
}

/// A field's text form other than its shape's (e.g. a week of working hours as seven lines).
#[derive(Debug)]
pub struct Codec {
    pub to_text: fn(&super::Value) -> String,
    pub from_text: fn(&str) -> Result<super::Value, String>,
}

/// Something a record offers besides editing its fields and moving its status.
pub struct Action {
    pub key: &'static str,
    pub label: &'static str,
    pub inputs: &'static [Input],
    pub apply: fn(&mut Record, &Values, &dyn Lookup, &ChangeMeta) -> Result<(), RecordError>,
}

/// One input of an action.
#[derive(Debug, Clone, Copy)]
pub struct Input {
    pub key: &'static str,
    pub label: &'static str,
    pub shape: Shape,
    pub required: bool,
    /// What a person chooses it from, when not typed or chosen as its shape says.
    pub pick: Pick,
}

impl Input {
    pub const fn new(key: &'static str, label: &'static str, shape: Shape) -> Self {
        Input {
            key,
            label,
            shape,
            required: false,
            pick: Pick::Shape,
        }
    }

    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }

    pub const fn pick(mut self, pick: Pick) -> Self {
        self.pick = pick;
        self
    }
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
    /// A drawing shown with the line (a signature's path data, checked).
    pub drawing: Option<String>,
}

impl Row {
    pub fn text(text: String) -> Self {
        Row {
            text,
            button: None,
            drawing: None,
        }
    }
}

/// Takes `action` with `values` when pressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowButton {
    pub label: &'static str,
    pub action: &'static str,
    pub values: Values,
}

/// The other records on the device, for rules and actions that read them: a request reads its
/// service's catalogue, a problem the status of its fix change, a campaign the CIs of a site.
pub trait Lookup {
    /// The document of the record with this number.
    fn record(&self, number: &str) -> Option<Automerge>;
    /// The documents of every record of this type.
    fn all(&self, kind: &str) -> Vec<Automerge>;
    /// The document id of the record with this number, if the device holds it: what turns a
    /// reference typed or picked by number into a link (`crate::references::relink`).
    fn id_of(&self, _number: &str) -> Option<String> {
        None
    }
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

/// The records a device holds, by number (tests, tools).
impl Lookup for BTreeMap<String, Automerge> {
    fn record(&self, number: &str) -> Option<Automerge> {
        self.get(number).cloned()
    }
    fn all(&self, kind: &str) -> Vec<Automerge> {
        self.values()
            .filter(|d| super::record_type(d).as_deref() == Some(kind))
            .cloned()
            .collect()
    }
}

/// What rules know about other records: the status of each record (by number) they asked
/// about and the device holds, and the periods other records set aside (freeze windows).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Facts {
    statuses: Vec<(String, String)>,
    periods: Vec<Period>,
}

/// A named period another record sets aside, e.g. a freeze window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    pub name: String,
    pub start: crate::time::Timestamp,
    pub end: crate::time::Timestamp,
}

impl Facts {
    pub fn with(mut self, number: &str, status: &str) -> Self {
        self.statuses.push((number.into(), status.into()));
        self
    }

    pub fn with_period(mut self, period: Period) -> Self {
        self.periods.push(period);
        self
    }

    /// The status of record `number`, if the device holds it.
    pub fn status_of(&self, number: &str) -> Option<&str> {
        self.statuses
            .iter()
            .find(|(n, _)| n == number)
            .map(|(_, s)| s.as_str())
    }

    pub fn periods(&self) -> &[Period] {
        &self.periods
    }
}
