//! Records that link (issue 16, items 1 and 2), done as a person would: a CI is picked for an
//! incident by typing part of its name; the incident shows it as a link that opens the CI, and
//! the CI lists the incident under "Referenced by"; a number the device does not hold shows as
//! "not on this device". Offline, two tablets each link the same CI to a new incident; once the
//! relay is back, a third tablet's CI page lists both incidents and its impact analysis counts
//! both. A link to a record of a site the person does not work shows its number and "not on
//! this device". And generic record editing, after creation, for three kinds.

use e2e::app::{SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Result, Tablet, signed_in};

/// From the incident list: a new incident titled `title` with the CI found by typing `search`
/// into the affected CIs' picker and choosing `ci`; returns the incident's number.
async fn log_incident_on(tablet: &Tablet, title: &str, search: &str, ci: &str) -> Result<String> {
    // Through the app's own navigation: no page load, so it works offline as on a tablet.
    tablet.open_records("incident").await?;
    tablet.wait_for("#new-incident", UI_TIMEOUT).await?;
    tablet.click("#new-incident").await?;
    tablet.wait_for("#title", UI_TIMEOUT).await?;
    tablet.fill("#title", title).await?;
    tablet.fill("#description", "Reported at the desk").await?;
    pick(tablet, "#affected_cis-pick", search, ci).await?;
    assert_eq!(
        tablet.value("#affected_cis").await?,
        ci,
        "the picked CI fills the field"
    );
    tablet.click("#save").await?;
    tablet
        .wait_for_text("#save-status", "to say Saved", UI_TIMEOUT, |t| t == "Saved")
        .await?;
    tablet
        .wait_for_text("#record-number", "the incident's number", UI_TIMEOUT, |t| {
            t.starts_with("INC-")
        })
        .await
}

/// Types `search` into the picker `input` and chooses the suggestion for record `number`.
async fn pick(tablet: &Tablet, input: &str, search: &str, number: &str) -> Result<()> {
    tablet.fill(input, search).await?;
    let option = format!("button.picker-option[data-number=\"{number}\"]");
    tablet.wait_for(&option, UI_TIMEOUT).await?;
    tablet.click(&option).await
}

fn link(section: &str, number: &str) -> String {
    format!("#{section} a.record-link[data-number=\"{number}\"]")
}

#[tokio::test]
async fn a_ci_picked_for_an_incident_links_both_ways_and_an_unknown_number_is_not_on_this_device()
-> Result<()> {
    let (_relay, _driver, tablets, _) = signed_in(&["a"]).await?;
    let a = &tablets[0];
    let ci = a
        .create_record("configuration_item", &[("name", "Payroll database")])
        .await?;
    a.create_record("configuration_item", &[("name", "Print server")])
        .await?;

    let incident = log_incident_on(a, "Payslips fail", "payroll data", &ci.number).await?;
    // The incident shows the CI as a link, which opens the CI.
    a.wait_for(&link("links", &ci.number), UI_TIMEOUT).await?;
    a.click(&link("links", &ci.number)).await?;
    a.wait_for_text("#record-number", "the CI's page", UI_TIMEOUT, |t| {
        t == ci.number
    })
    .await?;
    assert!(a.current_url().await?.ends_with(&ci.id));
    // The CI lists the incident under "Referenced by", and among the open incidents its
    // failure touches.
    a.wait_for(&link("referenced-by", &incident), UI_TIMEOUT)
        .await?;
    a.wait_for(
        &format!("#impact [data-impact=\"incidents\"] a[data-number=\"{incident}\"]"),
        UI_TIMEOUT,
    )
    .await?;

    // A number this device does not hold (another site's CI, say) reads as such.
    a.click(&link("referenced-by", &incident)).await?;
    a.wait_for_text("#record-number", "the incident", UI_TIMEOUT, |t| {
        t == incident
    })
    .await?;
    a.fill("#affected_cis", &format!("{}\nCI-ZZZZ-ZZZZ", ci.number))
        .await?;
    a.save().await?;
    a.wait_for(
        "#links .not-on-device[data-number=\"CI-ZZZZ-ZZZZ\"]",
        UI_TIMEOUT,
    )
    .await?;
    assert!(
        a.text("#links")
            .await?
            .contains("CI-ZZZZ-ZZZZ — not on this device"),
        "{}",
        a.text("#links").await?
    );
    assert_eq!(a.count("#load-error, .load-error").await?, 0);
    Ok(())
}

