//! Identity end to end (issue 13): a tablet shared by two people gives the second a device id
//! of their own (the relay refuses another person's), and disabling a person from the relay's
//! command line reaches their open tablet at once, which keeps what they did. A wrong password
//! is refused with a sentence and the form is ready for another try.

use std::time::{Duration, Instant};

use e2e::app::{NewIncident, SYNC_TIMEOUT};
use e2e::{Chromedriver, Relay, Result, Tablet};

const PASSWORD: &str = "identity-password-2026";

#[tokio::test]
async fn a_shared_tablet_signs_in_a_second_person_and_disabling_them_reaches_it_at_once()
-> Result<()> {
    let relay = Relay::start().await?;
    let (admin, admin_password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    relay
        .admin(
            &["user", "add", "tom", "--role", "technician"],
            Some(PASSWORD),
        )
        .await?;
    let driver = Chromedriver::start().await?;

    // The administrator uses the tablet first: its device id is now theirs.
    let tablet = Tablet::open(&driver, &relay.base_url(), "shared").await?;
    tablet.sign_in(&admin, &admin_password).await?;
    tablet.wait_online(true, SYNC_TIMEOUT).await?;
    tablet.click("#sign-out").await?;
    // Signed out once the app shows its sign-in form (the session is forgotten by then).
    tablet.wait_for("#username", SYNC_TIMEOUT).await?;

    // A wrong password is refused with a sentence, and the form is ready for another try.
    tablet.fill("#username", "tom").await?;
    tablet.fill("#password", "not-his-password").await?;
    tablet.click("#sign-in").await?;
    tablet.wait_for(".sign-in-error", SYNC_TIMEOUT).await?;
    assert!(!tablet.text(".sign-in-error").await?.trim().is_empty());
    assert_eq!(tablet.text("#sign-in").await?.trim(), "Sign in");

    // Tom signs in on the same tablet: the relay refuses the administrator's device id to him,
    // so the app takes one of his own, and he works and syncs.
    tablet.sign_in("tom", PASSWORD).await?;
    tablet.wait_online(true, SYNC_TIMEOUT).await?;
    let id = tablet
        .create_incident(&NewIncident {
            title: "Gate barrier stuck open",
            description: "North entrance.",
            impact: "medium",
            urgency: "high",
            note: "",
        })
        .await?;
    tablet
        .wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    // Disabled beside the running relay: his tablet hears at once that the session ended.
    let start = Instant::now();
    relay.admin(&["user", "disable", "tom"], None).await?;
    tablet
        .wait_for("#session-expired", Duration::from_secs(5))
        .await?;
    eprintln!(
        "the disabled person's tablet knew within {:?}",
        start.elapsed()
    );
    tablet.wait_online(false, Duration::from_secs(5)).await?;
    // What he did is still on the tablet.
    tablet.click(".crumbs a").await?;
    tablet
        .wait_row(&id, "to stay listed", SYNC_TIMEOUT, |r| {
            r.title == "Gate barrier stuck open"
        })
        .await?;
    Ok(())
}
