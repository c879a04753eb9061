//! The auditor's evidence export end to end: an auditor downloads the 8.6.1 (incident
//! management) evidence zip through `/export`; a technician is not offered the screen; offline
//! the download is disabled and says it needs the relay.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Chromedriver, Relay, Result, Tablet};

const PASSWORD: &str = "auditor-password-2026";

#[tokio::test]
async fn an_auditor_downloads_incident_evidence_and_a_technician_is_not_offered_it() -> Result<()> {
    let mut relay = Relay::start().await?;
    let (admin, admin_password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "admin").await?;
    a.sign_in(&admin, &admin_password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;

    // One incident to sample, an auditor and a technician.
    a.create_incident(&NewIncident {
        title: "Printer on floor 2 jams",
        description: "Every third page.",
        impact: "low",
        urgency: "low",
        note: "",
    })
    .await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    a.open_admin().await?;
    a.add_person("ines", PASSWORD, &["auditor"], "").await?;
    a.add_person("tom", PASSWORD, &["technician"], "").await?;

    // The technician has no link to the export.
    let t = Tablet::open(&driver, &relay.base_url(), "tom").await?;
    t.sign_in("tom", PASSWORD).await?;
    t.wait_online(true, SYNC_TIMEOUT).await?;
    assert_eq!(
        t.count("#export-link").await?,
        0,
        "a technician is not offered the export"
    );
    // And the relay refuses them, in words.
    let (status, _) = t
        .fetch_bytes("/api/export/evidence?clause=8.6.1", 2)
        .await?;
    assert_eq!(status, 403);
    t.close().await?;

    // The auditor downloads the 8.6.1 evidence.
    let b = Tablet::open(&driver, &relay.base_url(), "ines").await?;
    b.sign_in("ines", PASSWORD).await?;
    b.wait_online(true, SYNC_TIMEOUT).await?;
    b.open_export().await?;
    assert_eq!(
        b.value("#export-sample").await?,
        "25",
        "the default sample size"
    );
    let said = b.export_evidence("8.6.1", 5).await?;
    assert!(
        said.starts_with("Downloaded outpost-evidence-8.6.1-") && said.contains(".zip ("),
        "{said}"
    );
    let size: u64 = said
        .rsplit('(')
        .next()
        .and_then(|s| s.split(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(size > 100, "a non-empty zip: {said}");
    // The same request from the page answers a zip (its first bytes are "PK").
    let (status, bytes) = b
        .fetch_bytes("/api/export/evidence?clause=8.6.1&sample=5&seed=audit-1", 2)
        .await?;
    assert_eq!((status, bytes.as_slice()), (200, b"PK".as_slice()));

    // Offline, the button is disabled and says why.
    relay.stop().await?;
    b.wait_online(false, SYNC_TIMEOUT).await?;
    b.wait_for("#export-offline", UI_TIMEOUT).await?;
    assert!(b.text("#export-offline").await?.contains("needs the relay"));
    assert!(
        b.attr("#export-download", "disabled").await?.is_some(),
        "the download is disabled offline"
    );

    a.close().await?;
    b.close().await?;
    Ok(())
}
