//! The device core natively: the save ordering, filing in indexes, unsynced counts, SLAs
//! followed, damaged documents at load, refused changes discarded.

mod harness;

use super::*;
use crate::forms::Lookup as _;
use crate::index;
use crate::model::Value;
use crate::records::agreement::SLA;
use crate::records::service::SERVICE;
use harness::{created, edited_elsewhere, merge_in, meta, record, summary_of, values};

#[test]
fn nothing_reaches_memory_before_commit_and_a_failed_write_changes_nothing() {
    let (mut device, _) = Device::load(Stored::default(), &BTreeMap::new(), &[], meta(0).at);
    let id = harness::id(1);
    let prepared = device
        .prepare_create(
            id,
            "incident",
            &values(&[("title", "Pump 3 leaks")]),
            &meta(1),
        )
        .unwrap();
    let written: Vec<DocumentId> = prepared.writes().iter().map(|w| w.id).collect();
    assert_eq!(written, [id, index::index_id(index::DEFAULT_SCOPE)]);
    assert_eq!(
        prepared.writes()[0].summary.as_ref().unwrap().title,
        "Pump 3 leaks",
        "the summary is written with its document"
    );
    assert!(device.doc(&id).is_none(), "not in memory before commit");
    assert!(
        device
            .prepare_edit(id, &values(&[("title", "x")]), &meta(1))
            .is_err(),
        "one save at a time"
    );
    device.abandon(prepared);
    assert!(
        device.doc(&id).is_none(),
        "an abandoned save leaves nothing"
    );
    assert!(device.doc(&index::index_id(index::DEFAULT_SCOPE)).is_none());

    let _ = created(&mut device, id, "incident", &[("title", "Pump 3 leaks")], 2);
    let heads = device.doc(&id).unwrap().get_heads();
    let prepared = device
        .prepare_edit(id, &values(&[("title", "Pump 3 floods")]), &meta(3))
        .unwrap();
    assert_eq!(device.doc(&id).unwrap().get_heads(), heads);
    device.abandon(prepared);
    assert_eq!(
        device.doc(&id).unwrap().get_heads(),
        heads,
        "the failed write left memory as it was"
    );

    let prepared = device
        .prepare_edit(id, &values(&[("title", "Pump 3 floods")]), &meta(4))
        .unwrap();
    let fx = device.commit(prepared);
    assert!(fx.writes.is_empty(), "memory had nothing the copy lacked");
    assert_eq!(fx.announce, [id]);
    assert_eq!(summary_of(&fx, id).title, "Pump 3 floods");
    assert_eq!(fx.changed, Some(["incident".to_string()].into()));
}

#[test]
fn a_remote_change_during_a_save_is_written_again_with_the_save() {
    let (mut device, _) = Device::load(Stored::default(), &BTreeMap::new(), &[], meta(0).at);
    let id = harness::id(1);
    let _ = created(&mut device, id, "incident", &[("title", "Pump 3 leaks")], 1);
    let prepared = device
        .prepare_edit(id, &values(&[("title", "Pump 3 floods")]), &meta(2))
        .unwrap();
    // Meanwhile the relay's change (another tablet assigned it) is merged into memory.
    let other = edited_elsewhere(&device, id, &[("assignee", "bo")], 2);
    merge_in(&mut device, id, other);

    let fx = device.commit(prepared);
    assert_eq!(fx.writes.len(), 1, "the merged document is written again");
    let stored = Automerge::load(&fx.writes[0].bytes).unwrap();
    assert_eq!(stored.get_heads(), device.doc(&id).unwrap().get_heads());
    let summary = fx.writes[0].summary.clone().unwrap();
    assert_eq!(
        (summary.title.as_str(), summary.assignee.as_str()),
        ("Pump 3 floods", "bo")
    );
    assert_eq!(summary_of(&fx, id), summary, "and shown as written");
}

