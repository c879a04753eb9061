//! The receipt log: every change the relay accepted, who sent it from which device, and when
//! the relay first received it. Its receipt times double as the change feed a reconnecting
//! device reads to sync only what changed.
//!
//! The feed's cursor is a time on the relay's clock, not the log's sequence number: a sequence
//! number would tell every reader how many changes the relay accepted in scopes they cannot
//! see between two of their reads; the clock tells nothing about anyone. [`FeedClock`] makes
//! the times exact: no receipt committed after a feed answer is stamped at or before its
//! cursor, so the next answer has it.

use std::{collections::BTreeMap, sync::Mutex};

use shared::access::RecordScope;

use super::{Result, Store, now_ms, on_db, write_tx};

/// Receipt stamps and feed cursors, shared by every connection of one relay process to its
/// database. Times are the wall clock's, except that stamps never go back and are always
/// after the last cursor, and a cursor stays before every stamp still being committed (a
/// transaction other readers cannot see yet).
#[derive(Default)]
pub(super) struct FeedClock {
    state: Mutex<ClockState>,
}

#[derive(Default)]
struct ClockState {
    last_stamp: i64,
    last_cursor: i64,
    /// Stamps handed out whose transactions have not ended, with how many hold each.
    pending: BTreeMap<i64, usize>,
}

/// A stamp in use: hold it until the transaction that writes it has ended.
pub(super) struct Stamp<'a> {
    clock: &'a FeedClock,
    pub(super) time: i64,
}

impl Drop for Stamp<'_> {
    fn drop(&mut self) {
        let mut state = self.clock.lock();
        if let Some(n) = state.pending.get_mut(&self.time) {
            *n -= 1;
            if *n == 0 {
                state.pending.remove(&self.time);
            }
        }
    }
}

