//! Release and deployment (ISO 20000 8.5.3).

use autosurgeon::{Hydrate, Reconcile};

use super::document::{ChangeMeta, record};
use super::journal::{StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

labelled_enum! {
    pub enum ReleaseStatus {
        Planned = ("planned", "Planned"),
        Testing = ("testing", "Testing"),
        Deploying = ("deploying", "Deploying"),
        Deployed = ("deployed", "Deployed"),
        Failed = ("failed", "Failed"),
        Closed = ("closed", "Closed"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Acceptance {
    pub at: Timestamp,
    pub by: String,
    pub passed: bool,
    pub notes: String,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Release {
    pub number: String,
    pub name: String,
    /// Change record numbers included.
    pub changes: Vec<String>,
    pub deployment_plan: String,
    pub rollback_plan: String,
    pub acceptance: Option<Acceptance>,
    /// Incident or problem record numbers investigating a failed deployment.
    pub investigations: Vec<String>,
    pub status: ReleaseStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Release, "release", "REL");
tracked!(Release, ReleaseStatus);

static OLD_LIFECYCLE: Lifecycle<ReleaseStatus> = {
    use ReleaseStatus::*;
    Lifecycle {
        noun: "a release",
        moves: &[
            (Planned, &[Testing]),
            (Testing, &[Planned, Deploying]),
            (Deploying, &[Deployed, Failed]),
            (Deployed, &[Closed, Failed]),
            (Failed, &[Planned, Closed]),
        ],
        finished: &[Closed],
    }
};

impl Workflow for Release {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ReleaseStatus> {
        &OLD_LIFECYCLE
    }
    /// Deploy only what passed acceptance; a failed deployment is investigated before it closes.
    fn check(&self, to: ReleaseStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        let failed = self
            .status_history
            .iter()
            .any(|c| c.status == ReleaseStatus::Failed.as_str());
        let missing = match to {
            ReleaseStatus::Deploying if !self.acceptance.as_ref().is_some_and(|a| a.passed) => {
                "a passed acceptance test"
            }
            ReleaseStatus::Deploying if self.rollback_plan.trim().is_empty() => "a rollback plan",
            ReleaseStatus::Closed if failed && self.investigations.is_empty() => {
                "a linked incident or problem investigating the failure"
            }
            _ => return Ok(()),
        };
        Err(WorkflowError::Missing {
            what: missing,
            noun: "a release",
            status: to.label().to_lowercase(),
        })
    }
}

impl Release {
    pub fn create(number: String, name: &str, meta: &ChangeMeta) -> Result<Self, WorkflowError> {
        if name.trim().is_empty() {
            return Err(WorkflowError::Empty("the release name"));
        }
        let mut r = Release {
            number,
            name: name.trim().into(),
            ..Release::default()
        };
        r.start(meta, "Release planned");
        Ok(r)
    }

    pub fn record_acceptance(&mut self, passed: bool, notes: &str, meta: &ChangeMeta) {
        self.acceptance = Some(Acceptance {
            at: meta.at,
            by: meta.author.clone(),
            passed,
            notes: notes.trim().into(),
        });
        let outcome = if passed { "passed" } else { "failed" };
        self.log(meta, format!("Acceptance {outcome}: {}", notes.trim()));
    }
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

pub const RELEASE_STATUSES: m::Choices = m::Choices::new(&[
    ("planned", "Planned"),
    ("testing", "Testing"),
    ("deploying", "Deploying"),
    ("deployed", "Deployed"),
    ("failed", "Failed"),
    ("closed", "Closed"),
]);

pub const ACCEPTANCE: &[F] = &[
    F::new("at", S::When),
    F::new("by", S::Text),
    F::new("passed", S::Bool),
    F::new("notes", S::LongText),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("changes", S::List(&S::Reference("change"))),
    F::new("deployment_plan", S::LongText),
    F::new("rollback_plan", S::LongText),
    F::new("acceptance", S::Optional(&S::Group(ACCEPTANCE))),
    // Incident or problem record numbers investigating a failed deployment.
    F::new("investigations", S::List(&S::Text)),
    F::new("status", S::Choice(&RELEASE_STATUSES)),
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a release",
    statuses: &RELEASE_STATUSES,
    moves: &[
        ("planned", &["testing"]),
        ("testing", &["planned", "deploying"]),
        ("deploying", &["deployed", "failed"]),
        ("deployed", &["closed", "failed"]),
        ("failed", &["planned", "closed"]),
    ],
    finished: &["closed"],
    reasons: &[],
};

/// Deploy only what passed acceptance; a failed deployment is investigated before it closes.
fn rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    let failed = r
        .groups("status_history")
        .any(|c| c.str("status") == "failed");
    let passed = r.group("acceptance").is_some_and(|a| a.bool("passed"));
    let missing = match to {
        "deploying" if !passed => "a passed acceptance test",
        "deploying" if r.str("rollback_plan").trim().is_empty() => "a rollback plan",
        "closed" if failed && r.list("investigations").is_empty() => {
            "a linked incident or problem investigating the failure"
        }
        _ => return Ok(()),
    };
    Err(WorkflowError::Missing {
        what: missing,
        noun: "a release",
        status: LIFECYCLE.label(to).to_lowercase(),
    })
}

pub static RELEASE: m::RecordType = m::RecordType {
    kind: "release",
    prefix: "REL",
    noun: "release",
    plural: "Releases",
    area: m::Area::Change,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "Release planned",
    title: |r| r.str("name").to_string(),
    ..m::RecordType::BASE
};
