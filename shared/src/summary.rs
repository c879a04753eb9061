//! A record's summary: the little a list needs to show, filter, sort and search a record, and
//! to show its SLA time left, derived from the record's document by one pure function.
//!
//! The app keeps one summary per document beside the document itself and rewrites it with every
//! save and every merge, so a list of 10,000 records opens from summaries alone. Time-dependent
//! SLA figures are stored as instants (when each warning and the breach fall due), so a list
//! can tick them against the clock without re-reading documents.

use automerge::Automerge;
use serde::{Deserialize, Serialize};

use crate::model::{ChangeMeta, Lookup, Record, StatusChange, record_type};
use crate::priority::{Level, Priority, PriorityMatrix};
use crate::records::agreement::{Agreements, Sla};
use crate::records::ticket::STOP_STATUSES;
use crate::sla::{BusinessCalendar, Measure, Warning, measure};
use crate::time::Timestamp;

/// One record as lists see it. `Serialize` so the app can store it as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Summary {
    /// The document id (string form).
    pub id: String,
    /// The record type (`incident`, …).
    pub kind: String,
    pub number: String,
    pub title: String,
    /// The status's stored key (`new`, `in_progress`, …).
    pub status: String,
    /// The status in words.
    pub status_label: String,
    /// Not resolved or closed: the work (and the SLA clock) is still on.
    pub open: bool,
    pub priority: Priority,
    pub impact: Level,
    pub urgency: Level,
    pub site: String,
    pub team: String,
    pub assignee: String,
    pub created_at: Timestamp,
    /// The latest change's time (by the changing device's clock).
    pub updated_at: Timestamp,
    /// The SLA clock as of `updated_at`'s summary, `None` when no SLA target applies.
    pub sla: Option<SlaSummary>,
    /// The SLA record number a ticket names; empty for the standard SLA (and for records
    /// without a clock). Its clock runs against that SLA once the device holds it, against the
    /// standard SLA until then ([`Agreements::for_ticket`]), so the app derives the summaries
    /// naming an SLA again when that SLA arrives or changes. Required: a summary stored
    /// before it existed does not parse, and is derived anew.
    pub agreement: String,
    /// Lower-case text full-text search looks in: number, title, description, assignee,
    /// site, team and the work log.
    pub search: String,
    /// How many things in it need a person ([`crate::review::attention`]: conflicting values,
    /// broken rules), so the conflict inbox's badge counts without reading any document.
    /// Required: a summary stored before it existed does not parse, and is derived anew.
    pub attention: usize,
    /// The references it holds (at most [`crate::references::MAX_LINKS`]), so "Referenced by" and
    /// impact analysis work from summaries alone. Required: a summary stored before it existed
    /// does not parse, and is derived anew.
    pub links: Vec<crate::references::Outgoing>,
}

/// The SLA state of a record, frozen into instants so it can be read at any later time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SlaSummary {
    pub response: TargetSummary,
    pub resolution: TargetSummary,
}

/// One target (response or resolution).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TargetSummary {
    /// Met or finished: no more time counts.
    pub stopped: bool,
    /// The clock is paused (the record waits in a pause status such as pending).
    pub paused: bool,
    /// The warning as of the summary (the floor for a paused or stopped clock), as
    /// [`warning_level`] numbers it.
    pub warning_then: u8,
    /// While running: when 50 %, 75 % and 90 % of the target will have been used.
    pub warn_at: [Option<Timestamp>; 3],
    /// While running: when the target breaches.
    pub due_at: Option<Timestamp>,
    /// Business time left as of the summary (negative: overdue).
    pub left_ms_then: i64,
}

impl TargetSummary {
    fn of(m: &Measure, calendar: &BusinessCalendar, now: Timestamp) -> Self {
        let at = |fraction_pct: i64| {
            let used = m.target_ms.saturating_mul(fraction_pct) / 100;
            (m.running && used > m.elapsed_ms)
                .then(|| calendar.add_business(now, used - m.elapsed_ms))
                .flatten()
        };
        TargetSummary {
            stopped: m.stopped,
            paused: !m.stopped && !m.running,
            warning_then: warning_level(m.warning),
            warn_at: [at(50), at(75), at(90)],
            due_at: m.due_at(calendar, now),
            left_ms_then: m.target_ms - m.elapsed_ms,
        }
    }

    /// The warning at `now`: what the summary saw, raised by any instant passed since.
    pub fn warning(&self, now: Timestamp) -> Warning {
        let then = warning_of_level(self.warning_then);
        if self.stopped {
            return then;
        }
        let passed = |t: Option<Timestamp>| t.is_some_and(|t| t <= now);
        let by_time = if passed(self.due_at) {
            Warning::Breached
        } else if passed(self.warn_at[2]) {
            Warning::Ninety
        } else if passed(self.warn_at[1]) {
            Warning::ThreeQuarters
        } else if passed(self.warn_at[0]) {
            Warning::Half
        } else {
            Warning::None
        };
        by_time.max(then)
    }

    /// Time left at `now` in milliseconds (negative: overdue by that much): wall time to the
    /// breach while running, the business time left while paused; `None` once stopped.
    pub fn left_ms(&self, now: Timestamp) -> Option<i64> {
        if self.stopped {
            return None;
        }
        match self.due_at {
            Some(due) => Some(due.millis() - now.millis()),
            None => Some(self.left_ms_then),
        }
    }
}

pub use crate::records::agreement::standard_sla;

/// Why a document has no summary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoSummary {
    /// Not a record lists show (an index, an empty document, another record type for now).
    NotListed,
    /// A record that could not be read: the reason, for the person to see.
    Unreadable(String),
}

