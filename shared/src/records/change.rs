//! Change (ISO 20000 8.5.1): standard changes from pre-approved templates, normal changes
//! through the CAB, emergency changes with an emergency approver and a retrospective review.

use autosurgeon::{Hydrate, Reconcile};

use super::document::{ChangeMeta, record};
use super::journal::{Review, StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use super::registers::{ActiveStatus, active_lifecycle};
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

labelled_enum! {
    pub enum ChangeType {
        Normal = ("normal", "Normal"),
        Standard = ("standard", "Standard"),
        Emergency = ("emergency", "Emergency"),
    }
}

labelled_enum! {
    pub enum ChangeStatus {
        Draft = ("draft", "Draft"),
        Submitted = ("submitted", "Awaiting approval"),
        Approved = ("approved", "Approved"),
        Implementing = ("implementing", "Implementing"),
        Review = ("review", "In review"),
        Closed = ("closed", "Closed"),
        Rejected = ("rejected", "Rejected"),
        Cancelled = ("cancelled", "Cancelled"),
    }
}

labelled_enum! {
    pub enum ApprovalRole {
        Cab = ("cab", "CAB member"),
        Emergency = ("emergency", "Emergency approver"),
    }
}

labelled_enum! {
    pub enum Decision {
        Approve = ("approve", "Approved"),
        Reject = ("reject", "Rejected"),
    }
}

labelled_enum! {
    /// How the implementation went (8.5.1), recorded once the change has been implemented:
    /// what the change report counts as changes by outcome.
    pub enum ImplementationOutcome {
        Successful = ("successful", "Successful"),
        WithIssues = ("with_issues", "Successful with issues"),
        Failed = ("failed", "Failed"),
        BackedOut = ("backed_out", "Backed out"),
    }
}

/// One approver's decision. Approvals only grow: a changed mind is a new, later entry.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Approval {
    pub approver: String,
    pub role: ApprovalRole,
    pub decision: Decision,
    pub comment: String,
    pub at: Timestamp,
    pub device: String,
}

/// One risk question and the score its answer gave.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct RiskAnswer {
    pub question: String,
    pub answer: String,
    pub score: u32,
}

/// A pre-approved recipe for standard changes.
#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct ChangeTemplate {
    pub number: String,
    pub name: String,
    pub implementation_plan: String,
    pub backout_plan: String,
    /// Approved by the CAB for use without further approval.
    pub approved: bool,
    pub approved_by: String,
    /// Added after schema 1 without a bump: older documents read as an active template with
    /// no history yet, and older readers ignore them.
    #[autosurgeon(missing = "Default::default")]
    pub status: ActiveStatus,
    #[autosurgeon(missing = "Default::default")]
    pub status_history: Vec<StatusChange>,
    #[autosurgeon(missing = "Default::default")]
    pub work_log: Vec<WorkLogEntry>,
}

record!(ChangeTemplate, "change_template", "TPL");
tracked!(ChangeTemplate, ActiveStatus);

static OLD_TEMPLATE: Lifecycle<ActiveStatus> = active_lifecycle("a change template");

/// A template is withdrawn by making it inactive; standard changes then cannot use it.
impl Workflow for ChangeTemplate {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<ActiveStatus> {
        &OLD_TEMPLATE
    }
}

impl ChangeTemplate {
    /// The CAB approves the recipe for standard changes, which then need no approval each.
    pub fn approve(&mut self, meta: &ChangeMeta) {
        self.approved = true;
        self.approved_by = meta.author.clone();
        self.log(
            meta,
            format!("Approved for standard changes by {}", meta.author),
        );
    }
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Change {
    pub number: String,
    pub title: String,
    pub change_type: ChangeType,
    /// The template a standard change came from (its record number).
    pub template: String,
    pub reason: String,
    pub affected_cis: Vec<String>,
    pub services: Vec<String>,
    pub risk: Vec<RiskAnswer>,
    pub impact: String,
    pub implementation_plan: String,
    pub backout_plan: String,
    pub planned_start: Option<Timestamp>,
    pub planned_end: Option<Timestamp>,
    pub approvals: Vec<Approval>,
    /// Test results and other evidence, appended.
    pub test_evidence: Vec<WorkLogEntry>,
    /// Post-implementation review; for an emergency change, the retrospective review.
    pub review: Option<Review>,
    pub status: ChangeStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
    /// Added after schema 1 without a bump: older documents read it as not recorded, and
    /// older readers ignore it.
    #[autosurgeon(missing = "Default::default")]
    pub outcome: Option<ImplementationOutcome>,
}

record!(Change, "change", "CHG");
tracked!(Change, ChangeStatus);

/// What the CAB has decided so far: each member's latest decision counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CabDecision {
    Undecided,
    Approved,
    Rejected { by: String, comment: String },
}

