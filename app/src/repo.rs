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
    let kind = record_type(doc);
    if kind.as_deref().is_some_and(|k| k != incident::KIND) {
        return Summary::Hidden;
    }
    // An index of a scope this person no longer follows (e.g. an earlier sign-in's site):
    // no type, and every key a document id.
    if kind.is_none() {
        use automerge::ReadDoc as _;
        let keys = doc.keys(automerge::ROOT).count();
        if keys > 0 && index::records(doc).len() == keys {
            return Summary::Hidden;
        }
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

#[cfg(test)]
mod tests {
    use super::*;
    use shared::records::ChangeMeta;
    use wasm_bindgen_test::*;

    wasm_bindgen_test_configure!(run_in_browser);

    fn meta() -> ChangeMeta {
        ChangeMeta {
            author: "ana".into(),
            device: "device-1".into(),
            at: Timestamp::from_millis(1_000),
        }
    }

    #[wasm_bindgen_test]
    fn index_documents_are_not_listed_even_of_scopes_no_longer_followed() {
        let matrix = PriorityMatrix::default();
        let record = DocumentId::from_uuid(uuid::Uuid::new_v4());
        let mut site_index = Automerge::new();
        index::add(&mut site_index, &record, incident::KIND, &meta()).unwrap();
        let id = index::index_id("site:north");
        assert_eq!(summarize(&id, &site_index, &matrix, &[id]), Summary::Hidden);
        assert_eq!(summarize(&id, &site_index, &matrix, &[]), Summary::Hidden);
    }

    #[wasm_bindgen_test]
    fn an_incident_at_a_site_is_listed() {
        use shared::records::incident::IncidentEdit;
        let edit = IncidentEdit {
            title: "Generator fault".into(),
            description: String::new(),
            impact: Level::Medium,
            urgency: Level::Medium,
            status: IncidentStatus::New,
            assignee: String::new(),
            note: String::new(),
        };
        let mut inc = Incident::create("INC-1".into(), edit, &meta()).unwrap();
        inc.site = "north".into();
        let mut doc = Automerge::new();
        inc.write(&mut doc, &meta()).unwrap();
        let id = DocumentId::from_uuid(uuid::Uuid::new_v4());
        let Summary::Incident(row) = summarize(&id, &doc, &PriorityMatrix::default(), &[]) else {
            panic!("an incident is listed");
        };
        assert_eq!(row.title, "Generator fault");
        assert_eq!(Incident::read(&doc).unwrap().site, "north");
    }
}
