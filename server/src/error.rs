//! The one error answer of the HTTP API: a status and a sentence for the person, sent as
//! `shared::api::ErrorBody`. Handlers return `Result<_, ApiError>`; store errors map to it here.

use axum::{
    Json,
    http::StatusCode,
    response::{IntoResponse, Response},
};
use shared::api::ErrorBody;

use crate::store::StoreError;

/// An error answer: a status and a sentence for the person.
#[derive(Debug)]
pub struct ApiError(pub StatusCode, pub String);

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.0, Json(ErrorBody { error: self.1 })).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Invalid(m) => ApiError(StatusCode::BAD_REQUEST, m),
            StoreError::NotFound(m) => ApiError(StatusCode::NOT_FOUND, format!("no such {m}")),
            StoreError::Conflict(m) => ApiError(StatusCode::CONFLICT, m),
            e => {
                tracing::error!("{e}");
                ApiError(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the relay could not complete this; try again".into(),
                )
            }
        }
    }
}
