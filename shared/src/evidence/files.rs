//! The files of an evidence export and the zip that carries them.

use std::collections::{BTreeSet, HashMap};
use std::io::{Seek, Write};

use automerge::AutoSerde;
use chrono::{Datelike, Timelike};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::{EvidenceError, ExportInfo, Receipt, SampledRecord, receipts_by_hash};
use crate::{
    attachments::Attachment,
    csv_export::safe_cell,
    history::{HistoryEntry, history},
    ids::DocumentId,
    model::record_type,
    numbering::record_number,
    records::type_of,
    time::Timestamp,
};

/// A sampled record, read once for every file.
pub(super) struct Evidence {
    pub id: DocumentId,
    pub number: String,
    pub kind: String,
    /// The document's current state as JSON (Automerge's own mapping).
    pub state: serde_json::Map<String, Value>,
    pub history: Vec<HistoryEntry>,
    pub receipts: HashMap<String, Receipt>,
    pub saved: Vec<u8>,
    pub attachments: Vec<Attachment>,
}

/// The attachments a document's record lists (none if it is not a readable record).
pub(super) fn attachments_of(doc: &automerge::Automerge) -> Vec<Attachment> {
    crate::records::read(doc)
        .map(|r| Attachment::all(&r))
        .unwrap_or_default()
}

/// Where an attachment's bytes go in the archive: `attachments/<hash>-<name>`.
pub(super) fn attachment_path(a: &Attachment) -> String {
    format!("attachments/{}-{}", a.hash, a.name)
}

impl Evidence {
    pub fn of(r: &SampledRecord) -> Self {
        let kind = record_type(&r.doc).unwrap_or_default();
        let prefix = type_of(&kind).map_or("DOC", |t| t.prefix);
        let state = match serde_json::to_value(AutoSerde::from(&r.doc)) {
            Ok(Value::Object(map)) => map,
            _ => serde_json::Map::new(),
        };
        Evidence {
            id: r.id,
            number: record_number(prefix, &r.id),
            kind,
            state,
            history: history(&r.doc),
            receipts: receipts_by_hash(&r.receipts)
                .into_iter()
                .map(|(h, r)| (h.to_string(), r.clone()))
                .collect(),
            saved: r.doc.save(),
            attachments: attachments_of(&r.doc),
        }
    }

    /// The customer's signature as an SVG file, if the record is signed (with a drawing the
    /// app would make: anything else is left in the document, never rendered).
    pub fn signature_svg(&self) -> Option<String> {
        let drawing = self.state.get("signature")?.get("drawing")?.as_str()?;
        crate::signature::svg(drawing)
    }
}

pub(super) fn readme(info: &ExportInfo, records: &[Evidence]) -> String {
    let numbers: Vec<&str> = records.iter().map(|r| r.number.as_str()).collect();
    format!(
        "Outpost evidence export\n\
         =======================\n\
         Clause:        ISO/IEC 20000-1:2018 {id} {title}\n\
         Record types:  {kinds}\n\
         Generated:     {at} by {by}\n\
         Sample:        {n} of {population} records the exporter may read, drawn with seed \"{seed}\"\n\
         \x20              (records ordered by SHA-256(seed + document id); the first {n} taken)\n\
         Records:       {numbers}\n\
         \n\
         Files\n\
         - records.csv     one row per record: its fields as they are now\n\
         - history.csv     one row per field change: who (author), on which device, the time on the\n\
         \x20                 device, and when the relay first received the change (its receipt log)\n\
         - records.json    the same, per record: current state and full history\n\
         - documents/      each record's Automerge document, to replay the history with any\n\
         \x20                 Automerge implementation (e.g. Automerge.load in JavaScript)\n\
         - signatures/     the customer's signature of each signed record, as SVG\n\
         - attachments.csv every file attached to a record: its SHA-256, name, type, size, who\n\
         \x20                 attached it on which device, when, and its file in attachments/ (empty\n\
         \x20                 if its bytes were not available to the exporter)\n\
         - attachments/    the attached files, named <SHA-256>-<name>\n\
         - MANIFEST.sha256 SHA-256 of every file; check with `sha256sum -c MANIFEST.sha256`\n",
        id = info.clause.id,
        title = info.clause.title,
        kinds = info.clause.kinds.join(", "),
        at = info.generated_at,
        by = info.generated_by,
        n = records.len(),
        population = info.population,
        seed = info.seed,
        numbers = if numbers.is_empty() {
            "none".to_string()
        } else {
            numbers.join(", ")
        },
    )
}

