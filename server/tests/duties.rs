//! Separation of duties on the relay (`shared::duties`): the relay sees who is signed in on a
//! connection and refuses an approval decision they may not record (their own change, no
//! change-manager role, someone else's name), with the code `separation_of_duties`, while the
//! connection stays open and a change manager's own decision goes through. And continuity
//! plans reach every person with a role, through the index everyone follows.

mod common;

use std::time::Duration;

use automerge::Automerge;
use common::{Device, PASSWORD, new_id, start_relay};
use shared::access::Role;
use shared::forms::{Form, Nothing, Values};
use shared::ids::DocumentId;
use shared::index;
use shared::model::ChangeMeta;
use shared::records::change::CHANGE;
use shared::records::continuity::CONTINUITY_PLAN;
use shared::refusal::{Refusal, RefusalCode};
use shared::time::Timestamp;

fn meta(author: &str, at: i64) -> ChangeMeta {
    ChangeMeta {
        author: author.into(),
        device: format!("device-{author}"),
        at: Timestamp(1_764_000_000_000 + at),
    }
}

fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// `doc` with an approval decision recorded as `author` (the form's action, without the
/// app's check of duties: what a modified or outdated app could send).
fn decided(doc: &Automerge, author: &str, at: i64) -> Automerge {
    let mut doc = doc.clone();
    let decision = values(&[("role", "cab"), ("decision", "approve"), ("comment", "ok")]);
    Form(&CHANGE)
        .act(&mut doc, "decide", &decision, &Nothing, &meta(author, at))
        .unwrap();
    doc
}

async fn refused_within(device: &mut Device, id: DocumentId) -> Refusal {
    device
        .try_run_until(
            |d| d.refusals.iter().any(|(doc, _)| *doc == id),
            Duration::from_secs(5),
        )
        .await;
    assert!(!device.closed, "a refused write leaves the connection open");
    device
        .refusals
        .iter()
        .find(|(doc, _)| *doc == id)
        .map(|(_, r)| r.clone())
        .unwrap_or_else(|| panic!("a refusal of {id}: {:?}", device.errors))
}

/// Asks the relay for document `id` and waits until it has arrived.
async fn fetch(device: &mut Device, id: DocumentId) {
    device.request(id).await;
    device
        .run_until(|d| {
            d.docs
                .get(&id)
                .is_some_and(|doc| !doc.get_heads().is_empty())
        })
        .await;
}

