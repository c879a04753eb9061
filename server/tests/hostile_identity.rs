//! Hostile people with ordinary accounts, against the real relay binary over real sockets:
//! revocation, sessions and sign-in, Origin, metrics, ephemeral messages, scope capture, the
//! change feed and CSV exports (issue 13, items 3 to 5). Each test asserts that the attacker
//! is refused or disconnected, that a bystander on another connection keeps syncing within
//! [`BYSTANDER_BOUND`], that the relay's memory stays within [`MEMORY_BOUND_KIB`] (read from
//! /proc), and that nothing acknowledged is lost.

mod common;

use std::time::{Duration, Instant};

use automerge::{ReadDoc, transaction::Transactable};
use common::{process::RelayProcess, *};
use shared::{
    access::Role,
    ids::{DocumentId, PeerId},
    index,
    protocol::{self, Message},
    records::{Record, incident::Incident, security::SECURITY_INCIDENT},
    refusal::{Refusal, RefusalCode},
};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// A bystander's edit is acknowledged within this, whatever the attacker does.
const BYSTANDER_BOUND: Duration = Duration::from_secs(2);
/// A revocation made through the relay's API reaches open connections within this.
const API_REVOCATION_BOUND: Duration = Duration::from_secs(1);
/// One made by another process (`outpost user …`): the relay polls every 500 ms.
const CLI_REVOCATION_BOUND: Duration = Duration::from_secs(2);
/// The relay's resident memory throughout (a debug build, a handful of connections).
const MEMORY_BOUND_KIB: u64 = 200 * 1024;

/// Two technicians of site north: ana has uploaded a record (acknowledged), bo has it open.
struct Scene {
    admin: String,
    ana: Device,
    bo: Device,
    record: DocumentId,
}

/// The relay binary with `args` (its data in a temporary folder), and the [`Scene`] on it.
async fn relay_with_scene(args: &[&str]) -> (tempfile::TempDir, RelayProcess, Scene) {
    let dir = tempfile::tempdir().unwrap();
    let relay = RelayProcess::start(dir.path(), args);
    let scene = scene(&relay).await;
    (dir, relay, scene)
}

async fn scene(relay: &Api) -> Scene {
    let admin = relay.admin_cookie().await;
    for name in ["ana", "bo"] {
        relay
            .add_person(&admin, name, &[Role::Technician], &["north"], &[])
            .await;
    }
    let record = new_id();
    let mut ana = Device::sign_in(relay, "ana", PASSWORD, "device-ana").await;
    ana.edit(record, incident_doc("Pump 3 leaks", Some("north"), None))
        .await;
    ana.run_until(|d| d.unsynced(&record) == 0).await;
    let mut bo = Device::sign_in(relay, "bo", PASSWORD, "device-bo").await;
    bo.request(record).await;
    bo.run_until(|d| d.has_record(&record)).await;
    Scene {
        admin,
        ana,
        bo,
        record,
    }
}

fn retitled(doc: &automerge::Automerge, title: &str) -> automerge::Automerge {
    let mut doc = doc.clone();
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "title", title).unwrap();
    tx.commit();
    doc
}

/// The bystander edits `id` and the relay acknowledges it within [`BYSTANDER_BOUND`].
async fn bystander_syncs(device: &mut Device, id: DocumentId, title: &str) {
    let start = Instant::now();
    let doc = retitled(&device.docs[&id], title);
    device.edit(id, doc).await;
    assert!(
        device
            .try_run_until(|d| d.unsynced(&id) == 0, BYSTANDER_BOUND)
            .await,
        "the bystander's edit was acknowledged within {BYSTANDER_BOUND:?} (took {:?})",
        start.elapsed()
    );
}

/// Record `id` as the relay has it, read by a fresh device of `username`.
async fn stored(relay: &Api, username: &str, id: DocumentId) -> automerge::Automerge {
    let mut check = Device::sign_in(relay, username, PASSWORD, "device-check").await;
    check.request(id).await;
    check.run_until(|d| d.has_record(&id)).await;
    check.docs.remove(&id).unwrap()
}

/// The title of record `id` as the relay has it: what was acknowledged is there.
async fn stored_title(relay: &Api, username: &str, id: DocumentId) -> String {
    Incident::read(&stored(relay, username, id).await)
        .unwrap()
        .title
}

/// Waits until the relay closes `device`'s connection; returns how long that took.
async fn closed_within(device: &mut Device, limit: Duration) -> Duration {
    let start = Instant::now();
    device.try_run_until(|d| d.closed, limit).await;
    assert!(device.closed, "closed within {limit:?}");
    start.elapsed()
}

