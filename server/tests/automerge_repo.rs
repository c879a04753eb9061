//! Unmodified automerge-repo peers keep working with the relay: a JS automerge-repo 2.5.6
//! client (tests/js/client.mjs, run with node) fetches a record the relay holds, edits it, and
//! a fresh JS peer and a device built on `shared` both see the edit; and a JS peer whose write
//! the relay refuses (tests/js/refused.mjs) stays connected and keeps receiving. Node and the
//! client's npm packages come from `scripts/setup --test`.

mod common;

use std::{path::Path, time::Duration};

use common::*;
use shared::records::incident::Incident;

/// Runs the JS client against `relay` as `username`; returns its JSON report.
async fn js_client(
    relay: &RunningRelay,
    username: &str,
    document: &str,
    title: &str,
) -> serde_json::Value {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    assert!(
        dir.join("node_modules/@automerge/automerge-repo").is_dir(),
        "{}: the JS client's packages are missing; run scripts/setup --test",
        dir.display()
    );
    let run = tokio::process::Command::new("node")
        .arg("client.mjs")
        .current_dir(&dir)
        .env("RELAY", relay.url(""))
        .env("USERNAME", username)
        .env("PASSWORD", PASSWORD)
        .env("DOCUMENT", document)
        .env("TITLE", title)
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), run)
        .await
        .expect("the JS client finishes within 90 s")
        .expect("node runs (scripts/setup --test installs what the client needs)");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the JS client failed: {stderr}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    serde_json::from_str(stdout.lines().last().unwrap_or_default())
        .unwrap_or_else(|e| panic!("the JS client's report {stdout:?}: {e}; stderr: {stderr}"))
}

#[tokio::test]
async fn a_js_automerge_repo_peer_fetches_and_edits_a_record_through_the_relay() {
    let dir = tempfile::tempdir().unwrap();
    // Restarted, the relay answers a fresh peer from storage (the stored bytes as they are).
    let (relay, id) = restarted_relay_with_incident(dir.path(), "Kiosk printer jammed").await;

    let report = js_client(&relay, "bo", &id.to_string(), "Kiosk printer cleared").await;
    assert_eq!(report["fetched"], "Kiosk printer jammed", "{report}");
    assert_eq!(report["refetched"], "Kiosk printer cleared", "{report}");

    // The JS edit is an ordinary change to the record: the app's reader still reads it.
    let mut c = Device::sign_in(&relay, "ana", PASSWORD, "device-c").await;
    c.request(id).await;
    c.run_until(|d| d.has_record(&id)).await;
    let incident = Incident::read(&c.docs[&id]).unwrap();
    assert_eq!(incident.title, "Kiosk printer cleared");
    relay.shutdown().await;
}

/// A counter of the relay's `/metrics` (an administrator's: `admin` is their cookie).
async fn metric(relay: &RunningRelay, admin: &str, name: &str) -> u64 {
    let text = relay
        .call(reqwest::Method::GET, "/metrics", admin, None)
        .await
        .text()
        .await
        .unwrap();
    text.lines()
        .find_map(|l| l.strip_prefix(&format!("outpost_{name} ")))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_else(|| panic!("no {name} in {text}"))
}

#[tokio::test]
async fn a_js_peer_whose_write_is_refused_stays_connected_and_keeps_receiving() {
    use tokio::io::{AsyncBufReadExt, BufReader};

    let dir = tempfile::tempdir().unwrap();
    let relay = relay_with_tech(dir.path()).await;
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "audrey", &[shared::access::Role::Auditor], &[], &[])
        .await;
    let id = new_id();
    let mut ana = Device::sign_in(&relay, "ana", PASSWORD, "device-a").await;
    ana.edit(
        id,
        incident_doc("Kiosk printer jammed", Some("north"), None),
    )
    .await;
    ana.run_until(|d| d.unsynced(&id) == 0).await;

    // The auditor's unmodified JS peer edits the title: refused.
    let dir_js = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/js");
    let refused_before = metric(&relay, &admin, "refused_total").await;
    let mut node = tokio::process::Command::new("node")
        .arg("refused.mjs")
        .current_dir(&dir_js)
        .env("RELAY", relay.url(""))
        .env("USERNAME", "audrey")
        .env("PASSWORD", PASSWORD)
        .env("DOCUMENT", id.to_string())
        .env("TITLE", "Audited away")
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("node runs (scripts/setup --test installs what the client needs)");
    let mut lines = BufReader::new(node.stdout.take().unwrap()).lines();
    let next_line = async |lines: &mut tokio::io::Lines<_>| {
        tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .expect("the JS peer answers within 60 s")
            .unwrap()
            .expect("the JS peer printed a line")
    };
    assert_eq!(next_line(&mut lines).await, "edited");
    for _ in 0..100 {
        if metric(&relay, &admin, "refused_total").await > refused_before {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(metric(&relay, &admin, "refused_total").await > refused_before);

    // A technician's change still reaches it, on the same connection.
    let mut doc = ana.docs[&id].clone();
    {
        use automerge::transaction::Transactable;
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "assignee", "ana").unwrap();
        tx.commit();
    }
    ana.edit(id, doc).await;
    ana.run_until(|d| d.unsynced(&id) == 0).await;
    let report: serde_json::Value = serde_json::from_str(&next_line(&mut lines).await).unwrap();
    assert_eq!(report["assignee"], "ana", "{report}");
    assert_eq!(
        report["title"], "Audited away",
        "its own copy keeps its edit"
    );
    assert_eq!(report["disconnects"], 0, "the refusal closed nothing");
    assert!(node.wait().await.unwrap().success());

    let mut bo = Device::sign_in(&relay, "bo", PASSWORD, "device-b").await;
    bo.request(id).await;
    bo.run_until(|d| d.has_record(&id)).await;
    assert_eq!(
        Incident::read(&bo.docs[&id]).unwrap().title,
        "Kiosk printer jammed"
    );
    relay.shutdown().await;
}
