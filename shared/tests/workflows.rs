//! One test per workflow rule of iso20000.md, with the words a technician reads.

mod common;

use common::{act, edit_form, holding, incident_edit, meta, new, new_on, notes, to};
use shared::forms::Nothing;
use shared::model::{Facts, Record, Value};
use shared::priority::Priority;
use shared::records::change::{
    CabDecision, Collision, FreezeWindow, cab_decision, collisions, risk_score,
};
use shared::records::ci::{last_verified, tag_matches, under_warranty};
use shared::records::continuity::last_passed_test;
use shared::records::parties::gaps_against;
use shared::records::problem::{Problem, search_known_errors};
use shared::records::registers::{REVIEW_INPUTS, expired, gaps, missing_inputs, score};
use shared::records::{agreement::Sla, change::Change};
use shared::time::Timestamp;
use shared::workflow::WorkflowError;

fn incident() -> Record {
    let mut edit = incident_edit("Till offline", "");
    edit.impact = shared::priority::Level::High;
    edit.urgency = shared::priority::Level::High;
    common::incident("INC-1", &edit, &meta("ana", 1))
}

fn rule(e: shared::model::RecordError) -> WorkflowError {
    match e {
        shared::model::RecordError::Rule(rule) => rule,
        other => panic!("expected a workflow rule, got {other:?}"),
    }
}

// ------------------------------------------------------------------ incident

