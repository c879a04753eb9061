//! The tolerant reader: any record document into [`Value`]s by the fields' shapes, one range
//! read per object (`map_range` / `list_range`; in automerge 0.12 a lookup per field costs about
//! 2 µs, a record of ~150 values 0.3 ms).
//!
//! Every peer may write any shape, so a field accepts every reasonable representation of its
//! value: text as an Automerge string or text object; numbers as int, uint or f64 (or a
//! timestamp for an instant) where the value fits; null or nothing as the field's default.
//! Keys no field names are ignored (and the writer leaves them alone). A value that truly does
//! not fit is read as [`Value::Unreadable`] with a description of what is there: that field is
//! marked, the rest of the record reads normally, and a list keeps its readable entries.

use automerge::{Automerge, ObjId, ObjType, ReadDoc, ScalarValue, Value as Am};

use super::shape::{Field, Shape};
use super::value::{Group, Link, Value};

/// What a document holds at one place: the value Automerge kept, its id (the object's id for
/// an object), and whether other devices wrote concurrent values there.
pub(crate) struct Held {
    pub value: Am<'static>,
    pub id: ObjId,
    pub conflict: bool,
}

/// The entries of map `obj`, in one range read.
pub(crate) fn map_entries(doc: &Automerge, obj: &ObjId) -> Vec<(String, Held)> {
    doc.map_range(obj, ..)
        .map(|item| {
            let held = Held {
                id: item.id(),
                conflict: item.conflict,
                value: item.value.into_value(),
            };
            (item.key.into_owned(), held)
        })
        .collect()
}

/// The entries of list `obj`, in one range read.
pub(crate) fn list_entries(doc: &Automerge, obj: &ObjId) -> Vec<Held> {
    doc.list_range(obj, ..)
        .map(|item| Held {
            id: item.id(),
            conflict: item.conflict,
            value: item.value.into_value(),
        })
        .collect()
}

pub(crate) fn find<'a>(entries: &'a [(String, Held)], key: &str) -> Option<&'a Held> {
    entries.iter().find(|(k, _)| k == key).map(|(_, h)| h)
}

/// The fields of the map `obj`.
pub fn read_group(doc: &Automerge, obj: &ObjId, fields: &'static [Field]) -> Group {
    group_of(doc, obj, &map_entries(doc, obj), fields)
}

/// The fields of the map `obj`, whose entries are `entries`.
pub(crate) fn group_of(
    doc: &Automerge,
    obj: &ObjId,
    entries: &[(String, Held)],
    fields: &'static [Field],
) -> Group {
    Group::from_entries(
        fields
            .iter()
            .map(|field| {
                let value = match find(entries, field.key) {
                    Some(held) if held.conflict && started_concurrently(field) => {
                        merged_list(doc, obj, field)
                    }
                    held => read_field(doc, held, field),
                };
                (field.key, value)
            })
            .collect(),
    )
}

/// Whether `field` is a sparse list, which two devices may each start offline (each attaching
/// a first file): two lists at one key, of which Automerge shows one.
pub(crate) fn started_concurrently(field: &Field) -> bool {
    field.sparse && matches!(field.shape, Shape::List(_))
}

/// A sparse list started concurrently reads as the entries of every list at the key, in
/// Automerge's (deterministic) order of the values, so no device's entries are hidden; the next
/// write settles it into one list (`super::write`).
fn merged_list(doc: &Automerge, obj: &ObjId, field: &Field) -> Value {
    let mut items = vec![];
    for (value, id) in doc.get_all(obj, field.key).unwrap_or_default() {
        let held = Held {
            value: value.into_owned(),
            id,
            conflict: false,
        };
        if let Value::List(list) = read_value(doc, &held, &field.shape) {
            items.extend(list);
        }
    }
    Value::List(items)
}

/// A field's value from what the document holds there; its default when nothing (or null) is.
pub(crate) fn read_field(doc: &Automerge, held: Option<&Held>, field: &Field) -> Value {
    match held {
        Some(held) if !is_null(held) || matches!(field.shape, Shape::Optional(_)) => {
            read_value(doc, held, &field.shape)
        }
        _ => field.default_value(),
    }
}

fn is_null(held: &Held) -> bool {
    matches!(&held.value, Am::Scalar(s) if matches!(s.as_ref(), ScalarValue::Null))
}

/// What `held` reads as for `shape`.
pub(crate) fn read_value(doc: &Automerge, held: &Held, shape: &Shape) -> Value {
    let read = match shape {
        Shape::Optional(inner) => match is_null(held) {
            true => Some(Value::Null),
            false => Some(read_value(doc, held, inner)),
        },
        Shape::List(inner) => match &held.value {
            Am::Object(ObjType::List) => Some(Value::List(
                list_entries(doc, &held.id)
                    .iter()
                    .map(|entry| match (is_null(entry), inner) {
                        (true, Shape::Optional(_)) | (false, _) => read_value(doc, entry, inner),
                        (true, _) => Value::Unreadable(describe(doc, entry)),
                    })
                    .collect(),
            )),
            _ => None,
        },
        Shape::Group(fields) => match &held.value {
            Am::Object(ObjType::Map | ObjType::Table) => {
                Some(Value::Group(read_group(doc, &held.id, fields)))
            }
            _ => None,
        },
        // A link (`{number, id}`, see `crate::links`), or the plain text written before links.
        Shape::Reference(_) => match &held.value {
            Am::Object(ObjType::Map | ObjType::Table) => link_of(doc, held),
            _ => scalar_value(doc, held, shape),
        },
        scalar => scalar_value(doc, held, scalar),
    };
    read.unwrap_or_else(|| Value::Unreadable(describe(doc, held)))
}

