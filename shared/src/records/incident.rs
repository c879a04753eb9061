//! Incident (ISO 20000 8.6.1): the record a field technician logs most.

use automerge::Automerge;
use autosurgeon::{Hydrate, Reconcile};

use super::document::{self, ChangeMeta, Record, RecordError};
pub use super::journal::WorkLogEntry;
use super::journal::{Review, StatusChange};
use super::priority::{Level, Priority, PriorityMatrix};
pub use super::ticket::TicketStatus as IncidentStatus;
use super::ticket::{self, INCIDENT_LIFECYCLE};
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

pub const KIND: &str = "incident";
pub const NUMBER_PREFIX: &str = "INC";
/// Schema 2 added the ISO 20000 fields after `work_log` and the status history; schema 3 the
/// service outage of a major incident. `upgrade` brings older documents up to date.
pub const SCHEMA: u64 = 3;
pub const TITLE_MAX: usize = 200;

impl IncidentStatus {
    pub fn can_move_to(self, to: IncidentStatus) -> bool {
        INCIDENT_LIFECYCLE.allows(self, to)
    }
}

/// Fields added in schema 2 carry `missing = "Default::default"` so schema-1 documents, which
/// lack them, still read.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
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
    /// Who reported it: a person or a customer record number.
    #[autosurgeon(missing = "Default::default")]
    pub caller: String,
    /// The service record number it affects.
    #[autosurgeon(missing = "Default::default")]
    pub service: String,
    #[autosurgeon(missing = "Default::default")]
    pub affected_cis: Vec<String>,
    #[autosurgeon(missing = "Default::default")]
    pub site: String,
    #[autosurgeon(missing = "Default::default")]
    pub category: String,
    /// The assignment group (team).
    #[autosurgeon(missing = "Default::default")]
    pub group: String,
    /// The SLA record number the clock runs against.
    #[autosurgeon(missing = "Default::default")]
    pub sla: String,
    #[autosurgeon(missing = "Default::default")]
    pub resolution_code: String,
    #[autosurgeon(missing = "Default::default")]
    pub resolution_notes: String,
    #[autosurgeon(missing = "Default::default")]
    pub major: bool,
    #[autosurgeon(missing = "Default::default")]
    pub major_owner: String,
    /// The post-incident review (required before a major incident closes).
    #[autosurgeon(missing = "Default::default")]
    pub review: Option<Review>,
    /// The problem record number, if one was raised.
    #[autosurgeon(missing = "Default::default")]
    pub problem: String,
    #[autosurgeon(missing = "Default::default")]
    pub status_history: Vec<StatusChange>,
    /// When the service this major incident affects was down (8.7.1): availability is measured
    /// from these windows. Added in schema 3.
    #[autosurgeon(missing = "Default::default")]
    pub outage: Option<Outage>,
}

/// The service outage a major incident caused: from when the service went down until it was
/// restored (`None` while it is still down).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Outage {
    pub start: Timestamp,
    pub end: Option<Timestamp>,
}

/// What a person can change in the incident form.
#[derive(Debug, Clone, PartialEq)]
pub struct IncidentEdit {
    pub title: String,
    pub description: String,
    pub impact: Level,
    pub urgency: Level,
    pub status: IncidentStatus,
    pub assignee: String,
    /// A note to append to the work log; empty for none. When the edit moves the incident to
    /// pending, the note is the reason.
    pub note: String,
}

tracked!(Incident, IncidentStatus);

impl Workflow for Incident {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<IncidentStatus> {
        &INCIDENT_LIFECYCLE
    }

    fn check(&self, to: IncidentStatus, reason: &str, _: &()) -> Result<(), WorkflowError> {
        ticket::check_pending(to, reason)?;
        if to == IncidentStatus::Closed && self.major {
            let status = to.label().to_lowercase();
            if self.major_owner.trim().is_empty() {
                return Err(WorkflowError::MajorIncidentWithoutOwner { status });
            }
            if self.review.is_none() {
                return Err(WorkflowError::MajorIncidentWithoutReview { status });
            }
            // An open-ended outage would count as downtime for ever.
            if self.outage.is_some_and(|o| o.end.is_none()) {
                return Err(WorkflowError::OutageStillOpen { status });
            }
        }
        Ok(())
    }
}

