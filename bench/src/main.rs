//! `outpost-bench`: runs every benchmark and writes one markdown table, with the details of
//! the run under it (see `scripts/bench`).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use bench::fleet::GroupSpec;
use bench::report::{fmt_ms, fmt_percentiles, ms, table, thousands};
use bench::servers::{Kind, default_js_dir};
use bench::{Result, browser, fanout, rows};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "outpost-bench",
    about = "Outpost's benchmarks: the relay against samod and the automerge-repo reference server, live fan-out, many devices, reconnect, the browser, size"
)]
struct Cli {
    /// Upload/download runs per server and size (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Concurrent upload clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Records uploaded (over all clients) then downloaded, one measurement per size.
    #[arg(long, value_delimiter = ',', default_value = "1000,10000")]
    sizes: Vec<usize>,
    /// Longest an upload or a download may take, in seconds; a server that does not finish in
    /// time at a size is not run again at that size.
    #[arg(long, default_value_t = 120)]
    throughput_timeout: u64,
    /// Records the reconnecting device holds.
    #[arg(long, default_value_t = 10_000)]
    reconnect_records: usize,
    /// Records changed offline before each reconnect.
    #[arg(long, default_value_t = 100)]
    reconnect_changed: usize,
    /// Reconnects measured (each after new offline changes).
    #[arg(long, default_value_t = 3)]
    reconnect_rounds: usize,
    /// Other devices connected during the relay-level fan-out, one measurement per count.
    #[arg(long, value_delimiter = ',', default_value = "1,100,1000")]
    fanout_others: Vec<usize>,
    /// Edits per relay-level fan-out measurement.
    #[arg(long, default_value_t = 200)]
    fanout_edits: usize,
    /// Devices connected at once in the many-devices benchmark.
    #[arg(long, default_value_t = 10_000)]
    many_devices: usize,
    /// Devices per group (sharing the group's records) in the many-devices benchmark.
    #[arg(long, default_value_t = 8)]
    many_group: usize,
    /// Records each group holds.
    #[arg(long, default_value_t = 20)]
    many_records: usize,
    /// How long the devices edit, in seconds.
    #[arg(long, default_value_t = 60)]
    many_seconds: u64,
    /// Share of the devices editing each second.
    #[arg(long, default_value_t = 0.01)]
    many_share: f64,
    /// Relays on one PostgreSQL for the multi-relay upload, one measurement per count (needs
    /// $OUTPOST_BENCH_POSTGRES).
    #[arg(long, value_delimiter = ',', default_value = "1,2,3")]
    relay_counts: Vec<usize>,
    /// Upload clients of the multi-relay upload, spread over the relays.
    #[arg(long, default_value_t = 6)]
    relay_clients: usize,
    /// Records each of them uploads.
    #[arg(long, default_value_t = 500)]
    relay_records: usize,
    /// Edits of the fan-out across two relays.
    #[arg(long, default_value_t = 200)]
    relay_fanout_edits: usize,
    /// Records on the device for the browser benchmark (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    browser_records: usize,
    /// Cold starts of the app measured.
    #[arg(long, default_value_t = 3)]
    cold_starts: usize,
    /// Edits measured.
    #[arg(long, default_value_t = 500)]
    edits: usize,
    /// Saves timed browser to browser, per measurement.
    #[arg(long, default_value_t = 100)]
    browser_fanout_edits: usize,
    /// Other devices connected for the second browser-to-browser measurement (the first is
    /// alone).
    #[arg(long, default_value_t = 1000)]
    browser_fanout_others: usize,
    /// Records on the big tablet.
    #[arg(long, default_value_t = 50_000)]
    big_records: usize,
    /// Records in scope for the joining tablet.
    #[arg(long, default_value_t = 10_000)]
    join_records: usize,
    /// Records in scope for the first visit on a field connection.
    #[arg(long, default_value_t = 200)]
    field_records: usize,
    /// The built app (for its size; the e2e harness serves `<repo>/dist` or $OUTPOST_STATIC_DIR).
    #[arg(long)]
    dist: Option<PathBuf>,
    /// The reference server's folder (server.mjs and its node_modules).
    #[arg(long)]
    js_dir: Option<PathBuf>,
    /// Longest any one phase (an upload, a download, a reconnect, a fleet's start) may take,
    /// in seconds.
    #[arg(long, default_value_t = 600)]
    phase_timeout: u64,
    /// Also write the table here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only these benchmarks (repeat the flag; all of them when not given). To profile one
    /// measure, e.g. `--only reconnect-feed` (the app's reconnect against Outpost only).
    #[arg(long, value_enum)]
    only: Vec<Phase>,
    /// Upload/download only against these servers (repeat the flag; all of them when not
    /// given), e.g. `--servers outpost` to compare two relay builds through $OUTPOST_BIN.
    #[arg(long, value_enum)]
    servers: Vec<Kind>,
}

