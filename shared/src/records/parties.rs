//! Customers and their complaints (ISO 20000 8.3.2), suppliers and their contracts (8.3.4).

use super::agreement::{Sla, TARGET, TARGET_INPUTS, set_target, target_rows, targets};
use super::journal::{ADD_CONTACT, CONTACTS, JOURNAL, contact_rows, first_line};
use super::registers::{ACTIVE_STATUSES, active};
use crate::model::Pick;
use crate::model::{
    self as m, Action, Facts, Field as F, FormField, Group, Input, Record, RecordError, Section,
    Shape as S, given,
};
use crate::priority::Priority;
use crate::sla::PriorityTarget;
use crate::workflow::WorkflowError;

// ---------------------------------------------------------------- Customer

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
    F::new("contacts", CONTACTS),
    // The services it uses.
    F::new("services", S::List(&S::Reference("service"))),
    F::new("satisfaction", S::List(&S::Group(SATISFACTION))),
    F::new("status", S::Choice(&ACTIVE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static CUSTOMER_LIFECYCLE: m::Lifecycle = active("a customer");

/// Mean satisfaction score, if any results were recorded.
pub fn mean_satisfaction(customer: &Record) -> Option<f64> {
    let scores: Vec<u64> = customer
        .groups("satisfaction")
        .map(|s| s.uint("score"))
        .collect();
    (!scores.is_empty()).then(|| scores.iter().sum::<u64>() as f64 / scores.len() as f64)
}

pub static CUSTOMER: m::RecordType = m::RecordType {
    kind: "customer",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "CUS",
    noun: "customer",
    plural: "Customers",
    area: m::Area::ServiceLevel,
    fields: CUSTOMER_FIELDS,
    lifecycle: &CUSTOMER_LIFECYCLE,
    logged: "Customer added",
    form: &[
        FormField::new("organisation", "Organisation").required(),
        FormField::new("services", "Services used (one per line)"),
    ],
    actions: &[
        ADD_CONTACT,
        Action {
            key: "satisfaction",
            label: "Record satisfaction",
            inputs: &[
                Input::new("score", "Score (1 to 5)", S::SMALL).required(),
                Input::new("comment", "Comment", S::LongText),
            ],
            apply: |r, values, _, meta| {
                let score = given(values, "score")
                    .parse::<u8>()
                    .ok()
                    .filter(|s| (1..=5).contains(s))
                    .ok_or_else(|| RecordError::invalid("Score", "enter a score from 1 to 5"))?;
                r.push(
                    "satisfaction",
                    Group::defaults(SATISFACTION)
                        .with("at", meta.at)
                        .with("by", meta.author.as_str())
                        .with("score", u64::from(score))
                        .with("comment", given(values, "comment")),
                );
                r.log(meta, format!("Satisfaction {score}/5"));
                Ok(())
            },
        },
    ],
    sections: |r| {
        let surveys = r.list("satisfaction").len();
        vec![
            Section::text("Contacts", contact_rows(r)),
            Section::text(
                "Satisfaction",
                mean_satisfaction(r).map(|m| format!("Mean {m:.1} of 5 over {surveys} survey(s)")),
            ),
        ]
    },
    title: |r| r.str("organisation").to_string(),
    ..m::RecordType::BASE
};

// ---------------------------------------------------------------- Complaint

/// Received → investigating → responded → closed, reopen allowed.
pub const COMPLAINT_STATUSES: m::Choices = m::Choices::new(&[
    ("received", "Received"),
    ("investigating", "Investigating"),
    ("responded", "Responded"),
    ("closed", "Closed"),
]);

pub const COMPLAINT_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("customer", S::Reference("customer")),
    F::new("service", S::Reference("service")),
    F::new("description", S::LongText),
    F::new("findings", S::LongText),
    F::new("response", S::LongText),
    // Whether the customer accepted the response, once known.
    F::new("customer_satisfied", S::Optional(&S::Bool)),
    F::new("status", S::Choice(&COMPLAINT_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static COMPLAINT_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a complaint",
    statuses: COMPLAINT_STATUSES.options,
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
fn complaint_rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
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
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "CMP",
    noun: "complaint",
    plural: "Complaints",
    area: m::Area::ServiceLevel,
    fields: COMPLAINT_FIELDS,
    lifecycle: &COMPLAINT_LIFECYCLE,
    rules: complaint_rules,
    logged: "Complaint received",
    form: &[
        FormField::new("customer", "Customer (number or name)").required(),
        FormField::new("service", "Service (number)"),
        FormField::new("description", "Complaint").required(),
        FormField::new("findings", "Findings"),
        FormField::new("response", "Response to the customer"),
        FormField::new("customer_satisfied", "Customer satisfied with the response"),
    ],
    title: |r| first_line(r, "description"),
    ..m::RecordType::BASE
};

// ---------------------------------------------------------------- Supplier and contract

pub const SUPPLIER_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("owner", S::Text),
    F::new("contacts", CONTACTS),
    F::new("status", S::Choice(&ACTIVE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static SUPPLIER_LIFECYCLE: m::Lifecycle = active("a supplier");

pub static SUPPLIER: m::RecordType = m::RecordType {
    kind: "supplier",
    prefix: "SUP",
    noun: "supplier",
    plural: "Suppliers",
    area: m::Area::ServiceLevel,
    fields: SUPPLIER_FIELDS,
    lifecycle: &SUPPLIER_LIFECYCLE,
    logged: "Supplier added",
    form: &[
        FormField::new("name", "Name").required(),
        FormField::new("owner", "Relationship owner").pick(Pick::Person),
    ],
    actions: &[ADD_CONTACT],
    sections: |r| vec![Section::text("Contacts", contact_rows(r))],
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
    F::new("targets", S::List(&S::Group(TARGET))),
    F::new("starts", S::Optional(&S::When)),
    F::new("ends", S::Optional(&S::When)),
    F::new("services", S::List(&S::Reference("service"))),
    // The customer SLA this contract underpins.
    F::new("supports_sla", S::Reference("sla")),
    F::new("status", S::Choice(&CONTRACT_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static CONTRACT_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a contract",
    statuses: CONTRACT_STATUSES.options,
    moves: &[
        ("draft", &["active"]),
        ("active", &["expired", "terminated"]),
        ("expired", &["active"]),
    ],
    finished: &["terminated"],
    reasons: &[("terminated", "")],
};

fn contract_rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
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
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "CON",
    noun: "contract",
    plural: "Contracts",
    area: m::Area::ServiceLevel,
    fields: CONTRACT_FIELDS,
    lifecycle: &CONTRACT_LIFECYCLE,
    rules: contract_rules,
    logged: "Contract drafted",
    form: &[
        FormField::new("supplier", "Supplier (number)").required(),
        FormField::new("scope", "Scope").required(),
        FormField::new("owner", "Owner").pick(Pick::Person),
        FormField::new("starts", "Starts"),
        FormField::new("ends", "Ends"),
        FormField::new("services", "Services (one per line)"),
        FormField::new("supports_sla", "Supports SLA (number)"),
    ],
    actions: &[Action {
        key: "target",
        label: "Set a target",
        inputs: TARGET_INPUTS,
        apply: |r, values, _, meta| set_target(r, values, meta),
    }],
    sections: |r| vec![target_rows(r)],
    title: |r| format!("{} — {}", r.str("supplier"), first_line(r, "scope")),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};

/// A supplier target looser than the customer target it supports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetGap {
    pub priority: Priority,
    /// "response" or "resolution".
    pub target: &'static str,
    pub supplier_minutes: Option<u32>,
    pub customer_minutes: u32,
}

/// Checks a contract's supplier targets against the customer SLA they support: a supplier that
/// may take longer than the customer was promised (or has no target) is a gap.
pub fn gaps_against(contract: &Record, sla: &Sla) -> Vec<TargetGap> {
    let supplier_targets = targets(contract);
    let mut gaps = vec![];
    for customer in &sla.targets {
        let supplier: Option<&PriorityTarget> = supplier_targets
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
