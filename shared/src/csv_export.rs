//! A list as CSV: the rows a person sees (already filtered and sorted), from their summaries,
//! for a spreadsheet. Times are UTC (RFC 3339). Every cell of every CSV Outpost writes (this
//! list and the auditor's evidence) goes through [`safe_cell`], so an exported title cannot
//! run anything in a spreadsheet.

use crate::sla::Warning;
use crate::summary::{Summary, TargetSummary};
use crate::time::Timestamp;

/// The header row of [`list_csv`].
pub const HEADER: [&str; 9] = [
    "Number",
    "Title",
    "Status",
    "Priority",
    "Site",
    "Team",
    "Assignee",
    "Updated (UTC)",
    "SLA",
];

/// The SLA state of a row at `now`, in words: empty when no target applies; for the target that
/// matters (response until someone responded, then resolution) "paused", "on track",
/// "50% used", "75% used", "90% used" or "breached"; once resolution stopped, "met" or
/// "breached".
pub fn sla_state(s: &Summary, now: Timestamp) -> &'static str {
    let Some(sla) = s.sla else { return "" };
    let target: &TargetSummary = if !sla.response.stopped {
        &sla.response
    } else {
        &sla.resolution
    };
    let warning = target.warning(now);
    if target.stopped {
        return if warning == Warning::Breached {
            "breached"
        } else {
            "met"
        };
    }
    if target.paused {
        return "paused";
    }
    match warning {
        Warning::None => "on track",
        Warning::Half => "50% used",
        Warning::ThreeQuarters => "75% used",
        Warning::Ninety => "90% used",
        Warning::Breached => "breached",
    }
}

/// A cell a spreadsheet cannot read as a formula: one starting with `=`, `+`, `-`, `@`, a tab
/// or a carriage return (OWASP's list for CSV injection) gets a leading `'`. Spreadsheets show
/// the text; the exact value stays in the evidence's JSON and Automerge files.
pub fn safe_cell(cell: &str) -> String {
    if cell.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{cell}")
    } else {
        cell.to_string()
    }
}

/// `rows` in order as CSV (header first, CRLF line ends as RFC 4180 says), SLA states at `now`.
pub fn list_csv(rows: &[Summary], now: Timestamp) -> String {
    let mut out = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .from_writer(vec![]);
    // Writing to a Vec cannot fail.
    let _ = out.write_record(HEADER);
    for s in rows {
        let updated = s
            .updated_at
            .to_datetime()
            .format("%Y-%m-%dT%H:%M:%SZ")
            .to_string();
        let cells: [&str; 9] = [
            &s.number,
            &s.title,
            &s.status_label,
            &s.priority.to_string(),
            &s.site,
            &s.team,
            &s.assignee,
            &updated,
            sla_state(s, now),
        ];
        let _ = out.write_record(cells.map(safe_cell));
    }
    String::from_utf8(out.into_inner().unwrap_or_default()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::priority::{Level, Priority};
    use crate::summary::SlaSummary;

    const MIN: i64 = 60_000;

    fn target(stopped: bool, due_at: i64) -> TargetSummary {
        TargetSummary {
            stopped,
            paused: false,
            warning_then: 0,
            warn_at: [None, None, None],
            due_at: Some(Timestamp::from_millis(due_at)),
            left_ms_then: 0,
        }
    }

    fn row(number: &str, title: &str, sla: Option<SlaSummary>) -> Summary {
        Summary {
            id: "doc".into(),
            kind: "incident".into(),
            number: number.into(),
            title: title.into(),
            status: "in_progress".into(),
            status_label: "In progress".into(),
            open: true,
            priority: Priority::P2,
            impact: Level::High,
            urgency: Level::Medium,
            site: "north".into(),
            team: "network".into(),
            assignee: "ana".into(),
            created_at: Timestamp::from_millis(0),
            updated_at: Timestamp::from_millis(1_764_034_200_000),
            sla,
            agreement: String::new(),
            attention: 0,
            search: String::new(),
            links: vec![],
        }
    }

    #[test]
    fn rows_keep_their_order_and_quote_what_needs_it() {
        let now = Timestamp::from_millis(1_764_034_200_000);
        let overdue = SlaSummary {
            response: target(true, 0),
            resolution: target(false, now.millis() - 5 * MIN),
        };
        let rows = [
            row("INC-0002", "Printer \"B\" jams, again", None),
            row("INC-0001", "=HYPERLINK(\"x\")", Some(overdue)),
        ];
        let csv = list_csv(&rows, now);
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(
            lines[0],
            "Number,Title,Status,Priority,Site,Team,Assignee,Updated (UTC),SLA"
        );
        assert_eq!(
            lines[1],
            "INC-0002,\"Printer \"\"B\"\" jams, again\",In progress,P2 High,north,network,ana,2025-11-25T01:30:00Z,"
        );
        assert_eq!(
            lines[2],
            "INC-0001,\"'=HYPERLINK(\"\"x\"\")\",In progress,P2 High,north,network,ana,2025-11-25T01:30:00Z,breached"
        );
        assert_eq!(lines[3], "", "ends with a line end");
        assert_eq!(lines.len(), 4);
    }

    #[test]
    fn every_formula_prefix_is_neutralised() {
        for bad in ["=1+1", "+1", "-1", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(safe_cell(bad), format!("'{bad}"));
        }
        for fine in ["1-1", "ok", "", "a=b", " =1"] {
            assert_eq!(safe_cell(fine), fine);
        }
        let mut s = row("INC-1", "t", None);
        s.assignee = "@admin".into();
        s.site = "\tnorth".into();
        let csv = list_csv(&[s], Timestamp::from_millis(0));
        assert!(csv.contains(",'@admin,"), "{csv}");
        assert!(csv.contains(",'\tnorth,"), "{csv}");
    }

    #[test]
    fn sla_state_follows_the_target_that_matters() {
        let now = Timestamp::from_millis(100 * MIN);
        let mut s = row("INC-1", "t", None);
        assert_eq!(sla_state(&s, now), "");
        s.sla = Some(SlaSummary {
            response: target(false, 200 * MIN),
            resolution: target(false, 50 * MIN),
        });
        assert_eq!(sla_state(&s, now), "on track", "response still running");
        s.sla = Some(SlaSummary {
            response: target(true, 200 * MIN),
            resolution: target(true, 200 * MIN),
        });
        assert_eq!(sla_state(&s, now), "met");
        let mut paused = target(false, 0);
        paused.paused = true;
        paused.due_at = None;
        s.sla = Some(SlaSummary {
            response: target(true, 200 * MIN),
            resolution: paused,
        });
        assert_eq!(sla_state(&s, now), "paused");
    }
}
