//! Customers and their complaints (ISO 20000 8.3.2), suppliers and their contracts (8.3.4).

use autosurgeon::{Hydrate, Reconcile};

use super::agreement::{PriorityTarget, Sla};
use super::document::{ChangeMeta, record};
use super::journal::{Contact, StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use super::priority::Priority;
use super::registers::{ActiveStatus, active_lifecycle};
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

// ---------------------------------------------------------------- Customer

/// A satisfaction result (survey answer), 1 (poor) to 5 (excellent).
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Satisfaction {
    pub at: Timestamp,
    pub by: String,
    pub score: u8,
    pub comment: String,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Customer {
    pub number: String,
    pub organisation: String,
    pub contacts: Vec<Contact>,
    /// Service record numbers.
    pub services: Vec<String>,
    pub satisfaction: Vec<Satisfaction>,
    pub status: ActiveStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Customer, "customer", "CUS");
tracked!(Customer, ActiveStatus);
static OLD_CUSTOMER: Lifecycle<ActiveStatus> = active_lifecycle("a customer");

impl Workflow for Customer {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ActiveStatus> {
        &OLD_CUSTOMER
    }
}

impl Customer {
    pub fn create(
        number: String,
        organisation: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if organisation.trim().is_empty() {
            return Err(WorkflowError::Empty("the organisation"));
        }
        let mut c = Customer {
            number,
            organisation: organisation.trim().into(),
            ..Customer::default()
        };
        c.start(meta, "Customer added");
        Ok(c)
    }

    /// Mean satisfaction score, if any results were recorded.
    pub fn mean_satisfaction(&self) -> Option<f64> {
        let n = self.satisfaction.len();
        (n > 0).then(|| {
            self.satisfaction
                .iter()
                .map(|s| f64::from(s.score))
                .sum::<f64>()
                / n as f64
        })
    }
}

// ---------------------------------------------------------------- Complaint

labelled_enum! {
    /// Recorded → investigated → responded → closed, reopen allowed.
    pub enum ComplaintStatus {
        Received = ("received", "Received"),
        Investigating = ("investigating", "Investigating"),
        Responded = ("responded", "Responded"),
        Closed = ("closed", "Closed"),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Complaint {
    pub number: String,
    pub customer: String,
    pub service: String,
    pub description: String,
    pub findings: String,
    pub response: String,
    /// Whether the customer accepted the response, once known.
    pub customer_satisfied: Option<bool>,
    pub status: ComplaintStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Complaint, "complaint", "CMP");
tracked!(Complaint, ComplaintStatus);

static OLD_COMPLAINT: Lifecycle<ComplaintStatus> = {
    use ComplaintStatus::*;
    Lifecycle {
        noun: "a complaint",
        moves: &[
            (Received, &[Investigating]),
            (Investigating, &[Responded]),
            (Responded, &[Investigating, Closed]),
            (Closed, &[Investigating]),
        ],
        finished: &[Closed],
    }
};

impl Workflow for Complaint {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ComplaintStatus> {
        &OLD_COMPLAINT
    }
    /// Respond on findings; close on a response.
    fn check(&self, to: ComplaintStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        let (text, what) = match to {
            ComplaintStatus::Responded => (&self.findings, "the findings of the investigation"),
            ComplaintStatus::Closed => (&self.response, "the response to the customer"),
            _ => return Ok(()),
        };
        if text.trim().is_empty() {
            return Err(WorkflowError::Missing {
                what,
                noun: "a complaint",
                status: to.label().to_lowercase(),
            });
        }
        Ok(())
    }
}

impl Complaint {
    pub fn create(
        number: String,
        customer: &str,
        description: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if description.trim().is_empty() {
            return Err(WorkflowError::Empty("the complaint"));
        }
        let mut c = Complaint {
            number,
            customer: customer.into(),
            description: description.trim().into(),
            ..Complaint::default()
        };
        c.start(meta, "Complaint received");
        Ok(c)
    }
}

// ---------------------------------------------------------------- Supplier and contract

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Supplier {
    pub number: String,
    pub name: String,
    pub owner: String,
    pub contacts: Vec<Contact>,
    pub status: ActiveStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Supplier, "supplier", "SUP");
tracked!(Supplier, ActiveStatus);
static OLD_SUPPLIER: Lifecycle<ActiveStatus> = active_lifecycle("a supplier");

impl Workflow for Supplier {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ActiveStatus> {
        &OLD_SUPPLIER
    }
}

impl Supplier {
    pub fn create(
        number: String,
        name: &str,
        owner: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if name.trim().is_empty() {
            return Err(WorkflowError::Empty("the supplier name"));
        }
        let mut s = Supplier {
            number,
            name: name.trim().into(),
            owner: owner.trim().into(),
            ..Supplier::default()
        };
        s.start(meta, "Supplier added");
        Ok(s)
    }
}

labelled_enum! {
    pub enum ContractStatus {
        Draft = ("draft", "Draft"),
        Active = ("active", "Active"),
        Expired = ("expired", "Expired"),
        Terminated = ("terminated", "Terminated"),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Contract {
    pub number: String,
    /// The supplier record number.
    pub supplier: String,
    pub owner: String,
    pub scope: String,
    pub targets: Vec<PriorityTarget>,
    pub starts: Option<Timestamp>,
    pub ends: Option<Timestamp>,
    pub services: Vec<String>,
    /// The customer SLA record number this contract underpins.
    pub supports_sla: String,
    pub status: ContractStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Contract, "contract", "CON");
tracked!(Contract, ContractStatus);

static OLD_CONTRACT: Lifecycle<ContractStatus> = {
    use ContractStatus::*;
    Lifecycle {
        noun: "a contract",
        moves: &[
            (Draft, &[Active]),
            (Active, &[Expired, Terminated]),
            (Expired, &[Active]),
        ],
        finished: &[Terminated],
    }
};

impl Workflow for Contract {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ContractStatus> {
        &OLD_CONTRACT
    }
    fn check(&self, to: ContractStatus, reason: &str, _: &()) -> Result<(), WorkflowError> {
        if to == ContractStatus::Active && (self.starts.is_none() || self.ends.is_none()) {
            return Err(WorkflowError::Missing {
                what: "start and end dates",
                noun: "a contract",
                status: "active".into(),
            });
        }
        if to == ContractStatus::Terminated && reason.is_empty() {
            return Err(WorkflowError::ReasonRequired {
                status: "terminated".into(),
                consequence: "",
            });
        }
        Ok(())
    }
}

/// A supplier target looser than the customer target it supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGap {
    pub priority: Priority,
    /// "response" or "resolution".
    pub target: &'static str,
    pub supplier_minutes: Option<u32>,
    pub customer_minutes: u32,
}

impl Contract {
    pub fn create(
        number: String,
        supplier: &str,
        scope: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if supplier.trim().is_empty() {
            return Err(WorkflowError::Empty("the supplier"));
        }
        let mut c = Contract {
            number,
            supplier: supplier.trim().into(),
            scope: scope.trim().into(),
            ..Contract::default()
        };
        c.start(meta, "Contract drafted");
        Ok(c)
    }

    /// Checks the supplier's targets against the customer SLA they support: a supplier that
    /// may take longer than the customer was promised (or has no target) is a gap.
    pub fn gaps_against(&self, sla: &Sla) -> Vec<TargetGap> {
        let mut gaps = vec![];
        for customer in &sla.targets {
            let supplier = self
                .targets
                .iter()
                .find(|t| t.priority == customer.priority);
            let pairs = [
                (
                    "response",
                    supplier.map(|s| s.response_minutes),
                    customer.response_minutes,
                ),
                (
                    "resolution",
                    supplier.map(|s| s.resolution_minutes),
                    customer.resolution_minutes,
                ),
            ];
            for (target, supplier_minutes, customer_minutes) in pairs {
                if supplier_minutes.is_none_or(|m| m > customer_minutes) {
                    gaps.push(TargetGap {
                        priority: customer.priority,
                        target,
                        supplier_minutes,
                        customer_minutes,
                    });
                }
            }
        }
        gaps
    }
}

// ---------------------------------------------------------------- the record engine's descriptions

use crate::model::{self as m, Field as F, Shape as S};

const JOURNAL: [F; 2] = [
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

/// A satisfaction result (survey answer), 1 (poor) to 5 (excellent).
pub const SATISFACTION: &[F] = &[
    F::new("at", S::When),
    F::new("by", S::Text),
    F::new("score", S::SMALL),
    F::new("comment", S::LongText),
];

pub const CUSTOMER_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("organisation", S::Text),
    F::new("contacts", super::journal::CONTACTS),
    F::new("services", S::List(&S::Reference("service"))),
    F::new("satisfaction", S::List(&S::Group(SATISFACTION))),
    F::new("status", S::Choice(&super::registers::ACTIVE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static CUSTOMER_LIFECYCLE: m::Lifecycle = super::registers::active("a customer");

pub static CUSTOMER: m::RecordType = m::RecordType {
    kind: "customer",
    prefix: "CUS",
    noun: "customer",
    plural: "Customers",
    area: m::Area::ServiceLevel,
    fields: CUSTOMER_FIELDS,
    lifecycle: &CUSTOMER_LIFECYCLE,
    logged: "Customer added",
    title: |r| r.str("organisation").to_string(),
    ..m::RecordType::BASE
};

/// Received → investigating → responded → closed, reopen allowed.
pub const COMPLAINT_STATUSES: m::Choices = m::Choices::new(&[
    ("received", "Received"),
    ("investigating", "Investigating"),
    ("responded", "Responded"),
    ("closed", "Closed"),
]);

pub const COMPLAINT_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("customer", S::Text),
    F::new("service", S::Reference("service")),
    F::new("description", S::LongText),
    F::new("findings", S::LongText),
    F::new("response", S::LongText),
    // Whether the customer accepted the response, once known.
    F::new("customer_satisfied", S::Optional(&S::Bool)),
    F::new("status", S::Choice(&COMPLAINT_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static COMPLAINT_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a complaint",
    statuses: &COMPLAINT_STATUSES,
    moves: &[
        ("received", &["investigating"]),
        ("investigating", &["responded"]),
        ("responded", &["investigating", "closed"]),
        ("closed", &["investigating"]),
    ],
    finished: &["closed"],
    reasons: &[],
};

/// Respond on findings; close on a response.
fn complaint_rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    let (key, what) = match to {
        "responded" => ("findings", "the findings of the investigation"),
        "closed" => ("response", "the response to the customer"),
        _ => return Ok(()),
    };
    if r.str(key).trim().is_empty() {
        return Err(WorkflowError::Missing {
            what,
            noun: "a complaint",
            status: COMPLAINT_LIFECYCLE.label(to).to_lowercase(),
        });
    }
    Ok(())
}

pub static COMPLAINT: m::RecordType = m::RecordType {
    kind: "complaint",
    prefix: "CMP",
    noun: "complaint",
    plural: "Complaints",
    area: m::Area::ServiceLevel,
    fields: COMPLAINT_FIELDS,
    lifecycle: &COMPLAINT_LIFECYCLE,
    rules: complaint_rules,
    logged: "Complaint received",
    title: |r| super::registers::first_line(r, "description"),
    ..m::RecordType::BASE
};

pub const SUPPLIER_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("owner", S::Text),
    F::new("contacts", super::journal::CONTACTS),
    F::new("status", S::Choice(&super::registers::ACTIVE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static SUPPLIER_LIFECYCLE: m::Lifecycle = super::registers::active("a supplier");

pub static SUPPLIER: m::RecordType = m::RecordType {
    kind: "supplier",
    prefix: "SUP",
    noun: "supplier",
    plural: "Suppliers",
    area: m::Area::ServiceLevel,
    fields: SUPPLIER_FIELDS,
    lifecycle: &SUPPLIER_LIFECYCLE,
    logged: "Supplier added",
    title: |r| r.str("name").to_string(),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};

pub const CONTRACT_STATUSES: m::Choices = m::Choices::new(&[
    ("draft", "Draft"),
    ("active", "Active"),
    ("expired", "Expired"),
    ("terminated", "Terminated"),
]);

pub const CONTRACT_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("supplier", S::Reference("supplier")),
    F::new("owner", S::Text),
    F::new("scope", S::LongText),
    F::new("targets", S::List(&S::Group(super::agreement::TARGET))),
    F::new("starts", S::Optional(&S::When)),
    F::new("ends", S::Optional(&S::When)),
    F::new("services", S::List(&S::Reference("service"))),
    // The customer SLA this contract underpins.
    F::new("supports_sla", S::Reference("sla")),
    F::new("status", S::Choice(&CONTRACT_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static CONTRACT_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a contract",
    statuses: &CONTRACT_STATUSES,
    moves: &[
        ("draft", &["active"]),
        ("active", &["expired", "terminated"]),
        ("expired", &["active"]),
    ],
    finished: &["terminated"],
    reasons: &[("terminated", "")],
};

fn contract_rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    if to == "active" && (r.when("starts").is_none() || r.when("ends").is_none()) {
        return Err(WorkflowError::Missing {
            what: "start and end dates",
            noun: "a contract",
            status: "active".into(),
        });
    }
    Ok(())
}

pub static CONTRACT: m::RecordType = m::RecordType {
    kind: "contract",
    prefix: "CON",
    noun: "contract",
    plural: "Contracts",
    area: m::Area::ServiceLevel,
    fields: CONTRACT_FIELDS,
    lifecycle: &CONTRACT_LIFECYCLE,
    rules: contract_rules,
    logged: "Contract drafted",
    title: |r| {
        format!(
            "{} — {}",
            r.str("supplier"),
            super::registers::first_line(r, "scope")
        )
    },
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};
