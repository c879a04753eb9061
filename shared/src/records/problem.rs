//! Problem and known error (ISO 20000 8.6.3).

use autosurgeon::{Hydrate, Reconcile};

use super::change::ChangeStatus;
use super::document::{ChangeMeta, record};
use super::journal::{Review, StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

labelled_enum! {
    pub enum ProblemStatus {
        New = ("new", "New"),
        Investigating = ("investigating", "Investigating"),
        AwaitingFix = ("awaiting_fix", "Awaiting fix"),
        Closed = ("closed", "Closed"),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Problem {
    pub number: String,
    pub title: String,
    pub description: String,
    pub owner: String,
    pub status: ProblemStatus,
    /// Incident record numbers. Grows only.
    pub linked_incidents: Vec<String>,
    pub root_cause: String,
    pub workaround: String,
    /// A documented known error, searchable from any incident.
    pub known_error: bool,
    /// Accepted as a known error: it will not be fixed, the workaround stands.
    pub accepted_known_error: bool,
    /// The change record number that fixes it.
    pub fix_change: String,
    pub effectiveness_review: Option<Review>,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Problem, "problem", "PRB");
tracked!(Problem, ProblemStatus);

/// What the close rule needs to know from the fix change's own document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ProblemFacts {
    /// The status of the linked fix change, if this device has it.
    pub fix_change: Option<ChangeStatus>,
}

static OLD_LIFECYCLE: Lifecycle<ProblemStatus> = {
    use ProblemStatus::*;
    Lifecycle {
        noun: "a problem",
        moves: &[
            (New, &[Investigating, Closed]),
            (Investigating, &[AwaitingFix, Closed]),
            (AwaitingFix, &[Investigating, Closed]),
            (Closed, &[Investigating]),
        ],
        finished: &[Closed],
    }
};

impl Workflow for Problem {
    type Facts = ProblemFacts;

    fn lifecycle() -> &'static Lifecycle<ProblemStatus> {
        &OLD_LIFECYCLE
    }

    /// A problem closes only when its fix change is closed or it is accepted as a known error.
    fn check(&self, to: ProblemStatus, _: &str, facts: &ProblemFacts) -> Result<(), WorkflowError> {
        if to != ProblemStatus::Closed || self.accepted_known_error {
            return Ok(());
        }
        if self.fix_change.is_empty() {
            return Err(WorkflowError::ProblemWithoutFix);
        }
        match facts.fix_change {
            Some(ChangeStatus::Closed) => Ok(()),
            _ => Err(WorkflowError::FixChangeOpen {
                change: self.fix_change.clone(),
            }),
        }
    }
}

impl Problem {
    pub fn create(number: String, title: &str, meta: &ChangeMeta) -> Result<Self, WorkflowError> {
        if title.trim().is_empty() {
            return Err(WorkflowError::Empty("the problem title"));
        }
        let mut problem = Problem {
            number,
            title: title.trim().into(),
            ..Problem::default()
        };
        problem.start(meta, "Problem raised");
        Ok(problem)
    }

    pub fn link_incident(&mut self, incident: &str, meta: &ChangeMeta) {
        if !self.linked_incidents.iter().any(|i| i == incident) {
            self.linked_incidents.push(incident.into());
            self.log(meta, format!("Linked incident {incident}"));
        }
    }

    /// Documents it as a known error: a workaround is what makes a known error useful.
    pub fn mark_known_error(
        &mut self,
        workaround: &str,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        if workaround.trim().is_empty() {
            return Err(WorkflowError::Empty("the workaround of a known error"));
        }
        self.known_error = true;
        self.workaround = workaround.trim().into();
        self.log(
            meta,
            format!("Known error, workaround: {}", self.workaround),
        );
        Ok(())
    }

    /// Accepts it as a known error that will not be fixed, which lets it close.
    pub fn accept_known_error(
        &mut self,
        reason: &str,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        if !self.known_error {
            return Err(WorkflowError::Missing {
                what: "a documented workaround",
                noun: "a problem",
                status: "accepted as a known error".into(),
            });
        }
        if reason.trim().is_empty() {
            return Err(WorkflowError::Empty(
                "the reason for accepting the known error",
            ));
        }
        self.accepted_known_error = true;
        self.log(
            meta,
            format!("Accepted as a known error: {}", reason.trim()),
        );
        Ok(())
    }

    pub fn set_fix_change(&mut self, change: &str, meta: &ChangeMeta) {
        self.fix_change = change.into();
        self.log(meta, format!("Fix change {change}"));
    }

    /// Whether every word of `query` appears in the title, description, root cause or
    /// workaround (case-insensitive).
    pub fn matches(&self, query: &str) -> bool {
        let text = [
            &self.title,
            &self.description,
            &self.root_cause,
            &self.workaround,
        ]
        .map(|s| s.to_lowercase())
        .join(" ");
        query
            .split_whitespace()
            .all(|word| text.contains(&word.to_lowercase()))
    }
}

/// The known errors matching `query`, for the incident form: searchable offline because every
/// problem document on the device is searched in memory.
pub fn search_known_errors<'a>(problems: &'a [Problem], query: &str) -> Vec<&'a Problem> {
    problems
        .iter()
        .filter(|p| p.known_error && p.matches(query))
        .collect()
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

pub const PROBLEM_STATUSES: m::Choices = m::Choices::new(&[
    ("new", "New"),
    ("investigating", "Investigating"),
    ("awaiting_fix", "Awaiting fix"),
    ("closed", "Closed"),
]);

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("title", S::Text),
    F::new("description", S::LongText),
    F::new("owner", S::Text),
    F::new("status", S::Choice(&PROBLEM_STATUSES)),
    F::new("linked_incidents", S::List(&S::Reference("incident"))),
    F::new("root_cause", S::LongText),
    F::new("workaround", S::LongText),
    F::new("known_error", S::Bool),
    F::new("accepted_known_error", S::Bool),
    F::new("fix_change", S::Reference("change")),
    F::new("effectiveness_review", super::journal::OPTIONAL_REVIEW),
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a problem",
    statuses: &PROBLEM_STATUSES,
    moves: &[
        ("new", &["investigating", "closed"]),
        ("investigating", &["awaiting_fix", "closed"]),
        ("awaiting_fix", &["investigating", "closed"]),
        ("closed", &["investigating"]),
    ],
    finished: &["closed"],
    reasons: &[],
};

/// A problem closes only when its fix change is closed or it is accepted as a known error.
fn rules(r: &m::Record, to: &str, _: &str, facts: &m::Facts) -> Result<(), WorkflowError> {
    if to != "closed" || r.bool("accepted_known_error") {
        return Ok(());
    }
    let fix = r.str("fix_change");
    if fix.is_empty() {
        return Err(WorkflowError::ProblemWithoutFix);
    }
    match facts.status_of(fix) {
        Some("closed") => Ok(()),
        _ => Err(WorkflowError::FixChangeOpen { change: fix.into() }),
    }
}

pub static PROBLEM: m::RecordType = m::RecordType {
    kind: "problem",
    prefix: "PRB",
    noun: "problem",
    plural: "Problems",
    area: m::Area::ServiceDesk,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    // Closing reads the fix change's status from its own document.
    facts: |r, lookup| {
        let fix = r.str("fix_change");
        let status = lookup
            .record(fix)
            .and_then(|doc| m::Record::read(&doc, &super::change::CHANGE).ok())
            .map(|change| change.status().to_string());
        match status {
            Some(status) => m::Facts::default().with(fix, &status),
            None => m::Facts::default(),
        }
    },
    logged: "Problem raised",
    title: |r| r.str("title").to_string(),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};
