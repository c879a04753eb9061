//! The management-system registers (ISO 20000 clauses 6, 7, 9, 10): risk, competence,
//! internal audit, management review, nonconformity and improvement. Most share the plain
//! open → in progress → closed lifecycle; each adds only the rule that makes it auditable.

use super::journal::{JOURNAL, OPTIONAL_REVIEW, first_line, record_review};
use crate::model::Pick;
use crate::model::{
    self as m, Action, ChangeMeta, Facts, Field as F, FormField, Group, Input, Lookup, Record,
    RecordError, Row, RowButton, Section, Shape as S, Values, given,
};
use crate::priority::LEVELS;
use crate::time::Timestamp;
use crate::workflow::{Lifecycle, WorkflowError};

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
pub(crate) const fn entry(noun: &'static str) -> Lifecycle {
    Lifecycle {
        noun,
        statuses: ENTRY_STATUSES.options,
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
pub(crate) const fn active(noun: &'static str) -> Lifecycle {
    Lifecycle {
        noun,
        statuses: ACTIVE_STATUSES.options,
        moves: &[("active", &["inactive"]), ("inactive", &["active"])],
        finished: &[],
        reasons: &[],
    }
}

/// Refuses closing while `text` (what closing needs) is empty.
fn needs_before_close(
    to: &str,
    text: &str,
    what: &'static str,
    noun: &'static str,
) -> Result<(), WorkflowError> {
    if to == "closed" && text.trim().is_empty() {
        return Err(WorkflowError::Missing {
            what,
            noun,
            status: "closed".into(),
        });
    }
    Ok(())
}

/// A date as people read it in a list: `2026-11-24`.
fn day(t: Timestamp) -> String {
    t.to_datetime().format("%Y-%m-%d").to_string()
}

// ---------------------------------------------------------------- Risk (6.1)

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
    crate::attachments::FIELD,
];

static RISK_LIFECYCLE: Lifecycle = entry("a risk");

/// Likelihood × impact, 1 to 25.
pub fn score(risk: &Record) -> u64 {
    risk.uint("likelihood") * risk.uint("impact")
}

pub fn review_due(risk: &Record, now: Timestamp) -> bool {
    risk.status() != "closed" && risk.when("review_date").is_some_and(|d| d <= now)
}

pub static RISK: m::RecordType = m::RecordType {
    kind: "risk",
    prefix: "RSK",
    noun: "risk",
    plural: "Risks",
    area: m::Area::Registers,
    fields: RISK_FIELDS,
    lifecycle: &RISK_LIFECYCLE,
    rules: |r, to, _, _| needs_before_close(to, r.str("treatment"), "a treatment", "a risk"),
    logged: "Risk identified",
    // Likelihood and impact are each from 1 (lowest) to 5 (highest).
    validate: |r| {
        for (key, label) in [("likelihood", "Likelihood"), ("impact", "Impact")] {
            if !(1..=5).contains(&r.uint(key)) {
                return Err(RecordError::invalid(
                    label,
                    "enter 1 (lowest) to 5 (highest)",
                ));
            }
        }
        Ok(())
    },
    form: &[
        FormField::new("description", "Risk").required(),
        FormField::new("source", "Source"),
        FormField::new("likelihood", "Likelihood (1 to 5)"),
        FormField::new("impact", "Impact (1 to 5)"),
        FormField::new("treatment", "Treatment"),
        FormField::new("owner", "Owner").pick(Pick::Person),
        FormField::new("review_date", "Review by"),
    ],
    sections: |r| {
        vec![Section::text(
            "Score",
            [format!("{} (likelihood × impact)", score(r))],
        )]
    },
    title: |r| first_line(r, "description"),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};

// ---------------------------------------------------------------- Competence (7.2)

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
    crate::attachments::FIELD,
];

static COMPETENCE_LIFECYCLE: Lifecycle = active("a competence record");

/// Skills the role requires that the person does not hold.
pub fn gaps(competence: &Record) -> Vec<&str> {
    competence
        .strs("skills_required")
        .filter(|s| !competence.strs("skills_held").any(|h| h == *s))
        .collect()
}