impl Record for Incident {
    const KIND: &'static str = KIND;
    const NUMBER_PREFIX: &'static str = NUMBER_PREFIX;
    const SCHEMA: u64 = SCHEMA;

    /// Schema 1 had no status history: rebuild it from the work log, whose status lines
    /// ("Status New → Assigned") were written by every status change, so the SLA clock works
    /// for incidents logged before the upgrade.
    fn upgrade(&mut self, from: u64) {
        if from < 2 && self.status_history.is_empty() {
            let mut history = vec![StatusChange {
                at: self.created_at,
                status: IncidentStatus::New.as_str().into(),
                by: self.created_by.clone(),
                device: String::new(),
                reason: String::new(),
            }];
            for entry in &self.work_log {
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
            self.status_history = history;
        }
        if from < 3 {
            self.outage = self.outage.or_else(|| self.inferred_outage());
        }
    }
}

impl Incident {
    /// A new incident, validated.
    pub fn create(
        number: String,
        edit: IncidentEdit,
        meta: &ChangeMeta,
    ) -> Result<Incident, RecordError> {
        let mut incident = Incident {
            number,
            impact: edit.impact,
            urgency: edit.urgency,
            created_at: meta.at,
            created_by: meta.author.clone(),
            ..Incident::default()
        };
        incident.start(meta, "Incident logged");
        incident.apply(edit, meta)?;
        Ok(incident)
    }

    pub fn priority(&self, matrix: &PriorityMatrix) -> Priority {
        matrix.priority(self.impact, self.urgency)
    }

    /// Applies an edit from the form: validates it, checks the status transition, and appends
    /// to the work log what was done, so every action is on the record. Nothing changes if
    /// the edit is refused.
    pub fn apply(&mut self, edit: IncidentEdit, meta: &ChangeMeta) -> Result<(), RecordError> {
        let title = edit.title.trim();
        if title.is_empty() {
            return Err(invalid("title", "an incident needs a title"));
        }
        if title.chars().count() > TITLE_MAX {
            return Err(invalid(
                "title",
                &format!(
                    "keep the title under {TITLE_MAX} characters; put detail in the description"
                ),
            ));
        }
        let note = edit.note.trim();
        // The note is the reason when the edit moves the incident into pending.
        let entering_pending = edit.status == IncidentStatus::Pending && self.status != edit.status;
        let reason = if entering_pending { note } else { "" };
        self.move_to(edit.status, reason, meta)
            .map_err(|e| invalid("status", &e.to_string()))?;
        let assignee = edit.assignee.trim();
        if self.assignee != assignee && !self.work_log.is_empty() {
            self.log(
                meta,
                if assignee.is_empty() {
                    "Unassigned".to_string()
                } else {
                    format!("Assigned to {assignee}")
                },
            );
        }
        self.title = title.to_string();
        self.description = edit.description;
        self.impact = edit.impact;
        self.urgency = edit.urgency;
        self.assignee = assignee.to_string();
        if !note.is_empty() && reason.is_empty() {
            self.log(meta, note);
        }
        Ok(())
    }

    pub fn edit_form(&self) -> IncidentEdit {
        IncidentEdit {
            title: self.title.clone(),
            description: self.description.clone(),
            impact: self.impact,
            urgency: self.urgency,
            status: self.status,
            assignee: self.assignee.clone(),
            note: String::new(),
        }
    }

    /// Declares a major incident with its owner, who answers for it until the review.
    pub fn declare_major(&mut self, owner: &str, meta: &ChangeMeta) -> Result<(), WorkflowError> {
        let owner = owner.trim();
        if owner.is_empty() {
            return Err(WorkflowError::Empty("the major incident owner"));
        }
        self.major = true;
        self.major_owner = owner.into();
        self.log(meta, format!("Declared a major incident, owner {owner}"));
        Ok(())
    }

