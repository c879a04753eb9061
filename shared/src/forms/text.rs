//! How each shape of field reads and writes as form text. A wrong value is refused with a
//! sentence the person can act on, never guessed at.

use super::Input;
use crate::model::{Shape, Value};

const YES_NO: [(&str, &str); 2] = [("false", "No"), ("true", "Yes")];

/// The control a field of `shape` needs.
pub fn input(shape: &Shape) -> Input {
    match shape {
        Shape::Text | Shape::Reference(_) => Input::Text,
        Shape::LongText | Shape::Group(_) => Input::LongText,
        Shape::Count { .. } | Shape::Decimal => Input::Number,
        Shape::When => Input::When,
        Shape::Bool => Input::Choice(YES_NO.to_vec()),
        Shape::Choice(choices) => Input::Choice(choices.options.to_vec()),
        Shape::List(_) => Input::Lines,
        // Empty text is none; a choice gains a "none" option.
        Shape::Optional(inner) => match input(inner) {
            Input::Choice(mut options) => {
                options.insert(0, ("", "—"));
                Input::Choice(options)
            }
            other => other,
        },
    }
}

/// A value as form text: numbers as written, an instant in milliseconds (the app converts to
/// and from local time), a list one item per line, nothing as empty text.
pub fn to_text(value: &Value) -> String {
    match value {
        Value::Str(s) => s.clone(),
        Value::Int(n) => n.to_string(),
        Value::Uint(n) => n.to_string(),
        Value::F64(x) => x.to_string(),
        Value::Bool(b) => b.to_string(),
        Value::List(items) => items.iter().map(to_text).collect::<Vec<_>>().join("\n"),
        Value::Null | Value::Group(_) | Value::Unreadable(_) => String::new(),
    }
}

/// The value form text gives a field of `shape`, or why it cannot.
pub fn from_text(shape: &Shape, text: &str) -> Result<Value, String> {
    let text = text.trim();
    Ok(match shape {
        Shape::Text | Shape::LongText | Shape::Reference(_) => Value::Str(text.into()),
        Shape::Count { max } => match text {
            "" => Value::Uint(0),
            _ => text
                .parse::<u64>()
                .ok()
                .filter(|n| n <= max)
                .map(Value::Uint)
                .ok_or_else(|| format!("'{text}' is not a number from 0 to {max}"))?,
        },
        Shape::Decimal => match text {
            "" => Value::F64(0.0),
            _ => text
                .parse::<f64>()
                .ok()
                .filter(|n| n.is_finite())
                .map(Value::F64)
                .ok_or_else(|| format!("'{text}' is not a number"))?,
        },
        Shape::Bool => match text {
            "true" | "yes" => Value::Bool(true),
            "false" | "no" | "" => Value::Bool(false),
            other => return Err(format!("choose yes or no, not '{other}'")),
        },
        Shape::When => text
            .parse()
            .map(Value::Int)
            .map_err(|_| "enter a date and time".to_string())?,
        Shape::Choice(choices) => match choices.options.iter().find(|(k, _)| *k == text) {
            Some((key, _)) => Value::from(*key),
            None => return Err(choices.refusal(text)),
        },
        Shape::Optional(_) if text.is_empty() => Value::Null,
        Shape::Optional(inner) => from_text(inner, text)?,
        Shape::List(inner) => Value::List(
            text.lines()
                .map(str::trim)
                .filter(|l| !l.is_empty())
                .map(|line| from_text(inner, line))
                .collect::<Result<_, _>>()?,
        ),
        Shape::Group(_) => return Err("this field is not edited as text".into()),
    })
}
