//! How each field type reads and writes as form text. A wrong value is refused with a
//! sentence the person can act on, never guessed at.

use super::Input;
use crate::records::priority::Level;
use crate::time::Timestamp;

/// A record field's type as a form control.
pub trait FieldValue: Sized {
    fn input() -> Input;
    fn to_text(&self) -> String;
    fn from_text(text: &str) -> Result<Self, String>;
}

/// Absent or only spaces.
pub(crate) fn is_blank(text: Option<&String>) -> bool {
    text.is_none_or(|t| t.trim().is_empty())
}

/// The input of the type of `_value` (lets a macro name a field's control without its type).
pub fn input_for<T: FieldValue>(_value: &T) -> Input {
    T::input()
}

impl FieldValue for String {
    fn input() -> Input {
        Input::Text
    }
    fn to_text(&self) -> String {
        self.clone()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text.trim().to_string())
    }
}

/// One item per line; blank lines are dropped.
impl FieldValue for Vec<String> {
    fn input() -> Input {
        Input::Lines
    }
    fn to_text(&self) -> String {
        self.join("\n")
    }
    fn from_text(text: &str) -> Result<Self, String> {
        Ok(text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(String::from)
            .collect())
    }
}

impl FieldValue for bool {
    fn input() -> Input {
        Input::Choice(vec![("false", "No"), ("true", "Yes")])
    }
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        match text.trim() {
            "true" | "yes" => Ok(true),
            "false" | "no" | "" => Ok(false),
            other => Err(format!("choose yes or no, not '{other}'")),
        }
    }
}

macro_rules! number {
    ($($t:ty),+) => {$(
        impl FieldValue for $t {
            fn input() -> Input {
                Input::Number
            }
            fn to_text(&self) -> String {
                self.to_string()
            }
            fn from_text(text: &str) -> Result<Self, String> {
                let text = text.trim();
                if text.is_empty() {
                    return Ok(<$t>::default());
                }
                text.parse().map_err(|_| {
                    format!(
                        "'{text}' is not a number from {} to {}",
                        <$t>::MIN,
                        <$t>::MAX
                    )
                })
            }
        }
    )+};
}
number!(u8, u32);

impl FieldValue for f64 {
    fn input() -> Input {
        Input::Number
    }
    fn to_text(&self) -> String {
        self.to_string()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.is_empty() {
            return Ok(0.0);
        }
        text.parse::<f64>()
            .ok()
            .filter(|n| n.is_finite())
            .ok_or_else(|| format!("'{text}' is not a number"))
    }
}

/// Milliseconds since 1970: the app converts from and to the device's local time.
impl FieldValue for Timestamp {
    fn input() -> Input {
        Input::When
    }
    fn to_text(&self) -> String {
        self.millis().to_string()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        text.trim()
            .parse()
            .map(Timestamp::from_millis)
            .map_err(|_| "enter a date and time".to_string())
    }
}

/// Empty text is `None`; a choice gains a "none" option.
impl<T: FieldValue> FieldValue for Option<T> {
    fn input() -> Input {
        match T::input() {
            Input::Choice(mut options) => {
                options.insert(0, ("", "—"));
                Input::Choice(options)
            }
            other => other,
        }
    }
    fn to_text(&self) -> String {
        self.as_ref().map(T::to_text).unwrap_or_default()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        if text.trim().is_empty() {
            Ok(None)
        } else {
            T::from_text(text).map(Some)
        }
    }
}

impl FieldValue for Level {
    fn input() -> Input {
        Input::Choice(vec![("high", "High"), ("medium", "Medium"), ("low", "Low")])
    }
    fn to_text(&self) -> String {
        match self {
            Level::High => "high",
            Level::Medium => "medium",
            Level::Low => "low",
        }
        .into()
    }
    fn from_text(text: &str) -> Result<Self, String> {
        match text.trim() {
            "high" => Ok(Level::High),
            "medium" => Ok(Level::Medium),
            "low" => Ok(Level::Low),
            other => Err(format!("choose high, medium or low, not '{other}'")),
        }
    }
}

impl FieldValue for crate::records::priority::Priority {
    fn input() -> Input {
        Input::Choice(vec![
            ("P1", "P1 Critical"),
            ("P2", "P2 High"),
            ("P3", "P3 Moderate"),
            ("P4", "P4 Low"),
            ("P5", "P5 Planning"),
        ])
    }
    fn to_text(&self) -> String {
        format!("{self:?}")
    }
    fn from_text(text: &str) -> Result<Self, String> {
        use crate::records::priority::Priority;
        Priority::ALL
            .into_iter()
            .find(|p| format!("{p:?}") == text.trim())
            .ok_or_else(|| format!("choose a priority from P1 to P5, not '{}'", text.trim()))
    }
}

/// A week of working hours, one weekday per line from Monday: `Mon 08:00-17:00`, `Sat closed`,
/// `Sun 00:00-24:00`.
impl FieldValue for Vec<crate::sla::WorkingDay> {
    fn input() -> Input {
        Input::Lines
    }
    fn to_text(&self) -> String {
        let hm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
        WEEKDAYS
            .iter()
            .zip(self)
            .map(|(day, hours)| match hours.open < hours.close {
                true => format!("{day} {}-{}", hm(hours.open), hm(hours.close)),
                false => format!("{day} closed"),
            })
            .collect::<Vec<_>>()
            .join("\n")
    }
    fn from_text(text: &str) -> Result<Self, String> {
        let lines: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        if lines.len() != 7 {
            return Err(
                "give seven lines, Monday to Sunday, e.g. 'Mon 08:00-17:00' or 'Sat closed'".into(),
            );
        }
        lines
            .iter()
            .zip(WEEKDAYS)
            .map(|(line, day)| {
                let rest = line
                    .strip_prefix(day)
                    .ok_or_else(|| format!("line '{line}' should start with {day}"))?
                    .trim();
                if rest.eq_ignore_ascii_case("closed") {
                    return Ok(crate::sla::WorkingDay::CLOSED);
                }
                let minutes = |hm: &str| -> Option<u32> {
                    let (h, m) = hm.trim().split_once(':')?;
                    let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
                    (m < 60 && h * 60 + m <= 24 * 60).then_some(h * 60 + m)
                };
                let (open, close) = rest
                    .split_once('-')
                    .and_then(|(o, c)| Some((minutes(o)?, minutes(c)?)))
                    .filter(|(o, c)| o < c)
                    .ok_or_else(|| format!("{day}: write the hours as 08:00-17:00, or 'closed'"))?;
                Ok(crate::sla::WorkingDay { open, close })
            })
            .collect()
    }
}

const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