/// Waits until the relay refuses `device`'s write to `id`; the connection stays open.
async fn refused_within(device: &mut Device, id: DocumentId, limit: Duration) -> Refusal {
    device
        .try_run_until(|d| d.refusals.iter().any(|(doc, _)| *doc == id), limit)
        .await;
    assert!(!device.closed, "a refused write leaves the connection open");
    let (_, refusal) = device
        .refusals
        .iter()
        .find(|(doc, _)| *doc == id)
        .unwrap_or_else(|| panic!("a refusal of {id} within {limit:?}: {:?}", device.errors));
    refusal.clone()
}

fn memory_within_bound(relay: &RelayProcess) {
    let rss = relay.rss_kib();
    eprintln!("relay memory: {rss} KiB");
    assert!(
        rss < MEMORY_BOUND_KIB,
        "relay memory {rss} KiB within {MEMORY_BOUND_KIB} KiB"
    );
}

#[tokio::test]
async fn disabling_or_resetting_from_the_command_line_closes_open_connections() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    let ana_cookie = relay.sign_in("ana", PASSWORD, "device-ana").await.unwrap();

    // Another process, on the same database, while the relay runs.
    relay.cli(&["user", "disable", "ana"]);
    let took = closed_within(&mut s.ana, CLI_REVOCATION_BOUND).await;
    assert!(
        s.ana.errors.iter().any(|e| e.contains("session has ended")),
        "{:?}",
        s.ana.errors
    );
    assert!(open_socket(&relay, Some(&ana_cookie)).await.is_err());
    bystander_syncs(&mut s.bo, s.record, "Pump 3 leaks, valve B").await;
    assert_eq!(
        stored_title(&relay, "bo", s.record).await,
        "Pump 3 leaks, valve B"
    );

    // A password reset ends bo's session too, and closes his connection.
    let mut other = Device::sign_in(
        &relay,
        "admin",
        &relay.first_password.clone().unwrap(),
        "device-admin2",
    )
    .await;
    other.request(s.record).await;
    other.run_until(|d| d.has_record(&s.record)).await;
    relay.cli(&["user", "reset-password", "bo"]);
    closed_within(&mut s.bo, CLI_REVOCATION_BOUND).await;
    bystander_syncs(&mut other, s.record, "Pump 3 fixed").await;
    memory_within_bound(&relay);
    eprintln!("disable from another process reached the connection in {took:?}");
}

#[tokio::test]
async fn narrowed_access_stops_what_may_no_longer_be_read_at_once() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    let admin = s.admin.clone();
    let update = |body: serde_json::Value| {
        let (relay, admin) = (&relay, admin.clone());
        async move {
            let res = relay
                .call(reqwest::Method::POST, "/api/people/ana", &admin, Some(body))
                .await;
            assert_eq!(res.status(), 200);
        }
    };

    // Ana leaves site north: her connection stays, the record goes.
    let start = Instant::now();
    update(serde_json::json!({"leave_site": "north"})).await;
    s.ana
        .try_run_until(|d| d.unavailable.contains(&s.record), API_REVOCATION_BOUND)
        .await;
    assert!(
        s.ana.unavailable.contains(&s.record),
        "told within {API_REVOCATION_BOUND:?}"
    );
    assert!(!s.ana.closed);
    let narrowed = start.elapsed();
    // Bo's later edits no longer reach her.
    bystander_syncs(&mut s.bo, s.record, "Pump 3: seal ordered").await;
    s.ana
        .try_run_until(
            |d| Incident::read(&d.docs[&s.record]).unwrap().title != "Pump 3 leaks",
            Duration::from_secs(1),
        )
        .await;
    assert_eq!(
        Incident::read(&s.ana.docs[&s.record]).unwrap().title,
        "Pump 3 leaks"
    );
    // Her write is judged by her access now: the relay has no such record for her, so her
    // device knows the change was not accepted.
    s.ana.unavailable.clear();
    let doc = retitled(&s.ana.docs[&s.record], "Written after leaving");
    s.ana.edit(s.record, doc).await;
    s.ana
        .try_run_until(
            |d| d.unavailable.contains(&s.record),
            Duration::from_secs(5),
        )
        .await;
    assert!(s.ana.unavailable.contains(&s.record));
    let refusal =
        shared::sync::unavailable_refusal(&s.ana.docs[&s.record], &s.ana.relay_heads[&s.record]);
    assert_eq!(refusal.map(|r| r.code), Some(RefusalCode::OutOfScope));
    assert_eq!(
        stored_title(&relay, "bo", s.record).await,
        "Pump 3: seal ordered"
    );

    // Back in the site but read-only (auditor instead of technician): her write is refused.
    update(serde_json::json!({"join_site": "north", "grant": "auditor"})).await;
    update(serde_json::json!({"revoke": "technician"})).await;
    let mut ana = Device::sign_in(&relay, "ana", PASSWORD, "device-ana").await;
    ana.request(s.record).await;
    ana.run_until(|d| d.has_record(&s.record)).await;
    let doc = retitled(&ana.docs[&s.record], "Audited away");
    ana.edit(s.record, doc).await;
    let refusal = refused_within(&mut ana, s.record, Duration::from_secs(5)).await;
    assert_eq!(refusal.code, RefusalCode::ReadOnly);
    assert_eq!(
        stored_title(&relay, "bo", s.record).await,
        "Pump 3: seal ordered"
    );

    // Revoking her last role with access: her open connection loses the record at once.
    let mut ana = Device::sign_in(&relay, "ana", PASSWORD, "device-ana").await;
    ana.request(s.record).await;
    ana.run_until(|d| d.has_record(&s.record)).await;
    update(serde_json::json!({"revoke": "auditor"})).await;
    ana.try_run_until(|d| d.unavailable.contains(&s.record), API_REVOCATION_BOUND)
        .await;
    assert!(ana.unavailable.contains(&s.record));
    bystander_syncs(&mut s.bo, s.record, "Pump 3 fixed").await;
    memory_within_bound(&relay);
    eprintln!("leaving a site reached the open connection in {narrowed:?}");
}

