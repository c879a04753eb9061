//! A document's contents as JSON that keeps Automerge's types: every scalar is a string tagged
//! with its type (`str:…`, `int:…`, `uint:…`, `f64:…`, `bool:…`, `timestamp:…`, `counter:…`),
//! null is `null`, a text object is `text:…`, maps are objects and lists arrays. Two documents
//! with the same layout (same keys, same scalar types, same shapes) dump the same.

use automerge::{Automerge, ObjId, ObjType, ReadDoc, ScalarValue, Value};
use serde_json::{Map, Value as Json};

/// The whole document, from its root.
pub fn dump(doc: &Automerge) -> Json {
    object(doc, &automerge::ROOT)
}

fn object(doc: &Automerge, obj: &ObjId) -> Json {
    match doc.object_type(obj) {
        Ok(ObjType::Map | ObjType::Table) => Json::Object(
            doc.map_range(obj, ..)
                .map(|item| {
                    let id = item.id();
                    (
                        item.key.into_owned(),
                        value(doc, item.value.into_value(), &id),
                    )
                })
                .collect::<Map<String, Json>>(),
        ),
        Ok(ObjType::List) => Json::Array(
            doc.list_range(obj, ..)
                .map(|item| {
                    let id = item.id();
                    value(doc, item.value.into_value(), &id)
                })
                .collect(),
        ),
        Ok(ObjType::Text) => Json::String(format!("text:{}", doc.text(obj).unwrap_or_default())),
        Err(e) => Json::String(format!("error:{e}")),
    }
}

fn value(doc: &Automerge, value: Value<'_>, id: &ObjId) -> Json {
    match value {
        Value::Object(_) => object(doc, id),
        Value::Scalar(s) => scalar(&s),
    }
}

pub fn scalar(s: &ScalarValue) -> Json {
    Json::String(match s {
        ScalarValue::Null => return Json::Null,
        ScalarValue::Str(t) => format!("str:{t}"),
        ScalarValue::Int(n) => format!("int:{n}"),
        ScalarValue::Uint(n) => format!("uint:{n}"),
        ScalarValue::F64(n) => format!("f64:{n}"),
        ScalarValue::Boolean(b) => format!("bool:{b}"),
        ScalarValue::Timestamp(t) => format!("timestamp:{t}"),
        ScalarValue::Counter(c) => format!("counter:{}", i64::from(c)),
        ScalarValue::Bytes(b) => format!("bytes:{b:?}"),
        ScalarValue::Unknown { type_code, bytes } => format!("unknown:{type_code}:{bytes:?}"),
    })
}
