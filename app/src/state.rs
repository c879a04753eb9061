//! The app's state: the device core (`shared::device`), the device's identity, and the signals
//! the UI reads.
//!
//! Every action follows design.md's loop: the core decides (through `shared`'s rules) and
//! returns its I/O as effects; this module performs them — the store writes first, then the
//! signals the UI reads, then what the sync client is told. A save is the core's two steps
//! around the store write: prepared on a copy, written durably, and only then committed to
//! memory. Starting and stopping sync and blob transfers is `crate::session`'s, above this.

use std::collections::{BTreeMap, HashMap};

use automerge::ChangeHash;
use leptos::prelude::*;
use shared::access::{self, Person};
use shared::device::{Device, Effects, Prepared, Stored};
use shared::forms::{self, Values, View};
use shared::ids::DocumentId;
use shared::index;
use shared::model::{ChangeMeta, Record};
use shared::priority::PriorityMatrix;
use shared::refusal::Refusal;
use shared::review::Attention;
use shared::sync::NotAccepted;
use shared::time::Timestamp;
use wasm_bindgen::JsCast as _;

pub use shared::device::{LoadError, SaveError};

use crate::api::{self, SessionInfo};
use shared::summary::Summary;

use crate::store::{self, DocWrite, Store};

/// Told which documents changed on this device.
pub type AnnounceFn = Box<dyn Fn(&[DocumentId])>;

/// How the running sync client hears of local changes (set by it, cleared when it stops).
pub struct SyncLink {
    /// Documents changed on this device: announce them.
    pub announce: AnnounceFn,
    /// A refused record's copy is to be offered to the relay again.
    pub release: Box<dyn Fn(DocumentId)>,
}

