//! The relay's own records: people, sites, teams, sessions, devices, the receipt log, what
//! scope each document belongs to, and the documents themselves (`documents.rs`), in one
//! database: an SQLite file in the data directory (the default), or PostgreSQL, which any
//! number of relays share (`--database`, [`Database`]).
//!
//! One type for both backends, [`Store`], over an enum of the two connection pools rather than
//! a trait with two implementations: each query is written once, as static SQL both dialects
//! accept, and [`on_db!`] instantiates the code that runs it for each pool, so the compiler
//! checks it against both and the two cannot drift apart. Where the dialects differ
//! (migrations, how a writing transaction begins, backup) the code says so in one place.
//!
//! The interface is synchronous, as its callers (the sync hub's thread, the HTTP handlers,
//! the command line) are: a call runs its query on the calling thread, within the store's own
//! runtime ([`Store::run`]) whose thread drives the database's sockets and timers (sqlx is
//! async). A call therefore never waits for the caller's runtime, whichever that is.
//!
//! Each statement is a round trip to another thread (sqlx runs every SQLite connection on a
//! thread of its own) or to the PostgreSQL server, so the sync hub's path is built to make
//! few: records' scopes are kept in memory (`scopes.rs`), a batch commits in a few multi-row
//! statements (`documents.rs`), and the hub has a connection of its own rather than checking
//! one out of the pool for each query (`own.rs`).

mod blobs;
mod catalog;
mod copy;
mod documents;
mod notices;
mod own;
mod people;
mod receipts;
mod scopes;
mod sessions;

use std::{
    collections::BTreeSet,
    future::Future,
    path::{Path, PathBuf},
    str::FromStr,
    sync::Arc,
    time::Duration,
};

use shared::access::Role;
use sqlx::{
    Row,
    migrate::{Migration, MigrationType, Migrator},
    postgres::{PgConnectOptions, PgPool, PgPoolOptions},
    sqlite::{
        SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
    },
};

pub use blobs::{Appended, BlobState};
pub use copy::Copied;
pub use documents::{StoredDocument, SyncBatch, WrittenChunk};
pub use notices::Notice;
pub use people::{NewPerson, PersonRecord};
pub use receipts::{Receipt, ReceiptRow};
pub use sessions::SessionInfo;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("the relay's database failed: {0}")]
    Sql(#[from] sqlx::Error),
    #[error("the relay's database could not be brought up to date: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    #[error("{0}")]
    Invalid(String),
    #[error("no such {0}")]
    NotFound(String),
    /// The request clashes with what exists (e.g. another person's device id).
    #[error("{0}")]
    Conflict(String),
}

pub type Result<T> = std::result::Result<T, StoreError>;

impl StoreError {
    /// PostgreSQL ended the transaction to untangle it from another one (a deadlock, or a
    /// serialization failure): it was rolled back whole, and running it again is safe.
    pub fn is_transient(&self) -> bool {
        match self {
            StoreError::Sql(sqlx::Error::Database(e)) => {
                matches!(e.code().as_deref(), Some("40P01" | "40001"))
            }
            _ => false,
        }
    }
}

/// Where the relay keeps its records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Database {
    /// An SQLite file (created if missing).
    Sqlite(PathBuf),
    /// A PostgreSQL connection URL (`postgres://user:password@host:port/database`).
    Postgres(String),
}

impl Database {
    /// `--database`: a `postgres://` (or `postgresql://`) URL, or the path of an SQLite file;
    /// without it, `outpost.sqlite` in the data directory.
    pub fn from_arg(arg: Option<&str>, data_dir: &Path) -> Database {
        match arg {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Database::Postgres(url.to_string())
            }
            Some(path) => Database::Sqlite(PathBuf::from(path)),
            None => Database::Sqlite(data_dir.join("outpost.sqlite")),
        }
    }

    /// For messages: the file, or the URL without its password.
    pub fn describe(&self) -> String {
        match self {
            Database::Sqlite(path) => path.display().to_string(),
            Database::Postgres(url) => match url::Url::parse(url) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("…"));
                    }
                    url.to_string()
                }
                Err(_) => "a PostgreSQL database".into(),
            },
        }
    }
}

