//! Service and its catalogue items (ISO 20000 8.2.4), with its availability target (8.7.1).

use autosurgeon::{Hydrate, Reconcile};

use super::document::{ChangeMeta, record};
use super::journal::{StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

labelled_enum! {
    pub enum ServiceState {
        Proposed = ("proposed", "Proposed"),
        Live = ("live", "Live"),
        Retired = ("retired", "Retired"),
    }
}

impl ServiceState {
    /// Whether a new incident may be about a service in this state: any but a retired one (a
    /// proposed service can already fail in its pilot).
    pub fn takes_incidents(self) -> bool {
        self != ServiceState::Retired
    }
}

/// Something a customer can ask for (a request offering), with the steps that fulfil it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Offering {
    /// Stable key, referenced by service requests.
    pub key: String,
    pub name: String,
    pub description: String,
    /// The fulfilment checklist copied onto each request.
    pub steps: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Service {
    pub number: String,
    pub name: String,
    pub owner: String,
    pub description: String,
    pub status: ServiceState,
    /// When the service is provided, in words (the SLA's calendar is what the clock counts).
    pub service_hours: String,
    /// Record numbers of the services and CIs this service depends on.
    pub dependencies: Vec<String>,
    pub offerings: Vec<Offering>,
    /// The SLA record number.
    pub sla: String,
    /// Availability target in percent (8.7.1); outages come from its major incidents.
    pub availability_target: f64,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Service, "service", "SVC");
tracked!(Service, ServiceState);

static OLD_LIFECYCLE: Lifecycle<ServiceState> = Lifecycle {
    noun: "a service",
    moves: &[
        (
            ServiceState::Proposed,
            &[ServiceState::Live, ServiceState::Retired],
        ),
        (ServiceState::Live, &[ServiceState::Retired]),
    ],
    finished: &[ServiceState::Retired],
};

impl Workflow for Service {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<ServiceState> {
        &OLD_LIFECYCLE
    }

    /// A live service must have someone accountable for it.
    fn check(&self, to: ServiceState, _: &str, _: &()) -> Result<(), WorkflowError> {
        if to == ServiceState::Live && self.owner.trim().is_empty() {
            return Err(WorkflowError::Missing {
                what: "an owner",
                noun: "a service",
                status: "live".into(),
            });
        }
        Ok(())
    }
}

impl Service {
    pub fn create(
        number: String,
        name: &str,
        owner: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if name.trim().is_empty() {
            return Err(WorkflowError::Empty("the service name"));
        }
        let mut service = Service {
            number,
            name: name.trim().into(),
            owner: owner.trim().into(),
            availability_target: 99.0,
            ..Service::default()
        };
        service.start(meta, "Service proposed");
        Ok(service)
    }

    /// The offering `key` if the service takes new requests for it. Only live services do:
    /// a retired service takes no new requests, a proposed one none yet.
    pub fn offering_for_request(&self, key: &str) -> Result<&Offering, WorkflowError> {
        if self.status != ServiceState::Live {
            return Err(WorkflowError::ServiceNotLive {
                service: self.name.clone(),
                state: self.status.label().to_lowercase(),
            });
        }
        self.offerings
            .iter()
            .find(|o| o.key == key)
            .ok_or_else(|| WorkflowError::UnknownOffering {
                item: key.into(),
                service: self.name.clone(),
            })
    }
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

pub const SERVICE_STATES: m::Choices = m::Choices::new(&[
    ("proposed", "Proposed"),
    ("live", "Live"),
    ("retired", "Retired"),
]);

/// Something a customer can ask for, with the steps that fulfil it.
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
    F::new("dependencies", S::List(&S::Text)),
    F::new("offerings", S::List(&S::Group(OFFERING))),
    F::new("sla", S::Reference("sla")),
    // Availability target in percent (8.7.1); outages come from its major incidents.
    F::new("availability_target", S::Decimal).or(|| m::Value::F64(99.0)),
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a service",
    statuses: &SERVICE_STATES,
    moves: &[("proposed", &["live", "retired"]), ("live", &["retired"])],
    finished: &["retired"],
    reasons: &[],
};

/// A live service must have someone accountable for it.
fn rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    if to == "live" && r.str("owner").trim().is_empty() {
        return Err(WorkflowError::Missing {
            what: "an owner",
            noun: "a service",
            status: "live".into(),
        });
    }
    Ok(())
}

pub static SERVICE: m::RecordType = m::RecordType {
    kind: "service",
    prefix: "SVC",
    noun: "service",
    plural: "Services",
    area: m::Area::ServiceLevel,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "Service proposed",
    title: |r| r.str("name").to_string(),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};
