//! One test per workflow rule of iso20000.md, with the words a technician reads.

mod common;

use common::meta;
use shared::records::agreement::{PriorityTarget, Sla};
use shared::records::change::*;
use shared::records::ci::{
    Asset, AssetStatus, CiStatus, ConfigurationItem, RelationKind, VerifyMethod,
};
use shared::records::continuity::{ContinuityPlan, PlanStatus};
use shared::records::incident::{Incident, IncidentEdit, IncidentStatus};
use shared::records::journal::Contact;
use shared::records::parties::{Complaint, ComplaintStatus, Contract, ContractStatus};
use shared::records::priority::{Level, Priority};
use shared::records::problem::{Problem, ProblemFacts, ProblemStatus, search_known_errors};
use shared::records::registers::*;
use shared::records::release::{Release, ReleaseStatus};
use shared::records::request::ServiceRequest;
use shared::records::service::{Offering, Service, ServiceState};
use shared::sla::Calendar;
use shared::time::Timestamp;
use shared::workflow::{Workflow, WorkflowError};

fn incident() -> Incident {
    let edit = IncidentEdit {
        title: "Till offline".into(),
        description: String::new(),
        impact: Level::High,
        urgency: Level::High,
        status: IncidentStatus::New,
        assignee: String::new(),
        note: String::new(),
    };
    Incident::create("INC-1".into(), edit, &meta("ana", 1)).unwrap()
}

fn notes<R: Workflow>(r: &R) -> Vec<&str> {
    r.work_log().iter().map(|e| e.note.as_str()).collect()
}

// ------------------------------------------------------------------ incident

#[test]
fn incident_pending_needs_a_reason_given_as_the_note() {
    let mut inc = incident();
    let mut e = inc.edit_form();
    e.status = IncidentStatus::Assigned;
    inc.apply(e, &meta("ana", 2)).unwrap();
    let mut e = inc.edit_form();
    e.status = IncidentStatus::Pending;
    let err = inc.apply(e.clone(), &meta("ana", 3)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "status: say why it is pending: a reason is required, and the SLA clock pauses until it moves on"
    );
    assert_eq!(
        inc.status,
        IncidentStatus::Assigned,
        "a refused edit changes nothing"
    );
    e.note = "Waiting for the customer".into();
    inc.apply(e, &meta("ana", 4)).unwrap();
    assert_eq!(inc.current_reason(), "Waiting for the customer");
    assert_eq!(
        notes(&inc).last(),
        Some(&"Status Assigned → Pending: Waiting for the customer")
    );
    let statuses: Vec<&str> = inc
        .status_history
        .iter()
        .map(|c| c.status.as_str())
        .collect();
    assert_eq!(statuses, ["new", "assigned", "pending"]);
}

#[test]
fn major_incident_needs_an_owner_and_a_review_before_close() {
    let mut inc = incident();
    let m = meta("ana", 2);
    inc.move_to(IncidentStatus::InProgress, "", &m).unwrap();
    inc.resolve("replaced", "New PSU", &m).unwrap();
    inc.major = true;
    assert_eq!(
        inc.move_to(IncidentStatus::Closed, "", &m)
            .unwrap_err()
            .to_string(),
        "a major incident needs an owner before it can be closed"
    );
    assert_eq!(
        inc.declare_major(" ", &m).unwrap_err(),
        WorkflowError::Empty("the major incident owner")
    );
    inc.declare_major("cy", &m).unwrap();
    assert_eq!(
        inc.move_to(IncidentStatus::Closed, "", &m)
            .unwrap_err()
            .to_string(),
        "a major incident needs a post-incident review before it can be closed"
    );
    inc.record_review("PSU batch faulty; replace all", &m)
        .unwrap();
    inc.move_to(IncidentStatus::Closed, "", &m).unwrap();
    assert_eq!(inc.status, IncidentStatus::Closed);
}

#[test]
fn closed_incident_can_reopen_but_not_skip_steps() {
    let mut inc = incident();
    let m = meta("ana", 2);
    assert!(inc.move_to(IncidentStatus::Closed, "", &m).is_err());
    inc.move_to(IncidentStatus::Resolved, "", &m).unwrap();
    inc.move_to(IncidentStatus::Closed, "", &m).unwrap();
    inc.move_to(IncidentStatus::InProgress, "customer called back", &m)
        .unwrap();
    assert_eq!(
        notes(&inc).last(),
        Some(&"Status Closed → In progress: customer called back")
    );
}

