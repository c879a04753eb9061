//! The sync servers under test, as child processes on free loopback ports: Outpost's relay
//! (through the e2e harness's [`e2e::Relay`]), samod (`samod-relay`, this crate's binary built
//! on samod's own axum integration and filesystem storage) and the automerge-repo reference
//! sync server (`node bench/js/server.mjs`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::Result;

/// The environment variable naming a PostgreSQL server (`postgres://user@host:port/db`, a
/// user who may create schemas) for Outpost's relays to keep their records in, each on a
/// fresh schema; unset, they use SQLite. The multi-relay benchmarks need it.
pub const POSTGRES: &str = "OUTPOST_BENCH_POSTGRES";

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    Outpost,
    Samod,
    Reference,
}

impl Kind {
    /// Every server, in the table's column order.
    pub const ALL: [Kind; 3] = [Kind::Outpost, Kind::Samod, Kind::Reference];
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Outpost => "Outpost relay",
            Kind::Samod => "samod",
            Kind::Reference => "automerge-repo reference",
        })
    }
}

enum Process {
    Outpost(e2e::Relay),
    /// samod or the reference server: a child process and its storage folder.
    Child {
        child: Child,
        _storage: TempDir,
    },
}

/// A running server.
pub struct Server {
    pub kind: Kind,
    pid: u32,
    url: String,
    process: Process,
}

impl Server {
    /// Starts a server of `kind` with empty storage. `js_dir` holds the reference server's
    /// script and its installed packages.
    pub async fn start(kind: Kind, js_dir: &Path) -> Result<Server> {
        match kind {
            Kind::Outpost => Server::outpost(&[]).await,
            Kind::Samod => {
                let binary = sibling_binary("samod-relay")?;
                Server::child(kind, Command::new(binary), "outpost-bench-samod-").await
            }
            Kind::Reference => {
                if !js_dir.join("node_modules").is_dir() {
                    return Err(format!(
                        "{}/node_modules is missing: run `npm ci` there (scripts/bench does)",
                        js_dir.display()
                    )
                    .into());
                }
                let mut node = Command::new("node");
                node.arg(js_dir.join("server.mjs")).current_dir(js_dir);
                Server::child(kind, node, "outpost-bench-reference-").await
            }
        }
    }

    /// Outpost's relay with extra `outpost serve` arguments (e.g. a benchmark's limits). With
    /// [`POSTGRES`] set, on a fresh database of that PostgreSQL server (the benchmarks that
    /// write sessions into the relay's database beforehand, the fleets, need SQLite).
    pub async fn outpost(args: &[&str]) -> Result<Server> {
        let database = match std::env::var(POSTGRES) {
            Ok(server) => Some(crate::relays::fresh_database(&server)?),
            Err(_) => None,
        };
        let mut args = args.to_vec();
        if let Some(database) = &database {
            args.extend(["--database", database.as_str()]);
        }
        let relay = e2e::Relay::start_with(&args).await?;
        let (user, password) = relay
            .first_account()
            .ok_or("the relay printed no first account")?;
        let pid = pid_with_arg(&relay.data_dir().display().to_string())
            .ok_or("cannot find the relay's process")?;
        Ok(Server {
            kind: Kind::Outpost,
            pid,
            url: format!("ws://{user}:{password}@127.0.0.1:{}/sync", relay.port()),
            process: Process::Outpost(relay),
        })
    }

