//! The auditor's evidence export over HTTP: `GET /api/export/evidence?clause=8.6.1&sample=25&seed=…`
//! answers a zip built by `shared::evidence` from the documents the person may read and the
//! relay's receipt log.

use std::{collections::HashMap, sync::Arc};

use axum::{
    extract::{Query, State},
    http::{StatusCode, header},
    response::{IntoResponse, Response},
};
use serde::Deserialize;
use shared::{
    access::{self, Access, Role},
    evidence::{self, ExportInfo, Receipt, SampledRecord},
    ids::DocumentId,
    time::Timestamp,
};

use crate::{
    auth::{ApiError, Authenticated},
    http::AppState,
    store::now_ms,
};

/// Enough for any audit sample; bounds the work one request can ask of the relay.
const MAX_SAMPLE: usize = 500;

/// The most attachment bytes one export carries (it is built in memory): beyond it the
/// attachments are still listed, with their hashes, in `attachments.csv`, without their files.
const MAX_ATTACHMENT_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Deserialize)]
pub struct EvidenceQuery {
    clause: String,
    #[serde(default = "default_sample")]
    sample: usize,
    /// Repeats an earlier draw; a fresh export uses its own time.
    seed: Option<String>,
}

fn default_sample() -> usize {
    25
}

pub async fn evidence(
    State(state): State<Arc<AppState>>,
    Authenticated(session): Authenticated,
    Query(q): Query<EvidenceQuery>,
) -> Result<Response, ApiError> {
    let roles = &session.person.access.roles;
    if !roles.contains(&Role::Auditor) && !roles.contains(&Role::Administrator) {
        return Err(ApiError(
            StatusCode::FORBIDDEN,
            "only an auditor or an administrator can export evidence".into(),
        ));
    }
    let bad_request = |e: evidence::EvidenceError| ApiError(StatusCode::BAD_REQUEST, e.to_string());
    let clause = evidence::clause(&q.clause).map_err(bad_request)?;
    if q.sample > MAX_SAMPLE {
        return Err(ApiError(
            StatusCode::BAD_REQUEST,
            format!("a sample can hold at most {MAX_SAMPLE} records"),
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
    let blobs = attachment_bytes(&state.store, &records)?;
    let by = format!(
        "{} ({})",
        session.person.display_name, session.person.username
    );
    let population = population.len();
    let zip = tokio::task::spawn_blocking(move || {
        let info = ExportInfo {
            clause,
            generated_at: now,
            generated_by: &by,
            population,
            seed: &seed,
        };
        evidence::package_with(&info, &records, &blobs)
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
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        zip,
    )
        .into_response())
}

/// The bytes of the sampled records' attachments the relay holds complete, by hash, up to
/// [`MAX_ATTACHMENT_BYTES`] in all.
fn attachment_bytes(
    store: &crate::store::Store,
    records: &[SampledRecord],
) -> Result<HashMap<String, Vec<u8>>, ApiError> {
    let mut blobs = HashMap::new();
    let mut total = 0;
    for (_, hash) in evidence::attachment_files(records) {
        let Some(held) = store.blob_state(&hash)?.filter(|s| s.complete) else {
            continue;
        };
        if blobs.contains_key(&hash) || total + held.size > MAX_ATTACHMENT_BYTES {
            continue;
        }
        total += held.size;
        let mut bytes = Vec::with_capacity(held.size as usize);
        store.each_blob_chunk(&hash, |chunk| bytes.extend_from_slice(chunk))?;
        blobs.insert(hash, bytes);
    }
    Ok(blobs)
}
