//! Outpost's benchmarks (issues 6 and 19), run by `scripts/bench`:
//!
//! - [`throughput`]: N clients upload M small record documents each, then a fresh client
//!   fetches them all by id, against Outpost's relay, samod and the automerge-repo reference
//!   sync server, with each server's peak memory;
//! - [`reconnect`]: a device holding 10,000 synced records, 100 changed offline, reconnects;
//! - [`fanout`]: live fan-out between native devices on Outpost's relay, and many devices at
//!   once ([`fleet`]);
//! - [`relays`]: several relays on one PostgreSQL: throughput with one, two and three, and
//!   fan-out across relays;
//! - [`browser`]: the app in headless Chromium: 10,000 and 50,000 records on the device, two
//!   tablets on one incident, a new tablet joining, the first visit on a slow connection;
//! - [`size`]: the app shell, raw and gzipped;
//! - [`photos`]: attachments' bytes uploaded and synced to a fresh device (`outpost-bench-photos`).
//!
//! The load generator ([`load`]) is a native client on `shared::sync::Session`, the state
//! machine the browser app runs, so every server sees exactly what a tablet sends. [`rows`]
//! turns the results into the table's rows.

pub mod browser;
pub mod fanout;
pub mod fleet;
pub mod link;
pub mod load;
pub mod photos;
pub mod relays;
pub mod report;
pub mod rows;
pub mod servers;
pub mod size;

use std::path::Path;
use std::time::Duration;

use load::{Docs, Reconnect};
use servers::{Kind, Server};

pub type Error = Box<dyn std::error::Error + Send + Sync>;
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// One upload-then-download run against one server.
#[derive(Debug, Clone, Copy)]
pub struct Throughput {
    pub documents: usize,
    pub upload: Duration,
    pub download: Duration,
    /// The server's peak resident set (VmHWM) over the upload and download (sign-ins before
    /// them excluded), in KiB.
    pub peak_rss_kib: u64,
    /// CPU seconds (user + system) the server and the load generator spent during the upload
    /// and during the download: where the wall time went.
    pub upload_cpu: Cpu,
    pub download_cpu: Cpu,
}

/// CPU time of one phase, in seconds.
#[derive(Debug, Clone, Copy, Default)]
pub struct Cpu {
    pub server: f64,
    pub devices: f64,
}

impl Cpu {
    /// Both processes' CPU time so far, to subtract from a later reading.
    fn now(server: u32) -> Result<Cpu> {
        Ok(Cpu {
            server: fanout::cpu_seconds(server)?,
            devices: fanout::cpu_seconds(std::process::id())?,
        })
    }

    fn since(self, server: u32) -> Result<Cpu> {
        let now = Cpu::now(server)?;
        Ok(Cpu {
            server: now.server - self.server,
            devices: now.devices - self.devices,
        })
    }
}

/// Starts a fresh server of `kind`, has `clients` clients upload `per_client` new incidents
/// each concurrently (until the server acknowledged every change), then a fresh client fetch
/// them all by id; checks the fetched documents are the uploaded ones.
pub async fn throughput(
    kind: Kind,
    js_dir: &Path,
    clients: usize,
    per_client: usize,
    timeout: Duration,
) -> Result<Throughput> {
    let batches: Vec<_> = (0..clients)
        .map(|c| load::incident_docs(per_client, c * per_client))
        .collect();
    let want = load::heads_of(batches.iter().flatten().map(|(id, d)| (id, d)));
    let server = Server::start(kind, js_dir).await?;
    let result = async {
        // Devices sign in once and keep their session: not part of what is measured (the
        // relay's argon2 would otherwise dominate its peak memory; the reference has no
        // accounts at all).
        let mut logins = vec![];
        for n in 0..clients {
            logins.push(load::Login::new(server.url(), &format!("up{n}")).await?);
        }
        let fresh = load::Login::new(server.url(), "fresh").await?;
        server.reset_peak_rss()?;
        let cpu = Cpu::now(server.pid())?;
        let upload = load::upload_as(logins, batches, timeout).await?;
        let upload_cpu = cpu.since(server.pid())?;
        let cpu = Cpu::now(server.pid())?;
        let (download, docs) = load::download_as(&fresh, &want, timeout).await?;
        let download_cpu = cpu.since(server.pid())?;
        if docs.len() < want.len() {
            return Err(format!("fetched {} of {} documents", docs.len(), want.len()).into());
        }
        Ok(Throughput {
            documents: want.len(),
            upload,
            download,
            peak_rss_kib: server.peak_rss_kib()?,
            upload_cpu,
            download_cpu,
        })
    }
    .await;
    server.stop().await?;
    result
}

