use std::collections::HashMap;

use automerge::Automerge;

use crate::ids::DocumentId;

/// The documents a device holds, as the sync session sees them. The app implements it over its
/// in-memory document set; tests use a `HashMap`.
pub trait Docs {
    fn get(&self, id: &DocumentId) -> Option<&Automerge>;
    fn get_mut(&mut self, id: &DocumentId) -> Option<&mut Automerge>;
    /// Adds a document the relay sent that this device did not have.
    fn insert(&mut self, id: DocumentId, doc: Automerge);
    fn ids(&self) -> Vec<DocumentId>;
}

impl Docs for HashMap<DocumentId, Automerge> {
    fn get(&self, id: &DocumentId) -> Option<&Automerge> {
        HashMap::get(self, id)
    }

    fn get_mut(&mut self, id: &DocumentId) -> Option<&mut Automerge> {
        HashMap::get_mut(self, id)
    }

    fn insert(&mut self, id: DocumentId, doc: Automerge) {
        HashMap::insert(self, id, doc);
    }

    fn ids(&self) -> Vec<DocumentId> {
        self.keys().copied().collect()
    }
}
