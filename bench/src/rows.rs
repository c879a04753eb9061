//! The table's rows, from what each benchmark measured.

use std::time::Duration;

use crate::browser::BrowserBench;
use crate::browser::big::{BigTablet, Join};
use crate::browser::fanout::BrowserFanout;
use crate::browser::field::{self, FirstVisit, Via};
use crate::fanout::{FanoutRun, ManyRun};
use crate::relays::{CrossFanout, ScaleRun};
use crate::report::{
    Row, fmt_kb, fmt_mib, fmt_ms, fmt_ms_runs, fmt_percentiles, median, ms, percentile, thousands,
    verdict_under,
};
use crate::servers::Kind;
use crate::size::FileSize;
use crate::{ReconnectBench, Result, Throughput};

/// Relay-level fan-out: p95 under this at 1,000 other devices (issue 19).
pub const FANOUT_P95_MS: f64 = 50.0;
/// Browser to browser: p95 under this with 1,000 other devices.
pub const BROWSER_FANOUT_P95_MS: f64 = 100.0;
/// Many devices: fan-out p99 under this, relay RSS under 1 GiB.
pub const MANY_P99_MS: f64 = 500.0;
pub const MANY_RSS_KIB: f64 = 1024.0 * 1024.0;
/// Fan-out from a device on one relay to a device on another, on loopback (issue 18).
pub const CROSS_RELAY_P95_MS: f64 = 200.0;
/// Throughput: Outpost's time at most these shares of samod's and the JS server's.
pub const VS_SAMOD: f64 = 0.5;
pub const VS_REFERENCE: f64 = 0.1;

/// Each server's runs of one size.
pub struct ThroughputRuns<'a> {
    pub records: usize,
    pub clients: usize,
    /// Runs asked for per server (a server that failed is not run again).
    pub rounds: usize,
    pub runs: &'a [(Kind, Result<Throughput>)],
}

impl ThroughputRuns<'_> {
    fn of(&self, kind: Kind) -> Vec<&Throughput> {
        self.runs
            .iter()
            .filter(|(k, _)| *k == kind)
            .filter_map(|(_, r)| r.as_ref().ok())
            .collect()
    }

    fn failures(&self, kind: Kind) -> String {
        let all: Vec<_> = self.runs.iter().filter(|(k, _)| *k == kind).collect();
        let errors: Vec<String> = all
            .iter()
            .filter_map(|(_, r)| r.as_ref().err().map(|e| e.to_string()))
            .collect();
        match errors.first() {
            None => String::new(),
            Some(first) => format!(" ({} of {} runs failed: {first})", errors.len(), all.len()),
        }
    }
}

/// Which time of a [`Throughput`] a row shows.
type Phase = fn(&Throughput) -> Duration;

/// Upload, fresh download and peak memory of one size, each server side by side.
pub fn throughput(t: &ThroughputRuns) -> Vec<Row> {
    let n = thousands(t.records as u64);
    let per_client = t.records / t.clients.max(1);
    let runs = t.rounds;
    let time_cell = |values: &[f64], failed: String| match median(values) {
        None => format!("failed{failed}"),
        Some(m) => format!(
            "{} · {} docs/s{failed}",
            fmt_ms_runs(values),
            thousands((t.records as f64 / (m / 1000.0)).round() as u64)
        ),
    };
    let mut rows = vec![];
    let phases: [(String, Phase); 2] = [
        (
            format!(
                "Upload {n} records ({} clients × {per_client}) until acknowledged, median of {runs} runs",
                t.clients
            ),
            |t| t.upload,
        ),
        (
            format!("Fresh client fetches the {n} records by id, median of {runs} runs"),
            |t| t.download,
        ),
    ];
    for (measure, phase) in phases {
        let times = |kind| -> Vec<f64> { t.of(kind).iter().map(|r| ms(phase(r))).collect() };
        let cells = Kind::ALL.map(|k| time_cell(&times(k), t.failures(k)));
        let medians = Kind::ALL.map(|k| median(&times(k)));
        rows.push(compared(
            measure,
            cells,
            medians,
            [VS_SAMOD, VS_REFERENCE],
            "≤ 0.5× samod and ≤ 0.1× JS",
        ));
    }
    let rss = |kind| -> Vec<f64> { t.of(kind).iter().map(|r| r.peak_rss_kib as f64).collect() };
    let medians = Kind::ALL.map(|k| median(&rss(k)));
    rows.push(compared(
        format!(
            "Server peak RSS (VmHWM) over upload + download of {n} records (reset after the clients signed in), median"
        ),
        medians.map(|m| m.map_or("failed".into(), fmt_mib)),
        medians,
        [1.0, 1.0],
        "≤ the lower of samod and JS",
    ));
    rows
}

