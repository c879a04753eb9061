//! Unmodified automerge-repo peers keep working with the relay: a JS automerge-repo 2.5.6
//! client (tests/js/client.mjs, run with node) fetches a record the relay holds, edits it, and
//! a fresh JS peer and a device built on `shared` both see the edit. Node and the client's npm
//! packages come from `scripts/setup --test`.

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
