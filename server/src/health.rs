//! `/healthz` for load balancers and `/metrics` for operators: on the main address the
//! counters are for administrators; `--metrics-listen` serves them to anyone on a private one.

use std::sync::Arc;

use axum::{
    Router,
    extract::State,
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};

use crate::{auth::Admin, state::AppState};

/// `/healthz` and the administrators' `/metrics`, on the main address.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/metrics", get(admin_metrics))
}

/// `/metrics` alone, for `--metrics-listen`: that address is meant to be private.
pub fn metrics_router(state: Arc<AppState>) -> Router {
    Router::new()
        .route("/metrics", get(metrics))
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

/// On the main address, counters are for administrators: they tell how busy the relay is.
async fn admin_metrics(state: State<Arc<AppState>>, _: Admin) -> Response {
    metrics(state).await.into_response()
}

async fn metrics(State(state): State<Arc<AppState>>) -> impl IntoResponse {
    let documents = state.store.document_count().unwrap_or(-1);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(documents, state.uploads.total()),
    )
}
