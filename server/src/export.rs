//! The auditor's evidence export over HTTP: `GET /api/export/evidence?clause=8.6.1&sample=25&seed=…`
//! answers a zip built by `shared::evidence` from the documents the person may read and the
//! relay's receipt log.

use std::sync::Arc;

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
        evidence::package(&info, &records)
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