#[tokio::test]
async fn a_session_that_expires_while_connected_closes_its_connection_then() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay_with(dir.path(), |c| c.session_lifetime_ms = 2_000).await;
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "ana", &[Role::Technician], &["north"], &[])
        .await;
    let signed_in = Instant::now();
    let mut ana = Device::sign_in(&relay, "ana", PASSWORD, "device-ana").await;
    let took = {
        ana.try_run_until(|d| d.closed, Duration::from_secs(4))
            .await;
        signed_in.elapsed()
    };
    assert!(ana.closed);
    assert!(
        took >= Duration::from_millis(1_900) && took < Duration::from_millis(3_000),
        "closed at expiry (after {took:?})"
    );
    assert!(
        ana.errors.iter().any(|e| e.contains("expired")),
        "{:?}",
        ana.errors
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn signing_out_closes_that_sessions_connection_only() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    let cookie = relay
        .sign_in("ana", PASSWORD, "device-ana-2")
        .await
        .unwrap();
    let mut second = Device::connect(&relay, &cookie, "device-ana-2").await;
    let res = relay
        .call(reqwest::Method::DELETE, "/api/session", &cookie, None)
        .await;
    assert_eq!(res.status(), 204);
    closed_within(&mut second, API_REVOCATION_BOUND).await;
    // Her first device's session goes on.
    bystander_syncs(&mut s.ana, s.record, "Pump 3: still leaking").await;
    bystander_syncs(&mut s.bo, s.record, "Pump 3: valve closed").await;
    memory_within_bound(&relay);
}

/// POST /api/session with optional extra cookies and X-Forwarded-For; the status and every
/// cookie set.
async fn sign_in_raw(
    relay: &Api,
    username: &str,
    password: &str,
    device: &str,
    cookies: Option<&str>,
    forwarded_for: Option<&str>,
) -> (u16, Vec<String>) {
    let mut req = reqwest::Client::new()
        .post(relay.url("/api/session"))
        .json(&serde_json::json!({"username": username, "password": password, "device": device}));
    if let Some(c) = cookies {
        req = req.header("cookie", c);
    }
    if let Some(f) = forwarded_for {
        req = req.header("x-forwarded-for", f);
    }
    let res = req.send().await.unwrap();
    let set = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().split(';').next().unwrap().to_string())
        .collect();
    (res.status().as_u16(), set)
}

#[tokio::test]
async fn another_persons_device_id_is_refused_and_ends_no_session() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    relay
        .add_person(&s.admin, "mallory", &[Role::Technician], &["north"], &[])
        .await;
    let ana_cookie = relay.sign_in("ana", PASSWORD, "device-ana").await.unwrap();
    let (status, _) = sign_in_raw(&relay, "mallory", PASSWORD, "device-ana", None, None).await;
    assert_eq!(status, 409, "device-ana is ana's");
    // Ana's sessions and her open connection go on.
    let me = relay
        .call(reqwest::Method::GET, "/api/session", &ana_cookie, None)
        .await;
    assert_eq!(me.status(), 200);
    bystander_syncs(&mut s.ana, s.record, "Pump 3: ana still here").await;
    // Mallory on a device of her own is fine.
    assert!(
        relay
            .sign_in("mallory", PASSWORD, "device-mallory")
            .await
            .is_ok()
    );
    bystander_syncs(&mut s.bo, s.record, "Pump 3: bo too").await;
    memory_within_bound(&relay);
}

