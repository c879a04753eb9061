//! Incident (ISO 20000 8.6.1): the record a field technician logs most. Worked in one form
//! (the ticket layout): its fields, the status and a work-log note saved together.

use super::journal::{OPTIONAL_REVIEW, Review};
pub use super::ticket::TicketStatus as IncidentStatus;
use super::ticket::{TICKET_PLACE, ticket_lifecycle};
use crate::model::{
    self as m, Action, ChangeMeta, Facts, Field as F, FormField, Group, Input, Lookup, Pick,
    Record, RecordError, Section, Shape as S, Values, given,
};
pub use crate::model::{StatusChange, WorkLogEntry};
use crate::priority::{LEVELS, Level, Priority, PriorityMatrix};
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

pub const KIND: &str = "incident";
pub const NUMBER_PREFIX: &str = "INC";
pub const TITLE_MAX: usize = 200;

/// The service outage of a major incident: from when the service went down until it was
/// restored (no end while it is still down).
pub const OUTAGE: &[F] = &[
    F::new("start", S::When),
    F::new("end", S::Optional(&S::When)),
];

/// The fields of an incident (and of a security incident, stored the same way).
pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("title", S::Text),
    F::new("description", S::LongText),
    F::new("impact", S::Choice(&LEVELS)),
    F::new("urgency", S::Choice(&LEVELS)),
    F::new("status", S::Choice(&IncidentStatus::CHOICES)),
    F::new("assignee", S::Text),
    F::new("created_at", S::When),
    F::new("created_by", S::Text),
    F::new("work_log", m::WORK_LOG),
    // Schema 2.
    // Who reported it: a person or a customer record number.
    F::new("caller", S::Text),
    F::new("service", S::Reference("service")),
    F::new("affected_cis", S::List(&S::Reference("configuration_item"))),
    F::new("site", S::Text),
    F::new("category", S::Text),
    // The assignment group (team).
    F::new("group", S::Text),
    // The SLA the clock runs against.
    F::new("sla", S::Reference("sla")),
    F::new("resolution_code", S::Text),
    F::new("resolution_notes", S::LongText),
    F::new("major", S::Bool),
    F::new("major_owner", S::Text),
    // The post-incident review (required before a major incident closes).
    F::new("review", OPTIONAL_REVIEW),
    // The problem raised for it.
    F::new("problem", S::Reference("problem")),
    F::new("status_history", m::STATUS_HISTORY),
    // Schema 3: when the service this major incident affects was down (8.7.1).
    F::new("outage", S::Optional(&S::Group(OUTAGE))),
    // The customer's signature on the resolved work (sparse: absent until someone signs).
    crate::signature::FIELD,
    // Files attached to it (sparse: absent until the first).
    crate::attachments::FIELD,
];

/// Schema 2 added the ISO 20000 fields after `work_log` and the status history; schema 3 the
/// service outage of a major incident; schema 4 stores references as links.
pub const SCHEMAS: &[m::Schema] = &[
    m::Schema::FIRST,
    m::Schema {
        version: 2,
        added: &[
            "caller",
            "service",
            "affected_cis",
            "site",
            "category",
            "group",
            "sla",
            "resolution_code",
            "resolution_notes",
            "major",
            "major_owner",
            "review",
            "problem",
            "status_history",
        ],
        upgrade: Some(rebuild_status_history),
        links: false,
    },
    m::Schema {
        version: 3,
        added: &["outage"],
        upgrade: Some(infer_outage),
        links: false,
    },
    m::Schema::links(4),
];

/// Schema 1 had no status history: rebuild it from the work log, whose status lines
/// ("Status New → Assigned") were written by every status change, so the SLA clock works for
/// incidents logged before the upgrade.
fn rebuild_status_history(r: &mut Record) {
    if !r.list("status_history").is_empty() {
        return;
    }
    let mut history = vec![StatusChange {
        at: r.at("created_at"),
        status: "new".into(),
        by: r.str("created_by").into(),
        device: String::new(),
        reason: String::new(),
    }];
    for entry in r.work_log() {
        let Some(target) = entry
            .note
            .strip_prefix("Status ")
            .and_then(|rest| rest.split_once(" → "))
            .map(|(_, to)| to)
        else {
            continue;
        };
        let (label, reason) = target.split_once(": ").unwrap_or((target, ""));
        if let Some(status) = IncidentStatus::ALL.into_iter().find(|s| s.label() == label) {
            history.push(StatusChange {
                at: entry.at,
                status: status.as_str().into(),
                by: entry.author.clone(),
                device: entry.device.clone(),
                reason: reason.into(),
            });
        }
    }
    let history: Vec<m::Value> = history.iter().map(|c| c.group().into()).collect();
    r.set("status_history", history);
}

