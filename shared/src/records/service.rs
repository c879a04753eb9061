//! Service and its catalogue items (ISO 20000 8.2.4), with its availability target (8.7.1).

use super::journal::JOURNAL;
use crate::model::Pick;
use crate::model::{
    self as m, Action, Facts, Field as F, FormField, Group, Input, Lookup, Record, RecordError,
    Section, Shape as S, given,
};
use crate::workflow::WorkflowError;

pub const SERVICE_STATES: m::Choices = m::Choices::new(&[
    ("proposed", "Proposed"),
    ("live", "Live"),
    ("retired", "Retired"),
]);

/// Something a customer can ask for (a request offering), with the steps that fulfil it.
pub const OFFERING: &[F] = &[
    // Stable key, referenced by service requests.
    F::new("key", S::Text),
    F::new("name", S::Text),
    F::new("description", S::LongText),
    // The fulfilment checklist copied onto each request.
    F::new("steps", S::List(&S::Text)),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("owner", S::Text),
    F::new("description", S::LongText),
    F::new("status", S::Choice(&SERVICE_STATES)),
    // When the service is provided, in words (the SLA's calendar is what the clock counts).
    F::new("service_hours", S::Text),
    // Record numbers of the services and CIs this service depends on.
    // The services and CIs it depends on (impact analysis follows them: `crate::links`).
    F::new(
        "dependencies",
        S::List(&S::Reference("service|configuration_item")),
    ),
    F::new("offerings", S::List(&S::Group(OFFERING))),
    F::new("sla", S::Reference("sla")),
    // Availability target in percent (8.7.1); outages come from its major incidents.
    F::new("availability_target", S::Decimal).or(|| m::Value::F64(99.0)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a service",
    statuses: SERVICE_STATES.options,
    moves: &[("proposed", &["live", "retired"]), ("live", &["retired"])],
    finished: &["retired"],
    reasons: &[],
};

/// A live service must have someone accountable for it.
fn rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
    if to == "live" && r.str("owner").trim().is_empty() {
        return Err(WorkflowError::Missing {
            what: "an owner",
            noun: "a service",
            status: "live".into(),
        });
    }
    Ok(())
}

/// The offering `key` of `service`, if the service takes new requests for it. Only live
/// services do: a retired service takes no new requests, a proposed one none yet.
pub fn offering<'a>(service: &'a Record, key: &str) -> Result<&'a Group, WorkflowError> {
    if service.status() != "live" {
        return Err(WorkflowError::ServiceNotLive {
            service: service.str("name").into(),
            state: LIFECYCLE.label(service.status()).to_lowercase(),
        });
    }
    service
        .groups("offerings")
        .find(|o| o.str("key") == key)
        .ok_or_else(|| WorkflowError::UnknownOffering {
            item: key.into(),
            service: service.str("name").into(),
        })
}

/// For a new ticket about the service numbered `number`: the service's number and the SLA
/// number the ticket's clock runs against (`Agreements::for_service`). A new incident may be
/// about any service but a retired one (a proposed service can already fail in its pilot).
pub fn ticket_service(lookup: &dyn Lookup, number: &str) -> Result<(String, String), RecordError> {
    let service = super::other(lookup, number, &SERVICE, "Service")?;
    if LIFECYCLE.is_finished(service.status()) {
        return Err(RecordError::invalid(
            "Service",
            format!(
                "{} {} is {}: it takes no new incidents",
                service.number(),
                service.str("name"),
                LIFECYCLE.label(service.status()).to_lowercase()
            ),
        ));
    }
    let sla = super::agreement::Agreements::on(lookup).for_service(&service);
    Ok((service.number().to_string(), sla))
}

/// Adds an offering to the catalogue (replacing one with the same key).
fn add_offering(
    r: &mut Record,
    values: &m::Values,
    _: &dyn Lookup,
    meta: &m::ChangeMeta,
) -> Result<(), RecordError> {
    let steps: Vec<m::Value> = given(values, "steps")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(m::Value::from)
        .collect();
    let (key, name) = (given(values, "key"), given(values, "name"));
    let offering = Group::defaults(OFFERING)
        .with("key", key)
        .with("name", name)
        .with("description", given(values, "description"))
        .with("steps", steps);
    r.log(meta, format!("Catalogue item {key}: {name}"));
    let offerings = r.list_mut("offerings");
    offerings.retain(|o| o.as_group().is_none_or(|o| o.str("key") != key));
    offerings.push(offering.into());
    Ok(())
}

fn sections(r: &Record) -> Vec<Section> {
    vec![Section::text(
        "Catalogue",
        r.groups("offerings").map(|o| {
            let steps: Vec<&str> = o.strs("steps").collect();
            format!(
                "{} ({}): {} step(s){}",
                o.str("name"),
                o.str("key"),
                steps.len(),
                if steps.is_empty() {
                    String::new()
                } else {
                    format!(" — {}", steps.join("; "))
                }
            )
        }),
    )]
}

pub static SERVICE: m::RecordType = m::RecordType {
    kind: "service",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "SVC",
    noun: "service",
    plural: "Services",
    area: m::Area::ServiceLevel,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "Service proposed",
    form: &[
        FormField::new("name", "Name").required(),
        FormField::new("owner", "Owner").pick(Pick::Person),
        FormField::new("description", "Description"),
        FormField::new("service_hours", "Service hours"),
        FormField::new("dependencies", "Depends on (one per line)"),
        FormField::new("sla", "SLA (number)"),
        FormField::new("availability_target", "Availability target (%)"),
    ],
    actions: &[Action {
        key: "offering",
        label: "Add to the catalogue",
        inputs: &[
            Input::new("key", "Item key (e.g. laptop)", S::Text).required(),
            Input::new("name", "Item name", S::Text).required(),
            Input::new("description", "Description", S::LongText),
            Input::new(
                "steps",
                "Fulfilment steps (one per line)",
                S::List(&S::Text),
            ),
        ],
        apply: add_offering,
    }],
    sections,
    title: |r| r.str("name").to_string(),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};

/// A service as the availability report reads it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Service {
    pub number: String,
    pub name: String,
    pub sla: String,
    pub availability_target: f64,
}

impl Service {
    pub fn of(r: &Record) -> Self {
        Service {
            number: r.number().into(),
            name: r.str("name").into(),
            sla: r.str("sla").into(),
            availability_target: r.f64("availability_target"),
        }
    }
}
