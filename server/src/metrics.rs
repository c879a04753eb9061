//! Counters for `/metrics`, in Prometheus' text format.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering::Relaxed};

use crate::limits::Limit;

#[derive(Default)]
pub struct Metrics {
    pub connections_open: AtomicI64,
    pub connections_total: AtomicU64,
    pub frames_in: AtomicU64,
    pub frames_out: AtomicU64,
    pub bytes_in: AtomicU64,
    pub bytes_out: AtomicU64,
    pub protocol_errors: AtomicU64,
    pub refused: AtomicU64,
    pub receipts: AtomicU64,
    pub sessions_ended: AtomicU64,
    /// By [`Limit`], in the order of `Limit::ALL`.
    exceeded: [AtomicU64; Limit::ALL.len()],
    /// Messages whose handling panicked and cost only their connection (the sync hub's count).
    pub panics_contained: AtomicU64,
}

impl Metrics {
    pub fn add(counter: &AtomicU64, n: u64) {
        counter.fetch_add(n, Relaxed);
    }

    /// A connection or request crossed `limit`.
    pub fn exceeded(&self, limit: Limit) {
        Self::add(&self.exceeded[limit as usize], 1);
    }

    pub fn exceeded_count(&self, limit: Limit) -> u64 {
        self.exceeded[limit as usize].load(Relaxed)
    }

    /// The counters, with the gauges kept elsewhere: documents held and uploads running.
    pub fn render(&self, documents: i64, uploads: usize) -> String {
        let mut out = String::new();
        let mut line = |name: &str, kind: &str, help: &str, value: String| {
            out.push_str(&format!(
                "# HELP outpost_{name} {help}\n# TYPE outpost_{name} {kind}\noutpost_{name} {value}\n"
            ));
        };
        let get = |c: &AtomicU64| c.load(Relaxed).to_string();
        line(
            "connections_open",
            "gauge",
            "Open sync connections.",
            self.connections_open.load(Relaxed).to_string(),
        );
        line(
            "connections_total",
            "counter",
            "Sync connections accepted.",
            get(&self.connections_total),
        );
        line(
            "documents",
            "gauge",
            "Documents the relay holds.",
            documents.to_string(),
        );
        line(
            "uploads_running",
            "gauge",
            "Attachment uploads under way.",
            uploads.to_string(),
        );
        line(
            "sync_messages_in_total",
            "counter",
            "Protocol messages received.",
            get(&self.frames_in),
        );
        line(
            "sync_messages_out_total",
            "counter",
            "Protocol messages sent.",
            get(&self.frames_out),
        );
        line(
            "sync_bytes_in_total",
            "counter",
            "Protocol bytes received.",
            get(&self.bytes_in),
        );
        line(
            "sync_bytes_out_total",
            "counter",
            "Protocol bytes sent.",
            get(&self.bytes_out),
        );
        line(
            "protocol_errors_total",
            "counter",
            "Connections closed for bad input.",
            get(&self.protocol_errors),
        );
        line(
            "refused_total",
            "counter",
            "Requests answered as out of scope.",
            get(&self.refused),
        );
        line(
            "sessions_ended_total",
            "counter",
            "Connections closed because their session ended (revoked or expired).",
            get(&self.sessions_ended),
        );
        line(
            "receipts_total",
            "counter",
            "Changes accepted and logged.",
            get(&self.receipts),
        );
        line(
            "panics_contained_total",
            "counter",
            "Sync messages whose handling failed and closed only their own connection.",
            get(&self.panics_contained),
        );
        out.push_str(
            "# HELP outpost_limits_exceeded_total Connections closed or requests refused for crossing a bound.\n# TYPE outpost_limits_exceeded_total counter\n",
        );
        for limit in Limit::ALL {
            out.push_str(&format!(
                "outpost_limits_exceeded_total{{limit=\"{}\"}} {}\n",
                limit.label(),
                self.exceeded_count(limit)
            ));
        }
        out
    }
}