// ------------------------------------------------------------------ service request

fn service() -> Service {
    let m = meta("ana", 1);
    let mut s = Service::create("SVC-1".into(), "Field IT", "", &m).unwrap();
    s.offerings.push(Offering {
        key: "laptop".into(),
        name: "New laptop".into(),
        description: String::new(),
        steps: vec!["Order".into(), "Hand over".into()],
    });
    s
}

#[test]
fn a_service_goes_live_only_with_an_owner_and_takes_requests_only_when_live() {
    let m = meta("ana", 2);
    let mut svc = service();
    let err = ServiceRequest::create("REQ-1".into(), &svc, "laptop", "", &m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Field IT is proposed and takes no new requests"
    );
    assert_eq!(
        svc.move_to(ServiceState::Live, "", &m)
            .unwrap_err()
            .to_string(),
        "a service needs an owner before it can be live"
    );
    svc.owner = "ana".into();
    svc.move_to(ServiceState::Live, "", &m).unwrap();
    assert!(ServiceRequest::create("REQ-1".into(), &svc, "laptop", "", &m).is_ok());
    assert_eq!(
        ServiceRequest::create("REQ-1".into(), &svc, "phone", "", &m)
            .unwrap_err()
            .to_string(),
        "'phone' is not offered by Field IT"
    );
    svc.move_to(ServiceState::Retired, "", &m).unwrap();
    let err = ServiceRequest::create("REQ-2".into(), &svc, "laptop", "", &m).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Field IT is retired and takes no new requests"
    );
    assert!(
        svc.move_to(ServiceState::Live, "", &m).is_err(),
        "retired is final"
    );
}

#[test]
fn a_request_is_fulfilled_only_when_every_step_is_ticked() {
    let m = meta("ana", 2);
    let mut svc = service();
    svc.owner = "ana".into();
    svc.move_to(ServiceState::Live, "", &m).unwrap();
    let mut req = ServiceRequest::create("REQ-1".into(), &svc, "laptop", "", &m).unwrap();
    assert_eq!(req.title, "New laptop");
    req.move_to(shared::records::ticket::TicketStatus::InProgress, "", &m)
        .unwrap();
    req.tick(0, true, &m).unwrap();
    let err = req
        .move_to(shared::records::ticket::TicketStatus::Resolved, "", &m)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "tick off the 1 remaining fulfilment step(s) before the request can be resolved"
    );
    assert_eq!(
        req.tick(5, true, &m).unwrap_err().to_string(),
        "there is no step 6 on this request"
    );
    req.tick(1, true, &m).unwrap();
    req.move_to(shared::records::ticket::TicketStatus::Resolved, "", &m)
        .unwrap();
    assert!(notes(&req).contains(&"Step 2 done: Hand over"));
}

// ------------------------------------------------------------------ problem

#[test]
fn a_problem_closes_only_with_its_fix_change_closed_or_as_an_accepted_known_error() {
    let m = meta("ana", 2);
    let mut p = Problem::create("PRB-1".into(), "Scanners drop wifi", &m).unwrap();
    p.move_to(ProblemStatus::Investigating, "", &m).unwrap();
    assert_eq!(
        p.move_to(ProblemStatus::Closed, "", &m).unwrap_err(),
        WorkflowError::ProblemWithoutFix
    );
    p.set_fix_change("CHG-9", &m);
    let open = ProblemFacts {
        fix_change: Some(ChangeStatus::Implementing),
    };
    assert_eq!(
        p.move_to_with(ProblemStatus::Closed, "", &open, &m)
            .unwrap_err()
            .to_string(),
        "the fix change CHG-9 is not closed yet; close it first or accept the problem as a known error"
    );
    let closed = ProblemFacts {
        fix_change: Some(ChangeStatus::Closed),
    };
    p.move_to_with(ProblemStatus::Closed, "", &closed, &m)
        .unwrap();
}

#[test]
fn accepting_a_known_error_needs_a_workaround_and_lets_the_problem_close() {
    let m = meta("ana", 2);
    let mut p = Problem::create("PRB-1".into(), "Printer driver crash", &m).unwrap();
    assert!(p.accept_known_error("vendor will not fix", &m).is_err());
    p.mark_known_error("Use the PCL driver", &m).unwrap();
    p.accept_known_error("vendor will not fix", &m).unwrap();
    p.move_to(ProblemStatus::Closed, "", &m).unwrap();
    let problems = [
        p,
        Problem::create("PRB-2".into(), "Printer jam", &m).unwrap(),
    ];
    let found = search_known_errors(&problems, "PRINTER pcl");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].number, "PRB-1");
}