    /// Records when the service went down and, once known, when it was restored. Only a major
    /// incident carries an outage: availability (8.7.1) is measured from major incidents.
    pub fn record_outage(
        &mut self,
        start: Timestamp,
        end: Option<Timestamp>,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        if !self.major {
            return Err(WorkflowError::OutageNotMajor);
        }
        if end.is_some_and(|end| end <= start) {
            return Err(WorkflowError::OutageEndsBeforeStart);
        }
        self.outage = Some(Outage { start, end });
        self.log(
            meta,
            match end {
                Some(end) => format!("Service outage from {start} to {end}"),
                None => format!("Service down since {start}"),
            },
        );
        Ok(())
    }

    /// A schema-2 major incident has no outage recorded: the best evidence it carries is that
    /// the service was down from when the incident was logged until it was (last) resolved.
    /// Counting that window understates availability rather than hiding downtime.
    fn inferred_outage(&self) -> Option<Outage> {
        if !self.major {
            return None;
        }
        let done = matches!(
            self.status,
            IncidentStatus::Resolved | IncidentStatus::Closed
        );
        let end = done
            .then(|| {
                self.status_history
                    .iter()
                    .filter(|c| c.status == IncidentStatus::Resolved.as_str())
                    .map(|c| c.at)
                    .max()
            })
            .flatten()
            .filter(|end| *end > self.created_at);
        Some(Outage {
            start: self.created_at,
            end: end.or(done.then_some(self.created_at)),
        })
    }

    /// Records the post-incident review.
    pub fn record_review(&mut self, summary: &str, meta: &ChangeMeta) -> Result<(), WorkflowError> {
        if summary.trim().is_empty() {
            return Err(WorkflowError::Empty("the post-incident review"));
        }
        self.review = Some(Review::new(meta, summary));
        self.log(meta, format!("Post-incident review: {}", summary.trim()));
        Ok(())
    }

    /// Resolves with a resolution code and notes.
    pub fn resolve(
        &mut self,
        code: &str,
        notes: &str,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        if code.trim().is_empty() {
            return Err(WorkflowError::Empty("the resolution code"));
        }
        self.move_to(IncidentStatus::Resolved, "", meta)?;
        self.resolution_code = code.trim().into();
        self.resolution_notes = notes.trim().into();
        self.log(
            meta,
            format!(
                "Resolution {}: {}",
                self.resolution_code, self.resolution_notes
            ),
        );
        Ok(())
    }

    pub fn read(doc: &Automerge) -> Result<Incident, RecordError> {
        document::read_record(doc)
    }

    pub fn write(&self, doc: &mut Automerge, meta: &ChangeMeta) -> Result<(), RecordError> {
        <Self as Record>::write(self, doc, meta)
    }
}

fn invalid(field: &str, message: &str) -> RecordError {
    RecordError::Invalid {
        field: field.into(),
        message: message.into(),
    }
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

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
    F::new("impact", S::Choice(&super::priority::LEVELS)),
    F::new("urgency", S::Choice(&super::priority::LEVELS)),
    F::new("status", S::Choice(&super::ticket::TICKET_STATUSES)),
    F::new("assignee", S::Text),
    F::new("created_at", S::When),
    F::new("created_by", S::Text),
    F::new("work_log", m::WORK_LOG),
    // Schema 2.
    F::new("caller", S::Text),
    F::new("service", S::Reference("service")),
    F::new("affected_cis", S::List(&S::Reference("configuration_item"))),
    F::new("site", S::Text),
    F::new("category", S::Text),
    F::new("group", S::Text),
    F::new("sla", S::Reference("sla")),
    F::new("resolution_code", S::Text),
    F::new("resolution_notes", S::LongText),
    F::new("major", S::Bool),
    F::new("major_owner", S::Text),
    F::new("review", super::journal::OPTIONAL_REVIEW),
    F::new("problem", S::Reference("problem")),
    F::new("status_history", m::STATUS_HISTORY),
    // Schema 3.
    F::new("outage", S::Optional(&S::Group(OUTAGE))),
];

/// Schema 2 added the ISO 20000 fields after `work_log` and the status history; schema 3 the
/// service outage of a major incident.
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
    },
    m::Schema {
        version: 3,
        added: &["outage"],
        upgrade: Some(infer_outage),
    },
];

