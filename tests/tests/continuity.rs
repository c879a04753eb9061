//! Continuity plans on every device (ISO 20000 8.7.2): a plan an administrator writes reaches
//! the tablet of a person who is only a change manager, who reads it (read-only) even with the
//! tablet offline.

use e2e::app::{SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Result, Tablet, signed_in};

const PASSWORD: &str = "continuity-password-2026";

#[tokio::test]
async fn a_continuity_plan_reaches_a_person_who_is_only_a_change_manager() -> Result<()> {
    let (mut relay, driver, tablets, _) = signed_in(&["admin"]).await?;
    let [admin] = <[Tablet; 1]>::try_from(tablets).expect("one tablet");
    let plan = admin
        .create_record(
            "continuity_plan",
            &[
                ("service", "Water telemetry"),
                ("invocation_criteria", "Head office unreachable for an hour"),
            ],
        )
        .await?;
    admin
        .wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    relay
        .admin(
            &["user", "add", "carl", "--role", "change_manager"],
            Some(PASSWORD),
        )
        .await?;

    let carl = Tablet::open(&driver, &relay.base_url(), "carl").await?;
    carl.sign_in("carl", PASSWORD).await?;
    carl.wait_online(true, SYNC_TIMEOUT).await?;
    carl.wait_service_worker().await?;
    carl.goto(&format!("/records/continuity_plan/{}", plan.id))
        .await?;
    carl.wait_for_text("#record-number", "the plan", SYNC_TIMEOUT, |t| {
        t == plan.number
    })
    .await?;
    // Read-only for him, and there with the relay gone too.
    carl.wait_for("#read-only-notice", UI_TIMEOUT).await?;
    relay.stop().await?;
    carl.reload().await?;
    carl.wait_for_text("#record-number", "the plan offline", UI_TIMEOUT, |t| {
        t == plan.number
    })
    .await?;
    carl.close().await?;
    admin.close().await
}