// ------------------------------------------------------------------ change

fn normal_change() -> Change {
    let mut c = Change::create(
        "CHG-1".into(),
        ChangeType::Normal,
        "Upgrade core switch",
        &meta("ana", 1),
    )
    .unwrap();
    c.move_to(ChangeStatus::Submitted, "", &meta("ana", 2))
        .unwrap();
    c
}

#[test]
fn a_normal_change_needs_cab_approval_before_implementation() {
    let m = meta("ana", 3);
    let mut c = normal_change();
    assert_eq!(
        c.move_to(ChangeStatus::Implementing, "", &m)
            .unwrap_err()
            .to_string(),
        "a normal change needs CAB approval before it can be implemented"
    );
    c.decide(
        ApprovalRole::Cab,
        Decision::Reject,
        "no backout plan",
        &meta("cab1", 4),
    );
    assert_eq!(
        c.move_to(ChangeStatus::Approved, "", &m)
            .unwrap_err()
            .to_string(),
        "the CAB rejected this change (cab1: no backout plan); it cannot be approved"
    );
    // A later decision by the same member replaces the earlier one.
    c.decide(
        ApprovalRole::Cab,
        Decision::Approve,
        "backout plan added",
        &meta("cab1", 5),
    );
    assert_eq!(c.cab_decision(), CabDecision::Approved);
    c.move_to(ChangeStatus::Approved, "", &m).unwrap();
    c.move_to(ChangeStatus::Implementing, "", &m).unwrap();
    c.move_to(ChangeStatus::Review, "", &m).unwrap();
    assert_eq!(
        c.move_to(ChangeStatus::Closed, "", &m)
            .unwrap_err()
            .to_string(),
        "a normal change needs its post-implementation review before it can be closed"
    );
    c.record_review("Went to plan", &m).unwrap();
    c.move_to(ChangeStatus::Closed, "", &m).unwrap();
    assert_eq!(c.approvals.len(), 2, "approvals only grow");
}

#[test]
fn an_emergency_change_needs_an_emergency_approver_and_a_retrospective_review() {
    let m = meta("ana", 3);
    let mut c = Change::create("CHG-2".into(), ChangeType::Emergency, "Block exploit", &m).unwrap();
    assert_eq!(
        c.move_to(ChangeStatus::Implementing, "", &m)
            .unwrap_err()
            .to_string(),
        "an emergency change needs an emergency approver's approval before it can be implemented"
    );
    c.decide(ApprovalRole::Cab, Decision::Approve, "", &meta("cab1", 4));
    assert!(
        c.move_to(ChangeStatus::Implementing, "", &m).is_err(),
        "a CAB member is not the emergency approver"
    );
    c.decide(
        ApprovalRole::Emergency,
        Decision::Approve,
        "go",
        &meta("duty", 4),
    );
    c.move_to(ChangeStatus::Implementing, "", &m).unwrap();
    c.move_to(ChangeStatus::Review, "", &m).unwrap();
    assert_eq!(
        c.move_to(ChangeStatus::Closed, "", &m)
            .unwrap_err()
            .to_string(),
        "an emergency change needs its retrospective review before it can be closed"
    );
}

#[test]
fn standard_changes_come_only_from_approved_templates() {
    let m = meta("ana", 3);
    assert_eq!(
        Change::create("CHG-3".into(), ChangeType::Standard, "Reboot", &m).unwrap_err(),
        WorkflowError::StandardWithoutTemplate
    );
    let mut template = ChangeTemplate {
        number: "TPL-1".into(),
        name: "Reboot a till".into(),
        implementation_plan: "Hold power 10 s".into(),
        backout_plan: "None needed".into(),
        approved: false,
        approved_by: String::new(),
        ..ChangeTemplate::default()
    };
    assert_eq!(
        Change::from_template("CHG-3".into(), &template, "", &m)
            .unwrap_err()
            .to_string(),
        "the template 'Reboot a till' is not approved for standard changes"
    );
    template.approved = true;
    let mut c = Change::from_template("CHG-3".into(), &template, "", &m).unwrap();
    assert_eq!(c.implementation_plan, "Hold power 10 s");
    c.move_to(ChangeStatus::Implementing, "", &m).unwrap();
    c.move_to(ChangeStatus::Review, "", &m).unwrap();
    c.move_to(ChangeStatus::Closed, "", &m).unwrap();
}

