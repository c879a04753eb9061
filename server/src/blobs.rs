//! `/api/blobs`: attachments' bytes (`shared::attachments`), named by their SHA-256.
//!
//! - `GET /api/blobs`: the relay's limits and what the signed-in person has used.
//! - `HEAD /api/blobs/{hash}`: 200 if the relay holds the whole file, else 404 with
//!   `Upload-Offset` (bytes received so far) to resume from.
//! - `PUT /api/blobs/{hash}` with `Upload-Offset` and `Upload-Length`: the next chunk (at most
//!   [`MAX_CHUNK`]). 204 + `Upload-Offset` for more, 201 once complete and intact, 409 +
//!   `Upload-Offset` when the offset is not where the upload stands.
//! - `GET /api/blobs/{hash}`: the bytes, a chunk at a time.
//!
//! A blob is accepted and served only for a person who may read a record whose document
//! references it (the same access rule as the documents'): nothing is uploaded that no document
//! names, and nobody learns of a file they could not see in a record.

use std::sync::Arc;

use axum::{
    Json, Router,
    body::Body,
    extract::{Path, State},
    http::{HeaderMap, HeaderValue, StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use futures::StreamExt;
use shared::{
    access::{self, Access},
    attachments::{self, Attachment, BlobLimitsInfo, check_upload},
};

use crate::{
    auth::Authenticated,
    error::ApiError,
    state::AppState,
    store::{Appended, SessionInfo, Store},
};

/// The largest chunk one PUT may carry. A photo goes in one or a few; a cut costs at most this.
pub const MAX_CHUNK: usize = 1024 * 1024;

const UPLOAD_OFFSET: &str = "upload-offset";
const UPLOAD_LENGTH: &str = "upload-length";

/// `/api/blobs`: the limits, and each file's download, upload state and upload.
pub fn router() -> Router<Arc<AppState>> {
    Router::new()
        .route("/blobs", get(limits))
        .route("/blobs/{hash}", get(download).head(state_of).put(upload))
}

fn error(status: StatusCode, message: impl Into<String>) -> ApiError {
    ApiError(status, message.into())
}

/// A refused upload with the status `shared` gives it (413 too large, 507 quota full).
fn refused(refusal: attachments::BlobRefusal) -> ApiError {
    let status = StatusCode::from_u16(refusal.status()).unwrap_or(StatusCode::BAD_REQUEST);
    error(status, refusal.to_string())
}

async fn limits(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
) -> Result<Json<BlobLimitsInfo>, ApiError> {
    let limits = state.config.blobs;
    Ok(Json(BlobLimitsInfo {
        max_bytes: limits.max_bytes,
        quota_bytes: limits.quota_bytes,
        used_bytes: state.store.blob_bytes_of(session.person.id)?,
    }))
}

/// The documents referencing `hash` that the person may read; refused (400) for a name that
/// is not a SHA-256, and (403) when there are none.
fn readable_documents(
    store: &Store,
    session: &SessionInfo,
    hash: &str,
) -> Result<Vec<String>, ApiError> {
    attachments::check_hash(hash).map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    let mut readable = vec![];
    for document in store.blob_documents(hash)? {
        let visible = store
            .document_scope(&document)?
            .is_some_and(|s| access::access(&session.person.access, &s) != Access::None);
        if visible {
            readable.push(document);
        }
    }
    if readable.is_empty() {
        return Err(error(
            StatusCode::FORBIDDEN,
            "no record you may read has this attachment (sync the record first)",
        ));
    }
    Ok(readable)
}

fn offset_header(offset: u64) -> [(&'static str, HeaderValue); 1] {
    [(UPLOAD_OFFSET, HeaderValue::from(offset))]
}

async fn state_of(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    readable_documents(&state.store, &session, &hash)?;
    Ok(match state.store.blob_state(&hash)? {
        Some(s) if s.complete => (StatusCode::OK, offset_header(s.received)).into_response(),
        held => (
            StatusCode::NOT_FOUND,
            offset_header(held.map_or(0, |s| s.received)),
        )
            .into_response(),
    })
}

/// A header holding a whole number of bytes, or why not.
fn number(headers: &HeaderMap, name: &str) -> Result<u64, ApiError> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| {
            error(
                StatusCode::BAD_REQUEST,
                format!("the {name} header must give a number of bytes"),
            )
        })
}

async fn upload(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Path(hash): Path<String>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    attachments::check_hash(&hash).map_err(|e| error(StatusCode::BAD_REQUEST, e))?;
    let offset = number(&headers, UPLOAD_OFFSET)?;
    let total = number(&headers, UPLOAD_LENGTH)?;
    let limits = state.config.blobs;
    // Before reading anything: a file over the limit is refused whoever sends it.
    check_upload(&limits, total, 0).map_err(refused)?;
    let person = session.person.id;
    // Held until the chunk is stored or the client leaves: at most a few chunks of one
    // person's are in memory at once, however many connections they open.
    let _place = state
        .uploads
        .take(person, limits.uploads_at_once)
        .ok_or(attachments::BlobRefusal::Busy {
            at_once: limits.uploads_at_once,
        })
        .map_err(refused)?;
    let store = state.store.clone();
    let named = hash.clone();
    let checked = tokio::task::spawn_blocking(move || -> Result<Option<Response>, ApiError> {
        readable_documents(&store, &session, &named)?;
        let held = store.blob_state(&named)?;
        match held {
            Some(s) if s.complete => return Ok(Some(StatusCode::CREATED.into_response())),
            Some(s) if s.received != offset => {
                return Ok(Some(
                    (StatusCode::CONFLICT, offset_header(s.received)).into_response(),
                ));
            }
            None if offset != 0 => {
                return Ok(Some(
                    (StatusCode::CONFLICT, offset_header(0)).into_response(),
                ));
            }
            None => fits(&store, &limits, person, total)?,
            Some(_) => {}
        }
        Ok(None)
    })
    .await
    .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "the upload failed"))??;
    if let Some(answer) = checked {
        return Ok(answer);
    }
    let too_long = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
        .is_some_and(|n| n > MAX_CHUNK as u64);
    let chunk_refused = || {
        error(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "send the file in chunks of at most {}",
                attachments::bytes(MAX_CHUNK as u64)
            ),
        )
    };
    if too_long {
        return Err(chunk_refused());
    }
    let bytes = axum::body::to_bytes(body, MAX_CHUNK)
        .await
        .map_err(|_| chunk_refused())?;
    let store = state.store.clone();
    let appended = tokio::task::spawn_blocking(move || {
        if offset == 0 && store.blob_state(&hash)?.is_none() {
            // Again, just before the upload is recorded: another upload of the person's may
            // have started while this chunk arrived.
            fits(&store, &limits, person, total)?;
        }
        Ok::<_, ApiError>(store.append_blob(&hash, total, person, offset, &bytes)?)
    })
    .await
    .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "the upload failed"))??;
    Ok(match appended {
        Appended::More(at) => (StatusCode::NO_CONTENT, offset_header(at)).into_response(),
        Appended::Complete => StatusCode::CREATED.into_response(),
        Appended::WrongOffset(at) => (StatusCode::CONFLICT, offset_header(at)).into_response(),
        Appended::Damaged => {
            return Err(error(
                StatusCode::BAD_REQUEST,
                "the file arrived damaged (its bytes do not match its fingerprint); send it again",
            ));
        }
    })
}