/// A schema-2 major incident has no outage recorded: the best evidence it carries is that the
/// service was down from when the incident was logged until it was (last) resolved. Counting
/// that window understates availability rather than hiding downtime.
fn infer_outage(r: &mut Record) {
    if r.group("outage").is_some() || !r.bool("major") {
        return;
    }
    let created = r.at("created_at");
    let done = matches!(r.status(), "resolved" | "closed");
    let end = done
        .then(|| {
            r.groups("status_history")
                .filter(|c| c.str("status") == "resolved")
                .map(|c| c.at("at"))
                .max()
        })
        .flatten()
        .filter(|end| *end > created);
    r.set("outage", outage(created, end.or(done.then_some(created))));
}

fn outage(start: Timestamp, end: Option<Timestamp>) -> Group {
    Group::defaults(OUTAGE)
        .with("start", start)
        .with("end", end)
}

/// A major incident closes only with an owner, a post-incident review, and an outage that has
/// ended (an open-ended outage would count as downtime for ever).
pub(crate) fn rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
    if to != "closed" || !r.bool("major") {
        return Ok(());
    }
    let status = "closed".to_string();
    if r.str("major_owner").trim().is_empty() {
        return Err(WorkflowError::MajorIncidentWithoutOwner { status });
    }
    if r.group("review").is_none() {
        return Err(WorkflowError::MajorIncidentWithoutReview { status });
    }
    if r.group("outage").is_some_and(|o| o.when("end").is_none()) {
        return Err(WorkflowError::OutageStillOpen { status });
    }
    Ok(())
}

/// A new incident remembers who logged it and when; one about a service runs its clock
/// against that service's SLA from now on.
fn create(
    r: &mut Record,
    values: &Values,
    lookup: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    r.set("created_at", meta.at);
    r.set("created_by", meta.author.as_str());
    r.start(meta, r.ty.logged);
    let service = given(values, "service");
    if !service.is_empty() {
        let (number, sla) = super::service::ticket_service(lookup, service)?;
        r.set("service", number);
        r.set("sla", sla);
    }
    Ok(())
}

/// A title, and a short one: detail goes in the description.
pub(crate) fn validate(r: &Record) -> Result<(), RecordError> {
    let title = r.str("title");
    if title.is_empty() {
        return Err(RecordError::invalid("title", "an incident needs a title"));
    }
    if title.chars().count() > TITLE_MAX {
        return Err(RecordError::invalid(
            "title",
            format!("keep the title under {TITLE_MAX} characters; put detail in the description"),
        ));
    }
    Ok(())
}

/// Every change of who has it is on the record.
pub(crate) fn edited(before: &Record, after: &mut Record, meta: &ChangeMeta) {
    let assignee = after.str("assignee").to_string();
    if before.str("assignee") != assignee && !before.list("work_log").is_empty() {
        let line = match assignee.as_str() {
            "" => "Unassigned".to_string(),
            who => format!("Assigned to {who}"),
        };
        after.log(meta, line);
    }
}

/// The form's fields. Site, team and service are chosen when it is logged: they decide who
/// may see it and which SLA runs its clock.
pub(crate) const FORM: &[FormField] = &[
    FormField::new("title", "Title"),
    FormField::new("description", "Description"),
    FormField::new("impact", "Impact"),
    FormField::new("urgency", "Urgency"),
    FormField::new("site", "Site").fixed().pick(Pick::Site),
    FormField::new("team", "Team")
        .at("group")
        .fixed()
        .pick(Pick::Team),
    FormField::new("service", "Service")
        .fixed()
        .pick(Pick::Record),
    FormField::new("caller", "Reported by"),
    FormField::new("category", "Category"),
    FormField::new("affected_cis", "Affected CIs (one per line)"),
    FormField::new("assignee", "Assignee").pick(Pick::Person),
];

