//! The app's state: the document set, the device's identity, and the signals the UI reads.
//!
//! Every action follows design.md's loop: a `shared` rule decides, the change is written to the
//! record's Automerge document, the document is committed to IndexedDB, and only then is the
//! in-memory set updated, the UI told, and the sync client asked to send it.

use std::collections::{BTreeMap, HashMap, HashSet};

use automerge::{Automerge, ChangeHash};
use leptos::prelude::*;
use shared::access::{self, Person};
use shared::forms::{self, Form, Values, View};
use shared::ids::DocumentId;
use shared::index;
use shared::model::{ChangeMeta, Record};
use shared::priority::PriorityMatrix;
use shared::records::agreement::{Agreements, SLA};
use shared::refusal::Refusal;
use shared::review::Attention;
use shared::sync::NotAccepted;
use shared::time::Timestamp;
use wasm_bindgen::JsCast as _;

use shared::sync::Docs as _;

use crate::api::{self, SessionInfo};
use shared::summary::{self, NoSummary, Summary};

use crate::repo::Repo;
use crate::store::{self, DocWrite, Store};

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

/// Told which documents changed on this device (the sync client sends them).
pub type LocalChangeFn = Box<dyn Fn(&[DocumentId])>;

/// Handles to everything the UI needs. `Copy`, so closures in views can capture it freely.
#[derive(Clone, Copy)]
pub struct AppState {
    repo: StoredValue<Repo, LocalStorage>,
    store: StoredValue<Option<Store>, LocalStorage>,
    /// Documents changed locally that the sync client should announce (drained by it).
    sync_notify: StoredValue<Option<LocalChangeFn>, LocalStorage>,
    /// Unsynced changes per document; the status bar shows the sum.
    unsynced_by_doc: StoredValue<HashMap<DocumentId, usize>>,
    /// One local save at a time: each save edits a copy of a document and merges it back, and
    /// two copies written concurrently by the same actor would clash.
    saving: StoredValue<bool>,
    /// The SLAs on the device, which tickets' clocks run against.
    agreements: StoredValue<Agreements>,
    /// The running sync client (only while signed in).
    sync: StoredValue<Option<crate::sync::Handle>, LocalStorage>,
    /// The change feed cursor as of the last complete sync.
    changes_cursor: StoredValue<i64>,