#[test]
fn incident_pending_needs_a_reason_given_as_the_note() {
    let mut inc = incident();
    edit_form(&mut inc, &[("status", "assigned")], &meta("ana", 2)).unwrap();
    let err = edit_form(&mut inc, &[("status", "pending")], &meta("ana", 3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "status: say why it is pending: a reason is required, and the SLA clock pauses until it moves on"
    );
    assert_eq!(inc.status(), "assigned", "a refused edit changes nothing");
    edit_form(
        &mut inc,
        &[("status", "pending"), ("note", "Waiting for the customer")],
        &meta("ana", 4),
    )
    .unwrap();
    assert_eq!(inc.current_reason(), "Waiting for the customer");
    assert_eq!(
        notes(&inc).last().map(String::as_str),
        Some("Status Assigned → Pending: Waiting for the customer")
    );
    let statuses: Vec<String> = inc.status_history().into_iter().map(|c| c.status).collect();
    assert_eq!(statuses, ["new", "assigned", "pending"]);
}

#[test]
fn major_incident_needs_an_owner_and_a_review_before_close() {
    let mut inc = incident();
    let m = meta("ana", 2);
    to(&mut inc, "in_progress", "", &m).unwrap();
    act(
        &mut inc,
        "resolve",
        &[("code", "replaced"), ("notes", "New PSU")],
        &m,
    )
    .unwrap();
    inc.set("major", true);
    assert_eq!(
        to(&mut inc, "closed", "", &m).unwrap_err().to_string(),
        "a major incident needs an owner before it can be closed"
    );
    assert_eq!(
        act(&mut inc, "major", &[("owner", " ")], &m)
            .unwrap_err()
            .to_string(),
        "Major incident owner: this is required"
    );
    act(
        &mut inc,
        "major",
        &[("owner", "cy"), ("reason", "Service down")],
        &m,
    )
    .unwrap();
    assert_eq!(
        to(&mut inc, "closed", "", &m).unwrap_err().to_string(),
        "a major incident needs a post-incident review before it can be closed"
    );
    act(
        &mut inc,
        "review",
        &[("summary", "PSU batch faulty; replace all")],
        &m,
    )
    .unwrap();
    to(&mut inc, "closed", "", &m).unwrap();
    assert_eq!(inc.status(), "closed");
}

#[test]
fn declaring_a_major_incident_needs_why_and_an_owner_picked_from_the_directory() {
    let mut inc = incident();
    let m = meta("ana", 2);
    assert_eq!(
        act(&mut inc, "major", &[("owner", "cy"), ("reason", "  ")], &m)
            .unwrap_err()
            .to_string(),
        "Why it is major: this is required"
    );
    assert!(!inc.bool("major"), "nothing is declared without a reason");
    act(
        &mut inc,
        "major",
        &[
            ("owner", "cy"),
            ("reason", "Every till in the north is down"),
        ],
        &m,
    )
    .unwrap();
    assert!(inc.bool("major"));
    assert_eq!(inc.str("major_owner"), "cy");
    assert_eq!(
        notes(&inc).last().unwrap(),
        "Declared a major incident, owner cy: Every till in the north is down"
    );
    // The owner is chosen from people, by name (the app's person picker).
    let form = shared::forms::of("incident").unwrap();
    let major = form
        .actions()
        .into_iter()
        .find(|a| a.key == "major")
        .unwrap();
    let owner = major.inputs.iter().find(|i| i.key == "owner").unwrap();
    assert_eq!(owner.pick, shared::forms::Pick::Person);
    let assignee = form
        .fields()
        .into_iter()
        .find(|f| f.key == "assignee")
        .unwrap();
    assert_eq!(assignee.pick, shared::forms::Pick::Person);
}

#[test]
fn closed_incident_can_reopen_but_not_skip_steps() {
    let mut inc = incident();
    let m = meta("ana", 2);
    assert!(to(&mut inc, "closed", "", &m).is_err());
    to(&mut inc, "resolved", "", &m).unwrap();
    to(&mut inc, "closed", "", &m).unwrap();
    to(&mut inc, "in_progress", "customer called back", &m).unwrap();
    assert_eq!(
        notes(&inc).last().map(String::as_str),
        Some("Status Closed → In progress: customer called back")
    );
}

// ------------------------------------------------------------------ service request

/// Service SVC-1, Field IT, with a laptop offering, as `who` keeps it on a device.
fn service(owner: &str) -> Record {
    let m = meta("ana", 1);
    let mut s = new(
        "service",
        "SVC-1",
        &[("name", "Field IT"), ("owner", owner)],
        &m,
    );
    act(
        &mut s,
        "offering",
        &[
            ("key", "laptop"),
            ("name", "New laptop"),
            ("steps", "Order\nHand over"),
        ],
        &m,
    )
    .unwrap();
    s
}

fn request(svc: &Record, item: &str) -> Result<Record, shared::model::RecordError> {
    let asked = [("service", "SVC-1"), ("catalogue_item", item)];
    new_on(
        "service_request",
        "REQ-1",
        &asked,
        &holding(&[svc]),
        &meta("ana", 2),
    )
}

#[test]
fn a_service_goes_live_only_with_an_owner_and_takes_requests_only_when_live() {
    let m = meta("ana", 2);
    let mut svc = service("");
    assert_eq!(
        request(&svc, "laptop").unwrap_err().to_string(),
        "Field IT is proposed and takes no new requests"
    );
    assert_eq!(
        to(&mut svc, "live", "", &m).unwrap_err().to_string(),
        "a service needs an owner before it can be live"
    );
    svc.set("owner", "ana");
    to(&mut svc, "live", "", &m).unwrap();
    assert!(request(&svc, "laptop").is_ok());
    assert_eq!(
        request(&svc, "phone").unwrap_err().to_string(),
        "'phone' is not offered by Field IT"
    );
    to(&mut svc, "retired", "", &m).unwrap();
    assert_eq!(
        request(&svc, "laptop").unwrap_err().to_string(),
        "Field IT is retired and takes no new requests"
    );
    assert!(to(&mut svc, "live", "", &m).is_err(), "retired is final");
}

#[test]
fn a_request_is_fulfilled_only_when_every_step_is_ticked() {
    let m = meta("ana", 2);
    let mut svc = service("ana");
    to(&mut svc, "live", "", &m).unwrap();
    let mut req = request(&svc, "laptop").unwrap();
    assert_eq!(req.str("title"), "New laptop");
    to(&mut req, "in_progress", "", &m).unwrap();
    act(&mut req, "tick", &[("step", "1"), ("done", "true")], &m).unwrap();
    assert_eq!(
        to(&mut req, "resolved", "", &m).unwrap_err().to_string(),
        "tick off the 1 remaining fulfilment step(s) before the request can be resolved"
    );
    assert_eq!(
        act(&mut req, "tick", &[("step", "6"), ("done", "true")], &m)
            .unwrap_err()
            .to_string(),
        "there is no step 6 on this request"
    );
    act(&mut req, "tick", &[("step", "2"), ("done", "true")], &m).unwrap();
    to(&mut req, "resolved", "", &m).unwrap();
    assert!(notes(&req).contains(&"Step 2 done: Hand over".to_string()));
}

// ------------------------------------------------------------------ problem

#[test]
fn a_problem_closes_only_with_its_fix_change_closed_or_as_an_accepted_known_error() {
    let m = meta("ana", 2);
    let mut p = new("problem", "PRB-1", &[("title", "Scanners drop wifi")], &m);
    to(&mut p, "investigating", "", &m).unwrap();
    assert_eq!(
        to(&mut p, "closed", "", &m).unwrap_err(),
        WorkflowError::ProblemWithoutFix
    );
    edit_form(&mut p, &[("fix_change", "CHG-9")], &m).unwrap();
    let open = Facts::default().with("CHG-9", "implementing");
    assert_eq!(
        p.move_to("closed", "", &open, &m).unwrap_err().to_string(),
        "the fix change CHG-9 is not closed yet; close it first or accept the problem as a known error"
    );
    let closed = Facts::default().with("CHG-9", "closed");
    p.move_to("closed", "", &closed, &m).unwrap();
}

#[test]
fn accepting_a_known_error_needs_a_workaround_and_lets_the_problem_close() {
    let m = meta("ana", 2);
    let mut p = new("problem", "PRB-1", &[("title", "Printer driver crash")], &m);
    assert!(act(&mut p, "accept", &[("reason", "vendor will not fix")], &m).is_err());
    act(
        &mut p,
        "known_error",
        &[("workaround", "Use the PCL driver")],
        &m,
    )
    .unwrap();
    act(&mut p, "accept", &[("reason", "vendor will not fix")], &m).unwrap();
    to(&mut p, "closed", "", &m).unwrap();
    let problems = [
        Problem::of(&p),
        Problem::of(&new("problem", "PRB-2", &[("title", "Printer jam")], &m)),
    ];
    let found = search_known_errors(&problems, "PRINTER pcl");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].number, "PRB-1");
}

