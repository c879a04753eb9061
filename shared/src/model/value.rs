//! A record's contents in memory: one [`Value`] per field, whatever the record type. Rules and
//! actions read and change fields by key through [`Group`]'s accessors; a field that could not
//! be read holds [`Value::Unreadable`], which the accessors read as the field's default and the
//! writer never writes back.

use crate::time::Timestamp;

#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Str(String),
    Int(i64),
    Uint(u64),
    F64(f64),
    Bool(bool),
    /// An optional value that is not set.
    Null,
    List(Vec<Value>),
    Group(Group),
    /// A reference to another record, held as its document id and its number (see
    /// `crate::links`). A reference written as plain text (before links, or a number this
    /// device could not resolve) reads as [`Value::Str`].
    Link(Link),
    /// What the document holds where a value of the field's shape should be, shown to people
    /// (see [`super::read::describe`]). Kept in the document until someone writes the field.
    Unreadable(String),
}

impl Value {
    /// The text, or a link's number.
    pub fn as_str(&self) -> &str {
        match self {
            Value::Str(s) => s,
            Value::Link(link) => &link.number,
            _ => "",
        }
    }

    pub fn as_uint(&self) -> u64 {
        match self {
            Value::Uint(n) => *n,
            _ => 0,
        }
    }

    pub fn as_f64(&self) -> f64 {
        match self {
            Value::F64(x) => *x,
            _ => 0.0,
        }
    }

    pub fn as_bool(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    /// An instant, if the value is one.
    pub fn when(&self) -> Option<Timestamp> {
        match self {
            Value::Int(ms) => Some(Timestamp(*ms)),
            _ => None,
        }
    }

    pub fn as_list(&self) -> &[Value] {
        match self {
            Value::List(items) => items,
            _ => &[],
        }
    }

    pub fn as_group(&self) -> Option<&Group> {
        match self {
            Value::Group(g) => Some(g),
            _ => None,
        }
    }

    pub fn is_unreadable(&self) -> bool {
        matches!(self, Value::Unreadable(_))
    }
}

/// A stable reference to a record: the document it lives in, and its number (what people read,
/// and what resolves it on a device that holds the record under another id).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Link {
    pub number: String,
    pub id: String,
}

impl From<Link> for Value {
    fn from(link: Link) -> Self {
        Value::Link(link)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Value::Str(s.into())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Value::Str(s)
    }
}

impl From<u64> for Value {
    fn from(n: u64) -> Self {
        Value::Uint(n)
    }
}

impl From<bool> for Value {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<Timestamp> for Value {
    fn from(t: Timestamp) -> Self {
        Value::Int(t.millis())
    }
}

impl From<Option<Timestamp>> for Value {
    fn from(t: Option<Timestamp>) -> Self {
        t.map_or(Value::Null, Value::from)
    }
}

impl From<Group> for Value {
    fn from(g: Group) -> Self {
        Value::Group(g)
    }
}

impl From<Vec<Value>> for Value {
    fn from(items: Vec<Value>) -> Self {
        Value::List(items)
    }
}

const NULL: &Value = &Value::Null;

/// Named values: a record's fields, or one group inside it (a work-log entry, an approval), in
/// the order of their shape.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Group(Vec<(&'static str, Value)>);

impl Group {
    /// Every field at its default.
    pub fn defaults(fields: &'static [super::Field]) -> Self {
        Group(fields.iter().map(|f| (f.key, f.default_value())).collect())
    }

    pub(crate) fn from_entries(entries: Vec<(&'static str, Value)>) -> Self {
        Group(entries)
    }

    pub fn entries(&self) -> impl Iterator<Item = (&'static str, &Value)> {
        self.0.iter().map(|(k, v)| (*k, v))
    }

    /// The value of `key` (null if the group has no such field).
    pub fn get(&self, key: &str) -> &Value {
        match self.0.iter().find(|(k, _)| *k == key) {
            Some((_, v)) => v,
            None => {
                debug_assert!(false, "no field {key}");
                NULL
            }
        }
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value> {
        let found = self.0.iter_mut().find(|(k, _)| *k == key).map(|(_, v)| v);
        debug_assert!(found.is_some(), "no field {key}");
        found
    }

    pub fn str(&self, key: &str) -> &str {
        self.get(key).as_str()
    }

    pub fn uint(&self, key: &str) -> u64 {
        self.get(key).as_uint()
    }

    pub fn f64(&self, key: &str) -> f64 {
        self.get(key).as_f64()
    }

    pub fn bool(&self, key: &str) -> bool {
        self.get(key).as_bool()
    }

    /// An optional instant.
    pub fn when(&self, key: &str) -> Option<Timestamp> {
        self.get(key).when()
    }

    /// An instant that is always set (the epoch if it could not be read).
    pub fn at(&self, key: &str) -> Timestamp {
        self.when(key).unwrap_or_default()
    }

    pub fn list(&self, key: &str) -> &[Value] {
        self.get(key).as_list()
    }

    /// The readable groups of a list of groups.
    pub fn groups(&self, key: &str) -> impl Iterator<Item = &Group> {
        self.list(key).iter().filter_map(Value::as_group)
    }

    /// The readable texts of a list of texts (the numbers of a list of references).
    pub fn strs(&self, key: &str) -> impl Iterator<Item = &str> {
        self.list(key).iter().filter_map(|v| match v {
            Value::Str(s) => Some(s.as_str()),
            Value::Link(link) => Some(link.number.as_str()),
            _ => None,
        })
    }

    /// An optional group, if it is set.
    pub fn group(&self, key: &str) -> Option<&Group> {
        self.get(key).as_group()
    }

    pub fn set(&mut self, key: &str, value: impl Into<Value>) {
        if let Some(slot) = self.get_mut(key) {
            *slot = value.into();
        }
    }

    /// `self` with `key` set: builds a new group entry.
    pub fn with(mut self, key: &str, value: impl Into<Value>) -> Self {
        self.set(key, value);
        self
    }

    /// The list `key`, to change in place (an unreadable or missing list becomes empty).
    pub fn list_mut(&mut self, key: &str) -> &mut Vec<Value> {
        let slot = self.get_mut(key).expect("a list field");
        if !matches!(slot, Value::List(_)) {
            *slot = Value::List(vec![]);
        }
        match slot {
            Value::List(items) => items,
            _ => unreachable!(),
        }
    }

    /// Appends to the list `key`.
    pub fn push(&mut self, key: &str, value: impl Into<Value>) {
        self.list_mut(key).push(value.into());
    }
}

/// A scalar as a person reads it: text as it is, a number as written (Automerge's own Display
/// prints a float with 324 decimals).
pub fn scalar_text(value: &automerge::ScalarValue) -> String {
    match value {
        automerge::ScalarValue::Str(s) => s.to_string(),
        automerge::ScalarValue::F64(n) => n.to_string(),
        other => other.to_string(),
    }
}
