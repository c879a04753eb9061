//! The relay's HTTP surface put together: each module's router (the sync WebSocket in
//! `connect`, sign-in in `auth`, `feed`, `people`, `blobs`, `export`, `health`) under one set
//! of layers, and the app's static files for every other path.

use std::sync::Arc;

use axum::{
    Router,
    http::{HeaderValue, header},
    response::Response,
};
use tower_http::{
    compression::{
        CompressionLayer,
        predicate::{DefaultPredicate, NotForContentType, Predicate},
    },
    services::{ServeDir, ServeFile},
    timeout::RequestBodyTimeoutLayer,
};

use crate::state::AppState;

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
        .merge(crate::auth::router())
        .merge(crate::feed::router())
        .merge(crate::people::router())
        .merge(crate::export::router())
        .merge(crate::blobs::router());
    Router::new()
        .merge(crate::connect::router())
        .merge(crate::health::router())
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
