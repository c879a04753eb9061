//! The real relay binary as a child process.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::{POLL_INTERVAL, Result, free_port, repo_root};

/// How long a starting relay may take to answer `GET /healthz`.
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The relay (`outpost serve`) on `127.0.0.1:<port>` with a temporary data directory, serving
/// the built app from `<repo>/dist`. Stopping kills the process (as a crash or a pulled plug
/// would); starting again reuses the port and the data directory. Killed on drop.
#[derive(Debug)]
pub struct Relay {
    binary: PathBuf,
    static_dir: PathBuf,
    port: u16,
    data_dir: TempDir,
    log_dir: TempDir,
    /// Extra arguments for `outpost serve` (e.g. a benchmark's limits).
    args: Vec<String>,
    child: Option<Child>,
}

impl Relay {
    /// Starts a relay with an empty data directory on a free port and waits until it is healthy.
    pub async fn start() -> Result<Self> {
        Self::start_with(&[]).await
    }

    /// [`Relay::start`] with extra arguments for `outpost serve`, kept for every restart.
    pub async fn start_with(args: &[&str]) -> Result<Self> {
        let mut relay = Self {
            binary: relay_binary()?,
            static_dir: static_dir()?,
            port: free_port()?,
            data_dir: tempfile::Builder::new().prefix("outpost-data-").tempdir()?,
            log_dir: tempfile::Builder::new().prefix("outpost-log-").tempdir()?,
            args: args.iter().map(|a| (*a).to_owned()).collect(),
            child: None,
        };
        relay.start_again().await?;
        Ok(relay)
    }

    /// `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        self.data_dir.path()
    }

    pub fn is_running(&self) -> bool {
        self.child.is_some()
    }

    /// Everything the relay printed (stdout and stderr, all runs), e.g. the first account's
    /// credentials.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    /// The first account's `(username, password)`, as the relay printed them on its first
    /// start (`  username: …` / `  password: …`).
    pub fn first_account(&self) -> Option<(String, String)> {
        let log = self.log();
        let field = |name: &str| {
            log.lines()
                .find_map(|line| line.trim().strip_prefix(name))
                .map(|value| value.trim().to_owned())
        };
        Some((field("username:")?, field("password:")?))
    }

    /// Runs the relay's administration command line on its data directory (`outpost <args>
    /// --data-dir <dir>`), as an administrator would, running or stopped; `password` is given
    /// as `OUTPOST_PASSWORD` (for `user add`). Returns what it printed.
    pub async fn admin(&self, args: &[&str], password: Option<&str>) -> Result<String> {
        let mut command = Command::new(&self.binary);
        command
            .args(args)
            .arg("--data-dir")
            .arg(self.data_dir.path());
        if let Some(password) = password {
            command.env("OUTPOST_PASSWORD", password);
        }
        let output = command.stdin(Stdio::null()).output().await?;
        let printed = String::from_utf8_lossy(&output.stdout).into_owned();
        if !output.status.success() {
            return Err(format!(
                "outpost {} failed ({}): {printed}{}",
                args.join(" "),
                output.status,
                String::from_utf8_lossy(&output.stderr)
            )
            .into());
        }
        Ok(printed)
    }

    /// Kills the relay and waits until the process is gone (its port then refuses connections).
    pub async fn stop(&mut self) -> Result<()> {
        if let Some(mut child) = self.child.take() {
            child.kill().await?;
        }
        Ok(())
    }

    /// Starts the relay again on the same port with the same data directory, and waits until it
    /// answers `GET /healthz` with 200.
    pub async fn start_again(&mut self) -> Result<()> {
        if self.child.is_some() {
            return Err("the relay is already running".into());
        }
        let log = OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())?;
        let child = Command::new(&self.binary)
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{}", self.port))
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .arg("--static-dir")
            .arg(&self.static_dir)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::from(log.try_clone()?))
            .stderr(Stdio::from(log))
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start {}: {e}", self.binary.display()))?;
        self.child = Some(child);
        self.wait_healthy().await
    }

    async fn wait_healthy(&mut self) -> Result<()> {
        let url = format!("{}/healthz", self.base_url());
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()?;
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            let child = self.child.as_mut().ok_or("the relay is not running")?;
            if let Some(status) = child.try_wait()? {
                self.child = None;
                return Err(format!(
                    "the relay exited ({status}) before it was healthy; its output:\n{}",
                    self.log()
                )
                .into());
            }
            let last = match http.get(&url).send().await {
                Ok(response) if response.status() == reqwest::StatusCode::OK => return Ok(()),
                Ok(response) => format!("status {}", response.status()),
                Err(e) => e.to_string(),
            };
            if Instant::now() >= deadline {
                return Err(format!(
                    "the relay did not answer GET {url} with 200 within {START_TIMEOUT:?} \
                     (last: {last}); its output:\n{}",
                    self.log()
                )
                .into());
            }
            tokio::time::sleep(POLL_INTERVAL).await;
        }
    }

    fn log_path(&self) -> PathBuf {
        self.log_dir.path().join("relay.log")
    }
}

/// The relay binary: `$OUTPOST_BIN`, else `release/outpost` in the target directory these tests
/// were built in (`$CARGO_TARGET_DIR`, or the one holding this test executable), else
/// `<repo>/target/release/outpost`.
fn relay_binary() -> Result<PathBuf> {
    if let Some(path) = std::env::var_os("OUTPOST_BIN") {
        let path = PathBuf::from(path);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(format!("OUTPOST_BIN={} is not a file", path.display()).into())
        };
    }
    let mut candidates = Vec::new();
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR") {
        candidates.push(PathBuf::from(dir).join("release/outpost"));
    }
    // The test executable is <target>/debug/deps/<name>-<hash>.
    if let Ok(exe) = std::env::current_exe()
        && let Some(target) = exe.ancestors().nth(3)
    {
        candidates.push(target.join("release/outpost"));
    }
    candidates.push(repo_root().join("target/release/outpost"));
    candidates
        .iter()
        .find(|path| path.is_file())
        .cloned()
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            format!(
                "the relay binary is missing (looked at {}); build it first with \
                 `cargo build --release -p server` (scripts/test does), or set OUTPOST_BIN",
                looked.join(", ")
            )
            .into()
        })
}

/// The built app: `$OUTPOST_STATIC_DIR`, else `<repo>/dist`.
fn static_dir() -> Result<PathBuf> {
    let dir = std::env::var_os("OUTPOST_STATIC_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("dist"));
    if File::open(dir.join("index.html")).is_err() {
        return Err(format!(
            "{}/index.html is missing: build the app first with scripts/build-app (scripts/test does)",
            dir.display()
        )
        .into());
    }
    Ok(dir)
}
