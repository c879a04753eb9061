//! PostgreSQL for the relay's tests, and which backend the relays of a test run use.
//!
//! The server is `OUTPOST_TEST_POSTGRES` (a URL whose user may create schemas) or else the
//! throwaway one `scripts/test-postgres` starts once per machine. Each test database is a
//! schema of its own in it (cheap to create, unlike a database), named in the URL's
//! `search_path`, so tests running at once never see each other's tables.

use std::{
    path::{Path, PathBuf},
    process::Command,
    sync::OnceLock,
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
    let out = Command::new("psql")
        .args([server(), "-v", "ON_ERROR_STOP=1", "-Atqc", sql])
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
    let schema = format!("test_{}", uuid::Uuid::new_v4().simple());
    psql(&format!("CREATE SCHEMA {schema}"));
    let sep = if server().contains('?') { '&' } else { '?' };
    format!("{}{sep}options=-c%20search_path%3D{schema}", server())
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
    std::fs::create_dir_all(data_dir).unwrap();
    let url = fresh_database();
    std::fs::write(data_dir.join("test-postgres-url"), &url).unwrap();
    url
}

/// `--database` arguments for the relay binary on `data_dir` (none on SQLite: the default).
pub fn database_args(data_dir: &Path) -> Vec<String> {
    match database_for(data_dir) {
        Database::Postgres(url) => vec!["--database".into(), url],
        Database::Sqlite(_) => vec![],
    }
}
