//! Where a document belongs is the relay's to derive, never a device's to claim.
//!
//! - Index documents have ids derived from their scope's name ([`crate::index`]), of a form no
//!   random id takes ([`DocumentId::is_derived`]). The relay gives each index it derives its
//!   scope itself ([`crate::index::index_scope`]); no device can create a document with such
//!   an id ([`new_document`]), so nobody can capture an index before the relay has it.
//! - A record's scope is read from its first upload ([`new_document`]): it must be a record
//!   of a type this relay knows, which the uploader may write.
//! - After that a record's scope is fixed: a change to its `type`, `site`, `team` or
//!   `restricted` is refused ([`admit_changes`]). The app never makes one (a record's site
//!   and team are locked once it exists); allowing one would need access checked against
//!   both scopes and every device holding the record re-scoped, for no use the app has.
//! - Index documents only grow: a change may add entries, never remove or rewrite one, and
//!   lists a restricted record (a security incident) in the restricted index only.
//!
//! The relay's edge checks new documents before anything is stored; the hub checks every
//! change it applies ([`admit_changes`]) and undoes what is refused before storing anything.

use std::collections::HashSet;

use automerge::{
    Automerge, ChangeHash, ObjType, ReadDoc, ScalarValue, Value,
    legacy::{Key, ObjectId, OpId, OpType},
};

use crate::access::{self, RecordScope};
use crate::ids::DocumentId;
use crate::index;
use crate::records;
use crate::refusal::{Refusal, RefusalCode};

/// The scope of a document a device uploads for the first time, whole, or why it is refused.
pub fn new_document(id: &DocumentId, doc: &Automerge) -> Result<RecordScope, Refusal> {
    if id.is_derived() {
        return Err(Refusal::new(
            RefusalCode::OutOfScope,
            format!(
                "Document {id} has the form of the ids the relay derives for its indexes; only the relay creates those."
            ),
        ));
    }
    let Some(scope) = access::record_scope(doc) else {
        return Err(Refusal::new(
            RefusalCode::Invalid,
            format!(
                "Document {id} is not an Outpost record (it has no type); the relay keeps records only."
            ),
        ));
    };
    if records::type_of(&scope.kind).is_none() {
        return Err(Refusal::new(
            RefusalCode::Invalid,
            format!(
                "Document {id} is a '{}', a record type this relay does not know; the relay must be updated first.",
                scope.kind
            ),
        ));
    }
    Ok(scope)
}

/// Whether a stored scope can never change, so a copy of it stays true for as long as the
/// relay runs: a record's (a type this relay knows) is fixed by its first upload, whereas the
/// relay derives its index documents' scopes again (and retires legacy indexes).
pub fn is_fixed(scope: &RecordScope) -> bool {
    records::type_of(&scope.kind).is_some()
}

/// Whether the changes that took document `id` from the heads `before` to `doc` may stand.
/// `scope_before` is what [`access::record_scope`] read before they were applied.
pub fn admit_changes(
    id: &DocumentId,
    scope_before: Option<&RecordScope>,
    doc: &Automerge,
    before: &[ChangeHash],
) -> Result<(), Refusal> {
    if id.is_derived() {
        return admit_index_changes(id, doc, before);
    }
    // A first upload was checked whole by `new_document`.
    if before.is_empty() || access::record_scope(doc).as_ref() == scope_before {
        return Ok(());
    }
    Err(Refusal::new(
        RefusalCode::ScopeChange,
        "A record's type, site, team and restriction are fixed once it exists; this change alters them, so it was not accepted.",
    ))
}