// ------------------------------------------------------------------ change

fn normal_change() -> Record {
    let mut c = new(
        "change",
        "CHG-1",
        &[("change_type", "normal"), ("title", "Upgrade core switch")],
        &meta("ana", 1),
    );
    to(&mut c, "submitted", "", &meta("ana", 2)).unwrap();
    c
}

fn decide(c: &mut Record, role: &str, decision: &str, comment: &str, who: &str, at: i64) {
    let pairs = [("role", role), ("decision", decision), ("comment", comment)];
    act(c, "decide", &pairs, &meta(who, at)).unwrap();
}

#[test]
fn a_normal_change_needs_cab_approval_before_implementation() {
    let m = meta("ana", 3);
    let mut c = normal_change();
    assert_eq!(
        to(&mut c, "implementing", "", &m).unwrap_err().to_string(),
        "a normal change needs CAB approval before it can be implemented"
    );
    decide(&mut c, "cab", "reject", "no backout plan", "cab1", 4);
    assert_eq!(
        to(&mut c, "approved", "", &m).unwrap_err().to_string(),
        "the CAB rejected this change (cab1: no backout plan); it cannot be approved"
    );
    // A later decision by the same member replaces the earlier one.
    decide(&mut c, "cab", "approve", "backout plan added", "cab1", 5);
    assert_eq!(cab_decision(&c), CabDecision::Approved);
    to(&mut c, "approved", "", &m).unwrap();
    to(&mut c, "implementing", "", &m).unwrap();
    to(&mut c, "review", "", &m).unwrap();
    assert_eq!(
        to(&mut c, "closed", "", &m).unwrap_err().to_string(),
        "a normal change needs its post-implementation review before it can be closed"
    );
    act(&mut c, "review", &[("summary", "Went to plan")], &m).unwrap();
    to(&mut c, "closed", "", &m).unwrap();
    assert_eq!(c.list("approvals").len(), 2, "approvals only grow");
}

