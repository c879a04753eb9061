//! Attachments' bytes (`shared::attachments`): blobs named by their SHA-256, uploaded in
//! chunks that a device resumes after a cut, checked against their name once complete, and the
//! documents that reference each (written with the documents' chunks, `documents.rs`).
//!
//! A chunk is appended only at the offset the relay has reached (a compare-and-set on
//! `received`, the same statement on both backends), so two devices uploading the same file
//! cannot interleave; the loser is told where the upload stands and carries on from there.

use sha2::{Digest, Sha256};

use super::{Result, Store, StoreError, on_db, write_tx};

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlobState {
    /// The file's length, as its upload announced it.
    pub size: u64,
    /// Bytes received so far (all of them once complete).
    pub received: u64,
    pub complete: bool,
}

/// What appending a chunk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    /// Accepted; this many bytes are held and more are expected.
    More(u64),
    /// The file is complete and its bytes hash to its name (or it already was).
    Complete,
    /// The chunk was not at the offset the relay has reached, which is this.
    WrongOffset(u64),
    /// All bytes arrived but they do not hash to the name: they were discarded.
    Damaged,
}

fn int(n: u64) -> Result<i64> {
    i64::try_from(n).map_err(|_| StoreError::Invalid("the file is too large".into()))
}

impl Store {
    /// Where the upload of `hash` stands; `None` if nothing of it was received.
    pub fn blob_state(&self, hash: &str) -> Result<Option<BlobState>> {
        let row: Option<(i64, i64, bool)> = self.run(async {
            on_db!(self, pool => sqlx::query_as(
                "SELECT size, received, complete FROM blobs WHERE hash = $1",
            )
            .bind(hash)
            .fetch_optional(pool)
            .await)
        })?;
        Ok(row.map(|(size, received, complete)| BlobState {
            size: size as u64,
            received: received as u64,
            complete,
        }))
    }

    /// The bytes `person` has uploaded, counting the whole announced length of each upload
    /// under way: what counts in their quota. (Counting only what has arrived, uploads
    /// started side by side would each fit and together overshoot the quota.)
    pub fn blob_bytes_of(&self, person: i64) -> Result<u64> {
        let used: i64 = self.run(async {
            on_db!(self, pool => sqlx::query_scalar(
                "SELECT CAST(coalesce(sum(size), 0) AS BIGINT) FROM blobs WHERE uploaded_by = $1",
            )
            .bind(person)
            .fetch_one(pool)
            .await)
        })?;
        Ok(used as u64)
    }

    /// The documents whose attachments name `hash`.
    pub fn blob_documents(&self, hash: &str) -> Result<Vec<String>> {
        self.run(async {
            let documents: Vec<String> = on_db!(self, pool => sqlx::query_scalar(
                "SELECT document FROM blob_references WHERE hash = $1 ORDER BY document",
            )
            .bind(hash)
            .fetch_all(pool)
            .await)?;
            Ok(documents)
        })
    }

