//! Verification campaigns (ISO 20000 8.2.6): scope, finding a CI by its tag, checks, progress,
//! the campaign's workflow, what a check does to the CI, and concurrent offline checks on
//! several tablets that must all survive the merge.

mod common;

use automerge::Automerge;
use common::{doc_of, meta, sync};
use proptest::prelude::*;
use shared::records::Record;
use shared::records::campaign::*;
use shared::records::ci::{CiStatus, ConfigurationItem, VerifyMethod};
use shared::review::{Attention, review};
use shared::time::Timestamp;
use shared::workflow::{Workflow, WorkflowError};

use CheckResult::*;
use VerifyMethod::*;

fn ci(number: &str, tag: &str, site: &str) -> ConfigurationItem {
    let m = meta("ana", 1);
    let mut ci =
        ConfigurationItem::create(number.into(), &format!("Till {number}"), "till", &m).unwrap();
    ci.asset_tag = tag.into();
    ci.site = site.into();
    ci.move_to(CiStatus::Active, "", &m).unwrap();
    ci
}

fn register() -> Vec<ConfigurationItem> {
    let mut retired = ci("CI-9", "T-0009", "Leeds");
    retired
        .move_to(CiStatus::Retired, "", &meta("ana", 2))
        .unwrap();
    vec![
        ci("CI-1", "T-0001", "Leeds"),
        ci("CI-2", "T-0002", "leeds "),
        ci("CI-3", "T-0003", "Leeds"),
        ci("CI-4", "T-0004", "York"),
        retired,
    ]
}

fn campaign() -> VerificationCampaign {
    VerificationCampaign::plan(
        "VER-1".into(),
        "Q4 tills",
        "Leeds",
        &register(),
        &meta("ana", 10),
    )
    .unwrap()
}

#[test]
fn a_campaign_covers_the_live_cis_of_its_site() {
    let c = campaign();
    let scope: Vec<&str> = c.scope.iter().map(|s| s.ci.as_str()).collect();
    assert_eq!(scope, ["CI-1", "CI-2", "CI-3"]);
    assert_eq!(c.status, CampaignStatus::Planned);
    assert_eq!(c.work_log[0].note, "Campaign planned: 3 CIs at Leeds");
    let err =
        VerificationCampaign::plan("VER-2".into(), "Q4", "Hull", &register(), &meta("ana", 1))
            .unwrap_err();
    assert_eq!(
        err.to_string(),
        "there are no CIs at Hull to verify; check the site name"
    );
    let err = VerificationCampaign::plan("VER-2".into(), " ", "Leeds", &register(), &meta("a", 1))
        .unwrap_err();
    assert_eq!(err.to_string(), "the campaign name cannot be empty");
}

#[test]
fn a_ci_is_found_by_its_tag_as_typed_or_by_its_number() {
    let c = campaign();
    assert_eq!(c.find(" t-0002 ").unwrap().ci, "CI-2");
    assert_eq!(c.find("ci-3").unwrap().ci, "CI-3");
    assert_eq!(c.find("T-0004"), None, "York is not in scope");
    assert_eq!(c.find(""), None);
}

#[test]
fn checks_are_recorded_and_refused_in_plain_words() {
    let mut c = campaign();
    let m = meta("bo", 100);
    let check = c.record_check("t-0001", Scanned, FoundOk, "", &m).unwrap();
    assert_eq!((check.ci.as_str(), check.tag.as_str()), ("CI-1", "t-0001"));
    assert_eq!(check.device, "bo-tablet");
    assert_eq!(
        c.status,
        CampaignStatus::InProgress,
        "the first check starts it"
    );
    assert_eq!(
        c.work_log.last().unwrap().note,
        "CI-1: Found as registered (scanned its tag)"
    );
    let refuse = |c: &mut VerificationCampaign, tag, result, note| {
        c.record_check(tag, Typed, result, note, &m)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refuse(&mut c, "  ", FoundOk, ""),
        "type or scan the asset tag"
    );
    assert_eq!(
        refuse(&mut c, "T-0404", FoundOk, ""),
        "no CI in this campaign has the tag 'T-0404'; check the tag, or log the item as a new CI"
    );
    assert_eq!(
        refuse(&mut c, "T-0002", Discrepancy, " "),
        "say what differs from the register (place, model, label, …)"
    );
    c.record_check("T-0002", Typed, Discrepancy, "In the back office", &m)
        .unwrap();
    c.record_check("T-0003", Typed, NotFound, "", &m).unwrap();
    c.move_to(CampaignStatus::Completed, "", &m).unwrap();
    assert_eq!(
        refuse(&mut c, "T-0001", FoundOk, ""),
        "the campaign is completed; reopen it to record more checks"
    );
}

