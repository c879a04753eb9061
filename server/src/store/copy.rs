//! `outpost migrate-to`: everything one store keeps, copied into another that is empty (an
//! SQLite data directory moving into PostgreSQL). The source is read in one transaction, so
//! the copy is consistent even while a relay still writes; the target is written in one, so
//! a failed copy leaves it empty. Rows keep their ids and sequence numbers: sessions, device
//! secrets, receipts and the change feed's cursors stay valid.

use sqlx::Connection;

use super::{Db, Result, Store, StoreError, on_db, write_tx};

/// What was copied, for the command's report.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Copied {
    pub people: usize,
    pub documents: usize,
    pub chunks: usize,
    pub receipts: usize,
    /// Attachments' blobs, complete or partly uploaded.
    pub blobs: usize,
}

/// Rows read per query from the tables that grow with use (chunks, receipts).
const PAGE: i64 = 500;
/// Blob chunks (up to 1 MiB each) read per query: what the copy holds in memory at once.
const BLOB_PAGE: i64 = 8;

type Person = (i64, String, String, String, bool, i64);
type Pair = (String, String);
type Member = (i64, String);
type Device = (String, i64, i64, i64, Option<String>);
type Session = (String, i64, String, i64, i64);
type Document = (String, String, Option<String>, Option<String>, bool);
type Receipt = (
    i64,
    String,
    String,
    i64,
    String,
    i64,
    Option<i64>,
    Option<String>,
);
type Chunk = (i64, String, String, Vec<u8>, Option<Vec<u8>>);
type Blob = (String, i64, i64, i64, bool);
type BlobChunk = (i64, String, i64, Vec<u8>);

impl Store {
    /// Copies everything this store keeps into `target`, which must be empty.
    pub fn copy_into(&self, target: &Store) -> Result<Copied> {
        if target.people_count()? > 0 || target.has_documents()? {
            return Err(StoreError::Conflict(
                "the target database already has people or documents; copy into an empty one"
                    .into(),
            ));
        }
        let mut copied = Copied::default();
        // One future for both stores: each store's thread drives its own connections, and
        // `run` must not nest.
        self.run(async {
            on_db!(self, source => {
                let mut src = source.begin().await?;
                {
                    write_tx!(target, tx => {
                        copy_rows!(src, tx, Person,
                            "SELECT id, username, display_name, password_hash, disabled, created_at FROM people ORDER BY id",
                            "INSERT INTO people (id, username, display_name, password_hash, disabled, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
                            |q, r| q.bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4).bind(r.5), copied.people);
                        copy_rows!(src, tx, Pair, "SELECT id, name FROM sites", "INSERT INTO sites (id, name) VALUES ($1, $2)",
                            |q, r| q.bind(r.0).bind(r.1), ());
                        copy_rows!(src, tx, Pair, "SELECT id, name FROM teams", "INSERT INTO teams (id, name) VALUES ($1, $2)",
                            |q, r| q.bind(r.0).bind(r.1), ());
                        copy_rows!(src, tx, Member, "SELECT person, role FROM roles", "INSERT INTO roles (person, role) VALUES ($1, $2)",
                            |q, r| q.bind(r.0).bind(r.1), ());
                        copy_rows!(src, tx, Member, "SELECT person, site FROM site_members", "INSERT INTO site_members (person, site) VALUES ($1, $2)",
                            |q, r| q.bind(r.0).bind(r.1), ());
                        copy_rows!(src, tx, Member, "SELECT person, team FROM team_members", "INSERT INTO team_members (person, team) VALUES ($1, $2)",
                            |q, r| q.bind(r.0).bind(r.1), ());
                        copy_rows!(src, tx, Device,
                            "SELECT id, person, first_seen, last_seen, secret_hash FROM devices",
                            "INSERT INTO devices (id, person, first_seen, last_seen, secret_hash) VALUES ($1, $2, $3, $4, $5)",
                            |q, r| q.bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4), ());
                        copy_rows!(src, tx, Session,
                            "SELECT token_hash, person, device, created_at, expires_at FROM sessions",
                            "INSERT INTO sessions (token_hash, person, device, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)",
                            |q, r| q.bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4), ());
                        copy_rows!(src, tx, Document,
                            "SELECT id, kind, site, team, restricted FROM documents",
                            "INSERT INTO documents (id, kind, site, team, restricted) VALUES ($1, $2, $3, $4, $5)",
                            |q, r| q.bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4), copied.documents);
                        copy_pages!(src, tx, Receipt,
                            "SELECT seq, hash, document, person, device, received_at, device_time, author FROM receipts
                             WHERE seq > $1 ORDER BY seq LIMIT $2",
                            "INSERT INTO receipts (seq, hash, document, person, device, received_at, device_time, author)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                            |q, r| q.bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4).bind(r.5).bind(r.6).bind(r.7),
                            copied.receipts, PAGE);
                        copy_pages!(src, tx, Chunk,
                            "SELECT seq, document, name, bytes, heads FROM document_chunks WHERE seq > $1 ORDER BY seq LIMIT $2",
                            "INSERT INTO document_chunks (seq, document, name, bytes, heads) VALUES ($1, $2, $3, $4, $5)",
                            |q, r| q.bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4), copied.chunks, PAGE);
                        copy_rows!(src, tx, Blob,
                            "SELECT hash, size, received, uploaded_by, complete FROM blobs",
                            "INSERT INTO blobs (hash, size, received, uploaded_by, complete) VALUES ($1, $2, $3, $4, $5)",
                            |q, r| q.bind(r.0).bind(r.1).bind(r.2).bind(r.3).bind(r.4), copied.blobs);
                        copy_pages!(src, tx, BlobChunk,
                            "SELECT seq, hash, start, bytes FROM blob_chunks WHERE seq > $1 ORDER BY seq LIMIT $2",
                            "INSERT INTO blob_chunks (seq, hash, start, bytes) VALUES ($1, $2, $3, $4)",
                            |q, r| q.bind(r.0).bind(r.1).bind(r.2).bind(r.3), (), BLOB_PAGE);
                        copy_rows!(src, tx, Pair, "SELECT hash, document FROM blob_references",
                            "INSERT INTO blob_references (hash, document) VALUES ($1, $2)",
                            |q, r| q.bind(r.0).bind(r.1), ());
                        let revision: i64 = sqlx::query_scalar("SELECT revision FROM access_revision")
                            .fetch_one(&mut *src)
                            .await?;
                        sqlx::query("UPDATE access_revision SET revision = $1")
                            .bind(revision)
                            .execute(&mut *tx)
                            .await?;
                        // PostgreSQL's identity columns do not follow explicit ids; SQLite's
                        // AUTOINCREMENT does.
                        if let Db::Postgres(_) = target.db {
                            for sql in RESTART_IDENTITIES {
                                sqlx::query(*sql).execute(&mut *tx).await?;
                            }
                        }
                        tx.commit().await?;
                    })
                }
                src.rollback().await?;
                Ok::<_, StoreError>(())
            })
        })?;
        Ok(copied)
    }
}

