//! The ISO 20000 processes beyond incidents, done on a tablet the way a person does them:
//! through the Records page, the generic record forms, their actions and status moves, with
//! every refusal showing the reason `shared` gives.

use e2e::app::{NewIncident, SYNC_TIMEOUT, UI_TIMEOUT, row_selector};
use e2e::{Result, Tablet, repo_root, signed_in};

const CAB_PASSWORD: &str = "cab-password-2026";

fn screenshot(name: &str) -> std::path::PathBuf {
    repo_root().join("docs/screenshots").join(name)
}

/// A form's `(field, text)` pairs.
type Fields<'a> = &'a [(&'a str, &'a str)];

fn one(tablets: Vec<Tablet>) -> Tablet {
    let [a] = <[Tablet; 1]>::try_from(tablets).expect("one tablet");
    a
}

#[tokio::test]
async fn a_service_request_comes_from_the_catalogue_and_resolves_once_its_checklist_is_done()
-> Result<()> {
    let (_relay, _driver, tablets, admin) = signed_in(&["desk"]).await?;
    let a = one(tablets);

    // The service owner puts a laptop in the catalogue.
    let service = a
        .create_record("service", &[("name", "Laptops"), ("owner", "ana")])
        .await?;
    assert!(service.number.starts_with("SVC-"), "{}", service.number);
    a.act(
        "offering",
        &[
            ("key", "laptop"),
            ("name", "New laptop"),
            ("steps", "Order the laptop\nImage it\nHand it over"),
        ],
    )
    .await?;
    a.wait_section("Catalogue", UI_TIMEOUT, |r| {
        r.contains("New laptop (laptop): 3 step(s)")
    })
    .await?;

    // A proposed service takes no requests yet.
    let why = a
        .create_refused(
            "service_request",
            &[("service", &service.number), ("catalogue_item", "laptop")],
        )
        .await?;
    assert!(
        why.contains("Laptops is proposed and takes no new requests"),
        "{why}"
    );
    a.open_record("service", &service.id).await?;
    a.move_record("live", "Launched").await?;

    // The request starts with the item's steps and cannot be resolved before they are done.
    let request = a
        .create_record(
            "service_request",
            &[
                ("service", &service.number),
                ("catalogue_item", "laptop"),
                ("caller", "Bo at the water works"),
                ("urgency", "high"),
            ],
        )
        .await?;
    assert_eq!(a.text("#record-title").await?, "New laptop");
    // Its SLA clock runs from the standard SLA (medium impact, high urgency: P2).
    a.wait_for_text("#record-sla", "the SLA clock", UI_TIMEOUT, |t| {
        t.starts_with("Respond in")
    })
    .await?;
    let steps = a.section_rows("Fulfilment checklist").await?;
    assert_eq!(steps.len(), 3, "{steps:?}");
    a.move_record("in_progress", "").await?;
    let why = a.move_refused("resolved", "Delivered").await?;
    assert!(
        why.contains("tick off the 3 remaining fulfilment step(s)"),
        "{why}"
    );
    for n in 1..=3 {
        a.press_row("Fulfilment checklist", n).await?;
        a.wait_section("Fulfilment checklist", UI_TIMEOUT, |r| {
            r.starts_with(&format!("{n}. ✓"))
        })
        .await?;
    }
    let done = a.section_rows("Fulfilment checklist").await?;
    assert!(
        done[0].contains(&format!("(done by {admin})")),
        "who ticked it: {done:?}"
    );
    a.move_record("resolved", "Delivered").await?;
    a.scroll_to("section.record-section[data-section=\"Fulfilment checklist\"]")
        .await?;
    a.screenshot(screenshot("request.png")).await?;

    // Listed with its priority; resolved work is no longer open.
    a.open_records("service_request").await?;
    a.select("#filter-status", "").await?;
    a.wait_for(&row_selector(&request.id), UI_TIMEOUT).await?;
    let status = a
        .text(&format!("{} .incident-status", row_selector(&request.id)))
        .await?;
    assert_eq!(status, "Resolved");
    a.close().await
}

