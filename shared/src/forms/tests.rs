use std::collections::{BTreeMap, BTreeSet};

use automerge::Automerge;

use super::*;
use crate::model::{RecordType, Value};
use crate::records::agreement::{Agreements, SLA};
use crate::records::ci::CONFIGURATION_ITEM;
use crate::records::service::{SERVICE, ticket_service};
use crate::records::{Record, RecordError, TYPES};
use crate::time::Timestamp;
use crate::workflow::WorkflowError;

fn meta(author: &str, minute: i64) -> ChangeMeta {
    ChangeMeta {
        author: author.into(),
        device: "tablet-1".into(),
        at: Timestamp::from_millis(1_790_000_000_000 + minute * 60_000),
    }
}

fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

fn id(n: u8) -> DocumentId {
    DocumentId::from_uuid(uuid::Uuid::from_bytes([n; 16]))
}

/// Other records by number, as the app's device would hold them.
type Device = BTreeMap<String, Automerge>;

/// A record of `ty` numbered `number` with `fields` set, in a new document.
fn record(ty: &'static RecordType, number: &str, fields: &[(&str, Value)]) -> Automerge {
    let mut r = Record::new(ty);
    r.set("number", number);
    for (key, value) in fields {
        r.set(key, value.clone());
    }
    r.start(&meta("ana", 0), ty.logged);
    r.document(&meta("ana", 0)).unwrap()
}

/// Service SVC-1, Laptops, offering a laptop in two steps, in `status`.
fn laptops(status: &str) -> Automerge {
    let mut doc = record(
        &SERVICE,
        "SVC-1",
        &[("name", "Laptops".into()), ("owner", "ana".into())],
    );
    let form = Form(&SERVICE);
    let laptop = values(&[
        ("key", "laptop"),
        ("name", "New laptop"),
        ("steps", "Order\nImage"),
    ]);
    form.act(&mut doc, "offering", &laptop, &Nothing, &meta("ana", 0))
        .unwrap();
    if status != "proposed" {
        form.move_to(&mut doc, "live", "", &Nothing, &meta("ana", 0))
            .unwrap();
    }
    if status == "retired" {
        form.move_to(&mut doc, "retired", "", &Nothing, &meta("ana", 0))
            .unwrap();
    }
    doc
}

fn rule(e: RecordError) -> WorkflowError {
    match e {
        RecordError::Rule(rule) => rule,
        other => panic!("expected a workflow rule, got {other:?}"),
    }
}

#[test]
fn every_record_type_has_one_form() {
    let kinds: BTreeSet<&str> = all().map(|f| f.kind()).collect();
    assert_eq!(kinds.len(), all().count(), "a kind has two forms");
    let prefixes: BTreeSet<&str> = all().map(|f| f.prefix()).collect();
    assert_eq!(
        prefixes.len(),
        all().count(),
        "two kinds share a number prefix"
    );
    for ty in TYPES {
        let kind = ty.kind;
        let form = of(kind).unwrap_or_else(|| panic!("no form for {kind}"));
        assert_eq!(form.prefix(), ty.prefix);
        let restricted = (kind == "security_incident").then_some("security");
        assert_eq!(form.restricted_to(), restricted, "{kind}");
        let keys: BTreeSet<&str> = form.fields().iter().map(|f| f.key).collect();
        assert_eq!(
            keys.len(),
            form.fields().len(),
            "{kind} repeats a field key"
        );
        assert!(!form.statuses().is_empty());
    }
}