#[test]
fn rejecting_or_cancelling_a_change_needs_a_reason() {
    let mut c = normal_change();
    assert_eq!(
        c.move_to(ChangeStatus::Cancelled, " ", &meta("ana", 3))
            .unwrap_err()
            .to_string(),
        "say why it is cancelled: a reason is required"
    );
    c.move_to(
        ChangeStatus::Cancelled,
        "superseded by CHG-7",
        &meta("ana", 3),
    )
    .unwrap();
    assert_eq!(
        c.move_to(ChangeStatus::Draft, "", &meta("ana", 4))
            .unwrap_err()
            .to_string(),
        "a change cannot go from Cancelled to Draft (from Cancelled it can go to nowhere: it is final)"
    );
}

#[test]
fn change_calendar_shows_collisions_with_changes_and_freezes() {
    let window = |c: &mut Change, from: i64, to: i64| {
        c.planned_start = Some(Timestamp(from));
        c.planned_end = Some(Timestamp(to));
    };
    let mut a = normal_change();
    window(&mut a, 10, 20);
    a.affected_cis = vec!["CI-1".into()];
    let mut b = normal_change();
    b.number = "CHG-2".into();
    window(&mut b, 15, 30);
    b.affected_cis = vec!["CI-1".into(), "CI-2".into()];
    let mut c = normal_change();
    c.number = "CHG-3".into();
    window(&mut c, 20, 25);
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
    c.risk = vec![
        RiskAnswer {
            question: "Customer-facing?".into(),
            answer: "yes".into(),
            score: 3,
        },
        RiskAnswer {
            question: "Tested?".into(),
            answer: "no".into(),
            score: 4,
        },
    ];
    assert_eq!(c.risk_score(), 7);
}

// ------------------------------------------------------------------ release

#[test]
fn a_release_deploys_only_after_acceptance_and_a_failure_is_investigated() {
    let m = meta("ana", 2);
    let mut r = Release::create("REL-1".into(), "Till 4.2", &m).unwrap();
    r.move_to(ReleaseStatus::Testing, "", &m).unwrap();
    r.record_acceptance(false, "crashes on refund", &m);
    assert_eq!(
        r.move_to(ReleaseStatus::Deploying, "", &m)
            .unwrap_err()
            .to_string(),
        "a release needs a passed acceptance test before it can be deploying"
    );
    r.record_acceptance(true, "all green", &m);
    assert!(
        r.move_to(ReleaseStatus::Deploying, "", &m).is_err(),
        "no rollback plan"
    );
    r.rollback_plan = "Reinstall 4.1".into();
    r.move_to(ReleaseStatus::Deploying, "", &m).unwrap();
    r.move_to(ReleaseStatus::Failed, "", &m).unwrap();
    assert_eq!(
        r.move_to(ReleaseStatus::Closed, "", &m)
            .unwrap_err()
            .to_string(),
        "a release needs a linked incident or problem investigating the failure before it can be closed"
    );
    r.investigations.push("PRB-4".into());
    r.move_to(ReleaseStatus::Closed, "", &m).unwrap();
}

// ------------------------------------------------------------------ CI and asset

#[test]
fn ci_relationships_and_verifications_are_recorded() {
    let m = meta("ana", 2);
    let mut ci = ConfigurationItem::create("CI-1".into(), "Till 3", "hardware", &m).unwrap();
    ci.asset_tag = "T-0042".into();
    ci.relate(RelationKind::RunsOn, "CI-9", &m).unwrap();
    ci.relate(RelationKind::RunsOn, "CI-9", &m).unwrap();
    assert_eq!(ci.relationships.len(), 1);
    assert!(
        ci.relate(RelationKind::PartOf, "CI-1", &m).is_err(),
        "not related to itself"
    );
    assert!(ci.matches_tag(" t-0042 "));
    ci.verify(
        VerifyMethod::Scanned,
        false,
        "not on shelf",
        "Q4",
        &meta("bo", 5),
    );
    assert_eq!(ci.last_verified(), None);
    ci.verify(VerifyMethod::Typed, true, "", "Q4", &meta("bo", 9));
    assert_eq!(ci.last_verified(), Some(Timestamp(9)));
    ci.move_to(CiStatus::Active, "", &m).unwrap();
    ci.move_to(CiStatus::Retired, "", &m).unwrap();
    assert!(ci.move_to(CiStatus::Active, "", &m).is_err());
}

