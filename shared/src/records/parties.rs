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
static CUSTOMER: Lifecycle<ActiveStatus> = active_lifecycle("a customer");

impl Workflow for Customer {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ActiveStatus> {
        &CUSTOMER
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

static COMPLAINT: Lifecycle<ComplaintStatus> = {
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
        &COMPLAINT
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
static SUPPLIER: Lifecycle<ActiveStatus> = active_lifecycle("a supplier");

impl Workflow for Supplier {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ActiveStatus> {
        &SUPPLIER
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

static CONTRACT: Lifecycle<ContractStatus> = {
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
        &CONTRACT
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