#[tokio::test]
async fn guessing_in_parallel_gains_nothing_and_never_locks_out_an_own_device() {
    // The relay sits behind a proxy on loopback: X-Forwarded-For names each client.
    let (_dir, relay, mut s) = relay_with_scene(&["--trusted-proxy", "127.0.0.1"]).await;
    // Ana's own tablet has signed in before: it holds its device secret.
    let (status, cookies) = sign_in_raw(
        &relay,
        "ana",
        PASSWORD,
        "device-ana",
        None,
        Some("10.1.0.1"),
    )
    .await;
    assert_eq!(status, 200);
    let device_cookie = cookies
        .iter()
        .find(|c| c.starts_with("outpost_device="))
        .expect("a device secret")
        .clone();

    // Twenty guesses at once from twenty addresses: each is counted before it is checked, so
    // only the account's free attempts are checked at all.
    let guesses = (0..20).map(|i| {
        let relay = &relay;
        async move {
            let from = format!("203.0.113.{i}");
            let guess = format!("guess number {i}");
            sign_in_raw(relay, "ana", &guess, "device-evil", None, Some(&from))
                .await
                .0
        }
    });
    let statuses = futures::future::join_all(guesses).await;
    let checked = statuses.iter().filter(|&&s| s == 401).count();
    assert!(checked <= 3, "{checked} guesses were checked: {statuses:?}");
    assert!(
        statuses.iter().all(|&s| s == 401 || s == 429),
        "{statuses:?}"
    );

    // The account is slowed for new devices, even with the right password…
    let (status, _) = sign_in_raw(
        &relay,
        "ana",
        PASSWORD,
        "device-new",
        None,
        Some("10.1.0.2"),
    )
    .await;
    assert_eq!(status, 429);
    // …but her own device gets in at once, from anywhere.
    let (status, _) = sign_in_raw(
        &relay,
        "ana",
        PASSWORD,
        "device-ana",
        Some(&device_cookie),
        Some("198.51.100.7"),
    )
    .await;
    assert_eq!(
        status, 200,
        "a correct password from her own device is never locked out"
    );
    // A stolen device id without its secret is not her device.
    let (status, _) = sign_in_raw(
        &relay,
        "ana",
        PASSWORD,
        "device-ana",
        None,
        Some("10.1.0.3"),
    )
    .await;
    assert_eq!(status, 429);
    bystander_syncs(&mut s.bo, s.record, "Pump 3: under attack, still syncing").await;
    memory_within_bound(&relay);
}

#[tokio::test]
async fn forwarded_addresses_are_believed_only_from_a_trusted_proxy() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    // Without --trusted-proxy, a made-up X-Forwarded-For does not make each guess a new
    // address: the loopback address is slowed after its free attempts, for every account.
    for i in 0..3 {
        let from = format!("203.0.113.{i}");
        let (status, _) =
            sign_in_raw(&relay, "nobody", "guess", "device-x", None, Some(&from)).await;
        assert_eq!(status, 401);
    }
    let (status, _) = sign_in_raw(
        &relay,
        "someone-else",
        "guess",
        "device-x",
        None,
        Some("203.0.113.99"),
    )
    .await;
    assert_eq!(status, 429);
    bystander_syncs(&mut s.bo, s.record, "Pump 3: fine").await;
    memory_within_bound(&relay);
}

