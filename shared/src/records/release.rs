//! Release and deployment (ISO 20000 8.5.3).

use super::journal::{JOURNAL, TEST, TEST_INPUTS, test, test_row};
use crate::model::{self as m, Action, Facts, Field as F, FormField, Record, Section, Shape as S};
use crate::workflow::WorkflowError;

pub const RELEASE_STATUSES: m::Choices = m::Choices::new(&[
    ("planned", "Planned"),
    ("testing", "Testing"),
    ("deploying", "Deploying"),
    ("deployed", "Deployed"),
    ("failed", "Failed"),
    ("closed", "Closed"),
]);

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("name", S::Text),
    // The changes included.
    F::new("changes", S::List(&S::Reference("change"))),
    F::new("deployment_plan", S::LongText),
    F::new("rollback_plan", S::LongText),
    F::new("acceptance", S::Optional(&S::Group(TEST))),
    // Incident or problem record numbers investigating a failed deployment.
    F::new("investigations", S::List(&S::Text)),
    F::new("status", S::Choice(&RELEASE_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a release",
    statuses: RELEASE_STATUSES.options,
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
fn rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
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
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "REL",
    noun: "release",
    plural: "Releases",
    area: m::Area::Change,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "Release planned",
    form: &[
        FormField::new("name", "Name").required(),
        FormField::new("changes", "Changes included (one per line)"),
        FormField::new("deployment_plan", "Deployment plan"),
        FormField::new("rollback_plan", "Rollback plan"),
        FormField::new(
            "investigations",
            "Investigating incidents or problems (one per line)",
        ),
    ],
    actions: &[Action {
        key: "acceptance",
        label: "Record the acceptance test",
        inputs: TEST_INPUTS,
        apply: |r, values, _, meta| {
            let (result, line) = test(values, meta, "Acceptance");
            r.set("acceptance", result);
            r.log(meta, line);
            Ok(())
        },
    }],
    sections: |r| {
        vec![Section::text(
            "Acceptance",
            r.group("acceptance").map(test_row),
        )]
    },
    title: |r| r.str("name").to_string(),
    ..m::RecordType::BASE
};