#[tokio::test]
async fn a_known_error_is_found_from_an_incident_and_the_problem_closes_only_as_accepted()
-> Result<()> {
    let (_relay, _driver, tablets, _admin) = signed_in(&["desk"]).await?;
    let a = one(tablets);

    let problem = a
        .create_record(
            "problem",
            &[
                ("title", "Label printers print blank labels"),
                (
                    "description",
                    "Since firmware 4.2 on the warehouse printers",
                ),
            ],
        )
        .await?;
    a.act(
        "known_error",
        &[("workaround", "Switch to thermal-transfer mode and back")],
    )
    .await?;
    a.wait_section("Known error", UI_TIMEOUT, |r| {
        r.contains("Workaround: Switch to thermal-transfer mode and back")
    })
    .await?;

    // The technician at the incident finds the known error and links it.
    a.goto("/").await?;
    let incident = a
        .create_incident(&NewIncident {
            title: "Warehouse printer: labels come out blank",
            description: "Dispatch is stuck.",
            impact: "medium",
            urgency: "high",
            note: "",
        })
        .await?;
    let incident_number = a.text("h1").await?;
    a.fill("#known-error-search", "blank labels").await?;
    let found = a
        .wait_for_text(".known-error", "the known error", UI_TIMEOUT, |t| {
            t.contains(&problem.number)
        })
        .await?;
    assert!(
        found.contains("Workaround: Switch to thermal-transfer"),
        "{found}"
    );
    a.click(".known-error .link-problem").await?;
    a.wait_for_text("#known-error-status", "the link", UI_TIMEOUT, |t| {
        t.starts_with("Linked")
    })
    .await?;
    assert!(a.current_url().await?.contains(&incident));

    // The problem lists the incident, and closes only with a fix or as an accepted known error.
    a.open_record("problem", &problem.id).await?;
    a.wait_section("Linked incidents", UI_TIMEOUT, |r| r == incident_number)
        .await?;
    a.move_record("investigating", "").await?;
    let why = a.move_refused("closed", "").await?;
    assert!(
        why.contains("fix change is closed or it is accepted as a known error"),
        "{why}"
    );
    a.act(
        "accept",
        &[("reason", "The printer model is being replaced")],
    )
    .await?;
    a.move_record("closed", "Accepted as a known error").await?;
    a.close().await
}

#[tokio::test]
async fn a_normal_change_needs_the_cab_a_standard_one_its_template_and_the_calendar_shows_a_collision()
-> Result<()> {
    let (relay, driver, tablets, _) = signed_in(&["cab"]).await?;
    let a = one(tablets);

    let first = a
        .create_record(
            "change",
            &[
                ("title", "Replace the core switch"),
                ("change_type", "normal"),
                ("affected_cis", "CI-SW-1"),
                ("backout_plan", "Reinstall the old switch"),
                ("planned_start", "2026-12-01T22:00"),
                ("planned_end", "2026-12-02T02:00"),
            ],
        )
        .await?;
    a.act(
        "risk",
        &[("risk_0", "true"), ("risk_1", "true"), ("risk_2", "true")],
    )
    .await?;
    a.wait_section("Risk", UI_TIMEOUT, |r| r.contains("Score 8 — high risk"))
        .await?;
    a.move_record("submitted", "").await?;
    let why = a.move_refused("approved", "").await?;
    assert!(why.contains("needs CAB approval"), "{why}");
    // Separation of duties: the administrator who raised it is offered no decision, and is
    // told why; a change manager on another tablet records the CAB's approval.
    a.click("details#action-decide > summary").await?;
    let barred = a
        .wait_for_text("#action-decide-barred", "why not", UI_TIMEOUT, |t| {
            !t.is_empty()
        })
        .await?;
    assert!(barred.starts_with("Only a change manager"), "{barred}");
    let submit = a.find_all("#action-decide-submit").await?;
    assert!(!submit[0].is_displayed().await?, "no decision offered");
    relay
        .admin(
            &["user", "add", "carl", "--role", "change_manager"],
            Some(CAB_PASSWORD),
        )
        .await?;
    let cab = Tablet::open(&driver, &relay.base_url(), "carl").await?;
    cab.sign_in("carl", CAB_PASSWORD).await?;
    cab.wait_online(true, SYNC_TIMEOUT).await?;
    cab.goto(&format!("/records/change/{}", first.id)).await?;
    cab.wait_for("#record-status", SYNC_TIMEOUT).await?;
    cab.act(
        "decide",
        &[
            ("role", "cab"),
            ("decision", "approve"),
            ("comment", "Window agreed"),
        ],
    )
    .await?;
    a.wait_section("Approvals", SYNC_TIMEOUT, |r| {
        r == "Approved by carl (CAB member): Window agreed"
    })
    .await?;
    cab.close().await?;
    a.move_record("approved", "").await?;

    let second = a
        .create_record(
            "change",
            &[
                ("title", "Firmware upgrade on the core switch"),
                ("change_type", "normal"),
                ("affected_cis", "CI-SW-1"),
                ("planned_start", "2026-12-02T01:00"),
                ("planned_end", "2026-12-02T03:00"),
            ],
        )
        .await?;

    // A standard change comes from a template the CAB approved, and needs no CAB itself.
    let template = a
        .create_record(
            "change_template",
            &[
                ("name", "Reboot a till"),
                ("implementation_plan", "Hold power for 10 s"),
                ("backout_plan", "None needed"),
            ],
        )
        .await?;
    let standard = [
        ("change_type", "standard"),
        ("template", template.number.as_str()),
    ];
    let why = a.create_refused("change", &standard).await?;
    assert!(
        why.contains("is not approved for standard changes"),
        "{why}"
    );
    a.open_record("change_template", &template.id).await?;
    a.act("approve", &[]).await?;
    a.wait_section("Approval", UI_TIMEOUT, |r| {
        r.starts_with("Approved for standard changes by")
    })
    .await?;
    a.create_record("change", &standard).await?;
    assert_eq!(a.text("#record-title").await?, "Reboot a till");
    a.move_record("implementing", "").await?;

    a.click("#records-link").await?;
    a.wait_for("#nav-change-calendar", UI_TIMEOUT).await?;
    a.click("#nav-change-calendar").await?;
    let collision = a
        .wait_for_text("#collisions .collision", "a collision", UI_TIMEOUT, |t| {
            !t.is_empty()
        })
        .await?;
    assert!(
        collision.contains(&first.number)
            && collision.contains(&second.number)
            && collision.contains("CI-SW-1"),
        "{collision}"
    );
    assert_eq!(a.count("tr.calendar-row.collides").await?, 2);
    a.screenshot(screenshot("change-calendar.png")).await?;
    a.close().await
}