/// The reconnect benchmark against one server.
#[derive(Debug, Clone)]
pub struct ReconnectBench {
    pub records: usize,
    pub changed: usize,
    /// One device's first upload of every record.
    pub initial_sync: Duration,
    /// One entry per round: `changed` records edited offline, then a reconnect.
    pub rounds: Vec<Reconnect>,
    /// The same with the app's reconnect (change feed + `Session::resume`); Outpost only.
    pub feed_rounds: Vec<Reconnect>,
    pub peak_rss_kib: u64,
}

/// A device uploads `records` incidents to a fresh server of `kind` and disconnects; then,
/// `rounds` times, `changed` of them are edited offline and the device reconnects with a fresh
/// session (plain automerge-repo: it syncs every document it holds). Against Outpost,
/// `feed_rounds` rounds follow with the app's reconnect: change feed, `reconnect_plan`,
/// `Session::resume`.
pub async fn reconnect(
    kind: Kind,
    js_dir: &Path,
    records: usize,
    changed: usize,
    rounds: usize,
    feed_rounds: usize,
    timeout: Duration,
) -> Result<ReconnectBench> {
    let docs = load::incident_docs(records, 0);
    let server = Server::start(kind, js_dir).await?;
    let result = async {
        let initial_sync = load::upload(server.url(), vec![docs.clone()], timeout).await?;
        let mut device: Docs = docs.into_iter().collect();
        let mut ids: Vec<_> = device.keys().copied().collect();
        ids.sort();
        let mut results = vec![];
        for round in 0..rounds {
            edit_round(&mut device, &ids, round, changed);
            let (r, back) = load::reconnect(server.url(), device, timeout).await?;
            device = back;
            results.push(r);
        }
        let feed_rounds_wanted = feed_rounds;
        let mut feed_rounds = vec![];
        if kind == Kind::Outpost && feed_rounds_wanted > 0 {
            // The device signed in once; it remembers the relay's heads (all synced now) and
            // the feed's cursor, as the app does.
            let login = load::Login::new(server.url(), "feed").await?;
            let mut remembered = load::Remembered {
                relay_heads: load::heads_of(&device),
                cursor: login.changes_since(0).await?.1,
            };
            for round in rounds..rounds + feed_rounds_wanted {
                edit_round(&mut device, &ids, round, changed);
                let (r, back) =
                    load::reconnect_with_feed(&login, device, &mut remembered, timeout).await?;
                device = back;
                feed_rounds.push(r);
            }
        }
        Ok(ReconnectBench {
            records,
            changed,
            initial_sync,
            rounds: results,
            feed_rounds,
            peak_rss_kib: server.peak_rss_kib()?,
        })
    }
    .await;
    server.stop().await?;
    result
}

/// Edits `changed` records offline, a different set each round.
fn edit_round(device: &mut Docs, ids: &[shared::ids::DocumentId], round: usize, changed: usize) {
    for (n, id) in ids
        .iter()
        .cycle()
        .skip(round * changed)
        .take(changed)
        .enumerate()
    {
        load::edit_offline(device.get_mut(id).expect("held"), round * changed + n);
    }
}
