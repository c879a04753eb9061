//! The management-system registers (ISO 20000 clauses 6, 7, 9, 10): risk, competence,
//! internal audit, management review, nonconformity and improvement. Most share the plain
//! open → in progress → closed lifecycle; each adds only the rule that makes it auditable.

use autosurgeon::{Hydrate, Reconcile};

use super::document::{ChangeMeta, record};
use super::journal::{Review, StatusChange, WorkLogEntry};
use super::labels::labelled_enum;
use super::priority::Level;
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, Workflow, WorkflowError, tracked};

labelled_enum! {
    /// The lifecycle of a register entry: open → in progress → closed, reopen allowed.
    pub enum EntryStatus {
        Open = ("open", "Open"),
        InProgress = ("in_progress", "In progress"),
        Closed = ("closed", "Closed"),
    }
}

const ENTRY_MOVES: &[(EntryStatus, &[EntryStatus])] = {
    use EntryStatus::*;
    &[
        (Open, &[InProgress, Closed]),
        (InProgress, &[Open, Closed]),
        (Closed, &[InProgress]),
    ]
};

const fn entry_lifecycle(noun: &'static str) -> Lifecycle<EntryStatus> {
    Lifecycle {
        noun,
        moves: ENTRY_MOVES,
        finished: &[EntryStatus::Closed],
    }
}

labelled_enum! {
    /// For registers of people and organisations: active or not.
    pub enum ActiveStatus {
        Active = ("active", "Active"),
        Inactive = ("inactive", "Inactive"),
    }
}

const ACTIVE_MOVES: &[(ActiveStatus, &[ActiveStatus])] = &[
    (ActiveStatus::Active, &[ActiveStatus::Inactive]),
    (ActiveStatus::Inactive, &[ActiveStatus::Active]),
];

pub(crate) const fn active_lifecycle(noun: &'static str) -> Lifecycle<ActiveStatus> {
    Lifecycle {
        noun,
        moves: ACTIVE_MOVES,
        finished: &[],
    }
}

