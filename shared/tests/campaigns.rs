//! Verification campaigns (ISO 20000 8.2.6): scope, finding a CI by its tag, checks, progress,
//! the campaign's workflow, what a check does to the CI, and concurrent offline checks on
//! several tablets that must all survive the merge.

mod common;

use automerge::Automerge;
use common::{doc_of, holding, meta, new, new_on, sync, to};
use proptest::prelude::*;
use shared::model::Record;
use shared::records::campaign::{Progress, apply_to_ci, find, progress, record_check};
use shared::records::ci::last_verified;
use shared::records::read;
use shared::review::Attention;
use shared::time::Timestamp;
use shared::workflow::WorkflowError;

fn ci(number: &str, tag: &str, site: &str) -> Record {
    let m = meta("ana", 1);
    let mut ci = new(
        "configuration_item",
        number,
        &[
            ("name", &format!("Till {number}")),
            ("ci_type", "till"),
            ("asset_tag", tag),
            ("site", site),
        ],
        &m,
    );
    to(&mut ci, "active", "", &m).unwrap();
    ci
}

fn register() -> Vec<Record> {
    let mut retired = ci("CI-9", "T-0009", "Leeds");
    to(&mut retired, "retired", "", &meta("ana", 2)).unwrap();
    vec![
        ci("CI-1", "T-0001", "Leeds"),
        ci("CI-2", "T-0002", "leeds "),
        ci("CI-3", "T-0003", "Leeds"),
        ci("CI-4", "T-0004", "York"),
        retired,
    ]
}

fn plan(name: &str, site: &str) -> Result<Record, shared::model::RecordError> {
    let device = holding(&register().iter().collect::<Vec<_>>());
    new_on(
        "verification_campaign",
        "VER-1",
        &[("name", name), ("site", site)],
        &device,
        &meta("ana", 10),
    )
}

fn campaign() -> Record {
    plan("Q4 tills", "Leeds").unwrap()
}

fn checks(c: &Record) -> usize {
    c.list("checks").len()
}

fn notes(c: &Record) -> Vec<String> {
    common::notes(c)
}

#[test]
fn a_campaign_covers_the_live_cis_of_its_site() {
    let c = campaign();
    let scope: Vec<&str> = c.groups("scope").map(|s| s.str("ci")).collect();
    assert_eq!(scope, ["CI-1", "CI-2", "CI-3"]);
    assert_eq!(c.status(), "planned");
    assert_eq!(notes(&c)[0], "Campaign planned: 3 CIs at Leeds");
    assert_eq!(
        plan("Q4", "Hull").unwrap_err().to_string(),
        "Site: there are no CIs at Hull to verify; check the site name"
    );
    assert_eq!(
        plan(" ", "Leeds").unwrap_err().to_string(),
        "Name: this is required"
    );
}

#[test]
fn a_ci_is_found_by_its_tag_as_typed_or_by_its_number() {
    let c = campaign();
    assert_eq!(find(&c, " t-0002 ").unwrap().str("ci"), "CI-2");
    assert_eq!(find(&c, "ci-3").unwrap().str("ci"), "CI-3");
    assert!(find(&c, "T-0004").is_none(), "York is not in scope");
    assert!(find(&c, "").is_none());
}