/// A row comparing Outpost with samod and the reference: `cells` and `values` in
/// [`Kind::ALL`]'s order, `limits` the highest ratios to samod and to the reference. A peer
/// that failed compares nothing (said in the verdict).
fn compared(
    measure: String,
    cells: [String; 3],
    values: [Option<f64>; 3],
    limits: [f64; 2],
    target: &str,
) -> Row {
    let [outpost, samod, reference] = cells;
    let ratios = [values[1], values[2]].map(|peer| values[0].zip(peer).map(|(o, p)| o / p));
    let fmt = |r: Option<f64>| r.map_or("—".into(), |x| format!("{x:.2}×"));
    let verdict = match values[0] {
        None => "not measured".to_string(),
        Some(_)
            if ratios
                .iter()
                .zip(limits)
                .any(|(r, l)| r.is_some_and(|r| r > l)) =>
        {
            "**missed**".into()
        }
        Some(_) => {
            let failed: Vec<&str> = ["samod", "JS"]
                .into_iter()
                .zip(ratios)
                .filter(|(_, r)| r.is_none())
                .map(|(name, _)| name)
                .collect();
            if failed.is_empty() {
                "met".into()
            } else {
                format!("met ({} not measured)", failed.join(", "))
            }
        }
    };
    Row {
        measure,
        outpost,
        samod,
        reference,
        vs_samod: fmt(ratios[0]),
        vs_reference: fmt(ratios[1]),
        target: target.into(),
        verdict,
    }
}

/// The reconnect rows; `benches` in [`Kind::ALL`]'s order (`None`: not run).
pub fn reconnect(
    records: usize,
    changed: usize,
    rounds: usize,
    benches: &[Option<Result<ReconnectBench>>; 3],
) -> Vec<Row> {
    let n = thousands(records as u64);
    let failed = |e: &crate::Error| format!("failed: {e}");
    let first = benches.each_ref().map(|b| match b {
        None => "—".to_string(),
        Some(Ok(b)) => format!(
            "{} · peak RSS {}",
            fmt_ms(ms(b.initial_sync)),
            fmt_mib(b.peak_rss_kib as f64)
        ),
        Some(Err(e)) => failed(e),
    });
    let first_values = benches.each_ref().map(|b| match b {
        Some(Ok(b)) => Some(ms(b.initial_sync)),
        _ => None,
    });
    let plain =
        |b: &ReconnectBench| -> Vec<f64> { b.rounds.iter().map(|r| ms(r.elapsed)).collect() };
    let plain_cells = benches.each_ref().map(|b| match b {
        None => "—".to_string(),
        Some(Ok(b)) => format!(
            "{} · {} frames each way",
            fmt_ms_runs(&plain(b)),
            b.rounds.first().map_or(0, |r| r.frames_out)
        ),
        Some(Err(e)) => failed(e),
    });
    let plain_values = benches.each_ref().map(|b| match b {
        Some(Ok(b)) => median(&plain(b)),
        _ => None,
    });
    let informative = |row: Row| Row {
        target: "—".into(),
        verdict: String::new(),
        ..row
    };
    let mut rows = vec![
        informative(compared(
            format!("First upload of {n} records by one device (reconnect set-up)"),
            first,
            first_values,
            [f64::INFINITY; 2],
            "—",
        )),
        informative(compared(
            format!(
                "Reconnect holding {n} records, {changed} changed offline, until both sides converge (plain automerge-repo: every document exchanges a sync message), median of {rounds} reconnects"
            ),
            plain_cells,
            plain_values,
            [f64::INFINITY; 2],
            "—",
        )),
    ];
    if let Some(outpost) = &benches[0] {
        let feed: Vec<f64> = outpost
            .as_ref()
            .map(|b| b.feed_rounds.iter().map(|r| ms(r.elapsed)).collect())
            .unwrap_or_default();
        rows.push(Row {
            reference: "— (no change feed)".into(),
            samod: "— (no change feed)".into(),
            ..Row::outpost_only(
                format!(
                    "Reconnect as the app does (change feed since its cursor, `reconnect_plan`, `Session::resume`): {n} records held, {changed} changed offline, until both sides converge, median of {rounds} reconnects"
                ),
                match outpost {
                    Ok(b) => format!(
                        "{} · {} frames each way",
                        fmt_ms_runs(&feed),
                        b.feed_rounds.first().map_or(0, |r| r.frames_out)
                    ),
                    Err(e) => failed(e),
                },
                "< 1 s (Outpost)",
                verdict_under(median(&feed), 1000.0),
            )
        });
    }
    rows
}

