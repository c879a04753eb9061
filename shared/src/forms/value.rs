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
