//! Records' scopes, kept in memory: the sync gate asks for a document's scope with every frame
//! in and out, and a round trip to the database for each would cost more than the rest of the
//! frame's handling. Only scopes that can never change are kept ([`shared::scope::is_fixed`]:
//! a record's is fixed by its first upload), so a kept scope stays true on every relay sharing
//! the database whatever the others write; index documents' scopes, which the relay derives
//! again, are always read from the database. Absence is never kept: another relay may store
//! the document at any time.
//!
//! A batch of frames about many documents the cache lacks (most often new records, which have
//! no scope yet) has their scopes read in one statement ([`Store::unscoped`]) rather than one
//! per document: each statement is a round trip the sync hub's thread waits for.

use std::{
    collections::{HashMap, HashSet},
    sync::Mutex,
};

use shared::access::RecordScope;

use super::{Result, Store, documents::ROWS_PER_STATEMENT, on_db};

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

/// A document's row in `documents`: id, kind, site, team, restricted.
type ScopeRow = (String, String, Option<String>, Option<String>, bool);

impl Store {
    /// Whether this relay holds `document`'s scope in memory: then it exists, and the sync
    /// thread need not read ahead whose a new one is (`gate::read_creation`).
    pub fn knows_scope(&self, document: &str) -> bool {
        self.scopes.get(document).is_some()
    }

    /// Of `documents`, those with no stored scope now. The scopes of those the cache lacks are
    /// read in one statement (per [`ROWS_PER_STATEMENT`]) and kept as [`Store::document_scope`]
    /// keeps them. Absence is the caller's to forget: another relay may store any of them.
    pub fn unscoped<'a>(
        &self,
        documents: impl IntoIterator<Item = &'a str>,
    ) -> Result<HashSet<String>> {
        let mut absent: HashSet<String> = documents
            .into_iter()
            .filter(|d| self.scopes.get(d).is_none())
            .map(str::to_string)
            .collect();
        let asked: Vec<String> = absent.iter().cloned().collect();
        for rows in asked.chunks(ROWS_PER_STATEMENT) {
            let found: Vec<ScopeRow> = self.run(async {
                on_db!(self, pool => {
                    let mut q = sqlx::QueryBuilder::new(
                        "SELECT id, kind, site, team, restricted FROM documents WHERE id IN (",
                    );
                    let mut ids = q.separated(", ");
                    for id in rows {
                        ids.push_bind(id.as_str());
                    }
                    q.push(")");
                    q.build_query_as().persistent(false).fetch_all(pool).await
                })
            })?;
            for (id, kind, site, team, restricted) in found {
                let scope = RecordScope {
                    kind,
                    site,
                    team,
                    restricted,
                };
                self.scopes.keep(&id, &scope);
                absent.remove(&id);
            }
        }
        Ok(absent)
    }
}