#[test]
fn an_emergency_change_needs_an_emergency_approver_and_a_retrospective_review() {
    let m = meta("ana", 3);
    let mut c = new(
        "change",
        "CHG-2",
        &[("change_type", "emergency"), ("title", "Block exploit")],
        &m,
    );
    assert_eq!(
        to(&mut c, "implementing", "", &m).unwrap_err().to_string(),
        "an emergency change needs an emergency approver's approval before it can be implemented"
    );
    decide(&mut c, "cab", "approve", "", "cab1", 4);
    assert!(
        to(&mut c, "implementing", "", &m).is_err(),
        "a CAB member is not the emergency approver"
    );
    decide(&mut c, "emergency", "approve", "go", "duty", 4);
    to(&mut c, "implementing", "", &m).unwrap();
    to(&mut c, "review", "", &m).unwrap();
    assert_eq!(
        to(&mut c, "closed", "", &m).unwrap_err().to_string(),
        "an emergency change needs its retrospective review before it can be closed"
    );
}

#[test]
fn standard_changes_come_only_from_approved_templates() {
    let m = meta("ana", 3);
    let standard = [("change_type", "standard"), ("title", "Reboot")];
    let err = new_on("change", "CHG-3", &standard, &Nothing, &m).unwrap_err();
    assert_eq!(rule(err), WorkflowError::StandardWithoutTemplate);
    let mut template = new(
        "change_template",
        "TPL-1",
        &[
            ("name", "Reboot a till"),
            ("implementation_plan", "Hold power 10 s"),
            ("backout_plan", "None needed"),
        ],
        &m,
    );
    let from = [
        ("change_type", "standard"),
        ("template", "TPL-1"),
        ("title", ""),
    ];
    let err = new_on("change", "CHG-3", &from, &holding(&[&template]), &m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "the template 'Reboot a till' is not approved for standard changes"
    );
    act(&mut template, "approve", &[], &m).unwrap();
    let mut c = new_on("change", "CHG-3", &from, &holding(&[&template]), &m).unwrap();
    assert_eq!(c.str("implementation_plan"), "Hold power 10 s");
    to(&mut c, "implementing", "", &m).unwrap();
    to(&mut c, "review", "", &m).unwrap();
    to(&mut c, "closed", "", &m).unwrap();
}

#[test]
fn rejecting_or_cancelling_a_change_needs_a_reason() {
    let mut c = normal_change();
    assert_eq!(
        to(&mut c, "cancelled", " ", &meta("ana", 3))
            .unwrap_err()
            .to_string(),
        "say why it is cancelled: a reason is required"
    );
    to(&mut c, "cancelled", "superseded by CHG-7", &meta("ana", 3)).unwrap();
    assert_eq!(
        to(&mut c, "draft", "", &meta("ana", 4))
            .unwrap_err()
            .to_string(),
        "a change cannot go from Cancelled to Draft (from Cancelled it can go to nowhere: it is final)"
    );
}

#[test]
fn change_calendar_shows_collisions_with_changes_and_freezes() {
    let change = |number: &str, from: i64, to: i64, cis: &[&str]| {
        let mut c = Change::of(&normal_change());
        c.number = number.into();
        c.planned_start = Some(Timestamp(from));
        c.planned_end = Some(Timestamp(to));
        c.affected_cis = cis.iter().map(|s| s.to_string()).collect();
        c
    };
    let a = change("CHG-1", 10, 20, &["CI-1"]);
    let b = change("CHG-2", 15, 30, &["CI-1", "CI-2"]);
    let c = change("CHG-3", 20, 25, &[]);
    let freeze = FreezeWindow {
        name: "Year end".into(),
        start: Timestamp(28),
        end: Timestamp(40),
    };
    let found = collisions(&[a, b, c], &[freeze]);
    assert_eq!(
        found,
        [
            Collision::Changes {
                a: "CHG-1".into(),
                b: "CHG-2".into(),
                shared: vec!["CI-1".into()]
            },
            Collision::Changes {
                a: "CHG-2".into(),
                b: "CHG-3".into(),
                shared: vec![]
            },
            Collision::Freeze {
                change: "CHG-2".into(),
                freeze: "Year end".into()
            },
        ]
    );
}

#[test]
fn change_risk_score_is_the_sum_of_its_answers() {
    let mut c = normal_change();
    // Yes to "touches a live service" (3) and "first time" (2), and to the backout plan (2).
    act(
        &mut c,
        "risk",
        &[("risk_0", "true"), ("risk_2", "true"), ("risk_3", "true")],
        &meta("ana", 3),
    )
    .unwrap();
    assert_eq!(risk_score(&c), 7);
}

