//! `outpost-bench`: runs every benchmark and writes one markdown table (see `scripts/bench`).

use std::path::PathBuf;
use std::time::Duration;

use bench::browser::BrowserBench;
use bench::report::{
    Row, fmt_kb, fmt_mib, fmt_ms, fmt_ms_runs, median, ms, percentile, table, thousands,
};
use bench::servers::{Kind, default_js_dir};
use bench::{ReconnectBench, Result, Throughput};
use clap::Parser;

#[derive(Parser)]
#[command(
    name = "outpost-bench",
    about = "Outpost's benchmarks: relay vs the automerge-repo reference server, reconnect, browser, size"
)]
struct Cli {
    /// Upload/download runs per server (medians are reported).
    #[arg(long, default_value_t = 3)]
    runs: usize,
    /// Concurrent upload clients.
    #[arg(long, default_value_t = 4)]
    clients: usize,
    /// Documents each upload client creates.
    #[arg(long, default_value_t = 250)]
    docs_per_client: usize,
    /// Records the reconnecting device holds.
    #[arg(long, default_value_t = 10_000)]
    reconnect_records: usize,
    /// Records changed offline before each reconnect.
    #[arg(long, default_value_t = 100)]
    reconnect_changed: usize,
    /// Reconnects measured (each after new offline changes).
    #[arg(long, default_value_t = 3)]
    reconnect_rounds: usize,
    /// Records on the device for the browser benchmark (0 skips it).
    #[arg(long, default_value_t = 10_000)]
    browser_records: usize,
    /// Cold starts of the app measured.
    #[arg(long, default_value_t = 3)]
    cold_starts: usize,
    /// Edits measured.
    #[arg(long, default_value_t = 500)]
    edits: usize,
    /// The built app (for its size; the e2e harness serves `<repo>/dist` or $OUTPOST_STATIC_DIR).
    #[arg(long)]
    dist: Option<PathBuf>,
    /// The reference server's folder (server.mjs and its node_modules).
    #[arg(long)]
    js_dir: Option<PathBuf>,
    /// Longest any one phase (an upload, a download, a reconnect) may take, in seconds.
    #[arg(long, default_value_t = 600)]
    phase_timeout: u64,
    /// Also write the table here.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Run only these benchmarks (repeat the flag; all of them when not given). To profile one
    /// measure, e.g. `--only reconnect-feed` (the app's reconnect against Outpost only).
    #[arg(long, value_enum)]
    only: Vec<Phase>,
}

/// The benchmarks `--only` picks from.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Phase {
    /// Upload and fresh download, both servers.
    Throughput,
    /// Both reconnects (plain and with the change feed), both servers.
    Reconnect,
    /// Only the app's reconnect (change feed), Outpost only: no plain reconnect rounds.
    ReconnectFeed,
    Browser,
    Size,
}

impl Cli {
    fn runs(&self, phase: Phase) -> bool {
        self.only.is_empty() || self.only.contains(&phase)
    }
}