/// Handles to everything the UI needs. `Copy`, so closures in views can capture it freely.
#[derive(Clone, Copy)]
pub struct AppState {
    /// The device core: documents, relay heads, refusals, counts, SLAs.
    device: StoredValue<Device, LocalStorage>,
    store: StoredValue<Option<Store>, LocalStorage>,
    /// The sync client's ears, while it runs.
    sync_link: StoredValue<Option<SyncLink>, LocalStorage>,
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
            device: StoredValue::new_local(Device::default()),
            store: StoredValue::new_local(None),
            sync_link: StoredValue::new_local(None),
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
        }
    }

    pub fn matrix() -> PriorityMatrix {
        Device::matrix()
    }

    /// Opens IndexedDB, the device identity and every stored document. Returns the attachment
    /// settings kept on the device (JSON, read with the rest of META), which the session's
    /// blobs open with.
    pub async fn load(self) -> Result<Option<String>, store::StoreError> {
        self.load_from(store::DB_NAME).await
    }

    /// [`AppState::load`] from the database called `name` (tests use their own).
    pub async fn load_from(self, name: &str) -> Result<Option<String>, store::StoreError> {
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
        self.changes_cursor
            .set_value(meta.changes_cursor.unwrap_or(0));
        self.last_sync
            .set(meta.last_sync.map(Timestamp::from_millis));
        // The list opens from the summaries alone, and paints before any document is decoded.
        // A summary names its document (the id it is stored under); one that does not parse
        // is derived anew by the core.
        let listed = shared::device::parse_summaries(&store.load_summaries().await?);
        crate::perf::mark("outpost:summaries-decoded");
        self.summaries.set(listed);
        self.list_ready.set(true);
        next_frame().await;

        let stored = Stored {
            // What the relay has of each document: only the sync needs it, after this.
            relay_heads: store.load_relay_heads().await?,
            docs: store
                .load_docs()
                .await?
                .into_iter()
                .map(|entry| (entry.id, entry.bytes))
                .collect(),
            refused: meta.refused,
        };
        let followed = self.followed_indexes();
        let (device, fx) = self
            .summaries
            .with_untracked(|listed| Device::load(stored, listed, &followed, now()));
        self.device.set_value(device);
        self.store.set_value(Some(store.clone()));
        self.refused
            .set(self.device.with_value(|d| d.refused().clone()));
        self.perform(fx).await;
        self.loaded.set(true);
        Ok(meta.blob_settings)
    }

    /// The index documents this person follows: default, and each of their sites and teams.
    pub fn followed_indexes(self) -> Vec<DocumentId> {
        let scopes = self.session.with_untracked(|s| match s {
            Some(s) => s.index_scopes(),
            None => vec![index::DEFAULT_SCOPE.to_string()],
        });
        scopes.iter().map(|s| index::index_id(s)).collect()
    }

    /// Lets the running sync client hear about local changes (`None`: it stopped).
    pub fn link_sync(self, link: Option<SyncLink>) {
        self.sync_link.set_value(link);
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
        let followed = self.followed_indexes();
        let added = self.device_mut(|d| d.follow(&followed));
        self.announce(&added);
        let writable: Vec<DocumentId> = self
            .refused_ids()
            .into_iter()
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
        self.device.with_value(|d| {
            d.doc(id)
                .and_then(|doc| Some(forms::of_document(doc).ok()?.barred(doc, &actor)))
                .unwrap_or_default()
        })
    }

    /// Whether the signed-in person may change record `id`, and if not, why: the rule the
    /// relay applies (`shared::access`), so the app never offers a change it would refuse.
    pub fn may_write(self, id: &DocumentId) -> Result<(), Refusal> {
        let person = self.person();
        let scope = self
            .device
            .with_value(|d| d.doc(id).and_then(access::record_scope));
        scope.map_or(Ok(()), |scope| access::may_write(&person, &scope))
    }

    /// Whether the signed-in person may create records of `kind` (somewhere they may file them).
    pub fn may_create(self, kind: &str) -> Result<(), Refusal> {
        access::may_create(&self.person(), kind)
    }

    /// The relay did not accept this device's change of `id`: keep why with the record.
    pub async fn not_accepted(self, id: DocumentId, refusal: Refusal) {
        let fx = self.device_mut(|d| d.not_accepted(id, refusal, now()));
        self.perform(fx).await;
    }

    /// The person keeps their refused change of `id` and offers it to the relay again (their
    /// rights may be back): it syncs like any change, and is marked again if refused again.
    pub async fn retry_refused(self, id: DocumentId) {
        let fx = self.device_mut(|d| d.retry_refused(id));
        self.perform(fx).await;
    }

    /// The person drops their refused change of `id`: the record becomes the relay's version
    /// again (durable before this returns `Ok`) and syncs as usual.
    pub async fn discard_refused(self, id: DocumentId) -> Result<(), SaveError> {
        self.save(|d, _| d.prepare_discard(id, now())).await
    }

    /// The records whose change the relay did not accept (as the core has them now: the
    /// `refused` signal follows once the refusal is stored).
    pub fn refused_ids(self) -> Vec<DocumentId> {
        self.device
            .with_value(|d| d.refused().keys().copied().collect())
    }

    /// What the held-back (refused) changes of `id` did, oldest first.
    pub fn held_changes(self, id: &DocumentId) -> Vec<shared::history::HistoryEntry> {
        self.device.with_value(|d| d.held_changes(id))
    }

    /// Called by the sync client when the relay no longer accepts the session.
    pub fn session_ended(self) {
        self.link_sync(None);
        self.online.set(false);
        self.session_expired.set(true);
    }

    /// Signs in against the relay and keeps the session on the device. Returns the relay's
    /// account of the person, for [`AppState::signed_in`] once the old sync has stopped. The
    /// error is a sentence for the person.
    pub async fn authenticate(self, username: &str, password: &str) -> Result<SessionInfo, String> {
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
        Ok(info)
    }

    /// `info`'s person is signed in (their sync not started yet).
    pub async fn signed_in(self, info: SessionInfo) {
        // Another person (or the same one after a while) may read other documents: the first
        // sync after signing in goes by the whole feed.
        self.set_changes_cursor(0).await;
        self.display_name.set(info.name().to_string());
        self.session.set(Some(info));
        self.session_expired.set(false);
        let followed = self.followed_indexes();
        let fx = self.device_mut(|d| {
            let _ = d.follow(&followed);
            d.recount_all()
        });
        self.perform(fx).await;
    }

    /// Forgets the session here, with the directory (what the next person may see of it is
    /// theirs to be given), and ends it on the relay if reachable. Documents stay.
    pub async fn sign_out(self) {
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
        self.device.with_value(|d| {
            d.not_on_relay(id)
                .iter()
                .map(ChangeHash::to_string)
                .collect()
        })
    }

    /// The changes of `id` beyond `heads`, oldest first, with who, where, when and what each
    /// field became; and the document's heads now (to pass next time).
    pub fn history_since(
        self,
        id: &DocumentId,
        heads: &[ChangeHash],
    ) -> (Vec<shared::history::HistoryEntry>, Vec<ChangeHash>) {
        self.device.with_value(|d| {
            d.doc(id).map_or_else(Default::default, |doc| {
                (shared::history::history_since(doc, heads), doc.get_heads())
            })
        })
    }

    /// Runs `f` with the device core (the sync client reads and merges its documents through
    /// this, and reports what it merged with [`AppState::remote_changed`]).
    pub fn with_device<R>(self, f: impl FnOnce(&mut Device) -> R) -> R {
        self.device_mut(f)
    }

    /// Reads the device core.
    pub fn read_device<R>(self, f: impl FnOnce(&Device) -> R) -> R {
        self.device.with_value(f)
    }

    fn device_mut<R>(self, f: impl FnOnce(&mut Device) -> R) -> R {
        let mut out = None;
        self.device.update_value(|d| out = Some(f(d)));
        out.expect("update_value ran the closure")
    }

    /// What the post-merge check (`shared::review`) reports for `id`: conflicting values of
    /// one field, values that could not be read, and rules the merged record breaks. Empty for
    /// a clean record.
    pub fn attention(self, id: &DocumentId) -> Vec<Attention> {
        self.device.with_value(|d| {
            d.doc(id)
                .map(|doc| shared::review::attention(doc, &d.lookup()))
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
        let mut found: Vec<(Summary, Vec<Attention>)> = self.device.with_value(|d| {
            flagged
                .into_iter()
                .filter_map(|(id, summary)| {
                    let found = shared::review::attention(d.doc(&id)?, &d.lookup());
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
        self.save(|d, meta| d.prepare_choose(id, &field, &value, meta))
            .await
    }

    /// The one save path for a person's change: the core prepares it on a copy, the copy is
    /// durable in IndexedDB before the core merges it into memory (so the relay never sees a
    /// change the device could not keep), then it is shown and synced.
    async fn save(
        self,
        prepare: impl FnOnce(&mut Device, &ChangeMeta) -> Result<Prepared, SaveError>,
    ) -> Result<(), SaveError> {
        let store = self.store().map_err(SaveError::not_saved)?;
        let meta = self.change_meta();
        let prepared = self.device_mut(|d| prepare(d, &meta))?;
        let writes: Vec<DocWrite> = prepared.writes().iter().map(store_write).collect();
        if let Err(e) = store.write(&writes).await {
            self.device_mut(|d| d.abandon(prepared));
            return Err(SaveError::not_saved(e));
        }
        let fx = self.device_mut(|d| d.commit(prepared));
        self.perform(fx).await;
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
    /// indexes that list it, durable in IndexedDB before this returns `Ok`.
    pub async fn create_record(self, kind: &str, values: Values) -> Result<DocumentId, SaveError> {
        let id = DocumentId::from_uuid(uuid::Uuid::new_v4());
        self.save(|d, meta| d.prepare_create(id, kind, &values, meta))
            .await?;
        Ok(id)
    }

    /// What the form of record `id` shows, if the record is on this device.
    pub fn record_view(self, id: &DocumentId) -> Option<Result<View, String>> {
        self.device.with_value(|d| {
            d.doc(id).map(|doc| {
                forms::of_document(doc)
                    .and_then(|f| f.view(doc))
                    .map_err(|e| e.to_string())
            })
        })
    }

    /// The value of field `path` of record `id` as text ("" if it is not on this device).
    pub fn record_value(self, id: &DocumentId, path: &str) -> String {
        self.device.with_value(|d| {
            d.doc(id)
                .and_then(|doc| shared::records::read(doc).ok())
                .map(|record| forms::to_text(record.get_at(path)))
                .unwrap_or_default()
        })
    }

    /// Writes the form fields in `values` to record `id`.
    pub async fn edit_record(self, id: DocumentId, values: Values) -> Result<(), SaveError> {
        self.save(|d, meta| d.prepare_edit(id, &values, meta)).await
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
        self.save(|d, meta| d.prepare_attach(id, hash, name, mime, size, meta))
            .await
    }

    /// The attachments record `id` lists (none when it is not on this device).
    pub fn attachments(self, id: &DocumentId) -> Vec<shared::attachments::Attachment> {
        self.device.with_value(|d| {
            d.doc(id)
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
        self.save(|d, meta| d.prepare_move(id, &to, &reason, meta))
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
        self.save(|d, meta| d.prepare_act(id, &action, &values, &actor, meta))
            .await
    }

    /// "SLA-… Name" for the SLA numbered `number`, or "the standard SLA" when it is empty or
    /// not on this device (the clock then runs against the standard SLA).
    pub fn agreement_name(self, number: &str) -> String {
        self.device.with_value(|d| {
            let sla = d.agreements().for_ticket(number);
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
        self.device.with_value(|d| {
            shared::records::service::ticket_service(&d.lookup(), number)
                .map(|(_, sla)| sla)
                .unwrap_or_default()
        })
    }

    /// The active freeze windows on the device (`shared::records::change::freeze_windows`).
    pub fn freeze_windows(self) -> Vec<shared::records::change::FreezeWindow> {
        self.device
            .with_value(|d| shared::records::change::freeze_windows(&d.lookup()))
    }

    /// Tracked: changes when a record of type `kind` changed on this device. Read it in its
    /// own `Memo`, whose readers then wake only for that type.
    pub fn revision_of(self, kind: &str) -> u64 {
        self.kind_revisions
            .with(|m| m.get(kind).copied().unwrap_or(0))
    }

    /// Every readable record of type `kind` on the device, with its document id.
    pub fn records_of(self, kind: &str) -> Vec<(DocumentId, Record)> {
        self.device.with_value(|d| d.records_of(kind))
    }

    /// Documents that changed from outside (the relay): persist them, then show them.
    pub async fn remote_changed(self, ids: &[DocumentId]) {
        let fx = self.device_mut(|d| d.remote_changed(ids, now()));
        self.perform(fx).await;
    }

    /// The relay is known to have `heads` of `id`: remember it (durably) and recount.
    pub async fn relay_has(self, id: DocumentId, heads: Vec<ChangeHash>) {
        let fx = self.device_mut(|d| d.relay_has(id, heads));
        self.perform(fx).await;
    }

    /// Performs the core's effects: the store writes first (a failure is the person's to know,
    /// and the rest still happens: memory already holds the change), then the signals, then
    /// what the sync client is told.
    async fn perform(self, fx: Effects) {
        let Effects {
            writes,
            summaries,
            relay_heads,
            refusals,
            shown,
            load_errors,
            unsynced,
            announce,
            release,
            changed,
        } = fx;
        let durable = !(writes.is_empty()
            && summaries.is_empty()
            && relay_heads.is_empty()
            && refusals.is_empty());
        if durable && let Err(e) = self.write(writes, summaries, relay_heads, &refusals).await {
            self.problem.set(Some(e));
        }
        if !shown.is_empty() {
            self.summaries.update(|m| {
                for (id, summary) in shown {
                    match summary {
                        Some(s) => m.insert(id, s),
                        None => m.remove(&id),
                    };
                }
            });
        }
        // Counts and sets as the core has them now (another operation may have run while this
        // one's writes were under way).
        if load_errors.is_some() {
            self.load_errors
                .set(self.device.with_value(|d| d.load_errors().to_vec()));
        }
        if !refusals.is_empty() {
            self.refused
                .set(self.device.with_value(|d| d.refused().clone()));
        }
        if unsynced.is_some() {
            self.unsynced.set(self.device.with_value(Device::unsynced));
        }
        if let Some(kinds) = changed {
            if !kinds.is_empty() {
                self.kind_revisions.update(|revisions| {
                    for kind in kinds {
                        *revisions.entry(kind).or_default() += 1;
                    }
                });
            }
            self.revision.update(|r| *r += 1);
        }
        self.announce(&announce);
        self.sync_link.with_value(|link| {
            if let Some(link) = link {
                for id in release {
                    (link.release)(id);
                }
            }
        });
    }

    /// The store writes of one operation's effects.
    async fn write(
        self,
        writes: Vec<shared::device::DocWrite>,
        summaries: Vec<(DocumentId, Summary)>,
        relay_heads: Vec<(DocumentId, Vec<ChangeHash>)>,
        refusals: &[(DocumentId, Option<NotAccepted>)],
    ) -> Result<(), String> {
        let store = self.store()?;
        let failed = |e: store::StoreError| e.to_string();
        if !writes.is_empty() {
            let writes: Vec<DocWrite> = writes.iter().map(store_write).collect();
            store.write(&writes).await.map_err(failed)?;
        }
        if !summaries.is_empty() {
            let json: Vec<(String, String)> = summaries
                .iter()
                .map(|(id, s)| (id.to_string(), to_json(s)))
                .collect();
            store.put_summaries(&json).await.map_err(failed)?;
        }
        for (id, heads) in relay_heads {
            let hex = shared::sync::heads_to_hex(&heads);
            store
                .put_relay_heads(&id.to_string(), &hex)
                .await
                .map_err(failed)?;
        }
        for (id, entry) in refusals {
            let json = entry
                .as_ref()
                .map(|e| serde_json::to_string(e).unwrap_or_default());
            store
                .put_refused(&id.to_string(), json.as_deref())
                .await
                .map_err(failed)?;
        }
        Ok(())
    }

    /// Tells the sync client that `ids` changed on this device.
    fn announce(self, ids: &[DocumentId]) {
        if ids.is_empty() {
            return;
        }
        self.sync_link.with_value(|link| {
            if let Some(link) = link {
                (link.announce)(ids);
            }
        });
    }
}

impl Default for AppState {
    fn default() -> Self {
        Self::new()
    }
}

/// The store's form of a document write: the summary as JSON.
fn store_write(w: &shared::device::DocWrite) -> DocWrite {
    DocWrite {
        id: w.id.to_string(),
        bytes: w.bytes.clone(),
        summary: w.summary.as_ref().map(to_json),
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