/// The benchmarks `--only` picks from.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    /// Upload and fresh download, every server.
    Throughput,
    /// Both reconnects (plain and with the change feed), every server.
    Reconnect,
    /// Only the app's reconnect (change feed), Outpost only: no plain reconnect rounds.
    ReconnectFeed,
    /// Relay-level live fan-out.
    Fanout,
    /// Many devices at once.
    Many,
    /// Several relays on one PostgreSQL ($OUTPOST_BENCH_POSTGRES): upload through 1, 2, 3
    /// relays, fan-out across relays. Not part of a run without `--only`.
    Relays,
    /// The app with many records: cold start, edits.
    Browser,
    /// Browser-to-browser live fan-out.
    BrowserFanout,
    /// 50,000 records on one tablet.
    BigTablet,
    /// A new tablet joining a scope.
    Join,
    /// The first visit on a field connection.
    FirstVisit,
    Size,
}

impl Cli {
    fn runs(&self, phase: Phase) -> bool {
        (self.only.is_empty() && phase != Phase::Relays) || self.only.contains(&phase)
    }
}

/// The load generator allocates with mimalloc, as the relay does. scripts/bench gives the
/// servers glibc a fixed 128 KiB mmap threshold, which this process inherits: with it, each
/// Automerge `save()` a device makes (a new record is uploaded whole) mapped, zeroed and
/// unmapped a fresh ~280 KiB DEFLATE state, two thirds of the devices' CPU in the upload (perf,
/// 2026-12-07: 210 → 65 ms a 1,000-record upload). The same devices drive every server.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
    match fanout::raise_file_limit() {
        Ok(limit) => eprintln!("bench: open files up to {limit}"),
        Err(e) => eprintln!("bench: cannot raise the open-file limit: {e}"),
    }
    match run(&cli).await {
        Ok(markdown) => {
            println!("{markdown}");
            if let Some(out) = &cli.out
                && let Err(e) = std::fs::write(out, &markdown)
            {
                eprintln!("error: cannot write {}: {e}", out.display());
                std::process::exit(1);
            }
        }
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(1);
        }
    }
}

