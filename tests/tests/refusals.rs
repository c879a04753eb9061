//! Roles in the app and refused changes, end to end (issue 14): an auditor's tablet offers no
//! change at all and says why; a technician whose site is taken away while her tablet is
//! offline edits records of that site, reconnects, and sees the refusal on those records while
//! everything else still syncs both ways; she discards one refused change and keeps the other,
//! which goes up by itself once the site is hers again.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT, row_selector};
use e2e::{Chromedriver, Relay, Result, Tablet, signed_in};

const PASSWORD: &str = "refusals-password-2026";

fn incident(title: &'static str) -> NewIncident<'static> {
    NewIncident {
        title,
        description: "Seen on site.",
        impact: "medium",
        urgency: "medium",
        note: "",
    }
}

#[tokio::test]
async fn an_auditor_tablet_shows_read_only_forms_and_offers_no_new_record() -> Result<()> {
    let (relay, driver, tablets, _) = signed_in(&["admin"]).await?;
    let [admin] = <[Tablet; 1]>::try_from(tablets).expect("one tablet");
    relay
        .admin(
            &["user", "add", "audrey", "--role", "auditor"],
            Some(PASSWORD),
        )
        .await?;
    let id = admin
        .create_incident(&incident("UPS alarm in the server room"))
        .await?;
    let problem = admin
        .create_record(
            "problem",
            &[
                ("title", "UPS alarms every night"),
                ("description", "The UPS in the server room beeps at 02:00"),
            ],
        )
        .await?
        .id;
    admin
        .act("known_error", &[("workaround", "Restart the UPS agent")])
        .await?;
    admin
        .wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    let auditor = Tablet::open(&driver, &relay.base_url(), "auditor").await?;
    auditor.sign_in("audrey", PASSWORD).await?;
    auditor
        .wait_row(&id, "to arrive", SYNC_TIMEOUT, |r| {
            r.title == "UPS alarm in the server room"
        })
        .await?;
    assert_eq!(auditor.count("#new-incident").await?, 0, "no New");

    // The incident: every field shown, none editable, no Save, and why.
    auditor.click(&row_selector(&id)).await?;
    auditor
        .wait_value("#title", "UPS alarm in the server room", UI_TIMEOUT)
        .await?;
    let notice = auditor.wait_for("#read-only-notice", UI_TIMEOUT).await?;
    assert!(
        notice.text().await?.starts_with("Auditors read only"),
        "{}",
        notice.text().await?
    );
    assert_eq!(auditor.count("#save").await?, 0, "no Save");
    // Linking a known error would change the problem: not offered either.
    auditor.fill("#known-error-search", "UPS").await?;
    auditor
        .wait_for(".known-error .link-problem", SYNC_TIMEOUT)
        .await?;
    let can_link = auditor
        .execute(
            "return !document.querySelector('.known-error .link-problem').disabled",
            vec![],
        )
        .await?;
    assert_eq!(can_link, serde_json::json!(false), "no link to make");
    let disabled = auditor
        .execute(
            "return document.querySelector('#title').matches(':disabled')",
            vec![],
        )
        .await?;
    assert_eq!(
        disabled,
        serde_json::json!(true),
        "the fields cannot be edited"
    );

    // Another record type: no New on its list; its form has no Save, no move, no action.
    auditor.goto("/records/problem").await?;
    auditor
        .wait_for(&row_selector(&problem), SYNC_TIMEOUT)
        .await?;
    assert_eq!(auditor.count("#new-record").await?, 0, "no New");
    auditor.open_record("problem", &problem).await?;
    auditor.wait_for("#read-only-notice", UI_TIMEOUT).await?;
    assert_eq!(auditor.count("#save").await?, 0);
    assert_eq!(auditor.count("#move").await?, 0);
    assert_eq!(auditor.count("details.action").await?, 0);

    // A new incident's address says why instead of offering a form to save.
    auditor.goto("/incidents/new").await?;
    auditor
        .wait_for_text("#read-only-notice", "to say why", UI_TIMEOUT, |t| {
            t.starts_with("Auditors read only")
        })
        .await?;
    assert_eq!(auditor.count("#save").await?, 0);
    assert_eq!(auditor.unsynced().await?, 0, "nothing was ever changed");
    assert_eq!(auditor.count("#refused-link").await?, 0);

    admin.close().await?;
    auditor.close().await?;
    Ok(())
}

#[tokio::test]
async fn a_change_to_a_site_taken_away_offline_is_refused_and_everything_else_syncs() -> Result<()>
{
    let mut relay = Relay::start().await?;
    relay
        .admin(&["site", "add", "north", "--name", "North depot"], None)
        .await?;
    relay.admin(&["site", "add", "south"], None).await?;
    for (name, sites) in [("tina", ["north", "south"]), ("bo", ["north", "south"])] {
        let mut args = vec!["user", "add", name, "--role", "technician"];
        for site in sites {
            args.extend(["--site", site]);
        }
        relay.admin(&args, Some(PASSWORD)).await?;
    }
    let driver = Chromedriver::start().await?;
    let mut tablets = vec![];
    for name in ["tina", "bo"] {
        let tablet = Tablet::open(&driver, &relay.base_url(), name).await?;
        tablet.sign_in(name, PASSWORD).await?;
        tablet.wait_online(true, SYNC_TIMEOUT).await?;
        tablet.wait_service_worker().await?;
        tablets.push(tablet);
    }
    let [tina, bo] = <[Tablet; 2]>::try_from(tablets).expect("two tablets");

    // Tina logs one incident at each site; Bo receives both.
    let north = tina
        .create_incident_choosing(&incident("North gate barrier stuck"), &[("#site", "north")])
        .await?;
    tina.click(".crumbs a").await?;
    let lamp = tina
        .create_incident_choosing(&incident("North lamp flickers"), &[("#site", "north")])
        .await?;
    tina.click(".crumbs a").await?;
    let south = tina
        .create_incident_choosing(&incident("South pump vibrates"), &[("#site", "south")])
        .await?;
    tina.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    for id in [&north, &lamp, &south] {
        bo.wait_row(id, "to arrive from Tina", SYNC_TIMEOUT, |_| true)
            .await?;
    }

    // Sites show by name (south has none, so by its id), also after a reload offline.
    let north_filter = "#filter-scope option[value=\"site:north\"]";
    let named = |t: &str| t == "Site North depot";
    bo.wait_for_text(north_filter, "to name the site", UI_TIMEOUT, named)
        .await?;
    assert_eq!(
        bo.text("#filter-scope option[value=\"site:south\"]")
            .await?,
        "Site south"
    );

    // Her tablet goes offline; meanwhile she leaves site north (the relay's command line).
    relay.stop().await?;
    tina.wait_online(false, UI_TIMEOUT).await?;
    bo.reload().await?;
    bo.wait_for_text(north_filter, "to name the site offline", UI_TIMEOUT, named)
        .await?;
    relay
        .admin(&["user", "leave", "tina", "--site", "north"], None)
        .await?;
    // Offline, she edits all three incidents.
    for (id, was, now) in [
        (
            &north,
            "North gate barrier stuck",
            "North gate barrier stuck open",
        ),
        (
            &lamp,
            "North lamp flickers",
            "North lamp flickers all night",
        ),
    ] {
        tina.goto(&format!("/incidents/{id}")).await?;
        tina.wait_value("#title", was, UI_TIMEOUT).await?;
        tina.fill("#title", now).await?;
        tina.save().await?;
    }
    tina.goto(&format!("/incidents/{south}")).await?;
    tina.wait_value("#title", "South pump vibrates", UI_TIMEOUT)
        .await?;
    tina.fill("#title", "South pump vibrates at night").await?;
    tina.save().await?;
    assert_eq!(tina.unsynced().await?, 3);

    // Back online: the north changes are not accepted and say why; the south one goes up.
    relay.start_again().await?;
    tina.wait_online(true, SYNC_TIMEOUT).await?;
    tina.wait_refused_count(2, SYNC_TIMEOUT).await?;
    tina.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    bo.wait_row(&south, "to get Tina's edit", SYNC_TIMEOUT, |r| {
        r.title == "South pump vibrates at night"
    })
    .await?;
    // Bo's edit of the south incident comes down to Tina.
    bo.click(&row_selector(&south)).await?;
    bo.wait_value("#title", "South pump vibrates at night", UI_TIMEOUT)
        .await?;
    bo.fill("#assignee", "bo").await?;
    bo.save().await?;
    tina.wait_value("#assignee", "bo", SYNC_TIMEOUT).await?;
    // The relay kept the north incident as it was.
    bo.goto(&format!("/incidents/{north}")).await?;
    bo.wait_value("#title", "North gate barrier stuck", UI_TIMEOUT)
        .await?;

    // Tina's north incident: her change is kept and marked, with the relay's reason, and the
    // form is read-only now that the site is not hers.
    tina.goto(&format!("/incidents/{north}")).await?;
    tina.wait_for("#refused-banner", UI_TIMEOUT).await?;
    let reason = tina.text("#refused-reason").await?;
    assert!(reason.contains("outside your sites and teams"), "{reason}");
    assert_eq!(tina.value("#title").await?, "North gate barrier stuck open");
    tina.wait_for("#read-only-notice", SYNC_TIMEOUT).await?;
    assert_eq!(tina.count("#save").await?, 0);

    // The refusal is kept on the device: still there after a reload, and listed.
    tina.reload().await?;
    tina.wait_refused_count(2, UI_TIMEOUT).await?;
    tina.open_refused().await?;
    let item = format!("li.refused-record[data-id=\"{north}\"]");
    tina.wait_for(&item, UI_TIMEOUT).await?;
    let listed = tina.text(&format!("{item} .refused-reason")).await?;
    assert_eq!(listed, reason);
    assert_eq!(
        tina.unsynced().await?,
        0,
        "a refused change is not waiting to sync"
    );

    // She discards the gate's: the record is the relay's version again.
    tina.click(&format!("{item} .refused-discard")).await?;
    tina.wait_refused_count(1, UI_TIMEOUT).await?;
    assert_eq!(tina.count(&item).await?, 0);
    tina.goto(&format!("/incidents/{north}")).await?;
    tina.wait_value("#title", "North gate barrier stuck", UI_TIMEOUT)
        .await?;
    assert_eq!(tina.count("#refused-banner").await?, 0);
    assert_eq!(tina.unsynced().await?, 0);

    // She keeps the lamp's. Once site north is hers again, her tablet offers it by itself on
    // its next connection, and the relay takes it.
    relay
        .admin(&["user", "join", "tina", "--site", "north"], None)
        .await?;
    relay.stop().await?;
    relay.start_again().await?;
    tina.wait_refused_count(0, SYNC_TIMEOUT).await?;
    tina.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    bo.goto("/").await?;
    bo.wait_row(&lamp, "to get Tina's kept change", SYNC_TIMEOUT, |r| {
        r.title == "North lamp flickers all night"
    })
    .await?;

    tina.close().await?;
    bo.close().await?;
    Ok(())
}