    /// Appends `bytes` at `offset` to the upload of `hash` (a file of `size` bytes) by
    /// `person`, starting it if nothing of it is held. When the last byte arrives the whole
    /// is read back and hashed: it is kept if it matches `hash`, else discarded.
    pub fn append_blob(
        &self,
        hash: &str,
        size: u64,
        person: i64,
        offset: u64,
        bytes: &[u8],
    ) -> Result<Appended> {
        let end = offset.saturating_add(bytes.len() as u64);
        if end > size {
            return Err(StoreError::Invalid(
                "the chunk goes past the end of the file (Upload-Length)".into(),
            ));
        }
        let (size_i, offset_i, end_i) = (int(size)?, int(offset)?, int(end)?);
        let appended = self.run(async {
            write_tx!(self, tx => {
                if offset == 0 {
                    sqlx::query(
                        "INSERT INTO blobs (hash, size, received, uploaded_by) VALUES ($1, $2, 0, $3)
                         ON CONFLICT DO NOTHING",
                    )
                    .bind(hash)
                    .bind(size_i)
                    .bind(person)
                    .execute(&mut *tx)
                    .await?;
                }
                // Only where the upload stands, and only for the length it was started with.
                let moved: Option<i64> = sqlx::query_scalar(
                    "UPDATE blobs SET received = $1
                     WHERE hash = $2 AND received = $3 AND size = $4 AND NOT complete
                     RETURNING received",
                )
                .bind(end_i)
                .bind(hash)
                .bind(offset_i)
                .bind(size_i)
                .fetch_optional(&mut *tx)
                .await?;
                if moved.is_none() {
                    let held: Option<(i64, i64, bool)> = sqlx::query_as(
                        "SELECT size, received, complete FROM blobs WHERE hash = $1",
                    )
                    .bind(hash)
                    .fetch_optional(&mut *tx)
                    .await?;
                    tx.rollback().await?;
                    return Ok(match held {
                        Some((_, _, true)) => Appended::Complete,
                        Some((held_size, _, _)) if held_size != size_i => {
                            return Err(StoreError::Invalid(format!(
                                "the upload of this file was started with a length of {held_size} bytes, not {size}"
                            )));
                        }
                        Some((_, received, _)) => Appended::WrongOffset(received as u64),
                        None => Appended::WrongOffset(0),
                    });
                }
                if !bytes.is_empty() {
                    sqlx::query("INSERT INTO blob_chunks (hash, start, bytes) VALUES ($1, $2, $3)")
                        .bind(hash)
                        .bind(offset_i)
                        .bind(bytes)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok::<_, StoreError>(Appended::More(end))
            })
        })?;
        if appended != Appended::More(size) {
            return Ok(appended);
        }
        self.finish_blob(hash)
    }

    /// The last byte of `hash` arrived: it is complete if its bytes hash to its name, and
    /// discarded otherwise. Hashed a chunk at a time, outside any write transaction (a 50 MB
    /// file takes a while, and the sync hub writes meanwhile).
    fn finish_blob(&self, hash: &str) -> Result<Appended> {
        let mut hasher = Sha256::new();
        self.each_blob_chunk(hash, |chunk| hasher.update(chunk))?;
        let intact = format!("{:x}", hasher.finalize()) == hash;
        self.run(async {
            write_tx!(self, tx => {
                if intact {
                    sqlx::query("UPDATE blobs SET complete = TRUE WHERE hash = $1")
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                } else {
                    // Chunks go with their blob (ON DELETE CASCADE).
                    sqlx::query("DELETE FROM blob_chunks WHERE hash = $1")
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                    sqlx::query("DELETE FROM blobs WHERE hash = $1 AND NOT complete")
                        .bind(hash)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok::<_, StoreError>(())
            })
        })?;
        Ok(if intact {
            Appended::Complete
        } else {
            Appended::Damaged
        })
    }

    /// Hands the chunks of `hash` to `f` in order, one in memory at a time.
    pub fn each_blob_chunk(&self, hash: &str, mut f: impl FnMut(&[u8])) -> Result<()> {
        let mut at = 0;
        while let Some(chunk) = self.blob_chunk(hash, at)? {
            at += chunk.len() as u64;
            f(&chunk);
        }
        Ok(())
    }

    /// The chunk of `hash` that starts at byte `at`, if any: blobs are read (and served) one
    /// chunk at a time, so memory stays bounded whatever the file's size.
    pub fn blob_chunk(&self, hash: &str, at: u64) -> Result<Option<Vec<u8>>> {
        let at = int(at)?;
        self.run(async {
            let chunk: Option<Vec<u8>> = on_db!(self, pool => sqlx::query_scalar(
                "SELECT bytes FROM blob_chunks WHERE hash = $1 AND start = $2",
            )
            .bind(hash)
            .bind(at)
            .fetch_optional(pool)
            .await)?;
            Ok(chunk)
        })
    }
}

/// Inserts `(document, hash)` references (a slice of at most `ROWS_PER_STATEMENT`), once
/// each, in the transaction `$tx`.
macro_rules! insert_references {
    ($tx:expr, $rows:expr) => {{
        let mut q = sqlx::QueryBuilder::new("INSERT INTO blob_references (hash, document) ");
        q.push_values($rows, |mut row, (document, hash): &(&str, &str)| {
            row.push_bind(*hash).push_bind(*document);
        });
        q.push(" ON CONFLICT DO NOTHING");
        q.build().persistent(false).execute($tx).await?;
    }};
}

pub(super) use insert_references;