async fn run(cli: &Cli) -> Result<String> {
    let started = Instant::now();
    let js_dir = cli.js_dir.clone().unwrap_or_else(default_js_dir);
    let dist = cli
        .dist
        .clone()
        .unwrap_or_else(|| e2e::repo_root().join("dist"));
    let timeout = Duration::from_secs(cli.phase_timeout);
    let mut rows = vec![];
    let mut details = vec![];

    if cli.runs(Phase::Throughput) {
        for &size in &cli.sizes {
            let limit = Duration::from_secs(cli.throughput_timeout);
            let runs = throughput(cli, &js_dir, size, limit).await;
            rows.extend(rows::throughput(&rows::ThroughputRuns {
                records: size,
                clients: cli.clients,
                rounds: cli.runs,
                runs: &runs,
            }));
            details.extend(throughput_cpu(size, &runs));
        }
    }

    let (plain_rounds, kinds) = if cli.runs(Phase::Reconnect) {
        (cli.reconnect_rounds, Kind::ALL.to_vec())
    } else if cli.runs(Phase::ReconnectFeed) {
        (0, vec![Kind::Outpost])
    } else {
        (0, vec![])
    };
    if !kinds.is_empty() {
        let mut benches = [None, None, None];
        for (slot, kind) in Kind::ALL.iter().enumerate() {
            if !kinds.contains(kind) {
                continue;
            }
            eprintln!(
                "bench: reconnect: {kind}: {} records, {} changed offline, {} rounds",
                cli.reconnect_records, cli.reconnect_changed, cli.reconnect_rounds
            );
            // The peers get the throughput limit: samod's first upload of 10,000 records
            // does not end (see BENCHMARKS.md), and waiting longer measures nothing.
            let limit = match kind {
                Kind::Outpost => timeout,
                _ => Duration::from_secs(cli.throughput_timeout),
            };
            let r = bench::reconnect(
                *kind,
                &js_dir,
                cli.reconnect_records,
                cli.reconnect_changed,
                plain_rounds,
                cli.reconnect_rounds,
                limit,
            )
            .await;
            match &r {
                Ok(b) => eprintln!(
                    "bench:   first upload {:.0} ms; reconnects {:?} ms; with the change feed {:?} ms",
                    ms(b.initial_sync),
                    b.rounds
                        .iter()
                        .map(|r| ms(r.elapsed).round())
                        .collect::<Vec<_>>(),
                    b.feed_rounds
                        .iter()
                        .map(|r| ms(r.elapsed).round())
                        .collect::<Vec<_>>()
                ),
                Err(e) => eprintln!("bench:   failed: {e}"),
            }
            benches[slot] = Some(r);
        }
        rows.extend(rows::reconnect(
            cli.reconnect_records,
            cli.reconnect_changed,
            cli.reconnect_rounds,
            &benches,
        ));
    }

    if cli.runs(Phase::Fanout) {
        let mut runs = vec![];
        for &others in &cli.fanout_others {
            for shared in [false, true] {
                eprintln!(
                    "bench: fan-out, relay level: {others} other devices{}, {} edits",
                    if shared { " on the same record" } else { "" },
                    cli.fanout_edits
                );
                let r = fanout::relay(others, shared, cli.fanout_edits, timeout).await;
                match &r {
                    Ok(run) => {
                        let line = format!(
                            "Relay-level fan-out, {others} other devices{}: to the watcher {}; until every device had it {}; CPU over the {} edits: relay {:.2} s, the devices (load generator) {:.2} s.",
                            if shared {
                                " with the same record open"
                            } else {
                                ", each with its own record"
                            },
                            fmt_percentiles(&run.deliveries.watched_ms, &[50.0, 95.0, 99.0]),
                            fmt_percentiles(&run.deliveries.last_ms, &[50.0, 95.0, 99.0]),
                            run.deliveries.changes,
                            run.relay_cpu_s,
                            run.devices_cpu_s,
                        );
                        eprintln!("bench:   {line}");
                        details.push(line);
                    }
                    Err(e) => eprintln!("bench:   failed: {e}"),
                }
                runs.push((others, shared, r));
            }
        }
        rows.extend(rows::fanout(&runs));
    }

    if cli.runs(Phase::Many) && cli.many_devices > 0 {
        let group = GroupSpec {
            devices: cli.many_group,
            records: cli.many_records,
        };
        eprintln!(
            "bench: many devices: {} in groups of {} with {} records, {} % editing each second for {} s",
            cli.many_devices,
            cli.many_group,
            cli.many_records,
            cli.many_share * 100.0,
            cli.many_seconds
        );
        let r = fanout::many(
            cli.many_devices,
            group,
            cli.many_share,
            Duration::from_secs(cli.many_seconds),
            timeout,
        )
        .await;
        match &r {
            Ok(run) => {
                let line = format!(
                    "Many devices: {} devices connected and holding their records in {:.1} s (people and sessions made in the relay's database beforehand, not timed); {} edits, {} deliveries; relay RSS {} KiB connected, peak {} KiB; CPU {:.2} cores.",
                    thousands(run.devices as u64),
                    run.start_time.as_secs_f64(),
                    thousands(run.deliveries.changes as u64),
                    thousands(run.deliveries.all_ms.len() as u64),
                    thousands(run.rss_connected_kib),
                    thousands(run.rss_peak_kib),
                    run.cpu_cores
                );
                eprintln!("bench:   {line}");
                details.push(line);
            }
            Err(e) => eprintln!("bench:   failed: {e}"),
        }
        rows.extend(rows::many(&r, cli.many_devices));
    }

    if cli.runs(Phase::Relays) {
        let server = std::env::var(bench::servers::POSTGRES)
            .map_err(|_| format!("--only relays needs ${}", bench::servers::POSTGRES))?;
        let mut scale = vec![];
        for &relays in &cli.relay_counts {
            eprintln!(
                "bench: {relays} relays on one PostgreSQL: {} clients × {} records",
                cli.relay_clients, cli.relay_records
            );
            let r = bench::relays::throughput(
                &server,
                relays,
                cli.relay_clients,
                cli.relay_records,
                timeout,
            )
            .await;
            match &r {
                Ok(run) => eprintln!(
                    "bench:   {:.0} ms, {:.0} docs/s; CPU relays {:.1} s, PostgreSQL {:.1} s, load generator {:.1} s",
                    ms(run.upload),
                    run.docs_per_second(),
                    run.relays_cpu_s,
                    run.postgres_cpu_s,
                    run.generator_cpu_s
                ),
                Err(e) => eprintln!("bench:   failed: {e}"),
            }
            scale.push((relays, r));
        }
        eprintln!(
            "bench: fan-out across two relays, {} edits",
            cli.relay_fanout_edits
        );
        let fanout = bench::relays::fanout(&server, cli.relay_fanout_edits, timeout).await;
        match &fanout {
            Ok(f) => eprintln!(
                "bench:   same relay {}; other relay {}",
                fmt_percentiles(&f.same_relay_ms, &[50.0, 95.0, 99.0]),
                fmt_percentiles(&f.other_relay_ms, &[50.0, 95.0, 99.0])
            ),
            Err(e) => eprintln!("bench:   failed: {e}"),
        }
        rows.extend(rows::relays(&scale, &fanout));
    }

    if cli.browser_records > 0 && cli.runs(Phase::Browser) {
        eprintln!(
            "bench: browser: {} records, {} cold starts, {} edits",
            cli.browser_records, cli.cold_starts, cli.edits
        );
        let r = browser::run(cli.browser_records, cli.cold_starts, cli.edits).await;
        match &r {
            Ok(b) => {
                details.extend(start_details(cli.browser_records, b));
                details.extend(edit_details(b));
            }
            Err(e) => eprintln!("bench:   failed: {e}"),
        }
        rows.extend(rows::browser(cli.browser_records, &r));
    }

    if cli.runs(Phase::BrowserFanout) {
        let mut runs = vec![];
        let others = [0, cli.browser_fanout_others];
        for others in others {
            eprintln!(
                "bench: fan-out, browser to browser: {others} other devices, {} saves",
                cli.browser_fanout_edits
            );
            let r = browser::fanout::run(others, cli.browser_fanout_edits, timeout).await;
            match &r {
                Ok(run) => eprintln!(
                    "bench:   {}",
                    fmt_percentiles(&run.ms, &[50.0, 95.0, 100.0])
                ),
                Err(e) => eprintln!("bench:   failed: {e}"),
            }
            runs.push(r);
        }
        rows.extend(rows::browser_fanout(&runs, &others));
    }

    if cli.big_records > 0 && cli.runs(Phase::BigTablet) {
        eprintln!(
            "bench: big tablet: {} records, {} cold starts",
            cli.big_records, cli.cold_starts
        );
        let r = browser::big::big(cli.big_records, cli.cold_starts).await;
        match &r {
            Ok(b) => {
                details.extend(start_details(cli.big_records, &b.starts));
                details.push(format!(
                    "Search on {} records, typing \"{}\": per keystroke {} ms; the list's count then: {}.",
                    thousands(cli.big_records as u64),
                    b.query,
                    b.keystroke_ms
                        .iter()
                        .map(|t| format!("{t:.0}"))
                        .collect::<Vec<_>>()
                        .join(", "),
                    b.counts.join(" → ")
                ));
            }
            Err(e) => eprintln!("bench:   failed: {e}"),
        }
        rows.extend(rows::big(cli.big_records, &r));
    }

    if cli.join_records > 0 && cli.runs(Phase::Join) {
        eprintln!("bench: a new tablet joins {} records", cli.join_records);
        let r = browser::big::join(cli.join_records, timeout).await;
        if let Err(e) = &r {
            eprintln!("bench:   failed: {e}");
        }
        rows.extend(rows::join(cli.join_records, &r));
    }

    if cli.runs(Phase::FirstVisit) {
        eprintln!(
            "bench: first visit on a field connection, {} records in scope",
            cli.field_records
        );
        for via in [browser::field::Via::Chromium, browser::field::Via::Link] {
            let r = browser::field::run(cli.field_records, via, timeout).await;
            match &r {
                Ok(v) => eprintln!(
                    "bench:   {via:?}: sign-in screen at {:.0} ms, ready offline {:.1} s after sign-in",
                    v.sign_in_ms,
                    v.ready.as_secs_f64()
                ),
                Err(e) => eprintln!("bench:   failed: {e}"),
            }
            rows.extend(rows::first_visit(via, &r));
        }
    }

    if cli.runs(Phase::Size) {
        rows.extend(rows::size(&bench::size::shell(&dist)));
    }

    details.push(format!(
        "This run took {:.1} min.",
        started.elapsed().as_secs_f64() / 60.0
    ));
    let mut out = table(&rows);
    out.push('\n');
    for line in details {
        out.push_str(&format!("- {line}\n"));
    }
    Ok(out)
}