#[test]
fn every_form_creates_a_record_it_can_read_back_and_list() {
    let mut device = Device::default();
    // What each form's required fields need to be accepted.
    let service = of("service").unwrap();
    let mut svc = service
        .create(
            &id(1),
            &values(&[("name", "Laptops"), ("owner", "ana")]),
            &device,
            &meta("ana", 0),
        )
        .unwrap();
    let svc_number = service.view(&svc).unwrap().number;
    service
        .act(
            &mut svc,
            "offering",
            &values(&[("key", "laptop"), ("name", "New laptop")]),
            &device,
            &meta("ana", 1),
        )
        .unwrap();
    service
        .move_to(&mut svc, "live", "", &device, &meta("ana", 2))
        .unwrap();
    device.insert(svc_number.clone(), svc);
    let ci = record(
        &CONFIGURATION_ITEM,
        "CI-1",
        &[("name", "Router".into()), ("site", "north".into())],
    );
    device.insert("CI-1".into(), ci);

    for (n, form) in all().enumerate() {
        let mut given = Values::new();
        // Required fields, and a title (optional in a change only because a standard change
        // takes its template's name; required by an incident's own rule).
        let needed = |f: &&Field| f.required || f.key == "title";
        for field in form.fields().iter().filter(needed) {
            let text = match (&field.input, field.key) {
                (_, "service") if form.kind() == "service_request" => svc_number.clone(),
                (_, "catalogue_item") => "laptop".into(),
                (_, "site") => "north".into(),
                (Input::Choice(options), _) => options.last().unwrap().0.into(),
                _ => format!("{} one", field.label),
            };
            given.insert(field.key.into(), text);
        }
        let doc = form
            .create(&id(10 + n as u8), &given, &device, &meta("ana", 5))
            .unwrap_or_else(|e| panic!("{}: {e}", form.kind()));
        let view = form.view(&doc).unwrap();
        assert!(view.number.starts_with(form.prefix()), "{}", view.number);
        for (key, text) in &given {
            assert_eq!(view.values.get(key), Some(text), "{} {key}", form.kind());
        }
        let summary = crate::summary::summarize(
            "x",
            &doc,
            &Default::default(),
            &Default::default(),
            &Nothing,
            meta("ana", 6).at,
        )
        .unwrap();
        assert_eq!(summary.kind, form.kind());
        assert_eq!(summary.number, view.number);
        assert!(summary.open);
        assert_eq!(summary.status, view.status.0);
    }
}

#[test]
fn a_required_field_and_a_bad_number_are_refused_in_words() {
    let risk = of("risk").unwrap();
    let err = risk
        .create(
            &id(1),
            &values(&[("description", "  ")]),
            &Nothing,
            &meta("ana", 0),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "Risk: this is required");
    let mut doc = risk
        .create(
            &id(1),
            &values(&[("description", "Flood")]),
            &Nothing,
            &meta("ana", 0),
        )
        .unwrap();
    let err = risk
        .edit(
            &mut doc,
            &values(&[("likelihood", "lots")]),
            &Nothing,
            &meta("ana", 1),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Likelihood (1 to 5): 'lots' is not a number from 0 to 255"
    );
    let err = risk
        .edit(
            &mut doc,
            &values(&[("likelihood", "9")]),
            &Nothing,
            &meta("ana", 1),
        )
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Likelihood: enter 1 (lowest) to 5 (highest)"
    );
    let sla = of("sla").unwrap();
    let err = sla
        .create(
            &id(2),
            &values(&[("name", "Gold"), ("time_zone", "Mars/Olympus")]),
            &Nothing,
            &meta("ana", 0),
        )
        .unwrap_err();
    assert!(err.to_string().starts_with("Time zone: "), "{err}");
    risk.edit(
        &mut doc,
        &values(&[("likelihood", "4"), ("impact", "5")]),
        &Nothing,
        &meta("ana", 1),
    )
    .unwrap();
    let view = risk.view(&doc).unwrap();
    assert_eq!(view.values["likelihood"], "4");
    assert_eq!(view.sections[0].rows[0].text, "20 (likelihood × impact)");
}

#[test]
fn a_problem_closes_only_with_a_closed_fix_or_as_an_accepted_known_error() {
    let problem = of("problem").unwrap();
    let mut device = Device::default();
    let mut doc = problem
        .create(
            &id(1),
            &values(&[("title", "Printers drop off")]),
            &device,
            &meta("bo", 0),
        )
        .unwrap();
    problem
        .act(
            &mut doc,
            "link_incident",
            &values(&[("incident", "INC-1")]),
            &device,
            &meta("bo", 1),
        )
        .unwrap();
    problem
        .move_to(&mut doc, "investigating", "", &device, &meta("bo", 2))
        .unwrap();
    let err = problem
        .move_to(&mut doc, "closed", "", &device, &meta("bo", 3))
        .unwrap_err();
    assert_eq!(rule(err), WorkflowError::ProblemWithoutFix);

    // A fix change that is not closed yet, read from its own document.
    let change = of("change").unwrap();
    let change_doc = change
        .create(
            &id(2),
            &values(&[("title", "Firmware"), ("change_type", "normal")]),
            &device,
            &meta("bo", 4),
        )
        .unwrap();
    let change_number = change.view(&change_doc).unwrap().number;
    device.insert(change_number.clone(), change_doc);
    problem
        .edit(
            &mut doc,
            &values(&[("fix_change", &change_number)]),
            &Nothing,
            &meta("bo", 5),
        )
        .unwrap();
    let err = problem
        .move_to(&mut doc, "closed", "", &device, &meta("bo", 6))
        .unwrap_err();
    assert!(matches!(rule(err), WorkflowError::FixChangeOpen { .. }));

    let err = problem
        .act(
            &mut doc,
            "accept",
            &values(&[("reason", "old model")]),
            &device,
            &meta("bo", 7),
        )
        .unwrap_err();
    assert!(err.to_string().contains("documented workaround"), "{err}");
    problem
        .act(
            &mut doc,
            "known_error",
            &values(&[("workaround", "Power-cycle")]),
            &device,
            &meta("bo", 8),
        )
        .unwrap();
    problem
        .act(
            &mut doc,
            "accept",
            &values(&[("reason", "old model")]),
            &device,
            &meta("bo", 9),
        )
        .unwrap();
    problem
        .move_to(&mut doc, "closed", "", &device, &meta("bo", 10))
        .unwrap();
    let view = problem.view(&doc).unwrap();
    assert_eq!(view.status, ("closed", "Closed"));
    assert_eq!(view.sections[0].rows[0].text, "INC-1");
}

