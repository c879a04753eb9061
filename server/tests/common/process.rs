//! The real relay binary in a process of its own: for tests that kill it, read its memory
//! from /proc, or run its command line beside it on the same data directory.

use std::{
    io::{BufRead, BufReader},
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

/// Starts `outpost serve` on `port` with `dir/data` and `dir/web`, and `args` after; returns
/// it once it listens, with the first account's password if it printed one.
pub fn spawn(dir: &Path, port: u16, args: &[&str]) -> (Child, Option<String>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_outpost"))
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
        .env("RUST_LOG", "warn")
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
    // Keep draining stdout so the relay never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, password)
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
        let port = free_port();
        let (child, first_password) = spawn(dir, port, args);
        RelayProcess {
            api: Api {
                addr: ([127, 0, 0, 1], port).into(),
                first_password,
            },
            child,
            dir: dir.to_path_buf(),
        }
    }

    /// `outpost --data-dir <its data> args…`, run to completion beside the relay.
    pub fn cli(&self, args: &[&str]) -> Output {
        let out = Command::new(env!("CARGO_BIN_EXE_outpost"))
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

    /// The relay's resident memory, from /proc.
    pub fn rss_kib(&self) -> u64 {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id())).unwrap();
        status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .expect("VmRSS in /proc/<pid>/status")
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