#[test]
fn a_new_record_is_filed_in_the_indexes_that_list_it() {
    let (mut device, _) = Device::load(Stored::default(), &BTreeMap::new(), &[], meta(0).at);
    let (incident, security) = (harness::id(1), harness::id(2));
    let place = [
        ("title", "Pump 3 leaks"),
        ("site", "north"),
        ("team", "pumps"),
    ];
    let fx = created(&mut device, incident, "incident", &place, 1);
    let indexes = [
        index::index_id(index::DEFAULT_SCOPE),
        index::index_id(&index::site_scope("north")),
        index::index_id(&index::team_scope("pumps")),
    ];
    for index_id in indexes {
        assert_eq!(index::records(device.doc(&index_id).unwrap()), [incident]);
    }
    assert_eq!(fx.announce, [&[incident][..], &indexes].concat());
    assert_eq!(
        crate::access::record_scope(device.doc(&incident).unwrap())
            .unwrap()
            .team
            .as_deref(),
        Some("pumps"),
        "the team is at the root, where the relay reads it"
    );

    let place = [
        ("title", "Phishing mail"),
        ("site", "north"),
        ("team", "pumps"),
    ];
    let fx = created(&mut device, security, "security_incident", &place, 2);
    let restricted = index::index_id(index::RESTRICTED_SCOPE);
    assert_eq!(fx.announce, [security, restricted]);
    assert_eq!(index::records(device.doc(&restricted).unwrap()), [security]);
    for index_id in indexes {
        assert_eq!(
            index::records(device.doc(&index_id).unwrap()),
            [incident],
            "only in the restricted one"
        );
    }
}

#[test]
fn unsynced_counts_leave_out_refused_records_and_what_the_relay_has() {
    let (mut device, _) = Device::load(Stored::default(), &BTreeMap::new(), &[], meta(0).at);
    let (a, b) = (harness::id(1), harness::id(2));
    let _ = created(&mut device, a, "incident", &[("title", "A")], 1);
    let fx = created(&mut device, b, "incident", &[("title", "B")], 2);
    // Each record one change, the default index two.
    assert_eq!(fx.unsynced, Some(4));

    let heads = device.doc(&a).unwrap().get_heads();
    let fx = device.relay_has(a, heads.clone());
    assert_eq!(fx.relay_heads, [(a, heads)]);
    assert_eq!(fx.unsynced, Some(3));

    let refusal = Refusal::new(crate::refusal::RefusalCode::OutOfScope, "not your team");
    let fx = device.not_accepted(b, refusal.clone(), meta(3).at);
    assert_eq!(
        fx.unsynced,
        Some(2),
        "a refused change is not waiting to sync"
    );
    assert_eq!(
        fx.refusals,
        [(
            b,
            Some(NotAccepted {
                refusal,
                at: meta(3).at
            })
        )]
    );
    assert_eq!(device.refused().keys().collect::<Vec<_>>(), [&b]);

    let fx = device.retry_refused(b);
    assert_eq!(fx.unsynced, Some(3));
    assert_eq!((fx.refusals, fx.release), (vec![(b, None)], vec![b]));
}