#[test]
fn a_request_follows_its_catalogue_item_and_resolves_once_every_step_is_done() {
    let mut device = Device::default();
    device.insert("SVC-1".into(), laptops("proposed"));

    let request = of("service_request").unwrap();
    let asked = values(&[("service", "SVC-1"), ("catalogue_item", "laptop")]);
    let err = request
        .create(&id(1), &asked, &device, &meta("cy", 1))
        .unwrap_err();
    assert!(matches!(rule(err), WorkflowError::ServiceNotLive { .. }));

    device.insert("SVC-1".into(), laptops("live"));
    let mut doc = request
        .create(&id(1), &asked, &device, &meta("cy", 3))
        .unwrap();
    let view = request.view(&doc).unwrap();
    assert_eq!(
        view.title, "New laptop",
        "the title defaults to the item's name"
    );
    let steps = &view.sections[0].rows;
    assert_eq!(steps.len(), 2);

    request
        .move_to(&mut doc, "in_progress", "", &device, &meta("cy", 4))
        .unwrap();
    let err = request
        .move_to(&mut doc, "resolved", "", &device, &meta("cy", 5))
        .unwrap_err();
    assert!(matches!(
        rule(err),
        WorkflowError::StepsOpen { open: 2, .. }
    ));
    for row in steps {
        let button = row.button.as_ref().unwrap();
        assert_eq!(button.label, "Done");
        request
            .act(
                &mut doc,
                button.action,
                &button.values,
                &device,
                &meta("cy", 6),
            )
            .unwrap();
    }
    let view = request.view(&doc).unwrap();
    assert!(
        view.sections[0].rows[0]
            .text
            .contains("✓ Order (done by cy)")
    );
    assert_eq!(
        view.sections[0].rows[0].button.as_ref().unwrap().label,
        "Reopen"
    );
    request
        .move_to(&mut doc, "resolved", "", &device, &meta("cy", 7))
        .unwrap();

    let summary = crate::summary::summarize(
        "r",
        &doc,
        &Default::default(),
        &Default::default(),
        &Nothing,
        meta("cy", 8).at,
    )
    .unwrap();
    assert!(!summary.open, "a resolved request's work is done");
    assert!(summary.sla.is_some(), "requests run an SLA clock");
}