/// The risk questions of a change, each with the score a "yes" adds.
pub const RISK_QUESTIONS: [(&str, u32); 5] = [
    ("Does it touch a live service in business hours?", 3),
    ("Does it need downtime?", 3),
    ("Is it the first time this change is made?", 2),
    ("Is the backout plan untested?", 2),
    ("Does it affect more than one site?", 1),
];

static OLD_LIFECYCLE: Lifecycle<ChangeStatus> = {
    use ChangeStatus::*;
    Lifecycle {
        noun: "a change",
        moves: &[
            (Draft, &[Submitted, Implementing, Cancelled]),
            (
                Submitted,
                &[Approved, Rejected, Draft, Implementing, Cancelled],
            ),
            (Approved, &[Implementing, Cancelled]),
            (Implementing, &[Review]),
            (Review, &[Closed, Implementing]),
            (Rejected, &[Draft]),
        ],
        finished: &[Closed, Cancelled],
    }
};

impl Workflow for Change {
    type Facts = ();

    fn lifecycle() -> &'static Lifecycle<ChangeStatus> {
        &OLD_LIFECYCLE
    }

    fn check(&self, to: ChangeStatus, reason: &str, _: &()) -> Result<(), WorkflowError> {
        use ChangeStatus::*;
        // "before it can be implemented", not "… be implementing".
        let status = match to {
            Implementing => "implemented".to_string(),
            Review => "reviewed".to_string(),
            _ => to.label().to_lowercase(),
        };
        match to {
            Approved | Implementing | Review => self.check_authorised(status),
            Closed => match (self.change_type, &self.review) {
                (ChangeType::Standard, _) | (_, Some(_)) => Ok(()),
                (ChangeType::Normal, None) => Err(WorkflowError::NoReview {
                    kind: "a normal",
                    review: "post-implementation review",
                }),
                (ChangeType::Emergency, None) => Err(WorkflowError::NoReview {
                    kind: "an emergency",
                    review: "retrospective review",
                }),
            },
            Rejected | Cancelled if reason.is_empty() => Err(WorkflowError::ReasonRequired {
                status,
                consequence: "",
            }),
            _ => Ok(()),
        }
    }
}

impl Change {
    /// A new normal or emergency change. Standard changes come from [`Change::from_template`].
    pub fn create(
        number: String,
        change_type: ChangeType,
        title: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if change_type == ChangeType::Standard {
            return Err(WorkflowError::StandardWithoutTemplate);
        }
        Self::new(number, change_type, title, meta)
    }

    /// A standard change from a pre-approved template: its plans are the template's.
    pub fn from_template(
        number: String,
        template: &ChangeTemplate,
        title: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if !template.approved || template.status == ActiveStatus::Inactive {
            return Err(WorkflowError::TemplateNotApproved {
                template: template.name.clone(),
            });
        }
        let title = if title.trim().is_empty() {
            &template.name
        } else {
            title
        };
        let mut change = Self::new(number, ChangeType::Standard, title, meta)?;
        change.template = template.number.clone();
        change.implementation_plan = template.implementation_plan.clone();
        change.backout_plan = template.backout_plan.clone();
        change.log(
            meta,
            format!("From template {} ({})", template.name, template.number),
        );
        Ok(change)
    }

    fn new(
        number: String,
        change_type: ChangeType,
        title: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if title.trim().is_empty() {
            return Err(WorkflowError::Empty("the change title"));
        }
        let mut change = Change {
            number,
            title: title.trim().into(),
            change_type,
            ..Change::default()
        };
        change.start(meta, &format!("{} change raised", change_type.label()));
        Ok(change)
    }

    /// Records an approver's decision.
    pub fn decide(
        &mut self,
        role: ApprovalRole,
        decision: Decision,
        comment: &str,
        meta: &ChangeMeta,
    ) {
        self.approvals.push(Approval {
            approver: meta.author.clone(),
            role,
            decision,
            comment: comment.trim().into(),
            at: meta.at,
            device: meta.device.clone(),
        });
        let line = format!(
            "{} by {} ({}): {}",
            decision.label(),
            meta.author,
            role.label(),
            comment.trim()
        );
        self.log(meta, line);
    }