/// Who approved the change in `doc` (none while it has not arrived).
fn approvers(doc: &Automerge) -> Vec<String> {
    shared::records::read(doc)
        .map(|r| {
            r.groups("approvals")
                .map(|a| a.str("approver").to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A change `author` raises (created on their device and stored by the relay): its id, the
/// document, and the device.
async fn raise_change(
    relay: &common::RunningRelay,
    author: &str,
    title: &str,
) -> (DocumentId, Automerge, Device) {
    let id = new_id();
    let created = Form(&CHANGE)
        .create(
            &id,
            &values(&[("title", title)]),
            &Nothing,
            &meta(author, 0),
        )
        .unwrap();
    let device_id = format!("device-{author}");
    let mut device = Device::sign_in(relay, author, PASSWORD, &device_id).await;
    device.edit(id, created.clone()).await;
    device.run_until(|d| d.unsynced(&id) == 0).await;
    (id, created, device)
}

/// `name` signs in on `device`, fetches change `id` and sends an approval decision on it in
/// the name of `approver` (as a modified app could).
async fn send_decision(
    relay: &common::RunningRelay,
    name: &str,
    device: &str,
    id: DocumentId,
    approver: &str,
    at: i64,
) -> Device {
    let mut sender = Device::sign_in(relay, name, PASSWORD, device).await;
    fetch(&mut sender, id).await;
    let base = sender.docs[&id].clone();
    sender.edit(id, decided(&base, approver, at)).await;
    sender
}

#[tokio::test]
async fn the_relay_refuses_an_approval_its_sender_may_not_give() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let admin = relay.admin_cookie().await;
    for (name, roles) in [
        ("cara", &[Role::ChangeManager][..]),
        ("carl", &[Role::ChangeManager]),
        ("ted", &[Role::Technician, Role::Administrator]),
    ] {
        relay.add_person(&admin, name, roles, &[], &[]).await;
    }

    // Cara raises a change.
    let (id, created, mut cara) = raise_change(&relay, "cara", "Swap the core switch").await;

    // She approves it herself: refused, and nothing of it is kept.
    cara.edit(id, decided(&created, "cara", 1)).await;
    let refusal = refused_within(&mut cara, id).await;
    assert_eq!(refusal.code, RefusalCode::SeparationOfDuties);
    assert_eq!(refusal.reason, shared::duties::REQUESTER);

    // An administrator without the change-manager role (who may write every change).
    let mut ted = send_decision(&relay, "ted", "device-ted", id, "ted", 2).await;
    let refusal = refused_within(&mut ted, id).await;
    assert_eq!(refusal.code, RefusalCode::SeparationOfDuties);
    assert_eq!(refusal.reason, shared::duties::NOT_CAB);

    // Carl, a change manager, records it in someone else's name: refused.
    let mut carl = send_decision(&relay, "carl", "device-carl", id, "fay", 3).await;
    let refusal = refused_within(&mut carl, id).await;
    assert!(
        refusal.reason.contains("names fay but was sent by carl"),
        "{refusal:?}"
    );

    // In his own name it goes through, and reaches everyone with who, when and which device.
    let mut carl = send_decision(&relay, "carl", "device-carl-2", id, "carl", 4).await;
    carl.run_until(|d| d.unsynced(&id) == 0).await;
    assert!(carl.refusals.is_empty(), "{:?}", carl.refusals);
    let mut reader = Device::sign_in(&relay, "cara", PASSWORD, "device-cara-2").await;
    reader.request(id).await;
    reader
        .run_until(|d| {
            d.docs
                .get(&id)
                .is_some_and(|doc| approvers(doc) == ["carl"])
        })
        .await;
    let record = shared::records::read(&reader.docs[&id]).unwrap();
    let approval = record.groups("approvals").next().unwrap();
    assert_eq!(approval.str("device"), "device-carl");
    assert_eq!(approval.when("at"), Some(meta("carl", 4).at));
    relay.shutdown().await;
}

#[tokio::test]
async fn a_role_the_operator_made_a_cab_member_approves_and_others_still_may_not() {
    let dir = tempfile::tempdir().unwrap();
    let relay = common::start_relay_with(dir.path(), |c| {
        c.cab_roles = [Role::Agent].into();
    })
    .await;
    let admin = relay.admin_cookie().await;
    for (name, roles) in [
        ("cara", &[Role::ChangeManager][..]),
        ("ida", &[Role::Agent]),
        ("tom", &[Role::Technician]),
    ] {
        relay.add_person(&admin, name, roles, &[], &[]).await;
    }
    let (id, _, _cara) = raise_change(&relay, "cara", "Replace the UPS").await;

    // A technician is still no CAB member.
    let mut tom = send_decision(&relay, "tom", "device-tom", id, "tom", 1).await;
    assert_eq!(
        refused_within(&mut tom, id).await.reason,
        shared::duties::NOT_CAB
    );

    // Ida, an agent, is one (--cab-role agent): her decision stands.
    let mut ida = send_decision(&relay, "ida", "device-ida", id, "ida", 2).await;
    ida.run_until(|d| d.unsynced(&id) == 0).await;
    assert!(ida.refusals.is_empty(), "{:?}", ida.refusals);
    let mut reader = Device::sign_in(&relay, "cara", PASSWORD, "device-cara-2").await;
    reader.request(id).await;
    reader
        .run_until(|d| d.docs.get(&id).is_some_and(|doc| approvers(doc) == ["ida"]))
        .await;
    relay.shutdown().await;
}

#[tokio::test]
async fn continuity_plans_reach_every_role_but_restricted_ones_only_security() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "cara", &[Role::ChangeManager], &[], &[])
        .await;
    relay
        .add_person(&admin, "sid", &[Role::Security], &[], &[])
        .await;
    relay.add_person(&admin, "nobody", &[], &[], &[]).await;

    // The administrator's device files a plan in the indexes the app files it in.
    let plan_of = |name: &str| {
        let id = new_id();
        let doc = Form(&CONTINUITY_PLAN)
            .create(
                &id,
                &values(&[("service", name)]),
                &Nothing,
                &meta("admin", 0),
            )
            .unwrap();
        (id, doc)
    };
    let (plan, plan_doc) = plan_of("Head office unreachable");
    let (secret, mut secret_doc) = plan_of("Ransomware");
    {
        use automerge::transaction::Transactable;
        let mut tx = secret_doc.transaction();
        tx.put(automerge::ROOT, "restricted", true).unwrap();
        tx.commit();
    }
    let mut admin_device = Device::sign_in(
        &relay,
        "admin",
        &relay.first_password.clone().unwrap(),
        "device-admin-2",
    )
    .await;
    let everyone = index::index_id(index::EVERYONE_SCOPE);
    admin_device.request(everyone).await;
    let mut listed = admin_device.docs[&everyone].clone();
    index::add(&mut listed, &plan, CONTINUITY_PLAN.kind, &meta("admin", 1)).unwrap();
    admin_device.edit(plan, plan_doc).await;
    admin_device.edit(everyone, listed).await;
    admin_device
        .run_until(|d| [plan, everyone].iter().all(|id| d.unsynced(id) == 0))
        .await;
    assert!(
        admin_device.refusals.is_empty(),
        "{:?}",
        admin_device.refusals
    );
    // A restricted plan is the security role's to write (and to read).
    let mut sid = Device::sign_in(&relay, "sid", PASSWORD, "device-sid-0").await;
    sid.edit(secret, secret_doc).await;
    sid.run_until(|d| d.unsynced(&secret) == 0).await;
    assert!(sid.refusals.is_empty(), "{:?}", sid.refusals);

    // A change manager and a security officer each find it through the everyone index.
    for name in ["cara", "sid"] {
        let mut device = Device::sign_in(&relay, name, PASSWORD, &format!("device-{name}")).await;
        device.request(everyone).await;
        device
            .run_until(|d| {
                d.docs
                    .get(&everyone)
                    .is_some_and(|doc| index::records(doc).contains(&plan))
            })
            .await;
        fetch(&mut device, plan).await;
        let read = shared::records::read(&device.docs[&plan]).unwrap();
        assert_eq!(read.str("service"), "Head office unreachable", "{name}");
        // The restricted plan only the security role reads.
        device.request(secret).await;
        let got = device
            .try_run_until(
                |d| {
                    d.unavailable.contains(&secret)
                        || d.docs
                            .get(&secret)
                            .is_some_and(|doc| !doc.get_heads().is_empty())
                },
                Duration::from_secs(5),
            )
            .await;
        assert!(got, "{name}: an answer about the restricted plan");
        assert_eq!(
            device.unavailable.contains(&secret),
            name == "cara",
            "{name}: restricted plan"
        );
    }

    // Someone with no role gets nothing.
    let mut nobody = Device::sign_in(&relay, "nobody", PASSWORD, "device-nobody").await;
    nobody.request(plan).await;
    nobody.run_until(|d| d.unavailable.contains(&plan)).await;
    relay.shutdown().await;
}
