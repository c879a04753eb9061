//! Major incidents (ISO/IEC 20000 8.6.1, 8.7.1) as a service desk manager works them, and the
//! people they are owned and assigned by, picked by name from the directory the tablet keeps.
//!
//! The administrator adds a site, a team and a person choosing them from lists and sees them by
//! name; then, with the relay down, declares an incident on a service major with a reason and
//! an owner picked by name, assigns it by name, records the outage, sees the close refused
//! with the rule's reason until the post-incident review is in, and the dashboard shows the
//! open major incident (owner by name) and the service's availability over the period.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT};
use e2e::{Chromedriver, Relay, Result, Tablet};

const HOUR_MS: i64 = 3_600_000;

/// The browser's local `YYYY-MM-DDTHH:MM`, `hours_ago` hours before now (what a person picks
/// in a `datetime-local` control).
async fn local_time(tablet: &Tablet, hours_ago: i64) -> Result<String> {
    let text = tablet
        .execute(
            "const d = new Date(Date.now() - arguments[0]); \
             const p = n => String(n).padStart(2, '0'); \
             return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;",
            vec![(hours_ago * HOUR_MS).into()],
        )
        .await?;
    Ok(text.as_str().unwrap_or_default().to_string())
}

/// The name the person picker `#<picker>` offers for `username` (its list's option label).
async fn offered_name(tablet: &Tablet, picker: &str, username: &str) -> Result<String> {
    let option = format!("#{picker}-people option[value=\"{username}\"]");
    Ok(tablet.attr(&option, "label").await?.unwrap_or_default())
}

