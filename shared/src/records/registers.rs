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
static OLD_RISK: Lifecycle<EntryStatus> = entry_lifecycle("a risk");

impl Workflow for Risk {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<EntryStatus> {
        &OLD_RISK
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
static OLD_COMPETENCE: Lifecycle<ActiveStatus> = active_lifecycle("a competence record");

impl Workflow for Competence {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<ActiveStatus> {
        &OLD_COMPETENCE
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

static OLD_AUDIT: Lifecycle<AuditStatus> = {
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
        &OLD_AUDIT
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

static OLD_MANAGEMENT_REVIEW: Lifecycle<ReviewStatus> = Lifecycle {
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
        &OLD_MANAGEMENT_REVIEW
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
static OLD_NONCONFORMITY: Lifecycle<EntryStatus> = entry_lifecycle("a nonconformity");

impl Workflow for Nonconformity {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<EntryStatus> {
        &OLD_NONCONFORMITY
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
static OLD_IMPROVEMENT: Lifecycle<EntryStatus> = entry_lifecycle("an improvement");

impl Workflow for Improvement {
    type Facts = ();
    fn lifecycle() -> &'static Lifecycle<EntryStatus> {
        &OLD_IMPROVEMENT
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

// ---------------------------------------------------------------- the record engine's descriptions

use crate::model::{self as m, Field as F, Shape as S};

/// Open → in progress → closed, reopen allowed.
pub const ENTRY_STATUSES: m::Choices = m::Choices::new(&[
    ("open", "Open"),
    ("in_progress", "In progress"),
    ("closed", "Closed"),
]);

/// For registers of people and organisations: active or not.
pub const ACTIVE_STATUSES: m::Choices =
    m::Choices::new(&[("active", "Active"), ("inactive", "Inactive")]);

/// The lifecycle of a register entry named `noun` ("a risk").
pub(crate) const fn entry(noun: &'static str) -> m::Lifecycle {
    m::Lifecycle {
        noun,
        statuses: &ENTRY_STATUSES,
        moves: &[
            ("open", &["in_progress", "closed"]),
            ("in_progress", &["open", "closed"]),
            ("closed", &["in_progress"]),
        ],
        finished: &["closed"],
        reasons: &[],
    }
}

/// The lifecycle of a register of people or organisations named `noun`.
pub(crate) const fn active(noun: &'static str) -> m::Lifecycle {
    m::Lifecycle {
        noun,
        statuses: &ACTIVE_STATUSES,
        moves: &[("active", &["inactive"]), ("inactive", &["active"])],
        finished: &[],
        reasons: &[],
    }
}

/// Refuses closing while the text field `key` (what closing needs) is empty.
fn needs(
    r: &m::Record,
    to: &str,
    key: &str,
    what: &'static str,
    noun: &'static str,
) -> Result<(), WorkflowError> {
    needs_before_close(entry_status(to), r.str(key), what, noun)
}

fn entry_status(key: &str) -> EntryStatus {
    EntryStatus::parse(key).unwrap_or_default()
}

/// The first line of a text field: a register entry's title.
pub(crate) fn first_line(r: &m::Record, key: &str) -> String {
    r.str(key).lines().next().unwrap_or_default().to_string()
}

const JOURNAL: [F; 2] = [
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];

// Risk (6.1)

pub const RISK_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("description", S::LongText),
    F::new("source", S::Text),
    // 1 (rare) to 5 (almost certain).
    F::new("likelihood", S::SMALL).or(|| m::Value::Uint(1)),
    // 1 (negligible) to 5 (severe).
    F::new("impact", S::SMALL).or(|| m::Value::Uint(1)),
    F::new("treatment", S::LongText),
    F::new("owner", S::Text),
    F::new("review_date", S::Optional(&S::When)),
    F::new("status", S::Choice(&ENTRY_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static RISK_LIFECYCLE: m::Lifecycle = entry("a risk");

pub static RISK: m::RecordType = m::RecordType {
    kind: "risk",
    prefix: "RSK",
    noun: "risk",
    plural: "Risks",
    area: m::Area::Registers,
    fields: RISK_FIELDS,
    lifecycle: &RISK_LIFECYCLE,
    rules: |r, to, _, _| needs(r, to, "treatment", "a treatment", "a risk"),
    logged: "Risk identified",
    title: |r| first_line(r, "description"),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};

// Competence (7.2)

pub const CERTIFICATE: &[F] = &[
    F::new("name", S::Text),
    F::new("expires", S::Optional(&S::When)),
    F::new("evidence", S::Text),
];

pub const COMPETENCE_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("person", S::Text),
    F::new("role", S::Text),
    F::new("skills_required", S::List(&S::Text)),
    F::new("skills_held", S::List(&S::Text)),
    F::new("certificates", S::List(&S::Group(CERTIFICATE))),
    F::new("evidence", S::LongText),
    F::new("status", S::Choice(&ACTIVE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static COMPETENCE_LIFECYCLE: m::Lifecycle = active("a competence record");

pub static COMPETENCE: m::RecordType = m::RecordType {
    kind: "competence",
    prefix: "CMT",
    noun: "competence record",
    plural: "Competences",
    area: m::Area::Registers,
    fields: COMPETENCE_FIELDS,
    lifecycle: &COMPETENCE_LIFECYCLE,
    logged: "Competence record opened",
    title: |r| format!("{} — {}", r.str("person"), r.str("role")),
    place: m::Place::assignee("person"),
    ..m::RecordType::BASE
};

// Internal audit (9.2)

pub const AUDIT_STATUSES: m::Choices = m::Choices::new(&[
    ("planned", "Planned"),
    ("in_progress", "In progress"),
    ("reported", "Reported"),
    ("closed", "Closed"),
]);

pub const FINDING_KINDS: m::Choices = m::Choices::new(&[
    ("observation", "Observation"),
    ("nonconformity", "Nonconformity"),
    ("opportunity", "Opportunity for improvement"),
]);

pub const FINDING: &[F] = &[
    F::new("at", S::When),
    F::new("by", S::Text),
    F::new("kind", S::Choice(&FINDING_KINDS)),
    F::new("text", S::LongText),
    // The nonconformity record raised for it.
    F::new("nonconformity", S::Reference("nonconformity")),
];

pub const AUDIT_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("programme", S::Text),
    F::new("scope", S::LongText),
    F::new("criteria", S::LongText),
    F::new("planned_at", S::Optional(&S::When)),
    F::new("findings", S::List(&S::Group(FINDING))),
    F::new("status", S::Choice(&AUDIT_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static AUDIT_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "an internal audit",
    statuses: &AUDIT_STATUSES,
    moves: &[
        ("planned", &["in_progress"]),
        ("in_progress", &["reported"]),
        ("reported", &["in_progress", "closed"]),
    ],
    finished: &["closed"],
    reasons: &[],
};

/// Every nonconformity found must be raised as a nonconformity record before closing.
fn audit_rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    let unlinked = r
        .groups("findings")
        .any(|f| f.str("kind") == "nonconformity" && f.str("nonconformity").is_empty());
    if to == "closed" && unlinked {
        return Err(WorkflowError::Missing {
            what: "a nonconformity record for every nonconformity found",
            noun: "an internal audit",
            status: "closed".into(),
        });
    }
    Ok(())
}

pub static INTERNAL_AUDIT: m::RecordType = m::RecordType {
    kind: "internal_audit",
    prefix: "AUD",
    noun: "internal audit",
    plural: "Internal audits",
    area: m::Area::Registers,
    fields: AUDIT_FIELDS,
    lifecycle: &AUDIT_LIFECYCLE,
    rules: audit_rules,
    logged: "Audit planned",
    title: |r| format!("{} — {}", r.str("programme"), first_line(r, "scope")),
    ..m::RecordType::BASE
};

// Management review (9.3)

pub const REVIEW_STATUSES: m::Choices = m::Choices::new(&[
    ("planned", "Planned"),
    ("held", "Held"),
    ("closed", "Closed"),
]);

pub const ACTION: &[F] = &[
    F::new("text", S::LongText),
    F::new("owner", S::Text),
    F::new("due", S::Optional(&S::When)),
    F::new("done", S::Bool),
];

pub const REVIEW_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("held_at", S::Optional(&S::When)),
    F::new("attendees", S::List(&S::Text)),
    // Which of REVIEW_INPUTS were covered.
    F::new("inputs_covered", S::List(&S::Text)),
    F::new("decisions", S::List(&S::Text)),
    F::new("actions", S::List(&S::Group(ACTION))),
    F::new("status", S::Choice(&REVIEW_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static REVIEW_LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a management review",
    statuses: &REVIEW_STATUSES,
    moves: &[("planned", &["held"]), ("held", &["closed"])],
    finished: &["closed"],
    reasons: &[],
};

/// Required inputs a management review has not covered yet.
pub fn missing_inputs(r: &m::Record) -> Vec<&'static str> {
    REVIEW_INPUTS
        .into_iter()
        .filter(|i| !r.strs("inputs_covered").any(|c| c == *i))
        .collect()
}

fn review_rules(r: &m::Record, to: &str, _: &str, _: &m::Facts) -> Result<(), WorkflowError> {
    if to == "held" && r.list("attendees").is_empty() {
        return Err(WorkflowError::Missing {
            what: "the list of attendees",
            noun: "a management review",
            status: "held".into(),
        });
    }
    if to == "closed" && !missing_inputs(r).is_empty() {
        return Err(WorkflowError::Missing {
            what: "every required input (see the missing inputs)",
            noun: "a management review",
            status: "closed".into(),
        });
    }
    Ok(())
}

pub static MANAGEMENT_REVIEW: m::RecordType = m::RecordType {
    kind: "management_review",
    prefix: "MRV",
    noun: "management review",
    plural: "Management reviews",
    area: m::Area::Registers,
    fields: REVIEW_FIELDS,
    lifecycle: &REVIEW_LIFECYCLE,
    rules: review_rules,
    logged: "Management review planned",
    title: |r| match r.when("held_at") {
        Some(at) => format!("Management review {}", at.to_datetime().format("%Y-%m-%d")),
        None => "Management review (date to be set)".into(),
    },
    ..m::RecordType::BASE
};

// Nonconformity (10.1)

pub const NONCONFORMITY_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("finding", S::LongText),
    // Where it was found: an audit, complaint or review record number.
    F::new("source", S::Text),
    F::new("correction", S::LongText),
    F::new("root_cause", S::LongText),
    F::new("corrective_action", S::LongText),
    F::new("effectiveness_check", super::journal::OPTIONAL_REVIEW),
    F::new("status", S::Choice(&ENTRY_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static NONCONFORMITY_LIFECYCLE: m::Lifecycle = entry("a nonconformity");

/// Closing needs the corrective action and proof that it worked.
fn nonconformity_rules(
    r: &m::Record,
    to: &str,
    _: &str,
    _: &m::Facts,
) -> Result<(), WorkflowError> {
    needs(
        r,
        to,
        "corrective_action",
        "a corrective action",
        "a nonconformity",
    )?;
    let check = r
        .group("effectiveness_check")
        .map_or("", |c| c.str("summary"));
    needs_before_close(
        entry_status(to),
        check,
        "an effectiveness check",
        "a nonconformity",
    )
}

pub static NONCONFORMITY: m::RecordType = m::RecordType {
    kind: "nonconformity",
    prefix: "NCF",
    noun: "nonconformity",
    plural: "Nonconformities",
    area: m::Area::Registers,
    fields: NONCONFORMITY_FIELDS,
    lifecycle: &NONCONFORMITY_LIFECYCLE,
    rules: nonconformity_rules,
    logged: "Nonconformity raised",
    title: |r| first_line(r, "finding"),
    ..m::RecordType::BASE
};

// Improvement (10.2)

pub const IMPROVEMENT_SOURCES: m::Choices = m::Choices::new(&[
    ("idea", "Idea"),
    ("breach", "SLA breach"),
    ("review", "Review"),
    ("audit", "Audit"),
    ("complaint", "Complaint"),
]);

pub const IMPROVEMENT_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("opportunity", S::LongText),
    F::new("source", S::Choice(&IMPROVEMENT_SOURCES)),
    // The record that prompted it (the breached incident, the audit, …).
    F::new("source_ref", S::Text),
    F::new("priority", S::Choice(&super::priority::LEVELS)),
    F::new("owner", S::Text),
    F::new("target", S::LongText),
    F::new("measured_outcome", S::LongText),
    F::new("status", S::Choice(&ENTRY_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
];

static IMPROVEMENT_LIFECYCLE: m::Lifecycle = entry("an improvement");

pub static IMPROVEMENT: m::RecordType = m::RecordType {
    kind: "improvement",
    prefix: "IMP",
    noun: "improvement",
    plural: "Improvements",
    area: m::Area::Registers,
    fields: IMPROVEMENT_FIELDS,
    lifecycle: &IMPROVEMENT_LIFECYCLE,
    // An improvement is closed on evidence: its measured outcome.
    rules: |r, to, _, _| {
        needs(
            r,
            to,
            "measured_outcome",
            "a measured outcome",
            "an improvement",
        )
    },
    title: |r| first_line(r, "opportunity"),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};