/// Whether a new upload of `total` bytes fits in what `person` has left of their quota (what
/// they uploaded, and the whole length of each upload they have under way).
fn fits(
    store: &Store,
    limits: &attachments::BlobLimits,
    person: i64,
    total: u64,
) -> Result<(), ApiError> {
    let used = store.blob_bytes_of(person)?;
    check_upload(limits, total, used).map_err(refused)
}

/// The type and name a referencing record gives the attachment `hash`: served as that type
/// if it is one safe to serve, else as a download of unknown type.
fn described(state: &AppState, documents: &[String], hash: &str) -> (String, String) {
    let found = documents.iter().find_map(|id| {
        let doc = state.store.load_document(id).ok()??;
        let record = shared::records::read(&doc).ok()?;
        Attachment::all(&record)
            .into_iter()
            .find(|a| a.hash == hash)
    });
    match found {
        Some(a) if attachments::check_type(&a.mime, &a.name).is_ok() => (a.mime, a.name),
        Some(a) => ("application/octet-stream".into(), a.name),
        None => ("application/octet-stream".into(), hash.to_string()),
    }
}

/// `Content-Disposition` for a file named `name`: inline for images, else a download; the
/// name as ASCII and, exactly, as UTF-8 (RFC 6266).
fn disposition(mime: &str, name: &str) -> String {
    let kind = if attachments::is_image(mime) {
        "inline"
    } else {
        "attachment"
    };
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._- ()".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"._-".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("{kind}; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

async fn download(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Path(hash): Path<String>,
) -> Result<Response, ApiError> {
    let documents = readable_documents(&state.store, &session, &hash)?;
    let size = match state.store.blob_state(&hash)? {
        Some(s) if s.complete => s.size,
        _ => {
            return Err(error(
                StatusCode::NOT_FOUND,
                "this attachment has not reached the relay yet; the device that took it uploads it when it is online",
            ));
        }
    };
    let st = state.clone();
    let h = hash.clone();
    let (mime, name) = tokio::task::spawn_blocking(move || described(&st, &documents, &h))
        .await
        .map_err(|_| error(StatusCode::INTERNAL_SERVER_ERROR, "the download failed"))?;
    let etag = format!("\"{hash}\"");
    // One chunk in memory at a time, read as the client takes them.
    let store = state.store.clone();
    let chunks = futures::stream::unfold(0u64, move |at| {
        let store = store.clone();
        let hash = hash.clone();
        async move {
            if at >= size {
                return None;
            }
            let read = tokio::task::spawn_blocking(move || store.blob_chunk(&hash, at)).await;
            match read {
                Ok(Ok(Some(bytes))) => {
                    let next = at + bytes.len() as u64;
                    Some((Ok::<_, std::io::Error>(bytes), next))
                }
                _ => Some((
                    Err(std::io::Error::other("the blob could not be read")),
                    size,
                )),
            }
        }
    })
    // The compression layer (a PDF, say, is gzipped for a browser) polls once more after the
    // end, which `unfold` does not allow.
    .fuse();
    let headers = [
        (header::CONTENT_TYPE, HeaderValue::from_str(&mime).ok()),
        (header::CONTENT_LENGTH, Some(HeaderValue::from(size))),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            Some(HeaderValue::from_static("nosniff")),
        ),
        (
            header::CONTENT_DISPOSITION,
            HeaderValue::from_str(&disposition(&mime, &name)).ok(),
        ),
        (
            header::CACHE_CONTROL,
            Some(HeaderValue::from_static(
                "private, max-age=31536000, immutable",
            )),
        ),
        (header::ETAG, HeaderValue::from_str(&etag).ok()),
    ];
    let mut response = Response::new(Body::from_stream(chunks));
    for (name, value) in headers {
        if let Some(value) = value {
            response.headers_mut().insert(name, value);
        }
    }
    Ok(response)
}
