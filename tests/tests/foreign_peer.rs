//! One odd write never jams a record (issue 14): an unmodified automerge-repo 2.5.6 JS peer
//! (node, `server/tests/js/write.mjs`) writes plain JS strings, which it stores as collaborative
//! text, into an incident a tablet logged; the tablet shows the edit live and saves afterwards.
//! When the peer writes a value of the wrong type, the tablet shows that field with what it
//! holds and a note, the rest of the record works, and choosing a value repairs it.

use std::path::Path;
use std::time::Duration;

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Relay, Result, Tablet, repo_root, signed_in};
use serde_json::{Value, json};

/// Runs the JS peer against `relay` as `username`: sets `changes` on document `id` and waits
/// until the relay has them.
async fn js_write(
    relay: &Relay,
    username: &str,
    password: &str,
    id: &str,
    changes: Value,
) -> Result<()> {
    let dir = repo_root().join("server/tests/js");
    assert!(
        Path::new(&dir)
            .join("node_modules/@automerge/automerge-repo")
            .is_dir(),
        "{}: the JS peer's packages are missing; run scripts/setup --test",
        dir.display()
    );
    let run = tokio::process::Command::new("node")
        .arg("write.mjs")
        .current_dir(&dir)
        .env("RELAY", relay.base_url())
        .env("USERNAME", username)
        .env("PASSWORD", password)
        .env("DOCUMENT", id)
        .env("CHANGES", changes.to_string())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(90), run).await??;
    if !out.status.success() {
        let log = relay.log();
        let tail: Vec<&str> = log.lines().rev().take(20).collect();
        return Err(format!(
            "the JS peer failed: {}\nthe relay's log ends:\n{}",
            String::from_utf8_lossy(&out.stderr),
            tail.into_iter().rev().collect::<Vec<_>>().join("\n")
        )
        .into());
    }
    Ok(())
}

fn one(tablets: Vec<Tablet>) -> Tablet {
    let [a] = <[Tablet; 1]>::try_from(tablets).expect("one tablet");
    a
}

#[tokio::test]
async fn a_js_peer_edits_a_record_a_tablet_made_and_the_tablet_keeps_working() -> Result<()> {
    let (relay, _driver, tablets, admin) = signed_in(&["a"]).await?;
    let (_, password) = relay.first_account().expect("the first account");
    let a = one(tablets);
    let id = a
        .create_incident(&NewIncident {
            title: "Kiosk printer jammed",
            description: "Lobby kiosk",
            impact: "medium",
            urgency: "medium",
            note: "",
        })
        .await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    // Plain JS strings, stored as text: the open form follows them live.
    let fixed = json!({"title": "Kiosk printer cleared", "description": "Paper roll replaced"});
    js_write(&relay, &admin, &password, &id, fixed).await?;
    a.wait_value("#title", "Kiosk printer cleared", SYNC_TIMEOUT)
        .await?;
    a.wait_value("#description", "Paper roll replaced", SYNC_TIMEOUT)
        .await?;

    // The tablet saves afterwards, and the relay takes it.
    a.fill("#assignee", &admin).await?;
    a.fill("#note", "Checked on site").await?;
    a.save().await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    assert_eq!(a.value("#title").await?, "Kiosk printer cleared");

    // A value of the wrong type: that field says what it holds, the rest works.
    js_write(&relay, &admin, &password, &id, json!({"urgency": 42})).await?;
    let note = a
        .wait_for_text(
            "#unreadable-urgency",
            "the note on the urgency",
            SYNC_TIMEOUT,
            |t| t.contains("42"),
        )
        .await?;
    assert!(note.contains("Saving a value here replaces it"), "{note}");
    assert_eq!(a.value("#title").await?, "Kiosk printer cleared");
    a.wait_for("#conflict-banner", UI_TIMEOUT).await?;

    // Choosing an urgency repairs it.
    a.select("#urgency", "high").await?;
    a.save().await?;
    a.wait_until("the note to go", UI_TIMEOUT, || async {
        Ok(a.count("#unreadable-urgency").await? == 0)
    })
    .await?;
    assert_eq!(a.value("#urgency").await?, "high");
    assert_eq!(a.text("#priority").await?, "P2 High");
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    a.close().await
}
