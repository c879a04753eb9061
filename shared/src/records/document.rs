//! Reading and writing a record as one Automerge document, with the envelope
//! (`type`, `schema`) and the change metadata every edit carries as evidence.

use automerge::{Automerge, ReadDoc};
use autosurgeon::{Hydrate, Reconcile};

use super::prefetch::Prefetched;

pub use crate::model::{ChangeMeta, RecordError, record_type, schema_version};

/// A record type: its document `type`, its number prefix, its current schema, and how to bring
/// a record written by an older schema up to date. Reading and writing are the same for all.
pub trait Record: Reconcile + Hydrate + Default {
    const KIND: &'static str;
    /// The prefix of its record number, e.g. `INC` in `INC-7K3Q-D2MX`.
    const NUMBER_PREFIX: &'static str;
    /// Bump when the document layout changes, and teach `upgrade` the older layouts.
    const SCHEMA: u64;
    /// Kept on every device whatever its scope (continuity plans must be readable when the
    /// normal site is unreachable). The sync layer reads this.
    const ON_EVERY_DEVICE: bool = false;
    /// The role needed to see the record's contents, if it is restricted (security incidents).
    const RESTRICTED_TO: Option<&'static str> = None;

    /// Brings a record hydrated from a document of schema `from` (older than `SCHEMA`) up to
    /// date, in memory. The next `write` stores the new layout and schema, so reading never
    /// writes and two devices reading the same old document see the same record.
    fn upgrade(&mut self, _from: u64) {}

    fn read(doc: &Automerge) -> Result<Self, RecordError> {
        read_record(doc)
    }

    fn write(&self, doc: &mut Automerge, meta: &ChangeMeta) -> Result<(), RecordError> {
        write(doc, Self::KIND, Self::SCHEMA, self, meta)
    }

    /// The record number for a record in the document `id`.
    fn number(id: &crate::ids::DocumentId) -> String {
        crate::numbering::record_number(Self::NUMBER_PREFIX, id)
    }
}

/// Checks the envelope of a document expected to hold a `kind` of schema at most `supported`,
/// and returns its schema (1 for documents from before the field existed).
fn check_envelope(doc: &Automerge, kind: &str, supported: u64) -> Result<u64, RecordError> {
    match record_type(doc) {
        None => return Err(RecordError::NoType),
        Some(found) if found != kind => {
            return Err(RecordError::WrongType {
                expected: kind.into(),
                found,
            });
        }
        Some(_) => {}
    }
    let schema = schema_version(doc).unwrap_or(1);
    if schema > supported {
        return Err(RecordError::NewerSchema {
            kind: kind.into(),
            found: schema,
            supported,
        });
    }
    Ok(schema)
}

/// Reads a record of type `kind` whose current schema is `supported`.
pub fn read<T: Hydrate>(doc: &Automerge, kind: &str, supported: u64) -> Result<T, RecordError> {
    check_envelope(doc, kind, supported)?;
    hydrate(doc).map_err(|e| RecordError::Unreadable {
        kind: kind.into(),
        detail: e.to_string(),
    })
}

/// Reads a record, upgrading it in memory if an older schema wrote it.
pub fn read_record<T: Record>(doc: &Automerge) -> Result<T, RecordError> {
    let schema = check_envelope(doc, T::KIND, T::SCHEMA)?;
    let mut record: T = hydrate(doc).map_err(|e| {
        let missing = missing_fields::<T>(doc);
        RecordError::Unreadable {
            kind: T::KIND.replace('_', " "),
            detail: match missing.as_slice() {
                [] => e.to_string(),
                [one] => format!("the field '{one}' is missing"),
                many => format!("the fields '{}' are missing", many.join("', '")),
            },
        }
    })?;
    if schema < T::SCHEMA {
        record.upgrade(schema);
    }
    Ok(record)
}

/// Hydrates the document root through [`Prefetched`]: one range read per object instead of
/// one lookup per field.
fn hydrate<T: Hydrate>(doc: &Automerge) -> Result<T, autosurgeon::HydrateError> {
    autosurgeon::hydrate(&Prefetched::new(doc))
}

/// The top-level fields a `T` has that `doc` lacks. Only computed when reading failed, to name
/// the field in the error instead of autosurgeon's "unexpected None".
fn missing_fields<T: Record>(doc: &Automerge) -> Vec<String> {
    let mut template = Automerge::new();
    let mut tx = template.transaction();
    // Through `Prefetched` as `write` does: one instantiation of each record's `Reconcile`
    // instead of two (it matters for the size of the app's wasm).
    if autosurgeon::reconcile(&mut Prefetched::new(&mut tx), T::default()).is_err() {
        return vec![];
    }
    tx.commit();
    template
        .keys(automerge::ROOT)
        .filter(|key| {
            doc.get(automerge::ROOT, key.as_str())
                .ok()
                .flatten()
                .is_none()
        })
        .collect()
}

/// Writes `record` into `doc` as one change carrying `meta`. Only fields that differ from the
/// document are written, so concurrent edits to different fields merge cleanly.
pub fn write<T: Reconcile>(
    doc: &mut Automerge,
    kind: &str,
    schema: u64,
    record: &T,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let needs_envelope = record_type(doc).as_deref() != Some(kind);
    let needs_schema = schema_version(doc) != Some(schema);
    let mut tx = doc.transaction();
    // Record first, envelope second: autosurgeon writes into an *empty* document in one batch
    // (`init_root_from_hydrate`) instead of reading and putting field by field, which halves
    // the cost of creating a record. Both land in the same change either way.
    // Through the read cache: reconciling reads and re-puts every field to find what changed.
    autosurgeon::reconcile(&mut Prefetched::new(&mut tx), record)
        .map_err(|e| RecordError::Write(e.to_string()))?;
    if needs_envelope {
        automerge::transaction::Transactable::put(&mut tx, automerge::ROOT, "type", kind)
            .map_err(|e| RecordError::Write(e.to_string()))?;
    }
    if needs_schema {
        automerge::transaction::Transactable::put(&mut tx, automerge::ROOT, "schema", schema)
            .map_err(|e| RecordError::Write(e.to_string()))?;
    }
    tx.commit_with(meta.commit_options());
    Ok(())
}

/// Implements [`Record`] for a record type at schema 1 with no migration yet.
macro_rules! record {
    ($record:ty, $kind:literal, $prefix:literal) => {
        impl $crate::records::Record for $record {
            const KIND: &'static str = $kind;
            const NUMBER_PREFIX: &'static str = $prefix;
            const SCHEMA: u64 = 1;
        }
    };
}
pub(crate) use record;
