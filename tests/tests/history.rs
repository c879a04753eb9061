//! An incident's history as an auditor reads it on the tablet: every change with the person,
//! the device, the device's time, what each field became, and — once synced — when the relay
//! received it and from whom.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Chromedriver, Relay, Result, Tablet};

#[tokio::test]
async fn history_shows_each_field_change_with_person_device_and_relay_receipt() -> Result<()> {
    let relay = Relay::start().await?;
    let (admin, password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "history").await?;
    a.sign_in(&admin, &password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;

    a.create_incident(&NewIncident {
        title: "Badge reader dead at gate 2",
        description: "Nobody gets in.",
        impact: "high",
        urgency: "high",
        note: "",
    })
    .await?;
    a.fill("#title", "Badge reader dead at gates 2 and 3")
        .await?;
    a.save().await?;

    // Two changes, the newest first: the retitle names the field and its new value.
    let newest = "#history .history-entry:first-child";
    a.wait_for_text(newest, "the retitle in the history", UI_TIMEOUT, |t| {
        t.contains("title") && t.contains("Badge reader dead at gates 2 and 3")
    })
    .await?;
    assert_eq!(a.count("#history .history-entry").await?, 2);
    assert_eq!(a.text(&format!("{newest} .author")).await?, admin);
    let device = a
        .attr(&format!("{newest} .device"), "title")
        .await?
        .unwrap_or_default();
    assert!(device.starts_with("device-"), "device id shown: {device}");
    let first = a.text("#history .history-entry:last-child").await?;
    assert!(
        first.contains("impact"),
        "the creation lists its fields: {first}"
    );

    // Once the relay has both, each shows the relay's receipt time and person.
    a.wait_until(
        "both changes received by the relay",
        SYNC_TIMEOUT,
        || async {
            let n = a.count("#history .history-entry .relay.received").await?;
            Ok(n == 2)
        },
    )
    .await?;
    let relay_text = a.text(&format!("{newest} .relay")).await?;
    assert!(
        relay_text.contains(&format!("from {admin}")),
        "receipt names the person: {relay_text}"
    );
    Ok(())
}
