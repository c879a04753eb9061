//! The app's state: the document set, the device's identity, and the signals the UI reads.
//!
//! Every action follows design.md's loop: a `shared` rule decides, the change is written to the
//! record's Automerge document, the document is committed to IndexedDB, and only then is the
//! in-memory set updated, the UI told, and the sync client asked to send it.

use std::collections::{BTreeMap, HashMap};

use automerge::{Automerge, ChangeHash};
use leptos::prelude::*;
use shared::ids::DocumentId;
use shared::index;
use shared::numbering::record_number;
use shared::records::ChangeMeta;
use shared::records::incident::{self, Incident, IncidentEdit};
use shared::records::priority::PriorityMatrix;
use shared::time::Timestamp;

use shared::sync::Docs as _;

use crate::repo::{IncidentRow, Repo, Summary, summarize};
use crate::store::{self, Store};

/// Why a save did not happen.
#[derive(Debug, Clone, PartialEq)]
pub enum SaveError {
    /// A rule in `shared` refused the edit (its Display text, for the form).
    Rejected(String),
    /// The edit was valid but could not be made durable (e.g. the storage quota is full).
    NotSaved(String),
}

impl std::fmt::Display for SaveError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SaveError::Rejected(m) | SaveError::NotSaved(m) => f.write_str(m),
        }
    }
}

fn rejected(e: impl ToString) -> SaveError {
    SaveError::Rejected(e.to_string())
}

fn not_saved(e: impl ToString) -> SaveError {
    SaveError::NotSaved(e.to_string())
}

/// A document found on the device that could not be opened.
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub id: String,
    pub message: String,
}

/// Handles to everything the UI needs. `Copy`, so closures in views can capture it freely.
#[derive(Clone, Copy)]
pub struct AppState {
    repo: StoredValue<Repo, LocalStorage>,
    store: StoredValue<Option<Store>, LocalStorage>,
    /// Documents changed locally that the sync client should announce (drained by it).
    sync_notify: StoredValue<Option<Box<dyn Fn(&[DocumentId])>>, LocalStorage>,
    /// Unsynced changes per document; the status bar shows the sum.
    unsynced_by_doc: StoredValue<HashMap<DocumentId, usize>>,
    /// One local save at a time: each save edits a copy of a document and merges it back, and
    /// two copies written concurrently by the same actor would clash.
    saving: StoredValue<bool>,

    pub device_id: RwSignal<String>,
    pub display_name: RwSignal<String>,
    /// The incidents the list shows.
    pub rows: RwSignal<BTreeMap<DocumentId, IncidentRow>>,
    pub load_errors: RwSignal<Vec<LoadError>>,
    /// Bumped whenever any document changes, so open forms re-read their record.
    pub revision: RwSignal<u64>,
    /// Documents have been read from IndexedDB.
    pub loaded: RwSignal<bool>,
    /// Connected to the relay.
    pub online: RwSignal<bool>,
    pub unsynced: RwSignal<usize>,
    /// A failure the person must know about that belongs to no form (storage unavailable, a
    /// synced document that could not be saved, a relay error).
    pub problem: RwSignal<Option<String>>,
    /// The incident just created, so its page opens saying "Saved".
    pub just_created: RwSignal<Option<DocumentId>>,
}

pub fn now() -> Timestamp {
    Timestamp::from_millis(js_sys::Date::now() as i64)
}

impl AppState {
    pub fn new() -> Self {
        Self {
            repo: StoredValue::new_local(Repo::default()),
            store: StoredValue::new_local(None),
            sync_notify: StoredValue::new_local(None),
            unsynced_by_doc: StoredValue::new(HashMap::new()),
            saving: StoredValue::new(false),
            device_id: RwSignal::new(String::new()),
            display_name: RwSignal::new(String::new()),
            rows: RwSignal::new(BTreeMap::new()),
            load_errors: RwSignal::new(vec![]),
            revision: RwSignal::new(0),
            loaded: RwSignal::new(false),
            online: RwSignal::new(false),
            unsynced: RwSignal::new(0),
            problem: RwSignal::new(None),
            just_created: RwSignal::new(None),
        }
    }

    pub fn matrix() -> PriorityMatrix {
        PriorityMatrix::default()
    }

