//! Security incident (ISO 20000 8.7.3): an incident in its own document type, so the relay can
//! keep its contents to the security role. Same fields, lifecycle and rules as an incident.

use std::ops::{Deref, DerefMut};

use autosurgeon::{Hydrate, Reconcile};

use super::RecordError;
use super::document::{ChangeMeta, Record};
use super::incident::{Incident, IncidentEdit, IncidentStatus};
use super::journal::{StatusChange, WorkLogEntry};
use super::ticket::TicketStatus;
use crate::workflow::{Lifecycle, Tracked, Workflow, WorkflowError};

/// The role allowed to see a security incident's contents.
pub const SECURITY_ROLE: &str = "security";

/// Stored exactly as an incident (the derived `Reconcile` of a newtype is its content's).
#[derive(Debug, Clone, PartialEq, Default, Reconcile)]
pub struct SecurityIncident(pub Incident);

/// The document root is a map: hydrate it as the incident's.
impl Hydrate for SecurityIncident {
    fn hydrate_map<D: autosurgeon::ReadDoc>(
        doc: &D,
        obj: &automerge::ObjId,
    ) -> Result<Self, autosurgeon::HydrateError> {
        Incident::hydrate_map(doc, obj).map(SecurityIncident)
    }
}

impl Record for SecurityIncident {
    const KIND: &'static str = "security_incident";
    const NUMBER_PREFIX: &'static str = "SEC";
    /// Stored exactly as an incident, so it shares the incident's schema and migrations.
    const SCHEMA: u64 = super::incident::SCHEMA;
    const RESTRICTED_TO: Option<&'static str> = Some(SECURITY_ROLE);

    fn upgrade(&mut self, from: u64) {
        self.0.upgrade(from);
    }
}

impl Deref for SecurityIncident {
    type Target = Incident;
    fn deref(&self) -> &Incident {
        &self.0
    }
}

impl DerefMut for SecurityIncident {
    fn deref_mut(&mut self) -> &mut Incident {
        &mut self.0
    }
}

impl Tracked for SecurityIncident {
    type Status = TicketStatus;
    fn status(&self) -> TicketStatus {
        self.0.status
    }
    fn set_status(&mut self, to: TicketStatus) {
        self.0.status = to;
    }
    fn status_history(&self) -> &[StatusChange] {
        &self.0.status_history
    }
    fn status_history_mut(&mut self) -> &mut Vec<StatusChange> {
        &mut self.0.status_history
    }
    fn work_log(&self) -> &[WorkLogEntry] {
        &self.0.work_log
    }
    fn work_log_mut(&mut self) -> &mut Vec<WorkLogEntry> {
        &mut self.0.work_log
    }
}

static OLD_LIFECYCLE: Lifecycle<TicketStatus> = Lifecycle {
    noun: "a security incident",
    ..super::ticket::INCIDENT_LIFECYCLE
};

impl Workflow for SecurityIncident {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<IncidentStatus> {
        &OLD_LIFECYCLE
    }
    fn check(&self, to: IncidentStatus, reason: &str, facts: &()) -> Result<(), WorkflowError> {
        self.0.check(to, reason, facts)
    }
}

impl SecurityIncident {
    pub fn create(
        number: String,
        edit: IncidentEdit,
        meta: &ChangeMeta,
    ) -> Result<Self, RecordError> {
        Incident::create(number, edit, meta).map(SecurityIncident)
    }
}

// ---------------------------------------------------------------- the record engine's description

static SECURITY_LIFECYCLE: crate::model::Lifecycle =
    super::ticket::ticket_lifecycle("a security incident");

/// Stored exactly as an incident (same fields, schemas and rules), in its own document type so
/// that the relay keeps its contents to the security role.
pub static SECURITY_INCIDENT: crate::model::RecordType = crate::model::RecordType {
    kind: "security_incident",
    prefix: "SEC",
    noun: "security incident",
    plural: "Security incidents",
    area: crate::model::Area::ServiceDesk,
    fields: super::incident::FIELDS,
    schemas: super::incident::SCHEMAS,
    lifecycle: &SECURITY_LIFECYCLE,
    rules: super::incident::incident_rules,
    logged: "Security incident reported",
    title: |r| r.str("title").to_string(),
    place: super::incident::TICKET_PLACE,
    ticket: true,
    restricted_to: Some(SECURITY_ROLE),
    ..crate::model::RecordType::BASE
};
