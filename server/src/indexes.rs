//! The index documents the relay derives (`shared::index`), prepared on every start before
//! any device connects:
//!
//! - each index's scope is the relay's (default, restricted, one per site and team), given
//!   whatever the database held for that id (sites and teams added later get theirs from
//!   `Store::add_group`);
//! - every record the relay holds is listed in the indexes `shared::index::scopes_for` names,
//!   in one relay-authored change per index, if it is not listed yet: records that reached
//!   the relay without their index entries (another client, an older app) are still found,
//!   and a relay moving from the index ids of earlier versions fills the current indexes;
//! - the index documents of earlier versions (`legacy_index_id`) are kept from everyone but
//!   the security role: the old default index listed security incidents to every worker.

use std::collections::BTreeMap;

use shared::{
    access::RecordScope,
    ids::DocumentId,
    index,
    records::{ChangeMeta, TYPES},
    time::Timestamp,
};

use crate::store::{Store, StoreError, SyncBatch, WrittenChunk, now_ms};

/// The author of the relay's own index entries.
const RELAY_AUTHOR: &str = "outpost-relay";

pub fn prepare(store: &Store) -> Result<(), StoreError> {
    let groups = ["site", "team"]
        .into_iter()
        .map(|what| {
            Ok(store
                .groups(what)?
                .into_iter()
                .map(move |(id, _)| format!("{what}:{id}")))
        })
        .collect::<Result<Vec<_>, StoreError>>()?;
    let mut names: Vec<String> = [
        index::DEFAULT_SCOPE,
        index::EVERYONE_SCOPE,
        index::RESTRICTED_SCOPE,
    ]
    .into_iter()
    .map(str::to_string)
    .chain(groups.into_iter().flatten())
    .collect();

    // Every record, by the indexes that list it.
    let kinds: Vec<&str> = TYPES.iter().map(|t| t.kind).collect();
    let mut listed: BTreeMap<String, Vec<(DocumentId, String)>> = BTreeMap::new();
    for (id, scope) in store.documents_of_kinds(&kinds)? {
        let Ok(id) = id.parse::<DocumentId>() else {
            continue;
        };
        for name in index::scopes_for(&scope) {
            listed
                .entry(name)
                .or_default()
                .push((id, scope.kind.clone()));
        }
    }
    // Records may name a site or team nobody added: their index gets its scope too.
    for name in listed.keys() {
        if !names.contains(name) {
            names.push(name.clone());
        }
    }

    let retired = RecordScope {
        kind: index::KIND.into(),
        restricted: true,
        ..Default::default()
    };
    let meta = ChangeMeta {
        author: RELAY_AUTHOR.into(),
        device: RELAY_AUTHOR.into(),
        at: Timestamp::from_millis(now_ms()),
    };
    let mut batch = SyncBatch::default();
    for name in &names {
        let Some(scope) = index::index_scope(name) else {
            continue;
        };
        let id = index::index_id(name);
        store.derive_document_scope(&id.to_string(), &scope)?;
        let legacy = index::legacy_index_id(name).to_string();
        if store.document_scope(&legacy)?.is_some() {
            store.derive_document_scope(&legacy, &retired)?;
        }
        let Some(records) = listed.get(name) else {
            continue;
        };
        let mut doc = store.load_document(&id.to_string())?.unwrap_or_default();
        let before = doc.get_heads();
        let records: Vec<(DocumentId, &str)> = records
            .iter()
            .map(|(id, kind)| (*id, kind.as_str()))
            .collect();
        index::add_many(&mut doc, &records, &meta)
            .map_err(|e| StoreError::Invalid(e.to_string()))?;
        if doc.get_heads() != before {
            batch.push_chunk(WrittenChunk {
                document: id.to_string(),
                bytes: doc.save(),
                replaces: true,
                heads: doc.get_heads(),
            });
        }
    }
    if !batch.is_empty() {
        tracing::info!(
            "listed records in {} index documents the relay derives",
            batch.chunks().len()
        );
        store.commit_sync_batch(&batch)?;
    }
    Ok(())
}
