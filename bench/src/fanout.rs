//! Live fan-out and many devices on Outpost's relay (issue 19), with native devices
//! ([`crate::fleet`]):
//!
//! - [`relay`]: a writer and a watcher have one incident open while other devices are
//!   connected, each with its own incident open or all with the same one; the writer edits it
//!   again and again (each edit once every device has the previous one).
//! - [`many`]: thousands of devices in groups sharing records, a share of them editing every
//!   second; the relay's memory and CPU, fan-out times and errors.

use std::time::{Duration, Instant};

use rand::{Rng, SeedableRng, rngs::StdRng};

use crate::Result;
use crate::fleet::{Deliveries, Fleet, GroupSpec};
use crate::servers::{Server, status_kib};

/// Quiet time between two edits of the relay-level fan-out.
const GAP: Duration = Duration::from_millis(20);
/// How long the devices may take to converge after the last edit of [`many`].
const GRACE: Duration = Duration::from_secs(10);

/// One relay-level fan-out measurement.
#[derive(Debug, Clone)]
pub struct FanoutRun {
    pub others: usize,
    /// The other devices have the same incident open (else each its own).
    pub shared: bool,
    /// `watched_ms`: to the watcher; `last_ms`: until every device with the incident had it.
    pub deliveries: Deliveries,
    pub errors: Vec<String>,
    /// CPU time over the edits, in seconds: the relay's, and the load generator's (every
    /// device's own work).
    pub relay_cpu_s: f64,
    pub devices_cpu_s: f64,
}

/// Device 0 writes, device 1 watches, each on its own thread; `others` more devices are
/// connected and subscribed, to the same incident (`shared`) or each to its own, sharing the
/// load generator's runtime. `edits` edits, one at a time.
pub async fn relay(
    others: usize,
    shared: bool,
    edits: usize,
    timeout: Duration,
) -> Result<FanoutRun> {
    let groups: Vec<GroupSpec> = if shared {
        vec![GroupSpec {
            devices: others + 2,
            records: 1,
        }]
    } else {
        std::iter::once(GroupSpec {
            devices: 2,
            records: 1,
        })
        .chain(std::iter::repeat_n(
            GroupSpec {
                devices: 1,
                records: 1,
            },
            others,
        ))
        .collect()
    };
    let server = Server::outpost(&[]).await?;
    let result = async {
        let fleet = Fleet::start(&server, &groups, &[0, 1], timeout).await?;
        let cpu = (cpu_seconds(server.pid())?, cpu_seconds(std::process::id())?);
        for _ in 0..edits {
            let change = fleet.edit(0, 0).await?;
            fleet.wait_delivered(0, change, timeout).await;
            tokio::time::sleep(GAP).await;
        }
        let run = FanoutRun {
            others,
            shared,
            deliveries: fleet.deliveries(|d| d == 1),
            errors: fleet.errors(),
            relay_cpu_s: cpu_seconds(server.pid())? - cpu.0,
            devices_cpu_s: cpu_seconds(std::process::id())? - cpu.1,
        };
        fleet.stop().await;
        Ok(run)
    }
    .await;
    server.stop().await?;
    result
}

/// What [`many`] measured.
#[derive(Debug, Clone)]
pub struct ManyRun {
    pub devices: usize,
    pub group: GroupSpec,
    pub edits_per_second: f64,
    pub duration: Duration,
    /// Until every device was connected and held its records.
    pub start_time: Duration,
    /// The relay's resident set with every device connected, before the edits, in KiB.
    pub rss_connected_kib: u64,
    /// The relay's peak resident set over the whole run, in KiB.
    pub rss_peak_kib: u64,
    /// The relay's CPU time over the edits, as a share of one core.
    pub cpu_cores: f64,
    pub deliveries: Deliveries,
    pub errors: Vec<String>,
    /// (record, device) pairs whose heads differed from their group's first device's once the
    /// deliveries had settled.
    pub diverged: usize,
}

/// `devices` devices in groups of `group.devices` holding `group.records` records each; for
/// `duration`, `share` of the devices (0.01: 1 %) each make one edit per second, spread
/// evenly, each a random device editing a random record of its group.
pub async fn many(
    devices: usize,
    group: GroupSpec,
    share: f64,
    duration: Duration,
    timeout: Duration,
) -> Result<ManyRun> {
    let groups = vec![group; devices.div_ceil(group.devices)];
    let server = Server::outpost(&[]).await?;
    let result = async {
        let fleet = Fleet::start(&server, &groups, &[], timeout).await?;
        let rss_connected_kib = status_kib(server.pid(), "VmRSS:")?;
        let rate = fleet.len() as f64 * share;
        let cpu_before = cpu_seconds(server.pid())?;
        let started = Instant::now();
        edit_at_rate(&fleet, rate, duration).await;
        let cpu = cpu_seconds(server.pid())? - cpu_before;
        let busy = started.elapsed();
        let diverged = fleet.settle(GRACE).await;
        let run = ManyRun {
            devices: fleet.len(),
            group,
            edits_per_second: rate,
            duration,
            start_time: fleet.start_time,
            rss_connected_kib,
            rss_peak_kib: server.peak_rss_kib()?,
            cpu_cores: cpu / busy.as_secs_f64(),
            deliveries: fleet.deliveries(|_| true),
            errors: fleet.errors(),
            diverged,
        };
        fleet.stop().await;
        Ok(run)
    }
    .await;
    server.stop().await?;
    result
}

/// Background edits for `duration`: `rate` per second over the whole fleet, each by a random
/// device on a random record of its group (a fixed seed, so runs are alike).
pub async fn edit_at_rate(fleet: &Fleet, rate: f64, duration: Duration) {
    let mut rng = StdRng::seed_from_u64(19);
    let started = Instant::now();
    let mut done = 0u64;
    let mut tick = tokio::time::interval(Duration::from_millis(10));
    while started.elapsed() < duration {
        tick.tick().await;
        let due = (started.elapsed().as_secs_f64() * rate) as u64;
        while done < due {
            let writer = rng.gen_range(0..fleet.len());
            fleet.edit_now(writer, rng.gen_range(0..fleet.records_of(writer)));
            done += 1;
        }
    }
}

/// A process's user + system CPU time so far, in seconds (`/proc/PID/stat`).
pub fn cpu_seconds(pid: u32) -> Result<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))?;
    // pid (comm) state ppid …: fields after the last ')' start at field 3; utime is 14, stime 15.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .ok_or("unreadable /proc stat")?
        .1
        .split_whitespace()
        .collect();
    let ticks: f64 = fields[11].parse::<f64>()? + fields[12].parse::<f64>()?;
    // SAFETY: sysconf has no preconditions.
    let per_second = unsafe { libc::sysconf(libc::_SC_CLK_TCK) } as f64;
    Ok(ticks / per_second)
}

/// Raises this process's open-file limit to its hard limit (inherited by the relay it
/// starts): 10,000 connections need 10,000 sockets on each side. The product's defaults are
/// not touched.
pub fn raise_file_limit() -> Result<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit read and write the struct given.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return Err(std::io::Error::last_os_error().into());
        }
        limit.rlim_cur = limit.rlim_max;
        if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
            return Err(std::io::Error::last_os_error().into());
        }
    }
    Ok(limit.rlim_cur)
}
