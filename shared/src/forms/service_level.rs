//! Service level and relationship forms: services and their catalogue, SLAs, customers,
//! complaints, suppliers, contracts, and continuity plans.

use super::spec::{Place, field, made_by};
use super::{Area, Field, FieldValue, Form, Input, Section, Spec, Values, given, refused};
use crate::records::agreement::{PriorityTarget, Sla};
use crate::records::continuity::ContinuityPlan;
use crate::records::journal::Contact;
use crate::records::parties::{Complaint, Contract, Customer, Satisfaction, Supplier};
use crate::records::priority::Priority;
use crate::records::service::{Offering, Service};
use crate::records::{ChangeMeta, RecordError};
use crate::workflow::Workflow;

pub(super) fn add(forms: &mut Vec<Box<dyn Form>>) {
    forms.push(Box::new(service()));
    forms.push(Box::new(sla()));
    forms.push(Box::new(customer()));
    forms.push(Box::new(complaint()));
    forms.push(Box::new(supplier()));
    forms.push(Box::new(contract()));
    forms.push(Box::new(continuity_plan()));
}

/// The inputs of a contact person.
fn contact_inputs() -> Vec<Field> {
    vec![
        Field::new("name", "Name", Input::Text).required(),
        Field::new("role", "Role", Input::Text),
        Field::new("email", "Email", Input::Text),
        Field::new("phone", "Phone", Input::Text),
    ]
}

fn contact(values: &Values) -> Contact {
    Contact {
        name: given(values, "name").into(),
        role: given(values, "role").into(),
        email: given(values, "email").into(),
        phone: given(values, "phone").into(),
    }
}

/// Adds the contact in `values` to the record's `contacts`.
fn add_contact<R: Workflow>(
    r: &mut R,
    contacts: fn(&mut R) -> &mut Vec<Contact>,
    values: &Values,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let c = contact(values);
    r.log(meta, format!("Contact added: {}", c.name));
    contacts(r).push(c);
    Ok(())
}

fn contact_rows(contacts: &[Contact]) -> Vec<String> {
    contacts
        .iter()
        .map(|c| {
            [c.name.as_str(), &c.role, &c.email, &c.phone]
                .into_iter()
                .filter(|s| !s.is_empty())
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .collect()
}

/// The inputs of a response / resolution target for one priority.
fn target_inputs() -> Vec<Field> {
    vec![
        Field::new("priority", "Priority", Priority::input()).required(),
        Field::new("response", "Respond within (minutes)", Input::Number).required(),
        Field::new("resolution", "Resolve within (minutes)", Input::Number).required(),
    ]
}

/// Sets the target for one priority (replacing the one it had).
fn set_target(
    targets: &mut Vec<PriorityTarget>,
    values: &Values,
) -> Result<PriorityTarget, RecordError> {
    let minutes = |key, label| {
        u32::from_text(given(values, key))
            .ok()
            .filter(|m| *m > 0)
            .ok_or_else(|| refused(label, "enter a number of minutes above 0"))
    };
    let target = PriorityTarget {
        priority: Priority::from_text(given(values, "priority"))
            .map_err(|e| refused("Priority", e))?,
        response_minutes: minutes("response", "Respond within")?,
        resolution_minutes: minutes("resolution", "Resolve within")?,
    };
    if target.resolution_minutes < target.response_minutes {
        return Err(refused(
            "Resolve within",
            "the resolution target cannot be shorter than the response target",
        ));
    }
    targets.retain(|t| t.priority != target.priority);
    targets.push(target);
    targets.sort_by_key(|t| t.priority);
    Ok(target)
}

fn target_rows(targets: &[PriorityTarget]) -> Vec<String> {
    targets
        .iter()
        .map(|t| {
            format!(
                "{}: respond within {} min, resolve within {} min",
                t.priority, t.response_minutes, t.resolution_minutes
            )
        })
        .collect()
}

fn log_target<R: Workflow>(r: &mut R, target: PriorityTarget, meta: &ChangeMeta) {
    r.log(
        meta,
        format!(
            "Target {:?}: respond {} min, resolve {} min",
            target.priority, target.response_minutes, target.resolution_minutes
        ),
    );
}

fn service() -> Spec<Service> {
    Spec::<Service>::new(
        "service",
        "Services",
        Area::ServiceLevel,
        |r| r.name.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Service, name, "Name").required(),
        field!(Service, owner, "Owner"),
        field!(Service, description, "Description").long(),
        field!(Service, service_hours, "Service hours"),
        field!(Service, dependencies, "Depends on (one per line)"),
        field!(Service, sla, "SLA (number)"),
        field!(Service, availability_target, "Availability target (%)"),
    ])
    .create_with(made_by!(Service::create("name", "owner")))
    .action(
        "offering",
        "Add to the catalogue",
        vec![
            Field::new("key", "Item key (e.g. laptop)", Input::Text).required(),
            Field::new("name", "Item name", Input::Text).required(),
            Field::new("description", "Description", Input::LongText),
            Field::new("steps", "Fulfilment steps (one per line)", Input::Lines),
        ],
        |r, values, _, meta| {
            let offering = Offering {
                key: given(values, "key").into(),
                name: given(values, "name").into(),
                description: given(values, "description").into(),
                steps: Vec::<String>::from_text(given(values, "steps"))
                    .map_err(|e| refused("Fulfilment steps", e))?,
            };
            r.log(
                meta,
                format!("Catalogue item {}: {}", offering.key, offering.name),
            );
            r.offerings.retain(|o| o.key != offering.key);
            r.offerings.push(offering);
            Ok(())
        },
    )
    .sections(|r| {
        vec![Section::text(
            "Catalogue",
            r.offerings.iter().map(|o| {
                format!(
                    "{} ({}): {} step(s){}",
                    o.name,
                    o.key,
                    o.steps.len(),
                    if o.steps.is_empty() {
                        String::new()
                    } else {
                        format!(" — {}", o.steps.join("; "))
                    }
                )
            }),
        )]
    })
    .place(|r| Place {
        assignee: r.owner.clone(),
        ..Place::default()
    })
}

