//! Service desk forms: service requests (from the catalogue, with their fulfilment checklist),
//! security incidents and problems (linked incidents, known errors).

use super::spec::{Place, Ticket, field};
use super::{
    Area, Field, Form, Input, Row, RowButton, Section, Spec, Values, given, other, refused,
};
use crate::records::Record;
use crate::records::change::Change;
use crate::records::incident::Incident;
use crate::records::problem::{Problem, ProblemFacts};
use crate::records::request::ServiceRequest;
use crate::records::security::SecurityIncident;
use crate::records::service::Service;
use crate::workflow::Workflow;

pub(super) fn add(forms: &mut Vec<Box<dyn Form>>) {
    forms.push(Box::new(request()));
    forms.push(Box::new(security_incident()));
    forms.push(Box::new(problem()));
}

fn request() -> Spec<ServiceRequest> {
    Spec::<ServiceRequest>::new(
        "service request",
        "Service requests",
        Area::ServiceDesk,
        |r| r.title.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(ServiceRequest, service, "Service (number)").required(),
        field!(ServiceRequest, catalogue_item, "Catalogue item").required(),
        field!(ServiceRequest, title, "Title"),
        field!(ServiceRequest, description, "Description").long(),
        field!(ServiceRequest, caller, "Requested by"),
        field!(ServiceRequest, site, "Site"),
        field!(ServiceRequest, group, "Team"),
        field!(ServiceRequest, assignee, "Assignee"),
        field!(ServiceRequest, impact, "Impact"),
        field!(ServiceRequest, urgency, "Urgency"),
        field!(ServiceRequest, resolution_notes, "Resolution notes").long(),
    ])
    // A request is for an item of a live service's catalogue, and starts with its steps.
    .create_with(|values, lookup, meta| {
        let service: Service = other(lookup, given(values, "service"), "Service (number)")?;
        let item = given(values, "catalogue_item");
        let title = given(values, "title");
        let mut request = ServiceRequest::create(String::new(), &service, item, title, meta)?;
        request.sla = super::agreements(lookup).for_service(&service);
        Ok(request)
    })
    .action(
        "tick",
        "Tick off a step",
        vec![
            Field::new("step", "Step number", Input::Number).required(),
            Field::new("done", "Done", <bool as super::FieldValue>::input()),
        ],
        |r, values, _, meta| {
            let step: usize = given(values, "step")
                .parse()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| refused("Step number", "enter the step's number (1, 2, …)"))?;
            let done = given(values, "done") != "false";
            Ok(r.tick(step - 1, done, meta)?)
        },
    )
    .sections(|r| {
        vec![Section {
            title: "Fulfilment checklist",
            rows: r
                .steps
                .iter()
                .enumerate()
                .map(|(i, step)| Row {
                    text: if step.done {
                        format!("{}. ✓ {} (done by {})", i + 1, step.text, step.done_by)
                    } else {
                        format!("{}. {}", i + 1, step.text)
                    },
                    button: Some(RowButton {
                        label: if step.done { "Reopen" } else { "Done" },
                        action: "tick",
                        values: Values::from([
                            ("step".to_string(), (i + 1).to_string()),
                            ("done".to_string(), (!step.done).to_string()),
                        ]),
                    }),
                })
                .collect(),
        }]
    })
    .ticket(|r, matrix| Ticket {
        impact: r.impact,
        urgency: r.urgency,
        priority: r.priority(matrix),
        sla: r.sla.clone(),
    })
    .place(|r| Place {
        site: r.site.clone(),
        team: r.group.clone(),
        assignee: r.assignee.clone(),
    })
}

fn security_incident() -> Spec<SecurityIncident> {
    Spec::<SecurityIncident>::new(
        "security incident",
        "Security incidents",
        Area::ServiceDesk,
        |r| r.title.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(SecurityIncident, title, "Title").required(),
        field!(SecurityIncident, description, "Description").long(),
        field!(SecurityIncident, caller, "Reported by"),
        field!(SecurityIncident, site, "Site"),
        field!(SecurityIncident, group, "Team"),
        field!(SecurityIncident, assignee, "Assignee"),
        field!(SecurityIncident, impact, "Impact"),
        field!(SecurityIncident, urgency, "Urgency"),
        field!(
            SecurityIncident,
            affected_cis,
            "Affected CIs (one per line)"
        ),
        field!(SecurityIncident, resolution_notes, "Resolution notes").long(),
    ])
    .create_with(|_, _, meta| {
        let mut record = SecurityIncident(Incident {
            created_at: meta.at,
            created_by: meta.author.clone(),
            ..Incident::default()
        });
        record.start(meta, "Security incident reported");
        Ok(record)
    })
    .ticket(|r, matrix| Ticket {
        impact: r.impact,
        urgency: r.urgency,
        priority: r.priority(matrix),
        sla: r.sla.clone(),
    })
    .place(|r| Place {
        site: r.site.clone(),
        team: r.group.clone(),
        assignee: r.assignee.clone(),
    })
}

fn problem() -> Spec<Problem> {
    Spec::<Problem>::new(
        "problem",
        "Problems",
        Area::ServiceDesk,
        |r| r.title.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Problem, title, "Title").required(),
        field!(Problem, description, "Description").long(),
        field!(Problem, owner, "Owner"),
        field!(Problem, root_cause, "Root cause").long(),
        field!(Problem, fix_change, "Fix change (number)"),
    ])
    .action(
        "link_incident",
        "Link an incident",
        vec![Field::new("incident", "Incident number", Input::Text).required()],
        |r, values, _, meta| {
            r.link_incident(given(values, "incident"), meta);
            Ok(())
        },
    )
    .action(
        "known_error",
        "Document as a known error",
        vec![Field::new("workaround", "Workaround", Input::LongText).required()],
        |r, values, _, meta| Ok(r.mark_known_error(given(values, "workaround"), meta)?),
    )
    .action(
        "accept",
        "Accept as a known error (no fix)",
        vec![Field::new("reason", "Why it will not be fixed", Input::LongText).required()],
        |r, values, _, meta| Ok(r.accept_known_error(given(values, "reason"), meta)?),
    )
    .sections(|r| {
        let mut known = vec![];
        if r.known_error {
            known.push(format!("Known error. Workaround: {}", r.workaround));
        }
        if r.accepted_known_error {
            known.push("Accepted as a known error: it will not be fixed.".into());
        }
        vec![
            Section::text("Linked incidents", r.linked_incidents.clone()),
            Section::text("Known error", known),
        ]
    })
    // Closing reads the fix change's status from its own document.
    .facts(|r, lookup| ProblemFacts {
        fix_change: lookup
            .record(&r.fix_change)
            .and_then(|doc| Change::read(&doc).ok())
            .map(|c| c.status),
    })
    .place(|r| Place {
        assignee: r.owner.clone(),
        ..Place::default()
    })
}
