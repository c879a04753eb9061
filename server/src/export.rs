//! The auditor's evidence export over HTTP: `GET /api/export/evidence?clause=8.6.1&sample=25&seed=…`
//! answers a zip built by `shared::evidence` from the documents the person may read and the
//! relay's receipt log.

use std::{collections::HashSet, sync::Arc};

use axum::{
    Router,
    body::Body,
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
    routing::get,
};
use shared::{
    access::{self, Access},
    api::EvidenceQuery,
    evidence::{self, ExportInfo, Receipt, SampledRecord},
    ids::DocumentId,
    time::Timestamp,
};

use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::{auth::Authenticated, error::ApiError, state::AppState, store::now_ms};

/// The most attachment bytes one export carries: beyond it the attachments are still listed,
/// with their hashes, in `attachments.csv`, without their files. The export is written to a
/// temporary file (deleted once sent) and read back a piece at a time, so this bounds the disk
/// and time one request may take, not memory.
const MAX_ATTACHMENT_BYTES: u64 = 4 * 1024 * 1024 * 1024;

/// How much of the export is read from its file for each piece of the response.
const PIECE: usize = 256 * 1024;

/// `/api/export/evidence` (auditors and administrators).
pub fn router() -> Router<Arc<AppState>> {
    Router::new().route("/export/evidence", get(evidence))
}

async fn evidence(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Query(q): Query<EvidenceQuery>,
) -> Result<Response, ApiError> {
    access::may_export_evidence(&session.person.access)
        .map_err(|why| ApiError(StatusCode::FORBIDDEN, why.into()))?;
    // Held until the zip has been sent or the client has left: one person's repeated exports
    // cannot fill the relay's disk.
    let held = state.exports.take(session.person.id, 1).ok_or_else(|| {
        ApiError(
            StatusCode::TOO_MANY_REQUESTS,
            "your previous evidence export is still being prepared or downloaded; try again once it has finished".into(),
        )
    })?;
    let bad_request = |e: evidence::EvidenceError| ApiError(StatusCode::BAD_REQUEST, e.to_string());
    let clause = evidence::clause(&q.clause).map_err(bad_request)?;
    if q.sample > EvidenceQuery::MAX_SAMPLE {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!(
                "a sample can hold at most {} records",
                EvidenceQuery::MAX_SAMPLE
            ),
        ));
    }
    // The population is what this person may read: an auditor without the security role
    // samples no security incidents.
    let population: Vec<DocumentId> = state
        .store
        .documents_of_kinds(clause.kinds)?
        .into_iter()
        .filter(|(_, scope)| access::access(&session.person.access, scope) != Access::None)
        .filter_map(|(id, _)| id.parse().ok())
        .collect();
    let now = Timestamp::from_millis(now_ms());
    let seed = q.seed.unwrap_or_else(|| now.to_string());
    let chosen = evidence::sample(&population, q.sample, &seed).map_err(bad_request)?;

    let mut records = Vec::with_capacity(chosen.len());
    for id in chosen {
        let Some(doc) = state.hub.document(&id).await else {
            // Known by its first upload but not stored: never expected, so say so in the log.
            tracing::error!(document = %id, "a document in the catalogue is missing from storage");
            continue;
        };
        let receipts = state
            .store
            .receipts_for(&id.to_string())?
            .into_iter()
            .map(|r| Receipt {
                hash: r.hash,
                person: r.person,
                device: r.device,
                received_at: Timestamp::from_millis(r.received_at),
            })
            .collect();
        records.push(SampledRecord { id, doc, receipts });
    }
    let blobs = StoreBlobs::choose(&state.store, &records)?;
    let by = format!(
        "{} ({})",
        session.person.display_name, session.person.username
    );
    let population = population.len();
    let file = tokio::task::spawn_blocking(move || {
        let info = ExportInfo {
            clause,
            generated_at: now,
            generated_by: &by,
            population,
            seed: &seed,
        };
        let file =
            tempfile::tempfile().map_err(|e| evidence::EvidenceError::Write(e.to_string()))?;
        evidence::package_into(&info, &records, &blobs, file)
    })
    .await
    .map_err(|_| {
        ApiError(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the export failed".into(),
        )
    })?
    .map_err(|e| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()))?;
    let filename = format!(
        "outpost-evidence-{}-{}.zip",
        clause.id,
        now.to_datetime().format("%Y%m%d-%H%M%S")
    );
    let failed = |e: std::io::Error| ApiError(StatusCode::INTERNAL_SERVER_ERROR, e.to_string());
    let mut file = tokio::fs::File::from_std(file);
    let size = file
        .seek(std::io::SeekFrom::Start(0))
        .await
        .map_err(failed)?;
    let size = size.max(file.metadata().await.map_err(failed)?.len());
    // Read as the client takes it; the file and the person's place go when the response does.
    let pieces = futures::stream::unfold((file, held), |(mut file, held)| async move {
        let mut piece = vec![0; PIECE];
        match file.read(&mut piece).await {
            Ok(0) => None,
            Ok(n) => {
                piece.truncate(n);
                Some((Ok::<_, std::io::Error>(piece), (file, held)))
            }
            Err(e) => Some((Err(e), (file, held))),
        }
    })
    // The compression layer polls once more after the end, which `unfold` does not allow.
    .fuse();
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
            (header::CONTENT_LENGTH, size.to_string()),
        ],
        Body::from_stream(pieces),
    )
        .into_response())
}

/// The sampled records' attachments the relay holds complete, up to [`MAX_ATTACHMENT_BYTES`]
/// in all, copied from the store a chunk at a time.
struct StoreBlobs {
    store: crate::store::Store,
    chosen: HashSet<String>,
}

impl StoreBlobs {
    fn choose(store: &crate::store::Store, records: &[SampledRecord]) -> Result<Self, ApiError> {
        let mut chosen = HashSet::new();
        let mut total = 0;
        for (_, hash) in evidence::attachment_files(records) {
            let Some(held) = store.blob_state(&hash)?.filter(|s| s.complete) else {
                continue;
            };
            if chosen.contains(&hash) || total + held.size > MAX_ATTACHMENT_BYTES {
                continue;
            }
            total += held.size;
            chosen.insert(hash);
        }
        Ok(StoreBlobs {
            store: store.clone(),
            chosen,
        })
    }
}

impl evidence::Blobs for StoreBlobs {
    fn copy(&self, hash: &str, out: &mut dyn std::io::Write) -> std::io::Result<bool> {
        if !self.chosen.contains(hash) {
            return Ok(false);
        }
        let mut written = Ok(());
        self.store
            .each_blob_chunk(hash, |chunk| {
                if written.is_ok() {
                    written = out.write_all(chunk);
                }
            })
            .map_err(std::io::Error::other)?;
        written.map(|()| true)
    }
}