#[test]
fn progress_counts_each_ci_by_its_latest_check() {
    let mut c = campaign();
    assert_eq!(
        c.progress(),
        Progress {
            checked: 0,
            total: 3,
            unchecked: vec!["CI-1".into(), "CI-2".into(), "CI-3".into()],
            ..Progress::default()
        }
    );
    c.record_check("T-0001", Typed, NotFound, "", &meta("bo", 100))
        .unwrap();
    // Found later in another room: the later check counts.
    c.record_check("T-0001", Scanned, FoundOk, "", &meta("cy", 200))
        .unwrap();
    c.record_check("T-0002", Scanned, Discrepancy, "No label", &meta("cy", 150))
        .unwrap();
    let p = c.progress();
    assert_eq!((p.checked, p.total), (2, 3));
    assert_eq!((p.found_ok, p.discrepancies, p.not_found), (1, 1, 0));
    assert_eq!(p.unchecked, ["CI-3"]);
    assert_eq!(c.checks.len(), 3, "every check is kept");
}

#[test]
fn completing_with_unchecked_cis_needs_a_reason() {
    let mut c = campaign();
    let m = meta("bo", 100);
    assert!(matches!(
        c.move_to(CampaignStatus::Completed, "", &m),
        Err(WorkflowError::NotAllowed { .. })
    ));
    c.record_check("T-0001", Scanned, FoundOk, "", &m).unwrap();
    assert_eq!(
        c.move_to(CampaignStatus::Completed, "", &m)
            .unwrap_err()
            .to_string(),
        "2 of 3 CIs are not checked yet: check them, or say why the campaign is complete without them"
    );
    c.move_to(CampaignStatus::Completed, "Store 2 closed for refit", &m)
        .unwrap();
    assert_eq!(c.current_reason(), "Store 2 closed for refit");
    // Reopened to finish the job.
    c.move_to(CampaignStatus::InProgress, "", &m).unwrap();
    assert_eq!(
        c.move_to(CampaignStatus::Cancelled, "", &m)
            .unwrap_err()
            .to_string(),
        "say why it is cancelled: a reason is required"
    );
}

#[test]
fn a_check_gives_the_ci_its_verification_once() {
    let mut c = campaign();
    c.record_check("T-0001", Scanned, FoundOk, "", &meta("bo", 100))
        .unwrap();
    c.record_check("T-0001", Typed, NotFound, "", &meta("cy", 300))
        .unwrap();
    c.record_check(
        "T-0002",
        Typed,
        Discrepancy,
        "Wrong shelf",
        &meta("cy", 200),
    )
    .unwrap();
    let mut till = register().remove(0);
    assert_eq!(till.last_verified(), None);
    assert_eq!(c.apply_to_ci(&mut till, &meta("bo", 400)), 2);
    // Not found at 300 does not move the last verified date past the find at 100.
    assert_eq!(till.last_verified(), Some(Timestamp(100)));
    assert_eq!(till.verifications[0].campaign, "VER-1");
    assert_eq!(
        till.work_log.last().unwrap().note,
        "2 check(s) from verification campaign VER-1"
    );
    assert_eq!(c.apply_to_ci(&mut till, &meta("bo", 500)), 0, "idempotent");
    let mut other = register().remove(1);
    c.apply_to_ci(&mut other, &meta("bo", 400));
    assert_eq!(other.verifications[0].note, "Discrepancy: Wrong shelf");
    assert_eq!(other.last_verified(), Some(Timestamp(200)));
}

#[test]
fn a_campaign_round_trips_and_is_a_registered_record_type() {
    let mut c = campaign();
    c.record_check("T-0001", Scanned, FoundOk, "", &meta("bo", 100))
        .unwrap();
    let doc = doc_of(&c);
    assert_eq!(VerificationCampaign::read(&doc).unwrap(), c);
    assert!(shared::records::KINDS.contains(&("verification_campaign", "VER")));
}