/// Certificates expired at `now`.
pub fn expired(competence: &Record, now: Timestamp) -> Vec<&Group> {
    competence
        .groups("certificates")
        .filter(|c| c.when("expires").is_some_and(|e| e < now))
        .collect()
}

/// An optional instant from an action's input.
fn when(values: &Values, key: &str, label: &str) -> Result<Option<Timestamp>, RecordError> {
    match given(values, key) {
        "" => Ok(None),
        text => text
            .parse()
            .map(|ms| Some(Timestamp(ms)))
            .map_err(|_| RecordError::invalid(label, "enter a date and time")),
    }
}

pub static COMPETENCE: m::RecordType = m::RecordType {
    kind: "competence",
    prefix: "CMT",
    noun: "competence record",
    plural: "Competences",
    area: m::Area::Registers,
    fields: COMPETENCE_FIELDS,
    lifecycle: &COMPETENCE_LIFECYCLE,
    logged: "Competence record opened",
    form: &[
        FormField::new("person", "Person").required(),
        FormField::new("role", "Role").required(),
        FormField::new("skills_required", "Skills the role needs (one per line)"),
        FormField::new("skills_held", "Skills held (one per line)"),
        FormField::new("evidence", "Evidence"),
    ],
    actions: &[Action {
        key: "certificate",
        label: "Add a certificate",
        inputs: &[
            Input::new("name", "Certificate", S::Text).required(),
            Input::new("expires", "Expires", S::Optional(&S::When)),
            Input::new("evidence", "Evidence", S::Text),
        ],
        apply: |r, values, _, meta| {
            let name = given(values, "name");
            let certificate = Group::defaults(CERTIFICATE)
                .with("name", name)
                .with("expires", when(values, "expires", "Expires")?)
                .with("evidence", given(values, "evidence"));
            r.log(meta, format!("Certificate added: {name}"));
            r.push("certificates", certificate);
            Ok(())
        },
    }],
    sections: |r| {
        vec![
            Section::text("Skill gaps", gaps(r).into_iter().map(String::from)),
            Section::text(
                "Certificates",
                r.groups("certificates").map(|c| {
                    let expires = c
                        .when("expires")
                        .map(|t| format!(", expires {}", day(t)))
                        .unwrap_or_default();
                    format!("{}{expires}", c.str("name"))
                }),
            ),
        ]
    },
    title: |r| format!("{} — {}", r.str("person"), r.str("role")),
    place: m::Place::assignee("person"),
    ..m::RecordType::BASE
};

// ---------------------------------------------------------------- Internal audit (9.2)

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
    crate::attachments::FIELD,
];

static AUDIT_LIFECYCLE: Lifecycle = Lifecycle {
    noun: "an internal audit",
    statuses: AUDIT_STATUSES.options,
    moves: &[
        ("planned", &["in_progress"]),
        ("in_progress", &["reported"]),
        ("reported", &["in_progress", "closed"]),
    ],
    finished: &["closed"],
    reasons: &[],
};

/// Every nonconformity found must be raised as a nonconformity record before closing.
fn audit_rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
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

/// Records a finding of `kind` (a key of [`FINDING_KINDS`]).
pub fn add_finding(audit: &mut Record, kind: &str, text: &str, meta: &ChangeMeta) {
    audit.push(
        "findings",
        Group::defaults(FINDING)
            .with("at", meta.at)
            .with("by", meta.author.as_str())
            .with("kind", kind)
            .with("text", text.trim()),
    );
    let label = FINDING_KINDS.label(kind).unwrap_or(kind);
    audit.log(meta, format!("{label}: {}", text.trim()));
}