#[tokio::test]
async fn a_change_planned_in_a_freeze_window_is_held_and_the_calendar_shows_the_freeze()
-> Result<()> {
    let (_relay, _driver, tablets, _) = signed_in(&["freeze"]).await?;
    let a = one(tablets);
    a.create_record(
        "freeze_window",
        &[
            ("name", "Year end"),
            ("start", "2026-12-24T00:00"),
            ("end", "2026-12-27T00:00"),
            ("reason", "Closing the books"),
        ],
    )
    .await?;
    let change = a
        .create_record(
            "change",
            &[
                ("title", "Patch the tills"),
                ("change_type", "normal"),
                ("planned_start", "2026-12-26T22:00"),
                ("planned_end", "2026-12-26T23:00"),
            ],
        )
        .await?;
    a.move_record("submitted", "").await?;
    let why = a.move_refused("approved", "").await?;
    assert!(
        why.contains("is planned in the freeze window") && why.contains("Year end"),
        "{why}"
    );
    a.goto("/changes/calendar").await?;
    let freeze = a
        .wait_for_text(
            "#freeze-windows .freeze-window",
            "the freeze",
            UI_TIMEOUT,
            |t| t.contains("Year end"),
        )
        .await?;
    assert!(freeze.contains("Year end"), "{freeze}");
    let collision = a
        .wait_for_text("#collisions .collision", "a collision", UI_TIMEOUT, |t| {
            !t.is_empty()
        })
        .await?;
    assert!(
        collision.contains(&change.number) && collision.contains("falls in the freeze window"),
        "{collision}"
    );
    a.close().await
}

#[tokio::test]
async fn two_technicians_verify_cis_offline_and_both_checks_merge() -> Result<()> {
    let (mut relay, _driver, tablets, admin) = signed_in(&["a", "b"]).await?;
    let [a, b] = <[Tablet; 2]>::try_from(tablets).expect("two tablets");

    for (name, tag) in [("Core switch", "TAG-100"), ("Firewall", "TAG-200")] {
        a.create_record(
            "configuration_item",
            &[
                ("name", name),
                ("ci_type", "network"),
                ("site", "north"),
                ("location", "Rack 1"),
                ("asset_tag", tag),
            ],
        )
        .await?;
    }
    let campaign = a
        .create_record(
            "verification_campaign",
            &[("name", "Q4 north"), ("site", "north")],
        )
        .await?;
    a.wait_section("Progress", UI_TIMEOUT, |r| r.starts_with("0 of 2 checked"))
        .await?;
    b.goto(&format!("/records/verification_campaign/{}", campaign.id))
        .await?;
    b.wait_section("Progress", SYNC_TIMEOUT, |r| {
        r.starts_with("0 of 2 checked")
    })
    .await?;

    // The network drops; each technician checks a different CI.
    relay.stop().await?;
    a.wait_online(false, UI_TIMEOUT).await?;
    b.wait_online(false, UI_TIMEOUT).await?;
    a.act(
        "check",
        &[
            ("tag", "TAG-100"),
            ("method", "scanned"),
            ("result", "found_ok"),
        ],
    )
    .await?;
    let why = b
        .act_refused(
            "check",
            &[
                ("tag", "TAG-999"),
                ("method", "typed"),
                ("result", "found_ok"),
            ],
        )
        .await?;
    assert!(
        why.contains("no CI in this campaign has the tag 'TAG-999'"),
        "{why}"
    );
    b.act(
        "check",
        &[
            ("tag", "tag-200"),
            ("method", "typed"),
            ("result", "discrepancy"),
            ("note", "Moved to rack 2"),
        ],
    )
    .await?;
    a.wait_section("Progress", UI_TIMEOUT, |r| r.starts_with("1 of 2 checked"))
        .await?;
    assert!(a.unsynced().await? > 0, "offline work waits for the relay");

    // The relay returns: both tablets end with both checks.
    relay.start_again().await?;
    for t in [&a, &b] {
        t.wait_section("Progress", SYNC_TIMEOUT * 2, |r| {
            r.starts_with("2 of 2 checked · 1 found as registered · 1 with a discrepancy")
        })
        .await?;
    }
    a.wait_unsynced("to drop to 0", SYNC_TIMEOUT, |n| n == 0)
        .await?;
    let scope = a.section_rows("Scope").await?;
    assert!(
        scope
            .iter()
            .any(|r| r.contains("Found, with a discrepancy by") && r.contains(&admin)),
        "{scope:?}"
    );
    a.scroll_to("section.record-section[data-section=\"Progress\"]")
        .await?;
    a.screenshot(screenshot("campaign.png")).await?;
    a.close().await?;
    b.close().await
}

