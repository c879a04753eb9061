//! The two sync servers under test, as child processes on free loopback ports: Outpost's relay
//! (through the e2e harness's [`e2e::Relay`]) and the automerge-repo reference sync server
//! (`node bench/js/server.mjs`).

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use tempfile::TempDir;
use tokio::process::{Child, Command};

use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Outpost,
    Reference,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Outpost => "Outpost relay",
            Kind::Reference => "automerge-repo reference",
        })
    }
}

enum Process {
    Outpost(e2e::Relay),
    Reference { child: Child, _storage: TempDir },
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
            Kind::Outpost => {
                let relay = e2e::Relay::start().await?;
                let (user, password) = relay
                    .first_account()
                    .ok_or("the relay printed no first account")?;
                let pid = pid_with_arg(&relay.data_dir().display().to_string())
                    .ok_or("cannot find the relay's process")?;
                Ok(Server {
                    kind,
                    pid,
                    url: format!("ws://{user}:{password}@127.0.0.1:{}/sync", relay.port()),
                    process: Process::Outpost(relay),
                })
            }
            Kind::Reference => {
                let port = e2e::free_port()?;
                let storage = tempfile::Builder::new()
                    .prefix("outpost-bench-reference-")
                    .tempdir()?;
                let script = js_dir.join("server.mjs");
                if !js_dir.join("node_modules").is_dir() {
                    return Err(format!(
                        "{}/node_modules is missing: run `npm ci` there (scripts/bench does)",
                        js_dir.display()
                    )
                    .into());
                }
                let child = Command::new("node")
                    .arg(&script)
                    .arg(port.to_string())
                    .arg(storage.path())
                    .current_dir(js_dir)
                    .stdin(Stdio::null())
                    .stdout(Stdio::null())
                    .stderr(Stdio::inherit())
                    .kill_on_drop(true)
                    .spawn()
                    .map_err(|e| format!("cannot start node {}: {e}", script.display()))?;
                let pid = child.id().ok_or("the reference server exited at once")?;
                wait_listening(port, Duration::from_secs(30)).await?;
                Ok(Server {
                    kind,
                    pid,
                    url: format!("ws://127.0.0.1:{port}"),
                    process: Process::Reference {
                        child,
                        _storage: storage,
                    },
                })
            }
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
            Process::Reference { mut child, .. } => {
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

/// `bench/js` in this repository.
pub fn default_js_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("js")
}
