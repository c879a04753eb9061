//! The canonical writer: what to change in a document so that it holds a record's values,
//! and nothing else. Only what differs from what the document holds (read as tolerantly as the
//! reader reads it) is written, so concurrent edits of different fields on different devices
//! both survive a merge, a field a peer wrote in another reasonable shape stays as it is until
//! its value changes, keys no field names are never touched, and an unreadable value is never
//! written back. A field holding concurrent values is written again, which settles it.
//!
//! Everything is decided first, reading the document ([`plan_group`]); a transaction then
//! carries out the [`Op`]s, so a record that did not change writes no change at all.

use std::collections::HashMap;

use automerge::transaction::{Transactable, Transaction};
use automerge::{
    Automerge, AutomergeError, ObjId, ObjType, Prop, ScalarValue, Value as Am, hydrate,
};

use super::read::{Held, find, list_entries, map_entries, read_value, started_concurrently};
use super::shape::{Field, Shape};
use super::value::{Group, Value};

/// One change to make.
pub(crate) enum Op {
    Put(ObjId, Prop, ScalarValue),
    /// A new value (an object with its contents, in one batch) at a map key, or inserted into a
    /// list at an index.
    Create(ObjId, Prop, hydrate::Value),
    Delete(ObjId, Prop),
}

/// What to write so that the map `obj`, whose entries are `held`, holds `new`.
pub(crate) fn plan_group(
    doc: &Automerge,
    obj: &ObjId,
    held: &[(String, Held)],
    fields: &'static [Field],
    new: &Group,
    ops: &mut Vec<Op>,
) {
    for field in fields {
        let existing = find(held, field.key);
        if existing.is_none() && unwritten(field, new.get(field.key)) {
            continue;
        }
        let prop = Prop::Map(field.key.into());
        if existing.is_some_and(|h| h.conflict) && started_concurrently(field) {
            // Settled by one list holding what the reader merged from all of them.
            if let Some(value) = hydrated(&field.shape, new.get(field.key)) {
                ops.push(Op::Create(obj.clone(), prop, value));
            }
            continue;
        }
        plan_value(
            doc,
            obj,
            prop,
            existing,
            &field.shape,
            new.get(field.key),
            ops,
        );
    }
}

fn plan_value(
    doc: &Automerge,
    obj: &ObjId,
    prop: Prop,
    held: Option<&Held>,
    shape: &Shape,
    new: &Value,
    ops: &mut Vec<Op>,
) {
    if new.is_unreadable() {
        return;
    }
    match (shape, held) {
        (Shape::Optional(inner), _) if *new != Value::Null => {
            plan_value(doc, obj, prop, held, inner, new, ops)
        }
        (Shape::List(inner), Some(h)) if matches!(h.value, Am::Object(ObjType::List)) => {
            plan_list(doc, &h.id, inner, new.as_list(), ops)
        }
        (Shape::Group(fields), Some(h))
            if matches!(h.value, Am::Object(ObjType::Map | ObjType::Table)) =>
        {
            if let Value::Group(group) = new {
                plan_group(doc, &h.id, &map_entries(doc, &h.id), fields, group, ops)
            }
        }
        (Shape::List(_) | Shape::Group(_), _) => {
            if let Some(value) = hydrated(shape, new) {
                ops.push(Op::Create(obj.clone(), prop, value));
            }
        }
        _ => {
            let unchanged = held.is_some_and(|h| !h.conflict && read_value(doc, h, shape) == *new);
            if unchanged {
                return;
            }
            if let Some(scalar) = scalar(new) {
                ops.push(Op::Put(obj.clone(), prop, scalar));
            } else if let Some(value) = hydrated(shape, new) {
                // A link (a map) replaces what is held; in a list, in place.
                if held.is_some() && matches!(prop, Prop::Seq(_)) {
                    ops.push(Op::Delete(obj.clone(), prop.clone()));
                }
                ops.push(Op::Create(obj.clone(), prop, value));
            }
        }
    }
}

