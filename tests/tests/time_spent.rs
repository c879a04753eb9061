//! Time spent, logged the way a technician logs it: with a work-log note on an incident, through
//! "Log work" on a problem; a bad time is refused with the reason and loses nothing typed; the
//! record totals it, and the time report sums it per person and per service.

use e2e::app::{NewIncident, UI_TIMEOUT};
use e2e::{Result, signed_in};

#[tokio::test]
async fn time_is_logged_on_records_totalled_and_reported_per_person_and_service() -> Result<()> {
    let (_relay, _driver, tablets, admin) = signed_in(&["desk"]).await?;
    let [a] = <[_; 1]>::try_from(tablets).expect("one tablet");

    let service = a
        .create_record("service", &[("name", "Printing"), ("owner", "ana")])
        .await?;
    a.open_record("service", &service.id).await?;
    a.move_record("live", "Launched").await?;
    a.open_list().await?;
    let incident = a
        .create_incident_choosing(
            &NewIncident {
                title: "Receipt printer jams",
                description: "North depot",
                impact: "medium",
                urgency: "medium",
                note: "",
            },
            &[("#service", &service.number)],
        )
        .await?;
    assert!(a.current_url().await?.ends_with(&incident));
    a.wait_for("#minutes", UI_TIMEOUT).await?;
    a.fill("#note", "Replaced the roller").await?;
    a.fill("#minutes", "45").await?;
    a.save().await?;
    a.wait_for_text("#time-spent-total", "the record's total", UI_TIMEOUT, |t| {
        t == "Time spent: 45 min"
    })
    .await?;
    assert_eq!(a.text(".worklog-minutes").await?, "45 min");

    // A time that is not one is refused in words; what was typed stays to be corrected.
    a.fill("#note", "Cleaned the sensor").await?;
    a.fill("#minutes", "lots").await?;
    a.click("#save").await?;
    let why = a.refusal().await?;
    assert!(why.contains("'lots' is not a time"), "{why}");
    assert_eq!(a.value("#note").await?, "Cleaned the sensor");
    a.fill("#minutes", "1:15").await?;
    a.save().await?;
    a.wait_for_text("#time-spent-total", "the new total", UI_TIMEOUT, |t| {
        t == "Time spent: 2 h"
    })
    .await?;

    // Record types worked through actions log work with time too.
    a.create_record("problem", &[("title", "Rollers wear out")])
        .await?;
    a.act(
        "log_work",
        &[("note", "Compared three printers"), ("minutes", "30m")],
    )
    .await?;
    a.wait_for_text(
        "#time-spent-total",
        "the problem's total",
        UI_TIMEOUT,
        |t| t == "Time spent: 30 min",
    )
    .await?;

    // The report: per person, per service, in all.
    a.goto("/dashboard").await?;
    a.click("#time-report-link").await?;
    a.wait_for_text("#time-total", "the report's total", UI_TIMEOUT, |t| {
        t.starts_with("In all: 2 h 30 min on 2 records")
    })
    .await?;
    let minutes = |selector: String| {
        let a = &a;
        async move { a.attr(&selector, "data-minutes").await }
    };
    assert_eq!(
        minutes(format!("tr.time-person[data-name=\"{admin}\"]")).await?,
        Some("150".into())
    );
    assert_eq!(
        minutes(format!("tr.time-service[data-name=\"{}\"]", service.number)).await?,
        Some("120".into())
    );
    assert_eq!(
        minutes("tr.time-service[data-name=\"\"]".into()).await?,
        Some("30".into()),
        "the problem is for no service"
    );
    a.close().await
}
