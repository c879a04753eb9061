//! `/api/changes` and `/api/documents/{id}/receipts`: what changed since a device last asked,
//! and who delivered each change of a document, limited to what the person may read.

use std::sync::Arc;

use axum::{
    Json, Router,
    extract::{Path, Query, State},
    http::StatusCode,
    routing::get,
};
use shared::{
    access::{self, Access},
    api,
};

use crate::{auth::Authenticated, error::ApiError, state::AppState, store::SessionInfo};

pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/changes", get(changes))
        .route("/documents/{id}/receipts", get(receipts))
}

/// Whether the person of `session` may read document `id` at all.
fn readable(state: &AppState, session: &SessionInfo, id: &str) -> Result<bool, ApiError> {
    Ok(state
        .store
        .document_scope(id)?
        .is_some_and(|s| access::access(&session.person.access, &s) != Access::None))
}

/// The change feed: documents this person may read that received changes after `since` from
/// other devices (what this session's device delivered itself it already has).
async fn changes(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Query(q): Query<api::Since>,
) -> Result<Json<api::Changes>, ApiError> {
    let (docs, cursor) = state.store.changed_since(q.since, Some(&session.device))?;
    let mut documents = Vec::with_capacity(docs.len());
    for doc in docs {
        if readable(&state, &session, &doc)? {
            documents.push(doc);
        }
    }
    Ok(Json(api::Changes { cursor, documents }))
}

/// The receipt log of one document, for its history view and the auditor's export.
async fn receipts(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Path(id): Path<String>,
) -> Result<Json<api::Receipts>, ApiError> {
    if !readable(&state, &session, &id)? {
        return Err(ApiError(StatusCode::NOT_FOUND, "no such document".into()));
    }
    let receipts = state.store.receipts_for(&id)?;
    Ok(Json(api::Receipts { receipts }))
}
