//! The auditor's evidence export: for one clause, a reproducible sample of its records with
//! their full history, as CSV and JSON, plus the raw Automerge documents (so the evidence can be
//! replayed with any Automerge implementation) and a SHA-256 manifest of every file, in one zip.
//!
//! Pure: the caller (the relay, or the app for what a device holds) supplies the documents, the
//! relay's receipts, the time and the person. The same inputs give the same bytes.

mod clauses;
mod files;

use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Seek, Write};

use automerge::Automerge;
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{ids::DocumentId, time::Timestamp};

pub use clauses::{CLAUSES, Clause, clause};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error(
        "there is no clause '{0}' to export; choose one of 6.1, 7.2, 7.6, 8.2.4–8.2.6, 8.3.2–8.3.4, 8.5.1, 8.5.3, 8.6.1–8.6.3, 8.7.2, 8.7.3, 9.2, 9.3, 10.1, 10.2"
    )]
    UnknownClause(String),
    #[error("the sample size must be at least 1")]
    EmptySample,
    #[error("the export could not be written: {0}")]
    Write(String),
}

/// When the relay first received a change, from whom (its receipt log).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Receipt {
    /// The change hash (hex).
    pub hash: String,
    pub person: String,
    pub device: String,
    pub received_at: Timestamp,
}

/// One sampled record: its document and the receipts of its changes.
pub struct SampledRecord {
    pub id: DocumentId,
    pub doc: Automerge,
    pub receipts: Vec<Receipt>,
}

/// What the export is of, for its README and for reproducing the sample.
#[derive(Debug, Clone)]
pub struct ExportInfo<'a> {
    pub clause: &'a Clause,
    pub generated_at: Timestamp,
    pub generated_by: &'a str,
    /// How many records of the clause the exporter could see (the population sampled from).
    pub population: usize,
    /// The sample's seed: the same population and seed give the same sample.
    pub seed: &'a str,
}

/// Chooses `size` of `population` reproducibly: ordered by SHA-256 of the seed and the document
/// id, the first `size` are taken. Without the seed nobody can steer which records are picked;
/// with it, anyone can repeat the draw.
pub fn sample(
    population: &[DocumentId],
    size: usize,
    seed: &str,
) -> Result<Vec<DocumentId>, EvidenceError> {
    if size == 0 {
        return Err(EvidenceError::EmptySample);
    }
    let mut keyed: Vec<([u8; 32], DocumentId)> = population
        .iter()
        .map(|id| {
            let mut h = Sha256::new();
            h.update(seed.as_bytes());
            h.update(id.as_bytes());
            (h.finalize().into(), *id)
        })
        .collect();
    crate::order::sort(&mut keyed);
    keyed.dedup_by_key(|(_, id)| *id);
    Ok(keyed.into_iter().take(size).map(|(_, id)| id).collect())
}

/// The export without the attachments' bytes: see [`package_into`].
pub fn package(info: &ExportInfo, records: &[SampledRecord]) -> Result<Vec<u8>, EvidenceError> {
    package_with(info, records, &HashMap::new())
}

/// The export in memory, with the attachments' bytes in `blobs`: see [`package_into`].
pub fn package_with(
    info: &ExportInfo,
    records: &[SampledRecord],
    blobs: &HashMap<String, Vec<u8>>,
) -> Result<Vec<u8>, EvidenceError> {
    Ok(package_into(info, records, blobs, Cursor::new(Vec::new()))?.into_inner())
}

/// Where an export finds the attachments' bytes.
pub trait Blobs {
    /// Writes the bytes of the blob `hash` to `out`, a piece at a time; false (having written
    /// nothing) if it does not hold the whole of it.
    fn copy(&self, hash: &str, out: &mut dyn Write) -> std::io::Result<bool>;
}

impl Blobs for HashMap<String, Vec<u8>> {
    fn copy(&self, hash: &str, out: &mut dyn Write) -> std::io::Result<bool> {
        let Some(bytes) = self.get(hash) else {
            return Ok(false);
        };
        out.write_all(bytes)?;
        Ok(true)
    }
}

/// The files the attachments of `records` are exported as: `(path in the archive, hash)`, e.g.
/// `("attachments/<hash>-photo.jpg", "<hash>")`, ordered by path, once each. Whoever assembles
/// an export fetches these blobs and hands them to [`package_with`].
pub fn attachment_files(records: &[SampledRecord]) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = records
        .iter()
        .flat_map(|r| files::attachments_of(&r.doc))
        .map(|a| (files::attachment_path(&a), a.hash))
        .collect();
    crate::order::sort(&mut files);
    files.dedup();
    files
}

/// The export as a zip written to `out`: `README.txt`, `records.csv`, `history.csv`,
/// `records.json`, `documents/<number>.automerge`, `signatures/<number>.svg` (signed records),
/// `attachments/<hash>-<name>` (the attachments whose bytes `blobs` holds and that match their
/// hash, copied a piece at a time: an export of many photos is never in memory whole, when `out`
/// is a file), `attachments.csv` (every attachment of every record: hash, name, type, size,
/// who, when, and its file if included) and `MANIFEST.sha256` (`sha256sum -c` checks it), all
/// inside one folder named for the clause. Records are ordered by number.
pub fn package_into<W: Write + Seek>(
    info: &ExportInfo,
    records: &[SampledRecord],
    blobs: &impl Blobs,
    out: W,
) -> Result<W, EvidenceError> {
    let mut records: Vec<files::Evidence> = records.iter().map(files::Evidence::of).collect();
    crate::order::sort_by(&mut records, |a, b| a.number.cmp(&b.number));
    let folder = format!("outpost-evidence-{}", info.clause.id);
    let mut zip = files::Archive::new(out, folder, info.generated_at);
    zip.add("README.txt", files::readme(info, &records).as_bytes())?;
    zip.add("records.csv", &files::records_csv(&records)?)?;
    zip.add("history.csv", &files::history_csv(&records)?)?;
    zip.add("records.json", &files::records_json(&records)?)?;
    for r in &records {
        zip.add(&format!("documents/{}.automerge", r.number), &r.saved)?;
    }
    for r in &records {
        if let Some(svg) = r.signature_svg() {
            zip.add(&format!("signatures/{}.svg", r.number), svg.as_bytes())?;
        }
    }
    let mut attachments: Vec<(String, &str)> = records
        .iter()
        .flat_map(|r| &r.attachments)
        .map(|a| (files::attachment_path(a), a.hash.as_str()))
        .collect();
    crate::order::sort(&mut attachments);
    attachments.dedup_by(|a, b| a.0 == b.0);
    let mut included = HashSet::new();
    for (path, hash) in attachments {
        if zip.add_streamed(&path, Some(hash), |out| blobs.copy(hash, out))? {
            included.insert(hash);
        }
    }
    zip.add(
        "attachments.csv",
        &files::attachments_csv(&records, |hash| included.contains(hash))?,
    )?;
    zip.finish()
}

/// The receipts of a record by change hash.
fn receipts_by_hash(receipts: &[Receipt]) -> HashMap<&str, &Receipt> {
    receipts.iter().map(|r| (r.hash.as_str(), r)).collect()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
