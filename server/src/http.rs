//! HTTP routes: the app's static files, the sync WebSocket, sign-in, administration, the
//! change feed, receipts, health and metrics.

use std::{sync::Arc, sync::Mutex};

use axum::{
    Json, Router,
    extract::{Path, Query, State, WebSocketUpgrade},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::{any, get, post},
};
use serde::Deserialize;
use serde_json::json;
use shared::access::{self, Access, Role};
use tower_http::{
    compression::{
        CompressionLayer,
        predicate::{DefaultPredicate, NotForContentType, Predicate},
    },
    services::{ServeDir, ServeFile},
    timeout::RequestBodyTimeoutLayer,
};

use crate::{
    Config,
    auth::{self, ApiError, Authenticated, Throttle},
    limits::SignIns,
    metrics::Metrics,
    store::{NewPerson, Store},
    sync::SyncHub,
};

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub hub: SyncHub,
    pub metrics: Arc<Metrics>,
    pub throttle: Mutex<Throttle>,
    /// Password verifications running at once.
    pub sign_ins: SignIns,
    /// Open sync connections per person id.
    pub connections: crate::limits::PerPerson,
    /// Attachment uploads running per person id (each holds up to a chunk in memory).
    pub uploads: crate::limits::PerPerson,
    /// `/healthz`'s last answer.
    pub health: crate::limits::Health,
    /// Poked when this relay's API changed someone's access (revocation.rs).
    pub access_changed: tokio::sync::Notify,
}

pub fn router(state: Arc<AppState>) -> Router {
    let static_dir = &state.config.static_dir;
    // Unknown paths are app routes (/incidents/…): answer with the single page. Files the
    // build compressed with brotli (`<file>.br`, scripts/build-app) go as they are to browsers
    // that accept br: the wasm is 28 % smaller than gzipped, which a first visit on a slow link
    // waits for. Everything else is gzipped on the fly (CompressionLayer).
    let app = ServeDir::new(static_dir)
        .precompressed_br()
        .fallback(ServeFile::new(static_dir.join("index.html")).precompressed_br());
    let api = Router::new()
        .route(
            "/session",
            post(auth::sign_in)
                .get(auth::current)
                .delete(auth::sign_out),
        )
        .route("/changes", get(changes))
        .route("/documents/{id}/receipts", get(receipts))
        .route("/export/evidence", get(crate::export::evidence))
        .route("/people", get(people).post(add_person))
        .route("/directory", get(directory))
        .route("/people/{username}", post(update_person))
        .route("/sites", get(sites).post(add_site))
        .route("/teams", get(teams).post(add_team))
        .merge(crate::blobs::routes());
    Router::new()
        .route("/sync", any(sync))
        .route("/healthz", get(healthz))
        .route("/metrics", get(admin_metrics))
        .nest("/api", api)
        .fallback_service(app)
        .layer(axum::middleware::from_fn(cache_policy))
        // Not zips (the evidence export): already deflated, and sent with their length.
        .layer(CompressionLayer::new().compress_when(
            DefaultPredicate::new().and(NotForContentType::const_new("application/zip")),
        ))
        // A request body that stalls is cut off like headers that never end.
        .layer(RequestBodyTimeoutLayer::new(
            state.config.limits.header_timeout,
        ))
        .with_state(state)
}

/// How long `/healthz` waits for the database.
const HEALTH_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(2);

/// 200 `ok` when the database answers a trivial query within [`HEALTH_TIMEOUT`], else 503
/// saying why: a load balancer takes a relay that cannot reach its database out of rotation
/// (on PostgreSQL the others may still reach it).
async fn healthz(State(state): State<Arc<AppState>>) -> Response {
    let checked = state
        .health
        .answer(|| async {
            let store = state.store.clone();
            match tokio::task::spawn_blocking(move || store.check(HEALTH_TIMEOUT)).await {
                Ok(checked) => checked.map_err(|e| e.to_string()),
                Err(e) => Err(e.to_string()),
            }
        })
        .await;
    match checked {
        Ok(()) => "ok".into_response(),
        Err(e) => {
            tracing::warn!("health check: {e}");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("unhealthy: the relay cannot use its database: {e}"),
            )
                .into_response()
        }
    }
}