/// The relay-level fan-out rows, one per run.
pub fn fanout(runs: &[(usize, bool, Result<FanoutRun>)]) -> Vec<Row> {
    runs.iter()
        .map(|(others, shared, run)| {
            let others_text = thousands(*others as u64);
            let who = if *shared {
                format!("{others_text} other devices with the same record open")
            } else {
                format!("{others_text} other devices connected, each with its own record open")
            };
            let target = if *others >= 1000 {
                "p95 < 50 ms at 1,000"
            } else {
                "—"
            };
            match run {
                Err(e) => Row::outpost_only(
                    format!("Live fan-out, relay level, {who}"),
                    format!("failed: {e}"),
                    target,
                    "not measured".into(),
                ),
                Ok(run) => {
                    let d = &run.deliveries;
                    let mut cell = format!(
                        "to the watching device: {}",
                        fmt_percentiles(&d.watched_ms, &[50.0, 95.0, 99.0])
                    );
                    if *shared {
                        cell += &format!(
                            " · until all {} have it: {}",
                            thousands(*others as u64 + 1),
                            fmt_percentiles(&d.last_ms, &[50.0, 95.0])
                        );
                    }
                    if d.missing > 0 || !run.errors.is_empty() {
                        cell += &format!(
                            " · {} not delivered, {} errors",
                            d.missing,
                            run.errors.len()
                        );
                    }
                    let p95 = percentile(&d.watched_ms, 95.0);
                    Row::outpost_only(
                        format!(
                            "Live fan-out, relay level: a change on one device until another device with the record open has applied it, {who}, {} edits one at a time",
                            d.changes
                        ),
                        cell,
                        target,
                        if *others >= 1000 {
                            verdict_under(p95, FANOUT_P95_MS)
                        } else {
                            String::new()
                        },
                    )
                }
            }
        })
        .collect()
}

/// The many-devices rows.
pub fn many(run: &Result<ManyRun>, devices: usize) -> Vec<Row> {
    let n = thousands(devices as u64);
    let run = match run {
        Ok(run) => run,
        Err(e) => {
            return vec![Row::outpost_only(
                format!("{n} devices connected at once"),
                format!("failed: {e}"),
                "RSS < 1 GiB, p99 < 500 ms, no error",
                "not measured".into(),
            )];
        }
    };
    let what = format!(
        "{n} devices syncing at once (groups of {} tablets sharing {} records; {:.0} edits/s by random devices for {} s)",
        run.group.devices,
        run.group.records,
        run.edits_per_second,
        run.duration.as_secs()
    );
    let d = &run.deliveries;
    let errors = run.errors.len() + d.missing + run.diverged;
    vec![
        Row::outpost_only(
            format!("{what}: relay memory"),
            format!(
                "RSS {} with every device connected · peak {} · CPU {:.2} cores during the edits",
                fmt_mib(run.rss_connected_kib as f64),
                fmt_mib(run.rss_peak_kib as f64),
                run.cpu_cores
            ),
            "RSS < 1 GiB",
            verdict_under(Some(run.rss_peak_kib as f64), MANY_RSS_KIB),
        ),
        Row::outpost_only(
            format!(
                "{what}: fan-out, commit on the writer until each other tablet of its group applied it"
            ),
            format!(
                "{} over {} deliveries of {} changes",
                fmt_percentiles(&d.all_ms, &[50.0, 95.0, 99.0, 100.0]),
                thousands(d.all_ms.len() as u64),
                thousands(d.changes as u64)
            ),
            "p99 < 500 ms",
            verdict_under(percentile(&d.all_ms, 99.0), MANY_P99_MS),
        ),
        Row::outpost_only(
            format!(
                "{what}: errors (connections lost, errors from the relay, changes not delivered, records whose tablets did not converge)"
            ),
            format!(
                "{errors} ({} not delivered, {} not converged{})",
                d.missing,
                run.diverged,
                run.errors
                    .first()
                    .map_or(String::new(), |e| format!("; first error: {e}"))
            ),
            "none",
            if errors == 0 {
                "met".into()
            } else {
                "**missed**".into()
            },
        ),
    ]
}

