//! Change and release forms: changes (risk questions, CAB and emergency approvals, test
//! evidence, outcome, review) and releases (acceptance, linked investigations).

use super::spec::{Place, field};
use super::{Area, Field, FieldValue, Form, Input, Section, Spec, chosen, given, other, refused};
use crate::records::change::{
    ApprovalRole, Change, ChangeTemplate, ChangeType, Decision, ImplementationOutcome,
    RISK_QUESTIONS,
};
use crate::records::release::Release;

pub(super) fn add(forms: &mut Vec<Box<dyn Form>>) {
    forms.push(Box::new(change()));
    forms.push(Box::new(template()));
    forms.push(Box::new(release()));
}

/// The answer keys of the risk questions: `risk_0`, `risk_1`, …
const RISK_KEYS: [&str; RISK_QUESTIONS.len()] = ["risk_0", "risk_1", "risk_2", "risk_3", "risk_4"];

fn change() -> Spec<Change> {
    Spec::<Change>::new(
        "change",
        "Changes",
        Area::Change,
        |r| r.title.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Change, title, "Title"),
        field!(Change, change_type, "Type"),
        field!(Change, template, "Template (number, standard changes)"),
        field!(Change, reason, "Reason").long(),
        field!(Change, affected_cis, "Affected CIs (one per line)"),
        field!(Change, services, "Affected services (one per line)"),
        field!(Change, impact, "Impact").long(),
        field!(Change, implementation_plan, "Implementation plan").long(),
        field!(Change, backout_plan, "Backout plan").long(),
        field!(Change, planned_start, "Planned start"),
        field!(Change, planned_end, "Planned end"),
    ])
    // Standard changes come from a pre-approved template; the others are raised as drafts.
    .create_with(|values, lookup, meta| {
        let change_type: ChangeType = chosen(values, "change_type", "Type")?;
        let title = given(values, "title");
        Ok(match change_type {
            ChangeType::Standard => {
                let number = given(values, "template");
                if number.is_empty() {
                    return Err(crate::workflow::WorkflowError::StandardWithoutTemplate.into());
                }
                let template: ChangeTemplate = other(lookup, number, "Template")?;
                Change::from_template(String::new(), &template, title, meta)?
            }
            other => Change::create(String::new(), other, title, meta)?,
        })
    })
    .action(
        "risk",
        "Assess the risk",
        RISK_QUESTIONS
            .iter()
            .zip(RISK_KEYS)
            .map(|((question, _), key)| Field::new(key, question, bool::input()))
            .collect(),
        |r, values, _, meta| {
            let yes: Vec<bool> = RISK_KEYS
                .iter()
                .map(|k| given(values, k) == "true")
                .collect();
            r.assess_risk(&yes, meta);
            Ok(())
        },
    )
    .action(
        "decide",
        "Record an approval decision",
        vec![
            Field::new("role", "As", ApprovalRole::input()),
            Field::new("decision", "Decision", Decision::input()),
            Field::new("comment", "Comment", Input::LongText),
        ],
        |r, values, _, meta| {
            let role =
                ApprovalRole::from_text(given(values, "role")).map_err(|e| refused("As", e))?;
            let decision = Decision::from_text(given(values, "decision"))
                .map_err(|e| refused("Decision", e))?;
            r.decide(role, decision, given(values, "comment"), meta);
            Ok(())
        },
    )
    .action(
        "test_evidence",
        "Add test evidence",
        vec![Field::new("note", "What was tested, and the result", Input::LongText).required()],
        |r, values, _, meta| {
            r.add_test_evidence(given(values, "note"), meta);
            Ok(())
        },
    )
    .action(
        "outcome",
        "Record the outcome",
        vec![Field::new("outcome", "Outcome", ImplementationOutcome::input()).required()],
        |r, values, _, meta| {
            let outcome = ImplementationOutcome::from_text(given(values, "outcome"))
                .map_err(|e| refused("Outcome", e))?;
            Ok(r.record_outcome(outcome, meta)?)
        },
    )
    .action(
        "review",
        "Record the review",
        vec![Field::new("summary", "Review", Input::LongText).required()],
        |r, values, _, meta| Ok(r.record_review(given(values, "summary"), meta)?),
    )
    .sections(|r| {
        let risk = if r.risk.is_empty() {
            vec!["Not assessed yet.".to_string()]
        } else {
            std::iter::once(format!("Score {} — {}", r.risk_score(), r.risk_level()))
                .chain(
                    r.risk
                        .iter()
                        .map(|a| format!("{} {}", a.question, a.answer)),
                )
                .collect()
        };
        let approvals = r.approvals.iter().map(|a| {
            format!(
                "{} by {} ({}){}",
                a.decision.label(),
                a.approver,
                a.role.label(),
                if a.comment.is_empty() {
                    String::new()
                } else {
                    format!(": {}", a.comment)
                }
            )
        });
        let outcome = r.outcome.map(|o| o.label().to_string()).into_iter().chain(
            r.review
                .iter()
                .map(|v| format!("Review by {}: {}", v.by, v.summary)),
        );
        vec![
            Section::text("Risk", risk),
            Section::text("Approvals", approvals),
            Section::text(
                "Test evidence",
                r.test_evidence
                    .iter()
                    .map(|e| format!("{}: {}", e.author, e.note)),
            ),
            Section::text("Outcome and review", outcome),
        ]
    })
}

fn release() -> Spec<Release> {
    Spec::<Release>::new(
        "release",
        "Releases",
        Area::Change,
        |r| r.name.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Release, name, "Name").required(),
        field!(Release, changes, "Changes included (one per line)"),
        field!(Release, deployment_plan, "Deployment plan").long(),
        field!(Release, rollback_plan, "Rollback plan").long(),
        field!(
            Release,
            investigations,
            "Investigating incidents or problems (one per line)"
        ),
    ])
    .action(
        "acceptance",
        "Record the acceptance test",
        vec![
            Field::new("passed", "Passed", bool::input()).required(),
            Field::new("notes", "Notes", Input::LongText),
        ],
        |r, values, _, meta| {
            let passed = given(values, "passed") == "true";
            r.record_acceptance(passed, given(values, "notes"), meta);
            Ok(())
        },
    )
    .sections(|r| {
        vec![Section::text(
            "Acceptance",
            r.acceptance.iter().map(|a| {
                format!(
                    "{} by {}: {}",
                    if a.passed { "Passed" } else { "Failed" },
                    a.by,
                    a.notes
                )
            }),
        )]
    })
    .place(|_| Place::default())
}

fn template() -> Spec<ChangeTemplate> {
    Spec::<ChangeTemplate>::new(
        "change template",
        "Change templates",
        Area::Change,
        |r| r.name.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(ChangeTemplate, name, "Name").required(),
        field!(ChangeTemplate, implementation_plan, "Implementation plan").long(),
        field!(ChangeTemplate, backout_plan, "Backout plan").long(),
    ])
    .action(
        "approve",
        "Approve for standard changes",
        vec![],
        |r, _, _, meta| {
            r.approve(meta);
            Ok(())
        },
    )
    .sections(|r| {
        vec![Section::text(
            "Approval",
            [if r.approved {
                format!("Approved for standard changes by {}", r.approved_by)
            } else {
                "Not approved yet: standard changes cannot use it.".to_string()
            }],
        )]
    })
}
