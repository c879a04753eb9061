//! The walking skeleton end to end: the real relay binary, the built app, and headless Chromium
//! tablets, each with its own profile (its own IndexedDB and service worker).
//!
//! "No network" is the relay being stopped (killed): Chromium's network emulation does not reach
//! the service worker, and a dead relay is the case that matters in the field anyway.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT, row_selector};
use e2e::{Result, Tablet, repo_root, signed_in};

fn screenshot_path(name: &str) -> std::path::PathBuf {
    repo_root().join("docs/screenshots").join(name)
}

async fn assert_no_load_errors(tablet: &Tablet) -> Result<()> {
    let errors = tablet.load_errors().await?;
    assert!(
        errors.is_empty(),
        "{}: documents failed to load: {errors:?}",
        tablet.name()
    );
    Ok(())
}

#[tokio::test]
async fn incident_logged_offline_survives_a_reload_and_reaches_another_tablet_when_the_relay_returns()
-> Result<()> {
    const TITLE: &str = "Generator at pumping station 7 will not start";
    const NOTE: &str = "Checked fuel level: tank half full. Suspect the starter relay.";
    let (mut relay, _driver, tablets, _) = signed_in(&["a", "b"]).await?;
    let [a, b] = <[Tablet; 2]>::try_from(tablets).expect("two tablets");

    relay.stop().await?;
    a.wait_online(false, UI_TIMEOUT).await?;
    let id = a
        .create_incident(&NewIncident {
            title: TITLE,
            description: "Diesel generator cranks but does not fire; site on battery power.",
            impact: "high",
            urgency: "high",
            note: NOTE,
        })
        .await?;
    assert_eq!(a.text("#sync-status").await?, "Offline");
    assert_eq!(a.text("#priority").await?, "P1 Critical");
    let mut notes = Vec::new();
    for entry in a.find_all(".worklog-entry .worklog-note").await? {
        notes.push(entry.text().await?);
    }
    assert!(
        notes.iter().any(|n| n == NOTE),
        "the first note is in the work log: {notes:?}"
    );
    let pending = a.unsynced().await?;
    assert!(
        pending > 0,
        "a change made offline is counted as not synced"
    );
    a.screenshot(screenshot_path("form.png")).await?;

    // Reload with the relay down: the service worker serves the shell, IndexedDB the record.
    a.reload().await?;
    a.wait_app().await?;
    a.wait_value("#title", TITLE, UI_TIMEOUT).await?;
    a.open_list().await?;
    let row = a
        .wait_row(&id, "to be listed", UI_TIMEOUT, |r| r.title == TITLE)
        .await?;
    assert_eq!(
        (
            row.urgency.as_str(),
            row.priority.as_str(),
            row.status.as_str()
        ),
        ("High", "P1 Critical", "New")
    );
    assert!(row.number.starts_with("INC"), "number {:?}", row.number);
    assert_eq!(a.text("#sync-status").await?, "Offline");
    assert_eq!(
        a.unsynced().await?,
        pending,
        "the unsynced mark is durable across a reload"
    );
    assert_eq!(
        b.count(&row_selector(&id)).await?,
        0,
        "b cannot have it yet"
    );

    // The relay comes back on the same port with the same data: b, open all along and never
    // reloaded, gets the incident by itself, and a's work counts as synced.
    relay.start_again().await?;
    assert_eq!(
        relay.log().matches("username:").count(),
        1,
        "a restarted relay keeps its data directory (no new first account)"
    );
    let row_b = b
        .wait_row(&id, "to arrive from a", SYNC_TIMEOUT, |r| r.title == TITLE)
        .await?;
    assert_eq!(row_b, row, "b lists the incident exactly as a does");
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;
    b.wait_online(true, SYNC_TIMEOUT).await?;
    assert_no_load_errors(&a).await?;
    assert_no_load_errors(&b).await?;

    a.close().await?;
    b.close().await?;
    Ok(())
}

