//! `/api/people`, `/api/directory`, `/api/sites`, `/api/teams`: the people, sites and teams an
//! administrator keeps, and the directory everyone's devices keep to pick people by name.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, State},
    http::StatusCode,
    response::{IntoResponse, Response},
    routing::{get, post},
};
use shared::api::{self, Group, PersonRow};

use crate::{
    auth::{Admin, Authenticated},
    error::ApiError,
    state::AppState,
    store::{NewPerson, PersonRecord},
};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/people", get(people).post(add_person))
        .route("/people/{username}", post(update_person))
        .route("/directory", get(directory))
        .route("/sites", get(sites).post(add_site))
        .route("/teams", get(teams).post(add_team))
}

/// A person as the API lists them.
fn row(p: PersonRecord) -> PersonRow {
    PersonRow {
        id: p.id,
        username: p.username,
        display_name: p.display_name,
        disabled: p.disabled,
        roles: p.access.roles.iter().map(|r| r.as_str().into()).collect(),
        sites: p.access.sites.into_iter().collect(),
        teams: p.access.teams.into_iter().collect(),
        cab: p.access.cab,
    }
}

async fn people(
    State(state): State<Arc<AppState>>,
    _: Admin,
) -> Result<Json<api::People>, ApiError> {
    let people = state.store.people()?.into_iter().map(row).collect();
    Ok(Json(api::People { people }))
}

/// The people the signed-in person may pick by name (`shared::directory`: names and roles
/// only, per scope), for the copy their devices keep.
async fn directory(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
) -> Result<Json<api::Directory>, ApiError> {
    let people = state.store.people()?;
    let accounts = people.iter().map(|p| shared::directory::Account {
        username: &p.username,
        display_name: &p.display_name,
        disabled: p.disabled,
        person: &p.access,
    });
    let people = shared::directory::visible_to(&session.person.access, accounts);
    Ok(Json(api::Directory { people }))
}

async fn add_person(
    State(state): State<Arc<AppState>>,
    _: Admin,
    Json(body): Json<NewPerson>,
) -> Result<Response, ApiError> {
    let st = state.clone();
    let id = tokio::task::spawn_blocking(move || st.store.add_person(&body))
        .await
        .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "adding failed".into()))??;
    Ok((StatusCode::CREATED, Json(row(state.store.person(id)?))).into_response())
}

async fn update_person(
    State(state): State<Arc<AppState>>,
    _: Admin,
    Path(username): Path<String>,
    Json(body): Json<api::PersonUpdate>,
) -> Result<Json<PersonRow>, ApiError> {
    // Whatever happens below, open connections see it at once (revocation.rs).
    let _notify = NotifyOnDrop(&state.access_changed);
    if let Some(disabled) = body.disabled {
        state.store.set_disabled(&username, disabled)?;
    }
    if let Some(password) = body.password {
        let st = state.clone();
        let user = username.clone();
        tokio::task::spawn_blocking(move || st.store.reset_password(&user, &password))
            .await
            .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "reset failed".into()))??;
    }
    if let Some(role) = body.grant {
        state.store.grant_role(&username, role, true)?;
    }
    if let Some(role) = body.revoke {
        state.store.grant_role(&username, role, false)?;
    }
    for (what, group, join) in [
        ("site", &body.join_site, true),
        ("site", &body.leave_site, false),
        ("team", &body.join_team, true),
        ("team", &body.leave_team, false),
    ] {
        if let Some(group) = group {
            state.store.set_member(what, &username, group, join)?;
        }
    }
    let id = state.store.person_id(&username)?;
    Ok(Json(row(state.store.person(id)?)))
}

/// Pokes a `Notify` when dropped: after an update, also one that failed half-way.
struct NotifyOnDrop<'a>(&'a tokio::sync::Notify);

impl Drop for NotifyOnDrop<'_> {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

/// The sites or teams (`what`: "site" or "team") the relay knows.
fn groups(state: &AppState, what: &str) -> Result<Vec<Group>, ApiError> {
    Ok(state
        .store
        .groups(what)?
        .into_iter()
        .map(|(id, name)| Group { id, name })
        .collect())
}

async fn sites(
    State(state): State<Arc<AppState>>,
    _: Authenticated,
) -> Result<Json<api::Sites>, ApiError> {
    let sites = groups(&state, "site")?;
    Ok(Json(api::Sites { sites }))
}

async fn teams(
    State(state): State<Arc<AppState>>,
    _: Authenticated,
) -> Result<Json<api::Teams>, ApiError> {
    let teams = groups(&state, "team")?;
    Ok(Json(api::Teams { teams }))
}

async fn add_site(
    State(state): State<Arc<AppState>>,
    _: Admin,
    Json(g): Json<Group>,
) -> Result<Json<api::Sites>, ApiError> {
    state.store.add_group("site", &g.id, &g.name)?;
    let sites = groups(&state, "site")?;
    Ok(Json(api::Sites { sites }))
}

async fn add_team(
    State(state): State<Arc<AppState>>,
    _: Admin,
    Json(g): Json<Group>,
) -> Result<Json<api::Teams>, ApiError> {
    state.store.add_group("team", &g.id, &g.name)?;
    let teams = groups(&state, "team")?;
    Ok(Json(api::Teams { teams }))
}