#[test]
fn a_deployed_asset_has_an_owner_and_a_location() {
    let m = meta("ana", 2);
    let mut a = Asset::create("AST-1".into(), "T-1", "TC52", &m).unwrap();
    a.move_to(AssetStatus::InStock, "", &m).unwrap();
    assert_eq!(
        a.move_to(AssetStatus::Deployed, "", &m)
            .unwrap_err()
            .to_string(),
        "an asset needs an owner and a location before it can be deployed"
    );
    a.owner = "bo".into();
    a.location = "Store 12".into();
    a.move_to(AssetStatus::Deployed, "", &m).unwrap();
    a.warranty_until = Some(Timestamp(100));
    assert!(a.under_warranty(Timestamp(100)));
    assert!(!a.under_warranty(Timestamp(101)));
}

// ------------------------------------------------------------------ complaint, SLA, contract

#[test]
fn complaints_have_their_own_lifecycle() {
    let m = meta("ana", 2);
    let mut c = Complaint::create("CMP-1".into(), "CUS-1", "Engineer late twice", &m).unwrap();
    assert!(
        c.move_to(ComplaintStatus::Closed, "", &m).is_err(),
        "received cannot close"
    );
    c.move_to(ComplaintStatus::Investigating, "", &m).unwrap();
    assert_eq!(
        c.move_to(ComplaintStatus::Responded, "", &m)
            .unwrap_err()
            .to_string(),
        "a complaint needs the findings of the investigation before it can be responded"
    );
    c.findings = "Rota gap on Mondays".into();
    c.move_to(ComplaintStatus::Responded, "", &m).unwrap();
    assert!(c.move_to(ComplaintStatus::Closed, "", &m).is_err());
    c.response = "Rota fixed, apology sent".into();
    c.move_to(ComplaintStatus::Closed, "", &m).unwrap();
    c.move_to(ComplaintStatus::Investigating, "customer disagrees", &m)
        .unwrap();
}

fn target(p: Priority, response: u32, resolution: u32) -> PriorityTarget {
    PriorityTarget {
        priority: p,
        response_minutes: response,
        resolution_minutes: resolution,
    }
}

#[test]
fn an_sla_is_activated_only_with_targets_and_a_valid_calendar() {
    let m = meta("ana", 2);
    let mut sla = Sla::create("SLA-1".into(), "Gold", "CUS-1", &m).unwrap();
    assert_eq!(sla.pause_statuses, ["pending"]);
    assert!(
        sla.move_to(shared::records::agreement::AgreementStatus::Active, "", &m)
            .is_err()
    );
    sla.targets.push(target(Priority::P1, 15, 240));
    sla.calendar = Calendar::office("Mars/Olympus", 8, 18);
    assert_eq!(
        sla.move_to(shared::records::agreement::AgreementStatus::Active, "", &m)
            .unwrap_err()
            .to_string(),
        "the business-hours calendar is not valid: 'Mars/Olympus' is not a time zone; use an IANA name such as Europe/Berlin"
    );
    sla.calendar = Calendar::office("Europe/Berlin", 8, 18);
    sla.move_to(shared::records::agreement::AgreementStatus::Active, "", &m)
        .unwrap();
}

#[test]
fn supplier_targets_are_checked_against_the_sla_they_support() {
    let m = meta("ana", 2);
    let mut sla = Sla::create("SLA-1".into(), "Gold", "CUS-1", &m).unwrap();
    sla.targets = vec![target(Priority::P1, 15, 240), target(Priority::P2, 60, 480)];
    let mut con = Contract::create("CON-1".into(), "SUP-1", "WAN links", &m).unwrap();
    con.targets = vec![target(Priority::P1, 10, 300)];
    let gaps = con.gaps_against(&sla);
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
    assert!(
        con.move_to(ContractStatus::Active, "", &m).is_err(),
        "needs dates"
    );
    con.starts = Some(Timestamp(1));
    con.ends = Some(Timestamp(2));
    con.move_to(ContractStatus::Active, "", &m).unwrap();
    assert!(
        con.move_to(ContractStatus::Terminated, "", &m).is_err(),
        "needs a reason"
    );
}