/// `/metrics` alone, for `--metrics-listen`: that address is meant to be private.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
        .with_state(state)
}

/// Caching: app files keep stable names (the service worker's precache list relies on it), so
/// the browser must revalidate them (`no-cache`; the service worker serves them offline). The
/// service worker itself and API answers (sessions, people, exports) are never stored, so a new
/// service worker is always seen and nothing personal lingers in a cache.
async fn cache_policy(request: axum::extract::Request, next: axum::middleware::Next) -> Response {
    let never_store = {
        let path = request.uri().path();
        path == "/sw.js" || path.starts_with("/api/")
    };
    let mut response = next.run(request).await;
    let policy = if never_store { "no-store" } else { "no-cache" };
    response
        .headers_mut()
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static(policy));
    response
}

/// Each sync connection's WebSocket read buffer and write batch, in bytes.
const SOCKET_BUFFER: usize = 8 * 1024;

async fn sync(
    ws: WebSocketUpgrade,
    State(state): State<Arc<AppState>>,
    headers: axum::http::HeaderMap,
    Authenticated(session): Authenticated,
) -> Response {
    if !crate::auth::origin::allowed(&headers, &state.config.allowed_origins) {
        return ApiError(
            StatusCode::FORBIDDEN,
            "this page's origin may not open the sync connection".into(),
        )
        .into_response();
    }
    let Some(held) = state
        .connections
        .take(session.person.id, state.config.max_connections_per_person)
    else {
        return ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            "too many devices or tabs are syncing for this person; close one".into(),
        )
        .into_response();
    };
    let limit = state.config.max_frame_bytes;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        // tungstenite's 128 KiB defaults are per connection, and it zero-fills the read
        // buffer's free capacity before every read: with 10,000 devices that was over 1 GiB and
        // the relay's largest CPU cost. Sync frames are small; a larger one grows the buffer.
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .on_upgrade(move |socket| async move {
            let m = &state.metrics;
            m.connections_open
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Metrics::add(&m.connections_total, 1);
            state.hub.serve_socket(socket, session, limit).await;
            m.connections_open
                .fetch_sub(1, std::sync::atomic::Ordering::Relaxed);
            drop(held);
        })
        .into_response()
}

/// On the main address, counters are for administrators: they tell how busy the relay is.
async fn admin_metrics(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
) -> Result<Response, ApiError> {
    require_admin(&session)?;
    Ok(metrics(State(state)).await.into_response())
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let documents = state.store.document_count().unwrap_or(-1);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(documents, state.uploads.total()),
    )
}

#[derive(Deserialize)]
struct Since {
    #[serde(default)]
    since: i64,
}

/// The change feed: documents this person may read that received changes after `since` from
/// other devices (what this session's device delivered itself it already has).
async fn changes(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Query(q): Query<Since>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let (docs, cursor) = state.store.changed_since(q.since, Some(&session.device))?;
    let mut visible = Vec::with_capacity(docs.len());
    for doc in docs {
        let readable = state
            .store
            .document_scope(&doc)?
            .is_some_and(|s| access::access(&session.person.access, &s) != Access::None);
        if readable {
            visible.push(doc);
        }
    }
    Ok(Json(json!({ "cursor": cursor, "documents": visible })))
}

/// The receipt log of one document, for its history view and the auditor's export.
async fn receipts(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let readable = state
        .store
        .document_scope(&id)?
        .is_some_and(|s| access::access(&session.person.access, &s) != Access::None);
    if !readable {
        return Err(ApiError(StatusCode::NOT_FOUND, "no such document".into()));
    }
    Ok(Json(json!({ "receipts": state.store.receipts_for(&id)? })))
}

