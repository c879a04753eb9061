//! The management registers an auditor checks: risks, competences, internal audits,
//! management reviews, nonconformities and improvements.

use super::spec::{Place, field, made_by};
use super::{
    Area, Field, FieldValue, Form, Input, Row, RowButton, Section, Spec, Values, chosen, given,
    refused,
};
use crate::records::journal::Review;
use crate::records::registers::{
    Action, Certificate, Competence, FindingKind, Improvement, ImprovementSource, InternalAudit,
    ManagementReview, Nonconformity, Risk,
};
use crate::time::Timestamp;
use crate::workflow::Workflow;

pub(super) fn add(forms: &mut Vec<Box<dyn Form>>) {
    forms.push(Box::new(risk()));
    forms.push(Box::new(competence()));
    forms.push(Box::new(audit()));
    forms.push(Box::new(management_review()));
    forms.push(Box::new(nonconformity()));
    forms.push(Box::new(improvement()));
}

fn when(
    values: &super::Values,
    key: &str,
    label: &str,
) -> Result<Option<Timestamp>, crate::records::RecordError> {
    Option::<Timestamp>::from_text(given(values, key)).map_err(|e| refused(label, e))
}

fn risk() -> Spec<Risk> {
    Spec::<Risk>::new(
        "risk",
        "Risks",
        Area::Registers,
        |r| r.description.lines().next().unwrap_or_default().to_string(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Risk, description, "Risk").long().required(),
        field!(Risk, source, "Source"),
        field!(Risk, likelihood, "Likelihood (1 to 5)"),
        field!(Risk, impact, "Impact (1 to 5)"),
        field!(Risk, treatment, "Treatment").long(),
        field!(Risk, owner, "Owner"),
        field!(Risk, review_date, "Review by"),
    ])
    .create_with(|values, _, meta| {
        let level = |key, label| {
            u8::from_text(given(values, key))
                .map(|n| n.max(1))
                .map_err(|e| refused(label, e))
        };
        Ok(Risk::create(
            String::new(),
            given(values, "description"),
            level("likelihood", "Likelihood")?,
            level("impact", "Impact")?,
            meta,
        )?)
    })
    .validate(|r| {
        for (value, label) in [(r.likelihood, "Likelihood"), (r.impact, "Impact")] {
            if !(1..=5).contains(&value) {
                return Err(refused(label, "enter 1 (lowest) to 5 (highest)"));
            }
        }
        Ok(())
    })
    .sections(|r| {
        vec![Section::text(
            "Score",
            [format!("{} (likelihood × impact)", r.score())],
        )]
    })
    .place(|r| Place {
        assignee: r.owner.clone(),
        ..Place::default()
    })
}

fn competence() -> Spec<Competence> {
    Spec::<Competence>::new(
        "competence record",
        "Competences",
        Area::Registers,
        |r| format!("{} — {}", r.person, r.role),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Competence, person, "Person").required(),
        field!(Competence, role, "Role").required(),
        field!(
            Competence,
            skills_required,
            "Skills the role needs (one per line)"
        ),
        field!(Competence, skills_held, "Skills held (one per line)"),
        field!(Competence, evidence, "Evidence").long(),
    ])
    .create_with(made_by!(Competence::create("person", "role")))
    .action(
        "certificate",
        "Add a certificate",
        vec![
            Field::new("name", "Certificate", Input::Text).required(),
            Field::new("expires", "Expires", Input::When),
            Field::new("evidence", "Evidence", Input::Text),
        ],
        |r, values, _, meta| {
            let certificate = Certificate {
                name: given(values, "name").into(),
                expires: when(values, "expires", "Expires")?,
                evidence: given(values, "evidence").into(),
            };
            r.log(meta, format!("Certificate added: {}", certificate.name));
            r.certificates.push(certificate);
            Ok(())
        },
    )
    .sections(|r| {
        vec![
            Section::text("Skill gaps", r.gaps().into_iter().map(String::from)),
            Section::text(
                "Certificates",
                r.certificates.iter().map(|c| {
                    let expires = c
                        .expires
                        .map(|t| format!(", expires {}", t.to_datetime().format("%Y-%m-%d")))
                        .unwrap_or_default();
                    format!("{}{expires}", c.name)
                }),
            ),
        ]
    })
    .place(|r| Place {
        assignee: r.person.clone(),
        ..Place::default()
    })
}

fn audit() -> Spec<InternalAudit> {
    Spec::<InternalAudit>::new(
        "internal audit",
        "Internal audits",
        Area::Registers,
        |r| {
            format!(
                "{} — {}",
                r.programme,
                r.scope.lines().next().unwrap_or_default()
            )
        },
        |r| &mut r.number,
    )
    .fields(vec![
        field!(InternalAudit, programme, "Programme").required(),
        field!(InternalAudit, scope, "Scope").long().required(),
        field!(InternalAudit, criteria, "Criteria").long(),
        field!(InternalAudit, planned_at, "Planned for"),
    ])
    .create_with(made_by!(InternalAudit::create("programme", "scope")))
    .action(
        "finding",
        "Record a finding",
        vec![
            Field::new("kind", "Kind", FindingKind::input()),
            Field::new("text", "Finding", Input::LongText).required(),
        ],
        |r, values, _, meta| {
            let kind =
                FindingKind::from_text(given(values, "kind")).map_err(|e| refused("Kind", e))?;
            r.add_finding(kind, given(values, "text"), meta);
            Ok(())
        },
    )
    .sections(|r| {
        vec![Section::text(
            "Findings",
            r.findings
                .iter()
                .map(|f| format!("{} ({}): {}", f.kind.label(), f.by, f.text)),
        )]
    })
}

