//! Records' scopes, kept in memory: the sync gate asks for a document's scope with every frame
//! in and out, and a round trip to the database for each would cost more than the rest of the
//! frame's handling. Only scopes that can never change are kept ([`shared::scope::is_fixed`]:
//! a record's is fixed by its first upload), so a kept scope stays true on every relay sharing
//! the database whatever the others write; index documents' scopes, which the relay derives
//! again, are always read from the database. Absence is never kept: another relay may store
//! the document at any time.

use std::{collections::HashMap, sync::Mutex};

use shared::access::RecordScope;

/// Scopes kept at most; past it the cache starts again empty (a miss costs one query), which
/// bounds its memory (about 100 bytes a scope) without the bookkeeping of an LRU.
const MAX_KEPT: usize = 100_000;

#[derive(Default)]
pub(super) struct ScopeCache(Mutex<HashMap<String, RecordScope>>);

impl ScopeCache {
    pub(super) fn get(&self, document: &str) -> Option<RecordScope> {
        self.lock().get(document).cloned()
    }

    /// Keeps `scope` as `document`'s stored scope, if it can never change.
    pub(super) fn keep(&self, document: &str, scope: &RecordScope) {
        if !shared::scope::is_fixed(scope) {
            return;
        }
        let mut map = self.lock();
        if map.len() >= MAX_KEPT && !map.contains_key(document) {
            map.clear();
        }
        map.insert(document.to_string(), scope.clone());
    }

    /// `document`'s scope was rewritten (the relay derived it): read it from the database next
    /// time.
    pub(super) fn forget(&self, document: &str) {
        self.lock().remove(document);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, RecordScope>> {
        // A panic cannot leave a map insert half done in a way a later lookup would misread.
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}
