//! The auditor's evidence export over HTTP: who may export, what the zip holds (records the
//! exporter may read, their history with the relay's receipts, raw documents, manifest), and
//! clear errors for bad requests.

mod common;

use std::io::Read;

use common::*;
use sha2::{Digest, Sha256};
use shared::{access::Role, records::incident::INCIDENT};

/// The zip's files by name (without the top folder).
fn unzip(bytes: &[u8]) -> Vec<(String, String)> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes)).expect("a zip");
    (0..archive.len())
        .map(|i| {
            let mut file = archive.by_index(i).unwrap();
            let mut content = vec![];
            file.read_to_end(&mut content).unwrap();
            let name = file.name().unwrap().to_string();
            let short = name.split_once('/').unwrap().1.to_string();
            // Documents are binary: keep their hash instead of their text.
            let text = String::from_utf8(content.clone())
                .unwrap_or_else(|_| format!("{:x}", Sha256::digest(&content)));
            (short, text)
        })
        .collect()
}

fn file<'a>(files: &'a [(String, String)], name: &str) -> &'a str {
    &files.iter().find(|(n, _)| n == name).unwrap().1
}

#[tokio::test]
async fn auditor_exports_a_clause_with_history_receipts_and_manifest() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "audrey", &[Role::Auditor], &[], &[])
        .await;
    relay
        .add_person(&admin, "nora", &[Role::Technician], &["north"], &[])
        .await;
    relay
        .add_person(&admin, "sid", &[Role::Security], &[], &[])
        .await;

    let mut admin_dev = Device::connect(&relay, &admin, "device-admin").await;
    let incidents = [new_id(), new_id(), new_id()];
    for (i, id) in incidents.iter().enumerate() {
        admin_dev
            .edit(
                *id,
                incident_doc(&format!("Printer {i}"), Some("north"), None),
            )
            .await;
    }
    admin_dev
        .run_until(|d| incidents.iter().all(|id| d.unsynced(id) == 0))
        .await;
    // A security incident: an auditor without the security role must not export it.
    let secret = new_id();
    let mut secret_doc = incident_doc("Phishing", Some("north"), None);
    {
        use automerge::transaction::Transactable;
        let mut tx = secret_doc.transaction();
        tx.put(automerge::ROOT, "restricted", true).unwrap();
        tx.commit();
    }
    let mut sid = Device::sign_in(&relay, "sid", PASSWORD, "device-sid").await;
    sid.edit(secret, secret_doc).await;
    sid.run_until(|d| d.unsynced(&secret) == 0).await;

    let audrey = relay
        .sign_in("audrey", PASSWORD, "device-audrey")
        .await
        .unwrap();
    let export = |query: &'static str| {
        let relay = &relay;
        let audrey = audrey.clone();
        async move { relay.call(reqwest::Method::GET, query, &audrey, None).await }
    };
    let res = export("/api/export/evidence?clause=8.6.1&sample=10&seed=q4-audit").await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/zip");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment; filename=\"outpost-evidence-8.6.1-")
    );
    let files = unzip(&res.bytes().await.unwrap());

    let readme = file(&files, "README.txt");
    assert!(readme.contains("3 of 3 records"), "{readme}");
    assert!(
        readme.contains("Audrey") || readme.contains("audrey"),
        "{readme}"
    );
    let records = file(&files, "records.csv");
    for id in &incidents {
        assert!(records.contains(&INCIDENT.number(id)), "{records}");
    }
    assert!(!records.contains(&INCIDENT.number(&secret)));
    assert!(!records.contains("Phishing"));
    // Every change of every record carries the relay's receipt: who uploaded it, from which device.
    let history = file(&files, "history.csv");
    for line in history.lines().skip(1) {
        assert!(
            line.contains(",admin,device-admin,"),
            "no receipt in: {line}"
        );
    }
    // The raw documents and a manifest that matches every file.
    let manifest = file(&files, "MANIFEST.sha256");
    assert_eq!(manifest.lines().count(), 5 + incidents.len());
    for (name, text) in files
        .iter()
        .filter(|(n, _)| n.ends_with(".csv") || n.ends_with(".json"))
    {
        let line = format!("{:x}  {name}", Sha256::digest(text.as_bytes()));
        assert!(
            manifest.lines().any(|l| l == line),
            "{line} not in manifest"
        );
    }
    for id in &incidents {
        let name = format!("documents/{}.automerge", INCIDENT.number(id));
        assert!(manifest.contains(&format!("  {name}")), "{name}");
        let digest = file(&files, &name);
        assert!(manifest.contains(&format!("{digest}  {name}")));
    }

    // The same seed draws the same sample; a smaller sample is a prefix of it.
    let again = unzip(
        &export("/api/export/evidence?clause=8.6.1&sample=10&seed=q4-audit")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert_eq!(file(&again, "records.csv"), records);
    let two = unzip(
        &export("/api/export/evidence?clause=8.6.1&sample=2&seed=q4-audit")
            .await
            .bytes()
            .await
            .unwrap(),
    );
    assert!(file(&two, "README.txt").contains("2 of 3 records"));

    // Clear errors.
    let res = export("/api/export/evidence?clause=8.9").await;
    assert_eq!(res.status(), 400);
    assert!(res.text().await.unwrap().contains("no clause '8.9'"));
    let res = export("/api/export/evidence?clause=8.6.1&sample=0").await;
    assert_eq!(res.status(), 400);
    let nora = relay
        .sign_in("nora", PASSWORD, "device-nora")
        .await
        .unwrap();
    let res = relay
        .call(
            reqwest::Method::GET,
            "/api/export/evidence?clause=8.6.1",
            &nora,
            None,
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = reqwest::get(relay.url("/api/export/evidence?clause=8.6.1"))
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    relay.shutdown().await;
}
