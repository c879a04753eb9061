//! The receipt log: every change the relay accepted, who sent it from which device, and when
//! the relay first received it. Its sequence numbers double as the change feed a reconnecting
//! device reads to sync only what changed.

use rusqlite::{OptionalExtension, params};
use shared::access::RecordScope;

use super::{Result, Store, now_ms};

/// A change the relay is accepting.
#[derive(Debug, Clone)]
pub struct Receipt {
    pub hash: String,
    pub document: String,
    /// The device's own time and author, from the change's metadata, when it has them.
    pub device_time: Option<i64>,
    pub author: Option<String>,
}

/// A receipt as the log holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ReceiptRow {
    pub seq: i64,
    pub hash: String,
    pub document: String,
    pub person: String,
    pub device: String,
    pub received_at: i64,
    pub device_time: Option<i64>,
    pub author: Option<String>,
}

impl Store {
    /// Logs changes received from `person` on `device`; a change already logged keeps its first
    /// receipt. Returns how many were new.
    pub fn log_receipts(&self, person: i64, device: &str, receipts: &[Receipt]) -> Result<usize> {
        let now = now_ms();
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let added = insert_receipts(&tx, person, device, receipts, now)?;
        tx.commit()?;
        Ok(added)
    }

    pub fn receipts_for(&self, document: &str) -> Result<Vec<ReceiptRow>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(
            "SELECT r.seq, r.hash, r.document, p.username, r.device, r.received_at, r.device_time, r.author
             FROM receipts r JOIN people p ON p.id = r.person WHERE r.document = ?1 ORDER BY r.seq",
        )?;
        let rows = stmt.query_map([document], |r| {
            Ok(ReceiptRow {
                seq: r.get(0)?,
                hash: r.get(1)?,
                document: r.get(2)?,
                person: r.get(3)?,
                device: r.get(4)?,
                received_at: r.get(5)?,
                device_time: r.get(6)?,
                author: r.get(7)?,
            })
        })?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }

    /// Documents with receipts after `since`, and the cursor to ask from next time.
    ///
    /// With `not_from`, receipts of changes that device delivered are left out: it had those
    /// changes when it sent them, so they are not news to it. A device's own uploads then do
    /// not make its next reconnect sync those documents again.
    pub fn changed_since(&self, since: i64, not_from: Option<&str>) -> Result<(Vec<String>, i64)> {
        let conn = self.lock();
        let cursor: i64 =
            conn.query_row("SELECT coalesce(max(seq), 0) FROM receipts", [], |r| {
                r.get(0)
            })?;
        let mut stmt = conn.prepare_cached(
            "SELECT document FROM receipts WHERE seq > ?1 AND seq <= ?2 AND device IS NOT ?3
             GROUP BY document",
        )?;
        let docs = stmt
            .query_map(params![since, cursor, not_from], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        Ok((docs, cursor))
    }

    /// Whether the relay logged any of `hashes` (hex) as a change of `document`.
    pub fn has_any_change(&self, document: &str, hashes: &[String]) -> Result<bool> {
        let conn = self.lock();
        let mut stmt =
            conn.prepare_cached("SELECT 1 FROM receipts WHERE hash = ?1 AND document = ?2")?;
        for hash in hashes {
            if stmt.exists(params![hash, document])? {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The scope a document was first seen with. A record's scope is fixed by its first upload
    /// so that a later edit cannot move it out of reach of the people who own it.
    pub fn document_scope(&self, document: &str) -> Result<Option<RecordScope>> {
        // Cached: the sync gate asks for every frame in and out.
        Ok(self
            .lock()
            .prepare_cached("SELECT kind, site, team, restricted FROM documents WHERE id = ?1")?
            .query_row([document], |r| {
                Ok(RecordScope {
                    kind: r.get(0)?,
                    site: r.get(1)?,
                    team: r.get(2)?,
                    restricted: r.get(3)?,
                })
            })
            .optional()?)
    }

    pub fn set_document_scope(&self, document: &str, scope: &RecordScope) -> Result<()> {
        self.lock().execute(
            "INSERT OR IGNORE INTO documents (id, kind, site, team, restricted) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![document, scope.kind, scope.site, scope.team, scope.restricted],
        )?;
        Ok(())
    }

    pub fn document_count(&self) -> Result<i64> {
        Ok(self
            .lock()
            .query_row("SELECT count(*) FROM documents", [], |r| r.get(0))?)
    }
}

/// Inserts receipts inside the caller's transaction; returns how many were new.
pub(super) fn insert_receipts(
    tx: &rusqlite::Connection,
    person: i64,
    device: &str,
    receipts: &[Receipt],
    now: i64,
) -> Result<usize> {
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO receipts (hash, document, person, device, received_at, device_time, author)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    let mut added = 0;
    for r in receipts {
        added += insert.execute(params![
            r.hash,
            r.document,
            person,
            device,
            now,
            r.device_time,
            r.author
        ])?;
    }
    Ok(added)
}