    /// The CAB's decision from each member's latest entry (by time, then list order).
    pub fn cab_decision(&self) -> CabDecision {
        let mut latest: Vec<&Approval> = vec![];
        let mut cab: Vec<&Approval> = self
            .approvals
            .iter()
            .filter(|a| a.role == ApprovalRole::Cab)
            .collect();
        cab.sort_by_key(|a| a.at);
        for approval in cab {
            latest.retain(|a| a.approver != approval.approver);
            latest.push(approval);
        }
        if let Some(no) = latest.iter().find(|a| a.decision == Decision::Reject) {
            return CabDecision::Rejected {
                by: no.approver.clone(),
                comment: no.comment.clone(),
            };
        }
        if latest.is_empty() {
            CabDecision::Undecided
        } else {
            CabDecision::Approved
        }
    }

    pub fn has_emergency_approval(&self) -> bool {
        self.approvals
            .iter()
            .any(|a| a.role == ApprovalRole::Emergency && a.decision == Decision::Approve)
    }

    /// Whether this change may be approved, implemented or reviewed: a normal change needs the
    /// CAB, an emergency change its emergency approver; a standard change is pre-approved.
    fn check_authorised(&self, status: String) -> Result<(), WorkflowError> {
        match self.change_type {
            ChangeType::Standard if self.template.is_empty() => {
                Err(WorkflowError::StandardWithoutTemplate)
            }
            ChangeType::Standard => Ok(()),
            ChangeType::Emergency if self.has_emergency_approval() => Ok(()),
            ChangeType::Emergency => Err(WorkflowError::NoEmergencyApproval { status }),
            ChangeType::Normal => match self.cab_decision() {
                CabDecision::Approved => Ok(()),
                CabDecision::Undecided => Err(WorkflowError::NoCabApproval { status }),
                CabDecision::Rejected { by, comment } => Err(WorkflowError::RejectedByCab {
                    by,
                    comment,
                    status,
                }),
            },
        }
    }

    pub fn risk_score(&self) -> u32 {
        self.risk.iter().map(|r| r.score).sum()
    }

    /// Answers the [`RISK_QUESTIONS`] (`yes[i]` for question `i`; missing answers are no),
    /// replacing an earlier assessment.
    pub fn assess_risk(&mut self, yes: &[bool], meta: &ChangeMeta) {
        self.risk = RISK_QUESTIONS
            .iter()
            .enumerate()
            .map(|(i, (question, score))| {
                let yes = yes.get(i).copied().unwrap_or(false);
                RiskAnswer {
                    question: (*question).into(),
                    answer: if yes { "yes" } else { "no" }.into(),
                    score: if yes { *score } else { 0 },
                }
            })
            .collect();
        let line = format!(
            "Risk assessed: score {} ({})",
            self.risk_score(),
            self.risk_level()
        );
        self.log(meta, line);
    }

    /// The risk score in words: low up to 2, medium up to 6, high above.
    pub fn risk_level(&self) -> &'static str {
        match self.risk_score() {
            0..=2 => "low risk",
            3..=6 => "medium risk",
            _ => "high risk",
        }
    }

    /// Records how the implementation went; the latest record counts. Only once the change
    /// has been implemented (it is implementing, in review or closed).
    pub fn record_outcome(
        &mut self,
        outcome: ImplementationOutcome,
        meta: &ChangeMeta,
    ) -> Result<(), WorkflowError> {
        use ChangeStatus::*;
        if !matches!(self.status, Implementing | Review | Closed) {
            return Err(WorkflowError::NotImplementedYet {
                status: self.status.label().to_lowercase(),
            });
        }
        self.outcome = Some(outcome);
        self.log(meta, format!("Outcome: {}", outcome.label()));
        Ok(())
    }

    /// Records the post-implementation (or retrospective) review.
    pub fn record_review(&mut self, summary: &str, meta: &ChangeMeta) -> Result<(), WorkflowError> {
        if summary.trim().is_empty() {
            return Err(WorkflowError::Empty("the review"));
        }
        self.review = Some(Review::new(meta, summary));
        self.log(meta, format!("Review: {}", summary.trim()));
        Ok(())
    }

    pub fn add_test_evidence(&mut self, note: &str, meta: &ChangeMeta) {
        self.test_evidence
            .push(WorkLogEntry::new(meta, note.trim()));
        self.log(meta, format!("Test evidence: {}", note.trim()));
    }

    fn window(&self) -> Option<(Timestamp, Timestamp)> {
        Some((self.planned_start?, self.planned_end?))
    }
}

/// A period in which no change may be implemented.
#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct FreezeWindow {
    pub name: String,
    pub start: Timestamp,
    pub end: Timestamp,
}

/// What the change calendar shows in red.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Collision {
    /// Two changes planned at overlapping times; `shared` lists the CIs and services they
    /// both touch (empty if they only overlap in time).
    Changes {
        a: String,
        b: String,
        shared: Vec<String>,
    },
    Freeze {
        change: String,
        freeze: String,
    },
}

