//! Service request (ISO 20000 8.6.2): an incident's lifecycle, plus the catalogue item asked
//! for and its fulfilment checklist, which a technician ticks off offline.

use super::journal::JOURNAL;
use super::ticket::{TICKET_PLACE, TicketStatus, ticket_lifecycle};
use crate::model::Pick;
use crate::model::{
    self as m, Action, ChangeMeta, Facts, Field as F, FormField, Group, Input, Lookup, Record,
    RecordError, Row, RowButton, Section, Shape as S, Values, given,
};
use crate::priority::{LEVELS, Level, Priority, PriorityMatrix};
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

/// One step of the checklist. Steps are ticked in place, so two technicians ticking different
/// steps offline both keep their ticks after the merge.
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
    // The service, and the key of the offering requested from it.
    F::new("service", S::Reference("service")),
    F::new("catalogue_item", S::Text),
    F::new("site", S::Text),
    F::new("impact", S::Choice(&LEVELS)),
    F::new("urgency", S::Choice(&LEVELS)),
    F::new("status", S::Choice(&TicketStatus::CHOICES)),
    F::new("assignee", S::Text),
    F::new("group", S::Text),
    F::new("sla", S::Reference("sla")),
    F::new("steps", S::List(&S::Group(STEP))),
    F::new("resolution_notes", S::LongText),
    F::new("created_at", S::When),
    F::new("created_by", S::Text),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
    // The customer's signature on the fulfilled request (sparse: absent until someone signs).
    crate::signature::FIELD,
];

static LIFECYCLE: m::Lifecycle = ticket_lifecycle("a service request");

/// A request is fulfilled only when every step is ticked.
fn rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
    let open = r.groups("steps").filter(|s| !s.bool("done")).count();
    if matches!(to, "resolved" | "closed") && open > 0 {
        return Err(WorkflowError::StepsOpen {
            open,
            status: LIFECYCLE.label(to).to_lowercase(),
        });
    }
    Ok(())
}

/// A request is for an item of a live service's catalogue, starts with its steps, and runs
/// its clock against the service's SLA.
fn create(
    r: &mut Record,
    values: &Values,
    lookup: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let service = super::other(
        lookup,
        given(values, "service"),
        &super::service::SERVICE,
        "Service (number)",
    )?;
    let offering = super::service::offering(&service, given(values, "catalogue_item"))?;
    r.set("title", offering.str("name"));
    r.set("service", service.number());
    r.set("catalogue_item", offering.str("key"));
    r.set(
        "sla",
        super::agreement::Agreements::on(lookup).for_service(&service),
    );
    let steps: Vec<m::Value> = offering
        .strs("steps")
        .map(|text| Group::defaults(STEP).with("text", text).into())
        .collect();
    r.set("steps", steps);
    r.set("created_at", meta.at);
    r.set("created_by", meta.author.as_str());
    r.start(
        meta,
        &format!("Request logged for {}", offering.str("name")),
    );
    Ok(())
}

/// Ticks (or unticks) a step.
fn tick(
    r: &mut Record,
    values: &Values,
    _: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let n: usize = given(values, "step")
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| RecordError::invalid("Step number", "enter the step's number (1, 2, …)"))?;
    let done = given(values, "done") != "false";
    let step = r
        .list_mut("steps")
        .get_mut(n - 1)
        .and_then(|s| match s {
            m::Value::Group(g) => Some(g),
            _ => None,
        })
        .ok_or(WorkflowError::NoSuchStep(n))?;
    if step.bool("done") == done {
        return Ok(());
    }
    step.set("done", done);
    step.set("done_by", if done { meta.author.as_str() } else { "" });
    step.set("done_at", if done { meta.at } else { Timestamp::default() });
    let line = format!(
        "Step {n} {}: {}",
        if done { "done" } else { "reopened" },
        step.str("text")
    );
    r.log(meta, line);
    Ok(())
}

fn sections(r: &Record) -> Vec<Section> {
    let rows = r
        .groups("steps")
        .enumerate()
        .map(|(i, step)| {
            let done = step.bool("done");
            Row {
                text: if done {
                    format!(
                        "{}. ✓ {} (done by {})",
                        i + 1,
                        step.str("text"),
                        step.str("done_by")
                    )
                } else {
                    format!("{}. {}", i + 1, step.str("text"))
                },
                button: Some(RowButton {
                    label: if done { "Reopen" } else { "Done" },
                    action: "tick",
                    values: Values::from([
                        ("step".to_string(), (i + 1).to_string()),
                        ("done".to_string(), (!done).to_string()),
                    ]),
                }),
                drawing: None,
            }
        })
        .collect();
    let mut sections = vec![Section {
        title: "Fulfilment checklist",
        rows,
    }];
    sections.extend(crate::signature::section(r));
    sections
}

pub static SERVICE_REQUEST: m::RecordType = m::RecordType {
    kind: "service_request",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "REQ",
    noun: "service request",
    plural: "Service requests",
    area: m::Area::ServiceDesk,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    create,
    form: &[
        FormField::new("service", "Service (number)").required(),
        FormField::new("catalogue_item", "Catalogue item").required(),
        FormField::new("title", "Title"),
        FormField::new("description", "Description"),
        FormField::new("caller", "Requested by"),
        FormField::new("site", "Site"),
        FormField::new("group", "Team"),
        FormField::new("assignee", "Assignee").pick(Pick::Person),
        FormField::new("impact", "Impact"),
        FormField::new("urgency", "Urgency"),
        FormField::new("resolution_notes", "Resolution notes"),
    ],
    actions: &[
        Action {
            key: "tick",
            label: "Tick off a step",
            inputs: &[
                Input::new("step", "Step number", S::COUNT).required(),
                Input::new("done", "Done", S::Bool),
            ],
            apply: tick,
        },
        crate::signature::ACTION,
        super::journal::LOG_WORK,
    ],
    sections,
    title: |r| r.str("title").to_string(),
    place: TICKET_PLACE,
    ticket: true,
    ..m::RecordType::BASE
};

/// A service request as the reports read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ServiceRequest {
    pub number: String,
    pub title: String,
    pub service: String,
    pub sla: String,
    pub impact: Level,
    pub urgency: Level,
    pub status: TicketStatus,
    pub status_history: Vec<m::StatusChange>,
}

impl ServiceRequest {
    pub fn of(r: &Record) -> Self {
        ServiceRequest {
            number: r.number().into(),
            title: r.str("title").into(),
            service: r.str("service").into(),
            sla: r.str("sla").into(),
            impact: Level::of(r.str("impact")),
            urgency: Level::of(r.str("urgency")),
            status: TicketStatus::parse(r.status()).unwrap_or_default(),
            status_history: r.status_history(),
        }
    }

    pub fn priority(&self, matrix: &PriorityMatrix) -> Priority {
        matrix.priority(self.impact, self.urgency)
    }
}