/// How a throughput run that ran out of time is reported.
const TIMED_OUT: &str = "not finished within --throughput-timeout";

/// Every server's upload-then-download runs of `size` records, rotating which goes first.
async fn throughput(
    cli: &Cli,
    js_dir: &std::path::Path,
    size: usize,
    timeout: Duration,
) -> Vec<(Kind, Result<bench::Throughput>)> {
    let per_client = size.div_ceil(cli.clients.max(1));
    let mut runs: Vec<(Kind, Result<bench::Throughput>)> = vec![];
    for run in 0..cli.runs {
        let mut order = Kind::ALL;
        order.rotate_left(run % Kind::ALL.len());
        for kind in order {
            if !cli.servers.is_empty() && !cli.servers.contains(&kind) {
                continue;
            }
            // A server that timed out at this size times out again: not repeated. (Other
            // failures, e.g. a reset socket, may not recur.)
            let timed_out = |r: &Result<bench::Throughput>| {
                r.as_ref().is_err_and(|e| e.to_string().contains(TIMED_OUT))
            };
            if runs.iter().any(|(k, r)| *k == kind && timed_out(r)) {
                continue;
            }
            eprintln!(
                "bench: run {}/{}: {kind}: {} clients × {per_client} documents",
                run + 1,
                cli.runs,
                cli.clients,
            );
            let r = bench::throughput(kind, js_dir, cli.clients, per_client, timeout)
                .await
                .map_err(|e| -> bench::Error {
                    if e.to_string().starts_with("timed out") {
                        format!("{e}; {TIMED_OUT} {} s", timeout.as_secs()).into()
                    } else {
                        e
                    }
                });
            match &r {
                Ok(t) => eprintln!(
                    "bench:   upload {:.0} ms (CPU: server {:.0} ms, devices {:.0} ms), download {:.0} ms (CPU: server {:.0} ms, devices {:.0} ms), peak RSS {} KiB",
                    ms(t.upload),
                    t.upload_cpu.server * 1e3,
                    t.upload_cpu.devices * 1e3,
                    ms(t.download),
                    t.download_cpu.server * 1e3,
                    t.download_cpu.devices * 1e3,
                    t.peak_rss_kib
                ),
                Err(e) => eprintln!("bench:   failed: {e}"),
            }
            runs.push((kind, r));
        }
    }
    runs
}

