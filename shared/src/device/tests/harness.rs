//! What the device core's tests build with: ids, change metadata, form values, records, and
//! records created through the core's own save path.

use automerge::{ActorId, Automerge};

use crate::device::{Device, Effects};
use crate::forms::Values;
use crate::ids::DocumentId;
use crate::model::{ChangeMeta, Record, RecordType, Value};
use crate::summary::Summary;
use crate::sync::Docs as _;
use crate::time::Timestamp;

pub fn id(n: u8) -> DocumentId {
    DocumentId::from_uuid(uuid::Uuid::from_bytes([n; 16]))
}

/// Ana's change on tablet-1, `minute` minutes into the test.
pub fn meta(minute: i64) -> ChangeMeta {
    ChangeMeta {
        author: "ana".into(),
        device: "tablet-1".into(),
        at: Timestamp::from_millis(1_790_000_000_000 + minute * 60_000),
    }
}

pub fn values(pairs: &[(&str, &str)]) -> Values {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A record of `ty` numbered `number` with `fields` set, in a new document (as another device
/// would have written it).
pub fn record(ty: &'static RecordType, number: &str, fields: &[(&str, Value)]) -> Automerge {
    let mut r = Record::new(ty);
    r.set("number", number);
    for (key, value) in fields {
        r.set(key, value.clone());
    }
    r.start(&meta(0), ty.logged);
    r.document(&meta(0)).unwrap()
}

/// Creates record `id` of `kind` from `fields` at `minute`, the store write taken as done.
pub fn created(
    device: &mut Device,
    id: DocumentId,
    kind: &str,
    fields: &[(&str, &str)],
    minute: i64,
) -> Effects {
    let prepared = device
        .prepare_create(id, kind, &values(fields), &meta(minute))
        .unwrap();
    device.commit(prepared)
}

/// Record `id` as another tablet has it after editing `fields` of the device's copy at
/// `minute` (its own actor), not yet merged into the device.
pub fn edited_elsewhere(
    device: &Device,
    id: DocumentId,
    fields: &[(&str, &str)],
    minute: i64,
) -> Automerge {
    let mut other = device
        .doc(&id)
        .unwrap()
        .fork()
        .with_actor(ActorId::from(b"other".as_slice()));
    crate::forms::of("incident")
        .unwrap()
        .edit(
            &mut other,
            &values(fields),
            &crate::forms::Nothing,
            &meta(minute),
        )
        .unwrap();
    other
}

/// Merges `other` into the device's copy of `id`, as the sync session does with the relay's
/// changes.
pub fn merge_in(device: &mut Device, id: DocumentId, mut other: Automerge) {
    device
        .docs_mut()
        .get_mut(&id)
        .unwrap()
        .merge(&mut other)
        .unwrap();
}

/// The summary `fx` last shows for `id`.
pub fn summary_of(fx: &Effects, id: DocumentId) -> Summary {
    fx.shown
        .iter()
        .rev()
        .find(|(shown, _)| *shown == id)
        .and_then(|(_, s)| s.clone())
        .expect("a summary shown")
}
