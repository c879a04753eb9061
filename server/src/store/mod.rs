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
    path::{Path, PathBuf},
    sync::{Arc, Mutex, MutexGuard},
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
    /// The request clashes with what exists (e.g. another person's device id).
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

pub struct Store {
    conn: Mutex<Connection>,
    /// Receipt times and change-feed cursors (receipts.rs), shared with the other connections
    /// of this process ([`Store::another_connection`]).
    clock: Arc<receipts::FeedClock>,
    dir: PathBuf,
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
    r#"
    -- Bumped by every change to who may do what, whichever process made it (the relay's API or
    -- `outpost user …` on the same file): the relay polls it and re-checks its open sync
    -- connections (server/src/revocation.rs). Triggers, so no code path can forget it.
    CREATE TABLE access_revision (id INTEGER PRIMARY KEY CHECK (id = 1), revision INTEGER NOT NULL);
    INSERT INTO access_revision (id, revision) VALUES (1, 0);
    CREATE TRIGGER access_people AFTER UPDATE OF disabled, password_hash ON people
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_role_granted AFTER INSERT ON roles
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_role_revoked AFTER DELETE ON roles
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_site_joined AFTER INSERT ON site_members
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_site_left AFTER DELETE ON site_members
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_team_joined AFTER INSERT ON team_members
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_team_left AFTER DELETE ON team_members
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    CREATE TRIGGER access_session_ended AFTER DELETE ON sessions
        BEGIN UPDATE access_revision SET revision = revision + 1; END;
    -- A device's secret (its hash), handed to it as a cookie at sign-in: how sign-in knows
    -- a person's own device (auth/throttle.rs).
    ALTER TABLE devices ADD COLUMN secret_hash TEXT;
    -- The change feed's cursor is the relay's clock (receipts.rs says why).
    CREATE INDEX receipts_by_time ON receipts(received_at);
"#,
];

impl Store {
    pub fn open(data_dir: &Path) -> Result<Store> {
        let mut store = Store::connect(data_dir, Default::default())?;
        store.migrate()?;
        let last: i64 = store.lock().query_row(
            "SELECT coalesce(max(received_at), 0) FROM receipts",
            [],
            |r| r.get(0),
        )?;
        store.clock = Arc::new(receipts::FeedClock::after(last));
        Ok(store)
    }

    /// A second connection to the same database (the sync hub's own), sharing this one's
    /// clock.
    pub fn another_connection(&self) -> Result<Store> {
        Store::connect(&self.dir, self.clock.clone())
    }

    fn connect(data_dir: &Path, clock: Arc<receipts::FeedClock>) -> Result<Store> {
        let conn = Connection::open(data_dir.join("outpost.sqlite"))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a receipt or session the relay acknowledged survives power loss too.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", true)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(Store {
            conn: Mutex::new(conn),
            clock,
            dir: data_dir.to_path_buf(),
        })
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

    /// The access revision (see the schema): changes whenever anyone's access may have.
    pub fn access_revision(&self) -> Result<i64> {
        Ok(self
            .lock()
            .query_row("SELECT revision FROM access_revision", [], |r| r.get(0))?)
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
