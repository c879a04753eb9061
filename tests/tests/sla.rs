//! The SLA in force: an incident about a service runs the clock of that service's SLA, on every
//! tablet, and follows the SLA when its targets change. The SLA, the service and the incident
//! are made through the forms, as a service level manager and an agent would.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT, row_selector};
use e2e::{Result, Tablet, signed_in};

/// Minutes left in an SLA cell as the app words it: "Respond in 2 h", "Resolve in 7 h 59 min".
fn minutes_left(text: &str) -> Option<i64> {
    let mut minutes = 0;
    let left = text
        .strip_prefix("Respond in ")
        .or_else(|| text.strip_prefix("Resolve in "))?;
    let words: Vec<&str> = left.split(' ').collect();
    for pair in words.chunks(2) {
        let n: i64 = pair[0].parse().ok()?;
        minutes += match *pair.get(1)? {
            "d" => n * 24 * 60,
            "h" => n * 60,
            "min" => n,
            _ => return None,
        };
    }
    Some(minutes)
}

/// Waits until `selector` shows a target with `minutes` left (less up to 10, the test's time).
async fn wait_left(tablet: &Tablet, selector: &str, minutes: i64) -> Result<()> {
    let what = format!("about {minutes} minutes left");
    tablet
        .wait_for_text(selector, &what, SYNC_TIMEOUT, |t| {
            minutes_left(t).is_some_and(|m| (minutes - 10..=minutes).contains(&m))
        })
        .await?;
    Ok(())
}

#[tokio::test]
async fn an_incident_about_a_service_runs_its_sla_everywhere_and_follows_its_targets() -> Result<()>
{
    let (_relay, _driver, tablets, _) = signed_in(&["desk", "field"]).await?;
    let [a, b] = <[Tablet; 2]>::try_from(tablets).expect("two tablets");

    // Gold: P3 answered within 2 hours (the standard SLA gives P3 one hour).
    let sla = a.create_record("sla", &[("name", "Gold")]).await?;
    a.act(
        "target",
        &[
            ("priority", "P3"),
            ("response", "120"),
            ("resolution", "480"),
        ],
    )
    .await?;
    a.move_record("active", "").await?;
    let service = a
        .create_record("service", &[("name", "Printing"), ("sla", &sla.number)])
        .await?;

    // A retired service takes no new incidents: the service picker does not offer it.
    let old = a
        .create_record("service", &[("name", "Printing (old)")])
        .await?;
    a.move_record("retired", "Replaced by Printing").await?;
    a.open_list().await?;
    a.click("#new-incident").await?;
    a.fill("#service", "printing").await?;
    let offered = |number: &str| format!("button.picker-option[data-number=\"{number}\"]");
    a.wait_for(&offered(&service.number), UI_TIMEOUT).await?;
    assert_eq!(a.count(&offered(&old.number)).await?, 0);

    // A medium × medium incident (P3) about the printing service runs Gold's clock.
    a.open_list().await?;
    let printing = NewIncident {
        title: "Print queue stuck on floor 2",
        description: "Jobs sit in the queue.",
        impact: "medium",
        urgency: "medium",
        note: "",
    };
    let id = a
        .create_incident_choosing(&printing, &[("#service", &service.number)])
        .await?;
    let gold = format!("{} Gold", sla.number);
    a.wait_for_text("#agreement", "the incident's SLA", UI_TIMEOUT, |t| {
        t == gold
    })
    .await?;
    wait_left(&a, "#record-sla .sla-response", 120).await?;
    wait_left(&a, "#record-sla .sla-resolution", 480).await?;

    // Another incident, about no service: the standard SLA's hour.
    a.open_list().await?;
    let other = a
        .create_incident(&NewIncident {
            title: "Badge reader beeps",
            ..printing.clone()
        })
        .await?;
    a.wait_for_text("#agreement", "no SLA of its own", UI_TIMEOUT, |t| {
        t == "the standard SLA"
    })
    .await?;
    wait_left(&a, "#record-sla .sla-response", 60).await?;

    // The other tablet lists both with the same clocks, whichever record reached it first.
    b.open_list().await?;
    wait_left(&b, &format!("{} .incident-sla", row_selector(&id)), 120).await?;
    wait_left(&b, &format!("{} .incident-sla", row_selector(&other)), 60).await?;

    // Gold now gives P3 four hours: the incident's clock follows, here and on the other tablet.
    a.open_record("sla", &sla.id).await?;
    a.act(
        "target",
        &[
            ("priority", "P3"),
            ("response", "240"),
            ("resolution", "480"),
        ],
    )
    .await?;
    wait_left(&b, &format!("{} .incident-sla", row_selector(&id)), 240).await?;
    wait_left(&b, &format!("{} .incident-sla", row_selector(&other)), 60).await?;
    a.goto(&format!("/incidents/{id}")).await?;
    wait_left(&a, "#record-sla .sla-response", 240).await?;
    a.close().await?;
    b.close().await
}