/// After a copy into PostgreSQL: new ids follow the copied ones.
const RESTART_IDENTITIES: &[&str] = &[
    "SELECT setval(pg_get_serial_sequence('people', 'id'), (SELECT coalesce(max(id), 0) + 1 FROM people), false)",
    "SELECT setval(pg_get_serial_sequence('receipts', 'seq'), (SELECT coalesce(max(seq), 0) + 1 FROM receipts), false)",
    "SELECT setval(pg_get_serial_sequence('document_chunks', 'seq'), (SELECT coalesce(max(seq), 0) + 1 FROM document_chunks), false)",
    "SELECT setval(pg_get_serial_sequence('blob_chunks', 'seq'), (SELECT coalesce(max(seq), 0) + 1 FROM blob_chunks), false)",
];

/// Copies every row `$select` reads from `$src` into `$tx` with `$insert`; adds the count to
/// `$count` (or `()` to not count).
macro_rules! copy_rows {
    ($src:ident, $tx:ident, $row:ty, $select:expr, $insert:expr, |$q:ident, $r:ident| $bind:expr, $count:expr) => {{
        let rows: Vec<$row> = sqlx::query_as($select).fetch_all(&mut *$src).await?;
        let n = rows.len();
        for $r in rows {
            let $q = sqlx::query($insert);
            $bind.execute(&mut *$tx).await?;
        }
        add(&mut $count, n);
    }};
}

/// [`copy_rows!`] for the tables that grow with use, a page of `$page` rows at a time by their
/// sequence number (the row's first column).
macro_rules! copy_pages {
    ($src:ident, $tx:ident, $row:ty, $select:expr, $insert:expr, |$q:ident, $r:ident| $bind:expr, $count:expr, $page:expr) => {{
        let mut after: i64 = 0;
        loop {
            let rows: Vec<$row> = sqlx::query_as($select)
                .bind(after)
                .bind($page)
                .fetch_all(&mut *$src)
                .await?;
            let Some(last) = rows.last() else { break };
            after = last.0;
            add(&mut $count, rows.len());
            for $r in rows {
                let $q = sqlx::query($insert);
                $bind.execute(&mut *$tx).await?;
            }
        }
    }};
}

use {copy_pages, copy_rows};

/// Counts copied rows into a total, or nowhere (`()`).
trait Count {
    fn add(&mut self, n: usize);
}

impl Count for usize {
    fn add(&mut self, n: usize) {
        *self += n;
    }
}

impl Count for () {
    fn add(&mut self, _: usize) {}
}

fn add(count: &mut impl Count, n: usize) {
    count.add(n);
}