#[test]
fn an_sla_arriving_rederives_the_summaries_of_the_tickets_naming_it() {
    // Service SVC-1 runs under SLA-9, which is not on the device yet.
    let service = record(
        &SERVICE,
        "SVC-1",
        &[("name", "Laptops".into()), ("sla", "SLA-9".into())],
    );
    let stored = Stored {
        docs: vec![(harness::id(7).to_string(), Ok(service.save()))],
        ..Stored::default()
    };
    let (mut device, _) = Device::load(stored, &BTreeMap::new(), &[], meta(0).at);
    let ticket = harness::id(1);
    let fx = created(
        &mut device,
        ticket,
        "incident",
        &[("title", "No laptop"), ("service", "SVC-1")],
        1,
    );
    let before = summary_of(&fx, ticket);
    assert_eq!(before.agreement, "SLA-9");

    // SLA-9 (P3: respond within 5 minutes) arrives from the relay.
    let mut sla = record(
        &SLA,
        "SLA-9",
        &[
            ("name", "Fast".into()),
            ("services", vec![Value::from("SVC-1")].into()),
        ],
    );
    let target = values(&[("priority", "P3"), ("response", "5"), ("resolution", "60")]);
    crate::forms::Form(&SLA)
        .act(
            &mut sla,
            "target",
            &target,
            &crate::forms::Nothing,
            &meta(0),
        )
        .unwrap();
    let sla_id = harness::id(9);
    device.docs_mut().insert(sla_id, sla);
    let fx = device.remote_changed(&[sla_id], meta(2).at);
    assert_eq!(fx.writes.len(), 1, "the SLA is stored");
    let rederived = fx
        .summaries
        .iter()
        .find(|(id, _)| *id == ticket)
        .expect("the ticket's summary is kept again")
        .1
        .clone();
    assert_eq!(summary_of(&fx, ticket), rederived, "and shown");
    let left = rederived.sla.unwrap().response.left_ms(meta(2).at).unwrap();
    assert_eq!(left, 4 * 60_000, "five minutes from logging, one gone");
    assert_ne!(before.sla, rederived.sla, "the standard SLA's clock before");
    assert!(device.agreements().for_ticket("SLA-9").number == "SLA-9");
}

#[test]
fn a_damaged_document_is_a_load_error_and_costs_nothing_else() {
    let good = record(&SERVICE, "SVC-1", &[("name", "Laptops".into())]);
    let (good_id, bad_id) = (harness::id(1), harness::id(2));
    let stored = Stored {
        docs: vec![
            (good_id.to_string(), Ok(good.save())),
            (bad_id.to_string(), Ok(b"not automerge".to_vec())),
            ("nonsense".into(), Err("unreadable in the store".into())),
        ],
        relay_heads: vec![(
            good_id.to_string(),
            crate::sync::heads_to_hex(&good.get_heads()),
        )],
        refused: vec![("nonsense".into(), "{".into())],
    };
    let (device, fx) = Device::load(stored, &BTreeMap::new(), &[], meta(0).at);
    let errors = fx.load_errors.clone().unwrap();
    let ids: Vec<&str> = errors.iter().map(|e| e.id.as_str()).collect();
    assert_eq!(ids, [bad_id.to_string().as_str(), "nonsense"]);
    assert!(
        errors[0]
            .message
            .starts_with("the stored document is damaged"),
        "{}",
        errors[0].message
    );
    assert_eq!(
        fx.summaries.len(),
        1,
        "the missing summary is derived and kept"
    );
    assert_eq!(summary_of(&fx, good_id).number, "SVC-1");
    assert_eq!(fx.unsynced, Some(0), "the relay has all of it");
    assert!(
        device.refused().is_empty(),
        "an unreadable refusal is left out"
    );
    assert!(device.lookup().record("SVC-1").is_some());
}

#[test]
fn a_stored_summary_lists_its_record_without_deriving_it() {
    let good = record(&SERVICE, "SVC-1", &[("name", "Laptops".into())]);
    let id = harness::id(1);
    let json = serde_json::to_string(
        &crate::summary::summarize(
            &id.to_string(),
            &good,
            &Device::matrix(),
            &Agreements::default(),
            &crate::forms::Nothing,
            meta(0).at,
        )
        .unwrap(),
    )
    .unwrap();
    let listed = parse_summaries(&[json, "{".into()]);
    assert_eq!(listed.keys().collect::<Vec<_>>(), [&id]);
    let stored = Stored {
        docs: vec![(id.to_string(), Ok(good.save()))],
        ..Stored::default()
    };
    let followed = [index::index_id(index::DEFAULT_SCOPE)];
    let (mut device, fx) = Device::load(stored, &listed, &followed, meta(0).at);
    assert!(fx.summaries.is_empty(), "listed already");
    assert!(
        !fx.shown.iter().any(|(shown, _)| *shown == id),
        "listed already"
    );
    assert!(device.lookup().record("SVC-1").is_some());
    assert!(
        device.doc(&followed[0]).is_some(),
        "a followed index starts empty"
    );
    assert!(device.follow(&followed).is_empty());
}

