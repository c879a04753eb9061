//! PostgreSQL for the relay's tests, and which backend the relays of a test run use.
//!
//! The server is `OUTPOST_TEST_POSTGRES` (a URL whose user may create schemas) or else the
//! throwaway one `scripts/test-postgres` starts once per machine. Each test database is a
//! schema of its own in it (cheap to create, unlike a database), named in the URL's
//! `search_path`, so tests running at once never see each other's tables. The schemas a test
//! process made are dropped when it exits ([`drop_at_exit`]).

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::{Mutex, Once, OnceLock},
};

use server::store::Database;

/// The test server's URL.
pub fn server() -> &'static str {
    static URL: OnceLock<String> = OnceLock::new();
    URL.get_or_init(|| {
        if let Ok(url) = std::env::var("OUTPOST_TEST_POSTGRES") {
            return url;
        }
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/test-postgres");
        let out = Command::new(&script)
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        assert!(
            out.status.success(),
            "scripts/test-postgres failed (scripts/setup --test installs PostgreSQL): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    })
}

/// `sql` run on the test server with psql.
pub fn psql(sql: &str) -> String {
    psql_at(server(), sql)
}

/// `sql` run with psql on the database (or server) at `url`.
pub fn psql_at(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args([url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql])
        .output()
        .expect("psql (installed with PostgreSQL)");
    assert!(
        out.status.success(),
        "psql {sql:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A new, empty database (a schema of its own) on the test server: its URL.
pub fn fresh_database() -> String {
    fresh_database_on(server())
}

/// A new, empty database (a schema of its own) on the server at `server`: its URL. Its
/// connections carry the schema's name as their `application_name`, so a test finds its own
/// relays' connections in `pg_stat_activity` among those of every other test.
pub fn fresh_database_on(server: &str) -> String {
    let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
    psql_at(server, &format!("CREATE SCHEMA {schema}"));
    drop_at_exit(server, &schema);
    let sep = if server.contains('?') { '&' } else { '?' };
    format!("{server}{sep}options=-c%20search_path%3D{schema}&application_name={schema}")
}

/// The schemas this test process made: (server, schema).
static MADE: Mutex<Vec<(String, String)>> = Mutex::new(vec![]);

/// Has `schema` on `server` dropped when this test process exits. Not sooner: a test looks
/// into its database after its relays stop, or starts them again on it, up to its last line;
/// and by the exit every relay process a test started is gone (killed when dropped). The
/// test harness's threads are not joined, so a test process has no later hook than the C
/// library's `atexit`, which runs when the harness returns or exits, whether tests passed.
fn drop_at_exit(server: &str, schema: &str) {
    static REGISTER: Once = Once::new();
    REGISTER.call_once(|| {
        // SAFETY: registers a function that takes no arguments and does not unwind (it
        // catches nothing it could panic on), as `atexit` requires.
        unsafe {
            libc::atexit(drop_schemas);
        }
    });
    MADE.lock()
        .unwrap_or_else(|p| p.into_inner())
        .push((server.to_string(), schema.to_string()));
}

extern "C" fn drop_schemas() {
    let made = std::mem::take(&mut *MADE.lock().unwrap_or_else(|p| p.into_inner()));
    let mut servers: Vec<&str> = made.iter().map(|(server, _)| server.as_str()).collect();
    servers.sort_unstable();
    servers.dedup();
    for server in servers {
        // One transaction per schema (each psql -c is one), so its locks stay few; a lock
        // held by a relay's leftover backend is waited for a while, not forever. A private
        // server stopped by its test already took its schemas along: that psql fails, unheard.
        let mut psql = Command::new("psql");
        psql.args([server, "-q", "-c", "SET lock_timeout = '10s'"]);
        for (_, schema) in made.iter().filter(|(s, _)| s == server) {
            psql.args(["-c", &format!("DROP SCHEMA IF EXISTS {schema} CASCADE")]);
        }
        let _ = psql.output();
    }
}

/// The `application_name` of a database URL made by [`fresh_database_on`].
pub fn application_name(url: &str) -> &str {
    url.rsplit_once("application_name=")
        .map(|(_, name)| name)
        .expect("a test database's URL")
}

/// A PostgreSQL server of one test's own (`scripts/test-postgres` on another port, in a
/// directory of its own, fsync on), for a test that crashes it: the shared one serves every
/// other test meanwhile. Stopped and deleted when dropped.
pub struct PrivateServer {
    dir: tempfile::TempDir,
    port: u16,
    pub url: String,
}

impl PrivateServer {
    pub fn start(port: u16) -> PrivateServer {
        let dir = tempfile::tempdir().unwrap();
        // The cluster's owner (`postgres` when the tests run as root) makes its folder in it.
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut server = PrivateServer {
            dir,
            port,
            url: String::new(),
        };
        server.url = server.script(None);
        server
    }

    /// Restarts it as a crash would: `pg_ctl -m immediate` (no checkpoint; recovery replays
    /// the WAL).
    pub fn crash_restart(&self) {
        self.script(Some("--crash"));
    }

    fn script(&self, arg: Option<&str>) -> String {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/test-postgres");
        let out = Command::new(&script)
            .args(arg)
            .env("TMPDIR", self.dir.path())
            .env("OUTPOST_TEST_POSTGRES_PORT", self.port.to_string())
            .env("OUTPOST_TEST_POSTGRES_FSYNC", "on")
            .output()
            .unwrap_or_else(|e| panic!("{}: {e}", script.display()));
        assert!(
            out.status.success(),
            "scripts/test-postgres {arg:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        self.script(Some("--stop"));
    }
}

/// Whether this run tests the relay on PostgreSQL (`OUTPOST_TEST_BACKEND=postgres`) rather
/// than SQLite.
pub fn on_postgres() -> bool {
    match std::env::var("OUTPOST_TEST_BACKEND").as_deref() {
        Ok("postgres") => true,
        Ok("sqlite") | Err(_) => false,
        Ok(other) => panic!("OUTPOST_TEST_BACKEND={other}: use sqlite or postgres"),
    }
}

/// The database of the relay whose data directory is `data_dir`, for this run's backend: on
/// PostgreSQL a fresh database the first time, the same one whenever the relay starts again
/// (its URL is kept in the directory).
pub fn database_for(data_dir: &Path) -> Database {
    let kept: PathBuf = data_dir.join("test-postgres-url");
    if let Ok(url) = std::fs::read_to_string(&kept) {
        return Database::Postgres(url);
    }
    if !on_postgres() {
        return Database::Sqlite(data_dir.join("outpost.sqlite"));
    }
    Database::Postgres(use_postgres(data_dir))
}

/// Makes the relays on `data_dir` keep their records in a fresh PostgreSQL database whatever
/// the run's backend (tests of several relays on one database); returns its URL.
pub fn use_postgres(data_dir: &Path) -> String {
    use_database(data_dir, &fresh_database())
}

/// Makes the relays on `data_dir` keep their records in the PostgreSQL database at `url`.
pub fn use_database(data_dir: &Path, url: &str) -> String {
    std::fs::create_dir_all(data_dir).unwrap();
    std::fs::write(data_dir.join("test-postgres-url"), url).unwrap();
    url.to_string()
}

/// `--database` arguments for the relay binary on `data_dir` (none on SQLite: the default).
pub fn database_args(data_dir: &Path) -> Vec<String> {
    match database_for(data_dir) {
        Database::Postgres(url) => vec!["--database".into(), url],
        Database::Sqlite(_) => vec![],
    }
}