/// The relay's records. Cheap to clone: clones share the connection pool.
#[derive(Clone)]
pub struct Store {
    db: Db,
    /// The sync hub's handle ([`Store::another_connection`]): a connection of its own, so
    /// each of its queries is one round trip, without the pool's check-out and check-in
    /// (each of which pings the connection).
    own: Option<Arc<own::Own>>,
    runtime: Arc<DbRuntime>,
    /// Receipt times and change-feed cursors (receipts.rs), shared by every clone.
    clock: Arc<receipts::FeedClock>,
    /// Records' scopes (scopes.rs), shared by every clone.
    scopes: Arc<scopes::ScopeCache>,
    /// This relay process, in its notices to the others (notices.rs).
    relay: Arc<str>,
    /// Roles whose holders are CAB members besides change managers (`--cab-role`): people
    /// read from the store are marked so (`Person::cab`).
    cab_roles: Arc<BTreeSet<Role>>,
}

#[derive(Clone)]
enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// Runs `$body` with `$pool` bound to whichever pool (or connection of its own) the store
/// has: the same code, compiled once per backend. On the hub's own PostgreSQL connection, an
/// error `$body` evaluates to (or a `?` leaving it) has the connection checked before its next
/// use (`own.rs`).
macro_rules! on_db {
    ($store:expr, $pool:ident => $body:expr) => {
        match (&$store.db, $store.own.as_deref()) {
            (_, Some($crate::store::own::Own::Sqlite(own))) => {
                let mut own = own.lock().await;
                #[allow(unused_mut)]
                let mut $pool = &mut *own;
                $body
            }
            (_, Some($crate::store::own::Own::Postgres(own))) => {
                let mut own = own.lock().await;
                let result = {
                    #[allow(unused_mut)]
                    let mut $pool = own.connection().await?;
                    $body
                };
                if $crate::store::own::succeeded(&result) {
                    own.succeeded();
                }
                result
            }
            ($crate::store::Db::Sqlite($pool), None) => $body,
            ($crate::store::Db::Postgres($pool), None) => $body,
        }
    };
}

/// Runs `$body` with `$tx` a transaction that will write: on SQLite it takes the write lock at
/// once (`BEGIN IMMEDIATE`), so two writers wait for each other (busy timeout) instead of one
/// failing when it upgrades a read lock. `$body` commits.
macro_rules! write_tx {
    ($store:expr, $tx:ident => $body:expr) => {
        match (&$store.db, $store.own.as_deref()) {
            (_, Some($crate::store::own::Own::Sqlite(own))) => {
                let mut own = own.lock().await;
                #[allow(unused_mut)]
                let mut $tx = sqlx::Connection::begin_with(&mut *own, "BEGIN IMMEDIATE").await?;
                $body
            }
            (_, Some($crate::store::own::Own::Postgres(own))) => {
                let mut own = own.lock().await;
                let result = {
                    #[allow(unused_mut)]
                    let mut $tx = sqlx::Connection::begin(own.connection().await?).await?;
                    $body
                };
                if $crate::store::own::succeeded(&result) {
                    own.succeeded();
                }
                result
            }
            ($crate::store::Db::Sqlite(pool), None) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin_with("BEGIN IMMEDIATE").await?;
                $body
            }
            ($crate::store::Db::Postgres(pool), None) => {
                #[allow(unused_mut)]
                let mut $tx = pool.begin().await?;
                $body
            }
        }
    };
}

pub(crate) use {on_db, write_tx};

/// The store's runtime: one thread that drives the database connections' I/O and timers.
struct DbRuntime(Option<tokio::runtime::Runtime>);

impl Drop for DbRuntime {
    fn drop(&mut self) {
        // Not `Runtime::drop`, which refuses to run within another runtime (a test's, the
        // relay's).
        if let Some(runtime) = self.0.take() {
            runtime.shutdown_background();
        }
    }
}

/// Connections per relay process: the sync hub writes on one while HTTP requests read on the
/// others. SQLite has one writer at a time whatever this is.
const POOL_SIZE: u32 = 4;
/// How long a statement waits for a lock (SQLite) or a connection (both) before failing.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

impl Store {
    /// The default database of a data directory: `outpost.sqlite` in it.
    pub fn open(data_dir: &Path) -> Result<Store> {
        Store::connect(&Database::Sqlite(data_dir.join("outpost.sqlite")))
    }