// ------------------------------------------------------------------ release

#[test]
fn a_release_deploys_only_after_acceptance_and_a_failure_is_investigated() {
    let m = meta("ana", 2);
    let mut r = new("release", "REL-1", &[("name", "Till 4.2")], &m);
    to(&mut r, "testing", "", &m).unwrap();
    act(
        &mut r,
        "acceptance",
        &[("passed", "false"), ("notes", "crashes on refund")],
        &m,
    )
    .unwrap();
    assert_eq!(
        to(&mut r, "deploying", "", &m).unwrap_err().to_string(),
        "a release needs a passed acceptance test before it can be deploying"
    );
    act(
        &mut r,
        "acceptance",
        &[("passed", "true"), ("notes", "all green")],
        &m,
    )
    .unwrap();
    assert!(to(&mut r, "deploying", "", &m).is_err(), "no rollback plan");
    r.set("rollback_plan", "Reinstall 4.1");
    to(&mut r, "deploying", "", &m).unwrap();
    to(&mut r, "failed", "", &m).unwrap();
    assert_eq!(
        to(&mut r, "closed", "", &m).unwrap_err().to_string(),
        "a release needs a linked incident or problem investigating the failure before it can be closed"
    );
    r.push("investigations", "PRB-4");
    to(&mut r, "closed", "", &m).unwrap();
}

// ------------------------------------------------------------------ CI and asset

#[test]
fn ci_relationships_and_verifications_are_recorded() {
    let m = meta("ana", 2);
    let mut ci = new(
        "configuration_item",
        "CI-1",
        &[
            ("name", "Till 3"),
            ("ci_type", "hardware"),
            ("asset_tag", "T-0042"),
        ],
        &m,
    );
    act(
        &mut ci,
        "relate",
        &[("kind", "runs_on"), ("target", "CI-9")],
        &m,
    )
    .unwrap();
    act(
        &mut ci,
        "relate",
        &[("kind", "runs_on"), ("target", "CI-9")],
        &m,
    )
    .unwrap();
    assert_eq!(ci.list("relationships").len(), 1);
    assert!(
        act(
            &mut ci,
            "relate",
            &[("kind", "part_of"), ("target", "CI-1")],
            &m
        )
        .is_err(),
        "not related to itself"
    );
    assert!(tag_matches(ci.str("asset_tag"), ci.number(), " t-0042 "));
    let not_there = [
        ("method", "scanned"),
        ("found", "false"),
        ("note", "not on shelf"),
    ];
    act(&mut ci, "verify", &not_there, &meta("bo", 5)).unwrap();
    assert_eq!(last_verified(&ci), None);
    act(
        &mut ci,
        "verify",
        &[("method", "typed"), ("found", "true")],
        &meta("bo", 9),
    )
    .unwrap();
    assert_eq!(last_verified(&ci), Some(Timestamp(9)));
    to(&mut ci, "active", "", &m).unwrap();
    to(&mut ci, "retired", "", &m).unwrap();
    assert!(to(&mut ci, "active", "", &m).is_err());
}

#[test]
fn a_deployed_asset_has_an_owner_and_a_location() {
    let m = meta("ana", 2);
    let mut a = new("asset", "AST-1", &[("tag", "T-1"), ("model", "TC52")], &m);
    to(&mut a, "in_stock", "", &m).unwrap();
    assert_eq!(
        to(&mut a, "deployed", "", &m).unwrap_err().to_string(),
        "an asset needs an owner and a location before it can be deployed"
    );
    a.set("owner", "bo");
    a.set("location", "Store 12");
    to(&mut a, "deployed", "", &m).unwrap();
    a.set("warranty_until", Timestamp(100));
    assert!(under_warranty(&a, Timestamp(100)));
    assert!(!under_warranty(&a, Timestamp(101)));
}

// ------------------------------------------------------------------ complaint, SLA, contract

