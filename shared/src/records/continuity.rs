//! Service continuity plan (ISO 20000 8.7.2), kept on every device so it can be read when the
//! normal site is unreachable.

use super::journal::{
    ADD_CONTACT, CONTACTS, JOURNAL, TEST, TEST_INPUTS, contact_rows, test, test_row,
};
use crate::model::{self as m, Action, Facts, Field as F, FormField, Record, Section, Shape as S};
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

pub const PLAN_STATUSES: m::Choices = m::Choices::new(&[
    ("draft", "Draft"),
    ("approved", "Approved"),
    ("retired", "Retired"),
]);

pub const FIELDS: &[F] = &[
    F::new("number", S::Text),
    F::new("service", S::Reference("service")),
    F::new("invocation_criteria", S::LongText),
    F::new("procedures", S::List(&S::Text)),
    F::new("contacts", CONTACTS),
    // Recovery time and recovery point objectives.
    F::new("rto_minutes", S::COUNT),
    F::new("rpo_minutes", S::COUNT),
    // Tests and exercises of the plan.
    F::new("tests", S::List(&S::Group(TEST))),
    F::new("status", S::Choice(&PLAN_STATUSES)),
    JOURNAL[0],
    JOURNAL[1],
    crate::attachments::FIELD,
];

static LIFECYCLE: m::Lifecycle = m::Lifecycle {
    noun: "a continuity plan",
    statuses: PLAN_STATUSES.options,
    moves: &[
        ("draft", &["approved", "retired"]),
        ("approved", &["draft", "retired"]),
    ],
    finished: &["retired"],
    reasons: &[],
};

/// A plan nobody can invoke or follow is not a plan.
fn rules(r: &Record, to: &str, _: &str, _: &Facts) -> Result<(), WorkflowError> {
    let incomplete = r.str("invocation_criteria").trim().is_empty()
        || r.list("procedures").is_empty()
        || r.list("contacts").is_empty();
    if to == "approved" && incomplete {
        return Err(WorkflowError::Missing {
            what: "invocation criteria, procedures and contacts",
            noun: "a continuity plan",
            status: "approved".into(),
        });
    }
    Ok(())
}

/// When the plan was last tested successfully.
pub fn last_passed_test(plan: &Record) -> Option<Timestamp> {
    plan.groups("tests")
        .filter(|t| t.bool("passed"))
        .map(|t| t.at("at"))
        .max()
}

pub static CONTINUITY_PLAN: m::RecordType = m::RecordType {
    kind: "continuity_plan",
    // Schema 2 stores references as links.
    schemas: &[m::Schema::FIRST, m::Schema::links(2)],
    prefix: "BCP",
    noun: "continuity plan",
    plural: "Continuity plans",
    area: m::Area::ServiceLevel,
    fields: FIELDS,
    lifecycle: &LIFECYCLE,
    rules,
    logged: "Continuity plan drafted",
    form: &[
        FormField::new("service", "Service (number or name)").required(),
        FormField::new("invocation_criteria", "When to invoke it"),
        FormField::new("procedures", "Procedures (one step per line)"),
        FormField::new("rto_minutes", "Recovery time objective (minutes)"),
        FormField::new("rpo_minutes", "Recovery point objective (minutes)"),
    ],
    actions: &[
        ADD_CONTACT,
        Action {
            key: "test",
            label: "Record a plan test",
            inputs: TEST_INPUTS,
            apply: |r, values, _, meta| {
                let (result, line) = test(values, meta, "Plan test");
                r.push("tests", result);
                r.log(meta, line);
                Ok(())
            },
        },
    ],
    sections: |r| {
        vec![
            Section::text("Contacts", contact_rows(r)),
            Section::text("Tests", r.groups("tests").map(test_row)),
        ]
    },
    title: |r| format!("Continuity of {}", r.str("service")),
    on_every_device: true,
    ..m::RecordType::BASE
};
