//! The device's documents in memory (lists read `shared::summary` summaries instead).
//!
//! This is plain data, no signals: `state` owns one `Repo` and tells the UI what changed.

use std::collections::{BTreeMap, HashMap};

use automerge::{Automerge, ChangeHash};
use shared::ids::DocumentId;

/// Every document the device has, by id. The sync session reads and merges into these.
#[derive(Default)]
pub struct Docs(BTreeMap<DocumentId, Automerge>);

impl shared::sync::Docs for Docs {
    fn get(&self, id: &DocumentId) -> Option<&Automerge> {
        self.0.get(id)
    }

    fn get_mut(&mut self, id: &DocumentId) -> Option<&mut Automerge> {
        self.0.get_mut(id)
    }

    fn insert(&mut self, id: DocumentId, doc: Automerge) {
        self.0.insert(id, doc);
    }

    fn ids(&self) -> Vec<DocumentId> {
        self.0.keys().copied().collect()
    }
}

impl Docs {
    pub fn iter(&self) -> impl Iterator<Item = (&DocumentId, &Automerge)> {
        self.0.iter()
    }
}

/// The in-memory document set plus what the device knows the relay has.
#[derive(Default)]
pub struct Repo {
    pub docs: Docs,
    /// Per document, the heads the relay is known to have (persisted in the meta store).
    pub relay_heads: HashMap<DocumentId, Vec<ChangeHash>>,
}

impl Repo {
    pub fn relay_heads(&self, id: &DocumentId) -> &[ChangeHash] {
        self.relay_heads.get(id).map(Vec::as_slice).unwrap_or(&[])
    }

    /// How many changes of `id` the relay does not have yet (shared's count).
    pub fn unsynced(&self, id: &DocumentId) -> usize {
        use shared::sync::Docs as _;
        self.docs.get(id).map_or(0, |doc| {
            shared::sync::unsynced_changes(doc, self.relay_heads(id))
        })
    }
}