#[tokio::test]
async fn every_register_and_relationship_record_is_kept_listed_and_ruled() -> Result<()> {
    let (_relay, _driver, tablets, _admin) = signed_in(&["office"]).await?;
    let a = one(tablets);
    let cases: &[(&str, &str, Fields)] = &[
        (
            "asset",
            "AST-",
            &[("tag", "AST-1"), ("model", "ThinkPad T14")],
        ),
        ("customer", "CUS-", &[("organisation", "City water works")]),
        (
            "complaint",
            "CMP-",
            &[
                ("customer", "City water works"),
                ("description", "Slow answers"),
            ],
        ),
        (
            "supplier",
            "SUP-",
            &[("name", "Acme Networks"), ("owner", "ana")],
        ),
        (
            "contract",
            "CON-",
            &[
                ("supplier", "Acme Networks"),
                ("scope", "Switch maintenance"),
            ],
        ),
        ("continuity_plan", "BCP-", &[("service", "Water telemetry")]),
        (
            "competence",
            "CMT-",
            &[("person", "ana"), ("role", "Network technician")],
        ),
        (
            "internal_audit",
            "AUD-",
            &[("programme", "2026"), ("scope", "Change management")],
        ),
        ("management_review", "MRV-", &[("attendees", "ana\nbo")]),
        (
            "nonconformity",
            "NCF-",
            &[("finding", "CAB minutes missing")],
        ),
        (
            "improvement",
            "IMP-",
            &[
                ("opportunity", "Automate switch backups"),
                ("source", "idea"),
            ],
        ),
    ];
    for (kind, prefix, fields) in cases {
        let record = a.create_record(kind, fields).await?;
        assert!(
            record.number.starts_with(prefix),
            "{kind}: {}",
            record.number
        );
        a.open_records(kind).await?;
        a.wait_for(&row_selector(&record.id), UI_TIMEOUT).await?;
    }

    // A risk is scored; an SLA gets targets; a release deploys only what passed acceptance.
    a.create_record(
        "risk",
        &[
            ("description", "Flooding of the server room"),
            ("likelihood", "2"),
            ("impact", "5"),
        ],
    )
    .await?;
    a.wait_section("Score", UI_TIMEOUT, |r| r.starts_with("10 "))
        .await?;
    a.create_record("sla", &[("name", "Gold"), ("time_zone", "Europe/Berlin")])
        .await?;
    let why = a
        .act_refused(
            "target",
            &[("priority", "P1"), ("response", "60"), ("resolution", "30")],
        )
        .await?;
    assert!(why.contains("cannot be shorter than the response"), "{why}");
    a.act(
        "target",
        &[
            ("priority", "P1"),
            ("response", "15"),
            ("resolution", "240"),
        ],
    )
    .await?;
    a.wait_section("Targets", UI_TIMEOUT, |r| {
        r.contains("respond within 15 min, resolve within 240 min")
    })
    .await?;
    a.create_record("release", &[("name", "Spring release")])
        .await?;
    a.move_record("testing", "").await?;
    let why = a.move_refused("deploying", "").await?;
    assert!(why.contains("needs a passed acceptance test"), "{why}");

    a.click("#records-link").await?;
    a.wait_for("#nav-risk", UI_TIMEOUT).await?;
    assert_eq!(
        a.count("#nav-security_incident").await?,
        0,
        "security incidents are offered only to the security role"
    );
    a.screenshot(screenshot("records.png")).await?;
    a.close().await
}