/// The rows of a device holding `records` records: its first start after seeding and its
/// cold starts.
fn starts(b: &BrowserBench, n: &str) -> Vec<Row> {
    let paints = b.first_paint_ms();
    let mut rows = vec![Row::outpost_only(
        format!(
            "Browser, {n} records on the device: cold start (browser restarted, offline) to first list paint, median of {} starts",
            paints.len()
        ),
        format!(
            "{} · {} rows painted",
            fmt_ms_runs(&paints),
            thousands(b.starts.first().map_or(0, |s| s.rows) as u64)
        ),
        "< 1 s",
        verdict_under(median(&paints), 1000.0),
    )];
    if let Some(derive) = &b.derive_start {
        rows.push(Row::outpost_only(
            format!(
                "Browser, {n} records stored without their list summaries (a database from before summaries; the benchmark's seeding): the one start that derives and keeps them, to first list paint"
            ),
            format!(
                "{} · every document decoded at {}",
                fmt_ms(derive.paint_ms),
                derive.documents_mark_ms.map_or("—".into(), fmt_ms)
            ),
            "—",
            String::new(),
        ));
    }
    rows
}

pub fn browser(records: usize, b: &Result<BrowserBench>) -> Vec<Row> {
    let n = thousands(records as u64);
    let b = match b {
        Ok(b) => b,
        Err(e) => return vec![failed_row(format!("Browser with {n} records"), e)],
    };
    let mut rows = starts(b, &n);
    rows.push(Row::outpost_only(
        format!(
            "Browser, {n} records: edit (click Save) to durable in IndexedDB (\"Saved\"), {} edits",
            b.edit_ms.len()
        ),
        fmt_percentiles(&b.edit_ms, &[50.0, 95.0, 100.0]),
        "p95 ≤ 16 ms",
        match percentile(&b.edit_ms, 95.0) {
            None => "not measured".into(),
            Some(p) if p <= 16.0 => "met".into(),
            Some(_) => "**missed**".into(),
        },
    ));
    rows.push(Row::outpost_only(
        format!("Browser, {n} records: tab memory after the edits"),
        b.memory.describe(),
        "—",
        String::new(),
    ));
    rows
}

/// The browser-to-browser fan-out rows, alone and with other devices.
pub fn browser_fanout(runs: &[Result<BrowserFanout>], others: &[usize]) -> Vec<Row> {
    runs.iter()
        .zip(others)
        .map(|(run, others)| {
            let who = if *others == 0 {
                "alone on the relay".to_string()
            } else {
                format!(
                    "while {} other devices are connected (groups of 8 sharing 20 records, 1 % editing each second)",
                    thousands(*others as u64)
                )
            };
            let measure = format!(
                "Live fan-out, browser to browser: Save clicked on tablet A until tablet B's open form shows the change, {who}"
            );
            let (target, limit) = if *others >= 1000 {
                ("p95 < 100 ms at 1,000", Some(BROWSER_FANOUT_P95_MS))
            } else {
                ("—", None)
            };
            match run {
                Err(e) => failed_row(measure, e),
                Ok(run) => {
                    let mut cell = format!(
                        "{} over {} edits",
                        fmt_percentiles(&run.ms, &[50.0, 95.0, 100.0]),
                        run.ms.len()
                    );
                    if !run.errors.is_empty() {
                        cell += &format!(" · {} errors among the others", run.errors.len());
                    }
                    Row::outpost_only(
                        measure,
                        cell,
                        target,
                        limit.map_or(String::new(), |l| {
                            verdict_under(percentile(&run.ms, 95.0), l)
                        }),
                    )
                }
            }
        })
        .collect()
}