#[test]
fn a_request_runs_against_the_active_sla_covering_its_service() {
    let mut device = Device::default();
    device.insert("SVC-1".into(), laptops("live"));
    // SLA-9: P3 (the default medium × medium) respond within 5 minutes.
    let mut sla = record(
        &SLA,
        "SLA-9",
        &[
            ("name", "Fast".into()),
            ("services", vec![Value::from("SVC-1")].into()),
        ],
    );
    let form = Form(&SLA);
    let target = values(&[("priority", "P3"), ("response", "5"), ("resolution", "60")]);
    form.act(&mut sla, "target", &target, &Nothing, &meta("ana", 0))
        .unwrap();
    form.move_to(&mut sla, "active", "", &Nothing, &meta("ana", 0))
        .unwrap();
    device.insert("SLA-9".into(), sla);

    let asked = values(&[("service", "SVC-1"), ("catalogue_item", "laptop")]);
    let doc = of("service_request")
        .unwrap()
        .create(&id(1), &asked, &device, &meta("cy", 1))
        .unwrap();
    let slas = Agreements::on(&device);
    let s = crate::summary::summarize(
        "r",
        &doc,
        &Default::default(),
        &slas,
        &Nothing,
        meta("cy", 2).at,
    )
    .unwrap();
    assert_eq!(s.agreement, "SLA-9");
    let left = s.sla.unwrap().response.left_ms(meta("cy", 2).at).unwrap();
    assert_eq!(left, 4 * 60_000, "five minutes from logging, one gone");
    let unknown = ticket_service(&device, "SVC-404").unwrap_err().to_string();
    assert!(unknown.contains("SVC-404"), "{unknown}");
    assert_eq!(
        ticket_service(&device, "SVC-1").unwrap(),
        ("SVC-1".to_string(), "SLA-9".to_string())
    );

    // Retired, the service takes no new incidents.
    device.insert("SVC-1".into(), laptops("retired"));
    let retired = ticket_service(&device, "SVC-1").unwrap_err().to_string();
    assert!(
        retired.contains("SVC-1 Laptops is retired: it takes no new incidents"),
        "{retired}"
    );
}

#[test]
fn a_normal_change_needs_the_cab_before_approval_and_a_review_before_closing() {
    let change = of("change").unwrap();
    let device = Device::default();
    let err = change
        .create(
            &id(1),
            &values(&[("title", "Swap core switch"), ("change_type", "standard")]),
            &device,
            &meta("di", 0),
        )
        .unwrap_err();
    assert_eq!(rule(err), WorkflowError::StandardWithoutTemplate);

    let mut doc = change
        .create(
            &id(1),
            &values(&[("title", "Swap core switch"), ("change_type", "normal")]),
            &device,
            &meta("di", 0),
        )
        .unwrap();
    change
        .act(
            &mut doc,
            "risk",
            &values(&[("risk_0", "true"), ("risk_1", "true")]),
            &device,
            &meta("di", 1),
        )
        .unwrap();
    assert_eq!(
        change.view(&doc).unwrap().sections[0].rows[0].text,
        "Score 6 — medium risk"
    );
    change
        .move_to(&mut doc, "submitted", "", &device, &meta("di", 2))
        .unwrap();
    let err = change
        .move_to(&mut doc, "approved", "", &device, &meta("di", 3))
        .unwrap_err();
    assert!(matches!(rule(err), WorkflowError::NoCabApproval { .. }));
    change
        .act(
            &mut doc,
            "decide",
            &values(&[("role", "cab"), ("decision", "approve"), ("comment", "ok")]),
            &device,
            &meta("eve", 4),
        )
        .unwrap();
    change
        .move_to(&mut doc, "approved", "", &device, &meta("di", 5))
        .unwrap();
    change
        .move_to(&mut doc, "implementing", "", &device, &meta("di", 6))
        .unwrap();
    change
        .move_to(&mut doc, "review", "", &device, &meta("di", 7))
        .unwrap();
    let err = change
        .move_to(&mut doc, "closed", "", &device, &meta("di", 8))
        .unwrap_err();
    assert!(matches!(rule(err), WorkflowError::NoReview { .. }));
    change
        .act(
            &mut doc,
            "review",
            &values(&[("summary", "Went fine")]),
            &device,
            &meta("di", 9),
        )
        .unwrap();
    change
        .move_to(&mut doc, "closed", "", &device, &meta("di", 10))
        .unwrap();
    let view = change.view(&doc).unwrap();
    assert_eq!(
        view.sections[1].rows[0].text,
        "Approved by eve (CAB member): ok"
    );
    assert!(view.moves.is_empty(), "closed is final");
}

