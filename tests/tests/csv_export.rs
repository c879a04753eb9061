//! The list's "Export CSV": the rows shown, filtered and sorted as on screen, as CSV.

use e2e::app::{NewIncident, SYNC_TIMEOUT};
use e2e::{Chromedriver, Relay, Result, Tablet};

fn incident<'a>(title: &'a str, impact: &'a str, urgency: &'a str) -> NewIncident<'a> {
    NewIncident {
        title,
        description: "Logged by the CSV export test.",
        impact,
        urgency,
        note: "",
    }
}

#[tokio::test]
async fn export_csv_downloads_the_rows_shown_in_their_order() -> Result<()> {
    let relay = Relay::start().await?;
    let (admin, password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "a").await?;
    a.sign_in(&admin, &password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;

    a.create_incident(&incident(
        "Core switch, rack \"B\", reboots",
        "high",
        "high",
    ))
    .await?;
    a.fill("#assignee", &admin).await?;
    a.save().await?;
    a.click("a.brand").await?;
    a.create_incident(&incident("Printer toner low on floor 2", "low", "low"))
        .await?;
    a.click("a.brand").await?;
    a.create_incident(&incident("Wi-Fi drops in the canteen", "medium", "medium"))
        .await?;
    a.select("#status", "resolved").await?;
    a.fill("#note", "Access point restarted.").await?;
    a.save().await?;
    a.click("a.brand").await?;

    // Open incidents by priority: the P1 first, the resolved one left out.
    a.select("#sort", "priority").await?;
    a.wait_for_text("#list-count", "to show 2 of 3", e2e::app::UI_TIMEOUT, |t| {
        t == "2 of 3 shown"
    })
    .await?;
    let csv = a.export_csv().await?;
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0], "Number,Title,Status,Priority,Site,Team,Assignee,Updated (UTC),SLA",
        "{csv}"
    );
    assert_eq!(lines.len(), 3, "the header and the two rows shown: {csv}");
    assert!(
        lines[1].contains(",\"Core switch, rack \"\"B\"\", reboots\",New,P1")
            && lines[1].contains(&format!(",{admin},"))
            && lines[1].ends_with(",on track"),
        "the P1 first, quoted, with its assignee and SLA state: {}",
        lines[1]
    );
    assert!(
        lines[2].contains(",Printer toner low on floor 2,New,P5"),
        "then the P5: {}",
        lines[2]
    );
    assert!(
        !csv.contains("Wi-Fi"),
        "a resolved incident is not shown, so not exported"
    );

    // Every status: the resolved one is exported too.
    a.select("#filter-status", "").await?;
    let csv = a.export_csv().await?;
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(
        csv.contains(",Wi-Fi drops in the canteen,Resolved,"),
        "{csv}"
    );

    a.close().await?;
    Ok(())
}