/// Schema 1 had no status history: rebuild it from the work log, whose status lines
/// ("Status New → Assigned") were written by every status change, so the SLA clock works for
/// incidents logged before the upgrade.
fn rebuild_status_history(r: &mut m::Record) {
    if !r.list("status_history").is_empty() {
        return;
    }
    let mut history = vec![m::StatusChange {
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
        let statuses = &super::ticket::TICKET_STATUSES;
        if let Some((key, _)) = statuses.options.iter().find(|(_, l)| *l == label) {
            history.push(m::StatusChange {
                at: entry.at,
                status: (*key).into(),
                by: entry.author.clone(),
                device: entry.device.clone(),
                reason: reason.into(),
            });
        }
    }
    let history = history
        .iter()
        .map(|c| m::Value::Group(c.group()))
        .collect::<Vec<_>>();
    r.set("status_history", history);
}

/// A schema-2 major incident has no outage recorded: the best evidence it carries is that the
/// service was down from when the incident was logged until it was (last) resolved. Counting
/// that window understates availability rather than hiding downtime.
fn infer_outage(r: &mut m::Record) {
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
    let outage = m::Group::defaults(OUTAGE)
        .with("start", created)
        .with("end", end.or(done.then_some(created)));
    r.set("outage", outage);
}

/// A major incident closes only with an owner, a post-incident review, and an outage that has
/// ended (an open-ended outage would count as downtime for ever).
pub(crate) fn incident_rules(
    r: &m::Record,
    to: &str,
    _: &str,
    _: &m::Facts,
) -> Result<(), WorkflowError> {
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

pub static INCIDENT_LIFECYCLE_DATA: m::Lifecycle = super::ticket::ticket_lifecycle("an incident");

/// Where a ticket is: its site, its team (assignment group) and its assignee.
pub const TICKET_PLACE: m::Place = m::Place {
    site: "site",
    team: "group",
    assignee: "assignee",
};

pub static INCIDENT: m::RecordType = m::RecordType {
    kind: KIND,
    prefix: NUMBER_PREFIX,
    noun: "incident",
    plural: "Incidents",
    area: m::Area::ServiceDesk,
    fields: FIELDS,
    schemas: SCHEMAS,
    lifecycle: &INCIDENT_LIFECYCLE_DATA,
    rules: incident_rules,
    logged: "Incident logged",
    title: |r| r.str("title").to_string(),
    place: TICKET_PLACE,
    ticket: true,
    layout: m::Layout::Ticket,
    ..m::RecordType::BASE
};

#[cfg(test)]
mod tests {
    use super::*;

    fn meta(author: &str, at: i64) -> ChangeMeta {
        ChangeMeta {
            author: author.into(),
            device: format!("{author}-tablet"),
            at: Timestamp(at),
        }
    }

    fn edit(title: &str) -> IncidentEdit {
        IncidentEdit {
            title: title.into(),
            description: "Printer on floor 2 jams".into(),
            impact: Level::Medium,
            urgency: Level::High,
            status: IncidentStatus::New,
            assignee: String::new(),
            note: String::new(),
        }
    }

    fn logged(title: &str) -> Incident {
        Incident::create("INC-TEST-0001".into(), edit(title), &meta("ana", 1_000)).unwrap()
    }

    #[test]
    fn create_validates_and_logs() {
        let inc = logged("  Printer jam  ");
        assert_eq!(inc.title, "Printer jam");
        assert_eq!(inc.status, IncidentStatus::New);
        assert_eq!(inc.priority(&PriorityMatrix::default()), Priority::P2);
        assert_eq!(inc.work_log.len(), 1);
        assert_eq!(inc.work_log[0].note, "Incident logged");
    }

    #[test]
    fn title_is_required_and_bounded() {
        let err = Incident::create("N".into(), edit("   "), &meta("ana", 1)).unwrap_err();
        assert_eq!(err.to_string(), "title: an incident needs a title");
        let long = "x".repeat(TITLE_MAX + 1);
        assert!(Incident::create("N".into(), edit(&long), &meta("ana", 1)).is_err());
    }

    #[test]
    fn status_changes_follow_the_lifecycle_and_are_logged() {
        let mut inc = logged("Printer jam");
        let mut e = inc.edit_form();
        e.status = IncidentStatus::Closed;
        let err = inc.apply(e, &meta("ana", 2)).unwrap_err();
        assert_eq!(
            err.to_string(),
            "status: an incident cannot go from New to Closed (from New it can go to Assigned, In progress or Resolved)"
        );
        let mut e = inc.edit_form();
        e.status = IncidentStatus::Assigned;
        e.assignee = "bo".into();
        e.note = "On my way".into();
        inc.apply(e, &meta("ana", 3)).unwrap();
        let notes: Vec<_> = inc.work_log.iter().map(|w| w.note.as_str()).collect();
        assert_eq!(
            notes,
            [
                "Incident logged",
                "Status New → Assigned",
                "Assigned to bo",
                "On my way"
            ]
        );
    }

    #[test]
    fn reopen_is_allowed_after_resolve_and_close() {
        use IncidentStatus::*;
        assert!(Resolved.can_move_to(InProgress));
        assert!(Closed.can_move_to(InProgress));
        assert!(!Closed.can_move_to(New));
    }

    #[test]
    fn incident_round_trips_through_a_document() {
        let inc = logged("Printer jam");
        let mut doc = Automerge::new();
        inc.write(&mut doc, &meta("ana", 1_000)).unwrap();
        assert_eq!(Incident::read(&doc).unwrap(), inc);
        let change = doc.get_changes(&[]).into_iter().next().unwrap().clone();
        assert_eq!(ChangeMeta::of_change(&change), Some(meta("ana", 1_000)));
    }

    #[test]
    fn concurrent_edits_to_different_fields_both_survive() {
        let inc = logged("Printer jam");
        let mut a = Automerge::new();
        inc.write(&mut a, &meta("ana", 1)).unwrap();
        let mut b = a.fork();
        let mut on_a = Incident::read(&a).unwrap();
        let mut e = on_a.edit_form();
        e.title = "Printer jam, floor 2".into();
        e.note = "Seen by Ana".into();
        on_a.apply(e, &meta("ana", 2)).unwrap();
        on_a.write(&mut a, &meta("ana", 2)).unwrap();
        let mut on_b = Incident::read(&b).unwrap();
        let mut e = on_b.edit_form();
        e.urgency = Level::Low;
        e.note = "Seen by Bo".into();
        on_b.apply(e, &meta("bo", 3)).unwrap();
        on_b.write(&mut b, &meta("bo", 3)).unwrap();
        a.merge(&mut b).unwrap();
        b.merge(&mut a).unwrap();
        let merged = Incident::read(&a).unwrap();
        assert_eq!(merged, Incident::read(&b).unwrap());
        assert_eq!(merged.title, "Printer jam, floor 2");
        assert_eq!(merged.urgency, Level::Low);
        assert_eq!(merged.work_log.len(), 3);
    }

    #[test]
    fn unknown_enum_value_is_a_clear_error() {
        let mut doc = Automerge::new();
        logged("x").write(&mut doc, &meta("ana", 1)).unwrap();
        let mut tx = doc.transaction();
        automerge::transaction::Transactable::put(&mut tx, automerge::ROOT, "urgency", "whenever")
            .unwrap();
        tx.commit();
        let err = Incident::read(&doc).unwrap_err();
        assert!(matches!(err, RecordError::Unreadable { .. }), "{err}");
    }

    #[test]
    fn newer_schema_is_refused() {
        let mut doc = Automerge::new();
        logged("x").write(&mut doc, &meta("ana", 1)).unwrap();
        let mut tx = doc.transaction();
        automerge::transaction::Transactable::put(&mut tx, automerge::ROOT, "schema", 99_u64)
            .unwrap();
        tx.commit();
        assert!(matches!(
            Incident::read(&doc),
            Err(RecordError::NewerSchema { found: 99, .. })
        ));
    }
}
