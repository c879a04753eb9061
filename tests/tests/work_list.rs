//! The incident list as a work list: it opens from summaries, searches and filters them, shows
//! "My work" and each open incident's SLA time left, and marks its first paint for the
//! benchmark.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Chromedriver, Relay, Result, Tablet, repo_root};

fn incident<'a>(title: &'a str, impact: &'a str, urgency: &'a str) -> NewIncident<'a> {
    NewIncident {
        title,
        description: "Logged by the work list test.",
        impact,
        urgency,
        note: "",
    }
}

#[tokio::test]
async fn the_list_searches_filters_sorts_and_shows_my_work_with_sla_time_left() -> Result<()> {
    let relay = Relay::start().await?;
    let (admin, password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "a").await?;
    a.sign_in(&admin, &password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;

    // P1, assigned to the signed-in person.
    let switch = a
        .create_incident(&incident("Core switch in rack B reboots", "high", "high"))
        .await?;
    a.fill("#assignee", &admin).await?;
    a.save().await?;
    a.click("a.brand").await?;
    // P5 (low × low), nobody's yet.
    let toner = a
        .create_incident(&incident("Printer toner low on floor 2", "low", "low"))
        .await?;
    a.click("a.brand").await?;
    // Resolved at once: not open.
    let wifi = a
        .create_incident(&incident("Wi-Fi drops in the canteen", "medium", "medium"))
        .await?;
    a.select("#status", "resolved").await?;
    a.fill("#note", "Access point restarted.").await?;
    a.save().await?;
    a.click("a.brand").await?;

    // Open incidents, most recently updated first.
    a.wait_listed("the open incidents, newest first", &[&toner, &switch])
        .await?;
    assert_eq!(a.text("#list-count").await?, "2 of 3 shown");
    let sla = format!("a.incident-row[data-id=\"{switch}\"] .incident-sla");
    let sla_text = a.text(&sla).await?;
    assert!(
        sla_text.starts_with("Respond in "),
        "an open P1 shows its response time left: {sla_text:?}"
    );
    assert_eq!(a.attr(&sla, "data-warning").await?.as_deref(), Some("0"));
    a.screenshot(repo_root().join("docs/screenshots/work-list.png"))
        .await?;

    a.select("#filter-status", "").await?;
    a.wait_listed("every incident", &[&wifi, &toner, &switch])
        .await?;
    a.select("#sort", "priority").await?;
    a.wait_listed("by priority", &[&switch, &wifi, &toner])
        .await?;
    a.select("#sort", "number").await?;
    let mut by_number = vec![(a.row(&switch).await?.number, switch.as_str())];
    by_number.push((a.row(&toner).await?.number, toner.as_str()));
    by_number.push((a.row(&wifi).await?.number, wifi.as_str()));
    by_number.sort();
    let by_number: Vec<&str> = by_number.into_iter().map(|(_, id)| id).collect();
    a.wait_listed("by number", &by_number).await?;

    // Full-text search: every word, any case, in the title, description or work log.
    a.fill("#search", "TONER floor").await?;
    a.wait_listed("the search hit", &[&toner]).await?;
    a.fill("#search", "restarted").await?;
    a.wait_listed("the work-log hit", &[&wifi]).await?;
    a.fill("#search", "no such words").await?;
    a.wait_listed("nothing", &[]).await?;
    a.wait_for("#no-match", UI_TIMEOUT).await?;
    a.fill("#search", "").await?;

    a.select("#filter-priority", "P1").await?;
    a.wait_listed("the P1", &[&switch]).await?;
    a.select("#filter-priority", "").await?;

    // My work: assigned to the signed-in person.
    a.click("#my-work").await?;
    assert_eq!(
        a.attr("#my-work", "aria-pressed").await?.as_deref(),
        Some("true")
    );
    a.wait_listed("my work", &[&switch]).await?;
    a.click("#my-work").await?;
    a.wait_listed("everyone's again", &by_number).await?;

    // The benchmark's mark, and the last sync time in the status bar.
    let marks = a
        .execute(
            "return performance.getEntriesByName('outpost:list-painted').length;",
            vec![],
        )
        .await?;
    assert_eq!(marks.as_u64(), Some(1), "marked once per page load");
    a.wait_for_text("#last-sync", "to show a sync time", SYNC_TIMEOUT, |t| {
        t.starts_with("Synced ")
    })
    .await?;

    // A reload opens the list from the stored summaries, filters reset to open incidents.
    a.open_list().await?;
    a.wait_listed("the open incidents after a reload", &[&toner, &switch])
        .await?;

    a.close().await?;
    Ok(())
}