#[test]
fn a_continuity_plan_is_approved_only_when_it_can_be_followed() {
    let m = meta("ana", 2);
    let mut plan = ContinuityPlan::create("BCP-1".into(), "SVC-1", &m);
    assert!(plan.move_to(PlanStatus::Approved, "", &m).is_err());
    plan.invocation_criteria = "Data centre down > 1 h".into();
    plan.procedures = vec!["Fail over to site B".into()];
    plan.contacts = vec![Contact {
        name: "Duty manager".into(),
        phone: "+49 30 1234".into(),
        ..Contact::default()
    }];
    plan.move_to(PlanStatus::Approved, "", &m).unwrap();
    plan.record_test(true, "Fail-over in 40 min", &meta("ana", 7));
    assert_eq!(plan.last_passed_test(), Some(Timestamp(7)));
}

// ------------------------------------------------------------------ registers

#[test]
fn register_entries_close_on_evidence() {
    let m = meta("ana", 2);
    let mut risk = Risk::create("RSK-1".into(), "Flood in store 3", 2, 5, &m).unwrap();
    assert_eq!(risk.score(), 10);
    assert_eq!(
        risk.move_to(EntryStatus::Closed, "", &m)
            .unwrap_err()
            .to_string(),
        "a risk needs a treatment before it can be closed"
    );
    risk.treatment = "Move server upstairs".into();
    risk.move_to(EntryStatus::Closed, "", &m).unwrap();

    let mut ncf =
        Nonconformity::create("NCF-1".into(), "PIR missing on CHG-4", "AUD-1", &m).unwrap();
    ncf.corrective_action = "PIR made mandatory".into();
    assert_eq!(
        ncf.move_to(EntryStatus::Closed, "", &m)
            .unwrap_err()
            .to_string(),
        "a nonconformity needs an effectiveness check before it can be closed"
    );
    ncf.effectiveness_check = Some(shared::records::journal::Review::new(&m, "No misses in Q1"));
    ncf.move_to(EntryStatus::Closed, "", &m).unwrap();

    let mut imp = Improvement::create(
        "IMP-1".into(),
        "Triage faster",
        ImprovementSource::Idea,
        "",
        &m,
    )
    .unwrap();
    assert!(imp.move_to(EntryStatus::Closed, "", &m).is_err());
    imp.measured_outcome = "Median triage 4 min (was 11)".into();
    imp.move_to(EntryStatus::Closed, "", &m).unwrap();
}

#[test]
fn an_audit_closes_only_with_its_nonconformities_raised() {
    let m = meta("ana", 2);
    let mut audit = InternalAudit::create("AUD-1".into(), "2026", "Change management", &m).unwrap();
    audit.move_to(AuditStatus::InProgress, "", &m).unwrap();
    audit.add_finding(
        FindingKind::Nonconformity,
        "Emergency change without review",
        &m,
    );
    audit.move_to(AuditStatus::Reported, "", &m).unwrap();
    assert!(audit.move_to(AuditStatus::Closed, "", &m).is_err());
    audit.findings[0].nonconformity = "NCF-1".into();
    audit.move_to(AuditStatus::Closed, "", &m).unwrap();
}

#[test]
fn a_management_review_covers_every_required_input() {
    let m = meta("ana", 2);
    let mut review = ManagementReview::create("MRV-1".into(), &m);
    assert!(
        review.move_to(ReviewStatus::Held, "", &m).is_err(),
        "no attendees"
    );
    review.attendees = vec!["ana".into(), "cy".into()];
    review.move_to(ReviewStatus::Held, "", &m).unwrap();
    review.inputs_covered = REVIEW_INPUTS[..7].iter().map(|s| s.to_string()).collect();
    assert_eq!(review.missing_inputs(), ["opportunities for improvement"]);
    assert!(review.move_to(ReviewStatus::Closed, "", &m).is_err());
    review.inputs_covered.push(REVIEW_INPUTS[7].into());
    review.move_to(ReviewStatus::Closed, "", &m).unwrap();
}

#[test]
fn competence_gaps_and_expired_certificates() {
    let m = meta("ana", 2);
    let mut c = Competence::create("CMT-1".into(), "bo", "network technician", &m).unwrap();
    c.skills_required = vec!["fibre splicing".into(), "VLANs".into()];
    c.skills_held = vec!["VLANs".into()];
    c.certificates = vec![Certificate {
        name: "CCNA".into(),
        expires: Some(Timestamp(50)),
        evidence: String::new(),
    }];
    assert_eq!(c.gaps(), ["fibre splicing"]);
    assert!(c.expired(Timestamp(50)).is_empty());
    assert_eq!(c.expired(Timestamp(51)).len(), 1);
    c.move_to(ActiveStatus::Inactive, "left the company", &m)
        .unwrap();
}
