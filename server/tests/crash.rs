//! The relay binary killed with SIGKILL in the middle of an upload keeps everything it
//! acknowledged.

mod common;

use std::{process::Command, time::Duration};

use common::{process::*, *};

#[tokio::test]
async fn kill_9_during_an_upload_loses_nothing_acknowledged() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, password, addr) = first_start(dir.path(), &[]);
    let password = password.expect("the first start prints the first account");

    let mut device = admin_device(addr, &password).await;
    let ids: Vec<_> = (0..60).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        device
            .edit(*id, incident_doc(&format!("Record {i}"), None, None))
            .await;
    }
    // Wait until part of the upload is acknowledged, then kill the relay mid-way.
    device
        .try_run_until(
            |d| ids.iter().filter(|id| d.unsynced(id) == 0).count() >= 20,
            Duration::from_secs(20),
        )
        .await;
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let acknowledged: Vec<_> = ids
        .iter()
        .filter(|id| device.unsynced(id) == 0)
        .copied()
        .collect();
    assert!(
        acknowledged.len() >= 20,
        "{} acknowledged before the kill",
        acknowledged.len()
    );
    drop(device);

    let (mut child, again) = spawn(dir.path(), addr.port(), &[]);
    assert!(again.is_none());
    let mut fresh = admin_device(addr, &password).await;
    for id in &acknowledged {
        fresh.request(*id).await;
    }
    fresh
        .try_run_until(
            |d| acknowledged.iter().all(|id| d.has_record(id)),
            Duration::from_secs(30),
        )
        .await;
    let missing = acknowledged
        .iter()
        .filter(|id| !fresh.has_record(id))
        .count();
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(missing, 0, "every acknowledged record survived kill -9");
}

/// Signs in as the first administrator on a relay in another process.
async fn admin_device(addr: std::net::SocketAddr, password: &str) -> Device {
    let res = reqwest::Client::new()
        .post(format!("http://{addr}/api/session"))
        .json(&serde_json::json!({"username": "admin", "password": password, "device": "device-crash"}))
        .send()
        .await
        .unwrap();
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    Device::connect_to(addr, &cookie, "device-crash").await
}

/// `outpost backup` while the relay runs gives a data directory a new relay starts from with
/// every acknowledged record and the same accounts.
#[tokio::test]
async fn a_backup_taken_while_running_restores_every_acknowledged_record() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, password, addr) = first_start(dir.path(), &[]);
    let password = password.expect("the first start prints the first account");
    let mut device = admin_device(addr, &password).await;
    let ids: Vec<_> = (0..10).map(|_| new_id()).collect();
    for (i, id) in ids.iter().enumerate() {
        device
            .edit(*id, incident_doc(&format!("Record {i}"), None, None))
            .await;
    }
    device
        .run_until(|d| ids.iter().all(|id| d.unsynced(id) == 0))
        .await;

    let copy = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_outpost"))
        .arg("--data-dir")
        .arg(dir.path().join("data"))
        .args(postgres::database_args(&dir.path().join("data")))
        .arg("backup")
        .arg(copy.path().join("data"))
        .output()
        .unwrap();
    if postgres::on_postgres() {
        // PostgreSQL is backed up with its own tools; the command says so and copies nothing.
        assert!(!out.status.success());
        assert!(String::from_utf8_lossy(&out.stderr).contains("pg_dump"));
        assert!(!copy.path().join("data").exists());
        // Not left running: it would outlive the test run, writing to its output.
        child.kill().unwrap();
        child.wait().unwrap();
        return;
    }
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("(10 documents)"));
    drop(device);
    child.kill().unwrap();
    child.wait().unwrap();

    let (mut restored, first, addr) = first_start(copy.path(), &[]);
    assert!(first.is_none(), "the accounts came with the backup");
    let mut fresh = admin_device(addr, &password).await;
    for id in &ids {
        fresh.request(*id).await;
    }
    fresh
        .try_run_until(
            |d| ids.iter().all(|id| d.has_record(id)),
            Duration::from_secs(30),
        )
        .await;
    let missing = ids.iter().filter(|id| !fresh.has_record(id)).count();
    restored.kill().unwrap();
    restored.wait().unwrap();
    assert_eq!(missing, 0, "every record is in the backup");
}
