//! The device's documents in memory, and the list summary derived from each.
//!
//! This is plain data, no signals: `state` owns one `Repo` and tells the UI what changed.

use std::collections::{BTreeMap, HashMap};

use automerge::{Automerge, ChangeHash};
use shared::ids::DocumentId;
use shared::index;
use shared::records::document::record_type;
use shared::records::incident::{self, Incident, IncidentStatus};
use shared::records::priority::{Level, Priority, PriorityMatrix};
use shared::time::Timestamp;

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

/// One incident as the list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IncidentRow {
    pub id: DocumentId,
    pub number: String,
    pub title: String,
    pub priority: Priority,
    pub status: IncidentStatus,
    pub urgency: Level,
    pub created_at: Timestamp,
}

/// What the list shows for one document.
#[derive(Debug, Clone, PartialEq)]
pub enum Summary {
    Incident(IncidentRow),
    /// A document that could not be read as a record: the reason, for the person to see.
    Failed(String),
    /// Not something the incident list shows: the scope index, or a document whose content
    /// has not arrived yet (no changes at all).
    Hidden,
}

/// The summary of one document, by the rules in `shared`. `indexes` are the index documents
/// (not records).
pub fn summarize(
    id: &DocumentId,
    doc: &Automerge,
    matrix: &PriorityMatrix,
    indexes: &[DocumentId],
) -> Summary {
    if *id == index::index_id(index::DEFAULT_SCOPE)
        || indexes.contains(id)
        || doc.get_heads().is_empty()
    {
        return Summary::Hidden;
    }
    // Other record types (changes, CIs, …) will have their own lists.
    if let Some(kind) = record_type(doc)
        && kind != incident::KIND
    {
        return Summary::Hidden;
    }
    match Incident::read(doc) {
        Ok(inc) => Summary::Incident(IncidentRow {
            id: *id,
            number: inc.number.clone(),
            priority: inc.priority(matrix),
            title: inc.title,
            status: inc.status,
            urgency: inc.urgency,
            created_at: inc.created_at,
        }),
        Err(e) => Summary::Failed(e.to_string()),
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