    /// The store that marks holders of `roles` as CAB members (`Person::cab`).
    pub fn with_cab_roles(mut self, roles: BTreeSet<Role>) -> Store {
        self.cab_roles = Arc::new(roles);
        self
    }

    /// Opens (creating if needed) the database and brings its schema up to date.
    pub fn connect(database: &Database) -> Result<Store> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .thread_name("outpost-db")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Invalid(format!("cannot start the database's thread: {e}")))?;
        let runtime = Arc::new(DbRuntime(Some(runtime)));
        let db = Store::block_on(&runtime, async {
            let db = match database {
                Database::Sqlite(path) => {
                    let options = SqliteConnectOptions::new()
                        .filename(path)
                        .create_if_missing(true)
                        .journal_mode(SqliteJournalMode::Wal)
                        // FULL: a receipt or session the relay acknowledged survives power
                        // loss too.
                        .synchronous(SqliteSynchronous::Full)
                        .foreign_keys(true)
                        .busy_timeout(BUSY_TIMEOUT);
                    Db::Sqlite(
                        SqlitePoolOptions::new()
                            .max_connections(POOL_SIZE)
                            .acquire_timeout(BUSY_TIMEOUT)
                            // A file on this machine: a connection the pool hands out does
                            // not need a round trip first to prove it is alive.
                            .test_before_acquire(false)
                            .connect_with(options)
                            .await?,
                    )
                }
                Database::Postgres(url) => {
                    let options = PgConnectOptions::from_str(url)?;
                    Db::Postgres(
                        PgPoolOptions::new()
                            .max_connections(POOL_SIZE)
                            .acquire_timeout(BUSY_TIMEOUT)
                            .connect_with(options)
                            .await?,
                    )
                }
            };
            migrate(&db).await?;
            Ok::<_, StoreError>(db)
        })?;
        let mut store = Store {
            db,
            own: None,
            runtime,
            clock: Default::default(),
            scopes: Default::default(),
            relay: sessions::random_token().into(),
            cab_roles: Default::default(),
        };
        let last: i64 = store.run(async {
            on_db!(store, pool => sqlx::query_scalar("SELECT coalesce(max(received_at), 0) FROM receipts")
                .fetch_one(pool)
                .await)
        })?;
        store.clock = Arc::new(receipts::FeedClock::after(last));
        Ok(store)
    }

    /// Another handle on the same database (the sync hub's), sharing this one's pool, clock
    /// and scopes, with a connection of its own (`own.rs`): the hub makes a query or more for
    /// most frames it handles, one after the other. On SQLite it is taken out of the pool for
    /// good; on PostgreSQL it is another connection, replaced when it breaks.
    pub fn another_connection(&self) -> Result<Store> {
        let own = match &self.db {
            Db::Sqlite(pool) => {
                let conn = self.run(async { pool.acquire().await })?.detach();
                own::Own::Sqlite(tokio::sync::Mutex::new(conn))
            }
            Db::Postgres(pool) => {
                let options = (*pool.connect_options()).clone();
                let conn = self.run(own::PgOwn::connect(options))?;
                own::Own::Postgres(Box::new(tokio::sync::Mutex::new(conn)))
            }
        };
        Ok(Store {
            own: Some(Arc::new(own)),
            ..self.clone()
        })
    }

    /// Whether this is the PostgreSQL backend.
    pub fn is_postgres(&self) -> bool {
        matches!(self.db, Db::Postgres(_))
    }

    /// Runs a query's future to completion on this thread, within the store's runtime.
    fn run<T>(&self, query: impl Future<Output = T>) -> T {
        Store::block_on(&self.runtime, query)
    }

    fn block_on<T>(runtime: &DbRuntime, query: impl Future<Output = T>) -> T {
        let _context = runtime
            .0
            .as_ref()
            .expect("the runtime lives as long as the store")
            .enter();
        futures::executor::block_on(query)
    }

    /// Whether the database answers a trivial query (one of the relay's own tables) within
    /// `within`: `/healthz`.
    pub fn check(&self, within: Duration) -> Result<()> {
        self.run(async {
            let answered = tokio::time::timeout(within, async {
                on_db!(self, pool => sqlx::query_scalar::<_, i64>("SELECT revision FROM access_revision")
                    .fetch_one(pool)
                    .await)
            })
            .await;
            match answered {
                Ok(answer) => answer.map(|_| ()).map_err(StoreError::from),
                Err(_) => Err(StoreError::Invalid(format!(
                    "the database did not answer within {} s",
                    within.as_secs_f32()
                ))),
            }
        })
    }

    /// The access revision (see the schema): changes whenever anyone's access may have.
    pub fn access_revision(&self) -> Result<i64> {
        self.run(async {
            Ok(
                on_db!(self, pool => sqlx::query_scalar("SELECT revision FROM access_revision")
                .fetch_one(pool)
                .await?),
            )
        })
    }

    /// A consistent copy of the database while the relay runs (SQLite's `VACUUM INTO`). A
    /// PostgreSQL database is backed up with PostgreSQL's own tools (`pg_dump`, or continuous
    /// archiving), which the relay does not replace.
    pub fn backup_to(&self, dest: &Path) -> Result<()> {
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::Invalid("the backup path is not valid UTF-8".into()))?;
        match &self.db {
            Db::Sqlite(pool) => self.run(async {
                sqlx::query("VACUUM INTO $1")
                    .bind(dest)
                    .execute(pool)
                    .await?;
                Ok(())
            }),
            Db::Postgres(_) => Err(StoreError::Invalid(POSTGRES_BACKUP.into())),
        }
    }
}

