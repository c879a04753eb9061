//! Change (ISO 20000 8.5.1): standard changes from pre-approved templates, normal changes
//! through the CAB, emergency changes with an emergency approver and a retrospective review;
//! the change calendar's collisions.

use super::journal::{JOURNAL, OPTIONAL_REVIEW, record_review};
use super::labels::labelled_enum;
use super::registers::{ACTIVE_STATUSES, active};
use crate::model::{
    self as m, Action, ChangeMeta, Facts, Field as F, FormField, Group, Input, Lookup, Record,
    RecordError, Section, Shape as S, Values, given,
};
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

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
    /// How the implementation went (8.5.1), recorded once the change has been implemented:
    /// what the change report counts as changes by outcome.
    pub enum ImplementationOutcome {
        Successful = ("successful", "Successful"),
        WithIssues = ("with_issues", "Successful with issues"),
        Failed = ("failed", "Failed"),
        BackedOut = ("backed_out", "Backed out"),
    }
}

pub const APPROVAL_ROLES: m::Choices = m::Choices::new(&[
    ("cab", "CAB member"),
    ("emergency", "Emergency approver"),
    // Lets a change planned in a freeze window go ahead (an approve decision).
    ("freeze_override", "Freeze override"),
]);

pub const DECISIONS: m::Choices =
    m::Choices::new(&[("approve", "Approved"), ("reject", "Rejected")]);

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