fn sla() -> Spec<Sla> {
    Spec::<Sla>::new(
        "SLA",
        "Service level agreements",
        Area::ServiceLevel,
        |r| r.name.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Sla, name, "Name").required(),
        field!(Sla, customer, "Customer (number)"),
        field!(Sla, services, "Services (one per line)"),
        field!(Sla, "time_zone" => calendar.time_zone, "Time zone (e.g. Europe/Berlin)"),
        field!(Sla, "holidays" => calendar.holidays, "Holidays (YYYY-MM-DD, one per line)"),
        field!(
            Sla,
            "week" => calendar.week,
            "Working hours (Mon to Sun, e.g. Mon 08:00-17:00 or Sat closed)"
        ),
        field!(Sla, workload_limit, "Workload limit (requests a month)"),
        field!(Sla, exceptions, "Exceptions (one per line)"),
    ])
    .create_with(made_by!(Sla::create("name", "customer")))
    // Every clock measured against it needs a calendar that compiles (a real time zone).
    .validate(|r| {
        r.calendar
            .compile()
            .map(|_| ())
            .map_err(|e| refused("Time zone", e))
    })
    .action(
        "target",
        "Set a target",
        target_inputs(),
        |r, values, _, meta| {
            let target = set_target(&mut r.targets, values)?;
            r.calendar.compile().map_err(|e| refused("Time zone", e))?;
            log_target(r, target, meta);
            Ok(())
        },
    )
    .sections(|r| vec![Section::text("Targets", target_rows(&r.targets))])
}

fn customer() -> Spec<Customer> {
    Spec::<Customer>::new(
        "customer",
        "Customers",
        Area::ServiceLevel,
        |r| r.organisation.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Customer, organisation, "Organisation").required(),
        field!(Customer, services, "Services used (one per line)"),
    ])
    .create_with(made_by!(Customer::create("organisation")))
    .action(
        "contact",
        "Add a contact",
        contact_inputs(),
        |r, values, _, meta| add_contact(r, |r| &mut r.contacts, values, meta),
    )
    .action(
        "satisfaction",
        "Record satisfaction",
        vec![
            Field::new("score", "Score (1 to 5)", Input::Number).required(),
            Field::new("comment", "Comment", Input::LongText),
        ],
        |r, values, _, meta| {
            let score = u8::from_text(given(values, "score"))
                .ok()
                .filter(|s| (1..=5).contains(s))
                .ok_or_else(|| refused("Score", "enter a score from 1 to 5"))?;
            r.satisfaction.push(Satisfaction {
                at: meta.at,
                by: meta.author.clone(),
                score,
                comment: given(values, "comment").into(),
            });
            r.log(meta, format!("Satisfaction {score}/5"));
            Ok(())
        },
    )
    .sections(|r| {
        vec![
            Section::text("Contacts", contact_rows(&r.contacts)),
            Section::text(
                "Satisfaction",
                r.mean_satisfaction()
                    .map(|m| format!("Mean {m:.1} of 5 over {} survey(s)", r.satisfaction.len())),
            ),
        ]
    })
}

