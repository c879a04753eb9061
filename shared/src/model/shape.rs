//! What a record's fields hold. A record type lists its fields with their [`Shape`]s once;
//! the reader, the writer, the form and the conformance tests all follow that list.

use super::value::{Group, Value};

/// One named field of a record or of a group inside it.
#[derive(Debug, Clone, Copy)]
pub struct Field {
    pub key: &'static str,
    pub shape: Shape,
    /// The value of a new record, and of a document that lacks the field; `None`: the shape's
    /// own default (empty text, 0, no, none, the choice's default, an empty list).
    pub default: Option<fn() -> Value>,
    /// Written only once it holds a value: see [`Field::sparse`].
    pub sparse: bool,
}

impl Field {
    pub const fn new(key: &'static str, shape: Shape) -> Self {
        Field {
            key,
            shape,
            default: None,
            sparse: false,
        }
    }

    /// An optional field or a list that is not written while it is empty (absence reads as
    /// empty). For a field added to entries of a list that only grows (a work-log line's time
    /// spent): the next write would otherwise add it, empty, to every entry ever made; and for
    /// a field added to every record type (attachments), so documents stay as they were.
    pub const fn sparse(mut self) -> Self {
        self.sparse = true;
        self
    }

    /// With a default other than its shape's.
    pub const fn or(mut self, default: fn() -> Value) -> Self {
        self.default = Some(default);
        self
    }

    /// The value of a new record, and of a document that lacks the field.
    pub fn default_value(&self) -> Value {
        match self.default {
            Some(default) => default(),
            None => self.shape.default_value(),
        }
    }
}

/// The keys a choice may hold, each with the words people read for it.
#[derive(Debug, PartialEq)]
pub struct Choices {
    pub options: &'static [(&'static str, &'static str)],
    /// The key of a new record (and of a document that lacks the field).
    pub default: &'static str,
}

impl Choices {
    /// Choices whose first option is the default.
    pub const fn new(options: &'static [(&'static str, &'static str)]) -> Self {
        Choices {
            options,
            default: options[0].0,
        }
    }

    pub fn label(&self, key: &str) -> Option<&'static str> {
        self.options
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, l)| *l)
    }

    pub fn has(&self, key: &str) -> bool {
        self.label(key).is_some()
    }

    /// Why `text` is not one of the choices, in words a person can act on.
    pub fn refusal(&self, text: &str) -> String {
        let labels: Vec<String> = self.options.iter().map(|(_, l)| format!("'{l}'")).collect();
        format!("choose one of {} (not '{}')", labels.join(" "), text.trim())
    }

    /// The key `text` names: the key itself, or a key or label in other letter case (as a
    /// person or another program may have written it).
    pub fn key_of(&self, text: &str) -> Option<&'static str> {
        let text = text.trim();
        self.options
            .iter()
            .find(|(k, _)| *k == text)
            .or_else(|| {
                self.options
                    .iter()
                    .find(|(k, l)| k.eq_ignore_ascii_case(text) || l.eq_ignore_ascii_case(text))
            })
            .map(|(k, _)| *k)
    }
}

/// A field's type. Each maps to one Automerge representation, which the writer always uses,
/// and the reader accepts the others a peer may reasonably have written (see `read`).
#[derive(Debug, Clone, Copy)]
pub enum Shape {
    /// A line of text (an Automerge string).
    Text,
    /// Prose over several lines (an Automerge string).
    LongText,
    /// A whole number from 0 to `max` (an Automerge uint).
    Count { max: u64 },
    /// A decimal number (an Automerge f64).
    Decimal,
    /// Yes or no (an Automerge boolean).
    Bool,
    /// An instant, in milliseconds since 1970 UTC (an Automerge int).
    When,
    /// One of the keys of its choices (an Automerge string).
    Choice(&'static Choices),
    /// The number of another record, of this type (an Automerge string).
    Reference(&'static str),
    /// A drawing made on the screen, as SVG path data (an Automerge string; see
    /// `crate::signature`).
    Drawing,
    /// Nothing (null) or a value of the shape.
    Optional(&'static Shape),
    /// A list of values of the shape (an Automerge list). Entries a person adds are appended.
    List(&'static Shape),
    /// Named fields together (an Automerge map), e.g. one entry of the work log.
    Group(&'static [Field]),
}

impl Shape {
    /// A number from 0 to 255 (a score, a level).
    pub const SMALL: Shape = Shape::Count {
        max: u8::MAX as u64,
    };
    /// A number from 0 to about four billion (minutes, counts).
    pub const COUNT: Shape = Shape::Count {
        max: u32::MAX as u64,
    };

    pub fn default_value(&self) -> Value {
        match self {
            Shape::Text | Shape::LongText | Shape::Reference(_) | Shape::Drawing => {
                Value::Str(String::new())
            }
            Shape::Count { .. } => Value::Uint(0),
            Shape::Decimal => Value::F64(0.0),
            Shape::Bool => Value::Bool(false),
            Shape::When => Value::Int(0),
            Shape::Choice(choices) => Value::Str(choices.default.into()),
            Shape::Optional(_) => Value::Null,
            Shape::List(_) => Value::List(vec![]),
            Shape::Group(fields) => Value::Group(Group::defaults(fields)),
        }
    }

    /// The field `key` of a group shape.
    pub fn field(&self, key: &str) -> Option<&'static Field> {
        match self {
            Shape::Group(fields) => fields.iter().find(|f| f.key == key),
            _ => None,
        }
    }
}

/// The field at `path` (`calendar.time_zone`) among `fields`.
pub fn field_at(fields: &'static [Field], path: &str) -> Option<&'static Field> {
    let mut fields = fields;
    let mut found = None;
    for key in path.split('.') {
        let field = fields.iter().find(|f| f.key == key)?;
        found = Some(field);
        fields = match field.shape {
            Shape::Group(inner) => inner,
            _ => &[],
        };
    }
    found
}