#[test]
fn a_campaign_covers_its_sites_cis_and_refuses_an_unknown_tag() {
    let mut device = Device::default();
    for (n, site) in [(1, "north"), (2, "north"), (3, "south")] {
        let number = format!("CI-{n}");
        let fields = [
            ("name", "Switch".into()),
            ("site", site.into()),
            ("asset_tag", format!("TAG-{n}").into()),
        ];
        device.insert(
            number.clone(),
            record(&CONFIGURATION_ITEM, &number, &fields),
        );
    }
    let campaign = of("verification_campaign").unwrap();
    let mut doc = campaign
        .create(
            &id(1),
            &values(&[("name", "Q4"), ("site", "north")]),
            &device,
            &meta("fay", 1),
        )
        .unwrap();
    let err = campaign
        .act(
            &mut doc,
            "check",
            &values(&[
                ("tag", "TAG-3"),
                ("method", "typed"),
                ("result", "found_ok"),
            ]),
            &device,
            &meta("fay", 2),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("no CI in this campaign has the tag 'TAG-3'"),
        "{err}"
    );
    campaign
        .act(
            &mut doc,
            "check",
            &values(&[
                ("tag", "tag-1"),
                ("method", "typed"),
                ("result", "found_ok"),
            ]),
            &device,
            &meta("fay", 3),
        )
        .unwrap();
    let view = campaign.view(&doc).unwrap();
    assert_eq!(
        view.status.0, "in_progress",
        "the first check starts the campaign"
    );
    assert!(view.sections[0].rows[0].text.starts_with("1 of 2 checked"));
}

#[test]
fn a_standard_change_comes_from_an_approved_template_and_needs_no_cab() {
    let mut device = Device::default();
    let templates = of("change_template").unwrap();
    let mut template = templates
        .create(
            &id(1),
            &values(&[("name", "Reboot a till"), ("backout_plan", "None")]),
            &device,
            &meta("ana", 0),
        )
        .unwrap();
    let number = templates.view(&template).unwrap().number;
    device.insert(number.clone(), template.clone());
    let change = of("change").unwrap();
    let standard = values(&[
        ("change_type", "standard"),
        ("template", &number),
        ("title", ""),
    ]);
    let err = change
        .create(&id(2), &standard, &device, &meta("bo", 1))
        .unwrap_err();
    assert!(matches!(
        rule(err),
        WorkflowError::TemplateNotApproved { .. }
    ));

    templates
        .act(
            &mut template,
            "approve",
            &Values::new(),
            &device,
            &meta("cab", 2),
        )
        .unwrap();
    device.insert(number.clone(), template);
    let mut doc = change
        .create(&id(2), &standard, &device, &meta("bo", 3))
        .unwrap();
    let view = change.view(&doc).unwrap();
    assert_eq!(
        view.title, "Reboot a till",
        "the title defaults to the template's name"
    );
    assert_eq!(view.values["backout_plan"], "None");
    change
        .move_to(&mut doc, "implementing", "", &device, &meta("bo", 4))
        .unwrap();
}

#[test]
fn contacts_targets_and_tests_are_added_through_actions() {
    let customer = of("customer").unwrap();
    let mut doc = customer
        .create(
            &id(1),
            &values(&[("organisation", "City water")]),
            &Nothing,
            &meta("ana", 0),
        )
        .unwrap();
    let err = customer
        .act(
            &mut doc,
            "contact",
            &values(&[("email", "x@y")]),
            &Nothing,
            &meta("ana", 1),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "Name: this is required");
    customer
        .act(
            &mut doc,
            "contact",
            &values(&[("name", "Bo"), ("phone", "555")]),
            &Nothing,
            &meta("ana", 1),
        )
        .unwrap();
    customer
        .act(
            &mut doc,
            "satisfaction",
            &values(&[("score", "4")]),
            &Nothing,
            &meta("ana", 2),
        )
        .unwrap();
    let view = customer.view(&doc).unwrap();
    assert_eq!(view.sections[0].rows[0].text, "Bo · 555");
    assert_eq!(
        view.sections[1].rows[0].text,
        "Mean 4.0 of 5 over 1 survey(s)"
    );

    let plan = of("continuity_plan").unwrap();
    let mut doc = plan
        .create(
            &id(2),
            &values(&[("service", "Telemetry")]),
            &Nothing,
            &meta("ana", 0),
        )
        .unwrap();
    plan.act(
        &mut doc,
        "test",
        &values(&[("passed", "true"), ("notes", "Failover in 12 min")]),
        &Nothing,
        &meta("ana", 3),
    )
    .unwrap();
    assert_eq!(
        plan.view(&doc).unwrap().sections[1].rows[0].text,
        "Passed by ana: Failover in 12 min"
    );
}