#[tokio::test]
async fn a_major_incident_is_declared_owned_by_name_reviewed_closed_and_measured_offline()
-> Result<()> {
    let mut relay = Relay::start().await?;
    let (admin, password) = relay
        .first_account()
        .unwrap_or_else(|| panic!("the relay prints the first account:\n{}", relay.log()));
    let driver = Chromedriver::start().await?;
    let a = Tablet::open(&driver, &relay.base_url(), "manager").await?;
    a.sign_in(&admin, &password).await?;
    a.wait_online(true, SYNC_TIMEOUT).await?;

    // Administration without typing ids: sites and teams are chosen from lists by name.
    a.open_admin().await?;
    a.fill("#new-site-id", "north").await?;
    a.fill("#new-site-name", "North depot").await?;
    a.click("#add-site").await?;
    a.add_team("network", "Network operations").await?;
    a.fill("#new-username", "maria").await?;
    a.fill("#new-display-name", "Maria Lopez").await?;
    a.fill("#new-password", "maria-password-2026").await?;
    a.click("#role-technician").await?;
    a.wait_for("#choose-site-north", UI_TIMEOUT).await?;
    assert_eq!(
        a.text("label:has(#choose-site-north)").await?,
        "North depot"
    );
    a.click("#choose-site-north").await?;
    a.click("#choose-team-network").await?;
    a.click("#add-person").await?;
    a.wait_for(&e2e::app::person_selector("maria"), UI_TIMEOUT)
        .await?;
    assert_eq!(a.person_groups("maria", "site").await?, ["north"]);
    assert_eq!(
        a.person_group_names("maria", "site").await?,
        ["North depot"]
    );
    assert_eq!(
        a.person_group_names("maria", "team").await?,
        ["Network operations"]
    );
    assert_eq!(a.person_roles("maria").await?, ["technician"]);

    // A service with a 99.9 % availability target, and an incident on it.
    let service = a
        .create_record(
            "service",
            &[("name", "Tills"), ("availability_target", "99.9")],
        )
        .await?;
    a.click("a.brand").await?;
    a.create_incident_choosing(
        &NewIncident {
            title: "Tills cannot take card payments",
            description: "Every store reports card payments failing.",
            impact: "high",
            urgency: "high",
            note: "",
        },
        &[("#service", &service.number)],
    )
    .await?;
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    a.wait_service_worker().await?;

    // From here the tablet is offline, reloaded: the people it picks from are the copy it keeps.
    relay.stop().await?;
    a.reload().await?;
    a.wait_for("#assignee", UI_TIMEOUT).await?;
    a.wait_online(false, SYNC_TIMEOUT).await?;

    // Assigned by name: the picker offers Maria Lopez, stores maria and shows her name.
    assert_eq!(offered_name(&a, "assignee", "maria").await?, "Maria Lopez");
    a.fill("#assignee", "maria").await?;
    a.save().await?;
    assert_eq!(a.value("#assignee").await?, "maria");
    assert_eq!(a.text("#assignee-name").await?, "Maria Lopez");

    // Declared major: the owner is picked by name, the reason is required.
    a.click("details#action-major > summary").await?;
    assert_eq!(
        offered_name(&a, "a-major-owner", "maria").await?,
        "Maria Lopez"
    );
    let refused = a.act_refused("major", &[("owner", "maria")]).await?;
    assert_eq!(refused, "Why it is major: this is required");
    a.act(
        "major",
        &[("owner", "maria"), ("reason", "Every store is affected")],
    )
    .await?;
    a.wait_section("Major incident", UI_TIMEOUT, |r| r == "Owner: maria")
        .await?;

    // The outage: down three hours ago, restored an hour ago.
    let (down, up) = (local_time(&a, 3).await?, local_time(&a, 1).await?);
    a.act("outage", &[("start", &down), ("end", &up)]).await?;
    a.wait_section("Major incident", UI_TIMEOUT, |r| {
        r.starts_with("Service down from")
    })
    .await?;

    // The dashboard: one open major incident, owned by Maria Lopez; the service lost two hours.
    a.open_dashboard().await?;
    assert_eq!(
        a.text("#major-incidents h2").await?,
        "Open major incidents: 1"
    );
    assert_eq!(a.text("tr.major-row .major-owner").await?, "Maria Lopez");
    let row = format!(
        "#availability tr.availability-row[data-service=\"{}\"]",
        service.number
    );
    assert_eq!(
        a.attr(&format!("{row} .downtime"), "data-ms").await?,
        Some((2 * HOUR_MS).to_string())
    );
    assert_eq!(a.attr(&row, "data-met").await?, Some("missed".into()));
    let measured = a.text(&format!("{row} .measured")).await?;
    assert!(
        measured.starts_with("99.") && measured.ends_with('%'),
        "{measured}"
    );
    assert_eq!(a.text(&format!("{row} .target")).await?, "99.9%");

    // Resolved, then closing is refused with the rule's reason on the form: no review yet.
    a.execute("history.back()", vec![]).await?;
    a.wait_for("#status", UI_TIMEOUT).await?;
    a.select("#status", "resolved").await?;
    a.fill("#note", "Payment gateway certificate renewed.")
        .await?;
    a.save().await?;
    a.select("#status", "closed").await?;
    a.click("#save").await?;
    let refused = a.refusal().await?;
    assert!(
        refused.contains("a major incident needs a post-incident review before it can be closed"),
        "{refused}"
    );
    assert_eq!(a.value("#status").await?, "closed", "what was chosen stays");

    // With the review recorded, it closes.
    a.act(
        "review",
        &[(
            "summary",
            "Certificate expiry was not monitored; added to the monitoring checks.",
        )],
    )
    .await?;
    a.select("#status", "closed").await?;
    a.save().await?;
    a.wait_until("the incident to be closed", UI_TIMEOUT, || async {
        Ok(a.value("#status").await? == "closed" && a.count("#record-error").await? == 0)
    })
    .await?;

    // No open major incident now; the downtime still counts for the period.
    a.open_dashboard().await?;
    assert_eq!(
        a.text("#major-incidents h2").await?,
        "Open major incidents: 0"
    );
    assert_eq!(
        a.attr(&format!("{row} .downtime"), "data-ms").await?,
        Some((2 * HOUR_MS).to_string())
    );

    a.close().await?;
    Ok(())
}
