//! The sync hub's connection of its own ([`Store::another_connection`]): the hub makes a
//! query or more for most frames it handles, one after the other, and a connection checked
//! out of the pool for each costs two more round trips (sqlx pings a connection when it is
//! checked out and again when it is checked in). On PostgreSQL that tripled each statement's
//! latency (BENCHMARKS.md, "Storage backends").
//!
//! What the pool did besides, a connection of its own does here: a PostgreSQL connection that
//! failed a statement, or was idle long enough for the server to have gone away (restarted,
//! failed over), is pinged before it is used again, and replaced when it does not answer,
//! waiting up to the pool's check-out time for a server that is starting.
//!
//! [`Store::another_connection`]: super::Store::another_connection

use std::time::{Duration, Instant};

use sqlx::{
    Connection,
    postgres::{PgConnectOptions, PgConnection},
    sqlite::SqliteConnection,
};

/// The hub's connection, on either backend.
pub(super) enum Own {
    Sqlite(tokio::sync::Mutex<SqliteConnection>),
    /// Boxed: a PostgreSQL connection is several times the size of an SQLite one.
    Postgres(Box<tokio::sync::Mutex<PgOwn>>),
}

/// Unused for this long, a PostgreSQL connection is pinged before its next statement: the
/// server may have restarted meanwhile. Under load statements follow each other closer than
/// this, and pay nothing.
const IDLE_CHECK: Duration = Duration::from_secs(1);

/// Between attempts to connect again.
const RETRY: Duration = Duration::from_millis(200);

/// A PostgreSQL connection that reconnects when it is found broken.
pub(super) struct PgOwn {
    options: PgConnectOptions,
    conn: Option<PgConnection>,
    /// Its last statement may have failed: the caller had it and did not report success.
    suspect: bool,
    last_used: Instant,
}

impl PgOwn {
    pub(super) async fn connect(options: PgConnectOptions) -> Result<PgOwn, sqlx::Error> {
        let conn = PgConnection::connect_with(&options).await?;
        Ok(PgOwn {
            options,
            conn: Some(conn),
            suspect: false,
            last_used: Instant::now(),
        })
    }

    /// The connection for the next statement, checked first if it may be broken, and
    /// replaced if it is. Until [`PgOwn::succeeded`], it counts as possibly broken.
    pub(super) async fn connection(&mut self) -> Result<&mut PgConnection, sqlx::Error> {
        let check = self.suspect || self.last_used.elapsed() >= IDLE_CHECK;
        if check
            && let Some(conn) = &mut self.conn
            && let Err(e) = conn.ping().await
        {
            tracing::warn!("the sync hub's database connection is gone ({e}); connecting again");
            self.conn = None;
        }
        if self.conn.is_none() {
            // As the pool's check-out would, wait a while for a server that is starting.
            let deadline = Instant::now() + super::BUSY_TIMEOUT;
            let conn = loop {
                match PgConnection::connect_with(&self.options).await {
                    Ok(conn) => break conn,
                    Err(e) if Instant::now() >= deadline => return Err(e),
                    Err(_) => tokio::time::sleep(RETRY).await,
                }
            };
            tracing::info!("the sync hub is connected to the database again");
            self.conn = Some(conn);
        }
        self.suspect = true;
        self.last_used = Instant::now();
        Ok(self.conn.as_mut().expect("connected above"))
    }

    /// The statements since [`PgOwn::connection`] succeeded.
    pub(super) fn succeeded(&mut self) {
        self.suspect = false;
        self.last_used = Instant::now();
    }
}

/// Whether the code run on the connection succeeded, from what it evaluated to: an error
/// it returned (rather than left with `?`) counts too.
pub(super) trait Outcome {
    fn succeeded(&self) -> bool;
}

impl<T, E> Outcome for Result<T, E> {
    fn succeeded(&self) -> bool {
        self.is_ok()
    }
}

/// Code that evaluates to a plain value got there without an error.
macro_rules! plain_outcome {
    ($($t:ty),*) => {$(
        impl Outcome for $t {
            fn succeeded(&self) -> bool {
                true
            }
        }
    )*};
}
plain_outcome!((), bool, i64);

pub(super) fn succeeded(outcome: &impl Outcome) -> bool {
    outcome.succeeded()
}
