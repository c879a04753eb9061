//! The relay's own records in one SQLite file in the data directory: people, sites, teams,
//! sessions, devices, the receipt log, what scope each document belongs to, and the documents
//! themselves (`documents.rs`).
//!
//! One connection behind a mutex: every statement here is small, and WAL mode keeps readers
//! and the single writer from blocking each other on disk.

mod catalog;
mod documents;
mod people;
mod receipts;
mod sessions;

use std::{
    path::Path,
    sync::{Mutex, MutexGuard},
};

use rusqlite::Connection;

pub use documents::{StoredDocument, SyncBatch, WrittenChunk};
pub use people::{NewPerson, PersonRecord};
pub use receipts::{Receipt, ReceiptRow};
pub use sessions::SessionInfo;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the relay's database failed: {0}")]
    Sql(#[from] rusqlite::Error),
    #[error("{0}")]
    Invalid(String),
    #[error("no such {0}")]
    NotFound(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub struct Store {
    conn: Mutex<Connection>,
}

/// Each entry upgrades the schema by one version; never edit a released one, append.
const MIGRATIONS: &[&str] = &[
    r#"
    CREATE TABLE people (
        id INTEGER PRIMARY KEY,
        username TEXT NOT NULL UNIQUE,
        display_name TEXT NOT NULL,
        password_hash TEXT NOT NULL,
        disabled INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL
    );
    CREATE TABLE roles (person INTEGER NOT NULL REFERENCES people(id), role TEXT NOT NULL,
                        PRIMARY KEY (person, role));
    CREATE TABLE sites (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE teams (id TEXT PRIMARY KEY, name TEXT NOT NULL);
    CREATE TABLE site_members (person INTEGER NOT NULL REFERENCES people(id),
                               site TEXT NOT NULL REFERENCES sites(id), PRIMARY KEY (person, site));
    CREATE TABLE team_members (person INTEGER NOT NULL REFERENCES people(id),
                               team TEXT NOT NULL REFERENCES teams(id), PRIMARY KEY (person, team));
    CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        person INTEGER NOT NULL REFERENCES people(id),
        first_seen INTEGER NOT NULL,
        last_seen INTEGER NOT NULL
    );
    CREATE TABLE sessions (
        token_hash TEXT PRIMARY KEY,
        person INTEGER NOT NULL REFERENCES people(id),
        device TEXT NOT NULL REFERENCES devices(id),
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
    );
    CREATE TABLE documents (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        site TEXT,
        team TEXT,
        restricted INTEGER NOT NULL DEFAULT 0
    );
    CREATE TABLE receipts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        hash TEXT NOT NULL UNIQUE,
        document TEXT NOT NULL,
        person INTEGER NOT NULL REFERENCES people(id),
        device TEXT NOT NULL,
        received_at INTEGER NOT NULL,
        device_time INTEGER,
        author TEXT
    );
    CREATE INDEX receipts_by_document ON receipts(document, seq);
"#,
    r#"
    -- Automerge chunks per document, in order: a save() snapshot, then save_after() increments.
    CREATE TABLE document_chunks (
        document TEXT NOT NULL,
        seq INTEGER NOT NULL,
        bytes BLOB NOT NULL,
        PRIMARY KEY (document, seq)
    ) WITHOUT ROWID;
"#,
    r#"
    -- The document's heads with this chunk (32-byte change hashes, concatenated), so that the
    -- sync hub can give a fresh device the stored bytes without loading them. NULL in chunks
    -- written before; the hub loads such a document to learn its heads.
    ALTER TABLE document_chunks ADD COLUMN heads BLOB;
"#,
];

impl Store {
    pub fn open(data_dir: &Path) -> Result<Store> {
        let conn = Connection::open(data_dir.join("outpost.sqlite"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a receipt or session the relay acknowledged survives power loss too.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let store = Store {
            conn: Mutex::new(conn),
        };
        store.migrate()?;
        Ok(store)
    }

    fn migrate(&self) -> Result<()> {
        let mut conn = self.lock();
        let version: usize = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            let tx = conn.transaction()?;
            tx.execute_batch(sql)?;
            tx.pragma_update(None, "user_version", i + 1)?;
            tx.commit()?;
        }
        Ok(())
    }

    fn lock(&self) -> MutexGuard<'_, Connection> {
        // A panic while holding the lock cannot leave SQLite inconsistent (transactions roll
        // back), so a poisoned lock is safe to reuse.
        self.conn.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A consistent copy of the database while the relay runs (SQLite's `VACUUM INTO`).
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::Invalid("the backup path is not valid UTF-8".into()))?;
        self.lock().execute("VACUUM INTO ?1", [dest])?;
        Ok(())
    }
}

/// Milliseconds since the epoch, for timestamps the relay records itself.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests;