pub fn big(records: usize, b: &Result<BigTablet>) -> Vec<Row> {
    let n = thousands(records as u64);
    let b = match b {
        Ok(b) => b,
        Err(e) => return vec![failed_row(format!("Browser with {n} records"), e)],
    };
    let mut rows = starts(&b.starts, &n);
    rows.push(Row::outpost_only(
        format!(
            "Browser, {n} records: search, each keystroke of \"{}\" until the frame showing the results",
            b.query
        ),
        format!(
            "{} · list then: {}",
            fmt_percentiles(&b.keystroke_ms, &[50.0, 95.0, 100.0]),
            b.counts.last().map_or("—", String::as_str)
        ),
        "< 100 ms",
        verdict_under(percentile(&b.keystroke_ms, 100.0), 100.0),
    ));
    rows.push(Row::outpost_only(
        format!("Browser, {n} records: tab memory after the search"),
        b.memory.describe(),
        "—",
        String::new(),
    ));
    rows
}

pub fn join(records: usize, j: &Result<Join>) -> Vec<Row> {
    let n = thousands(records as u64);
    let measure = format!(
        "A new tablet joins with {n} records in its scope: sign-in until every record is stored on it for offline use"
    );
    let j = match j {
        Ok(j) => j,
        Err(e) => return vec![failed_row(measure, e)],
    };
    let s = |d: Duration| format!("{:.1} s", d.as_secs_f64());
    let steps: Vec<String> = j
        .progress
        .iter()
        .map(|(p, d)| format!("{p} % at {}", s(*d)))
        .collect();
    vec![Row::outpost_only(
        measure,
        format!(
            "{} · first rows at {} · progress bar: {} · \"Synced\" at {}",
            s(j.stored),
            j.first_rows.map_or("—".into(), s),
            if steps.is_empty() {
                "not shown".into()
            } else {
                steps.join(", ")
            },
            j.synced.map_or("—".into(), s)
        ),
        "—",
        String::new(),
    )]
}

pub fn first_visit(via: Via, v: &Result<FirstVisit>) -> Vec<Row> {
    let link = format!(
        "{:.1} Mbps down / {:.0} kbps up / {:.0} ms RTT ({})",
        field::DOWN_BPS / 1e6,
        field::UP_BPS / 1e3,
        field::RTT_MS,
        match via {
            Via::Chromium => "Chromium's emulation: the page's requests, not its service worker's",
            Via::Link => "a proxy carrying everything: page, service worker, sync",
        }
    );
    let v = match v {
        Ok(v) => v,
        Err(e) => return vec![failed_row(format!("First visit on {link}"), e)],
    };
    vec![
        Row::outpost_only(
            format!("First visit on {link}: navigation to an interactive sign-in screen"),
            format!(
                "{} · {} fetched by the page",
                fmt_ms(v.sign_in_ms),
                fmt_kb(v.page_bytes)
            ),
            "< 6 s",
            verdict_under(Some(v.sign_in_ms), 6000.0),
        ),
        Row::outpost_only(
            format!(
                "First visit on {link}: sign-in until ready offline (shell cached, first sync complete, all {} records in scope stored)",
                thousands(v.records as u64)
            ),
            format!("{:.1} s", v.ready.as_secs_f64()),
            "—",
            String::new(),
        ),
    ]
}

