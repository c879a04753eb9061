//! The conflict inbox end to end: two tablets change the same field of one incident while the
//! relay is away; once it returns both converge, the inbox on one lists the incident with both
//! values and who wrote them, the person picks one, and the choice resolves the conflict on the
//! other tablet too. An auditor sees the conflict but is offered no choice.

use std::time::Duration;

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT, row_selector};
use e2e::{Result, Tablet, signed_in};

async fn wait_count(tablet: &Tablet, selector: &str, want: usize, timeout: Duration) -> Result<()> {
    tablet
        .wait_until(&format!("{want} of `{selector}`"), timeout, || async {
            Ok(tablet.count(selector).await? == want)
        })
        .await
}

#[tokio::test]
async fn the_same_title_changed_offline_on_two_tablets_is_chosen_in_the_inbox_and_resolved_everywhere()
-> Result<()> {
    const TITLE: &str = "Card reader at gate 3 rejects badges";
    const TITLE_A: &str = "Card reader at gate 3 rejects all staff badges";
    const TITLE_B: &str = "Gate 3 card reader offline after firmware update";
    let (mut relay, driver, tablets, _) = signed_in(&["a", "b"]).await?;
    let [a, b] = <[Tablet; 2]>::try_from(tablets).expect("two tablets");

    let id = a
        .create_incident(&NewIncident {
            title: TITLE,
            description: "Staff queue at the gate; security lets them through by hand.",
            impact: "medium",
            urgency: "medium",
            note: "",
        })
        .await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    b.wait_row(&id, "to arrive from a", SYNC_TIMEOUT, |r| r.title == TITLE)
        .await?;
    b.click(&row_selector(&id)).await?;
    b.wait_value("#title", TITLE, UI_TIMEOUT).await?;
    assert_eq!(b.count("#conflict-banner").await?, 0, "a clean record");

    // The relay goes away; both tablets retitle the incident, differently.
    relay.stop().await?;
    a.wait_online(false, UI_TIMEOUT).await?;
    b.wait_online(false, UI_TIMEOUT).await?;
    a.fill("#title", TITLE_A).await?;
    a.save().await?;
    b.fill("#title", TITLE_B).await?;
    b.save().await?;

    // The relay returns: both converge on one (the same) title and flag the conflict.
    relay.start_again().await?;
    for tablet in [&a, &b] {
        tablet
            .wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
            .await?;
        tablet.wait_online(true, SYNC_TIMEOUT).await?;
        tablet.wait_for("#conflict-banner", SYNC_TIMEOUT).await?;
        tablet
            .wait_for_text("#conflict-count", "to count 1", UI_TIMEOUT, |t| t == "1")
            .await?;
    }
    let shown = a.value("#title").await?;
    b.wait_value("#title", &shown, SYNC_TIMEOUT).await?;
    assert!([TITLE_A, TITLE_B].contains(&shown.as_str()), "{shown}");

    // An auditor's tablet lists the same conflict with both values, and offers no choice: the
    // relay would refuse the change a choice writes.
    relay
        .admin(
            &["user", "add", "audrey", "--role", "auditor"],
            Some("auditor-password-2026"),
        )
        .await?;
    let auditor = Tablet::open(&driver, &relay.base_url(), "auditor").await?;
    auditor.sign_in("audrey", "auditor-password-2026").await?;
    auditor.open_conflicts().await?;
    wait_count(&auditor, "li.conflict-value", 2, SYNC_TIMEOUT).await?;
    assert_eq!(auditor.count("button.choose-value").await?, 0, "no choice");
    let why = auditor.text(".conflict-read-only").await?;
    assert!(
        why.starts_with("Auditors read only") && why.contains("chooses the value"),
        "{why}"
    );
    auditor.close().await?;

    // A's inbox lists the incident with both titles (the one shown now first) and who wrote each.
    a.open_conflicts().await?;
    a.wait_for("li.conflict-record button.choose-value", UI_TIMEOUT)
        .await?;
    let inbox = a.inbox().await?;
    let [record] = inbox.as_slice() else {
        panic!("one record in the inbox, got {inbox:?}");
    };
    assert_eq!(record.id, id);
    assert!(record.number.starts_with("INC-"), "{record:?}");
    assert_eq!(record.title, shown);
    let [(field, values)] = record.fields.as_slice() else {
        panic!("one conflicting field, got {record:?}");
    };
    assert_eq!(field, "title");
    assert_eq!(values[0], shown);
    let mut sorted = values.clone();
    sorted.sort();
    assert_eq!(sorted, [TITLE_A, TITLE_B]);
    let label = a
        .attr(
            &format!("li.conflict-field[data-field=\"title\"] button.choose-value[data-value=\"{TITLE_B}\"]"),
            "aria-label",
        )
        .await?
        .unwrap_or_default();
    assert!(
        label.starts_with(&format!("Keep {TITLE_B} as title (by ")),
        "{label}"
    );

    // A picks B's title: the entry goes, on A at once and on B after the sync.
    a.choose_value(&id, "title", TITLE_B).await?;
    a.wait_inbox_empty(UI_TIMEOUT).await?;
    assert_eq!(a.inbox().await?, []);
    wait_count(&a, "#conflicts-link", 0, UI_TIMEOUT).await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    b.wait_value("#title", TITLE_B, SYNC_TIMEOUT).await?;
    wait_count(&b, "#conflict-banner", 0, SYNC_TIMEOUT).await?;
    wait_count(&b, "#conflicts-link", 0, UI_TIMEOUT).await?;
    b.goto("/conflicts").await?;
    b.wait_inbox_empty(UI_TIMEOUT).await?;
    assert_eq!(b.inbox().await?, []);
    b.click("a.brand").await?;
    b.wait_row(&id, "to show the chosen title", UI_TIMEOUT, |r| {
        r.title == TITLE_B
    })
    .await?;
    a.click("a.brand").await?;
    a.wait_row(&id, "to show the chosen title", UI_TIMEOUT, |r| {
        r.title == TITLE_B
    })
    .await?;

    a.close().await?;
    b.close().await?;
    Ok(())
}