fn complaint() -> Spec<Complaint> {
    Spec::<Complaint>::new(
        "complaint",
        "Complaints",
        Area::ServiceLevel,
        |r| r.description.lines().next().unwrap_or_default().to_string(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Complaint, customer, "Customer (number or name)").required(),
        field!(Complaint, service, "Service (number)"),
        field!(Complaint, description, "Complaint")
            .long()
            .required(),
        field!(Complaint, findings, "Findings").long(),
        field!(Complaint, response, "Response to the customer").long(),
        field!(
            Complaint,
            customer_satisfied,
            "Customer satisfied with the response"
        ),
    ])
    .create_with(made_by!(Complaint::create("customer", "description")))
}

fn supplier() -> Spec<Supplier> {
    Spec::<Supplier>::new(
        "supplier",
        "Suppliers",
        Area::ServiceLevel,
        |r| r.name.clone(),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Supplier, name, "Name").required(),
        field!(Supplier, owner, "Relationship owner"),
    ])
    .create_with(made_by!(Supplier::create("name", "owner")))
    .action(
        "contact",
        "Add a contact",
        contact_inputs(),
        |r, values, _, meta| add_contact(r, |r| &mut r.contacts, values, meta),
    )
    .sections(|r| vec![Section::text("Contacts", contact_rows(&r.contacts))])
    .place(|r| Place {
        assignee: r.owner.clone(),
        ..Place::default()
    })
}

fn contract() -> Spec<Contract> {
    Spec::<Contract>::new(
        "contract",
        "Contracts",
        Area::ServiceLevel,
        |r| {
            format!(
                "{} — {}",
                r.supplier,
                r.scope.lines().next().unwrap_or_default()
            )
        },
        |r| &mut r.number,
    )
    .fields(vec![
        field!(Contract, supplier, "Supplier (number)").required(),
        field!(Contract, scope, "Scope").long().required(),
        field!(Contract, owner, "Owner"),
        field!(Contract, starts, "Starts"),
        field!(Contract, ends, "Ends"),
        field!(Contract, services, "Services (one per line)"),
        field!(Contract, supports_sla, "Supports SLA (number)"),
    ])
    .create_with(made_by!(Contract::create("supplier", "scope")))
    .action(
        "target",
        "Set a target",
        target_inputs(),
        |r, values, _, meta| {
            let target = set_target(&mut r.targets, values)?;
            log_target(r, target, meta);
            Ok(())
        },
    )
    .sections(|r| vec![Section::text("Targets", target_rows(&r.targets))])
    .place(|r| Place {
        assignee: r.owner.clone(),
        ..Place::default()
    })
}

fn continuity_plan() -> Spec<ContinuityPlan> {
    Spec::<ContinuityPlan>::new(
        "continuity plan",
        "Continuity plans",
        Area::ServiceLevel,
        |r| format!("Continuity of {}", r.service),
        |r| &mut r.number,
    )
    .fields(vec![
        field!(ContinuityPlan, service, "Service (number or name)").required(),
        field!(ContinuityPlan, invocation_criteria, "When to invoke it").long(),
        field!(ContinuityPlan, procedures, "Procedures (one step per line)"),
        field!(
            ContinuityPlan,
            rto_minutes,
            "Recovery time objective (minutes)"
        ),
        field!(
            ContinuityPlan,
            rpo_minutes,
            "Recovery point objective (minutes)"
        ),
    ])
    .create_with(|values, _, meta| {
        Ok(ContinuityPlan::create(
            String::new(),
            given(values, "service"),
            meta,
        ))
    })
    .action(
        "contact",
        "Add a contact",
        contact_inputs(),
        |r, values, _, meta| add_contact(r, |r| &mut r.contacts, values, meta),
    )
    .action(
        "test",
        "Record a plan test",
        vec![
            Field::new("passed", "Passed", bool::input()).required(),
            Field::new("notes", "Notes", Input::LongText),
        ],
        |r, values, _, meta| {
            r.record_test(
                given(values, "passed") == "true",
                given(values, "notes"),
                meta,
            );
            Ok(())
        },
    )
    .sections(|r| {
        vec![
            Section::text("Contacts", contact_rows(&r.contacts)),
            Section::text(
                "Tests",
                r.tests.iter().map(|t| {
                    format!(
                        "{} by {}: {}",
                        if t.passed { "Passed" } else { "Failed" },
                        t.by,
                        t.notes
                    )
                }),
            ),
        ]
    })
}
