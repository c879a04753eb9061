//! Document storage: each document is a list of Automerge chunks (an optional `save()`
//! snapshot, then incremental `save_after` chunks) in `document_chunks`, written in the same
//! transaction as the receipts and scopes that go with them. The sync hub compacts a busy
//! document into one snapshot (see `shared::sync::COMPACT_AFTER_CHUNKS`), which replaces the
//! chunks it holds and, on PostgreSQL where other relays write too, no other ([`covered`]).

use std::collections::{HashMap, HashSet};

use automerge::{Automerge, ChangeHash, ReadDoc};
use sha2::{Digest, Sha256};
use shared::access::RecordScope;

use super::{
    Receipt, Result, Store, StoreError, blobs::insert_references, notices, on_db,
    receipts::insert_receipts, write_tx,
};

/// What one sync batch writes, committed at once: one fsync for every frame in the batch.
#[derive(Default)]
pub struct SyncBatch {
    /// In order ([`SyncBatch::push_chunk`]).
    chunks: Vec<WrittenChunk>,
    /// Scopes of documents seen for the first time.
    pub scopes: HashMap<String, RecordScope>,
    /// Receipts per (person, device).
    pub receipts: HashMap<(i64, String), Vec<Receipt>>,
    /// The attachments' blobs each document references (`shared::attachments::hashes_in`),
    /// for the relay's access check on blobs (`blobs.rs`).
    pub references: HashMap<String, Vec<String>>,
    /// The documents of `chunks` ([`SyncBatch::push_chunk`]).
    written: HashSet<String>,
}

/// How many times a batch PostgreSQL rolled back to break a deadlock is run again.
const TRANSIENT_RETRIES: u64 = 5;

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

/// Appends one stored chunk (its bytes, and the heads stored with it) to `stored`.
fn add_chunk(
    stored: &mut Option<StoredDocument>,
    document: &str,
    bytes: &[u8],
    heads: Option<Vec<u8>>,
) -> Result<()> {
    let stored = stored.get_or_insert_with(|| StoredDocument {
        bytes: vec![],
        chunks: 0,
        heads: None,
    });
    stored.bytes.extend_from_slice(bytes);
    stored.chunks += 1;
    stored.heads = match heads {
        Some(heads) => Some(heads_from_blob(&heads).ok_or_else(|| {
            StoreError::Invalid(format!("document {document} has malformed heads"))
        })?),
        None => None,
    };
    Ok(())
}

/// Rows a multi-row statement writes at most: at seven values a row, well within what either
/// backend binds to one statement (SQLite 32,766 values, PostgreSQL 65,535).
pub(super) const ROWS_PER_STATEMENT: usize = 500;

impl SyncBatch {
    /// Whether committing the batch writes something of `document` (its chunks, first scope
    /// or blob references): a frame about it may acknowledge what is not durable yet.
    pub fn writes(&self, document: &str) -> bool {
        self.written.contains(document)
            || self.scopes.contains_key(document)
            || self.references.contains_key(document)
    }

    /// The chunks to store, in order.
    pub fn chunks(&self) -> &[WrittenChunk] {
        &self.chunks
    }

    /// Adds a chunk of a document to store.
    pub fn push_chunk(&mut self, chunk: WrittenChunk) {
        self.written.insert(chunk.document.clone());
        self.chunks.push(chunk);
    }

    pub fn is_empty(&self) -> bool {
        self.chunks.is_empty()
            && self.scopes.is_empty()
            && self.receipts.is_empty()
            && self.references.is_empty()
    }

