//! Time spent on a record's work, as a work-log line carries it (ISO 20000 asks for the
//! resources a service uses; a field technician logs the time with what was done). One place
//! for how a person types it, how it reads back and what a record totals.

use crate::model::WorkLogEntry;

/// The most one work-log line may claim: a day. More is almost always a typo ("90" meant as
/// hours), and a longer job is logged day by day.
pub const MAX_MINUTES: u32 = 24 * 60;

/// Reads the time a person typed: whole minutes (`45`), hours and minutes (`1:30`, `1h30`,
/// `1h 30m`, `2h`, `90m`). Blank is no time (`None`); anything else is an error that says
/// what is accepted.
pub fn parse(text: &str) -> Result<Option<u32>, String> {
    let text = text.trim().to_ascii_lowercase();
    if text.is_empty() {
        return Ok(None);
    }
    let wrong =
        || format!("'{text}' is not a time: write minutes (45) or hours and minutes (1:30)");
    let number = |s: &str| -> Result<u32, String> {
        let s = s.trim();
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) || s.len() > 5 {
            return Err(wrong());
        }
        s.parse().map_err(|_| wrong())
    };
    let minutes = if let Some((h, m)) = text.split_once(':') {
        number(h)? * 60 + number(m).and_then(|m| if m < 60 { Ok(m) } else { Err(wrong()) })?
    } else if let Some((h, rest)) = text.split_once('h') {
        let rest = rest.trim().trim_end_matches("min").trim_end_matches('m');
        let m = if rest.trim().is_empty() {
            0
        } else {
            number(rest)?
        };
        number(h)? * 60 + m
    } else {
        number(text.trim_end_matches("min").trim_end_matches('m'))?
    };
    match minutes {
        0 => Err("time spent must be at least one minute".into()),
        m if m > MAX_MINUTES => Err(format!(
            "{} is more than one work-log line may hold ({}); log longer work day by day",
            format(m.into()),
            format(MAX_MINUTES.into())
        )),
        m => Ok(Some(m)),
    }
}

/// Minutes as people read them: "45 min", "1 h", "2 h 5 min".
pub fn format(minutes: u64) -> String {
    match (minutes / 60, minutes % 60) {
        (0, m) => format!("{m} min"),
        (h, 0) => format!("{h} h"),
        (h, m) => format!("{h} h {m} min"),
    }
}

/// The time a work log records, in minutes.
pub fn total<'a>(entries: impl IntoIterator<Item = &'a WorkLogEntry>) -> u64 {
    entries
        .into_iter()
        .filter_map(|e| e.minutes)
        .map(u64::from)
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_people_type_reads_as_minutes() {
        for (text, minutes) in [
            ("45", 45),
            (" 90m ", 90),
            ("90 min", 90),
            ("1:30", 90),
            ("1h30", 90),
            ("1h 30m", 90),
            ("2H", 120),
            ("0:05", 5),
            ("24:00", MAX_MINUTES),
        ] {
            assert_eq!(parse(text), Ok(Some(minutes)), "{text}");
        }
        assert_eq!(parse("  "), Ok(None));
    }

    #[test]
    fn nonsense_zero_and_too_much_are_refused_with_the_reason() {
        for text in ["abc", "1:75", "-5", "1.5", "h", "1:", "99999999"] {
            let err = parse(text).unwrap_err();
            assert!(err.contains("not a time"), "{text}: {err}");
        }
        assert!(parse("0").unwrap_err().contains("at least one minute"));
        let err = parse("25h").unwrap_err();
        assert!(
            err.contains("25 h is more than") && err.contains("24 h"),
            "{err}"
        );
    }

    #[test]
    fn minutes_read_as_hours_and_minutes() {
        assert_eq!(format(45), "45 min");
        assert_eq!(format(60), "1 h");
        assert_eq!(format(125), "2 h 5 min");
    }

    #[test]
    fn a_work_log_totals_the_lines_that_carry_time() {
        let line = |minutes| WorkLogEntry {
            minutes,
            ..WorkLogEntry::default()
        };
        assert_eq!(total(&[line(Some(30)), line(None), line(Some(45))]), 75);
        assert_eq!(total(&[]), 0);
    }
}