    /// A server run as `command PORT STORAGE_DIR` (samod's and the reference), on a free port
    /// with a fresh storage folder.
    async fn child(kind: Kind, mut command: Command, prefix: &str) -> Result<Server> {
        let port = e2e::free_port()?;
        let storage = tempfile::Builder::new().prefix(prefix).tempdir()?;
        let child = command
            .arg(port.to_string())
            .arg(storage.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start the {kind} server: {e}"))?;
        let pid = child.id().ok_or("the server exited at once")?;
        wait_listening(port, Duration::from_secs(30)).await?;
        Ok(Server {
            kind,
            pid,
            url: format!("ws://127.0.0.1:{port}"),
            process: Process::Child {
                child,
                _storage: storage,
            },
        })
    }

    /// The relay's data directory (Outpost only).
    pub fn data_dir(&self) -> Option<&Path> {
        match &self.process {
            Process::Outpost(relay) => Some(relay.data_dir()),
            Process::Child { .. } => None,
        }
    }

    /// The relay's first administrator (Outpost only).
    pub fn account(&self) -> Option<(String, String)> {
        match &self.process {
            Process::Outpost(relay) => relay.first_account(),
            Process::Child { .. } => None,
        }
    }

    /// The relay's `http://127.0.0.1:PORT` (Outpost only).
    pub fn base_url(&self) -> Option<String> {
        match &self.process {
            Process::Outpost(relay) => Some(relay.base_url()),
            Process::Child { .. } => None,
        }
    }

    /// The WebSocket URL clients sync with.
    pub fn url(&self) -> &str {
        &self.url
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// The process's peak resident set size so far (`VmHWM`), in KiB.
    pub fn peak_rss_kib(&self) -> Result<u64> {
        status_kib(self.pid, "VmHWM:")
    }

    /// Resets the peak resident set to the current one (Linux: `5` into `clear_refs`), so a
    /// phase's peak leaves out what came before it (e.g. the relay's argon2 sign-ins, 19 MiB
    /// each, which a device does once and not per sync).
    pub fn reset_peak_rss(&self) -> Result<()> {
        std::fs::write(format!("/proc/{}/clear_refs", self.pid), "5")?;
        Ok(())
    }

    /// Stops the server (kills the process).
    pub async fn stop(self) -> Result<()> {
        match self.process {
            Process::Outpost(mut relay) => relay.stop().await,
            Process::Child { mut child, .. } => {
                child.kill().await?;
                Ok(())
            }
        }
    }
}

/// A field of `/proc/PID/status` in KiB (e.g. `VmHWM:`, `VmRSS:`).
pub fn status_kib(pid: u32, field: &str) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| format!("no {field} in /proc/{pid}/status").into())
}

/// The process whose command line has the argument `arg` exactly.
pub fn pid_with_arg(arg: &str) -> Option<u32> {
    pids_where(|args| args.iter().any(|a| a == arg))
        .into_iter()
        .next()
}

/// Processes whose arguments satisfy `accept`.
pub fn pids_where(accept: impl Fn(&[String]) -> bool) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return vec![];
    };
    entries
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let pid: u32 = entry.file_name().to_str()?.parse().ok()?;
            let cmdline = std::fs::read(entry.path().join("cmdline")).ok()?;
            let args: Vec<String> = cmdline
                .split(|b| *b == 0)
                .map(|a| String::from_utf8_lossy(a).into_owned())
                .collect();
            accept(&args).then_some(pid)
        })
        .collect()
}

async fn wait_listening(port: u16, timeout: Duration) -> Result<()> {
    let deadline = Instant::now() + timeout;
    loop {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!("nothing listens on 127.0.0.1:{port} after {timeout:?}").into());
        }
        tokio::time::sleep(e2e::POLL_INTERVAL).await;
    }
}

/// A binary built beside the running one (same target directory and profile), e.g.
/// `samod-relay` beside `outpost-bench`.
fn sibling_binary(name: &str) -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    // Integration tests run from <target>/<profile>/deps.
    let dirs = [exe.parent(), exe.parent().and_then(Path::parent)];
    dirs.into_iter()
        .flatten()
        .map(|dir| dir.join(name))
        .find(|path| path.is_file())
        .ok_or_else(|| {
            format!(
                "{name} is missing beside {}: build it with `cargo build --release -p bench`",
                exe.display()
            )
            .into()
        })
}

/// `bench/js` in this repository.
pub fn default_js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}