    /// What committing the batch stores: each document's last snapshot in it, which replaces
    /// what storage has of the document, and the chunks to append, in order. A chunk a later
    /// snapshot of its document replaces is not written at all (the snapshot holds it).
    fn to_store(&self) -> (Vec<&WrittenChunk>, Vec<&WrittenChunk>) {
        let mut last_snapshot: HashMap<&str, usize> = HashMap::new();
        for (i, chunk) in self.chunks.iter().enumerate() {
            if chunk.replaces {
                last_snapshot.insert(&chunk.document, i);
            }
        }
        let appended = self
            .chunks
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                last_snapshot
                    .get(c.document.as_str())
                    .is_none_or(|s| i >= s)
            })
            .map(|(_, c)| c)
            .collect();
        let mut snapshots: Vec<usize> = last_snapshot.into_values().collect();
        snapshots.sort_unstable();
        (
            snapshots.into_iter().map(|i| &self.chunks[i]).collect(),
            appended,
        )
    }

    /// `stored` as `document` will be once this batch commits: its chunks in the batch laid
    /// over what storage has. A document the hub evicts and loads again within one batch (its
    /// last connection left, another asked for it) must come back with the batch's changes,
    /// or a later snapshot of the stale copy would replace them.
    pub fn over(&self, document: &str, stored: Option<StoredDocument>) -> Option<StoredDocument> {
        let mut result = stored;
        if !self.written.contains(document) {
            return result;
        }
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
        let rows: Vec<(Vec<u8>, Option<Vec<u8>>)> = self.run(async {
            on_db!(self, pool => sqlx::query_as(
                "SELECT bytes, heads FROM document_chunks WHERE document = $1 ORDER BY seq",
            )
            .bind(document)
            .fetch_all(pool)
            .await)
        })?;
        let mut stored = None;
        for (bytes, heads) in rows {
            add_chunk(&mut stored, document, &bytes, heads)?;
        }
        Ok(stored)
    }

    /// [`Store::document_bytes`] of several documents (the first [`ROWS_PER_STATEMENT`] of
    /// `documents`) in two statements: their sizes, then the chunks of as many as fit in
    /// `budget` bytes. Those are in the answer, `None` when there is none of it; the rest are
    /// left out (read them one by one).
    pub fn documents_bytes(
        &self,
        documents: &[String],
        budget: usize,
    ) -> Result<HashMap<String, Option<StoredDocument>>> {
        let documents = &documents[..documents.len().min(ROWS_PER_STATEMENT)];
        if documents.is_empty() {
            return Ok(HashMap::new());
        }
        let sizes: Vec<(String, i64)> = self.run(async {
            on_db!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT document, CAST(sum(length(bytes)) AS BIGINT) FROM document_chunks WHERE document IN (",
                );
                let mut ids = q.separated(", ");
                for id in documents {
                    ids.push_bind(id.as_str());
                }
                q.push(") GROUP BY document");
                q.build_query_as().persistent(false).fetch_all(pool).await
            })
        })?;
        let sizes: HashMap<String, usize> = sizes
            .into_iter()
            .map(|(d, n)| (d, usize::try_from(n).unwrap_or(usize::MAX)))
            .collect();
        let mut found: HashMap<String, Option<StoredDocument>> = HashMap::new();
        let mut read = vec![];
        let mut left = budget;
        for document in documents {
            match sizes.get(document) {
                None => {
                    found.insert(document.clone(), None);
                }
                Some(&size) if size <= left => {
                    left -= size;
                    read.push(document.as_str());
                }
                Some(_) => {}
            }
        }
        if read.is_empty() {
            return Ok(found);
        }
        let rows: Vec<(String, Vec<u8>, Option<Vec<u8>>)> = self.run(async {
            on_db!(self, pool => {
                let mut q = sqlx::QueryBuilder::new(
                    "SELECT document, bytes, heads FROM document_chunks WHERE document IN (",
                );
                let mut ids = q.separated(", ");
                for id in &read {
                    ids.push_bind(*id);
                }
                q.push(") ORDER BY document, seq");
                q.build_query_as().persistent(false).fetch_all(pool).await
            })
        })?;
        let mut chunks: HashMap<String, Option<StoredDocument>> = HashMap::new();
        for (document, bytes, heads) in rows {
            add_chunk(
                chunks.entry(document.clone()).or_default(),
                &document,
                &bytes,
                heads,
            )?;
        }
        // A document stored between the two statements is read one by one later; one whose
        // chunks went (replaced by a snapshot) is too.
        for document in read {
            if let Some(stored @ Some(_)) = chunks.remove(document) {
                found.insert(document.to_string(), stored);
            }
        }
        Ok(found)
    }

    /// Writes a batch in one transaction, a few multi-row statements rather than one
    /// statement a row (each statement is a round trip to the database). Returns how many
    /// receipts were new.
    pub fn commit_sync_batch(&self, batch: &SyncBatch) -> Result<usize> {
        // Held until the transaction has ended (receipts.rs: the change feed's cursor).
        let stamp = self.clock.stamp();
        let now = stamp.time;
        let (snapshots, appended) = batch.to_store();
        let scopes: Vec<(&String, &RecordScope)> = batch.scopes.iter().collect();
        let receipts: Vec<(i64, &str, &Receipt)> = batch
            .receipts
            .iter()
            .flat_map(|((person, device), receipts)| {
                receipts.iter().map(move |r| (*person, device.as_str(), r))
            })
            .collect();
        let references: Vec<(&str, &str)> = batch
            .references
            .iter()
            .flat_map(|(document, hashes)| {
                hashes.iter().map(move |h| (document.as_str(), h.as_str()))
            })
            .collect();
        // Two relays committing chunks of the same documents at once can deadlock on
        // PostgreSQL, which then rolls one transaction back: that one runs again.
        let mut attempt = 0;
        let (added, stored_scopes) = loop {
            match self.write_sync_batch(now, &snapshots, &appended, &scopes, &receipts, &references)
            {
                Err(e) if e.is_transient() && attempt < TRANSIENT_RETRIES => {
                    attempt += 1;
                    tracing::info!("storing a batch again after: {e}");
                    std::thread::sleep(std::time::Duration::from_millis(5 * attempt));
                }
                result => break result?,
            }
        };
        for id in stored_scopes {
            if let Some(scope) = batch.scopes.get(&id) {
                self.scopes.keep(&id, scope);
            }
        }
        Ok(added)
    }

    /// One attempt at [`Store::commit_sync_batch`]'s transaction: the receipts that were new,
    /// and the documents whose scopes it stored.
    fn write_sync_batch(
        &self,
        now: i64,
        snapshots: &[&WrittenChunk],
        appended: &[&WrittenChunk],
        scopes: &[(&String, &RecordScope)],
        receipts: &[(i64, &str, &Receipt)],
        references: &[(&str, &str)],
    ) -> Result<(usize, Vec<String>)> {
        let mut stored_scopes: Vec<String> = vec![];
        let added = self.run(async {
            write_tx!(self, tx => {
                // The scopes this batch stored are kept once it commits; one another relay
                // stored first stays (and is read when asked for).
                for rows in scopes.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO documents (id, kind, site, team, restricted) ",
                    );
                    q.push_values(rows, |mut row, (id, s)| {
                        row.push_bind(id.as_str())
                            .push_bind(s.kind.as_str())
                            .push_bind(s.site.as_deref())
                            .push_bind(s.team.as_deref())
                            .push_bind(s.restricted);
                    });
                    q.push(" ON CONFLICT DO NOTHING RETURNING id");
                    let inserted: Vec<String> = q
                        .build_query_scalar()
                        .persistent(false)
                        .fetch_all(&mut *tx)
                        .await?;
                    stored_scopes.extend(inserted);
                }
                if self.is_postgres() {
                    for snapshot in snapshots {
                        let stored: Vec<(i64, Option<Vec<u8>>)> = sqlx::query_as(
                            "SELECT seq, heads FROM document_chunks WHERE document = $1",
                        )
                        .bind(&snapshot.document)
                        .fetch_all(&mut *tx)
                        .await?;
                        let covered = covered(&snapshot.bytes, stored);
                        if !covered.is_empty() {
                            let mut q =
                                sqlx::QueryBuilder::new("DELETE FROM document_chunks WHERE seq IN (");
                            let mut seqs = q.separated(", ");
                            for seq in covered {
                                seqs.push_bind(seq);
                            }
                            q.push(")");
                            q.build().persistent(false).execute(&mut *tx).await?;
                        }
                    }
                } else {
                    // One relay per SQLite file: its snapshot holds every chunk.
                    for rows in snapshots.chunks(ROWS_PER_STATEMENT) {
                        let mut q =
                            sqlx::QueryBuilder::new("DELETE FROM document_chunks WHERE document IN (");
                        let mut documents = q.separated(", ");
                        for snapshot in rows {
                            documents.push_bind(snapshot.document.as_str());
                        }
                        q.push(")");
                        q.build().persistent(false).execute(&mut *tx).await?;
                    }
                }
                let mut stored: Vec<(String, i64)> = vec![];
                for rows in appended.chunks(ROWS_PER_STATEMENT) {
                    let mut q = sqlx::QueryBuilder::new(
                        "INSERT INTO document_chunks (document, name, bytes, heads) ",
                    );
                    q.push_values(rows, |mut row, chunk| {
                        row.push_bind(chunk.document.as_str())
                            .push_bind(chunk_name(&chunk.bytes))
                            .push_bind(chunk.bytes.as_slice())
                            .push_bind(heads_to_blob(&chunk.heads));
                    });
                    q.push(" ON CONFLICT DO NOTHING RETURNING document, seq");
                    let rows: Vec<(String, i64)> =
                        q.build_query_as().persistent(false).fetch_all(&mut *tx).await?;
                    stored.extend(rows);
                }
                if self.is_postgres() {
                    // Delivered to the other relays once (and only if) this commits.
                    for payload in notices::payloads(&self.relay, &stored) {
                        sqlx::query("SELECT pg_notify($1, $2)")
                            .bind(notices::CHANNEL)
                            .bind(payload)
                            .execute(&mut *tx)
                            .await?;
                    }
                }
                for rows in references.chunks(ROWS_PER_STATEMENT) {
                    insert_references!(&mut *tx, rows);
                }
                let mut added = 0;
                for rows in receipts.chunks(ROWS_PER_STATEMENT) {
                    added += insert_receipts!(&mut *tx, rows, now);
                }
                tx.commit().await?;
                Ok::<_, StoreError>(added)
            })
        })?;
        Ok((added, stored_scopes))
    }

    /// Whether any document is stored (to import an older data directory only once).
    pub fn has_documents(&self) -> Result<bool> {
        self.run(async {
            Ok(on_db!(self, pool => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM document_chunks)",
            )
            .fetch_one(pool)
            .await?))
        })
    }
}

/// The stored chunks (seq, heads) a snapshot replaces: those whose changes it holds, i.e. it
/// has every head stored with them (a chunk's changes are in the history of the heads its
/// writer had after it). A chunk another relay wrote meanwhile, which the compacting relay
/// never saw, is kept, so compaction on any relay loses nothing. Chunks stored without heads
/// come from before the relay kept them, when one relay wrote each database: replaced.
fn covered(snapshot: &[u8], stored: Vec<(i64, Option<Vec<u8>>)>) -> Vec<i64> {
    if stored.is_empty() {
        return vec![];
    }
    // Unreadable: replace nothing (the snapshot is appended after what is kept).
    let Ok(doc) = Automerge::load(snapshot) else {
        return vec![];
    };
    stored
        .into_iter()
        .filter(|(_, heads)| match heads.as_deref().map(heads_from_blob) {
            None => true,
            Some(Some(heads)) => heads.iter().all(|h| doc.get_change_by_hash(h).is_some()),
            Some(None) => false,
        })
        .map(|(seq, _)| seq)
        .collect()
}

/// A chunk's name: the SHA-256 of its bytes, in hex.
fn chunk_name(bytes: &[u8]) -> String {
    format!("{:x}", Sha256::digest(bytes))
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
