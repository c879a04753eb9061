//! A customer's signature (issue 17 item 3): on a resolved incident, with the relay gone, the
//! customer signs on tablet A's screen; the record shows it at once, and once the relay is
//! back tablet B shows the very same drawing, with who signed and when.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Result, signed_in};

const SECTION: &str = "section.record-section[data-section=\"Customer signature\"]";

#[tokio::test]
async fn a_customer_signs_offline_and_the_signature_reaches_another_tablet() -> Result<()> {
    let (mut relay, _driver, tablets, admin) = signed_in(&["a", "b"]).await?;
    let [a, b] = <[_; 2]>::try_from(tablets).expect("two tablets");
    let incident = a
        .create_incident(&NewIncident {
            title: "Till 2 does not boot",
            description: "Shop floor",
            impact: "medium",
            urgency: "medium",
            note: "",
        })
        .await?;

    // Not before the work is done.
    a.sign_record("Bo Berg").await?;
    let why = a.refusal().await?;
    assert!(why.contains("signs once the work is done"), "{why}");

    a.select("#status", "resolved").await?;
    a.save().await?;
    relay.stop().await?;
    a.wait_online(false, SYNC_TIMEOUT).await?;
    a.sign_record("Bo Berg").await?;
    a.wait_for(&format!("{SECTION} svg.signature path"), UI_TIMEOUT)
        .await?;
    let row = a.text(&format!("{SECTION} li.section-row")).await?;
    assert!(
        row.starts_with("Signed by Bo Berg at ") && row.contains(&format!("(tablet of {admin})")),
        "{row}"
    );
    let drawn = a
        .attr(&format!("{SECTION} svg.signature path"), "d")
        .await?
        .unwrap_or_default();
    assert!(
        drawn.starts_with("M ") && drawn.matches('M').count() == 2,
        "two strokes: {drawn}"
    );

    relay.start_again().await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    b.goto(&format!("/incidents/{incident}")).await?;
    b.wait_for(&format!("{SECTION} svg.signature path"), SYNC_TIMEOUT)
        .await?;
    let synced = b
        .attr(&format!("{SECTION} svg.signature path"), "d")
        .await?
        .unwrap_or_default();
    assert_eq!(synced, drawn, "the same drawing on both tablets");
    a.close().await?;
    b.close().await
}
