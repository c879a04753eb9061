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

    // A save adds its row and keeps the others (they are not drawn again): mark the newest
    // row's element, save once more, and find the mark on the second row.
    a.execute(
        "document.querySelector(arguments[0]).dataset.kept = 'yes';",
        vec![newest.into()],
    )
    .await?;
    a.fill("#title", "Badge reader dead at gates 2, 3 and 4")
        .await?;
    a.save().await?;
    a.wait_for_text(newest, "the third change", UI_TIMEOUT, |t| {
        t.contains("gates 2, 3 and 4")
    })
    .await?;
    let kept = a
        .attr("#history .history-entry:nth-child(2)", "data-kept")
        .await?;
    assert_eq!(kept.as_deref(), Some("yes"), "the earlier row was kept");

    // A long history shows the newest 50 changes, and the rest on request.
    let saved = a.client().execute_async(SAVE_MANY, vec![49.into()]).await?;
    assert_eq!(saved, serde_json::json!("ok"), "49 more saves");
    assert_eq!(a.count("#history .history-entry").await?, 50);
    assert_eq!(a.text("#history-more").await?, "Show 2 earlier changes");
    a.click("#history-more").await?;
    assert_eq!(a.count("#history .history-entry").await?, 52);
    assert!(
        a.text("#history .history-entry:last-child")
            .await?
            .contains("impact"),
        "the creation is the oldest row"
    );
    Ok(())
}

/// Saves the open incident `arguments[0]` times, retitled each time, one after the other
/// (each waits for "Saved"). Resolves "ok", or what went wrong.
const SAVE_MANY: &str = r##"
const [count, done] = [arguments[0], arguments[arguments.length - 1]];
const status = document.querySelector("#save-status");
const save = (i) => {
  if (i >= count) return done("ok");
  const title = document.querySelector("#title");
  title.value = "Badge reader, save " + i;
  title.dispatchEvent(new Event("input", { bubbles: true }));
  const observer = new MutationObserver(() => {
    if (status.textContent === "Saved") { observer.disconnect(); setTimeout(() => save(i + 1), 0); }
    else if (status.textContent.startsWith("Not saved")) { observer.disconnect(); done(status.textContent); }
  });
  observer.observe(status, { childList: true, characterData: true, subtree: true });
  document.querySelector("#save").click();
};
save(0);
"##;
