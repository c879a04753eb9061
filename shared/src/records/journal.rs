//! What several record types share: the work log and status history (kept by the engine, see
//! `crate::model`), reviews that close a loop, and contact people.

pub use crate::model::{StatusChange, WorkLogEntry, in_time_order};

use crate::model::{
    self as m, ChangeMeta, Field as F, Group, Input, Record, RecordError, Shape as S, Values, given,
};
use crate::time::Timestamp;

/// A review that closes a loop: post-incident review, post-implementation or retrospective
/// review of a change, effectiveness check of a fix or a corrective action.
pub const REVIEW: &[F] = &[
    F::new("at", S::When),
    F::new("by", S::Text),
    F::new("summary", S::LongText),
];

/// An optional review.
pub const OPTIONAL_REVIEW: S = S::Optional(&S::Group(REVIEW));

/// A review as code reads it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Review {
    pub at: Timestamp,
    pub by: String,
    pub summary: String,
}

impl Review {
    pub fn of(g: &Group) -> Self {
        Review {
            at: g.at("at"),
            by: g.str("by").into(),
            summary: g.str("summary").into(),
        }
    }
}

/// Sets `key` to the review the person making the change summarised in the `summary` input,
/// and logs it as "`what`: summary" (the apply step of an action recording a review).
pub fn record_review(
    r: &mut Record,
    key: &str,
    values: &Values,
    meta: &ChangeMeta,
    what: &str,
) -> Result<(), RecordError> {
    let summary = given(values, "summary");
    let review = Group::defaults(REVIEW)
        .with("at", meta.at)
        .with("by", meta.author.as_str())
        .with("summary", summary.trim());
    r.set(key, review);
    r.log(meta, format!("{what}: {summary}"));
    Ok(())
}

/// A test or exercise and how it went (continuity plan tests, release acceptance).
pub const TEST: &[F] = &[
    F::new("at", S::When),
    F::new("by", S::Text),
    F::new("passed", S::Bool),
    F::new("notes", S::LongText),
];

/// What an action recording a test asks.
pub const TEST_INPUTS: &[Input] = &[
    Input::new("passed", "Passed", S::Bool).required(),
    Input::new("notes", "Notes", S::LongText),
];

/// The test the person making the change records with `TEST_INPUTS`, and its work log line
/// after `what`: "Plan test passed: notes".
pub fn test(values: &Values, meta: &ChangeMeta, what: &str) -> (Group, String) {
    let passed = given(values, "passed") == "true";
    let notes = given(values, "notes");
    let test = Group::defaults(TEST)
        .with("at", meta.at)
        .with("by", meta.author.as_str())
        .with("passed", passed)
        .with("notes", notes);
    let outcome = if passed { "passed" } else { "failed" };
    (test, format!("{what} {outcome}: {notes}"))
}

/// A test on one line: "Passed by ana: all good".
pub fn test_row(t: &Group) -> String {
    let outcome = if t.bool("passed") { "Passed" } else { "Failed" };
    format!("{outcome} by {}: {}", t.str("by"), t.str("notes"))
}

/// A person to reach (customer contacts, supplier contacts, continuity call lists).
pub const CONTACT: &[F] = &[
    F::new("name", S::Text),
    F::new("role", S::Text),
    F::new("email", S::Text),
    F::new("phone", S::Text),
];

pub const CONTACTS: S = S::List(&S::Group(CONTACT));

/// The "Add a contact" action of a record with `contacts`.
pub const ADD_CONTACT: m::Action = m::Action {
    key: "contact",
    label: "Add a contact",
    inputs: &[
        Input::new("name", "Name", S::Text).required(),
        Input::new("role", "Role", S::Text),
        Input::new("email", "Email", S::Text),
        Input::new("phone", "Phone", S::Text),
    ],
    apply: add_contact,
};

fn add_contact(
    r: &mut Record,
    values: &Values,
    _: &dyn m::Lookup,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let contact = CONTACT.iter().fold(Group::defaults(CONTACT), |c, f| {
        c.with(f.key, given(values, f.key))
    });
    r.log(meta, format!("Contact added: {}", given(values, "name")));
    r.push("contacts", contact);
    Ok(())
}

/// Each contact on one line: "Bo · Buyer · bo@water · 555".
pub fn contact_rows(r: &Record) -> Vec<String> {
    r.groups("contacts")
        .map(|c| {
            CONTACT
                .iter()
                .map(|f| c.str(f.key))
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .collect()
}

/// The first line of a text field, as a title.
pub fn first_line(r: &Record, key: &str) -> String {
    r.str(key).lines().next().unwrap_or_default().to_string()
}

/// The two lists every record keeps, last in its fields.
pub const JOURNAL: [F; 2] = [
    F::new("status_history", m::STATUS_HISTORY),
    F::new("work_log", m::WORK_LOG),
];