pub static INTERNAL_AUDIT: m::RecordType = m::RecordType {
    kind: "internal_audit",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "AUD",
    noun: "internal audit",
    plural: "Internal audits",
    area: m::Area::Registers,
    fields: AUDIT_FIELDS,
    lifecycle: &AUDIT_LIFECYCLE,
    rules: audit_rules,
    logged: "Audit planned",
    form: &[
        FormField::new("programme", "Programme").required(),
        FormField::new("scope", "Scope").required(),
        FormField::new("criteria", "Criteria"),
        FormField::new("planned_at", "Planned for"),
    ],
    actions: &[Action {
        key: "finding",
        label: "Record a finding",
        inputs: &[
            Input::new("kind", "Kind", S::Choice(&FINDING_KINDS)),
            Input::new("text", "Finding", S::LongText).required(),
        ],
        apply: |r, values, _, meta| {
            let kind = super::chosen(values, "kind", "Kind", &FINDING_KINDS)?;
            add_finding(r, kind, given(values, "text"), meta);
            Ok(())
        },
    }],
    sections: |r| {
        vec![Section::text(
            "Findings",
            r.groups("findings").map(|f| {
                let kind = FINDING_KINDS.label(f.str("kind")).unwrap_or_default();
                format!("{kind} ({}): {}", f.str("by"), f.str("text"))
            }),
        )]
    },
    title: |r| format!("{} — {}", r.str("programme"), first_line(r, "scope")),
    ..m::RecordType::BASE
};

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
    crate::attachments::FIELD,
];

static REVIEW_LIFECYCLE: Lifecycle = Lifecycle {
    noun: "a management review",
    statuses: REVIEW_STATUSES.options,
    moves: &[("planned", &["held"]), ("held", &["closed"])],
    finished: &["closed"],
    reasons: &[],
};

/// Required inputs a management review has not covered yet.
pub fn missing_inputs(review: &Record) -> Vec<&'static str> {
    REVIEW_INPUTS
        .into_iter()
        .filter(|i| !review.strs("inputs_covered").any(|c| c == *i))
        .collect()
}

fn review_rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
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

