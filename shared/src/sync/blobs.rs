//! Blob sync decisions, sans I/O: what the device does with the relay's blob endpoints
//! (`/api/blobs/{hash}`, see README) and what it tells the person about each attachment.
//!
//! The app keeps one [`Upload`] per blob it holds (as JSON on the device) and one [`Download`]
//! per blob it is fetching, feeds in what the relay answered ([`after_head`], [`after_put`],
//! [`after_get`]) and does only the I/O. A failure is kept with its sentence and retried by
//! itself after a growing delay ([`retry_delay_ms`]), unless retrying cannot help (a file over
//! the relay's per-file limit).

use std::ops::Range;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The most a PUT carries (the relay refuses bigger bodies with 413).
pub const CHUNK_BYTES: u64 = 1 << 20;
/// The first retry after a failure; each further one waits twice as long, up to the cap.
pub const FIRST_RETRY_MS: i64 = 5_000;
pub const MAX_RETRY_MS: i64 = 15 * 60_000;

/// A failed attempt: the sentence for the person, how many attempts failed in a row, and when
/// to try again (`None`: never by itself, trying again cannot help).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Failure {
    pub message: String,
    pub attempts: u32,
    pub retry_at: Option<i64>,
}

impl Failure {
    /// The next failure after `previous` (attempts counted on), at `now` (ms since the epoch).
    pub fn after(previous: Option<&Failure>, message: String, retry: bool, now: i64) -> Failure {
        let attempts = previous.map_or(0, |f| f.attempts).saturating_add(1);
        Failure {
            message,
            attempts,
            retry_at: retry.then(|| now.saturating_add(retry_delay_ms(attempts))),
        }
    }

    /// Whether it is time to try again.
    pub fn due(&self, now: i64) -> bool {
        self.retry_at.is_some_and(|at| at <= now)
    }
}

/// How long to wait after the `attempts`-th failure in a row: 5 s, 10 s, 20 s, … 15 min.
pub fn retry_delay_ms(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(20);
    FIRST_RETRY_MS
        .saturating_mul(1 << doublings)
        .min(MAX_RETRY_MS)
}

/// Where a blob this device holds stands with the relay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Upload {
    /// Stored here; the relay may lack it (not tried yet, or offline).
    Waiting,
    /// `sent` of `total` bytes are on the relay (only while uploading; kept as `Waiting`,
    /// since the relay says where to resume).
    Uploading {
        sent: u64,
        total: u64,
    },
    /// The relay holds all of it.
    OnRelay,
    Failed(Failure),
}

impl Upload {
    /// Whether the device should (try to) upload it now.
    pub fn due(&self, now: i64) -> bool {
        match self {
            Upload::Waiting | Upload::Uploading { .. } => true,
            Upload::OnRelay => false,
            Upload::Failed(f) => f.due(now),
        }
    }

    /// What is kept on the device: progress is not (the relay's offset is the truth).
    pub fn to_keep(&self) -> Upload {
        match self {
            Upload::Uploading { .. } => Upload::Waiting,
            other => other.clone(),
        }
    }

    /// The failure after this state, if the attempt failed.
    pub fn failed(&self, message: String, retry: bool, now: i64) -> Upload {
        let previous = match self {
            Upload::Failed(f) => Some(f),
            _ => None,
        };
        Upload::Failed(Failure::after(previous, message, retry, now))
    }
}

/// The next blob to upload among `states` (hash, state): one already under way first (it
/// resumes), then those waiting, then failed ones whose retry is due; by hash within each.
pub fn next_upload<'a>(
    states: impl IntoIterator<Item = (&'a str, &'a Upload)>,
    now: i64,
) -> Option<&'a str> {
    states
        .into_iter()
        .filter(|(_, s)| s.due(now))
        .min_by_key(|(hash, s)| {
            let rank = match s {
                Upload::Uploading { .. } => 0,
                Upload::Waiting => 1,
                _ => 2,
            };
            (rank, *hash)
        })
        .map(|(hash, _)| hash)
}

/// What to do after the relay's answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Next {
    /// Send the chunk starting at `offset` ([`chunk`]).
    Send { offset: u64 },
    /// The relay holds the whole blob.
    Done,
    /// Stop: why, and whether trying again later can help.
    Fail { message: String, retry: bool },
}

/// The byte range of the chunk that starts at `offset` of a `total`-byte blob.
pub fn chunk(offset: u64, total: u64) -> Range<u64> {
    let start = offset.min(total);
    start..start.saturating_add(CHUNK_BYTES).min(total)
}

/// An answer the relay gave: its status (0: no answer at all), its `Upload-Offset` header and
/// the sentence of its `{"error": …}` body, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer<'a> {
    pub status: u16,
    pub offset: Option<u64>,
    pub error: Option<&'a str>,
}

/// After `HEAD /api/blobs/{hash}` for a `total`-byte blob.
pub fn after_head(answer: Answer, total: u64) -> Next {
    match answer.status {
        200 => Next::Done,
        // Not complete there: resume from what it has.
        404 => resume_at(answer.offset.unwrap_or(0), total),
        _ => failed(answer),
    }
}

/// After a PUT of the chunk that started at `from` of a `total`-byte blob.
pub fn after_put(answer: Answer, from: u64, total: u64) -> Next {
    match (answer.status, answer.offset) {
        (200 | 201, _) => Next::Done,
        // Accepted, more expected: go on from the relay's offset, which must have moved on.
        (204, Some(offset)) if offset > from => resume_at(offset, total),
        // The relay has another offset (a cut connection, another tab): resume from its.
        (409, Some(offset)) => resume_at(offset, total),
        (204 | 409, _) => Next::Fail {
            message: "the relay did not take the file's next part".into(),
            retry: true,
        },
        _ => failed(answer),
    }
}

