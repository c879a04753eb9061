//! Discovery: which record documents exist in a scope.
//!
//! Each scope (for now one, `default`; later one per site or team) has an index document whose
//! id is derived from the scope's name, so every device knows it without asking anyone, even
//! before it has ever been online. Its root maps record document ids to a small entry. Entries
//! are only ever added, each by the device that created the record, so concurrent offline
//! additions on many devices merge without conflict.

use automerge::{Automerge, ObjType, ReadDoc, transaction::Transactable};

use crate::ids::DocumentId;
use crate::records::{ChangeMeta, RecordError};

pub const DEFAULT_SCOPE: &str = "default";

/// The id of the index document of `scope`.
pub fn index_id(scope: &str) -> DocumentId {
    DocumentId::derived(&format!("outpost:index:{scope}"))
}

/// Adds a record to the index (a no-op if it is there already).
pub fn add(
    index: &mut Automerge,
    record: &DocumentId,
    kind: &str,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    let key = record.to_string();
    if index
        .get(automerge::ROOT, key.as_str())
        .ok()
        .flatten()
        .is_some()
    {
        return Ok(());
    }
    let mut tx = index.transaction();
    let write = |tx: &mut automerge::transaction::Transaction<'_>| -> Result<(), automerge::AutomergeError> {
        let entry = tx.put_object(automerge::ROOT, key.as_str(), ObjType::Map)?;
        tx.put(&entry, "type", kind)?;
        tx.put(&entry, "created_at", meta.at.millis())?;
        Ok(())
    };
    write(&mut tx).map_err(|e| RecordError::Write(e.to_string()))?;
    tx.commit_with(meta.commit_options());
    Ok(())
}

/// The record ids listed in an index. Keys that are not document ids are skipped: an index
/// written by a misbehaving peer must not stop the app.
pub fn records(index: &Automerge) -> Vec<DocumentId> {
    index
        .keys(automerge::ROOT)
        .filter_map(|k| k.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn meta(d: &str) -> ChangeMeta {
        ChangeMeta {
            author: "ana".into(),
            device: d.into(),
            at: Timestamp(5),
        }
    }

    #[test]
    fn concurrent_additions_merge() {
        let mut a = Automerge::new();
        let mut b = Automerge::new();
        let (x, y) = (
            DocumentId::from_bytes([1; 16]),
            DocumentId::from_bytes([2; 16]),
        );
        add(&mut a, &x, "incident", &meta("a")).unwrap();
        add(&mut b, &y, "incident", &meta("b")).unwrap();
        add(&mut b, &y, "incident", &meta("b")).unwrap();
        a.merge(&mut b).unwrap();
        let mut ids = records(&a);
        ids.sort();
        assert_eq!(ids, vec![x, y]);
    }

    #[test]
    fn index_id_is_the_same_everywhere() {
        assert_eq!(index_id("default"), index_id("default"));
        assert_ne!(index_id("default"), index_id("site-7"));
    }
}