/// Where the upload's and download's time went, per server: the medians of its wall time and
/// of the CPU time the server and the devices (this load generator) spent meanwhile.
fn throughput_cpu(size: usize, runs: &[(Kind, Result<bench::Throughput>)]) -> Vec<String> {
    use bench::report::median;
    let mut lines = vec![];
    for kind in Kind::ALL {
        let ok: Vec<&bench::Throughput> = runs
            .iter()
            .filter(|(k, _)| *k == kind)
            .filter_map(|(_, r)| r.as_ref().ok())
            .collect();
        if ok.is_empty() {
            continue;
        }
        let phase = |wall: fn(&bench::Throughput) -> Duration,
                     cpu: fn(&bench::Throughput) -> bench::Cpu| {
            let of = |f: &dyn Fn(&bench::Throughput) -> f64| {
                median(&ok.iter().map(|t| f(t)).collect::<Vec<f64>>()).map_or("—".into(), fmt_ms)
            };
            format!(
                "{} (CPU: server {}, devices {})",
                of(&|t| ms(wall(t))),
                of(&|t| cpu(t).server * 1e3),
                of(&|t| cpu(t).devices * 1e3)
            )
        };
        lines.push(format!(
            "{kind}, {} records, medians: upload {}; download {}.",
            thousands(size as u64),
            phase(|t| t.upload, |t| t.upload_cpu),
            phase(|t| t.download, |t| t.download_cpu),
        ));
    }
    lines
}