fn overlaps(a: (Timestamp, Timestamp), b: (Timestamp, Timestamp)) -> bool {
    a.0 < b.1 && b.0 < a.1
}

/// Collisions among the planned windows of open changes, and with freeze windows.
pub fn collisions(changes: &[Change], freezes: &[FreezeWindow]) -> Vec<Collision> {
    let planned: Vec<(&Change, (Timestamp, Timestamp))> = changes
        .iter()
        .filter(|c| !OLD_LIFECYCLE.is_finished(c.status) && c.status != ChangeStatus::Rejected)
        .filter_map(|c| Some((c, c.window()?)))
        .collect();
    let mut found = vec![];
    for (i, (a, wa)) in planned.iter().enumerate() {
        for (b, wb) in &planned[i + 1..] {
            if overlaps(*wa, *wb) {
                let shared = a
                    .affected_cis
                    .iter()
                    .chain(&a.services)
                    .filter(|x| b.affected_cis.contains(x) || b.services.contains(x))
                    .cloned()
                    .collect();
                found.push(Collision::Changes {
                    a: a.number.clone(),
                    b: b.number.clone(),
                    shared,
                });
            }
        }
        for freeze in freezes.iter().filter(|f| overlaps(*wa, (f.start, f.end))) {
            found.push(Collision::Freeze {
                change: a.number.clone(),
                freeze: freeze.name.clone(),
            });
        }
    }
    found
}

// ---------------------------------------------------------------- the record engine's description

use crate::model::{self as m, Field as F, Shape as S};

pub const CHANGE_TYPES: m::Choices = m::Choices::new(&[
    ("normal", "Normal"),
    ("standard", "Standard"),
    ("emergency", "Emergency"),
]);

pub const CHANGE_STATUSES: m::Choices = m::Choices::new(&[
    ("draft", "Draft"),
    ("submitted", "Awaiting approval"),
    ("approved", "Approved"),
    ("implementing", "Implementing"),
    ("review", "In review"),
    ("closed", "Closed"),
    ("rejected", "Rejected"),
    ("cancelled", "Cancelled"),
]);

pub const APPROVAL_ROLES: m::Choices =
    m::Choices::new(&[("cab", "CAB member"), ("emergency", "Emergency approver")]);

pub const DECISIONS: m::Choices =
    m::Choices::new(&[("approve", "Approved"), ("reject", "Rejected")]);

/// How the implementation went (8.5.1), recorded once the change has been implemented: what
/// the change report counts as changes by outcome.
pub const OUTCOMES: m::Choices = m::Choices::new(&[
    ("successful", "Successful"),
    ("with_issues", "Successful with issues"),
    ("failed", "Failed"),
    ("backed_out", "Backed out"),
]);

/// One approver's decision. Approvals only grow: a changed mind is a new, later entry.
pub const APPROVAL: &[F] = &[
    F::new("approver", S::Text),
    F::new("role", S::Choice(&APPROVAL_ROLES)),
    F::new("decision", S::Choice(&DECISIONS)),
    F::new("comment", S::LongText),
    F::new("at", S::When),
    F::new("device", S::Text),
];

/// One risk question and the score its answer gave.
pub const RISK_ANSWER: &[F] = &[
    F::new("question", S::Text),
    F::new("answer", S::Text),
    F::new("score", S::COUNT),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("title", S::Text),
    F::new("change_type", S::Choice(&CHANGE_TYPES)),
    F::new("template", S::Reference("change_template")),
    F::new("reason", S::LongText),
    F::new("affected_cis", S::List(&S::Reference("configuration_item"))),
    F::new("services", S::List(&S::Reference("service"))),
    F::new("risk", S::List(&S::Group(RISK_ANSWER))),
    F::new("impact", S::LongText),
    F::new("implementation_plan", S::LongText),
    F::new("backout_plan", S::LongText),
    F::new("planned_start", S::Optional(&S::When)),
    F::new("planned_end", S::Optional(&S::When)),
    F::new("approvals", S::List(&S::Group(APPROVAL))),
    // Test results and other evidence, appended.
    F::new("test_evidence", m::WORK_LOG),
    // Post-implementation review; for an emergency change, the retrospective review.
    F::new("review", super::journal::OPTIONAL_REVIEW),
    F::new("status", S::Choice(&CHANGE_STATUSES)),
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
    // Added after schema 1 without a bump: older documents read it as not recorded.
    F::new("outcome", S::Optional(&S::Choice(&OUTCOMES))),
];