#[test]
fn checks_are_recorded_and_refused_in_plain_words() {
    let mut c = campaign();
    let m = meta("bo", 100);
    let check = record_check(&mut c, "t-0001", "scanned", "found_ok", "", &m).unwrap();
    assert_eq!((check.str("ci"), check.str("tag")), ("CI-1", "t-0001"));
    assert_eq!(check.str("device"), "bo-tablet");
    assert_eq!(c.status(), "in_progress", "the first check starts it");
    assert_eq!(
        notes(&c).last().unwrap(),
        "CI-1: Found as registered (scanned its tag)"
    );
    let refuse = |c: &mut Record, tag, result, note| {
        record_check(c, tag, "typed", result, note, &m)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refuse(&mut c, "  ", "found_ok", ""),
        "type or scan the asset tag"
    );
    assert_eq!(
        refuse(&mut c, "T-0404", "found_ok", ""),
        "no CI in this campaign has the tag 'T-0404'; check the tag, or log the item as a new CI"
    );
    assert_eq!(
        refuse(&mut c, "T-0002", "discrepancy", " "),
        "say what differs from the register (place, model, label, …)"
    );
    record_check(
        &mut c,
        "T-0002",
        "typed",
        "discrepancy",
        "In the back office",
        &m,
    )
    .unwrap();
    record_check(&mut c, "T-0003", "typed", "not_found", "", &m).unwrap();
    to(&mut c, "completed", "", &m).unwrap();
    assert_eq!(
        refuse(&mut c, "T-0001", "found_ok", ""),
        "the campaign is completed; reopen it to record more checks"
    );
}

#[test]
fn progress_counts_each_ci_by_its_latest_check() {
    let mut c = campaign();
    assert_eq!(
        progress(&c),
        Progress {
            checked: 0,
            total: 3,
            unchecked: vec!["CI-1".into(), "CI-2".into(), "CI-3".into()],
            ..Progress::default()
        }
    );
    record_check(&mut c, "T-0001", "typed", "not_found", "", &meta("bo", 100)).unwrap();
    // Found later in another room: the later check counts.
    record_check(
        &mut c,
        "T-0001",
        "scanned",
        "found_ok",
        "",
        &meta("cy", 200),
    )
    .unwrap();
    record_check(
        &mut c,
        "T-0002",
        "scanned",
        "discrepancy",
        "No label",
        &meta("cy", 150),
    )
    .unwrap();
    let p = progress(&c);
    assert_eq!((p.checked, p.total), (2, 3));
    assert_eq!((p.found_ok, p.discrepancies, p.not_found), (1, 1, 0));
    assert_eq!(p.unchecked, ["CI-3"]);
    assert_eq!(checks(&c), 3, "every check is kept");
}

#[test]
fn completing_with_unchecked_cis_needs_a_reason() {
    let mut c = campaign();
    let m = meta("bo", 100);
    assert!(matches!(
        to(&mut c, "completed", "", &m),
        Err(WorkflowError::NotAllowed { .. })
    ));
    record_check(&mut c, "T-0001", "scanned", "found_ok", "", &m).unwrap();
    assert_eq!(
        to(&mut c, "completed", "", &m).unwrap_err().to_string(),
        "2 of 3 CIs are not checked yet: check them, or say why the campaign is complete without them"
    );
    to(&mut c, "completed", "Store 2 closed for refit", &m).unwrap();
    assert_eq!(c.current_reason(), "Store 2 closed for refit");
    // Reopened to finish the job.
    to(&mut c, "in_progress", "", &m).unwrap();
    assert_eq!(
        to(&mut c, "cancelled", "", &m).unwrap_err().to_string(),
        "say why it is cancelled: a reason is required"
    );
}

#[test]
fn a_check_gives_the_ci_its_verification_once() {
    let mut c = campaign();
    record_check(
        &mut c,
        "T-0001",
        "scanned",
        "found_ok",
        "",
        &meta("bo", 100),
    )
    .unwrap();
    record_check(&mut c, "T-0001", "typed", "not_found", "", &meta("cy", 300)).unwrap();
    record_check(
        &mut c,
        "T-0002",
        "typed",
        "discrepancy",
        "Wrong shelf",
        &meta("cy", 200),
    )
    .unwrap();
    let mut till = register().remove(0);
    assert_eq!(last_verified(&till), None);
    assert_eq!(apply_to_ci(&c, &mut till, &meta("bo", 400)), 2);
    // Not found at 300 does not move the last verified date past the find at 100.
    assert_eq!(last_verified(&till), Some(Timestamp(100)));
    assert_eq!(
        till.groups("verifications").next().unwrap().str("campaign"),
        "VER-1"
    );
    assert_eq!(
        common::notes(&till).last().unwrap(),
        "2 check(s) from verification campaign VER-1"
    );
    assert_eq!(
        apply_to_ci(&c, &mut till, &meta("bo", 500)),
        0,
        "idempotent"
    );
    let mut other = register().remove(1);
    apply_to_ci(&c, &mut other, &meta("bo", 400));
    assert_eq!(
        other.groups("verifications").next().unwrap().str("note"),
        "Discrepancy: Wrong shelf"
    );
    assert_eq!(last_verified(&other), Some(Timestamp(200)));
}

