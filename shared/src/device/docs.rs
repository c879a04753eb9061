//! The device's documents in memory, by id: what the sync session reads and merges into.

use std::collections::BTreeMap;

use automerge::Automerge;

use crate::ids::DocumentId;

/// Every document the device has, by id.
#[derive(Default)]
pub struct Docs(BTreeMap<DocumentId, Automerge>);

impl crate::sync::Docs for Docs {
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
    pub fn get(&self, id: &DocumentId) -> Option<&Automerge> {
        self.0.get(id)
    }

    pub fn insert(&mut self, id: DocumentId, doc: Automerge) {
        self.0.insert(id, doc);
    }

    pub fn iter(&self) -> impl Iterator<Item = (&DocumentId, &Automerge)> {
        self.0.iter()
    }

    /// Merges `doc` into the set's copy of `id` (or inserts it). Returns whether the set's copy
    /// had changes `doc` lacked, i.e. whether the result differs from what was saved.
    pub(super) fn merge(&mut self, id: DocumentId, mut doc: Automerge) -> bool {
        match self.0.get_mut(&id) {
            Some(existing) => {
                let before = doc.get_heads();
                let _ = existing.merge(&mut doc);
                existing.get_heads() != before
            }
            None => {
                self.0.insert(id, doc);
                false
            }
        }
    }
}