pub(super) fn records_csv(records: &[Evidence]) -> Result<Vec<u8>, EvidenceError> {
    let fields: BTreeSet<&str> = records
        .iter()
        .flat_map(|r| r.state.keys().map(String::as_str))
        .filter(|k| *k != "type")
        .collect();
    let mut out = csv::Writer::from_writer(vec![]);
    // Field names come from the documents too: the header is written safely as well.
    let header = ["number", "document_id", "type"]
        .into_iter()
        .chain(fields.iter().copied());
    write_row(&mut out, header)?;
    for r in records {
        let mut row = vec![r.number.clone(), r.id.to_string(), r.kind.clone()];
        row.extend(fields.iter().map(|f| cell(r.state.get(*f))));
        write_row(&mut out, &row)?;
    }
    out.into_inner()
        .map_err(|e| EvidenceError::Write(e.to_string()))
}

pub(super) fn history_csv(records: &[Evidence]) -> Result<Vec<u8>, EvidenceError> {
    let mut out = csv::Writer::from_writer(vec![]);
    write_row(
        &mut out,
        [
            "number",
            "document_id",
            "change_hash",
            "author",
            "device",
            "device_time",
            "relay_received_at",
            "relay_person",
            "relay_device",
            "field",
            "action",
            "value",
        ],
    )?;
    for r in records {
        for change in &r.history {
            let receipt = r.receipts.get(&change.hash);
            let common = [
                r.number.clone(),
                r.id.to_string(),
                change.hash.clone(),
                change.author.clone().unwrap_or_default(),
                change.device.clone().unwrap_or_default(),
                change
                    .device_time
                    .map(|t| t.to_string())
                    .unwrap_or_default(),
                receipt
                    .map(|r| r.received_at.to_string())
                    .unwrap_or_default(),
                receipt.map(|r| r.person.clone()).unwrap_or_default(),
                receipt.map(|r| r.device.clone()).unwrap_or_default(),
            ];
            // A change that touched nothing still shows, so every change hash is listed.
            let fields: Vec<[String; 3]> = if change.fields.is_empty() {
                vec![Default::default()]
            } else {
                change
                    .fields
                    .iter()
                    .map(|f| [f.field.clone(), f.action.as_str().into(), f.value.clone()])
                    .collect()
            };
            for field in fields {
                write_row(&mut out, common.iter().chain(field.iter()))?;
            }
        }
    }
    out.into_inner()
        .map_err(|e| EvidenceError::Write(e.to_string()))
}

pub(super) fn attachments_csv(
    records: &[Evidence],
    included: impl Fn(&str) -> bool,
) -> Result<Vec<u8>, EvidenceError> {
    let mut out = csv::Writer::from_writer(vec![]);
    write_row(
        &mut out,
        [
            "number",
            "document_id",
            "sha256",
            "name",
            "type",
            "size",
            "attached_at",
            "attached_by",
            "device",
            "file",
        ],
    )?;
    for r in records {
        for a in &r.attachments {
            let file = if included(&a.hash) {
                attachment_path(a)
            } else {
                String::new()
            };
            write_row(
                &mut out,
                [
                    r.number.clone(),
                    r.id.to_string(),
                    a.hash.clone(),
                    a.name.clone(),
                    a.mime.clone(),
                    a.size.to_string(),
                    a.at.to_string(),
                    a.by.clone(),
                    a.device.clone(),
                    file,
                ],
            )?;
        }
    }
    out.into_inner()
        .map_err(|e| EvidenceError::Write(e.to_string()))
}

pub(super) fn records_json(records: &[Evidence]) -> Result<Vec<u8>, EvidenceError> {
    let list: Vec<Value> = records
        .iter()
        .map(|r| {
            let history: Vec<Value> = r
                .history
                .iter()
                .map(|c| {
                    let relay = r.receipts.get(&c.hash).map(|rc| {
                        json!({
                            "received_at": rc.received_at.to_string(),
                            "person": rc.person,
                            "device": rc.device,
                        })
                    });
                    json!({
                        "hash": c.hash,
                        "author": c.author,
                        "device": c.device,
                        "device_time": c.device_time.map(|t| t.to_string()),
                        "relay": relay,
                        "fields": c.fields,
                    })
                })
                .collect();
            json!({
                "number": r.number,
                "document_id": r.id.to_string(),
                "type": r.kind,
                "record": r.state,
                "history": history,
            })
        })
        .collect();
    serde_json::to_vec_pretty(&list).map_err(|e| EvidenceError::Write(e.to_string()))
}