/// Refuses closing while `text` (what closing needs) is empty.
fn needs_before_close(
    to: EntryStatus,
    text: &str,
    what: &'static str,
    noun: &'static str,
) -> Result<(), WorkflowError> {
    if to == EntryStatus::Closed && text.trim().is_empty() {
        return Err(WorkflowError::Missing {
            what,
            noun,
            status: "closed".into(),
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- Risk (6.1)

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Risk {
    pub number: String,
    pub description: String,
    pub source: String,
    /// 1 (rare) to 5 (almost certain).
    pub likelihood: u8,
    /// 1 (negligible) to 5 (severe).
    pub impact: u8,
    pub treatment: String,
    pub owner: String,
    pub review_date: Option<Timestamp>,
    pub status: EntryStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Risk, "risk", "RSK");
tracked!(Risk, EntryStatus);
static RISK: Lifecycle<EntryStatus> = entry_lifecycle("a risk");

impl Workflow for Risk {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<EntryStatus> {
        &RISK
    }
    fn check(&self, to: EntryStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        needs_before_close(to, &self.treatment, "a treatment", "a risk")
    }
}

impl Risk {
    pub fn create(
        number: String,
        description: &str,
        likelihood: u8,
        impact: u8,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if description.trim().is_empty() {
            return Err(WorkflowError::Empty("the risk description"));
        }
        let mut risk = Risk {
            number,
            description: description.trim().into(),
            likelihood: likelihood.clamp(1, 5),
            impact: impact.clamp(1, 5),
            ..Risk::default()
        };
        risk.start(meta, "Risk identified");
        Ok(risk)
    }

    /// Likelihood × impact, 1 to 25.
    pub fn score(&self) -> u8 {
        self.likelihood.saturating_mul(self.impact)
    }

    pub fn review_due(&self, now: Timestamp) -> bool {
        self.status != EntryStatus::Closed && self.review_date.is_some_and(|d| d <= now)
    }
}

// ---------------------------------------------------------------- Competence (7.2)

#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Certificate {
    pub name: String,
    pub expires: Option<Timestamp>,
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Competence {
    pub number: String,
    pub person: String,
    pub role: String,
    pub skills_required: Vec<String>,
    pub skills_held: Vec<String>,
    pub certificates: Vec<Certificate>,
    pub evidence: String,
    pub status: ActiveStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Competence, "competence", "CMT");
tracked!(Competence, ActiveStatus);
static COMPETENCE: Lifecycle<ActiveStatus> = active_lifecycle("a competence record");

impl Workflow for Competence {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ActiveStatus> {
        &COMPETENCE
    }
}

impl Competence {
    pub fn create(
        number: String,
        person: &str,
        role: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if person.trim().is_empty() {
            return Err(WorkflowError::Empty("the person"));
        }
        let mut c = Competence {
            number,
            person: person.trim().into(),
            role: role.trim().into(),
            ..Competence::default()
        };
        c.start(meta, "Competence record opened");
        Ok(c)
    }

    /// Skills the role requires that the person does not hold.
    pub fn gaps(&self) -> Vec<&str> {
        self.skills_required
            .iter()
            .filter(|s| !self.skills_held.contains(s))
            .map(String::as_str)
            .collect()
    }

    /// Certificates expired at `now`.
    pub fn expired(&self, now: Timestamp) -> Vec<&Certificate> {
        self.certificates
            .iter()
            .filter(|c| c.expires.is_some_and(|e| e < now))
            .collect()
    }
}

// ---------------------------------------------------------------- Internal audit (9.2)

labelled_enum! {
    pub enum AuditStatus {
        Planned = ("planned", "Planned"),
        InProgress = ("in_progress", "In progress"),
        Reported = ("reported", "Reported"),
        Closed = ("closed", "Closed"),
    }
}

labelled_enum! {
    pub enum FindingKind {
        Observation = ("observation", "Observation"),
        Nonconformity = ("nonconformity", "Nonconformity"),
        Opportunity = ("opportunity", "Opportunity for improvement"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Finding {
    pub at: Timestamp,
    pub by: String,
    pub kind: FindingKind,
    pub text: String,
    /// The nonconformity record number raised for it.
    pub nonconformity: String,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct InternalAudit {
    pub number: String,
    pub programme: String,
    pub scope: String,
    pub criteria: String,
    pub planned_at: Option<Timestamp>,
    pub findings: Vec<Finding>,
    pub status: AuditStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(InternalAudit, "internal_audit", "AUD");
tracked!(InternalAudit, AuditStatus);

static AUDIT: Lifecycle<AuditStatus> = {
    use AuditStatus::*;
    Lifecycle {
        noun: "an internal audit",
        moves: &[
            (Planned, &[InProgress]),
            (InProgress, &[Reported]),
            (Reported, &[InProgress, Closed]),
        ],
        finished: &[Closed],
    }
};

impl Workflow for InternalAudit {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<AuditStatus> {
        &AUDIT
    }
    /// Every nonconformity found must be raised as a nonconformity record before closing.
    fn check(&self, to: AuditStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        let unlinked = self
            .findings
            .iter()
            .any(|f| f.kind == FindingKind::Nonconformity && f.nonconformity.is_empty());
        if to == AuditStatus::Closed && unlinked {
            return Err(WorkflowError::Missing {
                what: "a nonconformity record for every nonconformity found",
                noun: "an internal audit",
                status: "closed".into(),
            });
        }
        Ok(())
    }
}

impl InternalAudit {
    pub fn create(
        number: String,
        programme: &str,
        scope: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if scope.trim().is_empty() {
            return Err(WorkflowError::Empty("the audit scope"));
        }
        let mut audit = InternalAudit {
            number,
            programme: programme.trim().into(),
            scope: scope.trim().into(),
            ..InternalAudit::default()
        };
        audit.start(meta, "Audit planned");
        Ok(audit)
    }

    pub fn add_finding(&mut self, kind: FindingKind, text: &str, meta: &ChangeMeta) {
        self.findings.push(Finding {
            at: meta.at,
            by: meta.author.clone(),
            kind,
            text: text.trim().into(),
            nonconformity: String::new(),
        });
        self.log(meta, format!("{}: {}", kind.label(), text.trim()));
    }
}

// ---------------------------------------------------------------- Management review (9.3)

/// The inputs clause 9.3 requires a management review to consider.
pub const REVIEW_INPUTS: [&str; 8] = [
    "status of actions from previous reviews",
    "changes in external and internal issues",
    "performance and effectiveness of the SMS",
    "customer satisfaction and complaints",
    "nonconformities and corrective actions",
    "audit results",
    "risks and opportunities",
    "opportunities for improvement",
];

labelled_enum! {
    pub enum ReviewStatus {
        Planned = ("planned", "Planned"),
        Held = ("held", "Held"),
        Closed = ("closed", "Closed"),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Reconcile, Hydrate)]
pub struct Action {
    pub text: String,
    pub owner: String,
    pub due: Option<Timestamp>,
    pub done: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct ManagementReview {
    pub number: String,
    pub held_at: Option<Timestamp>,
    pub attendees: Vec<String>,
    /// Which of [`REVIEW_INPUTS`] were covered.
    pub inputs_covered: Vec<String>,
    pub decisions: Vec<String>,
    pub actions: Vec<Action>,
    pub status: ReviewStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(ManagementReview, "management_review", "MRV");
tracked!(ManagementReview, ReviewStatus);

static MANAGEMENT_REVIEW: Lifecycle<ReviewStatus> = Lifecycle {
    noun: "a management review",
    moves: &[
        (ReviewStatus::Planned, &[ReviewStatus::Held]),
        (ReviewStatus::Held, &[ReviewStatus::Closed]),
    ],
    finished: &[ReviewStatus::Closed],
};

impl Workflow for ManagementReview {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ReviewStatus> {
        &MANAGEMENT_REVIEW
    }
    fn check(&self, to: ReviewStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        if to == ReviewStatus::Held && self.attendees.is_empty() {
            return Err(WorkflowError::Missing {
                what: "the list of attendees",
                noun: "a management review",
                status: "held".into(),
            });
        }
        if to == ReviewStatus::Closed && !self.missing_inputs().is_empty() {
            return Err(WorkflowError::Missing {
                what: "every required input (see the missing inputs)",
                noun: "a management review",
                status: "closed".into(),
            });
        }
        Ok(())
    }
}

impl ManagementReview {
    pub fn create(number: String, meta: &ChangeMeta) -> Self {
        let mut review = ManagementReview {
            number,
            ..ManagementReview::default()
        };
        review.start(meta, "Management review planned");
        review
    }

    /// Required inputs not yet covered.
    pub fn missing_inputs(&self) -> Vec<&'static str> {
        REVIEW_INPUTS
            .into_iter()
            .filter(|i| !self.inputs_covered.iter().any(|c| c == i))
            .collect()
    }
}

// ---------------------------------------------------------------- Nonconformity (10.1)

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Nonconformity {
    pub number: String,
    pub finding: String,
    /// Where it was found: an audit, complaint or review record number.
    pub source: String,
    pub correction: String,
    pub root_cause: String,
    pub corrective_action: String,
    pub effectiveness_check: Option<Review>,
    pub status: EntryStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Nonconformity, "nonconformity", "NCF");
tracked!(Nonconformity, EntryStatus);
static NONCONFORMITY: Lifecycle<EntryStatus> = entry_lifecycle("a nonconformity");

impl Workflow for Nonconformity {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<EntryStatus> {
        &NONCONFORMITY
    }
    /// Closing needs the corrective action and proof that it worked.
    fn check(&self, to: EntryStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        needs_before_close(
            to,
            &self.corrective_action,
            "a corrective action",
            "a nonconformity",
        )?;
        let check = self
            .effectiveness_check
            .as_ref()
            .map_or("", |r| r.summary.as_str());
        needs_before_close(to, check, "an effectiveness check", "a nonconformity")
    }
}

impl Nonconformity {
    pub fn create(
        number: String,
        finding: &str,
        source: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if finding.trim().is_empty() {
            return Err(WorkflowError::Empty("the finding"));
        }
        let mut n = Nonconformity {
            number,
            finding: finding.trim().into(),
            source: source.into(),
            ..Nonconformity::default()
        };
        n.start(meta, "Nonconformity raised");
        Ok(n)
    }
}

// ---------------------------------------------------------------- Improvement (10.2)

labelled_enum! {
    pub enum ImprovementSource {
        Idea = ("idea", "Idea"),
        Breach = ("breach", "SLA breach"),
        Review = ("review", "Review"),
        Audit = ("audit", "Audit"),
        Complaint = ("complaint", "Complaint"),
    }
}

#[derive(Debug, Clone, PartialEq, Default, Reconcile, Hydrate)]
pub struct Improvement {
    pub number: String,
    pub opportunity: String,
    pub source: ImprovementSource,
    /// The record that prompted it (the breached incident, the audit, …).
    pub source_ref: String,
    pub priority: Level,
    pub owner: String,
    pub target: String,
    pub measured_outcome: String,
    pub status: EntryStatus,
    pub status_history: Vec<StatusChange>,
    pub work_log: Vec<WorkLogEntry>,
}

record!(Improvement, "improvement", "IMP");
tracked!(Improvement, EntryStatus);
static IMPROVEMENT: Lifecycle<EntryStatus> = entry_lifecycle("an improvement");

impl Workflow for Improvement {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<EntryStatus> {
        &IMPROVEMENT
    }
    /// An improvement is closed on evidence: its measured outcome.
    fn check(&self, to: EntryStatus, _: &str, _: &()) -> Result<(), WorkflowError> {
        needs_before_close(
            to,
            &self.measured_outcome,
            "a measured outcome",
            "an improvement",
        )
    }
}

impl Improvement {
    pub fn create(
        number: String,
        opportunity: &str,
        source: ImprovementSource,
        source_ref: &str,
        meta: &ChangeMeta,
    ) -> Result<Self, WorkflowError> {
        if opportunity.trim().is_empty() {
            return Err(WorkflowError::Empty("the opportunity"));
        }
        let mut imp = Improvement {
            number,
            opportunity: opportunity.trim().into(),
            source,
            source_ref: source_ref.into(),
            ..Improvement::default()
        };
        imp.start(meta, &format!("Improvement opened ({})", source.label()));
        Ok(imp)
    }
}