    /// Opens IndexedDB, the device identity and every stored document.
    pub async fn load(self) -> Result<(), store::StoreError> {
        let store = Store::open(store::DB_NAME).await?;
        let meta = store.load_meta().await?;
        let device_id = match meta.device_id {
            Some(id) => id,
            None => {
                // Created once per device (per browser profile) and kept for good.
                let id = format!("device-{}", uuid::Uuid::new_v4());
                store.put_meta_string(store::DEVICE_ID, &id).await?;
                id
            }
        };
        self.device_id.set(device_id);
        self.display_name
            .set(meta.display_name.unwrap_or_else(|| "Technician".into()));

        let stored = store.load_docs().await?;
        let mut errors = vec![];
        self.repo.update_value(|repo| {
            for (id, heads) in meta.relay_heads {
                if let Ok(id) = id.parse::<DocumentId>() {
                    repo.relay_heads
                        .insert(id, shared::sync::heads_from_hex(&heads));
                }
            }
            for entry in stored {
                let loaded = entry.bytes.and_then(|bytes| {
                    let id = entry.id.parse::<DocumentId>().map_err(|e| e.to_string())?;
                    let doc = Automerge::load(&bytes)
                        .map_err(|e| format!("the stored document is damaged: {e}"))?;
                    Ok((id, doc))
                });
                match loaded {
                    Ok((id, doc)) => repo.docs.insert(id, doc),
                    Err(message) => errors.push(LoadError {
                        id: entry.id,
                        message,
                    }),
                }
            }
        });
        self.repo.update_value(|repo| {
            // The scope index is how a device discovers records; an empty one, until the relay
            // sends it, makes the sync session ask for it.
            let index_id = index::index_id(index::DEFAULT_SCOPE);
            if repo.docs.get(&index_id).is_none() {
                repo.docs.insert(index_id, Automerge::new());
            }
        });
        self.store.set_value(Some(store));
        let ids = self.repo.with_value(|r| r.docs.ids());
        self.load_errors.set(errors);
        self.refresh(&ids);
        self.loaded.set(true);
        Ok(())
    }

    /// Lets the sync client hear about local changes.
    pub fn on_local_change(self, notify: Box<dyn Fn(&[DocumentId])>) {
        self.sync_notify.set_value(Some(notify));
    }

    /// Runs `f` with the document set (the sync client reads and merges through this).
    pub fn with_repo<R>(self, f: impl FnOnce(&mut Repo) -> R) -> R {
        self.repo.update_value_returning(f)
    }

    pub fn incident(self, id: &DocumentId) -> Option<Result<Incident, String>> {
        self.repo.with_value(|r| {
            r.docs
                .get(id)
                .map(|doc| Incident::read(doc).map_err(|e| e.to_string()))
        })
    }

    fn change_meta(self) -> ChangeMeta {
        ChangeMeta {
            author: self.display_name.get_untracked(),
            device: self.device_id.get_untracked(),
            at: now(),
        }
    }

    fn store(self) -> Result<Store, String> {
        self.store
            .get_value()
            .ok_or_else(|| "storage on this device is not open".to_string())
    }

    /// Creates an incident and lists it in the scope index. Both documents are committed to
    /// IndexedDB in one transaction before this returns `Ok`.
    pub async fn create_incident(self, edit: IncidentEdit) -> Result<DocumentId, SaveError> {
        let _guard = self.begin_save().map_err(not_saved)?;
        let meta = self.change_meta();
        let id = DocumentId::from_uuid(uuid::Uuid::new_v4());
        let number = record_number(incident::NUMBER_PREFIX, &id);
        let incident = Incident::create(number, edit, &meta).map_err(rejected)?;
        let mut doc = Automerge::new();
        incident.write(&mut doc, &meta).map_err(not_saved)?;
        let index_id = index::index_id(index::DEFAULT_SCOPE);
        let mut index_doc = self
            .repo
            .with_value(|r| r.docs.get(&index_id).cloned())
            .unwrap_or_default();
        index::add(&mut index_doc, &id, incident::KIND, &meta).map_err(not_saved)?;

        self.store()
            .map_err(not_saved)?
            .put_docs(&[
                (id.to_string(), doc.save()),
                (index_id.to_string(), index_doc.save()),
            ])
            .await
            .map_err(not_saved)?;

        self.repo.update_value(|r| {
            r.docs.insert(id, doc);
            merge_into(&mut r.docs, index_id, index_doc);
        });
        self.changed_locally(&[id, index_id]);
        Ok(id)
    }

    /// Applies a form edit to an incident, durable in IndexedDB before this returns `Ok`.
    pub async fn update_incident(
        self,
        id: DocumentId,
        edit: IncidentEdit,
    ) -> Result<(), SaveError> {
        let _guard = self.begin_save().map_err(not_saved)?;
        let meta = self.change_meta();
        // Edit a copy: if the write to IndexedDB fails, memory (and so the relay) never sees
        // a change the device could not keep.
        let mut doc = self
            .repo
            .with_value(|r| r.docs.get(&id).cloned())
            .ok_or_else(|| rejected("this incident is not on this device"))?;
        let mut incident = Incident::read(&doc).map_err(rejected)?;
        incident.apply(edit, &meta).map_err(rejected)?;
        incident.write(&mut doc, &meta).map_err(not_saved)?;
        self.store()
            .map_err(not_saved)?
            .put_docs(&[(id.to_string(), doc.save())])
            .await
            .map_err(not_saved)?;
        // Merge rather than replace: a remote change may have arrived while we were saving.
        let merged_extra = self.repo.update_value_returning(|r| merge_into(&mut r.docs, id, doc));
        if merged_extra {
            // The in-memory doc now has both; keep the disk in step.
            self.persist(&[id]).await;
        }
        self.changed_locally(&[id]);
        Ok(())
    }