/// A CSV cell: text as it is, anything structured as compact JSON.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// One CSV row, every cell made safe for spreadsheets (`csv_export::safe_cell`).
fn write_row(
    out: &mut csv::Writer<Vec<u8>>,
    cells: impl IntoIterator<Item = impl AsRef<str>>,
) -> Result<(), EvidenceError> {
    out.write_record(cells.into_iter().map(|c| safe_cell(c.as_ref())))
        .map_err(write_error)
}

fn write_error(e: csv::Error) -> EvidenceError {
    EvidenceError::Write(e.to_string())
}

/// The zip being written: every file deflated under `folder/`, stamped with the export's time
/// (so the same export gives the same bytes), and listed with its SHA-256 for the manifest.
pub(super) struct Archive<W: Write + Seek> {
    zip: zip::ZipWriter<W>,
    folder: String,
    options: zip::write::SimpleFileOptions,
    manifest: String,
}

fn zip_error(e: zip::result::ZipError) -> EvidenceError {
    EvidenceError::Write(e.to_string())
}

fn io_error(e: std::io::Error) -> EvidenceError {
    EvidenceError::Write(e.to_string())
}

impl<W: Write + Seek> Archive<W> {
    pub fn new(out: W, folder: String, at: Timestamp) -> Self {
        let t = at.to_datetime();
        let stamp = zip::DateTime::from_date_and_time(
            u16::try_from(t.year()).unwrap_or(1980),
            t.month() as u8,
            t.day() as u8,
            t.hour() as u8,
            t.minute() as u8,
            t.second() as u8,
        )
        .unwrap_or_default();
        let options = zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .last_modified_time(stamp)
            // An export can pass 4 GB with its attachments.
            .large_file(true);
        Archive {
            zip: zip::ZipWriter::new(out),
            folder,
            options,
            manifest: String::new(),
        }
    }

    pub fn add(&mut self, path: &str, bytes: &[u8]) -> Result<(), EvidenceError> {
        self.add_streamed(path, None, |out| out.write_all(bytes).map(|()| true))?;
        Ok(())
    }

    /// Adds the file `write` writes, a piece at a time (an attachment need not fit in memory).
    /// Left out if `write` has nothing to write (returns false), or if `expected` is given and
    /// the bytes do not hash to it (a damaged file would fail the manifest). Whether it was
    /// added.
    pub fn add_streamed(
        &mut self,
        path: &str,
        expected: Option<&str>,
        write: impl FnOnce(&mut dyn Write) -> std::io::Result<bool>,
    ) -> Result<bool, EvidenceError> {
        self.zip
            .start_file(format!("{}/{path}", self.folder), self.options)
            .map_err(zip_error)?;
        let mut hashing = Hashing {
            out: &mut self.zip,
            hasher: Sha256::new(),
        };
        let written = write(&mut hashing).map_err(io_error)?;
        let hash = super::hex(&hashing.hasher.finalize());
        if !written || expected.is_some_and(|e| e != hash) {
            self.zip.abort_file().map_err(zip_error)?;
            return Ok(false);
        }
        self.manifest.push_str(&format!("{hash}  {path}\n"));
        Ok(true)
    }

    /// Adds `MANIFEST.sha256` (every file so far; `sha256sum -c` checks it) and closes the zip.
    pub fn finish(mut self) -> Result<W, EvidenceError> {
        let manifest = std::mem::take(&mut self.manifest);
        self.zip
            .start_file(format!("{}/MANIFEST.sha256", self.folder), self.options)
            .map_err(zip_error)?;
        self.zip.write_all(manifest.as_bytes()).map_err(io_error)?;
        self.zip.finish().map_err(zip_error)
    }
}

/// A writer that hashes what goes through it.
struct Hashing<'a, W: Write> {
    out: &'a mut W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<'_, W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.out.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.out.flush()
    }
}