/// Where the edits' time went: each phase's median and p95 over all edits, and its median
/// over the slowest 5 % (what makes the tail).
fn edit_details(b: &browser::BrowserBench) -> Option<String> {
    use bench::report::{median, percentile};
    let p95 = percentile(&b.edit_ms, 95.0)?;
    let slow: Vec<&browser::EditPhases> = b
        .edit_ms
        .iter()
        .zip(&b.edit_phases)
        .filter(|(t, _)| **t >= p95)
        .map(|(_, p)| p)
        .collect();
    let phase = |name: &str, f: fn(&browser::EditPhases) -> f64| {
        let all: Vec<f64> = b.edit_phases.iter().map(f).collect();
        let tail: Vec<f64> = slow.iter().map(|p| f(p)).collect();
        format!(
            "{name} {} / {} (slowest 5 %: {})",
            median(&all).map_or("—".into(), fmt_ms),
            percentile(&all, 95.0).map_or("—".into(), fmt_ms),
            median(&tail).map_or("—".into(), fmt_ms)
        )
    };
    Some(format!(
        "Edits, median / p95 of each phase: {}; {}; {}.",
        phase("the app's work before writing", |p| p.before),
        phase("IndexedDB transactions", |p| p.idb),
        phase("the page's update after them", |p| p.after),
    ))
}

/// Each start of a browser benchmark, in order, with its phases.
fn start_details(records: usize, b: &browser::BrowserBench) -> Vec<String> {
    let n = thousands(records as u64);
    let mut lines = vec![];
    if let Some(derive) = &b.derive_start {
        lines.push(format!(
            "{n} records, the first start after seeding (derives the summaries): {}.",
            derive.phases()
        ));
    }
    if let Some(reads) = &b.store_reads {
        lines.push(format!(
            "{n} records, reading the app's IndexedDB stores whole in the page (no decoding): {}.",
            reads.describe()
        ));
    }
    for (i, start) in b.starts.iter().enumerate() {
        lines.push(format!(
            "{n} records, cold start {} of {}: {} (first paint {}).",
            i + 1,
            b.starts.len(),
            start.phases(),
            fmt_ms(start.paint_ms)
        ));
    }
    lines
}