pub(crate) const ACTIONS: &[Action] = &[
    crate::signature::ACTION,
    Action {
        key: "cite",
        label: "Cite a knowledge article",
        inputs: &[Input::new(
            "article",
            "Knowledge article",
            S::Reference("knowledge_article"),
        )
        .required()],
        apply: |r, values, lookup, meta| {
            let line = super::knowledge::citation(lookup, given(values, "article"))?;
            r.log(meta, line);
            Ok(())
        },
    },
    Action {
        key: "major",
        label: "Declare a major incident",
        inputs: &[
            Input::new("owner", "Major incident owner", S::Text)
                .required()
                .pick(Pick::Person),
            Input::new("reason", "Why it is major", S::LongText).required(),
        ],
        apply: |r, values, _, meta| declare_major(r, values, meta),
    },
    Action {
        key: "outage",
        label: "Record the service outage",
        inputs: &[
            Input::new("start", "Service down from", S::When).required(),
            Input::new(
                "end",
                "Restored at (empty while down)",
                S::Optional(&S::When),
            ),
        ],
        apply: |r, values, _, meta| {
            let when = |key| given(values, key).parse().ok().map(Timestamp);
            let start = when("start").ok_or_else(|| {
                RecordError::invalid("Service down from", "enter a date and time")
            })?;
            record_outage(r, start, when("end"), meta)?;
            Ok(())
        },
    },
    Action {
        key: "review",
        label: "Record the post-incident review",
        inputs: &[Input::new("summary", "Post-incident review", S::LongText).required()],
        apply: |r, values, _, meta| {
            super::journal::record_review(r, "review", values, meta, "Post-incident review")
        },
    },
    Action {
        key: "resolve",
        label: "Resolve",
        inputs: &[
            Input::new("code", "Resolution code", S::Text).required(),
            Input::new("notes", "Resolution notes", S::LongText),
        ],
        apply: |r, values, _, meta| {
            let (code, notes) = (given(values, "code"), given(values, "notes"));
            r.move_to("resolved", "", &Facts::default(), meta)?;
            r.set("resolution_code", code);
            r.set("resolution_notes", notes);
            r.log(meta, format!("Resolution {code}: {notes}"));
            Ok(())
        },
    },
];

/// Declares the incident major, with why and who owns it, on the work log (the record of the
/// decision). Declared again, it names the new owner and why: ownership may change hands.
fn declare_major(r: &mut Record, values: &Values, meta: &ChangeMeta) -> Result<(), RecordError> {
    let (reason, owner) = (given(values, "reason"), given(values, "owner"));
    r.set("major", true);
    r.set("major_owner", owner);
    r.log(
        meta,
        format!("Declared a major incident, owner {owner}: {reason}"),
    );
    Ok(())
}

/// Records when the service went down and, once known, when it was restored. Only a major
/// incident carries an outage: availability (8.7.1) is measured from major incidents.
fn record_outage(
    r: &mut Record,
    start: Timestamp,
    end: Option<Timestamp>,
    meta: &ChangeMeta,
) -> Result<(), WorkflowError> {
    if !r.bool("major") {
        return Err(WorkflowError::OutageNotMajor);
    }
    if end.is_some_and(|end| end <= start) {
        return Err(WorkflowError::OutageEndsBeforeStart);
    }
    r.set("outage", outage(start, end));
    r.log(
        meta,
        match end {
            Some(end) => format!("Service outage from {start} to {end}"),
            None => format!("Service down since {start}"),
        },
    );
    Ok(())
}

/// The major incident (owner, outage, review) and the resolution, once there are any.
pub(crate) fn sections(r: &Record) -> Vec<Section> {
    let mut major = vec![];
    if r.bool("major") {
        major.push(format!("Owner: {}", r.str("major_owner")));
        if let Some(o) = r.group("outage") {
            major.push(match o.when("end") {
                Some(end) => format!("Service down from {} to {end}", o.at("start")),
                None => format!("Service down since {}", o.at("start")),
            });
        }
        if let Some(review) = r.group("review") {
            major.push(format!(
                "Post-incident review by {}: {}",
                review.str("by"),
                review.str("summary")
            ));
        }
    }
    let resolution = (!r.str("resolution_code").is_empty()).then(|| {
        format!(
            "{}: {}",
            r.str("resolution_code"),
            r.str("resolution_notes")
        )
    });
    let mut sections = vec![
        Section::text("Major incident", major),
        Section::text("Resolution", resolution),
    ];
    sections.extend(crate::signature::section(r));
    sections
}

