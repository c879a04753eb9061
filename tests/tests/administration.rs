//! The admin screen end to end: an administrator moves a person to another team and grants
//! them a role through `/admin`, and an incident logged for a team reaches that person (an agent of the team) through the relay,
//! while an incident of another team does not.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT, row_selector};
use e2e::{Chromedriver, Relay, Result, Tablet};

const PASSWORD: &str = "omar-password-2026";

#[tokio::test]
async fn a_role_granted_on_the_admin_screen_lets_an_agent_receive_their_teams_incidents()
-> Result<()> {
    let relay = Relay::start().await?;
    let (admin, admin_password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "admin").await?;
    a.sign_in(&admin, &admin_password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;

    // Two teams, and Omar in "facilities" with no role yet.
    a.open_admin().await?;
    a.add_team("network", "Network operations").await?;
    a.add_team("facilities", "Facilities").await?;
    a.add_person("omar", PASSWORD, &[], "facilities").await?;
    assert!(a.person_roles("omar").await?.is_empty());

    // Omar moves to the network team on the screen (joins it, leaves facilities); what he
    // receives below shows the relay took it.
    a.change_group("omar", "team", "network", true).await?;
    a.change_group("omar", "team", "facilities", false).await?;
    assert_eq!(a.person_groups("omar", "team").await?, ["network"]);

    // Granted, then a wrong grant revoked: the row follows the relay each time.
    a.change_role("omar", "agent", true).await?;
    a.change_role("omar", "auditor", true).await?;
    a.change_role("omar", "auditor", false).await?;
    assert_eq!(a.person_roles("omar").await?, ["agent"]);
    assert!(
        a.count(".admin-error").await? == 0,
        "no admin action failed"
    );

    // The administrator logs one incident for each team (the team select offers every team the
    // relay knows to an administrator).
    a.click("a.brand").await?;
    let other = a
        .create_incident_choosing(
            &NewIncident {
                title: "Lift 2 stuck on the ground floor",
                description: "Facilities job.",
                impact: "low",
                urgency: "low",
                note: "",
            },
            &[("#team", "facilities")],
        )
        .await?;
    assert_eq!(a.value("#team").await?, "facilities");
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    a.click(".crumbs a").await?;
    let ours = a
        .create_incident_choosing(
            &NewIncident {
                title: "Core switch in rack B reboots",
                description: "Network team: the core switch restarts every hour.",
                impact: "high",
                urgency: "medium",
                note: "",
            },
            &[("#team", "network")],
        )
        .await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;

    // Omar signs in on his own tablet: his team's incident arrives, the other team's does not.
    let b = Tablet::open(&driver, &relay.base_url(), "omar").await?;
    b.sign_in("omar", PASSWORD).await?;
    b.wait_row(&ours, "to arrive for the network team", SYNC_TIMEOUT, |r| {
        r.title == "Core switch in rack B reboots"
    })
    .await?;
    assert_eq!(
        b.count(&row_selector(&other)).await?,
        0,
        "another team's incident is not sent to Omar"
    );
    b.click(&row_selector(&ours)).await?;
    b.wait_until("the form to show the team", UI_TIMEOUT, || async {
        Ok(b.value("#team").await? == "network")
    })
    .await?;

    a.close().await?;
    b.close().await?;
    Ok(())
}
