//! Service request (ISO 20000 8.6.2): an incident's lifecycle, plus the catalogue item asked
//! for and its fulfilment checklist, which a technician ticks off offline.

use autosurgeon::{Hydrate, Reconcile};

use super::document::{ChangeMeta, record};
use super::journal::{StatusChange, WorkLogEntry};
use super::priority::{Level, Priority, PriorityMatrix};
use super::service::Service;
use super::ticket::{self, REQUEST_LIFECYCLE, TicketStatus};
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

/// One step of the checklist. Steps are ticked in place, so two technicians ticking different
/// steps offline both keep their ticks after the merge.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct FulfilmentStep {
    pub text: String,
    pub done: bool,
    pub done_by: String,
    pub done_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct ServiceRequest {
    pub number: String,
    pub title: String,
    pub description: String,
    pub caller: String,
    /// The service record number, and the key of the offering requested from it.
    pub service: String,
    pub catalogue_item: String,
    pub site: String,
    pub impact: Level,
    pub urgency: Level,
    pub status: TicketStatus,
    pub assignee: String,
    pub group: String,
    pub sla: String,
    pub steps: Vec<FulfilmentStep>,
    pub resolution_notes: String,
    pub created_at: Timestamp,
    pub created_by: String,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(ServiceRequest, "service_request", "REQ");
tracked!(ServiceRequest, TicketStatus);

impl Workflow for ServiceRequest {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<TicketStatus> {
        &REQUEST_LIFECYCLE
    }

    /// Pending needs a reason; a request is fulfilled only when every step is ticked.
    fn check(&self, to: TicketStatus, reason: &str, _: &()) -> Result<(), WorkflowError> {
        ticket::check_pending(to, reason)?;
        let open = self.steps.iter().filter(|s| !s.done).count();
        if matches!(to, TicketStatus::Resolved | TicketStatus::Closed) && open > 0 {
            return Err(WorkflowError::StepsOpen {
                open,
                status: to.label().to_lowercase(),
            });
        }
        Ok(())
    }
}

impl ServiceRequest {
    /// A new request for the offering `item` of `service`, refused unless the service is live.
    pub fn create(
        number: String,
        service: &Service,
        item: &str,
        title: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        let offering = service.offering_for_request(item)?;
        let title = title.trim();
        let mut request = ServiceRequest {
            number,
            title: if title.is_empty() {
                offering.name.clone()
            } else {
                title.into()
            },
            service: service.number.clone(),
            catalogue_item: offering.key.clone(),
            sla: service.sla.clone(),
            steps: offering
                .steps
                .iter()
                .map(|text| FulfilmentStep {
                    text: text.clone(),
                    ..FulfilmentStep::default()
                })
                .collect(),
            created_at: meta.at,
            created_by: meta.author.clone(),
            ..ServiceRequest::default()
        };
        request.start(meta, &format!("Request logged for {}", offering.name));
        Ok(request)
    }

    pub fn priority(&self, matrix: &PriorityMatrix) -> Priority {
        matrix.priority(self.impact, self.urgency)
    }

    /// Ticks (or unticks) step `index` (0-based).
    pub fn tick(
        &mut self,
        index: usize,
        done: bool,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        let step = self
            .steps
            .get_mut(index)
            .ok_or(WorkflowError::NoSuchStep(index + 1))?;
        if step.done == done {
            return Ok(());
        }
        step.done = done;
        step.done_by = if done {
            meta.author.clone()
        } else {
            String::new()
        };
        step.done_at = if done { meta.at } else { Timestamp::default() };
        let line = format!(
            "Step {} {}: {}",
            index + 1,
            if done { "done" } else { "reopened" },
            step.text
        );
        self.log(meta, line);
        Ok(())
    }
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

/// One step of a request's fulfilment checklist.
pub const STEP: &[F] = &[
    F::new("text", S::Text),
    F::new("done", S::Bool),
    F::new("done_by", S::Text),
    F::new("done_at", S::When),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("title", S::Text),
    F::new("description", S::LongText),
    F::new("caller", S::Text),
    F::new("service", S::Reference("service")),
    F::new("catalogue_item", S::Text),
    F::new("site", S::Text),
    F::new("impact", S::Choice(&super::priority::LEVELS)),
    F::new("urgency", S::Choice(&super::priority::LEVELS)),
    F::new("status", S::Choice(&super::ticket::TICKET_STATUSES)),
    F::new("assignee", S::Text),
    F::new("group", S::Text),
    F::new("sla", S::Reference("sla")),
    F::new("steps", S::List(&S::Group(STEP))),
    F::new("resolution_notes", S::LongText),
    F::new("created_at", S::When),
    F::new("created_by", S::Text),
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static LIFECYCLE: m::Lifecycle = super::ticket::ticket_lifecycle("a service request");

/// A request is fulfilled only when every step is ticked.
fn rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    let open = r.groups("steps").filter(|s| !s.bool("done")).count();
    if matches!(to, "resolved" | "closed") && open > 0 {
        return Err(WorkflowError::StepsOpen {
            open,
            status: LIFECYCLE.label(to).to_lowercase(),
        });
    }
    Ok(())
}

pub static SERVICE_REQUEST: m::RecordType = m::RecordType {
    kind: "service_request",
    prefix: "REQ",
    noun: "service request",
    plural: "Service requests",
    area: m::Area::ServiceDesk,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    title: |r| r.str("title").to_string(),
    place: super::incident::TICKET_PLACE,
    ticket: true,
    ..m::RecordType::BASE
};