#[test]
fn a_discarded_refused_change_leaves_the_relays_version() {
    let (mut device, _) = Device::load(Stored::default(), &BTreeMap::new(), &[], meta(0).at);
    let id = harness::id(1);
    let _ = created(&mut device, id, "incident", &[("title", "Pump 3 leaks")], 1);
    let relay = device.doc(&id).unwrap().get_heads();
    let _ = device.relay_has(id, relay.clone());
    let prepared = device
        .prepare_edit(id, &values(&[("title", "Mine")]), &meta(2))
        .unwrap();
    let _ = device.commit(prepared);
    let _ = device.not_accepted(
        id,
        Refusal::new(crate::refusal::RefusalCode::OutOfScope, "no"),
        meta(3).at,
    );

    let prepared = device.prepare_discard(id, meta(4).at).unwrap();
    assert_ne!(
        device.doc(&id).unwrap().get_heads(),
        relay,
        "memory keeps the change until committed"
    );
    let fx = device.commit(prepared);
    assert_eq!(device.doc(&id).unwrap().get_heads(), relay);
    assert_eq!(summary_of(&fx, id).title, "Pump 3 leaks");
    assert_eq!((fx.refusals, fx.release), (vec![(id, None)], vec![id]));
    assert!(
        fx.announce.is_empty(),
        "offered again by the release, not announced"
    );
    assert_eq!(
        fx.unsynced,
        Some(1),
        "the default index's change is all that is left"
    );
    assert!(device.refused().is_empty());
}

#[test]
fn edits_moves_actions_and_choices_go_through_the_forms() {
    let (mut device, _) = Device::load(Stored::default(), &BTreeMap::new(), &[], meta(0).at);
    let id = harness::id(1);
    let _ = created(&mut device, id, "incident", &[("title", "Pump 3 leaks")], 1);
    let err = device
        .prepare_move(id, "nowhere", "", &meta(2))
        .err()
        .unwrap();
    assert!(matches!(err, SaveError::Rejected(_)), "{err}");
    let missing = device
        .prepare_edit(harness::id(9), &values(&[]), &meta(2))
        .err()
        .unwrap();
    assert_eq!(missing.to_string(), "this record is not on this device");
    let prepared = device
        .prepare_move(id, "in_progress", "", &meta(2))
        .unwrap();
    let fx = device.commit(prepared);
    assert_eq!(summary_of(&fx, id).status, "in_progress");
    let actor = crate::access::Actor::default();
    let err = device
        .prepare_act(id, "no_such_action", &values(&[]), &actor, &meta(3))
        .err()
        .unwrap();
    assert!(matches!(err, SaveError::Rejected(_)), "{err}");
    let hash = "a".repeat(64);
    let prepared = device
        .prepare_attach(
            id,
            hash.clone(),
            "leak.jpg".into(),
            "image/jpeg".into(),
            10,
            &meta(3),
        )
        .unwrap();
    let _ = device.commit(prepared);
    let record = crate::records::read(device.doc(&id).unwrap()).unwrap();
    assert_eq!(crate::attachments::Attachment::all(&record)[0].hash, hash);
    // A conflict on the title, resolved by choosing one value.
    let other = edited_elsewhere(&device, id, &[("title", "Theirs")], 4);
    let prepared = device
        .prepare_edit(id, &values(&[("title", "Ours")]), &meta(4))
        .unwrap();
    let _ = device.commit(prepared);
    merge_in(&mut device, id, other);
    let _ = device.remote_changed(&[id], meta(5).at);
    let prepared = device
        .prepare_choose(id, "title", "Theirs", &meta(5))
        .unwrap();
    let fx = device.commit(prepared);
    assert_eq!(summary_of(&fx, id).title, "Theirs");
}