pub fn size(sizes: &Result<Vec<FileSize>>) -> Vec<Row> {
    let sizes = match sizes {
        Ok(s) => s,
        Err(e) => return vec![failed_row("App shell size".into(), e)],
    };
    let raw: u64 = sizes.iter().map(|s| s.raw).sum();
    let gz: u64 = sizes.iter().map(|s| s.gzip).sum();
    let br: Option<u64> = sizes.iter().map(|s| s.brotli).sum();
    let parts: Vec<String> = sizes
        .iter()
        .map(|s| format!("{} {} ({} gz)", s.path, fmt_kb(s.raw), fmt_kb(s.gzip)))
        .collect();
    vec![Row::outpost_only(
        format!("App shell (wasm + js + css), gzip -9: {}", parts.join(", ")),
        format!(
            "{} gzipped · {} raw · {} as the relay sends it to browsers that accept brotli",
            fmt_kb(gz),
            fmt_kb(raw),
            br.map_or("—".into(), fmt_kb)
        ),
        "< 700 KB gzipped",
        verdict_under(Some(gz as f64), 700_000.0),
    )]
}

fn failed_row(measure: String, e: &crate::Error) -> Row {
    Row::outpost_only(measure, format!("failed: {e}"), "", "not measured".into())
}

/// Several relays on one PostgreSQL: the upload through one, two and three relays, and
/// fan-out to a device on the same relay and on another.
pub fn relays(scale: &[(usize, Result<ScaleRun>)], fanout: &Result<CrossFanout>) -> Vec<Row> {
    let mut rows: Vec<Row> = scale
        .iter()
        .map(|(relays, run)| {
            let measure = format!(
                "Upload through {relays} relay{} on one PostgreSQL (clients spread over them) until acknowledged",
                if *relays == 1 { "" } else { "s" }
            );
            let cell = match run {
                Err(e) => format!("failed: {e}"),
                Ok(r) => format!(
                    "{} records in {} · {} docs/s · CPU: relays {:.1} s, PostgreSQL {:.1} s, load generator {:.1} s",
                    thousands(r.documents as u64),
                    fmt_ms(ms(r.upload)),
                    thousands(r.docs_per_second().round() as u64),
                    r.relays_cpu_s,
                    r.postgres_cpu_s,
                    r.generator_cpu_s
                ),
            };
            Row::outpost_only(measure, cell, "—", String::new())
        })
        .collect();
    let (same, other) = match fanout {
        Err(e) => (format!("failed: {e}"), format!("failed: {e}")),
        Ok(f) => (
            fmt_percentiles(&f.same_relay_ms, &[50.0, 95.0, 99.0]),
            fmt_percentiles(&f.other_relay_ms, &[50.0, 95.0, 99.0]),
        ),
    };
    let edits = fanout.as_ref().map_or(0, |f| f.other_relay_ms.len());
    rows.push(Row::outpost_only(
        format!("Live fan-out, two relays on one PostgreSQL: a change until a device on the writer's relay has applied it, {edits} edits one at a time"),
        same,
        "—",
        String::new(),
    ));
    let p95 = fanout
        .as_ref()
        .ok()
        .and_then(|f| percentile(&f.other_relay_ms, 95.0));
    rows.push(Row::outpost_only(
        format!("Live fan-out across relays: the same change until a device on the other relay has applied it (NOTIFY, its read, its sync), {edits} edits"),
        other,
        "p95 < 200 ms",
        verdict_under(p95, CROSS_RELAY_P95_MS),
    ));
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ratio_over_either_limit_misses_and_a_failed_peer_is_said() {
        let cells = ["".to_string(), "".to_string(), "".to_string()];
        let row = |values| compared("m".into(), cells.clone(), values, [0.5, 0.1], "t");
        assert_eq!(row([Some(4.0), Some(10.0), Some(100.0)]).verdict, "met");
        assert_eq!(
            row([Some(6.0), Some(10.0), Some(100.0)]).verdict,
            "**missed**"
        );
        assert_eq!(
            row([Some(4.0), Some(10.0), Some(20.0)]).verdict,
            "**missed**"
        );
        assert_eq!(
            row([Some(4.0), Some(10.0), None]).verdict,
            "met (JS not measured)"
        );
        assert_eq!(row([None, Some(10.0), None]).verdict, "not measured");
        assert_eq!(row([Some(4.0), Some(10.0), Some(100.0)]).vs_samod, "0.40×");
    }
}