static LIFECYCLE: m::Lifecycle = ticket_lifecycle("an incident");

pub static INCIDENT: m::RecordType = m::RecordType {
    kind: KIND,
    prefix: NUMBER_PREFIX,
    noun: "incident",
    plural: "Incidents",
    area: m::Area::ServiceDesk,
    fields: FIELDS,
    schemas: SCHEMAS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "Incident logged",
    create,
    validate,
    edited,
    form: FORM,
    actions: ACTIONS,
    sections,
    title: |r| r.str("title").to_string(),
    place: TICKET_PLACE,
    ticket: true,
    layout: m::Layout::Ticket,
    ..m::RecordType::BASE
};

/// What a person enters on the incident form, as code writes it (tests, benchmarks).
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentEdit {
    pub title: String,
    pub description: String,
    pub impact: Level,
    pub urgency: Level,
    pub status: IncidentStatus,
    pub assignee: String,
    /// A note for the work log; empty for none. When the edit moves the incident into a status
    /// that needs a reason (pending), the note is the reason.
    pub note: String,
}

impl IncidentEdit {
    /// The form's values.
    pub fn values(&self) -> Values {
        [
            ("title", self.title.as_str()),
            ("description", &self.description),
            ("impact", self.impact.as_str()),
            ("urgency", self.urgency.as_str()),
            ("status", self.status.as_str()),
            ("assignee", &self.assignee),
            ("note", &self.note),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
    }
}

/// The outage of a major incident, as code reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Outage {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

/// An incident (or a security incident) as the reports and the SLA clock read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Incident {
    pub number: String,
    pub title: String,
    pub description: String,
    pub impact: Level,
    pub urgency: Level,
    pub status: IncidentStatus,
    pub assignee: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub work_log: Vec<WorkLogEntry>,
    pub caller: String,
    pub service: String,
    pub affected_cis: Vec<String>,
    pub site: String,
    pub category: String,
    pub group: String,
    pub sla: String,
    pub resolution_code: String,
    pub resolution_notes: String,
    pub major: bool,
    pub major_owner: String,
    pub review: Option<Review>,
    pub problem: String,
    pub status_history: Vec<StatusChange>,
    pub outage: Option<Outage>,
}

impl Incident {
    pub fn of(r: &Record) -> Self {
        let text = |key| r.str(key).to_string();
        Incident {
            number: text("number"),
            title: text("title"),
            description: text("description"),
            impact: Level::of(r.str("impact")),
            urgency: Level::of(r.str("urgency")),
            status: IncidentStatus::parse(r.status()).unwrap_or_default(),
            assignee: text("assignee"),
            created_at: r.at("created_at"),
            created_by: text("created_by"),
            work_log: r.work_log(),
            caller: text("caller"),
            service: text("service"),
            affected_cis: r.strs("affected_cis").map(String::from).collect(),
            site: text("site"),
            category: text("category"),
            group: text("group"),
            sla: text("sla"),
            resolution_code: text("resolution_code"),
            resolution_notes: text("resolution_notes"),
            major: r.bool("major"),
            major_owner: text("major_owner"),
            review: r.group("review").map(Review::of),
            problem: text("problem"),
            status_history: r.status_history(),
            outage: r.group("outage").map(|o| Outage {
                start: o.at("start"),
                end: o.when("end"),
            }),
        }
    }

    /// The incident in `doc`.
    pub fn read(doc: &automerge::Automerge) -> Result<Self, RecordError> {
        Record::read(doc, &INCIDENT).map(|r| Incident::of(&r))
    }

    pub fn priority(&self, matrix: &PriorityMatrix) -> Priority {
        matrix.priority(self.impact, self.urgency)
    }
}
