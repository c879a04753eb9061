//! Medians, percentiles and the markdown table.

use std::time::Duration;

/// The value at percentile `p` (0–100) of `values`, nearest rank; `None` when empty.
pub fn percentile(values: &[f64], p: f64) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    Some(sorted[rank.clamp(1, sorted.len()) - 1])
}

/// The median of `values` (mean of the middle two for an even count).
pub fn median(values: &[f64]) -> Option<f64> {
    if values.is_empty() {
        return None;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    Some(if sorted.len().is_multiple_of(2) {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    } else {
        sorted[mid]
    })
}

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// "1,234 ms" / "12.3 ms" / "0.42 ms".
pub fn fmt_ms(v: f64) -> String {
    if v >= 100.0 {
        format!("{} ms", thousands(v.round() as u64))
    } else if v >= 10.0 {
        format!("{v:.1} ms")
    } else {
        format!("{v:.2} ms")
    }
}

/// Median with the range of the runs: "1,234 ms (1,200–1,300)".
pub fn fmt_ms_runs(values: &[f64]) -> String {
    match median(values) {
        None => "—".into(),
        Some(m) if values.len() == 1 => fmt_ms(m),
        Some(m) => {
            let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
            let hi = values.iter().copied().fold(0.0, f64::max);
            format!(
                "{} ({}–{})",
                fmt_ms(m),
                fmt_ms(lo).trim_end_matches(" ms"),
                fmt_ms(hi)
            )
        }
    }
}

pub fn fmt_mib(kib: f64) -> String {
    format!("{:.1} MiB", kib / 1024.0)
}

pub fn fmt_kb(bytes: u64) -> String {
    format!("{:.1} KB", bytes as f64 / 1000.0)
}

pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// One row of the table: Outpost's figure and, for the sync benchmarks, samod's and the JS
/// reference server's.
pub struct Row {
    pub measure: String,
    pub outpost: String,
    pub samod: String,
    pub reference: String,
    pub vs_samod: String,
    pub vs_reference: String,
    pub target: String,
    pub verdict: String,
}

impl Row {
    /// A row only Outpost has (the app, the relay's own features).
    pub fn outpost_only(measure: String, outpost: String, target: &str, verdict: String) -> Row {
        Row {
            measure,
            outpost,
            samod: "—".into(),
            reference: "—".into(),
            vs_samod: "—".into(),
            vs_reference: "—".into(),
            target: target.into(),
            verdict,
        }
    }
}

/// "met" when `value` is under `limit`, "**missed**" when not, "not measured" without one.
pub fn verdict_under(value: Option<f64>, limit: f64) -> String {
    match value {
        None => "not measured".into(),
        Some(v) if v < limit => "met".into(),
        Some(_) => "**missed**".into(),
    }
}

/// The table, as markdown.
pub fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "| measure | Outpost | samod 0.16 (Rust) | automerge-repo 2.5.6 (node) | Outpost ÷ samod | Outpost ÷ JS | target | verdict |\n\
         |---|---|---|---|---|---|---|---|\n",
    );
    // A cell is one line without pipes (error messages may hold both).
    let cell = |s: &str| {
        s.split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
            .replace('|', "/")
    };
    for r in rows {
        let cells = [
            &r.measure,
            &r.outpost,
            &r.samod,
            &r.reference,
            &r.vs_samod,
            &r.vs_reference,
            &r.target,
            &r.verdict,
        ];
        let cells: Vec<String> = cells.iter().map(|c| cell(c)).collect();
        out.push_str(&format!("| {} |\n", cells.join(" | ")));
    }
    out
}

/// "p50 6.30 ms · p95 9.60 ms · p99 12.1 ms" for the given percentiles ("max" for 100).
pub fn fmt_percentiles(values: &[f64], ps: &[f64]) -> String {
    if values.is_empty() {
        return "—".into();
    }
    ps.iter()
        .map(|&p| {
            let name = if p >= 100.0 {
                "max".to_string()
            } else {
                format!("p{p}")
            };
            format!(
                "{name} {}",
                percentile(values, p).map_or("—".into(), fmt_ms)
            )
        })
        .collect::<Vec<_>>()
        .join(" · ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn medians_and_percentiles() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), Some(2.5));
        let hundred: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&hundred, 95.0), Some(95.0));
        assert_eq!(percentile(&hundred, 50.0), Some(50.0));
        assert_eq!(percentile(&[], 50.0), None);
        assert_eq!(thousands(1234567), "1,234,567");
        assert_eq!(
            fmt_percentiles(&hundred, &[50.0, 99.0, 100.0]),
            "p50 50.0 ms · p99 99.0 ms · max 100 ms"
        );
        assert_eq!(verdict_under(Some(49.0), 50.0), "met");
        assert_eq!(verdict_under(Some(50.0), 50.0), "**missed**");
    }
}
