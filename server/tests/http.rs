//! Sign-in, sessions, administration, health and metrics over real HTTP.

mod common;

use common::*;
use shared::access::Role;

fn client() -> reqwest::Client {
    reqwest::Client::new()
}

#[tokio::test]
async fn health_metrics_and_the_app_are_served() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    // The database answers: 200 (postgres_crash.rs has the 503 when it does not).
    let health = client().get(relay.url("/healthz")).send().await.unwrap();
    assert_eq!(health.status(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let page = client()
        .get(relay.url("/incidents/abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        page.status(),
        200,
        "app routes fall back to the single page"
    );
    assert!(page.text().await.unwrap().contains("Outpost"));
    let sw = client().get(relay.url("/sw.js")).send().await.unwrap();
    assert_eq!(
        sw.headers()["cache-control"],
        "no-store",
        "the service worker is never cached"
    );
    let shell = client().get(relay.url("/")).send().await.unwrap();
    assert_eq!(
        shell.headers()["cache-control"],
        "no-cache",
        "app files are revalidated"
    );
    let api = client()
        .get(relay.url("/api/session"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        api.headers()["cache-control"],
        "no-store",
        "API answers are never stored"
    );

    let mut d = Device::sign_in(
        &relay,
        "admin",
        &relay.first_password.clone().unwrap(),
        "device-admin",
    )
    .await;
    let id = new_id();
    d.edit(id, incident_doc("Metered", None, None)).await;
    d.run_until(|d| d.unsynced(&id) == 0).await;
    // Counters are for administrators (or a private --metrics-listen address).
    let anonymous = client().get(relay.url("/metrics")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    let admin = relay.admin_cookie().await;
    let metrics = relay
        .call(reqwest::Method::GET, "/metrics", &admin, None)
        .await
        .text()
        .await
        .unwrap();
    for name in [
        "outpost_connections_open 1",
        "outpost_documents 1",
        "outpost_sync_messages_in_total",
        "outpost_protocol_errors_total 0",
    ] {
        assert!(metrics.contains(name), "{name} in\n{metrics}");
    }
    relay.shutdown().await;
}

#[tokio::test]
async fn sign_in_sets_a_safe_cookie_and_sign_out_ends_it() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let password = relay.first_password.clone().unwrap();
    let res = client()
        .post(relay.url("/api/session"))
        .json(&serde_json::json!({"username": "admin", "password": password, "device": "device-1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let set_cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    for attr in ["HttpOnly", "SameSite=Strict", "Max-Age=", "Path=/"] {
        assert!(set_cookie.contains(attr), "{attr} in {set_cookie}");
    }
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["roles"], serde_json::json!(["administrator"]));
    let cookie = set_cookie.split(';').next().unwrap().to_string();
    let me = relay
        .call(reqwest::Method::GET, "/api/session", &cookie, None)
        .await;
    assert_eq!(me.status(), 200);
    let out = relay
        .call(reqwest::Method::DELETE, "/api/session", &cookie, None)
        .await;
    assert_eq!(out.status(), 204);
    let me = relay
        .call(reqwest::Method::GET, "/api/session", &cookie, None)
        .await;
    assert_eq!(me.status(), 401);
    let body: serde_json::Value = me.json().await.unwrap();
    assert_eq!(body["error"], "your session has ended; sign in again");
    assert!(
        open_socket(&relay, Some(&cookie)).await.is_err(),
        "an ended session cannot sync"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_slowed_down() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    for _ in 0..3 {
        let err = relay
            .sign_in("admin", "not the password", "device-x")
            .await
            .unwrap_err();
        assert_eq!(err, (401, "wrong username or password".to_string()));
    }
    let (status, message) = relay
        .sign_in("admin", "not the password", "device-x")
        .await
        .unwrap_err();
    assert_eq!(status, 429);
    assert!(message.starts_with("too many failed sign-ins"), "{message}");
    // Even the right password waits now: guessing gains nothing by racing.
    let right = relay.first_password.clone().unwrap();
    assert_eq!(
        relay
            .sign_in("admin", &right, "device-x")
            .await
            .unwrap_err()
            .0,
        429
    );
    let unknown = relay
        .sign_in("nobody", "whatever", "device-x")
        .await
        .unwrap_err();
    assert_eq!(unknown.0, 429, "the address is slowed down too");
    relay.shutdown().await;
}

#[tokio::test]
async fn only_administrators_administer_and_disabling_ends_sessions() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "nora", &[Role::Technician], &["north"], &[])
        .await;
    let nora = relay
        .sign_in("nora", PASSWORD, "device-nora")
        .await
        .unwrap();
    let res = relay
        .call(
            reqwest::Method::POST,
            "/api/people",
            &nora,
            Some(serde_json::json!({"username": "eve", "password": "long enough pw"})),
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = relay
        .call(
            reqwest::Method::POST,
            "/api/people",
            &admin,
            Some(serde_json::json!({"username": "nora", "password": "long enough pw"})),
        )
        .await;
    assert_eq!(res.status(), 400, "duplicate names are refused");
    let res = relay
        .call(
            reqwest::Method::POST,
            "/api/people/nora",
            &admin,
            Some(serde_json::json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let me = relay
        .call(reqwest::Method::GET, "/api/session", &nora, None)
        .await;
    assert_eq!(me.status(), 401);
    assert_eq!(
        relay
            .sign_in("nora", PASSWORD, "device-nora")
            .await
            .unwrap_err()
            .0,
        401
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn one_person_cannot_open_unlimited_connections() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await; // the test relay allows 3 per person
    let cookie = relay.admin_cookie().await;
    let mut open = vec![];
    for _ in 0..3 {
        open.push(open_socket(&relay, Some(&cookie)).await.unwrap());
    }
    let refused = open_socket(&relay, Some(&cookie)).await.unwrap_err();
    assert!(refused.contains("429"), "{refused}");
    drop(open);
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert!(
        open_socket(&relay, Some(&cookie)).await.is_ok(),
        "closing frees the slots"
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn administrators_move_people_between_sites_and_teams() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "nora", &[Role::Technician], &["north"], &["desk"])
        .await;
    for (what, id) in [("sites", "south"), ("teams", "network")] {
        let res = relay
            .call(
                reqwest::Method::POST,
                &format!("/api/{what}"),
                &admin,
                Some(serde_json::json!({"id": id})),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let update = |body: serde_json::Value| {
        let (relay, admin) = (&relay, admin.clone());
        async move {
            relay
                .call(
                    reqwest::Method::POST,
                    "/api/people/nora",
                    &admin,
                    Some(body),
                )
                .await
        }
    };
    let res = update(serde_json::json!({
        "join_site": "south", "leave_site": "north", "join_team": "network", "leave_team": "desk"
    }))
    .await;
    assert_eq!(res.status(), 200);
    let nora: serde_json::Value = res.json().await.unwrap();
    assert_eq!(nora["sites"], serde_json::json!(["south"]));
    assert_eq!(nora["teams"], serde_json::json!(["network"]));
    let res = update(serde_json::json!({"join_site": "atlantis"})).await;
    assert_eq!(res.status(), 400);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("there is no site 'atlantis'")
    );
    relay.shutdown().await;
}

#[tokio::test]
async fn the_directory_shows_names_and_roles_of_the_people_in_a_persons_scope() {
    let dir = tempfile::tempdir().unwrap();
    let relay = start_relay(dir.path()).await;
    let admin = relay.admin_cookie().await;
    relay
        .add_person(&admin, "nora", &[Role::Technician], &["north"], &[])
        .await;
    relay
        .add_person(&admin, "omar", &[Role::Technician], &["south"], &[])
        .await;
    relay
        .add_person(&admin, "cm", &[Role::ChangeManager], &[], &[])
        .await;
    let usernames = |v: &serde_json::Value| -> Vec<String> {
        v["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["username"].as_str().unwrap().to_string())
            .collect()
    };

    // Nora (north) sees herself and those who work everywhere, not Omar of the south site.
    let nora = relay.sign_in("nora", PASSWORD, "device-n").await.unwrap();
    let seen = relay.get_json("/api/directory", &nora).await;
    assert_eq!(usernames(&seen), ["admin", "cm", "nora"]);
    let entry = seen["people"][0].as_object().unwrap();
    let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    assert_eq!(
        keys,
        ["display_name", "roles", "username"],
        "names and roles only"
    );
    assert_eq!(entry["display_name"], "Administrator");
    assert_eq!(entry["roles"], serde_json::json!(["administrator"]));

    // The administrator sees every active person; a disabled one is no longer offered.
    let all = relay.get_json("/api/directory", &admin).await;
    assert_eq!(usernames(&all), ["admin", "cm", "nora", "omar"]);
    let res = relay
        .call(
            reqwest::Method::POST,
            "/api/people/omar",
            &admin,
            Some(serde_json::json!({"disabled": true})),
        )
        .await;
    assert_eq!(res.status(), 200);
    let all = relay.get_json("/api/directory", &admin).await;
    assert_eq!(usernames(&all), ["admin", "cm", "nora"]);

    // Without a session, nothing.
    let res = client()
        .get(relay.url("/api/directory"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    relay.shutdown().await;
}