#[test]
fn two_tablets_checking_offline_keep_every_check() {
    let mut a = doc_of(&campaign());
    let mut b = a.fork();
    common::edit::<VerificationCampaign>(&mut a, "bo", 100, |c| {
        c.record_check("T-0001", Scanned, FoundOk, "", &meta("bo", 100))
            .unwrap();
        c.record_check("T-0002", Scanned, FoundOk, "", &meta("bo", 110))
            .unwrap();
    });
    common::edit::<VerificationCampaign>(&mut b, "cy", 105, |c| {
        c.record_check("T-0002", Typed, Discrepancy, "Moved", &meta("cy", 105))
            .unwrap();
        c.record_check("T-0003", Typed, NotFound, "", &meta("cy", 120))
            .unwrap();
    });
    sync(&mut a, &mut b);
    let merged = VerificationCampaign::read(&a).unwrap();
    assert_eq!(merged, VerificationCampaign::read(&b).unwrap());
    assert_eq!(merged.checks.len(), 4);
    let p = merged.progress();
    assert_eq!((p.checked, p.found_ok, p.not_found), (3, 2, 1));
    assert_eq!(merged.status, CampaignStatus::InProgress);
    assert_eq!(review::<VerificationCampaign>(&a, &()).unwrap(), vec![]);
}

#[test]
fn a_campaign_completed_on_one_tablet_while_another_checks_is_flagged() {
    let mut a = doc_of(&campaign());
    common::edit::<VerificationCampaign>(&mut a, "bo", 100, |c| {
        c.record_check("T-0001", Scanned, FoundOk, "", &meta("bo", 100))
            .unwrap();
    });
    let mut b = a.fork();
    common::edit::<VerificationCampaign>(&mut a, "bo", 200, |c| {
        c.move_to(
            CampaignStatus::Completed,
            "Rest next quarter",
            &meta("bo", 200),
        )
        .unwrap();
    });
    common::edit::<VerificationCampaign>(&mut b, "cy", 300, |c| {
        c.record_check("T-0002", Scanned, FoundOk, "", &meta("cy", 300))
            .unwrap();
    });
    sync(&mut a, &mut b);
    let merged = VerificationCampaign::read(&a).unwrap();
    assert_eq!(merged.checks.len(), 2, "the late check is kept");
    let attention = review::<VerificationCampaign>(&a, &()).unwrap();
    assert!(
        matches!(attention.as_slice(), [Attention::WorkAfterFinish { later, .. }] if later.len() == 1),
        "{attention:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Random offline checks on two or three tablets, with syncs in between, converge to the
    /// same campaign holding every check.
    #[test]
    fn concurrent_checks_converge_and_none_is_lost(
        replicas in 2usize..=3,
        steps in prop::collection::vec((0usize..3, 0usize..4, 0usize..3), 1..30),
    ) {
        let origin = doc_of(&campaign());
        let mut docs: Vec<Automerge> = (0..replicas).map(|_| origin.fork()).collect();
        let mut recorded = 0;
        for (k, (who, what, result)) in steps.into_iter().enumerate() {
            let i = who % replicas;
            if what == 3 {
                // Sync with the next tablet.
                let j = (i + 1) % replicas;
                let mut other = docs[j].clone();
                docs[i].merge(&mut other).unwrap();
                continue;
            }
            let m = meta(["ana", "bo", "cy"][i], 100 + k as i64);
            let mut c = VerificationCampaign::read(&docs[i]).unwrap();
            let tag = ["T-0001", "T-0002", "T-0003"][what];
            let result = [FoundOk, Discrepancy, NotFound][result];
            c.record_check(tag, Scanned, result, "seen", &m).unwrap();
            c.write(&mut docs[i], &m).unwrap();
            recorded += 1;
        }
        for i in 0..replicas {
            for j in 0..replicas {
                if i != j {
                    let mut other = docs[j].clone();
                    docs[i].merge(&mut other).unwrap();
                }
            }
        }
        let merged = VerificationCampaign::read(&docs[0]).unwrap();
        for d in &docs[1..] {
            prop_assert_eq!(&VerificationCampaign::read(d).unwrap(), &merged);
        }
        prop_assert_eq!(merged.checks.len(), recorded);
        let p = merged.progress();
        prop_assert_eq!(p.found_ok + p.discrepancies + p.not_found, p.checked);
        prop_assert_eq!(p.checked + p.unchecked.len(), p.total);
    }
}