#[test]
fn a_campaign_round_trips_and_is_a_registered_record_type() {
    let mut c = campaign();
    record_check(
        &mut c,
        "T-0001",
        "scanned",
        "found_ok",
        "",
        &meta("bo", 100),
    )
    .unwrap();
    let doc = doc_of(&c);
    assert_eq!(read(&doc).unwrap(), c);
    assert!(
        shared::records::TYPES
            .iter()
            .any(|t| (t.kind, t.prefix) == ("verification_campaign", "VER"))
    );
}

fn review(doc: &Automerge) -> Vec<Attention> {
    shared::review::review(doc, &shared::forms::Nothing).unwrap()
}

#[test]
fn two_tablets_checking_offline_keep_every_check() {
    let mut a = doc_of(&campaign());
    let mut b = a.fork();
    common::edit(&mut a, "bo", 100, |c| {
        record_check(c, "T-0001", "scanned", "found_ok", "", &meta("bo", 100)).unwrap();
        record_check(c, "T-0002", "scanned", "found_ok", "", &meta("bo", 110)).unwrap();
    });
    common::edit(&mut b, "cy", 105, |c| {
        record_check(
            c,
            "T-0002",
            "typed",
            "discrepancy",
            "Moved",
            &meta("cy", 105),
        )
        .unwrap();
        record_check(c, "T-0003", "typed", "not_found", "", &meta("cy", 120)).unwrap();
    });
    sync(&mut a, &mut b);
    let merged = read(&a).unwrap();
    assert_eq!(merged, read(&b).unwrap());
    assert_eq!(checks(&merged), 4);
    let p = progress(&merged);
    assert_eq!((p.checked, p.found_ok, p.not_found), (3, 2, 1));
    assert_eq!(merged.status(), "in_progress");
    assert_eq!(review(&a), vec![]);
}

#[test]
fn a_campaign_completed_on_one_tablet_while_another_checks_is_flagged() {
    let mut a = doc_of(&campaign());
    common::edit(&mut a, "bo", 100, |c| {
        record_check(c, "T-0001", "scanned", "found_ok", "", &meta("bo", 100)).unwrap();
    });
    let mut b = a.fork();
    common::edit(&mut a, "bo", 200, |c| {
        to(c, "completed", "Rest next quarter", &meta("bo", 200)).unwrap();
    });
    common::edit(&mut b, "cy", 300, |c| {
        record_check(c, "T-0002", "scanned", "found_ok", "", &meta("cy", 300)).unwrap();
    });
    sync(&mut a, &mut b);
    let merged = read(&a).unwrap();
    assert_eq!(checks(&merged), 2, "the late check is kept");
    let attention = review(&a);
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
            let mut c = read(&docs[i]).unwrap();
            let tag = ["T-0001", "T-0002", "T-0003"][what];
            let result = ["found_ok", "discrepancy", "not_found"][result];
            record_check(&mut c, tag, "scanned", result, "seen", &m).unwrap();
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
        let merged = read(&docs[0]).unwrap();
        for d in &docs[1..] {
            prop_assert_eq!(&read(d).unwrap(), &merged);
        }
        prop_assert_eq!(checks(&merged), recorded);
        let p = progress(&merged);
        prop_assert_eq!(p.found_ok + p.discrepancies + p.not_found, p.checked);
        prop_assert_eq!(p.checked + p.unchecked.len(), p.total);
    }
}