/// The most requests one upload attempt makes for a `total`-byte blob (a chunk each, and a few
/// resumptions), so a relay that keeps answering "resume" cannot keep the device busy forever.
pub fn max_requests(total: u64) -> u64 {
    total.div_ceil(CHUNK_BYTES) + 8
}

fn resume_at(offset: u64, total: u64) -> Next {
    if offset <= total {
        // At `total` every byte is there but the relay has not checked them (it stopped
        // before): an empty PUT at the end finishes it.
        Next::Send { offset }
    } else {
        Next::Fail {
            message: "the relay holds more of the file than it should; it will be sent again"
                .into(),
            retry: true,
        }
    }
}

/// A failed upload answer as the person's sentence, and whether a retry may help.
fn failed(answer: Answer) -> Next {
    let theirs = answer.error.map(str::trim).filter(|e| !e.is_empty());
    let (message, retry) = match answer.status {
        0 => ("the relay cannot be reached".to_string(), true),
        // Over the per-file limit: the same file stays too big.
        413 => (
            theirs.map_or(
                "the file is larger than the relay accepts".into(),
                str::to_string,
            ),
            false,
        ),
        // The quota may be raised or space freed.
        507 => (
            theirs.map_or(
                "your attachment quota on the relay is full".into(),
                str::to_string,
            ),
            true,
        ),
        // The record naming it has not reached the relay yet (it syncs first).
        403 => (
            "waiting for the record to reach the relay before the file".into(),
            true,
        ),
        401 => ("sign in again to upload".into(), true),
        status => (
            theirs.map_or_else(|| format!("the relay answered {status}"), str::to_string),
            true,
        ),
    };
    Next::Fail { message, retry }
}

/// Where a blob this device lacks stands (only while it is wanted and not yet stored).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Download {
    Fetching,
    Failed(Failure),
}

impl Download {
    pub fn due(&self, now: i64) -> bool {
        match self {
            Download::Fetching => false,
            Download::Failed(f) => f.due(now),
        }
    }

    pub fn failed(previous: Option<&Download>, message: String, retry: bool, now: i64) -> Self {
        let previous = match previous {
            Some(Download::Failed(f)) => Some(f),
            _ => None,
        };
        Download::Failed(Failure::after(previous, message, retry, now))
    }
}

/// After `GET /api/blobs/{hash}` with `body` (the bytes when it answered 200): `Ok` when the
/// bytes are the blob the hash names, else why not and whether to retry.
pub fn after_get(answer: Answer, hash: &str, body: &[u8]) -> Result<(), (String, bool)> {
    let theirs = answer.error.map(str::trim).filter(|e| !e.is_empty());
    match answer.status {
        200 => verify(hash, body).map_err(|e| (e, true)),
        0 => Err(("the relay cannot be reached".into(), true)),
        // The device that attached it has not uploaded it yet.
        404 => Err(("not on the relay yet".into(), true)),
        // Access may be granted later; retried slowly like the rest.
        403 => Err((
            theirs.map_or("you may not read this attachment".into(), str::to_string),
            true,
        )),
        status => Err((
            theirs.map_or_else(|| format!("the relay answered {status}"), str::to_string),
            true,
        )),
    }
}

/// Whether `bytes` are the blob `hash` names (lowercase hex SHA-256).
pub fn verify(hash: &str, bytes: &[u8]) -> Result<(), String> {
    if sha256_hex(bytes) == hash {
        Ok(())
    } else {
        Err("the file arrived damaged (its SHA-256 does not match); not stored".into())
    }
}

/// The lowercase hex SHA-256 of `bytes`: a blob's name.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// What an attachment's line says about where its bytes are, for the person: `held` whether
/// this device has them, `upload`/`download` the states above, `online` whether the relay is
/// reachable now.
pub fn describe(
    held: bool,
    upload: Option<&Upload>,
    download: Option<&Download>,
    online: bool,
) -> String {
    if held {
        return match upload {
            Some(Upload::OnRelay) => "on the relay".into(),
            Some(Upload::Uploading { sent, total }) => {
                format!("uploading {} %", percent(*sent, *total))
            }
            Some(Upload::Waiting) => "waiting to upload".into(),
            Some(Upload::Failed(f)) => with_retry("upload failed", f),
            None => "on this device".into(),
        };
    }
    match download {
        Some(Download::Failed(f)) => with_retry("download failed", f),
        _ if online => "not on this device — fetching".into(),
        _ => "not on this device — fetched when online".into(),
    }
}

fn with_retry(what: &str, f: &Failure) -> String {
    match f.retry_at {
        Some(_) => format!("{what}: {}; will try again by itself", f.message),
        None => format!("{what}: {}", f.message),
    }
}

fn percent(sent: u64, total: u64) -> u64 {
    if total == 0 {
        return 100;
    }
    // Whole percent, rounded down, in u64 (u128 would link its division into the app): exact
    // below 184 PB, and still within 0..=100 above.
    let sent = sent.min(total);
    match sent.checked_mul(100) {
        Some(hundreds) => hundreds / total,
        None => (sent / (total / 100)).min(100),
    }
}

#[cfg(test)]
mod tests;