#[tokio::test]
async fn offline_edits_of_different_fields_on_two_tablets_both_survive() -> Result<()> {
    const TITLE: &str = "Label printer jams";
    const NEW_TITLE: &str = "Label printer jams on every second label";
    let (mut relay, _driver, tablets, _) = signed_in(&["a", "b"]).await?;
    let [a, b] = <[Tablet; 2]>::try_from(tablets).expect("two tablets");

    let id = a
        .create_incident(&NewIncident {
            title: TITLE,
            description: "Warehouse dispatch desk, Zebra printer.",
            impact: "medium",
            urgency: "low",
            note: "",
        })
        .await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    let row = b
        .wait_row(&id, "to arrive from a", SYNC_TIMEOUT, |r| r.title == TITLE)
        .await?;
    assert_eq!(
        (row.urgency.as_str(), row.priority.as_str()),
        ("Low", "P4 Low")
    );
    // Both open the incident; the relay goes away; each changes a different field.
    b.click(&row_selector(&id)).await?;
    b.wait_value("#title", TITLE, UI_TIMEOUT).await?;
    a.goto(&format!("/incidents/{id}")).await?;
    a.wait_value("#title", TITLE, UI_TIMEOUT).await?;
    relay.stop().await?;
    a.wait_online(false, UI_TIMEOUT).await?;
    b.wait_online(false, UI_TIMEOUT).await?;

    a.fill("#title", NEW_TITLE).await?;
    a.save().await?;
    b.select("#urgency", "high").await?;
    b.save().await?;
    assert_eq!(b.text("#priority").await?, "P2 High");
    assert!(a.unsynced().await? > 0);
    assert!(b.unsynced().await? > 0);

    // The relay returns: both tablets reconnect by themselves and converge on both changes.
    relay.start_again().await?;
    for tablet in [&a, &b] {
        tablet.wait_value("#title", NEW_TITLE, SYNC_TIMEOUT).await?;
        tablet.wait_value("#urgency", "high", SYNC_TIMEOUT).await?;
        assert_eq!(tablet.text("#priority").await?, "P2 High");
        tablet
            .wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
            .await?;
        tablet.wait_online(true, SYNC_TIMEOUT).await?;
    }

    // The list says the same on both (client-side navigation: no reload).
    for tablet in [&a, &b] {
        tablet.click("a.brand").await?;
        let row = tablet
            .wait_row(&id, "to show both changes", UI_TIMEOUT, |r| {
                r.title == NEW_TITLE && r.urgency == "High"
            })
            .await?;
        assert_eq!(row.priority, "P2 High");
        assert_no_load_errors(tablet).await?;
    }
    a.screenshot(screenshot_path("list.png")).await?;

    a.close().await?;
    b.close().await?;
    Ok(())
}

#[tokio::test]
async fn after_one_visit_the_app_and_its_data_open_offline_after_a_reload_and_a_browser_restart()
-> Result<()> {
    const TITLE: &str = "Badge reader at gate 3 rejects valid badges";
    let (mut relay, _driver, tablets, _) = signed_in(&["a"]).await?;
    let [mut a] = <[Tablet; 1]>::try_from(tablets).expect("one tablet");

    let id = a
        .create_incident(&NewIncident {
            title: TITLE,
            description: "Since this morning's power cut.",
            impact: "low",
            urgency: "medium",
            note: "",
        })
        .await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    relay.stop().await?;

    // A reload with no relay.
    a.open_list().await?;
    a.wait_online(false, UI_TIMEOUT).await?;
    let row = a
        .wait_row(&id, "to be listed offline", UI_TIMEOUT, |r| {
            r.title == TITLE
        })
        .await?;
    assert_eq!(row.urgency, "Medium");

    // The tablet is switched off and on again, still with no relay: the list and a deep link
    // to the incident both open.
    a.restart().await?;
    a.open_list().await?;
    a.wait_online(false, UI_TIMEOUT).await?;
    let after_restart = a
        .wait_row(&id, "to be listed after a restart", UI_TIMEOUT, |r| {
            r.title == TITLE
        })
        .await?;
    assert_eq!(after_restart, row);
    assert_eq!(a.unsynced().await?, 0, "nothing was changed offline");
    a.goto(&format!("/incidents/{id}")).await?;
    a.wait_app().await?;
    a.wait_value("#title", TITLE, UI_TIMEOUT).await?;
    assert_eq!(a.value("#urgency").await?, "medium");
    assert_no_load_errors(&a).await?;

    a.close().await?;
    Ok(())
}

#[tokio::test]
async fn incidents_logged_on_either_tablet_reach_the_other_while_both_are_online() -> Result<()> {
    let (_relay, _driver, tablets, _) = signed_in(&["a", "b"]).await?;
    let [a, b] = <[Tablet; 2]>::try_from(tablets).expect("two tablets");

    let from_a = a
        .create_incident(&NewIncident {
            title: "Till 4 does not print receipts",
            description: "Shop floor, since the paper roll change.",
            impact: "medium",
            urgency: "medium",
            note: "",
        })
        .await?;
    b.wait_row(&from_a, "to arrive from a", SYNC_TIMEOUT, |r| {
        r.title == "Till 4 does not print receipts" && r.priority == "P3 Moderate"
    })
    .await?;

    // b, which learnt of the scope's records from a, logs one too: a gets it without a reload.
    let from_b = b
        .create_incident(&NewIncident {
            title: "Site office Wi-Fi drops every few minutes",
            description: "Access point in the site office, since the firmware update.",
            impact: "low",
            urgency: "high",
            note: "",
        })
        .await?;
    b.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    // a goes back to its list through the app's own link: no page load.
    a.click(".crumbs a").await?;
    a.wait_for("#new-incident", UI_TIMEOUT).await?;
    a.wait_row(&from_b, "to arrive from b", SYNC_TIMEOUT, |r| {
        r.title == "Site office Wi-Fi drops every few minutes" && r.priority == "P3 Moderate"
    })
    .await?;
    assert_no_load_errors(&a).await?;

    a.close().await?;
    b.close().await?;
    Ok(())
}
