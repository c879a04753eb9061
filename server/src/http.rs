//! HTTP routes: the app's static files, the sync WebSocket, sign-in and health.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{State, WebSocketUpgrade},
    http::{HeaderValue, StatusCode, header},
    response::IntoResponse,
    routing::{any, get, post},
};
use serde::Deserialize;
use serde_json::json;
use tower_http::{
    compression::CompressionLayer,
    services::{ServeDir, ServeFile},
    set_header::SetResponseHeaderLayer,
};

use crate::{Config, accounts::Accounts, sync::SyncHub};

pub struct AppState {
    pub config: Config,
    pub accounts: Accounts,
    pub hub: SyncHub,
}

pub fn router(state: Arc<AppState>) -> Router {
    let static_dir = &state.config.static_dir;
    // Unknown paths are app routes (/incidents/…): answer with the single page.
    let app = ServeDir::new(static_dir).fallback(ServeFile::new(static_dir.join("index.html")));
    Router::new()
        .route("/sync", any(sync))
        .route("/healthz", get(|| async { "ok" }))
        .route("/api/login", post(login))
        .fallback_service(app)
        // Files keep stable names (the service worker's precache list relies on it), so the
        // browser must revalidate them; the service worker serves them offline.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-cache"),
        ))
        .layer(CompressionLayer::new())
        .with_state(state)
}

async fn sync(ws: WebSocketUpgrade, State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let limit = state.config.max_frame_bytes;
    ws.max_message_size(limit)
        .max_frame_size(limit)
        .on_upgrade(move |socket| async move { state.hub.serve_socket(socket).await })
}

#[derive(Deserialize)]
struct Login {
    username: String,
    password: String,
}

async fn login(State(state): State<Arc<AppState>>, Json(login): Json<Login>) -> impl IntoResponse {
    // argon2 is deliberately slow: keep it off the async workers.
    let checked = tokio::task::spawn_blocking(move || {
        state.accounts.verify(&login.username, &login.password)
    })
    .await
    .ok()
    .flatten();
    match checked {
        Some(account) => (
            StatusCode::OK,
            Json(json!({ "username": account.username, "roles": account.roles })),
        ),
        None => (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "wrong username or password" })),
        ),
    }
}