#[test]
fn complaints_have_their_own_lifecycle() {
    let m = meta("ana", 2);
    let mut c = new(
        "complaint",
        "CMP-1",
        &[
            ("customer", "CUS-1"),
            ("description", "Engineer late twice"),
        ],
        &m,
    );
    assert!(
        to(&mut c, "closed", "", &m).is_err(),
        "received cannot close"
    );
    to(&mut c, "investigating", "", &m).unwrap();
    assert_eq!(
        to(&mut c, "responded", "", &m).unwrap_err().to_string(),
        "a complaint needs the findings of the investigation before it can be responded"
    );
    c.set("findings", "Rota gap on Mondays");
    to(&mut c, "responded", "", &m).unwrap();
    assert!(to(&mut c, "closed", "", &m).is_err());
    c.set("response", "Rota fixed, apology sent");
    to(&mut c, "closed", "", &m).unwrap();
    to(&mut c, "investigating", "customer disagrees", &m).unwrap();
}

fn targets(r: &mut Record, targets: &[(&str, &str, &str)]) {
    for (priority, response, resolution) in targets {
        let pairs = [
            ("priority", *priority),
            ("response", response),
            ("resolution", resolution),
        ];
        act(r, "target", &pairs, &meta("ana", 2)).unwrap();
    }
}

#[test]
fn an_sla_is_activated_only_with_targets_and_a_valid_calendar() {
    let m = meta("ana", 2);
    let mut sla = new(
        "sla",
        "SLA-1",
        &[("name", "Gold"), ("customer", "CUS-1")],
        &m,
    );
    assert_eq!(sla.list("pause_statuses"), [Value::from("pending")]);
    assert!(to(&mut sla, "active", "", &m).is_err());
    targets(&mut sla, &[("P1", "15", "240")]);
    sla.set_at("calendar.time_zone", "Mars/Olympus".into());
    assert_eq!(
        to(&mut sla, "active", "", &m).unwrap_err().to_string(),
        "the business-hours calendar is not valid: 'Mars/Olympus' is not a time zone; use an IANA name such as Europe/Berlin"
    );
    sla.set_at("calendar.time_zone", "Europe/Berlin".into());
    to(&mut sla, "active", "", &m).unwrap();
}

#[test]
fn supplier_targets_are_checked_against_the_sla_they_support() {
    let m = meta("ana", 2);
    let mut sla = new(
        "sla",
        "SLA-1",
        &[("name", "Gold"), ("customer", "CUS-1")],
        &m,
    );
    targets(&mut sla, &[("P1", "15", "240"), ("P2", "60", "480")]);
    let mut con = new(
        "contract",
        "CON-1",
        &[("supplier", "SUP-1"), ("scope", "WAN links")],
        &m,
    );
    targets(&mut con, &[("P1", "10", "300")]);
    let gaps = gaps_against(&con, &Sla::of(&sla));
    let described: Vec<(Priority, &str, Option<u32>)> = gaps
        .iter()
        .map(|g| (g.priority, g.target, g.supplier_minutes))
        .collect();
    assert_eq!(
        described,
        [
            (Priority::P1, "resolution", Some(300)),
            (Priority::P2, "response", None),
            (Priority::P2, "resolution", None)
        ]
    );
    assert!(to(&mut con, "active", "", &m).is_err(), "needs dates");
    con.set("starts", Timestamp(1));
    con.set("ends", Timestamp(2));
    to(&mut con, "active", "", &m).unwrap();
    assert!(
        to(&mut con, "terminated", "", &m).is_err(),
        "needs a reason"
    );
}

#[test]
fn a_continuity_plan_is_approved_only_when_it_can_be_followed() {
    let m = meta("ana", 2);
    let mut plan = new("continuity_plan", "BCP-1", &[("service", "SVC-1")], &m);
    assert!(to(&mut plan, "approved", "", &m).is_err());
    edit_form(
        &mut plan,
        &[
            ("invocation_criteria", "Data centre down > 1 h"),
            ("procedures", "Fail over to site B"),
        ],
        &m,
    )
    .unwrap();
    act(
        &mut plan,
        "contact",
        &[("name", "Duty manager"), ("phone", "+49 30 1234")],
        &m,
    )
    .unwrap();
    to(&mut plan, "approved", "", &m).unwrap();
    act(
        &mut plan,
        "test",
        &[("passed", "true"), ("notes", "Fail-over in 40 min")],
        &meta("ana", 7),
    )
    .unwrap();
    assert_eq!(last_passed_test(&plan), Some(Timestamp(7)));
}

