//! Problem and known error (ISO 20000 8.6.3).

use super::journal::{JOURNAL, OPTIONAL_REVIEW};
use crate::model::Pick;
use crate::model::{
    self as m, Action, Facts, Field as F, FormField, Input, Record, Section, Shape as S, given,
};
use crate::workflow::WorkflowError;

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
    // Incident record numbers. Grows only.
    F::new("linked_incidents", S::List(&S::Reference("incident"))),
    F::new("root_cause", S::LongText),
    F::new("workaround", S::LongText),
    // A documented known error, searchable from any incident.
    F::new("known_error", S::Bool),
    // Accepted as a known error: it will not be fixed, the workaround stands.
    F::new("accepted_known_error", S::Bool),
    // The change that fixes it.
    F::new("fix_change", S::Reference("change")),
    F::new("effectiveness_review", OPTIONAL_REVIEW),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a problem",
    statuses: PROBLEM_STATUSES.options,
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
fn rules(r: &Record, to: &str, _: &str, facts: &Facts) -> Result<(), WorkflowError> {
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

/// Closing reads the fix change's status from its own document.
fn facts(r: &Record, lookup: &dyn m::Lookup) -> Facts {
    let fix = r.str("fix_change");
    let change = lookup
        .record(fix)
        .and_then(|doc| Record::read(&doc, &super::change::CHANGE).ok());
    match change {
        Some(change) => Facts::default().with(fix, change.status()),
        None => Facts::default(),
    }
}

const ACTIONS: &[Action] = &[
    Action {
        key: "link_incident",
        label: "Link an incident",
        inputs: &[Input::new("incident", "Incident", S::Reference("incident")).required()],
        apply: |r, values, _, meta| {
            let incident = given(values, "incident");
            if !r
                .strs("linked_incidents")
                .any(|i| i.eq_ignore_ascii_case(incident))
            {
                r.push("linked_incidents", incident);
                r.log(meta, format!("Linked incident {incident}"));
            }
            Ok(())
        },
    },
    Action {
        key: "known_error",
        label: "Document as a known error",
        inputs: &[Input::new("workaround", "Workaround", S::LongText).required()],
        // A workaround is what makes a known error useful.
        apply: |r, values, _, meta| {
            let workaround = given(values, "workaround");
            r.set("known_error", true);
            r.set("workaround", workaround);
            r.log(meta, format!("Known error, workaround: {workaround}"));
            Ok(())
        },
    },
    Action {
        key: "accept",
        label: "Accept as a known error (no fix)",
        inputs: &[Input::new("reason", "Why it will not be fixed", S::LongText).required()],
        // Accepted as a known error that will not be fixed, it may close.
        apply: |r, values, _, meta| {
            if !r.bool("known_error") {
                return Err(WorkflowError::Missing {
                    what: "a documented workaround",
                    noun: "a problem",
                    status: "accepted as a known error".into(),
                }
                .into());
            }
            r.set("accepted_known_error", true);
            r.log(
                meta,
                format!("Accepted as a known error: {}", given(values, "reason")),
            );
            Ok(())
        },
    },
    super::journal::LOG_WORK,
];

fn sections(r: &Record) -> Vec<Section> {
    let mut known = vec![];
    if r.bool("known_error") {
        known.push(format!("Known error. Workaround: {}", r.str("workaround")));
    }
    if r.bool("accepted_known_error") {
        known.push("Accepted as a known error: it will not be fixed.".into());
    }
    vec![
        Section::text(
            "Linked incidents",
            r.strs("linked_incidents").map(String::from),
        ),
        Section::text("Known error", known),
    ]
}

pub static PROBLEM: m::RecordType = m::RecordType {
    kind: "problem",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "PRB",
    noun: "problem",
    plural: "Problems",
    area: m::Area::ServiceDesk,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    facts,
    logged: "Problem raised",
    form: &[
        FormField::new("title", "Title").required(),
        FormField::new("description", "Description"),
        FormField::new("owner", "Owner").pick(Pick::Person),
        FormField::new("root_cause", "Root cause"),
        FormField::new("fix_change", "Fix change (number)"),
    ],
    actions: ACTIONS,
    sections,
    title: |r| r.str("title").to_string(),
    place: m::Place::assignee("owner"),
    ..m::RecordType::BASE
};

/// A problem as the reports and the known-error search read it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Problem {
    pub number: String,
    pub title: String,
    pub description: String,
    pub status: String,
    pub linked_incidents: Vec<String>,
    pub root_cause: String,
    pub workaround: String,
    pub known_error: bool,
    pub accepted_known_error: bool,
    pub fix_change: String,
    pub status_history: Vec<m::StatusChange>,
}

impl Problem {
    pub fn of(r: &Record) -> Self {
        Problem {
            number: r.number().into(),
            title: r.str("title").into(),
            description: r.str("description").into(),
            status: r.status().into(),
            linked_incidents: r.strs("linked_incidents").map(String::from).collect(),
            root_cause: r.str("root_cause").into(),
            workaround: r.str("workaround").into(),
            known_error: r.bool("known_error"),
            accepted_known_error: r.bool("accepted_known_error"),
            fix_change: r.str("fix_change").into(),
            status_history: r.status_history(),
        }
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