#[tokio::main]
async fn main() {
    let cli = Cli::parse();
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
    let js_dir = cli.js_dir.clone().unwrap_or_else(default_js_dir);
    let dist = cli
        .dist
        .clone()
        .unwrap_or_else(|| e2e::repo_root().join("dist"));
    let timeout = Duration::from_secs(cli.phase_timeout);
    let mut rows = vec![];

    // 1. Upload and fresh download, both servers, alternating which goes first.
    let mut outpost: Vec<Result<Throughput>> = vec![];
    let mut reference: Vec<Result<Throughput>> = vec![];
    let throughput_runs = if cli.runs(Phase::Throughput) {
        cli.runs
    } else {
        0
    };
    for run in 0..throughput_runs {
        let order = if run % 2 == 0 {
            [Kind::Outpost, Kind::Reference]
        } else {
            [Kind::Reference, Kind::Outpost]
        };
        for kind in order {
            eprintln!(
                "bench: run {}/{}: {kind}: {} clients × {} documents",
                run + 1,
                cli.runs,
                cli.clients,
                cli.docs_per_client
            );
            let r =
                bench::throughput(kind, &js_dir, cli.clients, cli.docs_per_client, timeout).await;
            match &r {
                Ok(t) => eprintln!(
                    "bench:   upload {:.0} ms, download {:.0} ms, peak RSS {} KiB",
                    ms(t.upload),
                    ms(t.download),
                    t.peak_rss_kib
                ),
                Err(e) => eprintln!("bench:   failed: {e}"),
            }
            match kind {
                Kind::Outpost => outpost.push(r),
                Kind::Reference => reference.push(r),
            }
        }
    }
    let total = cli.clients * cli.docs_per_client;
    if throughput_runs > 0 {
        rows.extend(throughput_rows(cli, total, &outpost, &reference));
    }

    // 2. Reconnect.
    let (plain_rounds, kinds) = if cli.runs(Phase::Reconnect) {
        (cli.reconnect_rounds, vec![Kind::Outpost, Kind::Reference])
    } else if cli.runs(Phase::ReconnectFeed) {
        (0, vec![Kind::Outpost])
    } else {
        (0, vec![])
    };
    let mut reconnects = vec![];
    for &kind in &kinds {
        eprintln!(
            "bench: reconnect: {kind}: {} records, {} changed offline, {} rounds",
            cli.reconnect_records, cli.reconnect_changed, cli.reconnect_rounds
        );
        let r = bench::reconnect(
            kind,
            &js_dir,
            cli.reconnect_records,
            cli.reconnect_changed,
            plain_rounds,
            cli.reconnect_rounds,
            timeout,
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
        reconnects.push(r);
    }
    if !reconnects.is_empty() {
        while reconnects.len() < 2 {
            reconnects.push(Err("not run (--only)".into()));
        }
        rows.extend(reconnect_rows(cli, &reconnects[0], &reconnects[1]));
    }

    // 3. Browser.
    if cli.browser_records > 0 && cli.runs(Phase::Browser) {
        eprintln!(
            "bench: browser: {} records, {} cold starts, {} edits",
            cli.browser_records, cli.cold_starts, cli.edits
        );
        let r = bench::browser::run(cli.browser_records, cli.cold_starts, cli.edits).await;
        if let Err(e) = &r {
            eprintln!("bench:   failed: {e}");
        }
        rows.extend(browser_rows(cli, &r));
    }

    // 4. Size.
    if cli.runs(Phase::Size) {
        rows.extend(size_rows(&bench::size::shell(&dist)));
    }
    Ok(table(&rows))
}

fn oks<T: Clone>(results: &[Result<T>]) -> Vec<T> {
    results
        .iter()
        .filter_map(|r| r.as_ref().ok().cloned())
        .collect()
}

fn failures<T>(results: &[Result<T>]) -> String {
    let errors: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().err().map(|e| e.to_string()))
        .collect();
    if errors.is_empty() {
        String::new()
    } else {
        format!(
            " ({} of {} runs failed: {})",
            errors.len(),
            results.len(),
            errors[0].replace('|', "/")
        )
    }
}

fn ratio_row(
    measure: String,
    o: Option<f64>,
    r: Option<f64>,
    o_text: String,
    r_text: String,
    target: f64,
    target_text: &str,
) -> Row {
    let ratio = o.zip(r).map(|(o, r)| o / r);
    Row {
        measure,
        outpost: o_text,
        reference: r_text,
        ratio: ratio.map_or("—".into(), |x| format!("{x:.2}×")),
        target: target_text.into(),
        verdict: match ratio {
            None => "not measured".into(),
            Some(x) if x <= target => "met".into(),
            Some(_) => "**missed**".into(),
        },
    }
}