/// The risk questions of a change, each with the score a "yes" adds.
pub const RISK_QUESTIONS: [(&str, u32); 5] = [
    ("Does it touch a live service in business hours?", 3),
    ("Does it need downtime?", 3),
    ("Is it the first time this change is made?", 2),
    ("Is the backout plan untested?", 2),
    ("Does it affect more than one site?", 1),
];

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("title", S::Text),
    F::new("change_type", S::Choice(&ChangeType::CHOICES)),
    // The template a standard change came from.
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
    F::new("review", OPTIONAL_REVIEW),
    F::new("status", S::Choice(&ChangeStatus::CHOICES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
    // Added after schema 1 without a bump: older documents read it as not recorded.
    F::new(
        "outcome",
        S::Optional(&S::Choice(&ImplementationOutcome::CHOICES)),
    ),
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a change",
    statuses: ChangeStatus::CHOICES.options,
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
/// A change planned into a freeze window needs an approver's freeze override before it is
/// approved or implemented.
fn rules(r: &Record, to: &str, _: &str, facts: &Facts) -> Result<(), WorkflowError> {
    // "before it can be implemented", not "… be implementing".
    let status = match to {
        "implementing" => "implemented".to_string(),
        "review" => "reviewed".to_string(),
        _ => LIFECYCLE.label(to).to_lowercase(),
    };
    if matches!(to, "approved" | "implementing")
        && let Some(freeze) = frozen(r, facts)
    {
        return Err(WorkflowError::InFreeze {
            freeze: freeze.name.clone(),
            status,
        });
    }
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

fn check_authorised(r: &Record, status: String) -> Result<(), WorkflowError> {
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

/// What the CAB has decided so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CabDecision {
    Undecided,
    Approved,
    Rejected { by: String, comment: String },
}

/// The CAB's decision from each member's latest entry (by time, then list order).
pub fn cab_decision(r: &Record) -> CabDecision {
    let mut cab: Vec<&Group> = r
        .groups("approvals")
        .filter(|a| a.str("role") == "cab")
        .collect();
    crate::order::sort_by_key(&mut cab, |a| a.at("at"));
    let mut latest: Vec<&Group> = vec![];
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

/// The freeze window (among `facts`) the change is planned in, unless an approver overrode it.
pub fn frozen<'a>(r: &Record, facts: &'a Facts) -> Option<&'a m::Period> {
    let planned = (r.when("planned_start")?, r.when("planned_end")?);
    let overridden = r
        .groups("approvals")
        .any(|a| a.str("role") == "freeze_override" && a.str("decision") == "approve");
    if overridden {
        return None;
    }
    facts
        .periods()
        .iter()
        .find(|p| overlaps(planned, (p.start, p.end)))
}

/// The active freeze windows on the device, for the rules.
fn facts(_: &Record, lookup: &dyn Lookup) -> Facts {
    freeze_windows(lookup)
        .into_iter()
        .fold(Facts::default(), |facts, f| {
            facts.with_period(m::Period {
                name: f.name,
                start: f.start,
                end: f.end,
            })
        })
}

/// The active freeze windows with a start and an end among the records of `lookup`.
pub fn freeze_windows(lookup: &dyn Lookup) -> Vec<FreezeWindow> {
    lookup
        .all(FREEZE_WINDOW.kind)
        .iter()
        .filter_map(|doc| Record::read(doc, &FREEZE_WINDOW).ok())
        .filter(|r| r.status() == "active")
        .filter_map(|r| {
            Some(FreezeWindow {
                name: format!("{} {}", r.number(), r.str("name")),
                start: r.when("start")?,
                end: r.when("end")?,
            })
        })
        .collect()
}

pub fn has_emergency_approval(r: &Record) -> bool {
    r.groups("approvals")
        .any(|a| a.str("role") == "emergency" && a.str("decision") == "approve")
}

pub fn risk_score(r: &Record) -> u64 {
    r.groups("risk").map(|a| a.uint("score")).sum()
}

/// The risk score in words: low up to 2, medium up to 6, high above.
pub fn risk_level(r: &Record) -> &'static str {
    match risk_score(r) {
        0..=2 => "low risk",
        3..=6 => "medium risk",
        _ => "high risk",
    }
}

/// A normal or emergency change is raised as a draft; a standard change comes from a
/// pre-approved template, whose plans it takes.
fn create(
    r: &mut Record,
    values: &Values,
    lookup: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let change_type = match given(values, "change_type") {
        "" => ChangeType::default(),
        key => ChangeType::parse(key)
            .ok_or_else(|| RecordError::invalid("Type", ChangeType::CHOICES.refusal(key)))?,
    };
    let mut title = given(values, "title").to_string();
    let template = match change_type {
        ChangeType::Standard => {
            let number = given(values, "template");
            if number.is_empty() {
                return Err(WorkflowError::StandardWithoutTemplate.into());
            }
            let template = super::other(lookup, number, &CHANGE_TEMPLATE, "Template")?;
            if !template.bool("approved") || template.status() == "inactive" {
                return Err(WorkflowError::TemplateNotApproved {
                    template: template.str("name").into(),
                }
                .into());
            }
            if title.is_empty() {
                title = template.str("name").into();
            }
            Some(template)
        }
        _ => None,
    };
    if title.is_empty() {
        return Err(WorkflowError::Empty("the change title").into());
    }
    r.set("title", title);
    r.set("change_type", change_type.as_str());
    r.start(meta, &format!("{} change raised", change_type.label()));
    if let Some(t) = template {
        r.set("template", t.number());
        r.set("implementation_plan", t.str("implementation_plan"));
        r.set("backout_plan", t.str("backout_plan"));
        r.log(
            meta,
            format!("From template {} ({})", t.str("name"), t.number()),
        );
    }
    Ok(())
}

fn assess_risk(
    r: &mut Record,
    values: &Values,
    _: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let answers: Vec<m::Value> = RISK_QUESTIONS
        .iter()
        .zip(RISK_KEYS)
        .map(|((question, score), key)| {
            let yes = given(values, key) == "true";
            Group::defaults(RISK_ANSWER)
                .with("question", *question)
                .with("answer", if yes { "yes" } else { "no" })
                .with("score", if yes { u64::from(*score) } else { 0 })
                .into()
        })
        .collect();
    r.set("risk", answers);
    let line = format!("Risk assessed: score {} ({})", risk_score(r), risk_level(r));
    r.log(meta, line);
    Ok(())
}

fn decide(
    r: &mut Record,
    values: &Values,
    _: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let role = super::chosen(values, "role", "As", &APPROVAL_ROLES)?;
    let decision = super::chosen(values, "decision", "Decision", &DECISIONS)?;
    let comment = given(values, "comment");
    r.push(
        "approvals",
        Group::defaults(APPROVAL)
            .with("approver", meta.author.as_str())
            .with("role", role)
            .with("decision", decision)
            .with("comment", comment)
            .with("at", meta.at)
            .with("device", meta.device.as_str()),
    );
    let line = format!(
        "{} by {} ({}): {comment}",
        DECISIONS.label(decision).unwrap_or(decision),
        meta.author,
        APPROVAL_ROLES.label(role).unwrap_or(role),
    );
    r.log(meta, line);
    Ok(())
}

/// How the implementation went; the latest record counts. Only once the change has been
/// implemented (it is implementing, in review or closed).
fn record_outcome(
    r: &mut Record,
    values: &Values,
    _: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let outcome = super::chosen(
        values,
        "outcome",
        "Outcome",
        &ImplementationOutcome::CHOICES,
    )?;
    if !matches!(r.status(), "implementing" | "review" | "closed") {
        return Err(WorkflowError::NotImplementedYet {
            status: LIFECYCLE.label(r.status()).to_lowercase(),
        }
        .into());
    }
    r.set("outcome", outcome);
    let label = ImplementationOutcome::CHOICES
        .label(outcome)
        .unwrap_or_default();
    r.log(meta, format!("Outcome: {label}"));
    Ok(())
}

/// The answer keys of the risk questions: `risk_0`, `risk_1`, …
const RISK_KEYS: [&str; RISK_QUESTIONS.len()] = ["risk_0", "risk_1", "risk_2", "risk_3", "risk_4"];

const ACTIONS: &[Action] = &[
    Action {
        key: "risk",
        label: "Assess the risk",
        inputs: &[
            Input::new(RISK_KEYS[0], RISK_QUESTIONS[0].0, S::Bool),
            Input::new(RISK_KEYS[1], RISK_QUESTIONS[1].0, S::Bool),
            Input::new(RISK_KEYS[2], RISK_QUESTIONS[2].0, S::Bool),
            Input::new(RISK_KEYS[3], RISK_QUESTIONS[3].0, S::Bool),
            Input::new(RISK_KEYS[4], RISK_QUESTIONS[4].0, S::Bool),
        ],
        apply: assess_risk,
    },
    Action {
        key: "decide",
        label: "Record an approval decision",
        inputs: &[
            Input::new("role", "As", S::Choice(&APPROVAL_ROLES)),
            Input::new("decision", "Decision", S::Choice(&DECISIONS)),
            Input::new("comment", "Comment", S::LongText),
        ],
        apply: decide,
    },
    Action {
        key: "test_evidence",
        label: "Add test evidence",
        inputs: &[Input::new("note", "What was tested, and the result", S::LongText).required()],
        apply: |r, values, _, meta| {
            let note = given(values, "note");
            r.push("test_evidence", m::WorkLogEntry::new(meta, note).group());
            r.log(meta, format!("Test evidence: {note}"));
            Ok(())
        },
    },
    Action {
        key: "outcome",
        label: "Record the outcome",
        inputs: &[Input::new(
            "outcome",
            "Outcome",
            S::Choice(&ImplementationOutcome::CHOICES),
        )
        .required()],
        apply: record_outcome,
    },
    Action {
        key: "review",
        label: "Record the review",
        inputs: &[Input::new("summary", "Review", S::LongText).required()],
        apply: |r, values, _, meta| record_review(r, "review", values, meta, "Review"),
    },
    super::journal::LOG_WORK,
];

fn sections(r: &Record) -> Vec<Section> {
    let risk = if r.list("risk").is_empty() {
        vec!["Not assessed yet.".to_string()]
    } else {
        std::iter::once(format!("Score {} — {}", risk_score(r), risk_level(r)))
            .chain(
                r.groups("risk")
                    .map(|a| format!("{} {}", a.str("question"), a.str("answer"))),
            )
            .collect()
    };
    let approvals = r.groups("approvals").map(|a| {
        let comment = a.str("comment");
        format!(
            "{} by {} ({}){}",
            DECISIONS.label(a.str("decision")).unwrap_or_default(),
            a.str("approver"),
            APPROVAL_ROLES.label(a.str("role")).unwrap_or_default(),
            if comment.is_empty() {
                String::new()
            } else {
                format!(": {comment}")
            }
        )
    });
    let outcome = ImplementationOutcome::parse(r.str("outcome"))
        .map(|o| o.label().to_string())
        .into_iter()
        .chain(
            r.group("review")
                .map(|v| format!("Review by {}: {}", v.str("by"), v.str("summary"))),
        );
    vec![
        Section::text("Risk", risk),
        Section::text("Approvals", approvals),
        Section::text(
            "Test evidence",
            r.groups("test_evidence")
                .map(|e| format!("{}: {}", e.str("author"), e.str("note"))),
        ),
        Section::text("Outcome and review", outcome),
    ]
}

pub static CHANGE: m::RecordType = m::RecordType {
    kind: "change",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "CHG",
    noun: "change",
    plural: "Changes",
    area: m::Area::Change,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    create,
    form: &[
        FormField::new("title", "Title"),
        FormField::new("change_type", "Type"),
        FormField::new("template", "Template (number, standard changes)"),
        FormField::new("reason", "Reason"),
        FormField::new("affected_cis", "Affected CIs (one per line)"),
        FormField::new("services", "Affected services (one per line)"),
        FormField::new("impact", "Impact"),
        FormField::new("implementation_plan", "Implementation plan"),
        FormField::new("backout_plan", "Backout plan"),
        FormField::new("planned_start", "Planned start"),
        FormField::new("planned_end", "Planned end"),
    ],
    actions: ACTIONS,
    sections,
    title: |r| r.str("title").to_string(),
    facts,
    duties: |r, action, actor| match action {
        "decide" => crate::duties::may_decide(r, actor),
        _ => Ok(()),
    },
    duties_kept: Some(crate::duties::admit),
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
    F::new("status", S::Choice(&ACTIVE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static TEMPLATE_LIFECYCLE: m::Lifecycle = active("a change template");

/// A pre-approved recipe for standard changes, withdrawn by making it inactive.
pub static CHANGE_TEMPLATE: m::RecordType = m::RecordType {
    kind: "change_template",
    prefix: "TPL",
    noun: "change template",
    plural: "Change templates",
    area: m::Area::Change,
    fields: TEMPLATE_FIELDS,
    lifecycle: &TEMPLATE_LIFECYCLE,
    form: &[
        FormField::new("name", "Name").required(),
        FormField::new("implementation_plan", "Implementation plan"),
        FormField::new("backout_plan", "Backout plan"),
    ],
    actions: &[Action {
        key: "approve",
        label: "Approve for standard changes",
        inputs: &[],
        // The CAB approves the recipe for standard changes, which then need no approval each.
        apply: |r, _, _, meta| {
            r.set("approved", true);
            r.set("approved_by", meta.author.as_str());
            r.log(
                meta,
                format!("Approved for standard changes by {}", meta.author),
            );
            Ok(())
        },
    }],
    sections: |r| {
        vec![Section::text(
            "Approval",
            [if r.bool("approved") {
                format!("Approved for standard changes by {}", r.str("approved_by"))
            } else {
                "Not approved yet: standard changes cannot use it.".to_string()
            }],
        )]
    },
    title: |r| r.str("name").to_string(),
    ..m::RecordType::BASE
};

pub const FREEZE_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    F::new("start", S::Optional(&S::When)),
    F::new("end", S::Optional(&S::When)),
    F::new("reason", S::LongText),
    F::new("status", S::Choice(&ACTIVE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static FREEZE_LIFECYCLE: m::Lifecycle = active("a freeze window");

/// A period in which changes wait (year-end closing, a peak season): administrators and change
/// managers define it, the change calendar shows it, and a change planned into it needs a
/// freeze override decision before it is approved or implemented. Withdrawn by making it
/// inactive.
pub static FREEZE_WINDOW: m::RecordType = m::RecordType {
    kind: "freeze_window",
    prefix: "FRZ",
    noun: "freeze window",
    plural: "Freeze windows",
    area: m::Area::Change,
    fields: FREEZE_FIELDS,
    lifecycle: &FREEZE_LIFECYCLE,
    form: &[
        FormField::new("name", "Name").required(),
        FormField::new("start", "Starts"),
        FormField::new("end", "Ends"),
        FormField::new("reason", "Reason"),
    ],
    validate: |r| match (r.when("start"), r.when("end")) {
        (Some(start), Some(end)) if end <= start => Err(RecordError::invalid(
            "Ends",
            "a freeze window ends after it starts",
        )),
        _ => Ok(()),
    },
    title: |r| r.str("name").to_string(),
    managed: true,
    ..m::RecordType::BASE
};

/// A change as the reports and the change calendar read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Change {
    pub number: String,
    pub title: String,
    pub change_type: ChangeType,
    pub status: ChangeStatus,
    pub affected_cis: Vec<String>,
    pub services: Vec<String>,
    pub planned_start: Option<Timestamp>,
    pub planned_end: Option<Timestamp>,
    pub outcome: Option<ImplementationOutcome>,
    pub status_history: Vec<m::StatusChange>,
}

impl Change {
    pub fn of(r: &Record) -> Self {
        Change {
            number: r.number().into(),
            title: r.str("title").into(),
            change_type: ChangeType::parse(r.str("change_type")).unwrap_or_default(),
            status: ChangeStatus::parse(r.status()).unwrap_or_default(),
            affected_cis: r.strs("affected_cis").map(String::from).collect(),
            services: r.strs("services").map(String::from).collect(),
            planned_start: r.when("planned_start"),
            planned_end: r.when("planned_end"),
            outcome: ImplementationOutcome::parse(r.str("outcome")),
            status_history: r.status_history(),
        }
    }

    fn window(&self) -> Option<(Timestamp, Timestamp)> {
        Some((self.planned_start?, self.planned_end?))
    }
}

/// A period in which no change may be implemented.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
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
        .filter(|c| !LIFECYCLE.is_finished(c.status.as_str()) && c.status != ChangeStatus::Rejected)
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

#[cfg(test)]
mod freeze_tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::forms::Form;
    use crate::model::Nothing;

    fn meta(author: &str, at: i64) -> ChangeMeta {
        ChangeMeta {
            author: author.into(),
            device: format!("device-{author}"),
            at: Timestamp(at),
        }
    }

    fn values(pairs: &[(&str, &str)]) -> Values {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn freeze(number: &str, start: i64, end: i64, status: &str) -> (String, automerge::Automerge) {
        let mut r = Form(&FREEZE_WINDOW)
            .new_record(
                &values(&[
                    ("name", "Year end"),
                    ("start", &start.to_string()),
                    ("end", &end.to_string()),
                ]),
                &Nothing,
                &meta("root", 1),
            )
            .unwrap();
        r.set("number", number);
        r.set("status", status);
        (number.to_string(), r.document(&meta("root", 1)).unwrap())
    }

    /// A normal change the CAB approved, awaiting approval, planned from `start` to `end`.
    fn change(start: i64, end: i64) -> Record {
        let mut r = Form(&CHANGE)
            .new_record(
                &values(&[
                    ("title", "Swap the core switch"),
                    ("planned_start", &start.to_string()),
                    ("planned_end", &end.to_string()),
                ]),
                &Nothing,
                &meta("ana", 1),
            )
            .unwrap();
        let cab = values(&[("role", "cab"), ("decision", "approve")]);
        r.act("decide", &cab, &Nothing, &meta("carl", 2)).unwrap();
        r.set("status", "submitted");
        r
    }

    #[test]
    fn a_change_planned_in_a_freeze_window_needs_an_override_to_go_ahead() {
        let device: BTreeMap<String, automerge::Automerge> = [
            freeze("FRZ-1", 1_000, 2_000, "active"),
            freeze("FRZ-2", 5_000, 6_000, "inactive"),
        ]
        .into_iter()
        .collect();
        let windows = freeze_windows(&device);
        assert_eq!(windows.len(), 1, "the inactive one is withdrawn");
        assert_eq!(windows[0].name, "FRZ-1 Year end");

        let mut frozen_change = change(1_500, 2_500);
        let facts = (CHANGE.facts)(&frozen_change, &device);
        let why = frozen_change
            .clone()
            .move_to("approved", "", &facts, &meta("carl", 3))
            .unwrap_err()
            .to_string();
        assert!(why.contains("freeze window FRZ-1 Year end"), "{why}");
        assert!(why.contains("freeze override"), "{why}");
        // Outside the window, or in a withdrawn one, nothing stops it.
        let clear = change(2_000, 3_000);
        assert!(
            clear
                .clone()
                .move_to(
                    "approved",
                    "",
                    &(CHANGE.facts)(&clear, &device),
                    &meta("carl", 3)
                )
                .is_ok()
        );
        let withdrawn = change(5_500, 5_600);
        assert!(
            withdrawn
                .clone()
                .move_to(
                    "approved",
                    "",
                    &(CHANGE.facts)(&withdrawn, &device),
                    &meta("carl", 3)
                )
                .is_ok()
        );
        // An approver's override lets it through, and says so in its history.
        let over = values(&[
            ("role", "freeze_override"),
            ("decision", "approve"),
            ("comment", "Vendor deadline"),
        ]);
        frozen_change
            .act("decide", &over, &Nothing, &meta("carl", 4))
            .unwrap();
        frozen_change
            .move_to("approved", "", &facts, &meta("carl", 5))
            .unwrap();
        assert!(frozen_change.work_log().iter().any(|e| e.note
            == "Approved by carl (Freeze override): Vendor deadline"
            && e.device == "device-carl"));
    }

    #[test]
    fn a_freeze_window_ends_after_it_starts() {
        let refused = Form(&FREEZE_WINDOW)
            .new_record(
                &values(&[("name", "Backwards"), ("start", "2000"), ("end", "1000")]),
                &Nothing,
                &meta("root", 1),
            )
            .unwrap_err();
        assert!(
            refused.to_string().contains("ends after it starts"),
            "{refused}"
        );
    }
}