/// Entries that differ are written in place, new ones appended, surplus ones removed from the
/// end.
fn plan_list(doc: &Automerge, list: &ObjId, inner: &Shape, new: &[Value], ops: &mut Vec<Op>) {
    let held = list_entries(doc, list);
    let mut end = held.len();
    for (i, value) in new.iter().enumerate() {
        match held.get(i) {
            Some(h) => plan_value(doc, list, Prop::Seq(i), Some(h), inner, value, ops),
            None => {
                if let Some(value) = hydrated(inner, value) {
                    ops.push(Op::Create(list.clone(), Prop::Seq(end), value));
                    end += 1;
                }
            }
        }
    }
    for i in (new.len()..held.len()).rev() {
        ops.push(Op::Delete(list.clone(), Prop::Seq(i)));
    }
}

/// A value's canonical scalar.
fn scalar(value: &Value) -> Option<ScalarValue> {
    Some(match value {
        Value::Str(s) => ScalarValue::Str(s.as_str().into()),
        Value::Int(n) => ScalarValue::Int(*n),
        Value::Uint(n) => ScalarValue::Uint(*n),
        Value::F64(x) => ScalarValue::F64(*x),
        Value::Bool(b) => ScalarValue::Boolean(*b),
        Value::Null => ScalarValue::Null,
        Value::List(_) | Value::Group(_) | Value::Link(_) | Value::Unreadable(_) => return None,
    })
}

/// A value as a new Automerge value, in its canonical representation. Unreadable values (and
/// group fields holding one) are left out: there is nothing to write for them.
pub(crate) fn hydrated(shape: &Shape, value: &Value) -> Option<hydrate::Value> {
    match (shape, value) {
        (Shape::Optional(inner), v) if *v != Value::Null => hydrated(inner, v),
        (Shape::List(inner), Value::List(items)) => Some(hydrate::Value::List(
            items
                .iter()
                .filter_map(|v| hydrated(inner, v))
                .collect::<Vec<_>>()
                .into(),
        )),
        (Shape::Group(fields), Value::Group(group)) => {
            Some(hydrate::Value::Map(hydrated_entries(fields, group).into()))
        }
        (_, Value::Link(link)) => Some(hydrate::Value::Map(
            HashMap::from([
                ("number", ScalarValue::from(link.number.as_str()).into()),
                ("id", ScalarValue::from(link.id.as_str()).into()),
            ])
            .into(),
        )),
        (_, v) => scalar(v).map(hydrate::Value::Scalar),
    }
}

/// A group's fields as new Automerge values.
pub(crate) fn hydrated_entries(
    fields: &'static [Field],
    group: &Group,
) -> HashMap<&'static str, hydrate::Value> {
    fields
        .iter()
        .filter(|f| !unwritten(f, group.get(f.key)))
        .filter_map(|f| Some((f.key, hydrated(&f.shape, group.get(f.key))?)))
        .collect()
}

/// A sparse field with nothing in it (null, or an empty list), which a document need not hold.
fn unwritten(field: &Field, value: &Value) -> bool {
    field.sparse
        && match value {
            Value::Null => true,
            Value::List(items) => items.is_empty(),
            _ => false,
        }
}

/// Carries out `ops` in `tx`.
pub(crate) fn apply(tx: &mut Transaction<'_>, ops: Vec<Op>) -> Result<(), AutomergeError> {
    for op in ops {
        match op {
            Op::Put(obj, prop, value) => tx.put(&obj, prop, value)?,
            Op::Create(obj, Prop::Seq(i), hydrate::Value::Scalar(value)) => {
                tx.insert(&obj, i, value)?
            }
            Op::Create(obj, prop, hydrate::Value::Scalar(value)) => tx.put(&obj, prop, value)?,
            Op::Create(obj, prop, value) => {
                let insert = matches!(prop, Prop::Seq(_));
                tx.batch_create_object(&obj, prop, &value, insert)?;
            }
            Op::Delete(obj, prop) => tx.delete(&obj, prop)?,
        }
    }
    Ok(())
}