fn throughput_rows(
    cli: &Cli,
    total: usize,
    outpost: &[Result<Throughput>],
    reference: &[Result<Throughput>],
) -> Vec<Row> {
    let (o, r) = (oks(outpost), oks(reference));
    let times = |ts: &[Throughput], f: fn(&Throughput) -> Duration| -> Vec<f64> {
        ts.iter().map(|t| ms(f(t))).collect()
    };
    let cell = |values: &[f64], failed: String| -> String {
        match median(values) {
            None => format!("failed{failed}"),
            Some(m) => format!(
                "{} · {} docs/s{failed}",
                fmt_ms_runs(values),
                thousands((total as f64 / (m / 1000.0)).round() as u64)
            ),
        }
    };
    let mut rows = vec![];
    for (what, f) in [
        (
            format!(
                "Upload {} records ({} clients × {}) until acknowledged, median of {} runs",
                thousands(total as u64),
                cli.clients,
                cli.docs_per_client,
                cli.runs
            ),
            (|t: &Throughput| t.upload) as fn(&Throughput) -> Duration,
        ),
        (
            format!(
                "Fresh client fetches the {} records by id, median of {} runs",
                thousands(total as u64),
                cli.runs
            ),
            |t: &Throughput| t.download,
        ),
    ] {
        let (ov, rv) = (times(&o, f), times(&r, f));
        rows.push(ratio_row(
            what,
            median(&ov),
            median(&rv),
            cell(&ov, failures(outpost)),
            cell(&rv, failures(reference)),
            1.0 / 3.0,
            "≤ 0.33× (3× faster)",
        ));
    }
    let rss =
        |ts: &[Throughput]| -> Vec<f64> { ts.iter().map(|t| t.peak_rss_kib as f64).collect() };
    let (ov, rv) = (rss(&o), rss(&r));
    rows.push(ratio_row(
        "Server peak RSS (VmHWM) over upload + download (reset after the clients signed in), median".into(),
        median(&ov),
        median(&rv),
        median(&ov).map_or("failed".into(), fmt_mib),
        median(&rv).map_or("failed".into(), fmt_mib),
        0.25,
        "≤ 0.25×",
    ));
    rows
}

fn reconnect_rows(
    cli: &Cli,
    outpost: &Result<ReconnectBench>,
    reference: &Result<ReconnectBench>,
) -> Vec<Row> {
    let rounds = |b: &Result<ReconnectBench>| -> Vec<f64> {
        b.as_ref()
            .map(|b| b.rounds.iter().map(|r| ms(r.elapsed)).collect())
            .unwrap_or_default()
    };
    let cell = |b: &Result<ReconnectBench>| -> String {
        match b {
            Ok(b) => format!(
                "{} · {} frames each way",
                fmt_ms_runs(&rounds(&Ok(b.clone()))),
                b.rounds.first().map_or(0, |r| r.frames_out)
            ),
            Err(e) => format!("failed: {}", e.to_string().replace('|', "/")),
        }
    };
    let (o, r) = (median(&rounds(outpost)), median(&rounds(reference)));
    let feed: Vec<f64> = outpost
        .as_ref()
        .map(|b| b.feed_rounds.iter().map(|r| ms(r.elapsed)).collect())
        .unwrap_or_default();
    let first = |b: &Result<ReconnectBench>| -> String {
        match b {
            Ok(b) => format!(
                "{} · peak RSS {}",
                fmt_ms(ms(b.initial_sync)),
                fmt_mib(b.peak_rss_kib as f64)
            ),
            Err(_) => "failed".into(),
        }
    };
    let n = thousands(cli.reconnect_records as u64);
    vec![
        Row {
            measure: format!("First upload of {n} records by one device (reconnect set-up)"),
            outpost: first(outpost),
            reference: first(reference),
            ratio: outpost.as_ref().ok().zip(reference.as_ref().ok()).map_or(
                "—".into(),
                |(o, r)| {
                    format!(
                        "{:.2}×",
                        o.initial_sync.as_secs_f64() / r.initial_sync.as_secs_f64()
                    )
                },
            ),
            target: "—".into(),
            verdict: String::new(),
        },
        Row {
            measure: format!(
                "Reconnect holding {n} records, {} changed offline, until both sides converge (plain automerge-repo: every document exchanges a sync message), median of {} reconnects",
                cli.reconnect_changed, cli.reconnect_rounds
            ),
            outpost: cell(outpost),
            reference: cell(reference),
            ratio: o
                .zip(r)
                .map_or("—".into(), |(o, r)| format!("{:.2}×", o / r)),
            target: "—".into(),
            verdict: String::new(),
        },
        Row {
            measure: format!(
                "Reconnect as the app does (change feed since its cursor, `reconnect_plan`, `Session::resume`): {n} records held, {} changed offline, until both sides converge, median of {} reconnects",
                cli.reconnect_changed, cli.reconnect_rounds
            ),
            outpost: match outpost {
                Ok(b) => format!(
                    "{} · {} frames each way",
                    fmt_ms_runs(&feed),
                    b.feed_rounds.first().map_or(0, |r| r.frames_out)
                ),
                Err(e) => format!("failed: {}", e.to_string().replace('|', "/")),
            },
            reference: "— (no change feed)".into(),
            ratio: "—".into(),
            target: "< 1 s (Outpost)".into(),
            verdict: match median(&feed) {
                None => "not measured".into(),
                Some(f) if f < 1000.0 => "met".into(),
                Some(_) => "**missed**".into(),
            },
        },
    ]
}