/// Why `outpost backup` does not copy a PostgreSQL database.
pub const POSTGRES_BACKUP: &str = "the relay's records are in PostgreSQL: back them up with \
    PostgreSQL's own tools, pg_dump (e.g. pg_dump --format=custom) or continuous archiving";

/// The schema's migrations for each backend (server/migrations/): each upgrades the schema by
/// one version; never edit a released one, append.
const SQLITE_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "people sessions documents receipts",
        include_str!("../../migrations/sqlite/0001_people_sessions_documents_receipts.sql"),
    ),
    (
        2,
        "document chunks",
        include_str!("../../migrations/sqlite/0002_document_chunks.sql"),
    ),
    (
        3,
        "chunk heads",
        include_str!("../../migrations/sqlite/0003_chunk_heads.sql"),
    ),
    (
        4,
        "access revision device secrets",
        include_str!("../../migrations/sqlite/0004_access_revision_device_secrets.sql"),
    ),
    (
        5,
        "chunks named by hash",
        include_str!("../../migrations/sqlite/0005_chunks_named_by_hash.sql"),
    ),
    (
        6,
        "blobs",
        include_str!("../../migrations/sqlite/0006_blobs.sql"),
    ),
];
const POSTGRES_MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "schema",
        include_str!("../../migrations/postgres/0001_schema.sql"),
    ),
    (
        2,
        "blobs",
        include_str!("../../migrations/postgres/0002_blobs.sql"),
    ),
];

fn migrator(migrations: &'static [(i64, &'static str, &'static str)]) -> Migrator {
    use sqlx::SqlSafeStr;
    Migrator::with_migrations(
        migrations
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sql.into_sql_str(),
                    false,
                )
            })
            .collect(),
    )
}

/// Brings the schema up to date. An SQLite file made before the relay used sqlx counted its
/// schema version in `PRAGMA user_version`, whose steps are this migrator's first ones: those
/// it has are recorded as applied, and the rest run.
async fn migrate(db: &Db) -> Result<()> {
    match db {
        Db::Sqlite(pool) => {
            let migrator = migrator(SQLITE_MIGRATIONS);
            let tracked: bool = sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = '_sqlx_migrations')",
            )
            .fetch_one(pool)
            .await?;
            if !tracked {
                let legacy: i64 = sqlx::query("PRAGMA user_version")
                    .fetch_one(pool)
                    .await?
                    .try_get(0)?;
                if legacy > 0 {
                    tracing::info!(
                        "upgrading a database made by an earlier relay (schema {legacy})"
                    );
                    migrator.skip(pool, Some(legacy)).await?;
                }
            }
            migrator.run(pool).await?;
        }
        Db::Postgres(pool) => migrator(POSTGRES_MIGRATIONS).run(pool).await?,
    }
    Ok(())
}

/// Milliseconds since the epoch, for timestamps the relay records itself.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}