fn mark_action_done(
    r: &mut Record,
    values: &Values,
    _: &dyn Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let n: usize = given(values, "action").parse().unwrap_or(0);
    let action = n
        .checked_sub(1)
        .and_then(|i| r.list_mut("actions").get_mut(i))
        .and_then(|a| match a {
            m::Value::Group(g) => Some(g),
            _ => None,
        })
        .ok_or_else(|| RecordError::invalid("Action number", format!("there is no action {n}")))?;
    if !action.bool("done") {
        action.set("done", true);
        let line = format!("Action {n} done: {}", action.str("text"));
        r.log(meta, line);
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
    form: &[
        FormField::new("held_at", "Held on"),
        FormField::new("attendees", "Attendees (one per line)"),
        FormField::new("inputs_covered", "Inputs covered (one per line)"),
        FormField::new("decisions", "Decisions (one per line)"),
    ],
    actions: &[
        Action {
            key: "action",
            label: "Add an action",
            inputs: &[
                Input::new("text", "Action", S::LongText).required(),
                Input::new("owner", "Owner", S::Text).pick(Pick::Person),
                Input::new("due", "Due", S::Optional(&S::When)),
            ],
            apply: |r, values, _, meta| {
                let text = given(values, "text");
                let action = Group::defaults(ACTION)
                    .with("text", text)
                    .with("owner", given(values, "owner"))
                    .with("due", when(values, "due", "Due")?);
                r.log(meta, format!("Action: {text}"));
                r.push("actions", action);
                Ok(())
            },
        },
        Action {
            key: "action_done",
            label: "Mark an action done",
            inputs: &[Input::new("action", "Action number", S::COUNT).required()],
            apply: mark_action_done,
        },
    ],
    sections: |r| {
        vec![
            Section::text(
                "Inputs not covered yet (9.3)",
                missing_inputs(r).into_iter().map(String::from),
            ),
            Section {
                title: "Actions",
                rows: r
                    .groups("actions")
                    .enumerate()
                    .map(|(i, a)| {
                        let done = a.bool("done");
                        Row {
                            text: format!(
                                "{}. {}{} ({})",
                                i + 1,
                                if done { "✓ " } else { "" },
                                a.str("text"),
                                a.str("owner")
                            ),
                            button: (!done).then(|| RowButton {
                                label: "Done",
                                action: "action_done",
                                values: Values::from([("action".to_string(), (i + 1).to_string())]),
                            }),
                            drawing: None,
                        }
                    })
                    .collect(),
            },
        ]
    },
    title: |r| match r.when("held_at") {
        Some(at) => format!("Management review {}", day(at)),
        None => "Management review (date to be set)".into(),
    },
    ..m::RecordType::BASE
};

// ---------------------------------------------------------------- Nonconformity (10.1)

pub const NONCONFORMITY_FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("finding", S::LongText),
    // Where it was found: an audit, complaint or review record number.
    F::new("source", S::Text),
    F::new("correction", S::LongText),
    F::new("root_cause", S::LongText),
    F::new("corrective_action", S::LongText),
    F::new("effectiveness_check", OPTIONAL_REVIEW),
    F::new("status", S::Choice(&ENTRY_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static NONCONFORMITY_LIFECYCLE: Lifecycle = entry("a nonconformity");

/// Closing needs the corrective action and proof that it worked.
fn nonconformity_rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
    let noun = "a nonconformity";
    needs_before_close(to, r.str("corrective_action"), "a corrective action", noun)?;
    let check = r
        .group("effectiveness_check")
        .map_or("", |c| c.str("summary"));
    needs_before_close(to, check, "an effectiveness check", noun)
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
    form: &[
        FormField::new("finding", "Finding").required(),
        FormField::new("source", "Source (audit, complaint or review number)"),
        FormField::new("correction", "Correction"),
        FormField::new("root_cause", "Root cause"),
        FormField::new("corrective_action", "Corrective action"),
    ],
    actions: &[Action {
        key: "effectiveness",
        label: "Record the effectiveness check",
        inputs: &[Input::new(
            "summary",
            "Was the corrective action effective?",
            S::LongText,
        )
        .required()],
        apply: |r, values, _, meta| {
            record_review(
                r,
                "effectiveness_check",
                values,
                meta,
                "Effectiveness check",
            )
        },
    }],
    sections: |r| {
        vec![Section::text(
            "Effectiveness check",
            r.group("effectiveness_check")
                .map(|c| format!("{}: {}", c.str("by"), c.str("summary"))),
        )]
    },
    title: |r| first_line(r, "finding"),
    ..m::RecordType::BASE
};

// ---------------------------------------------------------------- Improvement (10.2)

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
    F::new("priority", S::Choice(&LEVELS)),
    F::new("owner", S::Text),
    F::new("target", S::LongText),
    F::new("measured_outcome", S::LongText),
    F::new("status", S::Choice(&ENTRY_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static IMPROVEMENT_LIFECYCLE: Lifecycle = entry("an improvement");

/// Its work log opens with where the idea came from.
pub fn open_improvement(r: &mut Record, source: &str, meta: &ChangeMeta) {
    r.set("source", source);
    let label = IMPROVEMENT_SOURCES.label(source).unwrap_or(source);
    r.start(meta, &format!("Improvement opened ({label})"));
}

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
        needs_before_close(
            to,
            r.str("measured_outcome"),
            "a measured outcome",
            "an improvement",
        )
    },
    create: |r, values, _, meta| {
        let source = match given(values, "source") {
            "" => IMPROVEMENT_SOURCES.default,
            _ => super::chosen(values, "source", "Source", &IMPROVEMENT_SOURCES)?,
        };
        open_improvement(r, source, meta);
        Ok(())
    },
    form: &[
        FormField::new("opportunity", "Opportunity").required(),
        FormField::new("source", "Source"),
        FormField::new("source_ref", "Source record (number)"),
        FormField::new("priority", "Priority"),
        FormField::new("owner", "Owner").pick(Pick::Person),
        FormField::new("target", "Target"),
        FormField::new("measured_outcome", "Measured outcome"),
    ],
    title: |r| first_line(r, "opportunity"),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};

/// The improvement action a breach produces (ISO 20000 10.2): created once per breached
/// target, by whoever's device first sees the breach.
pub fn breach_improvement(
    number: String,
    record: &str,
    target: &str,
    state: &crate::sla::Measure,
    meta: &ChangeMeta,
) -> Option<Record> {
    if !state.breached() {
        return None;
    }
    let opportunity = format!(
        "{record} breached its {target} target ({} % of {} min used): find out why and prevent a repeat",
        state.percent(),
        state.target_ms / 60_000
    );
    let mut improvement = Record::new(&IMPROVEMENT);
    improvement.set("number", number);
    improvement.set("opportunity", opportunity);
    improvement.set("source_ref", record);
    open_improvement(&mut improvement, "breach", meta);
    Some(improvement)
}
