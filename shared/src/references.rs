//! What a record refers to: which fields name which records, how a reference is stored (a
//! [`Link`]: the target's document id and its number), and how plain text written before links
//! becomes one.
//!
//! The layout: a reference field holds a map `{number, id}`; a document written before links
//! (or by a device that could not resolve the number) holds the number as a string, which reads
//! as text and resolves by number. Every write through the form engine turns text that names a
//! record the device knows into a link ([`relink`]), and keeps the id of a link it already held
//! even when the target is no longer on the device. What a device answers from these across
//! records (resolving, searching, "Referenced by", impact) is `crate::links`.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::model::{Field, Group, Link, Lookup, Record, RecordType, Shape, Value};

/// The most references a summary carries per record: a change naming 500 CIs still lists
/// quickly; the record's own page shows them all.
pub const MAX_LINKS: usize = 100;

/// The record types a reference field may name: `Shape::Reference("service|configuration_item")`
/// names either.
pub fn kinds(reference: &'static str) -> impl Iterator<Item = &'static str> {
    reference.split('|')
}

/// Whether a record of type `kind` may be named by a reference of type `reference`.
pub fn may_name(reference: &'static str, kind: &str) -> bool {
    kinds(reference).any(|k| k == kind)
}

/// Whether records of type `ty` hold references (and so need a schema that stores links).
pub fn has_references(ty: &RecordType) -> bool {
    fn in_shape(shape: &Shape) -> bool {
        match shape {
            Shape::Reference(_) => true,
            Shape::Optional(inner) | Shape::List(inner) => in_shape(inner),
            Shape::Group(fields) => fields.iter().any(|f| in_shape(&f.shape)),
            _ => false,
        }
    }
    ty.fields.iter().any(|f| in_shape(&f.shape))
}

/// One reference a record holds, as its summary carries it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Outgoing {
    /// Which field holds it (`service`, `affected_cis`), or for a CI's relationship its kind
    /// (`runs_on`).
    pub via: String,
    pub number: String,
    /// The target's document id; empty for a reference written as text that did not resolve.
    pub id: String,
}

/// Every reference `record` holds, in field order, at most [`MAX_LINKS`].
pub fn outgoing(record: &Record) -> Vec<Outgoing> {
    references(record, MAX_LINKS)
}

/// Every reference `record` holds, in field order, at most `limit`.
fn references(record: &Record, limit: usize) -> Vec<Outgoing> {
    let mut found = vec![];
    collect(record.ty.fields, record, None, limit, &mut found);
    found
}

fn collect(
    fields: &'static [Field],
    group: &Group,
    via: Option<&str>,
    limit: usize,
    out: &mut Vec<Outgoing>,
) {
    // A CI's relationship is named by its kind (`runs_on`), not its field.
    let relationship = fields.iter().map(|f| f.key).eq(["kind", "target"]);
    let kind = relationship.then(|| group.str("kind"));
    for field in fields {
        let via = kind.or(via).unwrap_or(field.key);
        collect_value(&field.shape, group.get(field.key), via, limit, out);
    }
}

fn collect_value(shape: &Shape, value: &Value, via: &str, limit: usize, out: &mut Vec<Outgoing>) {
    if out.len() >= limit {
        return;
    }
    match (shape, value) {
        (Shape::Reference(_), Value::Link(link)) => out.push(Outgoing {
            via: via.into(),
            number: link.number.clone(),
            id: link.id.clone(),
        }),
        (Shape::Reference(_), Value::Str(text)) if !text.trim().is_empty() => out.push(Outgoing {
            via: via.into(),
            number: text.trim().into(),
            id: String::new(),
        }),
        (Shape::Optional(inner), v) => collect_value(inner, v, via, limit, out),
        (Shape::List(inner), Value::List(items)) => {
            for item in items {
                collect_value(inner, item, via, limit, out);
            }
        }
        (Shape::Group(fields), Value::Group(group)) => {
            collect(fields, group, Some(via), limit, out)
        }
        _ => {}
    }
}

/// Turns every reference held as text that names a record the device knows into a link, and
/// keeps the id of each link `before` held for the same number (the target may have left the
/// device since). Text that names nothing known stays text: it still reads, and resolves on a
/// device that holds the record.
pub fn relink(record: &mut Record, before: &Record, lookup: &dyn Lookup) {
    let mut known: HashMap<String, String> = references(before, usize::MAX)
        .into_iter()
        .filter(|o| !o.id.is_empty())
        .map(|o| (o.number, o.id))
        .collect();
    let ty: &'static RecordType = record.ty;
    let mut resolve = |number: &str| -> Option<String> {
        if let Some(id) = known.get(number) {
            return Some(id.clone());
        }
        let id = lookup.id_of(number)?;
        known.insert(number.into(), id.clone());
        Some(id)
    };
    relink_group(ty.fields, record, &mut resolve);
}

fn relink_group(
    fields: &'static [Field],
    group: &mut Group,
    resolve: &mut dyn FnMut(&str) -> Option<String>,
) {
    for field in fields {
        if let Some(value) = group.get_mut(field.key) {
            relink_value(&field.shape, value, resolve);
        }
    }
}

fn relink_value(shape: &Shape, value: &mut Value, resolve: &mut dyn FnMut(&str) -> Option<String>) {
    match (shape, &mut *value) {
        (Shape::Reference(_), Value::Str(text)) => {
            let number = text.trim().to_string();
            if let Some(id) = resolve(&number).filter(|_| !number.is_empty()) {
                *value = Value::Link(Link { number, id });
            }
        }
        (Shape::Optional(inner), v) => relink_value(inner, v, resolve),
        (Shape::List(inner), Value::List(items)) => {
            for item in items {
                relink_value(inner, item, resolve);
            }
        }
        (Shape::Group(fields), Value::Group(group)) => relink_group(fields, group, resolve),
        _ => {}
    }
}