    pub device_id: RwSignal<String>,
    pub display_name: RwSignal<String>,
    /// The signed-in person (kept on the device, so it survives going offline and reloading).
    pub session: RwSignal<Option<SessionInfo>>,
    /// The relay said the session has ended: syncing waits for the person to sign in again.
    pub session_expired: RwSignal<bool>,
    /// The people this person may pick by name, as the relay last listed them (kept on the
    /// device, so pickers work offline).
    pub directory: RwSignal<Vec<shared::directory::Entry>>,
    /// The sites and teams by name, as the relay last listed them (kept on the device).
    pub groups: RwSignal<shared::directory::Groups>,
    /// The summary of every listed record (what lists read; never a whole document).
    pub summaries: RwSignal<BTreeMap<DocumentId, Summary>>,
    /// The summaries have been read: lists can paint (documents may still be loading).
    pub list_ready: RwSignal<bool>,
    /// The time lists measure SLA clocks against; ticks once a minute, offline too.
    pub now: RwSignal<Timestamp>,
    /// When the last complete sync with the relay finished (kept on the device).
    pub last_sync: RwSignal<Option<Timestamp>>,
    /// During a sync: (documents the relay has reported on, documents planned).
    pub sync_progress: RwSignal<Option<(usize, usize)>>,
    pub load_errors: RwSignal<Vec<LoadError>>,
    /// Bumped whenever any document changes, so open forms re-read their record.
    pub revision: RwSignal<u64>,
    /// Bumped per record type whose documents changed ([`AppState::revision_of`]), so what
    /// reads every record of one type (articles, problems, changes) re-reads only when theirs
    /// did, not on every change synced.
    kind_revisions: RwSignal<HashMap<String, u64>>,
    /// Documents have been read from IndexedDB.
    pub loaded: RwSignal<bool>,
    /// Connected to the relay.
    pub online: RwSignal<bool>,
    pub unsynced: RwSignal<usize>,
    /// Records whose change the relay did not accept, and why (kept on the device). Their
    /// refused changes are held back from sync and not counted as "not synced".
    pub refused: RwSignal<BTreeMap<DocumentId, NotAccepted>>,
    /// The attachment blobs on the device and their transfers.
    pub blobs: crate::blobs::Blobs,
    /// A failure the person must know about that belongs to no form (storage unavailable, a
    /// synced document that could not be saved, a relay error).
    pub problem: RwSignal<Option<String>>,
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
            agreements: StoredValue::new(Agreements::default()),
            sync: StoredValue::new_local(None),
            changes_cursor: StoredValue::new(0),
            device_id: RwSignal::new(String::new()),
            display_name: RwSignal::new(String::new()),
            session: RwSignal::new(None),
            session_expired: RwSignal::new(false),
            directory: RwSignal::new(vec![]),
            groups: RwSignal::new(Default::default()),
            summaries: RwSignal::new(BTreeMap::new()),
            list_ready: RwSignal::new(false),
            now: RwSignal::new(now()),
            last_sync: RwSignal::new(None),
            sync_progress: RwSignal::new(None),
            load_errors: RwSignal::new(vec![]),
            revision: RwSignal::new(0),
            kind_revisions: RwSignal::new(HashMap::new()),
            loaded: RwSignal::new(false),
            online: RwSignal::new(false),
            unsynced: RwSignal::new(0),
            refused: RwSignal::new(BTreeMap::new()),
            problem: RwSignal::new(None),
            blobs: crate::blobs::Blobs::new(),
        }
    }

    pub fn matrix() -> PriorityMatrix {
        PriorityMatrix::default()
    }

    /// Opens IndexedDB, the device identity and every stored document.
    pub async fn load(self) -> Result<(), store::StoreError> {
        self.load_from(store::DB_NAME).await
    }

    /// [`AppState::load`] from the database called `name` (tests use their own).
    pub async fn load_from(self, name: &str) -> Result<(), store::StoreError> {
        let store = Store::open(name).await?;
        crate::perf::mark("outpost:store-open");
        let meta = store.load_meta().await?;
        crate::perf::mark("outpost:meta");
        let device_id = match meta.device_id {
            Some(id) => id,
            None => {
                // Created once per device (per browser profile) and kept for good.
                let id = shared::ids::PeerId::new_device(uuid::Uuid::new_v4()).to_string();
                store.put_meta_string(store::DEVICE_ID, &id).await?;
                id
            }
        };
        self.device_id.set(device_id);
        let session = meta.session.as_deref().and_then(SessionInfo::from_json);
        self.display_name.set(
            session
                .as_ref()
                .map(|s| s.name().to_string())
                .unwrap_or_default(),
        );
        self.session.set(session);
        self.directory.set(
            meta.directory
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
        );
        self.groups.set(
            meta.groups
                .as_deref()
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
        );
        self.blobs
            .load(&store, meta.blob_settings.as_deref())
            .await?;
        self.changes_cursor
            .set_value(meta.changes_cursor.unwrap_or(0));
        self.last_sync
            .set(meta.last_sync.map(Timestamp::from_millis));
        self.refused.set(
            meta.refused
                .iter()
                .filter_map(|(id, json)| Some((id.parse().ok()?, serde_json::from_str(json).ok()?)))
                .collect(),
        );

        // The list opens from the summaries alone, and paints before any document is decoded.
        // A summary names its document (the id it is stored under); one that does not parse
        // is derived anew below.
        let listed: BTreeMap<DocumentId, Summary> = store
            .load_summaries()
            .await?
            .iter()
            .filter_map(|json| {
                let summary: Summary = serde_json::from_str(json).ok()?;
                Some((summary.id.parse().ok()?, summary))
            })
            .collect();
        crate::perf::mark("outpost:summaries-decoded");
        self.summaries.set(listed);
        self.list_ready.set(true);
        next_frame().await;

        // What the relay has of each document: only the sync needs it, after this.
        let relay_heads = store.load_relay_heads().await?;
        let stored = store.load_docs().await?;
        let mut errors = vec![];
        self.repo.update_value(|repo| {
            for (id, heads) in relay_heads {
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
        self.ensure_indexes();
        self.store.set_value(Some(store.clone()));
        let ids = self.repo.with_value(|r| r.docs.ids());
        self.load_errors.set(errors);
        self.reread_agreements();
        // Documents without a stored summary: stored before summaries existed (database
        // version 1) or before a field they need, or not listed (indexes, unreadable records).
        // Derive theirs and keep the new ones, so the next start needs no document to list.
        let missing: Vec<DocumentId> = self.summaries.with_untracked(|m| {
            ids.iter()
                .filter(|id| !m.contains_key(id))
                .copied()
                .collect()
        });
        self.keep_summaries(&self.derive(&missing)).await;
        self.recount(&ids);
        self.changed(&ids);
        self.loaded.set(true);
        Ok(())
    }

    /// The scope indexes are how a device discovers records; an empty one, until the relay
    /// sends it, makes the sync session ask for it.
    fn ensure_indexes(self) {
        let indexes = self.followed_indexes();
        self.repo.update_value(|repo| {
            for id in indexes {
                if repo.docs.get(&id).is_none() {
                    repo.docs.insert(id, Automerge::new());
                }
            }
        });
    }

    /// The index documents this person follows: default, and each of their sites and teams.
    pub fn followed_indexes(self) -> Vec<DocumentId> {
        let scopes = self.session.with_untracked(|s| match s {
            Some(s) => s.index_scopes(),
            None => vec![index::DEFAULT_SCOPE.to_string()],
        });
        scopes.iter().map(|s| index::index_id(s)).collect()
    }

    /// Lets the sync client hear about local changes.
    pub fn on_local_change(self, notify: Option<LocalChangeFn>) {
        self.sync_notify.set_value(notify);
    }

    /// Starts syncing if someone is signed in (and not already syncing).
    pub fn start_sync(self) {
        if self.session.with_untracked(Option::is_none) || self.sync.with_value(Option::is_some) {
            return;
        }
        let handle = crate::sync::start(self);
        self.sync.set_value(handle);
        self.blobs.start(self);
    }

    fn stop_sync(self) {
        let mut handle = None;
        self.sync.update_value(|h| handle = h.take());
        if let Some(handle) = handle {
            handle.stop();
        }
        self.blobs.stop();
        self.on_local_change(None);
    }

    /// The relay's current account of the signed-in person (their roles, sites or teams may have
    /// changed since they signed in): kept on the device, so forms and lists follow it, and the
    /// refused changes of records the person may now write are offered again.
    pub async fn refresh_session(self, info: SessionInfo) {
        let same_person = self
            .session
            .with_untracked(|s| s.as_ref().is_some_and(|s| s.username == info.username));
        if !same_person || self.session.with_untracked(|s| s.as_ref() == Some(&info)) {
            return;
        }
        if let Ok(store) = self.store()
            && let Err(e) = store.put_meta_string(store::SESSION, &info.to_json()).await
        {
            self.problem.set(Some(e.to_string()));
        }
        self.display_name.set(info.name().to_string());
        self.session.set(Some(info));
        let before: Vec<DocumentId> = self.repo.with_value(|r| r.docs.ids());
        self.ensure_indexes();
        let followed: Vec<DocumentId> = self
            .followed_indexes()
            .into_iter()
            .filter(|id| !before.contains(id))
            .collect();
        self.notify_sync(&followed);
        let writable: Vec<DocumentId> = self
            .refused
            .get_untracked()
            .into_keys()
            .filter(|id| self.may_write(id).is_ok())
            .collect();
        for id in writable {
            self.retry_refused(id).await;
        }
    }

    /// The relay's current directory for this person, kept on the device when it changed.
    /// Unreachable, the copy already kept stays in use.
    pub async fn refresh_directory(self) {
        if let Ok(people) = api::directory().await {
            self.keep_if_changed(self.directory, store::DIRECTORY, people)
                .await;
        }
    }

    /// The relay's sites and teams, kept on the device when they changed. Unreachable, the copy
    /// already kept stays in use.
    pub async fn refresh_groups(self) {
        if let (Ok(sites), Ok(teams)) = (api::sites().await, api::teams().await) {
            let groups = shared::directory::Groups { sites, teams };
            self.keep_if_changed(self.groups, store::GROUPS, groups)
                .await;
        }
    }

    /// Shows `fresh` in `signal` and keeps it as JSON under the meta `key`, unless it is what
    /// the device already has.
    async fn keep_if_changed<T>(self, signal: RwSignal<T>, key: &str, fresh: T)
    where
        T: PartialEq + serde::Serialize + Send + Sync + 'static,
    {
        if signal.with_untracked(|held| *held == fresh) {
            return;
        }
        if let Ok(store) = self.store() {
            let json = serde_json::to_string(&fresh).unwrap_or_default();
            if let Err(e) = store.put_meta_string(key, &json).await {
                self.problem.set(Some(e.to_string()));
            }
        }
        signal.set(fresh);
    }

    /// The name to show for the person stored as `username` (the id itself when unknown).
    pub fn person_name(self, username: &str) -> String {
        self.directory
            .with(|d| shared::directory::name_of(d, username).to_string())
    }

    /// The signed-in person as `shared::access` sees them (no one when signed out). Tracked.
    fn person(self) -> Person {
        self.session
            .with(|s| s.as_ref().map(SessionInfo::person))
            .unwrap_or_default()
    }

    /// The signed-in person by name, for the duties of record types (`shared::duties`).
    fn actor(self) -> access::Actor {
        access::Actor {
            username: self
                .session
                .with(|s| s.as_ref().map(|s| s.username.clone()))
                .unwrap_or_default(),
            person: self.person(),
        }
    }

    /// The actions of record `id` the signed-in person may not take, each with why (a
    /// change's requester does not approve it). Tracked.
    pub fn barred_actions(self, id: &DocumentId) -> Vec<(&'static str, String)> {
        let actor = self.actor();
        self.repo.with_value(|r| {
            r.docs
                .get(id)
                .and_then(|doc| Some(form_of(doc).ok()?.barred(doc, &actor)))
                .unwrap_or_default()
        })
    }

    /// Whether the signed-in person may change record `id`, and if not, why: the rule the
    /// relay applies (`shared::access`), so the app never offers a change it would refuse.
    pub fn may_write(self, id: &DocumentId) -> Result<(), Refusal> {
        let person = self.person();
        let scope = self
            .repo
            .with_value(|r| r.docs.get(id).and_then(access::record_scope));
        scope.map_or(Ok(()), |scope| access::may_write(&person, &scope))
    }

    /// Whether the signed-in person may create records of `kind` (somewhere they may file them).
    pub fn may_create(self, kind: &str) -> Result<(), Refusal> {
        access::may_create(&self.person(), kind)
    }

    /// The relay did not accept this device's change of `id`: keep why with the record.
    pub async fn not_accepted(self, id: DocumentId, refusal: Refusal) {
        let entry = NotAccepted { refusal, at: now() };
        let json = serde_json::to_string(&entry).unwrap_or_default();
        self.refused.update(|m| {
            m.insert(id, entry);
        });
        self.recount(&[id]);
        self.keep_refusal(id, Some(&json)).await;
    }

    /// The person keeps their refused change of `id` and offers it to the relay again (their
    /// rights may be back): it syncs like any change, and is marked again if refused again.
    pub async fn retry_refused(self, id: DocumentId) {
        self.refused.update(|m| {
            m.remove(&id);
        });
        self.recount(&[id]);
        self.keep_refusal(id, None).await;
        self.sync.with_value(|h| {
            if let Some(h) = h {
                h.release(id);
            }
        });
    }

    /// The person drops their refused change of `id`: the record becomes the relay's version
    /// again (durable before this returns `Ok`) and syncs as usual.
    pub async fn discard_refused(self, id: DocumentId) -> Result<(), SaveError> {
        let _guard = self.begin_save().map_err(not_saved)?;
        let doc = self
            .repo
            .with_value(|r| {
                let doc = r.docs.get(&id)?;
                Some(shared::sync::relay_version(doc, r.relay_heads(&id)))
            })
            .ok_or_else(|| rejected("this record is not on this device"))?;
        let (write, derived) = self.doc_write(&id, &doc);
        self.store()
            .map_err(not_saved)?
            .write(&[write])
            .await
            .map_err(not_saved)?;
        self.repo.update_value(|r| r.docs.insert(id, doc));
        self.retry_refused(id).await;
        self.show(std::slice::from_ref(&derived));
        self.changed(&[id]);
        self.follow_agreements(&[derived]).await;
        Ok(())
    }

    async fn keep_refusal(self, id: DocumentId, json: Option<&str>) {
        if let Ok(store) = self.store()
            && let Err(e) = store.put_refused(&id.to_string(), json).await
        {
            self.problem.set(Some(e.to_string()));
        }
    }

    /// The records whose change the relay did not accept.
    pub fn refused_ids(self) -> Vec<DocumentId> {
        self.refused.with_untracked(|m| m.keys().copied().collect())
    }

    /// What the held-back (refused) changes of `id` did, oldest first.
    pub fn held_changes(self, id: &DocumentId) -> Vec<shared::history::HistoryEntry> {
        self.repo.with_value(|r| {
            r.docs.get(id).map_or_else(Vec::new, |doc| {
                shared::history::history_since(doc, r.relay_heads(id))
            })
        })
    }

    /// Called by the sync client when the relay no longer accepts the session.
    pub fn session_ended(self) {
        self.sync.set_value(None);
        self.on_local_change(None);
        self.online.set(false);
        self.session_expired.set(true);
    }

    /// Signs in against the relay; on success the session is kept on the device and sync
    /// (re)starts. The error is a sentence for the person.
    pub async fn sign_in(self, username: &str, password: &str) -> Result<(), String> {
        let device = self.device_id.get_untracked();
        let store = self.store()?;
        let info = match api::sign_in(username, password, &device).await {
            // A device id belongs to the first person who signed in with it (a shared tablet
            // was someone else's first): this person gets one of their own.
            Err(e) if e.is_conflict() => {
                let device = shared::ids::PeerId::new_device(uuid::Uuid::new_v4()).to_string();
                store
                    .put_meta_string(store::DEVICE_ID, &device)
                    .await
                    .map_err(|e| e.to_string())?;
                self.device_id.set(device.clone());
                api::sign_in(username, password, &device).await
            }
            other => other,
        }
        .map_err(|e| e.to_string())?;
        store
            .put_meta_string(store::SESSION, &info.to_json())
            .await
            .map_err(|e| e.to_string())?;
        self.stop_sync();
        // Another person (or the same one after a while) may read other documents: the first
        // sync after signing in goes by the whole feed.
        self.set_changes_cursor(0).await;
        self.display_name.set(info.name().to_string());
        self.session.set(Some(info));
        self.session_expired.set(false);
        self.ensure_indexes();
        let ids = self.repo.with_value(|r| r.docs.ids());
        self.recount(&ids);
        self.start_sync();
        Ok(())
    }

    /// Ends the session on the relay (if reachable) and forgets it here, with the directory
    /// (what the next person may see of it is theirs to be given). Documents stay.
    pub async fn sign_out(self) {
        self.stop_sync();
        let _ = api::sign_out().await;
        if let Ok(store) = self.store() {
            for key in [store::SESSION, store::DIRECTORY, store::GROUPS] {
                if let Err(e) = store.delete_meta(key).await {
                    self.problem.set(Some(e.to_string()));
                }
            }
        }
        self.session.set(None);
        self.directory.set(vec![]);
        self.groups.set(Default::default());
        self.session_expired.set(false);
        self.display_name.set(String::new());
    }

    pub fn changes_cursor(self) -> i64 {
        self.changes_cursor.get_value()
    }

    /// Keeps the change feed cursor once everything it covers has synced.
    pub async fn set_changes_cursor(self, cursor: i64) {
        self.changes_cursor.set_value(cursor);
        let at = now();
        self.last_sync.set(Some(at));
        if let Ok(store) = self.store() {
            let result = async {
                store
                    .put_meta_string(store::CHANGES_CURSOR, &cursor.to_string())
                    .await?;
                store
                    .put_meta_string(store::LAST_SYNC, &at.millis().to_string())
                    .await
            }
            .await;
            if let Err(e) = result {
                self.problem.set(Some(e.to_string()));
            }
        }
    }

    /// The hex hashes of the changes of `id` the relay does not have yet.
    pub fn not_on_relay(self, id: &DocumentId) -> std::collections::HashSet<String> {
        self.repo.with_value(|r| {
            r.docs.get(id).map_or_else(Default::default, |doc| {
                shared::sync::unsynced_hashes(doc, r.relay_heads(id))
                    .iter()
                    .map(ChangeHash::to_string)
                    .collect()
            })
        })
    }

    /// The changes of `id` beyond `heads`, oldest first, with who, where, when and what each
    /// field became; and the document's heads now (to pass next time).
    pub fn history_since(
        self,
        id: &DocumentId,
        heads: &[ChangeHash],
    ) -> (Vec<shared::history::HistoryEntry>, Vec<ChangeHash>) {
        self.repo.with_value(|r| {
            r.docs.get(id).map_or_else(Default::default, |doc| {
                (shared::history::history_since(doc, heads), doc.get_heads())
            })
        })
    }

    /// Runs `f` with the document set (the sync client reads and merges through this).
    pub fn with_repo<R>(self, f: impl FnOnce(&mut Repo) -> R) -> R {
        self.repo.update_value_returning(f)
    }

    /// What the post-merge check (`shared::review`) reports for `id`: conflicting values of
    /// one field, values that could not be read, and rules the merged record breaks. Empty for
    /// a clean record.
    pub fn attention(self, id: &DocumentId) -> Vec<Attention> {
        self.repo.with_value(|r| {
            r.docs
                .get(id)
                .map(|doc| shared::review::attention(doc, &OnDevice(self)))
                .unwrap_or_default()
        })
    }

    /// Every listed record on the device that needs a person, by record number. Only the
    /// documents whose summary counts something are reviewed.
    pub fn attention_all(self) -> Vec<(Summary, Vec<Attention>)> {
        let flagged: Vec<(DocumentId, Summary)> = self.summaries.with_untracked(|m| {
            m.iter()
                .filter(|(_, s)| s.attention > 0)
                .map(|(id, s)| (*id, s.clone()))
                .collect()
        });
        let mut found: Vec<(Summary, Vec<Attention>)> = self.repo.with_value(|r| {
            flagged
                .into_iter()
                .filter_map(|(id, summary)| {
                    let found = shared::review::attention(r.docs.get(&id)?, &OnDevice(self));
                    (!found.is_empty()).then_some((summary, found))
                })
                .collect()
        });
        shared::order::sort_by(&mut found, |a, b| a.0.number.cmp(&b.0.number));
        found
    }

    /// The person chose `value` for the conflicting `field` of `id`: written as a new change
    /// (which resolves the conflict), durable in IndexedDB before this returns `Ok`, then synced.
    pub async fn choose_value(
        self,
        id: DocumentId,
        field: String,
        value: String,
    ) -> Result<(), SaveError> {
        self.save_edit(id, "this record is not on this device", |doc, meta| {
            shared::review::choose(doc, &field, &value, meta).map_err(rejected)
        })
        .await
    }

    /// The one save path for a change to a record on this device: `edit` changes a copy of the
    /// document; the copy is durable in IndexedDB before it is merged into memory (so the relay
    /// never sees a change the device could not keep), then it is shown and synced.
    async fn save_edit(
        self,
        id: DocumentId,
        missing: &str,
        edit: impl FnOnce(&mut Automerge, &ChangeMeta) -> Result<(), SaveError>,
    ) -> Result<(), SaveError> {
        let _guard = self.begin_save().map_err(not_saved)?;
        let meta = self.change_meta();
        let mut doc = self
            .repo
            .with_value(|r| r.docs.get(&id).cloned())
            .ok_or_else(|| rejected(missing))?;
        edit(&mut doc, &meta)?;
        let (write, derived) = self.doc_write(&id, &doc);
        let mut derived = vec![derived];
        self.store()
            .map_err(not_saved)?
            .write(&[write])
            .await
            .map_err(not_saved)?;
        // Merge rather than replace: a remote change may have arrived while we were saving.
        let merged_extra = self
            .repo
            .update_value_returning(|r| merge_into(&mut r.docs, id, doc));
        if merged_extra {
            // The in-memory doc now has both; keep the disk (and the summary) in step.
            derived = self.persist(&[id]).await;
        }
        self.changed_locally(&derived);
        self.follow_agreements(&derived).await;
        Ok(())
    }

    fn change_meta(self) -> ChangeMeta {
        // The author is the signed-in username (what the relay knows the person by).
        let author = self
            .session
            .with_untracked(|s| s.as_ref().map(|s| s.username.clone()))
            .unwrap_or_else(|| self.display_name.get_untracked());
        ChangeMeta {
            author,
            device: self.device_id.get_untracked(),
            at: now(),
        }
    }

    pub(crate) fn store(self) -> Result<Store, String> {
        self.store
            .get_value()
            .ok_or_else(|| "storage on this device is not open".to_string())
    }

    /// Creates a record of `kind` from its form's `values` (`shared::forms`), filed in the
    /// default index and its site's and team's, durable in IndexedDB before this returns `Ok`.
    pub async fn create_record(self, kind: &str, values: Values) -> Result<DocumentId, SaveError> {
        let _guard = self.begin_save().map_err(not_saved)?;
        let meta = self.change_meta();
        let form = forms::of(kind).ok_or_else(|| rejected(format!("no form for '{kind}'")))?;
        let id = DocumentId::from_uuid(uuid::Uuid::new_v4());
        let doc = form
            .create(&id, &values, &OnDevice(self), &meta)
            .map_err(rejected)?;
        // Only the summary's site and team are used here (to file the record); the SLAs do not
        // change them, and add_new stores the summary measured against the device's SLAs.
        let place = summary::summarize(
            &id.to_string(),
            &doc,
            &Self::matrix(),
            &Agreements::default(),
            &forms::Nothing,
            meta.at,
        )
        .map_err(|e| not_saved(format!("{e:?}")))?;
        self.add_new(id, doc, kind, &place.site, &place.team, &meta)
            .await?;
        Ok(id)
    }

    /// Files the new document `doc` (a record of `kind`) in the indexes that list it
    /// (`shared::index::scopes_for`: a security incident in the restricted one only, any
    /// other in the default index and its site's and team's), and commits them all to
    /// IndexedDB in one transaction before showing them.
    async fn add_new(
        self,
        id: DocumentId,
        mut doc: Automerge,
        kind: &str,
        site: &str,
        team: &str,
        meta: &ChangeMeta,
    ) -> Result<(), SaveError> {
        if !team.is_empty() {
            // The relay decides who sees a record by its root `team` (shared::access), which
            // a record's own `group` field does not write.
            write_team(&mut doc, team, meta).map_err(not_saved)?;
        }
        let scopes = index::scopes_for(&shared::access::RecordScope {
            kind: kind.to_string(),
            site: (!site.is_empty()).then(|| site.to_string()),
            team: (!team.is_empty()).then(|| team.to_string()),
            restricted: shared::access::is_restricted_kind(kind),
        });
        let mut indexes = vec![];
        for scope in scopes {
            let index_id = index::index_id(&scope);
            let mut index_doc = self
                .repo
                .with_value(|r| r.docs.get(&index_id).cloned())
                .unwrap_or_default();
            index::add(&mut index_doc, &id, kind, meta).map_err(not_saved)?;
            indexes.push((index_id, index_doc));
        }

        let (writes, derived): (Vec<DocWrite>, Vec<Derived>) = std::iter::once((&id, &doc))
            .chain(indexes.iter().map(|(i, d)| (i, d)))
            .map(|(id, doc)| self.doc_write(id, doc))
            .unzip();
        self.store()
            .map_err(not_saved)?
            .write(&writes)
            .await
            .map_err(not_saved)?;

        self.repo.update_value(|r| {
            r.docs.insert(id, doc);
            for (index_id, index_doc) in indexes {
                merge_into(&mut r.docs, index_id, index_doc);
            }
        });
        self.changed_locally(&derived);
        Ok(())
    }

    /// What the form of record `id` shows, if the record is on this device.
    pub fn record_view(self, id: &DocumentId) -> Option<Result<View, String>> {
        self.repo.with_value(|r| {
            r.docs.get(id).map(|doc| {
                form_of(doc)
                    .and_then(|f| f.view(doc))
                    .map_err(|e| e.to_string())
            })
        })
    }

    /// The value of field `path` of record `id` as text ("" if it is not on this device).
    pub fn record_value(self, id: &DocumentId, path: &str) -> String {
        self.repo.with_value(|r| {
            r.docs
                .get(id)
                .and_then(|doc| shared::records::read(doc).ok())
                .map(|record| forms::to_text(record.get_at(path)))
                .unwrap_or_default()
        })
    }

    /// Writes the form fields in `values` to record `id`.
    pub async fn edit_record(self, id: DocumentId, values: Values) -> Result<(), SaveError> {
        self.save_edit(id, "this record is not on this device", |doc, meta| {
            form_of(doc)
                .map_err(rejected)?
                .edit(doc, &values, &OnDevice(self), meta)
                .map_err(rejected)
        })
        .await
    }

    /// Adds the attachment entry for blob `hash` (already durable on the device) to record
    /// `id`, by the signed-in person on this device now (`shared::attachments::attach`).
    pub async fn attach(
        self,
        id: DocumentId,
        hash: String,
        name: String,
        mime: String,
        size: u64,
    ) -> Result<(), SaveError> {
        self.save_edit(id, "this record is not on this device", |doc, meta| {
            let mut record = shared::records::read(doc).map_err(rejected)?;
            let attachment = shared::attachments::Attachment {
                hash,
                name,
                mime,
                size,
                at: meta.at,
                by: meta.author.clone(),
                device: meta.device.clone(),
            };
            shared::attachments::attach(&mut record, meta, &attachment).map_err(rejected)?;
            record.write(doc, meta).map_err(rejected)
        })
        .await
    }

    /// The attachments record `id` lists (none when it is not on this device).
    pub fn attachments(self, id: &DocumentId) -> Vec<shared::attachments::Attachment> {
        self.repo.with_value(|r| {
            r.docs
                .get(id)
                .and_then(|doc| shared::records::read(doc).ok())
                .map(|record| shared::attachments::Attachment::all(&record))
                .unwrap_or_default()
        })
    }

    /// Moves record `id` to status `to`, if its workflow allows it.
    pub async fn move_record(
        self,
        id: DocumentId,
        to: String,
        reason: String,
    ) -> Result<(), SaveError> {
        self.save_edit(id, "this record is not on this device", |doc, meta| {
            form_of(doc)
                .map_err(rejected)?
                .move_to(doc, &to, &reason, &OnDevice(self), meta)
                .map_err(rejected)
        })
        .await
    }

    /// Takes the form action `action` (a CAB decision, a check, …) on record `id`.
    pub async fn act_on_record(
        self,
        id: DocumentId,
        action: String,
        values: Values,
    ) -> Result<(), SaveError> {
        let actor = self.actor();
        self.save_edit(id, "this record is not on this device", |doc, meta| {
            form_of(doc)
                .map_err(rejected)?
                .act_as(doc, &action, &values, &OnDevice(self), meta, &actor)
                .map_err(rejected)
        })
        .await
    }

    /// "SLA-… Name" for the SLA numbered `number`, or "the standard SLA" when it is empty or
    /// not on this device (the clock then runs against the standard SLA).
    pub fn agreement_name(self, number: &str) -> String {
        self.agreements.with_value(|slas| {
            let sla = slas.for_ticket(number);
            if number.is_empty() {
                "the standard SLA".to_string()
            } else if sla.number == number {
                format!("{} {}", sla.number, sla.name)
            } else {
                format!("{number} (not on this device yet: the standard SLA meanwhile)")
            }
        })
    }

    /// The SLA number a new ticket about service `number` would run against ("" for none).
    pub fn service_agreement(self, number: &str) -> String {
        if number.is_empty() {
            return String::new();
        }
        shared::records::service::ticket_service(&OnDevice(self), number)
            .map(|(_, sla)| sla)
            .unwrap_or_default()
    }

    /// The active freeze windows on the device (`shared::records::change::freeze_windows`).
    pub fn freeze_windows(self) -> Vec<shared::records::change::FreezeWindow> {
        shared::records::change::freeze_windows(&OnDevice(self))
    }

    /// Documents `ids` changed on this device: open forms re-read, and so does whatever reads
    /// the records of their types.
    fn changed(self, ids: &[DocumentId]) {
        let kinds: HashSet<String> = self.summaries.with_untracked(|m| {
            ids.iter()
                .filter_map(|id| Some(m.get(id)?.kind.clone()))
                .collect()
        });
        if !kinds.is_empty() {
            self.kind_revisions.update(|revisions| {
                for kind in kinds {
                    *revisions.entry(kind).or_default() += 1;
                }
            });
        }
        self.revision.update(|r| *r += 1);
    }

    /// Tracked: changes when a record of type `kind` changed on this device. Read it in its
    /// own `Memo`, whose readers then wake only for that type.
    pub fn revision_of(self, kind: &str) -> u64 {
        self.kind_revisions
            .with(|m| m.get(kind).copied().unwrap_or(0))
    }

    /// Every readable record of type `kind` on the device, with its document id.
    pub fn records_of(self, kind: &str) -> Vec<(DocumentId, Record)> {
        let ids: Vec<DocumentId> = self.summaries.with_untracked(|m| {
            m.iter()
                .filter(|(_, s)| s.kind == kind)
                .map(|(id, _)| *id)
                .collect()
        });
        self.repo.with_value(|r| {
            ids.iter()
                .filter_map(|id| Some((*id, shared::records::read(r.docs.get(id)?).ok()?)))
                .collect()
        })
    }

    /// Documents that changed from outside (the relay): persist them, then show them.
    pub async fn remote_changed(self, ids: &[DocumentId]) {
        let derived = self.persist(ids).await;
        self.show(&derived);
        self.recount(ids);
        self.changed(ids);
        self.follow_agreements(&derived).await;
    }

    /// Reads every SLA on the device again.
    fn reread_agreements(self) {
        self.agreements.set_value(Agreements::on(&OnDevice(self)));
    }

    /// After documents changed (`derived`, as saved or merged): if SLAs were among them, read
    /// the SLAs again and derive anew the summaries of the tickets naming them, so their clocks
    /// follow the agreement (or start following it once it reaches this device).
    async fn follow_agreements(self, derived: &[Derived]) {
        let changed: std::collections::HashSet<&str> = derived
            .iter()
            .filter_map(|(_, r)| r.as_ref().ok())
            .filter(|s| s.kind == SLA.kind)
            .map(|s| s.number.as_str())
            .collect();
        if changed.is_empty() {
            return;
        }
        self.reread_agreements();
        let naming: Vec<DocumentId> = self.summaries.with_untracked(|m| {
            m.iter()
                .filter(|(_, s)| changed.contains(s.agreement.as_str()))
                .map(|(id, _)| *id)
                .collect()
        });
        self.keep_summaries(&self.derive(&naming)).await;
    }

    /// Stores summaries derived from documents already stored, and shows them.
    async fn keep_summaries(self, derived: &[Derived]) {
        let json: Vec<(String, String)> = derived
            .iter()
            .filter_map(|(id, r)| Some((id.to_string(), to_json(r.as_ref().ok()?))))
            .collect();
        if !json.is_empty() {
            let stored = match self.store() {
                Ok(store) => store.put_summaries(&json).await.map_err(|e| e.to_string()),
                Err(e) => Err(e),
            };
            if let Err(e) = stored {
                self.problem.set(Some(e));
            }
        }
        self.show(derived);
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

    /// Writes the in-memory state of `ids` to IndexedDB, each with its summary in the same
    /// transaction; returns the summaries for the list.
    async fn persist(self, ids: &[DocumentId]) -> Vec<Derived> {
        let (writes, derived): (Vec<DocWrite>, Vec<Derived>) = self.repo.with_value(|r| {
            ids.iter()
                .filter_map(|id| Some(self.doc_write(id, r.docs.get(id)?)))
                .unzip()
        });
        let result = match self.store() {
            Ok(store) => store.write(&writes).await.map_err(|e| e.to_string()),
            Err(e) => Err(e),
        };
        if let Err(e) = result {
            self.problem.set(Some(e));
        }
        derived
    }

    /// The summary of document `id` at `at`, tickets measured against the SLAs on the device.
    fn summarize(
        self,
        id: &DocumentId,
        doc: &Automerge,
        at: Timestamp,
    ) -> Result<Summary, NoSummary> {
        self.agreements.with_value(|slas| {
            summary::summarize(
                &id.to_string(),
                doc,
                &Self::matrix(),
                slas,
                &OnDevice(self),
                at,
            )
        })
    }

    /// The store write of one document with its summary (none for documents not listed), and
    /// the summary itself for the list.
    fn doc_write(self, id: &DocumentId, doc: &Automerge) -> (DocWrite, Derived) {
        let summary = self.summarize(id, doc, now());
        let write = DocWrite {
            id: id.to_string(),
            bytes: doc.save(),
            summary: summary.as_ref().ok().map(to_json),
        };
        (write, (*id, summary))
    }

    /// The summaries of `ids` as their documents are now.
    fn derive(self, ids: &[DocumentId]) -> Vec<Derived> {
        let at = now();
        self.repo.with_value(|r| {
            ids.iter()
                .filter_map(|id| Some((*id, self.summarize(id, r.docs.get(id)?, at))))
                .collect()
        })
    }

    /// Puts derived summaries in the list, and unreadable records among the load errors.
    fn show(self, derived: &[Derived]) {
        if derived.is_empty() {
            return;
        }
        self.summaries.update(|m| {
            for (id, result) in derived {
                match result {
                    Ok(s) => {
                        m.insert(*id, s.clone());
                    }
                    Err(_) => {
                        m.remove(id);
                    }
                }
            }
        });
        let failed: Vec<LoadError> = derived
            .iter()
            .filter_map(|(id, r)| match r {
                Err(NoSummary::Unreadable(message)) => Some(LoadError {
                    id: id.to_string(),
                    message: message.clone(),
                }),
                _ => None,
            })
            .collect();
        self.load_errors.update(|errors| {
            // A document that now reads fine (e.g. fixed by a merge) is no longer an error.
            errors.retain(|e| !derived.iter().any(|(id, _)| id.to_string() == e.id));
            errors.extend(failed);
        });
    }

    /// Documents saved on this device, with their summaries as saved: shown, counted, synced.
    fn changed_locally(self, derived: &[Derived]) {
        let ids: Vec<DocumentId> = derived.iter().map(|(id, _)| *id).collect();
        self.show(derived);
        self.recount(&ids);
        self.changed(&ids);
        self.notify_sync(&ids);
    }

    /// Tells the sync client that `ids` changed on this device.
    fn notify_sync(self, ids: &[DocumentId]) {
        if ids.is_empty() {
            return;
        }
        self.sync_notify.with_value(|notify| {
            if let Some(notify) = notify {
                notify(ids);
            }
        });
    }

    /// Counts what the relay does not have yet of `ids`; a refused change is not waiting to sync
    /// (it is counted among the records not accepted).
    fn recount(self, ids: &[DocumentId]) {
        let counts: Vec<(DocumentId, usize)> = self.refused.with_untracked(|refused| {
            self.repo.with_value(|r| {
                let count = |id| {
                    if refused.contains_key(id) {
                        0
                    } else {
                        r.unsynced(id)
                    }
                };
                ids.iter().map(|id| (*id, count(id))).collect()
            })
        });
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

/// A document's summary, or why it has none.
type Derived = (DocumentId, Result<Summary, NoSummary>);

/// The form of the record in `doc`.
fn form_of(doc: &Automerge) -> Result<Form, shared::model::RecordError> {
    forms::of_document(doc)
}

/// The other records on this device, for rules that read them (`shared::forms::Lookup`).
struct OnDevice(AppState);

impl forms::Lookup for OnDevice {
    fn record(&self, number: &str) -> Option<Automerge> {
        let listed = self.0.summaries.with_untracked(|m| {
            m.iter()
                .find(|(_, s)| s.number.eq_ignore_ascii_case(number.trim()))
                .map(|(id, _)| *id)
        });
        self.0.repo.with_value(|r| match listed {
            Some(id) => r.docs.get(&id).cloned(),
            // Records no list shows (change templates): by the number in the document.
            None => r.docs.iter().find_map(|(_, doc)| {
                (root_string(doc, "number")?.eq_ignore_ascii_case(number.trim()))
                    .then(|| doc.clone())
            }),
        })
    }

    fn id_of(&self, number: &str) -> Option<String> {
        self.0.summaries.with_untracked(|m| {
            m.iter()
                .find(|(_, s)| s.number.eq_ignore_ascii_case(number.trim()))
                .map(|(id, _)| id.to_string())
        })
    }

    fn all(&self, kind: &str) -> Vec<Automerge> {
        let ids: Vec<DocumentId> = self.0.summaries.with_untracked(|m| {
            m.iter()
                .filter(|(_, s)| s.kind == kind)
                .map(|(id, _)| *id)
                .collect()
        });
        self.0.repo.with_value(|r| {
            ids.iter()
                .filter_map(|id| r.docs.get(id).cloned())
                .collect()
        })
    }
}

fn root_string(doc: &Automerge, key: &str) -> Option<String> {
    use automerge::{ReadDoc, ScalarValue, Value};
    match doc.get(automerge::ROOT, key).ok().flatten()? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(t) => Some(t.to_string()),
            _ => None,
        },
        _ => None,
    }
}

fn to_json(s: &Summary) -> String {
    serde_json::to_string(s).unwrap_or_default()
}

/// Resolves after the browser has had a chance to paint (one animation frame, then a task).
pub async fn next_frame() {
    let promise = js_sys::Promise::new(&mut |resolve, _| {
        let Some(window) = web_sys::window() else {
            let _ = resolve.call0(&wasm_bindgen::JsValue::NULL);
            return;
        };
        let after_paint = wasm_bindgen::closure::Closure::once_into_js(move || {
            if let Some(w) = web_sys::window() {
                let _ = w.set_timeout_with_callback(&resolve);
            }
        });
        let _ = window.request_animation_frame(after_paint.unchecked_ref());
    });
    let _ = wasm_bindgen_futures::JsFuture::from(promise).await;
}

/// Puts `team` at the document's root, where `shared::access::record_scope` reads it.
fn write_team(doc: &mut Automerge, team: &str, meta: &ChangeMeta) -> Result<(), String> {
    use automerge::transaction::Transactable as _;
    let mut tx = doc.transaction();
    tx.put(automerge::ROOT, "team", team)
        .map_err(|e| e.to_string())?;
    tx.commit_with(meta.commit_options());
    Ok(())
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