#[tokio::test]
async fn two_tablets_offline_link_the_same_ci_to_two_incidents_and_a_third_sees_both_after_merging()
-> Result<()> {
    let (mut relay, _driver, tablets, _) = signed_in(&["a", "b", "c"]).await?;
    let [a, b, c] = <[Tablet; 3]>::try_from(tablets).expect("three tablets");
    let ci = a
        .create_record("configuration_item", &[("name", "Core switch")])
        .await?;
    // A server running on the switch, and a service depending on the server.
    let server = a
        .create_record("configuration_item", &[("name", "Till server")])
        .await?;
    a.open_record("configuration_item", &server.id).await?;
    let details = "details#action-relate";
    a.click(&format!("{details} > summary")).await?;
    a.select("#a-relate-kind", "runs_on").await?;
    pick(&a, "#a-relate-target", "core", &ci.number).await?;
    a.click("#action-relate-submit").await?;
    a.wait_for(&link("links", &ci.number), UI_TIMEOUT).await?;
    let service = a.create_record("service", &[("name", "Tills")]).await?;
    pick(&a, "#f-dependencies-pick", "till serv", &server.number).await?;
    a.save().await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    for tablet in [&b, &c] {
        tablet.open_record("configuration_item", &ci.id).await?;
        tablet
            .wait_for_text("#record-number", "the CI", SYNC_TIMEOUT, |t| t == ci.number)
            .await?;
    }

    relay.stop().await?;
    a.wait_online(false, UI_TIMEOUT).await?;
    b.wait_online(false, UI_TIMEOUT).await?;
    let from_a = log_incident_on(&a, "Tills offline (north)", "core sw", &ci.number).await?;
    let from_b = log_incident_on(&b, "Tills offline (south)", &ci.number, &ci.number).await?;

    relay.start_again().await?;
    for tablet in [&a, &b] {
        tablet.wait_online(true, SYNC_TIMEOUT).await?;
        tablet
            .wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
            .await?;
    }
    // The third tablet: the CI is referenced by both incidents, and its impact analysis
    // reaches the server, the service and both incidents.
    c.open_record("configuration_item", &ci.id).await?;
    for incident in [&from_a, &from_b] {
        c.wait_for(&link("referenced-by", incident), SYNC_TIMEOUT)
            .await?;
        c.wait_for(
            &format!("#impact [data-impact=\"incidents\"] a[data-number=\"{incident}\"]"),
            UI_TIMEOUT,
        )
        .await?;
    }
    c.wait_for(
        &format!(
            "#impact [data-impact=\"cis\"] a[data-number=\"{}\"]",
            server.number
        ),
        UI_TIMEOUT,
    )
    .await?;
    c.wait_for(
        &format!(
            "#impact [data-impact=\"services\"] a[data-number=\"{}\"]",
            service.number
        ),
        UI_TIMEOUT,
    )
    .await?;
    // The relationship from the other end: the server "runs on" the switch.
    assert!(
        c.text("#referenced-by").await?.contains("runs on this"),
        "{}",
        c.text("#referenced-by").await?
    );
    Ok(())
}

