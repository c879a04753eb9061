//! Document storage: each document is a list of Automerge chunks (an optional `save()`
//! snapshot, then incremental `save_after` chunks) in `document_chunks`, written in the same
//! transaction as the receipts and scopes that go with them. The sync hub compacts a busy
//! document into one snapshot (see `shared::sync::COMPACT_AFTER_CHUNKS`).

use std::collections::HashMap;

use automerge::{Automerge, ChangeHash};
use rusqlite::params;
use shared::access::RecordScope;

use super::{Receipt, Result, Store, StoreError};

/// What one sync batch writes, committed at once: one fsync for every frame in the batch.
#[derive(Default)]
pub struct SyncBatch {
    /// In order.
    pub chunks: Vec<WrittenChunk>,
    /// Scopes of documents seen for the first time.
    pub scopes: HashMap<String, RecordScope>,
    /// Receipts per (person, device).
    pub receipts: HashMap<(i64, String), Vec<Receipt>>,
}

/// One chunk of a document to store.
pub struct WrittenChunk {
    pub document: String,
    pub bytes: Vec<u8>,
    /// A snapshot: it replaces the chunks stored before it.
    pub replaces: bool,
    /// The document's heads with this chunk.
    pub heads: Vec<ChangeHash>,
}

/// A document's stored chunks, as the sync hub loads them.
pub struct StoredDocument {
    /// The chunks in order, concatenated.
    pub bytes: Vec<u8>,
    pub chunks: u32,
    /// The heads stored with the last chunk; `None` if it was written without them.
    pub heads: Option<Vec<ChangeHash>>,
}

impl SyncBatch {
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.scopes.is_empty() && self.receipts.is_empty()
    }

    /// `stored` as `document` will be once this batch commits: its chunks in the batch laid
    /// over what storage has. A document the hub evicts and loads again within one batch (its
    /// last connection left, another asked for it) must come back with the batch's changes,
    /// or a later snapshot of the stale copy would replace them.
    pub fn over(&self, document: &str, stored: Option<StoredDocument>) -> Option<StoredDocument> {
        let mut result = stored;
        for chunk in self.chunks.iter().filter(|c| c.document == document) {
            let doc = result.get_or_insert_with(|| StoredDocument {
                bytes: vec![],
                chunks: 0,
                heads: None,
            });
            if chunk.replaces {
                doc.bytes.clear();
                doc.chunks = 0;
            }
            doc.bytes.extend_from_slice(&chunk.bytes);
            doc.chunks += 1;
            doc.heads = Some(chunk.heads.clone());
        }
        result
    }
}

impl Store {
    /// A stored document, loaded; `None` when there is none.
    pub fn load_document(&self, document: &str) -> Result<Option<Automerge>> {
        let Some(stored) = self.document_bytes(document)? else {
            return Ok(None);
        };
        let mut doc = Automerge::new();
        doc.load_incremental(&stored.bytes).map_err(|e| {
            StoreError::Invalid(format!("document {document} is unreadable in storage: {e}"))
        })?;
        Ok(Some(doc))
    }

    /// A stored document's chunks and heads, as they are; `None` when there is none.
    pub fn document_bytes(&self, document: &str) -> Result<Option<StoredDocument>> {
        let conn = self.lock();
        let mut stmt = conn.prepare_cached(
            "SELECT bytes, heads FROM document_chunks WHERE document = ?1 ORDER BY seq",
        )?;
        let mut rows = stmt.query([document])?;
        let mut stored = StoredDocument {
            bytes: vec![],
            chunks: 0,
            heads: None,
        };
        while let Some(row) = rows.next()? {
            let bytes = row.get_ref(0)?.as_blob().map_err(rusqlite::Error::from)?;
            stored.bytes.extend_from_slice(bytes);
            stored.chunks += 1;
            stored.heads = match row
                .get_ref(1)?
                .as_blob_or_null()
                .map_err(rusqlite::Error::from)?
            {
                Some(heads) => Some(heads_from_blob(heads).ok_or_else(|| {
                    StoreError::Invalid(format!("document {document} has malformed heads"))
                })?),
                None => None,
            };
        }
        Ok((stored.chunks > 0).then_some(stored))
    }

    /// Writes a batch in one transaction. Returns how many receipts were new.
    pub fn commit_sync_batch(&self, batch: &SyncBatch) -> Result<usize> {
        let mut conn = self.lock();
        // Held until the transaction has ended (receipts.rs: the change feed's cursor).
        let stamp = self.clock.stamp();
        let now = stamp.time;
        let tx = conn.transaction()?;
        let mut added = 0;
        {
            let mut scope = tx.prepare_cached(
                "INSERT OR IGNORE INTO documents (id, kind, site, team, restricted) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for (id, s) in &batch.scopes {
                scope.execute(params![id, s.kind, s.site, s.team, s.restricted])?;
            }
            let mut clear = tx.prepare_cached("DELETE FROM document_chunks WHERE document = ?1")?;
            let mut append = tx.prepare_cached(
                "INSERT INTO document_chunks (document, seq, bytes, heads) VALUES (?1,
                   (SELECT coalesce(max(seq), 0) + 1 FROM document_chunks WHERE document = ?1), ?2, ?3)",
            )?;
            for chunk in &batch.chunks {
                if chunk.replaces {
                    clear.execute([&chunk.document])?;
                }
                append.execute(params![
                    chunk.document,
                    chunk.bytes,
                    heads_to_blob(&chunk.heads)
                ])?;
            }
            for ((person, device), receipts) in &batch.receipts {
                added += super::receipts::insert_receipts(&tx, *person, device, receipts, now)?;
            }
        }
        tx.commit()?;
        Ok(added)
    }

    /// Whether any document is stored (to import an older data directory only once).
    pub fn has_documents(&self) -> Result<bool> {
        Ok(self
            .lock()
            .query_row("SELECT EXISTS (SELECT 1 FROM document_chunks)", [], |r| {
                r.get(0)
            })?)
    }
}

fn heads_to_blob(heads: &[ChangeHash]) -> Vec<u8> {
    heads.iter().flat_map(|h| h.0).collect()
}

fn heads_from_blob(blob: &[u8]) -> Option<Vec<ChangeHash>> {
    if !blob.len().is_multiple_of(32) {
        return None;
    }
    blob.chunks_exact(32)
        .map(|h| ChangeHash::try_from(h).ok())
        .collect()
}