fn browser_rows(cli: &Cli, b: &Result<BrowserBench>) -> Vec<Row> {
    let n = thousands(cli.browser_records as u64);
    let row = |measure: String, outpost: String, target: &str, verdict: String| Row {
        measure,
        outpost,
        reference: "—".into(),
        ratio: "—".into(),
        target: target.into(),
        verdict,
    };
    let b = match b {
        Ok(b) => b,
        Err(e) => {
            return vec![row(
                format!("Browser with {n} records"),
                format!("failed: {}", e.to_string().replace('|', "/")),
                "",
                "not measured".into(),
            )];
        }
    };
    let verdict = |v: Option<f64>, limit: f64| match v {
        None => "not measured".to_string(),
        Some(v) if v < limit => "met".into(),
        Some(_) => "**missed**".into(),
    };
    let paint = median(&b.first_paint_ms);
    let p50 = percentile(&b.edit_ms, 50.0);
    let p95 = percentile(&b.edit_ms, 95.0);
    vec![
        row(
            format!(
                "Browser, {n} records on the device: cold start (browser restarted, offline) to first list paint, median of {} starts",
                b.first_paint_ms.len()
            ),
            format!(
                "{} · {} rows painted",
                fmt_ms_runs(&b.first_paint_ms),
                thousands(b.rows_at_first_paint as u64)
            ),
            "< 1 s",
            verdict(paint, 1000.0),
        ),
        row(
            format!(
                "Browser, {n} records: edit (click Save) to durable in IndexedDB (\"Saved\"), {} edits",
                b.edit_ms.len()
            ),
            format!(
                "p50 {} · p95 {} · max {}",
                p50.map_or("—".into(), fmt_ms),
                p95.map_or("—".into(), fmt_ms),
                percentile(&b.edit_ms, 100.0).map_or("—".into(), fmt_ms)
            ),
            "p95 ≤ 16 ms",
            verdict(p95, 16.0),
        ),
        row(
            format!("Browser, {n} records: tab memory after the edits"),
            format!(
                "JS heap {} · renderer RSS {}",
                fmt_mib(b.js_heap_bytes as f64 / 1024.0),
                b.renderer_rss_kib.map_or("—".into(), |k| fmt_mib(k as f64))
            ),
            "—",
            String::new(),
        ),
    ]
}

fn size_rows(sizes: &Result<Vec<bench::size::FileSize>>) -> Vec<Row> {
    let sizes = match sizes {
        Ok(s) => s,
        Err(e) => {
            return vec![Row {
                measure: "App shell size".into(),
                outpost: format!("failed: {e}"),
                reference: "—".into(),
                ratio: "—".into(),
                target: "< 700 KB gzipped".into(),
                verdict: "not measured".into(),
            }];
        }
    };
    let raw: u64 = sizes.iter().map(|s| s.raw).sum();
    let gz: u64 = sizes.iter().map(|s| s.gzip).sum();
    let parts: Vec<String> = sizes
        .iter()
        .map(|s| format!("{} {} ({} gz)", s.path, fmt_kb(s.raw), fmt_kb(s.gzip)))
        .collect();
    vec![Row {
        measure: format!("App shell (wasm + js + css), gzip -9: {}", parts.join(", ")),
        outpost: format!("{} gzipped · {} raw", fmt_kb(gz), fmt_kb(raw)),
        reference: "—".into(),
        ratio: "—".into(),
        target: "< 700 KB gzipped".into(),
        verdict: if gz < 700_000 {
            "met".into()
        } else {
            "**missed**".into()
        },
    }]
}
