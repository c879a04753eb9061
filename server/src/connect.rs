//! `/sync`: a device's WebSocket to the sync hub, opened with the session cookie from an
//! allowed origin, one of at most `--max-connections-per-person` per person.

use std::sync::{Arc, atomic::Ordering};

use axum::{
    Router,
    extract::{State, WebSocketUpgrade},
    http::{HeaderMap, StatusCode},
    response::{IntoResponse, Response},
    routing::any,
};

use crate::{auth::Authenticated, error::ApiError, metrics::Metrics, state::AppState};

pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/sync", any(sync))
}

/// Each sync connection's WebSocket read buffer and write batch, in bytes.
const SOCKET_BUFFER: usize = 8 * 1024;

async fn sync(
    ws: WebSocketUpgrade,
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
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
            m.connections_open.fetch_add(1, Ordering::Relaxed);
            Metrics::add(&m.connections_total, 1);
            state.hub.serve_socket(socket, session, limit).await;
            m.connections_open.fetch_sub(1, Ordering::Relaxed);
            drop(held);
        })
        .into_response()
}
