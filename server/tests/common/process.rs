//! The real relay binary in a process of its own: for tests that kill it, read its memory
//! from /proc, or run its command line beside it on the same data directory.
//! `OUTPOST_RELAY_BIN` runs them against another build of it (e.g. main's, to watch an attack
//! succeed there); by default they run the binary built with the tests. `OUTPOST_TEST_LOG`
//! (a `RUST_LOG` filter) shows the relay's log.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    path::{Path, PathBuf},
    process::{Child, Command, Output, Stdio},
};

use super::{Api, web_dir};

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn binary() -> PathBuf {
    std::env::var_os("OUTPOST_RELAY_BIN").map_or_else(
        || PathBuf::from(env!("CARGO_BIN_EXE_outpost")),
        PathBuf::from,
    )
}

/// Starts `outpost serve` on `port` with `dir/data` and `dir/web`, and `args` after; returns
/// it once it listens, with the first account's password if it printed one.
pub fn spawn(dir: &Path, port: u16, args: &[&str]) -> (Child, Option<String>) {
    let mut child = Command::new(binary())
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--static-dir",
        ])
        .arg(web_dir(dir))
        .arg("--data-dir")
        .arg(dir.join("data"))
        .args(super::postgres::database_args(&dir.join("data")))
        .args(args)
        .env(
            "RUST_LOG",
            std::env::var("OUTPOST_TEST_LOG").unwrap_or("warn".into()),
        )
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut password = None;
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for line in lines.by_ref() {
        let line = line.unwrap();
        if let Some(p) = line.trim().strip_prefix("password: ") {
            password = Some(p.to_string());
        }
        if line.contains("listening on") {
            break;
        }
    }
    // Keep draining stdout (the relay's log) so the relay never blocks on a full pipe.
    let show = std::env::var_os("OUTPOST_TEST_LOG").is_some();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            if show {
                eprintln!("relay: {line}");
            }
        }
    });
    (child, password)
}

/// Starts the binary on a free port; returns it, the first account's password if printed, and
/// its address.
pub fn first_start(dir: &Path, args: &[&str]) -> (Child, Option<String>, SocketAddr) {
    let port = free_port();
    let (child, password) = spawn(dir, port, args);
    (child, password, ([127, 0, 0, 1], port).into())
}
/// The relay binary running on a free port; killed when dropped.
pub struct RelayProcess {
    api: Api,
    pub child: Child,
    dir: PathBuf,
}

impl std::ops::Deref for RelayProcess {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl RelayProcess {
    pub fn start(dir: &Path, args: &[&str]) -> RelayProcess {
        let (child, first_password, addr) = first_start(dir, args);
        RelayProcess {
            api: Api {
                addr,
                first_password,
            },
            child,
            dir: dir.to_path_buf(),
        }
    }

    /// `outpost --data-dir <its data> args…`, run to completion beside the relay.
    pub fn cli(&self, args: &[&str]) -> Output {
        let out = Command::new(binary())
            .arg("--data-dir")
            .arg(self.dir.join("data"))
            .args(super::postgres::database_args(&self.dir.join("data")))
            .args(args)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "outpost {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        self.child.try_wait().unwrap().is_none()
    }

    /// A `/proc/<pid>/status` figure, in KiB (`VmRSS`, `VmHWM`).
    pub fn status_kib(&self, field: &str) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or_else(|| panic!("no {field} in {status}"))
    }

    /// The relay's resident memory, in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.status_kib("VmRSS")
    }

    /// The peak resident set so far, in MiB.
    pub fn peak_mib(&self) -> u64 {
        self.status_kib("VmHWM") / 1024
    }

    /// Starts measuring the peak afresh from the current resident set (Linux: `clear_refs`).
    pub fn reset_peak(&self) {
        std::fs::write(format!("/proc/{}/clear_refs", self.child.id()), "5").unwrap();
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
