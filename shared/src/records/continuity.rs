//! Service continuity plan (ISO 20000 8.7.2), kept on every device so it can be read when the
//! normal site is unreachable.

use autosurgeon::{Hydrate, Reconcile};

use super::document::{ChangeMeta, Record};
use super::journal::{Contact, StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

labelled_enum! {
    pub enum PlanStatus {
        Draft = ("draft", "Draft"),
        Approved = ("approved", "Approved"),
        Retired = ("retired", "Retired"),
    }
}

/// A test or exercise of the plan.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct PlanTest {
    pub at: Timestamp,
    pub by: String,
    pub passed: bool,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct ContinuityPlan {
    pub number: String,
    pub service: String,
    pub invocation_criteria: String,
    pub procedures: Vec<String>,
    pub contacts: Vec<Contact>,
    /// Recovery time objective.
    pub rto_minutes: u32,
    /// Recovery point objective.
    pub rpo_minutes: u32,
    pub tests: Vec<PlanTest>,
    pub status: PlanStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

impl Record for ContinuityPlan {
    const KIND: &'static str = "continuity_plan";
    const NUMBER_PREFIX: &'static str = "BCP";
    const SCHEMA: u64 = 1;
    const ON_EVERY_DEVICE: bool = true;
}

tracked!(ContinuityPlan, PlanStatus);

static OLD_LIFECYCLE: Lifecycle<PlanStatus> = Lifecycle {
    noun: "a continuity plan",
    moves: &[
        (
            PlanStatus::Draft,
            &[PlanStatus::Approved, PlanStatus::Retired],
        ),
        (
            PlanStatus::Approved,
            &[PlanStatus::Draft, PlanStatus::Retired],
        ),
    ],
    finished: &[PlanStatus::Retired],
};

impl Workflow for ContinuityPlan {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<PlanStatus> {
        &OLD_LIFECYCLE
    }
    /// A plan nobody can invoke or follow is not a plan.
    fn check(&self, to: PlanStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        let incomplete = self.invocation_criteria.trim().is_empty()
            || self.procedures.is_empty()
            || self.contacts.is_empty();
        if to == PlanStatus::Approved && incomplete {
            return Err(WorkflowError::Missing {
                what: "invocation criteria, procedures and contacts",
                noun: "a continuity plan",
                status: "approved".into(),
            });
        }
        Ok(())
    }
}

impl ContinuityPlan {
    pub fn create(number: String, service: &str, meta: &ChangeMeta) -> Self {
        let mut plan = ContinuityPlan {
            number,
            service: service.into(),
            ..ContinuityPlan::default()
        };
        plan.start(meta, "Continuity plan drafted");
        plan
    }

    pub fn record_test(&mut self, passed: bool, notes: &str, meta: &ChangeMeta) {
        self.tests.push(PlanTest {
            at: meta.at,
            by: meta.author.clone(),
            passed,
            notes: notes.trim().into(),
        });
        let outcome = if passed { "passed" } else { "failed" };
        self.log(meta, format!("Plan test {outcome}: {}", notes.trim()));
    }

    /// When the plan was last tested successfully.
    pub fn last_passed_test(&self) -> Option<Timestamp> {
        self.tests.iter().filter(|t| t.passed).map(|t| t.at).max()
    }
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

pub const PLAN_STATUSES: m::Choices = m::Choices::new(&[
    ("draft", "Draft"),
    ("approved", "Approved"),
    ("retired", "Retired"),
]);

/// A test or exercise of the plan.
pub const PLAN_TEST: &[F] = &[
    F::new("at", S::When),
    F::new("by", S::Text),
    F::new("passed", S::Bool),
    F::new("notes", S::LongText),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("service", S::Text),
    F::new("invocation_criteria", S::LongText),
    F::new("procedures", S::List(&S::Text)),
    F::new("contacts", super::journal::CONTACTS),
    // Recovery time and recovery point objectives.
    F::new("rto_minutes", S::COUNT),
    F::new("rpo_minutes", S::COUNT),
    F::new("tests", S::List(&S::Group(PLAN_TEST))),
    F::new("status", S::Choice(&PLAN_STATUSES)),
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a continuity plan",
    statuses: &PLAN_STATUSES,
    moves: &[
        ("draft", &["approved", "retired"]),
        ("approved", &["draft", "retired"]),
    ],
    finished: &["retired"],
    reasons: &[],
};

/// A plan nobody can invoke or follow is not a plan.
fn rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    let incomplete = r.str("invocation_criteria").trim().is_empty()
        || r.list("procedures").is_empty()
        || r.list("contacts").is_empty();
    if to == "approved" && incomplete {
        return Err(WorkflowError::Missing {
            what: "invocation criteria, procedures and contacts",
            noun: "a continuity plan",
            status: "approved".into(),
        });
    }
    Ok(())
}

pub static CONTINUITY_PLAN: m::RecordType = m::RecordType {
    kind: "continuity_plan",
    prefix: "BCP",
    noun: "continuity plan",
    plural: "Continuity plans",
    area: m::Area::ServiceLevel,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "Continuity plan drafted",
    title: |r| format!("Continuity of {}", r.str("service")),
    on_every_device: true,
    ..m::RecordType::BASE
};