/// A link from a map holding at least its number as text.
fn link_of(doc: &Automerge, held: &Held) -> Option<Value> {
    let entries = map_entries(doc, &held.id);
    let text = |key: &str| match scalar_value(doc, find(&entries, key)?, &Shape::Text)? {
        Value::Str(text) => Some(text),
        _ => None,
    };
    let number = text("number").filter(|n| !n.trim().is_empty())?;
    Some(Value::Link(Link {
        number,
        id: text("id").unwrap_or_default(),
    }))
}

/// A scalar shape from what is held, if it fits.
fn scalar_value(doc: &Automerge, held: &Held, shape: &Shape) -> Option<Value> {
    let text = match &held.value {
        Am::Scalar(s) => match s.as_ref() {
            ScalarValue::Str(t) => Some(t.to_string()),
            _ => None,
        },
        Am::Object(ObjType::Text) => doc.text(&held.id).ok(),
        Am::Object(_) => None,
    };
    let number = match &held.value {
        Am::Scalar(s) => Number::of(s.as_ref()),
        Am::Object(_) => None,
    };
    match shape {
        Shape::Text | Shape::LongText | Shape::Reference(_) | Shape::Drawing => {
            text.map(Value::Str)
        }
        Shape::Choice(choices) => text.and_then(|t| choices.key_of(&t)).map(Value::from),
        Shape::Count { max } => number?
            .whole()
            .and_then(|n| u64::try_from(n).ok())
            .filter(|n| n <= max)
            .map(Value::Uint),
        Shape::When => number?
            .whole()
            .and_then(|n| i64::try_from(n).ok())
            .map(Value::Int),
        Shape::Decimal => number.map(|n| Value::F64(n.decimal())),
        Shape::Bool => match &held.value {
            Am::Scalar(s) => match s.as_ref() {
                ScalarValue::Boolean(b) => Some(Value::Bool(*b)),
                _ => None,
            },
            Am::Object(_) => None,
        },
        Shape::Optional(_) | Shape::List(_) | Shape::Group(_) => None,
    }
}

/// A number in any of Automerge's numeric scalars.
#[derive(Clone, Copy)]
enum Number {
    Whole(i128),
    Decimal(f64),
}

impl Number {
    fn of(s: &ScalarValue) -> Option<Number> {
        Some(match s {
            ScalarValue::Int(n) | ScalarValue::Timestamp(n) => Number::Whole(i128::from(*n)),
            ScalarValue::Uint(n) => Number::Whole(i128::from(*n)),
            ScalarValue::Counter(c) => Number::Whole(i128::from(i64::from(c))),
            ScalarValue::F64(x) if x.is_finite() => Number::Decimal(*x),
            _ => return None,
        })
    }

    /// The whole number, if it is one (2.0 is; 2.5 is not).
    fn whole(self) -> Option<i128> {
        match self {
            Number::Whole(n) => Some(n),
            Number::Decimal(x) if x.fract() == 0.0 && x.abs() < 9.0e18 => Some(x as i128),
            Number::Decimal(_) => None,
        }
    }

    fn decimal(self) -> f64 {
        match self {
            Number::Whole(n) => n as f64,
            Number::Decimal(x) => x,
        }
    }
}

/// What is held, in a few words for people: `'whenever'`, `42`, `{a: 1, b: 'x'}`, `[1, 2]`.
pub(crate) fn describe(doc: &Automerge, held: &Held) -> String {
    let mut out = String::new();
    describe_into(doc, held, &mut out, 2);
    if out.chars().count() > 120 {
        out = out.chars().take(117).collect::<String>() + "…";
    }
    out
}

fn describe_into(doc: &Automerge, held: &Held, out: &mut String, depth: usize) {
    match &held.value {
        Am::Scalar(s) => out.push_str(&match s.as_ref() {
            ScalarValue::Str(t) => format!("'{t}'"),
            ScalarValue::Null => "nothing".into(),
            ScalarValue::Boolean(b) => if *b { "yes" } else { "no" }.into(),
            other => super::value::scalar_text(other),
        }),
        Am::Object(ObjType::Text) => {
            out.push_str(&format!("'{}'", doc.text(&held.id).unwrap_or_default()));
        }
        Am::Object(_) if depth == 0 => out.push('…'),
        Am::Object(ObjType::List) => {
            out.push('[');
            for (i, entry) in list_entries(doc, &held.id).iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                describe_into(doc, entry, out, depth - 1);
            }
            out.push(']');
        }
        Am::Object(_) => {
            out.push('{');
            for (i, (key, entry)) in map_entries(doc, &held.id).iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                out.push_str(key);
                out.push_str(": ");
                describe_into(doc, entry, out, depth - 1);
            }
            out.push('}');
        }
    }
}