// ------------------------------------------------------------------ registers

#[test]
fn register_entries_close_on_evidence() {
    let m = meta("ana", 2);
    let mut risk = new(
        "risk",
        "RSK-1",
        &[
            ("description", "Flood in store 3"),
            ("likelihood", "2"),
            ("impact", "5"),
        ],
        &m,
    );
    assert_eq!(score(&risk), 10);
    assert_eq!(
        to(&mut risk, "closed", "", &m).unwrap_err().to_string(),
        "a risk needs a treatment before it can be closed"
    );
    risk.set("treatment", "Move server upstairs");
    to(&mut risk, "closed", "", &m).unwrap();

    let mut ncf = new(
        "nonconformity",
        "NCF-1",
        &[("finding", "PIR missing on CHG-4"), ("source", "AUD-1")],
        &m,
    );
    ncf.set("corrective_action", "PIR made mandatory");
    assert_eq!(
        to(&mut ncf, "closed", "", &m).unwrap_err().to_string(),
        "a nonconformity needs an effectiveness check before it can be closed"
    );
    act(
        &mut ncf,
        "effectiveness",
        &[("summary", "No misses in Q1")],
        &m,
    )
    .unwrap();
    to(&mut ncf, "closed", "", &m).unwrap();

    let mut imp = new(
        "improvement",
        "IMP-1",
        &[("opportunity", "Triage faster"), ("source", "idea")],
        &m,
    );
    assert!(to(&mut imp, "closed", "", &m).is_err());
    imp.set("measured_outcome", "Median triage 4 min (was 11)");
    to(&mut imp, "closed", "", &m).unwrap();
}

#[test]
fn an_audit_closes_only_with_its_nonconformities_raised() {
    let m = meta("ana", 2);
    let mut audit = new(
        "internal_audit",
        "AUD-1",
        &[("programme", "2026"), ("scope", "Change management")],
        &m,
    );
    to(&mut audit, "in_progress", "", &m).unwrap();
    act(
        &mut audit,
        "finding",
        &[
            ("kind", "nonconformity"),
            ("text", "Emergency change without review"),
        ],
        &m,
    )
    .unwrap();
    to(&mut audit, "reported", "", &m).unwrap();
    assert!(to(&mut audit, "closed", "", &m).is_err());
    if let Some(Value::Group(finding)) = audit.list_mut("findings").first_mut() {
        finding.set("nonconformity", "NCF-1");
    }
    to(&mut audit, "closed", "", &m).unwrap();
}

#[test]
fn a_management_review_covers_every_required_input() {
    let m = meta("ana", 2);
    let mut review = new("management_review", "MRV-1", &[], &m);
    assert!(to(&mut review, "held", "", &m).is_err(), "no attendees");
    edit_form(&mut review, &[("attendees", "ana\ncy")], &m).unwrap();
    to(&mut review, "held", "", &m).unwrap();
    edit_form(
        &mut review,
        &[("inputs_covered", &REVIEW_INPUTS[..7].join("\n"))],
        &m,
    )
    .unwrap();
    assert_eq!(missing_inputs(&review), ["opportunities for improvement"]);
    assert!(to(&mut review, "closed", "", &m).is_err());
    review.push("inputs_covered", REVIEW_INPUTS[7]);
    to(&mut review, "closed", "", &m).unwrap();
}

#[test]
fn competence_gaps_and_expired_certificates() {
    let m = meta("ana", 2);
    let mut c = new(
        "competence",
        "CMT-1",
        &[
            ("person", "bo"),
            ("role", "network technician"),
            ("skills_required", "fibre splicing\nVLANs"),
            ("skills_held", "VLANs"),
        ],
        &m,
    );
    act(
        &mut c,
        "certificate",
        &[("name", "CCNA"), ("expires", "50")],
        &m,
    )
    .unwrap();
    assert_eq!(gaps(&c), ["fibre splicing"]);
    assert!(expired(&c, Timestamp(50)).is_empty());
    assert_eq!(expired(&c, Timestamp(51)).len(), 1);
    to(&mut c, "inactive", "left the company", &m).unwrap();
}