    /// Saves the person's display name (stamped on every change they make).
    pub fn set_display_name(self, name: String) {
        self.display_name.set(name.clone());
        leptos::task::spawn_local(async move {
            if let Ok(store) = self.store()
                && let Err(e) = store.put_meta_string(store::DISPLAY_NAME, &name).await
            {
                self.problem.set(Some(e.to_string()));
            }
        });
    }

    /// Documents that changed from outside (the relay): persist them, then show them.
    pub async fn remote_changed(self, ids: &[DocumentId]) {
        self.persist(ids).await;
        self.refresh(ids);
    }

    /// The relay is known to have `heads` of `id`: remember it (durably) and recount.
    pub async fn relay_has(self, id: DocumentId, heads: Vec<ChangeHash>) {
        let hex = shared::sync::heads_to_hex(&heads);
        self.repo.update_value(|r| {
            r.relay_heads.insert(id, heads);
        });
        self.recount(&[id]);
        if let Ok(store) = self.store()
            && let Err(e) = store.put_relay_heads(&id.to_string(), &hex).await
        {
            self.problem.set(Some(e.to_string()));
        }
    }

    /// Writes the in-memory state of `ids` to IndexedDB.
    async fn persist(self, ids: &[DocumentId]) {
        let docs: Vec<(String, Vec<u8>)> = self.repo.with_value(|r| {
            ids.iter()
                .filter_map(|id| r.docs.get(id).map(|d| (id.to_string(), d.save())))
                .collect()
        });
        let result = match self.store() {
            Ok(store) => store.put_docs(&docs).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            self.problem.set(Some(e));
        }
    }

    fn changed_locally(self, ids: &[DocumentId]) {
        self.refresh(ids);
        self.sync_notify.with_value(|notify| {
            if let Some(notify) = notify {
                notify(ids);
            }
        });
    }

    /// Re-derives list rows and unsynced counts for `ids`, and tells open forms.
    pub fn refresh(self, ids: &[DocumentId]) {
        let matrix = Self::matrix();
        let summaries: Vec<(DocumentId, Summary)> = self.repo.with_value(|r| {
            ids.iter()
                .filter_map(|id| r.docs.get(id).map(|doc| (*id, summarize(id, doc, &matrix))))
                .collect()
        });
        self.rows.update(|rows| {
            for (id, summary) in &summaries {
                match summary {
                    Summary::Incident(row) => {
                        rows.insert(*id, row.clone());
                    }
                    _ => {
                        rows.remove(id);
                    }
                }
            }
        });
        let failed: Vec<LoadError> = summaries
            .iter()
            .filter_map(|(id, s)| match s {
                Summary::Failed(message) => Some(LoadError {
                    id: id.to_string(),
                    message: message.clone(),
                }),
                _ => None,
            })
            .collect();
        self.load_errors.update(|errors| {
            // A document that now reads fine (e.g. fixed by a merge) is no longer an error.
            errors.retain(|e| !summaries.iter().any(|(id, _)| id.to_string() == e.id));
            errors.extend(failed);
        });
        self.recount(ids);
        self.revision.update(|r| *r += 1);
    }

    fn recount(self, ids: &[DocumentId]) {
        let counts: Vec<(DocumentId, usize)> =
            self.repo
                .with_value(|r| ids.iter().map(|id| (*id, r.unsynced(id))).collect());
        let total = {
            let mut total = 0;
            self.unsynced_by_doc.update_value(|by_doc| {
                by_doc.extend(counts);
                total = by_doc.values().sum();
            });
            total
        };
        self.unsynced.set(total);
    }

    fn begin_save(self) -> Result<SaveGuard, String> {
        if self.saving.get_value() {
            return Err("another save is still in progress; try again in a moment".into());
        }
        self.saving.set_value(true);
        Ok(SaveGuard(self.saving))
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// Clears the "saving" flag however the save ends (including an early `?`).
struct SaveGuard(StoredValue<bool>);

impl Drop for SaveGuard {
    fn drop(&mut self) {
        self.0.set_value(false);
    }
}

/// Merges `doc` into the set's copy of `id` (or inserts it). Returns whether the set's copy
/// had changes `doc` lacked, i.e. whether the result differs from what was saved.
fn merge_into(docs: &mut crate::repo::Docs, id: DocumentId, mut doc: Automerge) -> bool {
    match docs.get_mut(&id) {
        Some(existing) => {
            let before = doc.get_heads();
            let _ = existing.merge(&mut doc);
            existing.get_heads() != before
        }
        None => {
            docs.insert(id, doc);
            false
        }
    }
}

/// `StoredValue::update_value` that hands back the closure's result.
trait UpdateReturning<T> {
    fn update_value_returning<R>(&self, f: impl FnOnce(&mut T) -> R) -> R;
}

impl<T: 'static> UpdateReturning<T> for StoredValue<T, LocalStorage> {
    fn update_value_returning<R>(&self, f: impl FnOnce(&mut T) -> R) -> R {
        let mut out = None;
        self.update_value(|v| out = Some(f(v)));
        out.expect("update_value ran the closure")
    }
}
