//! Document storage: each document is a list of Automerge chunks (an optional `save()`
//! snapshot, then incremental `save_after` chunks) in `document_chunks`, written in the same
//! transaction as the receipts and scopes that go with them. The sync hub compacts a busy
//! document into one snapshot (see `shared::sync::COMPACT_AFTER_CHUNKS`).

use std::collections::HashMap;

use automerge::Automerge;
use rusqlite::params;
use shared::access::RecordScope;

use super::{Receipt, Result, Store, StoreError};

/// What one sync batch writes, committed at once: one fsync for every frame in the batch.
#[derive(Default)]
pub struct SyncBatch {
    /// (document, chunk bytes, replaces the chunks before it), in order.
    pub chunks: Vec<(String, Vec<u8>, bool)>,
    /// Scopes of documents seen for the first time.
    pub scopes: HashMap<String, RecordScope>,
    /// Receipts per (person, device).
    pub receipts: HashMap<(i64, String), Vec<Receipt>>,
}

impl SyncBatch {
    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty() && self.scopes.is_empty() && self.receipts.is_empty()
    }
}

impl Store {
    /// A stored document and how many chunks it was read from; `None` when there is none.
    pub fn load_document(&self, document: &str) -> Result<Option<(Automerge, u32)>> {
        let conn = self.lock();
        let mut stmt = conn
            .prepare_cached("SELECT bytes FROM document_chunks WHERE document = ?1 ORDER BY seq")?;
        let mut rows = stmt.query([document])?;
        let mut doc = Automerge::new();
        let mut chunks = 0;
        while let Some(row) = rows.next()? {
            let bytes: Vec<u8> = row.get(0)?;
            doc.load_incremental(&bytes).map_err(|e| {
                StoreError::Invalid(format!("document {document} is unreadable in storage: {e}"))
            })?;
            chunks += 1;
        }
        Ok((chunks > 0).then_some((doc, chunks)))
    }

    /// Writes a batch in one transaction. Returns how many receipts were new.
    pub fn commit_sync_batch(&self, batch: &SyncBatch) -> Result<usize> {
        let now = super::now_ms();
        let mut conn = self.lock();
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
                "INSERT INTO document_chunks (document, seq, bytes) VALUES (?1,
                   (SELECT coalesce(max(seq), 0) + 1 FROM document_chunks WHERE document = ?1), ?2)",
            )?;
            for (id, bytes, replaces) in &batch.chunks {
                if *replaces {
                    clear.execute([id])?;
                }
                append.execute(params![id, bytes])?;
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