impl FeedClock {
    /// Starts after everything stamped before (by an earlier run of the relay).
    pub(super) fn after(last_stamp: i64) -> Self {
        Self {
            state: Mutex::new(ClockState {
                last_stamp,
                last_cursor: last_stamp,
                pending: BTreeMap::new(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, ClockState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The time to stamp receipts about to be committed with.
    pub(super) fn stamp(&self) -> Stamp<'_> {
        let mut state = self.lock();
        let time = now_ms().max(state.last_stamp).max(state.last_cursor + 1);
        state.last_stamp = time;
        *state.pending.entry(time).or_default() += 1;
        Stamp { clock: self, time }
    }

    /// A cursor: every receipt stamped at or before it is committed, every later one is
    /// stamped after it.
    fn cursor(&self) -> i64 {
        let mut state = self.lock();
        let mut time = now_ms().max(state.last_stamp).max(state.last_cursor);
        if let Some((&first_pending, _)) = state.pending.first_key_value() {
            time = time.min(first_pending - 1);
        }
        state.last_cursor = time;
        time
    }
}

/// A change the relay is accepting.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub hash: String,
    pub document: String,
    /// The device's own time and author, from the change's metadata, when it has them.
    pub device_time: Option<i64>,
    pub author: Option<String>,
}

/// A receipt as the log holds it: what `GET /api/documents/{id}/receipts` lists.
pub use shared::api::Receipt as ReceiptRow;

impl Store {
    /// Logs changes received from `person` on `device`; a change already logged keeps its first
    /// receipt. Returns how many were new.
    pub fn log_receipts(&self, person: i64, device: &str, receipts: &[Receipt]) -> Result<usize> {
        let stamp = self.clock.stamp();
        let now = stamp.time;
        self.run(async {
            write_tx!(self, tx => {
                let rows: Vec<(i64, &str, &Receipt)> =
                    receipts.iter().map(|r| (person, device, r)).collect();
                let mut added = 0;
                for rows in rows.chunks(super::documents::ROWS_PER_STATEMENT) {
                    added += insert_receipts!(&mut *tx, rows, now);
                }
                tx.commit().await?;
                Ok(added)
            })
        })
    }

    pub fn receipts_for(&self, document: &str) -> Result<Vec<ReceiptRow>> {
        type Row = (
            i64,
            String,
            String,
            String,
            String,
            i64,
            Option<i64>,
            Option<String>,
        );
        let rows: Vec<Row> = self.run(async {
            on_db!(self, pool => sqlx::query_as(
                "SELECT r.seq, r.hash, r.document, p.username, r.device, r.received_at, r.device_time, r.author
                 FROM receipts r JOIN people p ON p.id = r.person WHERE r.document = $1 ORDER BY r.seq",
            )
            .bind(document)
            .fetch_all(pool)
            .await)
        })?;
        Ok(rows
            .into_iter()
            .map(
                |(seq, hash, document, person, device, received_at, device_time, author)| {
                    ReceiptRow {
                        seq,
                        hash,
                        document,
                        person,
                        device,
                        received_at,
                        device_time,
                        author,
                    }
                },
            )
            .collect())
    }

    /// Documents with receipts after the cursor `since`, and the cursor to ask from next time
    /// (see the module docs). A cursor from the future (this relay's clock was set back since
    /// it was handed out) asks for everything: nothing is missed.
    ///
    /// With `not_from`, receipts of changes that device delivered are left out: it had those
    /// changes when it sent them, so they are not news to it. A device's own uploads then do
    /// not make its next reconnect sync those documents again.
    pub fn changed_since(&self, since: i64, not_from: Option<&str>) -> Result<(Vec<String>, i64)> {
        let cursor = self.clock.cursor();
        let since = if since > cursor { 0 } else { since };
        let docs = self.run(async {
            on_db!(self, pool => sqlx::query_scalar(
                "SELECT document FROM receipts
                 WHERE received_at > $1 AND received_at <= $2 AND device IS DISTINCT FROM $3
                 GROUP BY document ORDER BY document",
            )
            .bind(since)
            .bind(cursor)
            .bind(not_from)
            .fetch_all(pool)
            .await)
        })?;
        Ok((docs, cursor))
    }

    /// Whether the relay logged any of `hashes` (hex) as a change of `document`.
    pub fn has_any_change(&self, document: &str, hashes: &[String]) -> Result<bool> {
        self.run(async {
            for hash in hashes {
                let found: bool = on_db!(self, pool => sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM receipts WHERE hash = $1 AND document = $2)",
                )
                .bind(hash)
                .bind(document)
                .fetch_one(pool)
                .await?);
                if found {
                    return Ok(true);
                }
            }
            Ok(false)
        })
    }

    /// The scope a document was first seen with. A record's scope is fixed by its first upload
    /// so that a later edit cannot move it out of reach of the people who own it.
    pub fn document_scope(&self, document: &str) -> Result<Option<RecordScope>> {
        if let Some(scope) = self.scopes.get(document) {
            return Ok(Some(scope));
        }
        let row: Option<(String, Option<String>, Option<String>, bool)> = self.run(async {
            on_db!(self, pool => sqlx::query_as(
                "SELECT kind, site, team, restricted FROM documents WHERE id = $1",
            )
            .bind(document)
            .fetch_optional(pool)
            .await)
        })?;
        let scope = row.map(|(kind, site, team, restricted)| RecordScope {
            kind,
            site,
            team,
            restricted,
        });
        if let Some(scope) = &scope {
            self.scopes.keep(document, scope);
        }
        Ok(scope)
    }

    pub fn set_document_scope(&self, document: &str, scope: &RecordScope) -> Result<()> {
        self.run(async {
            on_db!(self, pool => sqlx::query(
                "INSERT INTO documents (id, kind, site, team, restricted) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT DO NOTHING",
            )
            .bind(document)
            .bind(&scope.kind)
            .bind(&scope.site)
            .bind(&scope.team)
            .bind(scope.restricted)
            .execute(pool)
            .await.map(|_| ()))
        })?;
        Ok(())
    }

    /// Gives a document the scope the relay derives for it, whatever it had: for the relay's
    /// own index documents (server/src/indexes.rs), never for records.
    pub fn derive_document_scope(&self, document: &str, scope: &RecordScope) -> Result<()> {
        self.run(async {
            on_db!(self, pool => sqlx::query(
                "INSERT INTO documents (id, kind, site, team, restricted) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, site = excluded.site,
                     team = excluded.team, restricted = excluded.restricted",
            )
            .bind(document)
            .bind(&scope.kind)
            .bind(&scope.site)
            .bind(&scope.team)
            .bind(scope.restricted)
            .execute(pool)
            .await.map(|_| ()))
        })?;
        self.scopes.forget(document);
        Ok(())
    }

    /// Documents with stored content (the relay also knows the scopes of index documents
    /// nobody has written yet).
    pub fn document_count(&self) -> Result<i64> {
        self.run(async {
            Ok(on_db!(self, pool => sqlx::query_scalar(
                "SELECT count(DISTINCT document) FROM document_chunks",
            )
            .fetch_one(pool)
            .await?))
        })
    }
}

/// Inserts receipts, `$rows` a non-empty slice of (person, device, receipt), in one statement
/// with the caller's transaction (`$tx`, either backend's); evaluates to how many were new.
macro_rules! insert_receipts {
    ($tx:expr, $rows:expr, $now:expr) => {{
        let mut q = sqlx::QueryBuilder::new(
            "INSERT INTO receipts (hash, document, person, device, received_at, device_time, author) ",
        );
        q.push_values($rows, |mut row, (person, device, r)| {
            row.push_bind(r.hash.as_str())
                .push_bind(r.document.as_str())
                .push_bind(*person)
                .push_bind(*device)
                .push_bind($now)
                .push_bind(r.device_time)
                .push_bind(r.author.as_deref());
        });
        q.push(" ON CONFLICT DO NOTHING");
        q.build().persistent(false).execute($tx).await?.rows_affected() as usize
    }};
}

pub(super) use insert_receipts;