#[test]
fn an_sla_week_reads_and_writes_as_one_line_per_day() {
    let sla = of("sla").unwrap();
    let mut doc = sla
        .create(
            &id(1),
            &values(&[("name", "Office hours")]),
            &Nothing,
            &meta("ana", 0),
        )
        .unwrap();
    assert!(sla.view(&doc).unwrap().values["week"].starts_with("Mon 00:00-24:00\nTue"));
    let week = "Mon 08:00-17:00\nTue 08:00-17:00\nWed 08:00-17:00\nThu 08:00-17:00\nFri 08:00-13:30\nSat closed\nSun closed";
    sla.edit(
        &mut doc,
        &values(&[("week", week)]),
        &Nothing,
        &meta("ana", 1),
    )
    .unwrap();
    assert_eq!(sla.view(&doc).unwrap().values["week"], week);
    let err = sla
        .edit(
            &mut doc,
            &values(&[("week", "Mon 9-5")]),
            &Nothing,
            &meta("ana", 2),
        )
        .unwrap_err();
    assert!(err.to_string().contains("seven lines"), "{err}");
    let err = sla
        .edit(
            &mut doc,
            &values(&[("week", &week.replace("13:30", "25:00"))]),
            &Nothing,
            &meta("ana", 2),
        )
        .unwrap_err();
    assert!(
        err.to_string()
            .contains("Fri: write the hours as 08:00-17:00"),
        "{err}"
    );
}

#[test]
fn a_management_review_action_is_ticked_done_from_its_row() {
    let review = of("management_review").unwrap();
    let mut doc = review
        .create(&id(1), &Values::new(), &Nothing, &meta("ana", 0))
        .unwrap();
    review
        .act(
            &mut doc,
            "action",
            &values(&[("text", "Replace the UPS"), ("owner", "bo")]),
            &Nothing,
            &meta("ana", 1),
        )
        .unwrap();
    let row = review.view(&doc).unwrap().sections[1].rows[0].clone();
    assert_eq!(row.text, "1. Replace the UPS (bo)");
    let button = row.button.unwrap();
    review
        .act(
            &mut doc,
            button.action,
            &button.values,
            &Nothing,
            &meta("bo", 2),
        )
        .unwrap();
    let row = review.view(&doc).unwrap().sections[1].rows[0].clone();
    assert_eq!(row.text, "1. ✓ Replace the UPS (bo)");
    assert!(row.button.is_none());
    let err = review
        .act(
            &mut doc,
            "action_done",
            &values(&[("action", "7")]),
            &Nothing,
            &meta("bo", 3),
        )
        .unwrap_err();
    assert_eq!(err.to_string(), "Action number: there is no action 7");
}

#[test]
fn a_summary_is_updated_at_the_latest_change_even_after_a_merge() {
    let risk = of("risk").unwrap();
    let mut a = risk
        .create(
            &id(1),
            &values(&[("description", "Flood")]),
            &Nothing,
            &meta("ana", 0),
        )
        .unwrap();
    let mut b = a.fork();
    risk.edit(
        &mut a,
        &values(&[("owner", "ana")]),
        &Nothing,
        &meta("ana", 5),
    )
    .unwrap();
    risk.edit(
        &mut b,
        &values(&[("treatment", "Pumps")]),
        &Nothing,
        &meta("bo", 9),
    )
    .unwrap();
    risk.edit(
        &mut a,
        &values(&[("source", "Audit")]),
        &Nothing,
        &meta("ana", 7),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    let summary = crate::summary::summarize(
        "r",
        &a,
        &Default::default(),
        &Default::default(),
        &Nothing,
        meta("x", 10).at,
    )
    .unwrap();
    assert_eq!(
        summary.updated_at,
        meta("bo", 9).at,
        "the later of the two heads"
    );
    assert_eq!(summary.created_at, meta("ana", 0).at);
}

#[test]
fn a_summary_counts_what_needs_a_person() {
    let risk = of("risk").unwrap();
    let mut a = risk
        .create(
            &id(1),
            &values(&[("description", "Flood")]),
            &Nothing,
            &meta("ana", 0),
        )
        .unwrap();
    let now = meta("x", 10).at;
    let count = |doc: &Automerge| {
        crate::summary::summarize(
            "r",
            doc,
            &Default::default(),
            &Default::default(),
            &Nothing,
            now,
        )
        .unwrap()
        .attention
    };
    assert_eq!(count(&a), 0);
    let mut b = a.fork();
    risk.edit(
        &mut a,
        &values(&[("owner", "ana")]),
        &Nothing,
        &meta("ana", 1),
    )
    .unwrap();
    risk.edit(
        &mut b,
        &values(&[("owner", "bo")]),
        &Nothing,
        &meta("bo", 2),
    )
    .unwrap();
    a.merge(&mut b).unwrap();
    assert_eq!(count(&a), 1, "the owner written on two devices at once");
}