/// Editing after creation, through the generic form, for three kinds: each edit is saved,
/// survives a reload, and reaches another tablet.
#[tokio::test]
async fn records_of_three_kinds_are_edited_after_creation_and_the_edits_reach_another_tablet()
-> Result<()> {
    let (_relay, _driver, tablets, _) = signed_in(&["a", "b"]).await?;
    let [a, b] = <[Tablet; 2]>::try_from(tablets).expect("two tablets");
    let ci = a
        .create_record("configuration_item", &[("name", "Label printer")])
        .await?;
    a.edit_record(&[("location", "Dock 4"), ("description", "Zebra ZT410")])
        .await?;
    let problem = a
        .create_record("problem", &[("title", "Labels smudge")])
        .await?;
    a.edit_record(&[("root_cause", "Worn print head")]).await?;
    let service = a.create_record("service", &[("name", "Shipping")]).await?;
    a.edit_record(&[("owner", "ana")]).await?;
    pick(&a, "#f-dependencies-pick", "label", &ci.number).await?;
    a.save().await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    let edits = [
        ("configuration_item", &ci.id, "#f-location", "Dock 4"),
        ("problem", &problem.id, "#f-root_cause", "Worn print head"),
        (
            "service",
            &service.id,
            "#f-dependencies",
            ci.number.as_str(),
        ),
    ];
    for tablet in [&a, &b] {
        for (kind, id, control, want) in edits {
            tablet.open_record(kind, id).await?;
            tablet.wait_value(control, want, SYNC_TIMEOUT).await?;
        }
    }
    // The service's dependency is a link on the other tablet too.
    b.wait_for(&link("links", &ci.number), UI_TIMEOUT).await?;
    Ok(())
}

#[tokio::test]
async fn a_link_to_a_record_of_another_site_shows_its_number_not_on_this_device() -> Result<()> {
    const PASSWORD: &str = "links-password-2026";
    let (relay, driver, tablets, _) = signed_in(&["desk"]).await?;
    let desk = &tablets[0];
    for site in ["north", "south"] {
        relay.admin(&["site", "add", site], None).await?;
    }
    relay
        .admin(
            &[
                "user",
                "add",
                "tom",
                "--role",
                "technician",
                "--site",
                "north",
            ],
            Some(PASSWORD),
        )
        .await?;
    // A CI of the south site: the desk (an administrator) holds it, Tom (north) never does.
    let router = desk
        .create_record(
            "configuration_item",
            &[("name", "South router"), ("site", "south")],
        )
        .await?;

    // Tom logs a north incident naming the router by its number (he cannot pick it).
    let tom = Tablet::open(&driver, &relay.base_url(), "tom").await?;
    tom.sign_in("tom", PASSWORD).await?;
    tom.wait_online(true, SYNC_TIMEOUT).await?;
    tom.open_records("incident").await?;
    tom.wait_for("#new-incident", UI_TIMEOUT).await?;
    tom.click("#new-incident").await?;
    tom.wait_for("#title", UI_TIMEOUT).await?;
    tom.fill("#title", "North office offline").await?;
    tom.fill("#affected_cis", &router.number).await?;
    tom.click("#save").await?;
    tom.wait_for_text("#save-status", "to say Saved", UI_TIMEOUT, |t| t == "Saved")
        .await?;
    let incident_url = tom.current_url().await?;
    let incident_id = incident_url
        .rsplit('/')
        .next()
        .unwrap_or_default()
        .to_string();
    tom.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    // The desk, which holds the router, saves the incident: the number becomes a link.
    desk.goto(&format!("/incidents/{incident_id}")).await?;
    desk.wait_value("#title", "North office offline", SYNC_TIMEOUT)
        .await?;
    desk.fill(
        "#description",
        "The south router carries the north office's line",
    )
    .await?;
    desk.save().await?;
    desk.wait_for(&link("links", &router.number), UI_TIMEOUT)
        .await?;

    // On Tom's tablet the link stays a link to a record he cannot see: its number, "not on
    // this device", and no error.
    tom.wait_value(
        "#description",
        "The south router carries the north office's line",
        SYNC_TIMEOUT,
    )
    .await?;
    let missing = format!("#links .not-on-device[data-number=\"{}\"]", router.number);
    tom.wait_for(&missing, UI_TIMEOUT).await?;
    assert!(
        tom.text("#links")
            .await?
            .contains(&format!("{} — not on this device", router.number)),
        "{}",
        tom.text("#links").await?
    );
    assert_eq!(tom.count("#load-error, .load-error").await?, 0);
    tom.close().await
}