fn management_review() -> Spec<ManagementReview> {
    Spec::<ManagementReview>::new(
        "management review",
        "Management reviews",
        Area::Registers,
        |r| match r.held_at {
            Some(at) => format!("Management review {}", at.to_datetime().format("%Y-%m-%d")),
            None => "Management review (date to be set)".into(),
        },
        |r| &mut r.number,
    )
    .fields(vec![
        field!(ManagementReview, held_at, "Held on"),
        field!(ManagementReview, attendees, "Attendees (one per line)"),
        field!(
            ManagementReview,
            inputs_covered,
            "Inputs covered (one per line)"
        ),
        field!(ManagementReview, decisions, "Decisions (one per line)"),
    ])
    .create_with(|_, _, meta| Ok(ManagementReview::create(String::new(), meta)))
    .action(
        "action",
        "Add an action",
        vec![
            Field::new("text", "Action", Input::LongText).required(),
            Field::new("owner", "Owner", Input::Text),
            Field::new("due", "Due", Input::When),
        ],
        |r, values, _, meta| {
            let action = Action {
                text: given(values, "text").into(),
                owner: given(values, "owner").into(),
                due: when(values, "due", "Due")?,
                done: false,
            };
            r.log(meta, format!("Action: {}", action.text));
            r.actions.push(action);
            Ok(())
        },
    )
    .action(
        "action_done",
        "Mark an action done",
        vec![Field::new("action", "Action number", Input::Number).required()],
        |r, values, _, meta| {
            let n: usize = given(values, "action").parse().unwrap_or(0);
            let action = n
                .checked_sub(1)
                .and_then(|i| r.actions.get_mut(i))
                .ok_or_else(|| refused("Action number", format!("there is no action {n}")))?;
            if !action.done {
                action.done = true;
                let line = format!("Action {n} done: {}", action.text);
                r.log(meta, line);
            }
            Ok(())
        },
    )
    .sections(|r| {
        vec![
            Section::text(
                "Inputs not covered yet (9.3)",
                r.missing_inputs().into_iter().map(String::from),
            ),
            Section {
                title: "Actions",
                rows: r
                    .actions
                    .iter()
                    .enumerate()
                    .map(|(i, a)| Row {
                        text: format!(
                            "{}. {}{} ({})",
                            i + 1,
                            if a.done { "✓ " } else { "" },
                            a.text,
                            a.owner
                        ),
                        button: (!a.done).then(|| RowButton {
                            label: "Done",
                            action: "action_done",
                            values: Values::from([("action".to_string(), (i + 1).to_string())]),
                        }),
                    })
                    .collect(),
            },
        ]
    })
}

fn nonconformity() -> Spec<Nonconformity> {
    Spec::<Nonconformity>::new(
        "nonconformity",
        "Nonconformities",
        Area::Registers,
        |r| r.finding.lines().next().unwrap_or_default().to_string(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Nonconformity, finding, "Finding").long().required(),
        field!(
            Nonconformity,
            source,
            "Source (audit, complaint or review number)"
        ),
        field!(Nonconformity, correction, "Correction").long(),
        field!(Nonconformity, root_cause, "Root cause").long(),
        field!(Nonconformity, corrective_action, "Corrective action").long(),
    ])
    .create_with(made_by!(Nonconformity::create("finding", "source")))
    .action(
        "effectiveness",
        "Record the effectiveness check",
        vec![
            Field::new(
                "summary",
                "Was the corrective action effective?",
                Input::LongText,
            )
            .required(),
        ],
        |r, values, _, meta| {
            r.effectiveness_check = Some(Review::new(meta, given(values, "summary")));
            r.log(
                meta,
                format!("Effectiveness check: {}", given(values, "summary")),
            );
            Ok(())
        },
    )
    .sections(|r| {
        vec![Section::text(
            "Effectiveness check",
            r.effectiveness_check
                .iter()
                .map(|c| format!("{}: {}", c.by, c.summary)),
        )]
    })
}

fn improvement() -> Spec<Improvement> {
    Spec::<Improvement>::new(
        "improvement",
        "Improvements",
        Area::Registers,
        |r| r.opportunity.lines().next().unwrap_or_default().to_string(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Improvement, opportunity, "Opportunity")
            .long()
            .required(),
        field!(Improvement, source, "Source"),
        field!(Improvement, source_ref, "Source record (number)"),
        field!(Improvement, priority, "Priority"),
        field!(Improvement, owner, "Owner"),
        field!(Improvement, target, "Target").long(),
        field!(Improvement, measured_outcome, "Measured outcome").long(),
    ])
    .create_with(|values, _, meta| {
        let source: ImprovementSource = chosen(values, "source", "Source")?;
        Ok(Improvement::create(
            String::new(),
            given(values, "opportunity"),
            source,
            given(values, "source_ref"),
            meta,
        )?)
    })
    .place(|r| Place {
        assignee: r.owner.clone(),
        ..Place::default()
    })
}
