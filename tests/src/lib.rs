//! End-to-end test harness for Outpost.
//!
//! - [`Relay`]: the real relay binary (`target/release/outpost`, built beforehand by
//!   `scripts/test`) on a free loopback port with its own data directory; it can be stopped and
//!   started again on the same port with the same data, and is killed when dropped.
//! - [`Chromedriver`]: Debian's `/usr/bin/chromedriver` on a free loopback port.
//! - [`Tablet`]: one headless Chromium session with its own profile directory, so two tablets
//!   are two devices and a reload or a browser restart keeps the tablet's IndexedDB and service
//!   worker.
//!
//! - [`app`]: Outpost's pages through the app's DOM contract (list, incident form, sync status).
//! - [`records`]: the generic pages of every other record type.
//! - [`signed_in`]: a relay, Chromedriver and tablets signed in as the first administrator.
//!
//! Every wait in here polls with a deadline: no fixed sleeps stand in for a condition.

pub mod app;
pub mod attachments;
mod browser;
pub mod records;
mod relay;

use std::future::Future;
use std::net::{Ipv4Addr, SocketAddr, TcpListener};
use std::path::PathBuf;
use std::time::{Duration, Instant};

pub use browser::{Chromedriver, Tablet};
pub use relay::Relay;

/// Errors of the harness and the tests: a message is enough, the test prints it.
pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// How often the polling helpers look again.
pub const POLL_INTERVAL: Duration = Duration::from_millis(100);

/// The repository root (the workspace this crate belongs to).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent directory")
        .to_path_buf()
}

/// A loopback port that was free a moment ago: bind port 0, read the port, release it.
pub fn free_port() -> Result<u16> {
    let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)))?;
    Ok(listener.local_addr()?.port())
}

/// Calls `probe` every [`POLL_INTERVAL`] until it returns `Ok`, or fails after `timeout` naming
/// `what` and the last thing the probe saw (its last `Err`).
pub async fn poll<T, F, Fut>(what: &str, timeout: Duration, mut probe: F) -> Result<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, String>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        let last = match probe().await {
            Ok(value) => return Ok(value),
            Err(seen) => seen,
        };
        if Instant::now() >= deadline {
            return Err(format!(
                "timed out after {timeout:?} waiting for {what}; last seen: {last}"
            )
            .into());
        }
        tokio::time::sleep(POLL_INTERVAL).await;
    }
}

/// A fresh relay and Chromedriver, and one tablet per name signed in as the relay's first
/// administrator, online, with the app shell cached for offline use. Also returns the
/// administrator's username.
pub async fn signed_in(names: &[&str]) -> Result<(Relay, Chromedriver, Vec<Tablet>, String)> {
    let relay = Relay::start().await?;
    let (driver, tablets, username) = tablets_signed_in(&relay, names).await?;
    Ok((relay, driver, tablets, username))
}

/// Chromedriver and one tablet per name signed in to `relay` (already started, e.g. with
/// arguments or people added) as its first administrator, as [`signed_in`] does.
pub async fn tablets_signed_in(
    relay: &Relay,
    names: &[&str],
) -> Result<(Chromedriver, Vec<Tablet>, String)> {
    let (username, password) = relay.first_account().unwrap_or_else(|| {
        panic!(
            "a relay with an empty data directory prints the first account:\n{}",
            relay.log()
        )
    });
    let driver = Chromedriver::start().await?;
    let mut tablets = Vec::new();
    for name in names {
        let tablet = Tablet::open(&driver, &relay.base_url(), name).await?;
        tablet.sign_in(&username, &password).await?;
        tablet.open_list().await?;
        tablet.wait_online(true, app::SYNC_TIMEOUT).await?;
        tablet.wait_service_worker().await?;
        tablets.push(tablet);
    }
    Ok((driver, tablets, username))
}