/// Index documents only grow: at their root a change may only make new entry maps (ops that
/// replace nothing), and inside only write the maps it made. Restricted records are listed in
/// the restricted index alone.
fn admit_index_changes(
    id: &DocumentId,
    doc: &Automerge,
    before: &[ChangeHash],
) -> Result<(), Refusal> {
    let refused = |what: &str| {
        Err(Refusal::new(
            RefusalCode::Invalid,
            format!("Index {id}: {what}; the change was not accepted."),
        ))
    };
    let mut listed = vec![];
    for change in doc.get_changes(before) {
        // Automerge has applied it, so its operations are well-formed.
        let change = change.decode();
        let mut made: HashSet<OpId> = HashSet::new();
        for (i, op) in change.operations.iter().enumerate() {
            match (&op.obj, &op.key) {
                (ObjectId::Root, Key::Map(key)) => {
                    if op.action != OpType::Make(ObjType::Map) || !op.pred.is_empty() {
                        return refused("entries are only ever added, never changed or removed");
                    }
                    made.insert(OpId(
                        change.start_op.get() + i as u64,
                        change.actor_id.clone(),
                    ));
                    listed.push(key.to_string());
                }
                (ObjectId::Id(obj), _) if made.contains(obj) => {}
                _ => return refused("entries are only ever added, never changed or removed"),
            }
        }
    }
    let restricted_index = *id == index::index_id(index::RESTRICTED_SCOPE);
    for key in listed {
        let kind = match doc.get(automerge::ROOT, key.as_str()) {
            Ok(Some((Value::Object(ObjType::Map), entry))) => match doc.get(&entry, "type") {
                Ok(Some((Value::Scalar(s), _))) => match s.as_ref() {
                    ScalarValue::Str(t) => t.to_string(),
                    _ => String::new(),
                },
                _ => String::new(),
            },
            _ => String::new(),
        };
        if access::is_restricted_kind(&kind) && !restricted_index {
            return refused("a restricted record is listed in the restricted index only");
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use automerge::{ROOT, transaction::Transactable};

    use super::*;
    use crate::records::ChangeMeta;
    use crate::records::security::SECURITY_INCIDENT;
    use crate::time::Timestamp;

    fn meta() -> ChangeMeta {
        ChangeMeta {
            author: "ana".into(),
            device: "device-a".into(),
            at: Timestamp(1),
        }
    }

    fn record(kind: &str, site: &str) -> Automerge {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(ROOT, "type", kind).unwrap();
        tx.put(ROOT, "site", site).unwrap();
        tx.put(ROOT, "title", "Printer jams").unwrap();
        tx.commit();
        doc
    }

    fn random_id(n: u8) -> DocumentId {
        DocumentId::from_uuid(uuid::Uuid::from_bytes([n; 16]))
    }

    fn edit(doc: &mut Automerge, key: &str, value: &str) -> Vec<ChangeHash> {
        let before = doc.get_heads();
        let mut tx = doc.transaction();
        tx.put(ROOT, key, value).unwrap();
        tx.commit();
        before
    }

    #[test]
    fn records_scopes_are_fixed_and_indexes_are_not() {
        let scope = new_document(&random_id(1), &record("incident", "north")).unwrap();
        assert!(is_fixed(&scope));
        let site_index = index::index_scope(&index::site_scope("north")).unwrap();
        assert!(!is_fixed(&site_index));
        let retired = RecordScope {
            kind: index::KIND.into(),
            restricted: true,
            ..Default::default()
        };
        assert!(!is_fixed(&retired));
    }

    #[test]
    fn a_new_document_must_be_a_known_record_with_an_id_a_device_may_make() {
        let doc = record("incident", "north");
        assert_eq!(
            new_document(&random_id(1), &doc).unwrap().site.as_deref(),
            Some("north")
        );
        let index = index::index_id("site:future");
        let refused = |id, doc| new_document(&id, doc).unwrap_err();
        assert_eq!(refused(index, &doc).code, RefusalCode::OutOfScope);
        assert!(refused(index, &doc).reason.contains("only the relay"));
        let untyped = Automerge::new();
        assert!(refused(random_id(2), &untyped).reason.contains("no type"));
        let odd = record("spaceship", "north");
        assert_eq!(refused(random_id(3), &odd).code, RefusalCode::Invalid);
        assert!(refused(random_id(3), &odd).reason.contains("does not know"));
    }

    #[test]
    fn a_records_scope_cannot_be_changed_but_everything_else_can() {
        let id = random_id(4);
        for (key, value) in [
            ("site", "south"),
            ("team", "desk"),
            ("type", "change"),
            ("type", SECURITY_INCIDENT.kind),
        ] {
            let mut doc = record("incident", "north");
            let scope = access::record_scope(&doc);
            let before = edit(&mut doc, key, value);
            assert_eq!(
                admit_changes(&id, scope.as_ref(), &doc, &before).map_err(|r| r.code),
                Err(RefusalCode::ScopeChange),
                "{key} = {value}"
            );
        }
        let mut doc = record("incident", "north");
        let scope = access::record_scope(&doc);
        let before = doc.get_heads();
        let mut tx = doc.transaction();
        tx.put(ROOT, "restricted", true).unwrap();
        tx.commit();
        assert!(admit_changes(&id, scope.as_ref(), &doc, &before).is_err());
        // Writing the same site again, or any other field, is fine.
        let mut doc = record("incident", "north");
        let scope = access::record_scope(&doc);
        let before = edit(&mut doc, "site", "north");
        edit(&mut doc, "title", "Printer fixed");
        assert_eq!(admit_changes(&id, scope.as_ref(), &doc, &before), Ok(()));
    }

    fn index_with(entries: &[(u8, &str)]) -> Automerge {
        let mut doc = Automerge::new();
        for (n, kind) in entries {
            index::add(&mut doc, &random_id(*n), kind, &meta()).unwrap();
        }
        doc
    }

    #[test]
    fn indexes_only_grow() {
        let id = index::index_id(index::DEFAULT_SCOPE);
        let mut doc = index_with(&[(1, "incident")]);
        assert_eq!(admit_changes(&id, None, &doc, &[]), Ok(()), "created");
        let before = doc.get_heads();
        index::add(&mut doc, &random_id(2), "change", &meta()).unwrap();
        assert_eq!(admit_changes(&id, None, &doc, &before), Ok(()), "added");

        let entry = random_id(1).to_string();
        let mut removed = doc.clone();
        let before = removed.get_heads();
        let mut tx = removed.transaction();
        tx.delete(ROOT, entry.as_str()).unwrap();
        tx.commit();
        assert!(admit_changes(&id, None, &removed, &before).is_err());

        let mut rewritten = doc.clone();
        let before = rewritten.get_heads();
        let (_, obj) = rewritten.get(ROOT, entry.as_str()).unwrap().unwrap();
        let mut tx = rewritten.transaction();
        tx.put(&obj, "type", SECURITY_INCIDENT.kind).unwrap();
        tx.commit();
        assert!(admit_changes(&id, None, &rewritten, &before).is_err());

        let mut typed = doc.clone();
        let before = edit(&mut typed, "type", "incident");
        assert!(admit_changes(&id, None, &typed, &before).is_err());
    }

    #[test]
    fn concurrent_additions_of_one_entry_are_fine() {
        let id = index::index_id(index::DEFAULT_SCOPE);
        let mut a = index_with(&[(1, "incident")]);
        let mut b = index_with(&[(1, "incident")]);
        let before = a.get_heads();
        a.merge(&mut b).unwrap();
        assert_eq!(admit_changes(&id, None, &a, &before), Ok(()));
    }

    #[test]
    fn restricted_records_are_listed_in_the_restricted_index_only() {
        let secret = index_with(&[(1, SECURITY_INCIDENT.kind)]);
        let default = index::index_id(index::DEFAULT_SCOPE);
        assert!(admit_changes(&default, None, &secret, &[]).is_err());
        let site = index::index_id("site:north");
        assert!(admit_changes(&site, None, &secret, &[]).is_err());
        let restricted = index::index_id(index::RESTRICTED_SCOPE);
        assert_eq!(admit_changes(&restricted, None, &secret, &[]), Ok(()));
    }
}
