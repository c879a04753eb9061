//! Security incident (ISO 20000 8.7.3): an incident in its own document type, so the relay can
//! keep its contents to the security role. Same fields, schemas, lifecycle and rules as an
//! incident.

use std::ops::Deref;

use super::incident::{self, Incident};
use super::ticket::{TICKET_PLACE, ticket_lifecycle};
use crate::model::{self as m, FormField, Record, RecordError};

/// The role allowed to see a security incident's contents.
pub const SECURITY_ROLE: &str = "security";

static LIFECYCLE: m::Lifecycle = ticket_lifecycle("a security incident");

pub static SECURITY_INCIDENT: m::RecordType = m::RecordType {
    kind: "security_incident",
    prefix: "SEC",
    noun: "security incident",
    plural: "Security incidents",
    area: m::Area::ServiceDesk,
    fields: incident::FIELDS,
    schemas: incident::SCHEMAS,
    lifecycle: &LIFECYCLE,
    rules: incident::rules,
    logged: "Security incident reported",
    create: |r, _, _, meta| {
        r.set("created_at", meta.at);
        r.set("created_by", meta.author.as_str());
        r.start(meta, r.ty.logged);
        Ok(())
    },
    form: &[
        FormField::new("title", "Title").required(),
        FormField::new("description", "Description"),
        FormField::new("caller", "Reported by"),
        FormField::new("site", "Site"),
        FormField::new("group", "Team"),
        FormField::new("assignee", "Assignee"),
        FormField::new("impact", "Impact"),
        FormField::new("urgency", "Urgency"),
        FormField::new("affected_cis", "Affected CIs (one per line)"),
        FormField::new("resolution_notes", "Resolution notes"),
    ],
    title: |r| r.str("title").to_string(),
    place: TICKET_PLACE,
    ticket: true,
    restricted_to: Some(SECURITY_ROLE),
    ..m::RecordType::BASE
};

/// A security incident as the reports read it: an incident.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SecurityIncident(pub Incident);

impl SecurityIncident {
    pub fn read(doc: &automerge::Automerge) -> Result<Self, RecordError> {
        Record::read(doc, &SECURITY_INCIDENT).map(|r| SecurityIncident(Incident::of(&r)))
    }
}

impl Deref for SecurityIncident {
    type Target = Incident;
    fn deref(&self) -> &Incident {
        &self.0
    }
}