pub static CHANGE_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a change",
    statuses: &CHANGE_STATUSES,
    moves: &[
        ("draft", &["submitted", "implementing", "cancelled"]),
        (
            "submitted",
            &["approved", "rejected", "draft", "implementing", "cancelled"],
        ),
        ("approved", &["implementing", "cancelled"]),
        ("implementing", &["review"]),
        ("review", &["closed", "implementing"]),
        ("rejected", &["draft"]),
    ],
    finished: &["closed", "cancelled"],
    reasons: &[("rejected", ""), ("cancelled", "")],
};

/// A normal change needs the CAB, an emergency change its emergency approver, before it is
/// approved, implemented or reviewed (a standard change is pre-approved); a normal or
/// emergency change closes only with its review.
fn change_rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    // "before it can be implemented", not "… be implementing".
    let status = match to {
        "implementing" => "implemented".to_string(),
        "review" => "reviewed".to_string(),
        _ => CHANGE_LIFECYCLE.label(to).to_lowercase(),
    };
    match to {
        "approved" | "implementing" | "review" => check_authorised(r, status),
        "closed" => match (r.str("change_type"), r.group("review")) {
            ("standard", _) | (_, Some(_)) => Ok(()),
            ("emergency", None) => Err(WorkflowError::NoReview {
                kind: "an emergency",
                review: "retrospective review",
            }),
            (_, None) => Err(WorkflowError::NoReview {
                kind: "a normal",
                review: "post-implementation review",
            }),
        },
        _ => Ok(()),
    }
}

fn check_authorised(r: &m::Record, status: String) -> Result<(), WorkflowError> {
    match r.str("change_type") {
        "standard" if r.str("template").is_empty() => Err(WorkflowError::StandardWithoutTemplate),
        "standard" => Ok(()),
        "emergency" if has_emergency_approval(r) => Ok(()),
        "emergency" => Err(WorkflowError::NoEmergencyApproval { status }),
        _ => match cab_decision(r) {
            CabDecision::Approved => Ok(()),
            CabDecision::Undecided => Err(WorkflowError::NoCabApproval { status }),
            CabDecision::Rejected { by, comment } => Err(WorkflowError::RejectedByCab {
                by,
                comment,
                status,
            }),
        },
    }
}

/// What the CAB has decided so far: each member's latest decision (by time, then list order)
/// counts.
pub fn cab_decision(r: &m::Record) -> CabDecision {
    let mut cab: Vec<&m::Group> = r
        .groups("approvals")
        .filter(|a| a.str("role") == "cab")
        .collect();
    cab.sort_by_key(|a| a.at("at"));
    let mut latest: Vec<&m::Group> = vec![];
    for approval in cab {
        latest.retain(|a| a.str("approver") != approval.str("approver"));
        latest.push(approval);
    }
    if let Some(no) = latest.iter().find(|a| a.str("decision") == "reject") {
        return CabDecision::Rejected {
            by: no.str("approver").into(),
            comment: no.str("comment").into(),
        };
    }
    if latest.is_empty() {
        CabDecision::Undecided
    } else {
        CabDecision::Approved
    }
}

pub fn has_emergency_approval(r: &m::Record) -> bool {
    r.groups("approvals")
        .any(|a| a.str("role") == "emergency" && a.str("decision") == "approve")
}

pub static CHANGE: m::RecordType = m::RecordType {
    kind: "change",
    prefix: "CHG",
    noun: "change",
    plural: "Changes",
    area: m::Area::Change,
    fields: FIELDS,
    lifecycle: &CHANGE_LIFECYCLE,
    rules: change_rules,
    title: |r| r.str("title").to_string(),
    ..m::RecordType::BASE
};

pub const TEMPLATE_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("implementation_plan", S::LongText),
    F::new("backout_plan", S::LongText),
    // Approved by the CAB for use without further approval.
    F::new("approved", S::Bool),
    F::new("approved_by", S::Text),
    // Added after schema 1 without a bump: older documents read as an active template with no
    // history yet.
    F::new("status", S::Choice(&super::registers::ACTIVE_STATUSES)),
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

static TEMPLATE_LIFECYCLE: m::Lifecycle = super::registers::active("a change template");

/// A pre-approved recipe for standard changes, withdrawn by making it inactive.
pub static CHANGE_TEMPLATE: m::RecordType = m::RecordType {
    kind: "change_template",
    prefix: "TPL",
    noun: "change template",
    plural: "Change templates",
    area: m::Area::Change,
    fields: TEMPLATE_FIELDS,
    lifecycle: &TEMPLATE_LIFECYCLE,
    title: |r| r.str("name").to_string(),
    ..m::RecordType::BASE
};
