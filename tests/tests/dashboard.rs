//! The dashboard (ISO/IEC 20000 9.1, 9.4) offline: incidents logged on a tablet show in its
//! backlog, trend and SLA attainment charts, computed from the records on the device while the
//! relay is down.

use e2e::app::{NewIncident, SYNC_TIMEOUT};
use e2e::{Chromedriver, Relay, Result, Tablet};

fn incident<'a>(title: &'a str, impact: &'a str, urgency: &'a str) -> NewIncident<'a> {
    NewIncident {
        title,
        description: "Logged by the dashboard test.",
        impact,
        urgency,
        note: "",
    }
}

#[tokio::test]
async fn the_dashboard_charts_the_records_on_the_device_offline() -> Result<()> {
    let mut relay = Relay::start().await?;
    let (admin, password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "a").await?;
    a.sign_in(&admin, &password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;

    // Offline from here on: everything below comes from the tablet's own records.
    relay.stop().await?;
    a.wait_online(false, SYNC_TIMEOUT).await?;

    // One P1 and two P5 open; one more logged and resolved at once.
    a.create_incident(&incident("Core switch in rack B reboots", "high", "high"))
        .await?;
    a.click("a.brand").await?;
    for title in ["Printer toner low on floor 2", "Label printer squeaks"] {
        a.create_incident(&incident(title, "low", "low")).await?;
        a.click("a.brand").await?;
    }
    a.create_incident(&incident("Wi-Fi drops in the canteen", "medium", "medium"))
        .await?;
    a.select("#status", "resolved").await?;
    a.fill("#note", "Access point restarted.").await?;
    a.save().await?;

    a.open_dashboard().await?;
    let backlog = a.chart_bars("#chart-backlog").await?;
    let want: Vec<(String, u64)> = [("P1", 1), ("P2", 0), ("P3", 0), ("P4", 0), ("P5", 2)]
        .into_iter()
        .map(|(p, n)| (p.to_string(), n))
        .collect();
    assert_eq!(backlog, want, "open incidents by priority");
    assert_eq!(a.text("#backlog-total").await?, "3 open in all");
    let label = a
        .attr("#chart-backlog svg", "aria-label")
        .await?
        .unwrap_or_default();
    assert!(
        label.contains("P1: 1") && label.contains("P5: 2"),
        "{label}"
    );

    // 30 local days, today last: four opened today, one resolved.
    let days = a.trend_days().await?;
    assert_eq!(days.len(), 30, "{days:?}");
    let today = days.last().cloned().unwrap_or_default();
    assert_eq!((today.1, today.2), (4, 1), "today's bars: {today:?}");
    assert_eq!(days.iter().map(|d| d.1).sum::<u64>(), 4);

    // The resolved incident met its resolution target (the standard SLA: no SLA records).
    let sla = a.chart_bars("#chart-sla").await?;
    let value = |label: &str| sla.iter().find(|(l, _)| l == label).map(|(_, n)| *n);
    assert_eq!(value("Resolution met"), Some(1), "{sla:?}");
    assert_eq!(value("Resolution breached"), Some(0), "{sla:?}");
    assert!(
        a.text("#sla-summary")
            .await?
            .contains("Resolution: 100% met (1 of 1)"),
        "{}",
        a.text("#sla-summary").await?
    );

    // No changes, no major incidents on this device: every bar zero, none listed.
    let changes = a.chart_bars("#chart-changes").await?;
    assert_eq!(changes.len(), 7, "{changes:?}");
    assert!(changes.iter().all(|(_, n)| *n == 0), "{changes:?}");
    assert_eq!(
        a.text("#major-incidents h2").await?,
        "Open major incidents: 0"
    );
    assert_eq!(a.count("tr.major-row").await?, 0);

    a.close().await?;
    Ok(())
}