fn require_admin(session: &crate::store::SessionInfo) -> Result<(), ApiError> {
    if session.person.access.roles.contains(&Role::Administrator) {
        Ok(())
    } else {
        Err(ApiError(
            StatusCode::FORBIDDEN,
            "only an administrator can do this".into(),
        ))
    }
}

async fn people(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(&session)?;
    Ok(Json(json!({ "people": state.store.people()? })))
}

/// The people the signed-in person may pick by name (`shared::directory`: names and roles
/// only, per scope), for the copy their devices keep.
async fn directory(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
) -> Result<Json<serde_json::Value>, ApiError> {
    let people = state.store.people()?;
    let accounts = people.iter().map(|p| shared::directory::Account {
        username: &p.username,
        display_name: &p.display_name,
        disabled: p.disabled,
        person: &p.access,
    });
    let visible = shared::directory::visible_to(&session.person.access, accounts);
    Ok(Json(json!({ "people": visible })))
}

#[derive(Deserialize)]
struct NewPersonBody {
    username: String,
    #[serde(default)]
    display_name: String,
    password: String,
    #[serde(default)]
    roles: Vec<Role>,
    #[serde(default)]
    sites: Vec<String>,
    #[serde(default)]
    teams: Vec<String>,
}

async fn add_person(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Json(body): Json<NewPersonBody>,
) -> Result<Response, ApiError> {
    require_admin(&session)?;
    let st = state.clone();
    let id = tokio::task::spawn_blocking(move || {
        st.store.add_person(&NewPerson {
            username: body.username,
            display_name: body.display_name,
            password: body.password,
            roles: body.roles,
            sites: body.sites,
            teams: body.teams,
        })
    })
    .await
    .map_err(|_| ApiError(StatusCode::INTERNAL_SERVER_ERROR, "adding failed".into()))??;
    Ok((StatusCode::CREATED, Json(state.store.person(id)?)).into_response())
}

#[derive(Deserialize)]
struct PersonUpdate {
    disabled: Option<bool>,
    password: Option<String>,
    grant: Option<Role>,
    revoke: Option<Role>,
    join_site: Option<String>,
    leave_site: Option<String>,
    join_team: Option<String>,
    leave_team: Option<String>,
}

async fn update_person(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Path(username): Path<String>,
    Json(body): Json<PersonUpdate>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(&session)?;
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
    Ok(Json(json!(state.store.person(id)?)))
}

/// Pokes a `Notify` when dropped: after an update, also one that failed half-way.
struct NotifyOnDrop<'a>(&'a tokio::sync::Notify);

impl Drop for NotifyOnDrop<'_> {
    fn drop(&mut self) {
        self.0.notify_one();
    }
}

#[derive(Deserialize)]
struct Group {
    id: String,
    #[serde(default)]
    name: String,
}

async fn groups(state: &AppState, what: &str) -> Result<Json<serde_json::Value>, ApiError> {
    let list: Vec<_> = state
        .store
        .groups(what)?
        .into_iter()
        .map(|(id, name)| json!({ "id": id, "name": name }))
        .collect();
    Ok(Json(json!({ format!("{what}s"): list })))
}

async fn sites(
    State(state): State<Arc<AppState>>,
    _: Authenticated,
) -> Result<Json<serde_json::Value>, ApiError> {
    groups(&state, "site").await
}

async fn teams(
    State(state): State<Arc<AppState>>,
    _: Authenticated,
) -> Result<Json<serde_json::Value>, ApiError> {
    groups(&state, "team").await
}

async fn add_site(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Json(g): Json<Group>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(&session)?;
    state.store.add_group("site", &g.id, &g.name)?;
    groups(&state, "site").await
}

async fn add_team(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Json(g): Json<Group>,
) -> Result<Json<serde_json::Value>, ApiError> {
    require_admin(&session)?;
    state.store.add_group("team", &g.id, &g.name)?;
    groups(&state, "team").await
}