/// Opens the sync socket with a cookie and an `Origin`; the handshake's status on refusal.
async fn socket_from(relay: &Api, cookie: &str, origin: &str) -> Result<(), String> {
    let mut request = format!("ws://{}/sync", relay.addr)
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("cookie", cookie.parse().unwrap());
    request
        .headers_mut()
        .insert("origin", origin.parse().unwrap());
    tokio_tungstenite::connect_async(request)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

#[tokio::test]
async fn only_the_relays_own_or_listed_origins_open_the_sync_socket() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    let cookie = relay.sign_in("ana", PASSWORD, "device-ana").await.unwrap();
    let own = format!("http://{}", relay.addr);
    assert!(socket_from(&relay, &cookie, &own).await.is_ok());
    let evil = socket_from(&relay, &cookie, "https://evil.example.org").await;
    assert!(evil.unwrap_err().contains("403"));
    bystander_syncs(&mut s.bo, s.record, "Pump 3: origin checked").await;
    memory_within_bound(&relay);
    drop(relay);

    let dir = tempfile::tempdir().unwrap();
    let relay = RelayProcess::start(
        dir.path(),
        &[
            "--allowed-origin",
            "https://desk.example.org,https://ops.example.org",
        ],
    );
    let cookie = relay.admin_cookie().await;
    assert!(
        socket_from(&relay, &cookie, "https://ops.example.org")
            .await
            .is_ok()
    );
    let own = format!("http://{}", relay.addr);
    assert!(
        socket_from(&relay, &cookie, &own)
            .await
            .unwrap_err()
            .contains("403")
    );
}