/// The summary of document `id` at `now`, tickets' clocks measured against the SLA they name
/// among `slas` ([`Agreements::for_ticket`]); `lookup` holds the other records its rules may
/// read (see [`crate::review`]).
pub fn summarize(
    id: &str,
    doc: &Automerge,
    matrix: &PriorityMatrix,
    slas: &Agreements,
    lookup: &dyn Lookup,
    now: Timestamp,
) -> Result<Summary, NoSummary> {
    let kind = record_type(doc).ok_or(NoSummary::NotListed)?;
    let ty = crate::records::type_of(&kind).ok_or(NoSummary::NotListed)?;
    let record = Record::read(doc, ty).map_err(|e| NoSummary::Unreadable(e.to_string()))?;
    let status = record.status();
    let history = record.status_history();
    let created_at = history.iter().map(|c| c.at).min().unwrap_or_default();
    let number = record.number().to_string();
    let title = (ty.title)(&record);
    let field = |key: &str| match key {
        "" => String::new(),
        key => record.str(key).to_string(),
    };
    // The team that scopes the record (written at its root when it was filed), else its own.
    let team = root_text(doc, "team").unwrap_or_else(|| field(ty.place.team));
    let (impact, urgency, priority, sla, agreement) = match ty.ticket {
        true => {
            let (impact, urgency) = (
                Level::of(record.str("impact")),
                Level::of(record.str("urgency")),
            );
            let priority = matrix.priority(impact, urgency);
            let agreement = record.str("sla").to_string();
            let sla = sla_of(&history, priority, slas.for_ticket(&agreement), now);
            (impact, urgency, priority, sla, agreement)
        }
        false => (
            Level::default(),
            Level::default(),
            Priority::default(),
            None,
            String::new(),
        ),
    };
    // A resolved ticket's work is done although its lifecycle has one step left.
    let resolved = ty.ticket && STOP_STATUSES.contains(&status);
    let open = !ty.lifecycle.is_finished(status) && !resolved;
    let mut search: Vec<String> = vec![number.clone(), title.clone(), team.clone()];
    search.extend(
        ty.form
            .iter()
            .map(|f| crate::forms::field_text(f, record.get_at(f.path))),
    );
    search.extend(record.work_log().into_iter().map(|e| e.note));
    Ok(Summary {
        id: id.into(),
        kind,
        number,
        title,
        status: status.into(),
        status_label: ty.lifecycle.label(status).into(),
        open,
        priority,
        impact,
        urgency,
        site: field(ty.place.site),
        team,
        assignee: field(ty.place.assignee),
        created_at,
        updated_at: updated_at(doc, created_at),
        sla,
        agreement,
        search: search.join("\n").to_lowercase(),
        attention: crate::review::of_record(doc, &record, lookup).len(),
        links: crate::references::outgoing(&record),
    })
}

/// The latest change's time by its device's clock (never before `created`). The latest changes
/// are the heads (every other change is an ancestor of one), so only their metadata is read:
/// decoding the whole history made every save of a long-lived record slower (1.3 ms natively
/// for 500 changes, against 1 µs for the heads).
pub(crate) fn updated_at(doc: &Automerge, created: Timestamp) -> Timestamp {
    doc.get_heads()
        .iter()
        .filter_map(|h| doc.get_change_meta_by_hash(h))
        .filter_map(|c| serde_json::from_str::<ChangeMeta>(c.message.as_deref()?).ok())
        .map(|m| m.at)
        .max()
        .unwrap_or(created)
        .max(created)
}

/// The SLA clock of a ticket with this status history and priority, measured against `sla`;
/// `None` when no target applies.
pub(crate) fn sla_of(
    history: &[StatusChange],
    priority: Priority,
    sla: &Sla,
    now: Timestamp,
) -> Option<SlaSummary> {
    let calendar = sla.calendar.compile().ok()?;
    let policy = sla.ticket_policy(&calendar, priority)?;
    let state = measure(history, &policy, now);
    Some(SlaSummary {
        response: TargetSummary::of(&state.response, &calendar, now),
        resolution: TargetSummary::of(&state.resolution, &calendar, now),
    })
}

impl Summary {
    /// Whether every word of `query` occurs in the searchable text (case-insensitive).
    pub fn matches(&self, query: &str) -> bool {
        query
            .to_lowercase()
            .split_whitespace()
            .all(|word| self.search.contains(word))
    }

    /// The worse SLA warning of the two targets at `now`.
    pub fn warning(&self, now: Timestamp) -> Warning {
        self.sla.map_or(Warning::None, |s| {
            s.response.warning(now).max(s.resolution.warning(now))
        })
    }
}

fn root_text(doc: &Automerge, key: &str) -> Option<String> {
    use automerge::{ReadDoc, ScalarValue, Value};
    match doc.get(automerge::ROOT, key).ok().flatten() {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(t) if !t.is_empty() => Some(t.to_string()),
            _ => None,
        },
        _ => None,
    }
}

/// A warning as a number for storage: 0 none, 1 50 %, 2 75 %, 3 90 %, 4 breached.
pub fn warning_level(w: Warning) -> u8 {
    match w {
        Warning::None => 0,
        Warning::Half => 1,
        Warning::ThreeQuarters => 2,
        Warning::Ninety => 3,
        Warning::Breached => 4,
    }
}

/// The inverse of [`warning_level`] (anything above 4 counts as breached).
pub fn warning_of_level(level: u8) -> Warning {
    match level {
        0 => Warning::None,
        1 => Warning::Half,
        2 => Warning::ThreeQuarters,
        3 => Warning::Ninety,
        _ => Warning::Breached,
    }
}