#[tokio::test]
async fn metrics_are_for_administrators_or_a_private_address() {
    let listen = format!("127.0.0.1:{}", common::process::free_port());
    let (_dir, relay, mut s) = relay_with_scene(&["--metrics-listen", &listen]).await;
    let anonymous = reqwest::get(relay.url("/metrics")).await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let bo = relay.sign_in("bo", PASSWORD, "device-bo").await.unwrap();
    let tech = relay
        .call(reqwest::Method::GET, "/metrics", &bo, None)
        .await;
    assert_eq!(tech.status(), 403);
    let admin = relay
        .call(reqwest::Method::GET, "/metrics", &s.admin, None)
        .await;
    assert_eq!(admin.status(), 200);
    let private = reqwest::get(format!("http://{listen}/metrics"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(private.contains("outpost_connections_open 2"), "{private}");
    // That address serves nothing else.
    let other = reqwest::get(format!("http://{listen}/api/people"))
        .await
        .unwrap();
    assert_eq!(other.status(), 404);
    bystander_syncs(&mut s.bo, s.record, "Pump 3: metered").await;
    memory_within_bound(&relay);
}

fn ephemeral(id: DocumentId, claimed_sender: &str) -> Vec<u8> {
    protocol::encode(&Message::Ephemeral {
        document_id: id,
        sender_id: PeerId::from(claimed_sender),
        target_id: PeerId::from("outpost-relay"),
        count: 1,
        session_id: "presence".into(),
        data: vec![0xa0],
    })
}

fn ephemerals(device: &Device) -> Vec<PeerId> {
    device
        .received
        .iter()
        .filter_map(|m| match m {
            Message::Ephemeral { sender_id, .. } => Some(sender_id.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn ephemeral_messages_name_their_real_sender_and_need_write_access() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    relay
        .add_person(&s.admin, "audrey", &[Role::Auditor], &[], &[])
        .await;
    let mut audrey = Device::sign_in(&relay, "audrey", PASSWORD, "device-audrey").await;
    audrey.request(s.record).await;
    audrey.run_until(|d| d.has_record(&s.record)).await;

    // Ana pretends to be bo: bo hears it from ana.
    s.ana.send(ephemeral(s.record, "device-bo")).await;
    s.bo.try_run_until(|d| !ephemerals(d).is_empty(), Duration::from_secs(5))
        .await;
    assert_eq!(ephemerals(&s.bo), [PeerId::from("device-ana")]);
    audrey
        .try_run_until(|d| !ephemerals(d).is_empty(), Duration::from_secs(5))
        .await;
    assert_eq!(
        ephemerals(&audrey),
        [PeerId::from("device-ana")],
        "readers hear it"
    );

    // A read-only auditor cannot broadcast to the people working the record.
    audrey.send(ephemeral(s.record, "device-audrey")).await;
    s.bo.try_run_until(|d| ephemerals(d).len() > 1, Duration::from_secs(1))
        .await;
    s.ana
        .try_run_until(|d| !ephemerals(d).is_empty(), Duration::from_millis(200))
        .await;
    assert_eq!(ephemerals(&s.bo).len(), 1);
    assert!(ephemerals(&s.ana).is_empty());
    // Nor about a document the relay does not hold.
    s.ana.send(ephemeral(new_id(), "device-ana")).await;
    bystander_syncs(&mut s.bo, s.record, "Pump 3: present").await;
    assert_eq!(ephemerals(&s.bo).len(), 1);
    // Both dropped messages are counted as refused.
    let mut metrics = String::new();
    for _ in 0..20 {
        metrics = relay
            .call(reqwest::Method::GET, "/metrics", &s.admin, None)
            .await
            .text()
            .await
            .unwrap();
        if metrics.contains("outpost_refused_total 2") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(metrics.contains("outpost_refused_total 2"), "{metrics}");
    memory_within_bound(&relay);
}

#[tokio::test]
async fn a_device_cannot_capture_an_index_the_relay_derives() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    // Mallory guesses the index of a site that does not exist yet and uploads a record there.
    let future = index::index_id("site:future");
    let mut mallory = Device::sign_in(&relay, "ana", PASSWORD, "device-ana-2").await;
    mallory
        .edit(future, incident_doc("Mine now", Some("north"), None))
        .await;
    let refusal = refused_within(&mut mallory, future, Duration::from_secs(5)).await;
    assert!(refusal.reason.contains("only the relay"), "{refusal:?}");
    // When the site is added, its index is its people's.
    relay
        .add_person(&s.admin, "fay", &[Role::Technician], &["future"], &[])
        .await;
    let mut fay = Device::sign_in(&relay, "fay", PASSWORD, "device-fay").await;
    let mut idx = automerge::Automerge::new();
    let listed = new_id();
    index::add(&mut idx, &listed, "incident", &meta("fay")).unwrap();
    fay.edit(future, idx).await;
    fay.run_until(|d| d.unsynced(&future) == 0).await;
    // And nobody else's.
    let mut bo_idx = Device::sign_in(&relay, "bo", PASSWORD, "device-bo-2").await;
    bo_idx.request(future).await;
    bo_idx
        .try_run_until(|d| d.unavailable.contains(&future), Duration::from_secs(5))
        .await;
    assert!(bo_idx.unavailable.contains(&future));

    // Documents that are not records of a known type are refused.
    for (doc, why) in [
        (
            {
                let mut d = automerge::Automerge::new();
                let mut tx = d.transaction();
                tx.put(automerge::ROOT, "title", "no type").unwrap();
                tx.commit();
                d
            },
            "no type",
        ),
        (
            {
                let mut d = incident_doc("odd", Some("north"), None);
                let mut tx = d.transaction();
                tx.put(automerge::ROOT, "type", "spaceship").unwrap();
                tx.commit();
                d
            },
            "does not know",
        ),
    ] {
        let id = new_id();
        mallory.edit(id, doc).await;
        let refusal = refused_within(&mut mallory, id, Duration::from_secs(5)).await;
        assert_eq!(refusal.code, RefusalCode::Invalid);
        assert!(refusal.reason.contains(why), "{refusal:?}");
    }
    bystander_syncs(&mut s.bo, s.record, "Pump 3: indexes safe").await;
    assert_eq!(
        stored_title(&relay, "ana", s.record).await,
        "Pump 3: indexes safe"
    );
    memory_within_bound(&relay);
}

#[tokio::test]
async fn a_records_scope_cannot_be_moved_after_it_exists() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    relay
        .add_person(&s.admin, "sam", &[Role::Technician], &["south"], &[])
        .await;
    let attempts: [(&str, automerge::ScalarValue); 4] = [
        ("site", "south".into()),
        ("team", "desk".into()),
        ("type", "change".into()),
        ("restricted", true.into()),
    ];
    for (what, value) in attempts {
        let mut ana = Device::sign_in(&relay, "ana", PASSWORD, "device-ana-2").await;
        ana.request(s.record).await;
        ana.run_until(|d| d.has_record(&s.record)).await;
        let mut doc = retitled(&ana.docs[&s.record], &format!("Moved by {what}"));
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, what, value).unwrap();
        tx.commit();
        ana.edit(s.record, doc).await;
        let refusal = refused_within(&mut ana, s.record, Duration::from_secs(5)).await;
        assert_eq!(refusal.code, RefusalCode::ScopeChange, "{what}");
        // Nothing of the refused change was kept or passed on: not even the retitle with it.
        bystander_syncs(&mut s.bo, s.record, &format!("Pump 3 after {what}")).await;
        let stored = &stored(&relay, "bo", s.record).await;
        assert_eq!(
            Incident::read(stored).unwrap().title,
            format!("Pump 3 after {what}")
        );
        let site = stored
            .get(automerge::ROOT, "site")
            .unwrap()
            .unwrap()
            .0
            .to_string();
        assert_eq!(site, "\"north\"");
        assert!(stored.get(automerge::ROOT, "restricted").unwrap().is_none());
    }
    // South never got it.
    let mut sam = Device::sign_in(&relay, "sam", PASSWORD, "device-sam").await;
    sam.request(s.record).await;
    sam.try_run_until(
        |d| d.unavailable.contains(&s.record),
        Duration::from_secs(5),
    )
    .await;
    assert!(sam.unavailable.contains(&s.record));
    memory_within_bound(&relay);
}

#[tokio::test]
async fn restricted_records_are_listed_only_where_only_their_readers_look() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    relay
        .add_person(
            &s.admin,
            "sid",
            &[Role::Security, Role::Technician],
            &["north"],
            &[],
        )
        .await;
    // Ana lists her record in the default index, as the app does.
    let default = index::index_id(index::DEFAULT_SCOPE);
    let mut idx = automerge::Automerge::new();
    index::add(&mut idx, &s.record, "incident", &meta("ana")).unwrap();
    s.ana.edit(default, idx).await;
    s.ana.run_until(|d| d.unsynced(&default) == 0).await;

    let mut sid = Device::sign_in(&relay, "sid", PASSWORD, "device-sid").await;
    let secret = new_id();
    let mut doc = automerge::Automerge::new();
    Record::new(&SECURITY_INCIDENT)
        .write(&mut doc, &meta("sid"))
        .unwrap();
    sid.edit(secret, doc).await;
    sid.run_until(|d| d.unsynced(&secret) == 0).await;

    // Listing it in the default index (every worker reads it; sid is a technician too) is
    // refused…
    let mut idx = automerge::Automerge::new();
    index::add(&mut idx, &secret, SECURITY_INCIDENT.kind, &meta("sid")).unwrap();
    sid.edit(default, idx).await;
    let refusal = refused_within(&mut sid, default, Duration::from_secs(5)).await;
    assert!(
        refusal.reason.contains("restricted index only"),
        "{refusal:?}"
    );
    // …in the restricted index it is fine, and only the security role reads that.
    let restricted = index::index_id(index::RESTRICTED_SCOPE);
    let mut sid = Device::sign_in(&relay, "sid", PASSWORD, "device-sid-2").await;
    let mut idx = automerge::Automerge::new();
    index::add(&mut idx, &secret, SECURITY_INCIDENT.kind, &meta("sid")).unwrap();
    sid.edit(restricted, idx).await;
    sid.run_until(|d| d.unsynced(&restricted) == 0).await;
    s.bo.request(restricted).await;
    s.bo.request(default).await;
    s.bo.try_run_until(
        |d| {
            d.unavailable.contains(&restricted)
                && d.docs
                    .get(&default)
                    .is_some_and(|i| index::records(i).contains(&s.record))
        },
        Duration::from_secs(5),
    )
    .await;
    assert!(s.bo.unavailable.contains(&restricted));
    let listed = index::records(&s.bo.docs[&default]);
    assert_eq!(
        listed,
        [s.record],
        "the default index bo reads does not list it"
    );

    // Removing an entry from an index is refused too.
    let mut idx = s.bo.docs[&default].clone();
    let mut tx = idx.transaction();
    tx.delete(automerge::ROOT, s.record.to_string().as_str())
        .unwrap();
    tx.commit();
    s.bo.edit(default, idx).await;
    let refusal = refused_within(&mut s.bo, default, Duration::from_secs(5)).await;
    assert!(refusal.reason.contains("only ever added"), "{refusal:?}");
    bystander_syncs(&mut s.bo, s.record, "Pump 3: bo refused, still syncing").await;
    bystander_syncs(&mut s.ana, s.record, "Pump 3: secrets kept").await;
    memory_within_bound(&relay);
}

#[tokio::test]
async fn the_change_feed_cursor_is_a_clock_that_tells_nothing_of_other_scopes() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    relay
        .add_person(&s.admin, "sam", &[Role::Technician], &["south"], &[])
        .await;
    let sam = relay.sign_in("sam", PASSWORD, "device-sam").await.unwrap();
    let now_ms = || {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64
    };
    let feed = |since: i64| {
        let (relay, sam) = (&relay, sam.clone());
        async move {
            let before = now_ms();
            let v = relay
                .get_json(&format!("/api/changes?since={since}"), &sam)
                .await;
            let cursor = v["cursor"].as_i64().unwrap();
            // The relay's clock when it answered, nothing counted.
            assert!(
                cursor >= before - 5 && cursor <= now_ms() + 5,
                "{cursor} vs {before}"
            );
            (v["documents"].as_array().unwrap().len(), cursor)
        }
    };
    let (_, first) = feed(0).await;
    // Many writes in north between two of sam's reads…
    let ids: Vec<DocumentId> = (0..40).map(|_| new_id()).collect();
    for id in &ids {
        s.ana
            .edit(*id, incident_doc("North only", Some("north"), None))
            .await;
    }
    s.ana
        .run_until(|d| ids.iter().all(|id| d.unsynced(id) == 0))
        .await;
    let (listed, second) = feed(first).await;
    // …show neither as documents nor in the cursor, which only moved with the clock.
    assert_eq!(listed, 0);
    assert!(second > first);
    // A cursor from the future (the relay's clock was set back) asks for everything.
    let (_, third) = feed(second + 3_600_000).await;
    assert!(third < second + 3_600_000);
    bystander_syncs(&mut s.bo, s.record, "Pump 3: fed").await;
    memory_within_bound(&relay);
}

#[tokio::test]
async fn exported_csv_cells_cannot_run_as_formulas() {
    let (_dir, relay, mut s) = relay_with_scene(&[]).await;
    let formula = new_id();
    s.ana
        .edit(
            formula,
            incident_doc("=HYPERLINK(\"http://evil\")", Some("north"), None),
        )
        .await;
    s.ana.run_until(|d| d.unsynced(&formula) == 0).await;
    relay
        .add_person(&s.admin, "audrey", &[Role::Auditor], &[], &[])
        .await;
    let audrey = relay
        .sign_in("audrey", PASSWORD, "device-audrey")
        .await
        .unwrap();
    let res = relay
        .call(
            reqwest::Method::GET,
            "/api/export/evidence?clause=8.6.1&sample=10&seed=x",
            &audrey,
            None,
        )
        .await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap();
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    for name in ["records.csv", "history.csv"] {
        let mut text = String::new();
        use std::io::Read;
        zip.by_name(&format!("outpost-evidence-8.6.1/{name}"))
            .unwrap()
            .read_to_string(&mut text)
            .unwrap();
        assert!(text.contains("'=HYPERLINK"), "{name}: {text}");
        assert!(
            !text.contains(",=HYPERLINK") && !text.contains(",\"=HYPERLINK"),
            "{name}: {text}"
        );
    }
    bystander_syncs(&mut s.bo, s.record, "Pump 3: exported").await;
    memory_within_bound(&relay);
}

#[tokio::test]
async fn the_relay_lists_every_record_in_its_indexes_and_retires_the_old_ones_on_start() {
    let dir = tempfile::tempdir().unwrap();
    // A database from before derived index ids: the old default index lists a security
    // incident, and a record is listed nowhere.
    let legacy = index::legacy_index_id(index::DEFAULT_SCOPE);
    let (secret, unlisted) = (new_id(), new_id());
    {
        std::fs::create_dir_all(dir.path().join("data")).unwrap();
        let store = open_store(dir.path());
        store.add_group("site", "north", "").unwrap();
        let mut old = automerge::Automerge::new();
        index::add(&mut old, &secret, SECURITY_INCIDENT.kind, &meta("sid")).unwrap();
        let record = incident_doc("Listed nowhere", Some("north"), None);
        let mut batch = server::store::SyncBatch::default();
        for (id, doc, scope) in [
            (legacy, &old, shared::access::RecordScope::default()),
            (
                unlisted,
                &record,
                shared::access::record_scope(&record).unwrap(),
            ),
        ] {
            batch.scopes.insert(id.to_string(), scope);
            batch.push_chunk(server::store::WrittenChunk {
                document: id.to_string(),
                bytes: doc.save(),
                replaces: true,
                heads: doc.get_heads(),
            });
        }
        store.commit_sync_batch(&batch).unwrap();
    }
    let relay = RelayProcess::start(dir.path(), &[]);
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "ana", &[Role::Technician], &["north"], &[])
        .await;
    let mut ana = Device::sign_in(&relay, "ana", PASSWORD, "device-ana").await;
    let (default, north) = (
        index::index_id(index::DEFAULT_SCOPE),
        index::index_id("site:north"),
    );
    for id in [default, north, legacy] {
        ana.request(id).await;
    }
    ana.try_run_until(
        |d| {
            [default, north]
                .iter()
                .all(|i| index::records(&d.docs[i]).contains(&unlisted))
                && d.unavailable.contains(&legacy)
        },
        Duration::from_secs(10),
    )
    .await;
    assert_eq!(index::records(&ana.docs[&default]), [unlisted]);
    assert_eq!(index::records(&ana.docs[&north]), [unlisted]);
    assert!(
        ana.unavailable.contains(&legacy),
        "the old index that listed a security incident is the security role's now"
    );
    memory_within_bound(&relay);
}
