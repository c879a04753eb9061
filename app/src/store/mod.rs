//! The device's durable storage: IndexedDB, through `indexed_db_futures`.
//!
//! Three object stores, all keyed by strings:
//! - `docs`: each record document's full `Automerge::save()` bytes, keyed by document id.
//! - `summaries` (version 2): per listed record, its `shared::summary::Summary` as JSON, keyed
//!   by document id, written in the same transaction as the document, so lists can open from
//!   summaries alone and never see a stale one.
//! - `snapshot` (version 4): every summary in one value ([`snapshot`]), which a start reads
//!   instead of one `summaries` entry per record; and `since` (version 4): per document
//!   written since that snapshot, its summary JSON or `null` once it is no longer listed,
//!   written in the same transaction as `summaries`, so snapshot + since always equals
//!   `summaries`. Once `since` holds [`COMPACT_AFTER`] entries (checked after each write and
//!   after the start's read), a fresh snapshot is written and `since` cleared in one
//!   transaction ([`Store::compact_summaries`]). A database without a snapshot (older, or
//!   new) is read from `summaries` and gets one.
//! - `blobs` (version 3): attachment bytes, content-addressed: keyed by their lowercase hex
//!   SHA-256, each `{bytes: Uint8Array, type: MIME}`. Never inside a document.
//! - `uploads` (version 3): per blob held, where it stands with the relay (JSON of
//!   `shared::sync::blobs::Upload`), written in the same transaction as the blob.
//! - `meta`: small device facts: the device id, the person's display name, and per document
//!   the hex change hashes the relay is known to have (`relay_heads:<document id>`) and, for
//!   a record whose change the relay did not accept, why (`refused:<document id>`, JSON of
//!   `shared::sync::NotAccepted`).
//!
//! Every write awaits the transaction's `complete` event, so a caller that gets `Ok` knows the
//! data is durable; only then may the UI say "Saved".

mod snapshot;

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use indexed_db_futures::database::Database;
use indexed_db_futures::object_store::ObjectStore;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use shared::sync::blobs::Upload;
use wasm_bindgen::{JsCast, JsValue};

pub const DB_NAME: &str = "outpost";
const DB_VERSION: u32 = 4;
const DOCS: &str = "docs";
const SUMMARIES: &str = "summaries";
const SNAPSHOT: &str = "snapshot";
const SINCE: &str = "since";
/// The one key of `snapshot`.
const SNAPSHOT_KEY: &str = "summaries";
/// Summaries written since the snapshot that make the next write (or start) write a fresh one.
/// A start reads them one entry each (~10 µs apiece in IndexedDB), and a compaction rewrites
/// the whole snapshot (a few tens of ms at 50,000 records): every thousand saves or so.
pub const COMPACT_AFTER: usize = 1000;
const META: &str = "meta";
const BLOBS: &str = "blobs";
const UPLOADS: &str = "uploads";

pub const DEVICE_ID: &str = "device_id";
pub const DISPLAY_NAME: &str = "display_name";
/// The signed-in person's session body (JSON), kept so the app opens offline.
pub const SESSION: &str = "session";
/// The people this person may pick by name, as the relay last listed them (JSON), so pickers
/// work offline.
pub const DIRECTORY: &str = "directory";
/// The sites and teams as the relay last listed them (JSON `shared::directory::Groups`), so
/// forms and lists show their names offline.
pub const GROUPS: &str = "groups";
/// The relay change feed's cursor as of the last complete sync (decimal string).
pub const CHANGES_CURSOR: &str = "changes_cursor";
/// When the last complete sync finished (milliseconds since the epoch, decimal string).
pub const LAST_SYNC: &str = "last_sync";
/// The device's attachment settings and the relay's blob limits as last read (JSON).
pub const BLOB_SETTINGS: &str = "blob_settings";
const RELAY_HEADS_PREFIX: &str = "relay_heads:";
const REFUSED_PREFIX: &str = "refused:";
/// The META keys holding one value each ([`Meta`]), as opposed to one per document.
const FIXED_META: [&str; 8] = [
    DEVICE_ID,
    DISPLAY_NAME,
    SESSION,
    DIRECTORY,
    GROUPS,
    CHANGES_CURSOR,
    LAST_SYNC,
    BLOB_SETTINGS,
];

/// A storage failure, as a sentence the person can read (e.g. the quota is full).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "could not save on this device: {}", self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<indexed_db_futures::error::Error> for StoreError {
    fn from(e: indexed_db_futures::error::Error) -> Self {
        use indexed_db_futures::error::Error;
        match e {
            Error::DomException(e) => {
                let e: web_sys::DomException = e.into();
                match e.name().as_str() {
                    "QuotaExceededError" => StoreError(
                        "the device's storage for Outpost is full (QuotaExceededError)".into(),
                    ),
                    name => StoreError(format!("{name}: {}", e.message())),
                }
            }
            other => StoreError(other.to_string()),
        }
    }
}

impl From<indexed_db_futures::error::OpenDbError> for StoreError {
    fn from(e: indexed_db_futures::error::OpenDbError) -> Self {
        StoreError(e.to_string())
    }
}

/// One stored document as it came off the disk; decoding is the caller's business, so that a
/// corrupt entry can be reported by id without hiding the others.
pub struct StoredDoc {
    pub id: String,
    pub bytes: Result<Vec<u8>, String>,
}

/// One document to store, with its summary (JSON) if it is a listed record.
#[derive(Debug, Clone, PartialEq)]
pub struct DocWrite {
    pub id: String,
    pub bytes: Vec<u8>,
    pub summary: Option<String>,
}

/// What the device keeps besides documents and the relay heads (read at start, before the list
/// paints).
#[derive(Default)]
pub struct Meta {
    pub device_id: Option<String>,
    pub display_name: Option<String>,
    pub session: Option<String>,
    pub directory: Option<String>,
    pub groups: Option<String>,
    pub changes_cursor: Option<i64>,
    pub last_sync: Option<i64>,
    pub blob_settings: Option<String>,
    /// (document id, JSON of why the relay did not accept its change)
    pub refused: Vec<(String, String)>,
}

#[derive(Clone, Debug)]
pub struct Store {
    db: Database,
    /// How many entries `since` holds (an upper bound: a document written twice counts twice).
    since: Rc<Cell<usize>>,
    /// A compaction is under way (one at a time).
    compacting: Rc<Cell<bool>>,
}

/// A database open started before the app mounts ([`open_early`]).
struct Early {
    name: String,
    done: js_sys::Promise,
    result: Rc<RefCell<Option<Result<Store, StoreError>>>>,
}

thread_local! {
    static EARLY: RefCell<Option<Early>> = const { RefCell::new(None) };
}

/// Starts opening the database called `name` now, so IndexedDB opens while the page mounts;
/// the next [`Store::open`] of that name takes it over.
pub fn open_early(name: &str) {
    let result = Rc::new(RefCell::new(None));
    let slot = result.clone();
    let owned = name.to_string();
    let done = wasm_bindgen_futures::future_to_promise(async move {
        let opened = Store::open_now(&owned).await;
        *slot.borrow_mut() = Some(opened);
        Ok(JsValue::UNDEFINED)
    });
    EARLY.with(|e| {
        *e.borrow_mut() = Some(Early {
            name: name.to_string(),
            done,
            result,
        })
    });
}

impl Store {
    /// Opens (creating or upgrading as needed) the database called `name`, or takes over the
    /// open [`open_early`] started.
    pub async fn open(name: &str) -> Result<Store, StoreError> {
        let early = EARLY.with(|e| e.borrow_mut().take_if(|e| e.name == name));
        if let Some(early) = early {
            let _ = wasm_bindgen_futures::JsFuture::from(early.done).await;
            if let Some(opened) = early.result.borrow_mut().take() {
                return opened;
            }
        }
        Self::open_now(name).await
    }

    async fn open_now(name: &str) -> Result<Store, StoreError> {
        let db = Database::open(name)
            .with_version(DB_VERSION)
            .with_on_upgrade_needed(|event, db| {
                // Version 0 → 1 creates docs and meta; 1 → 2 adds summaries, which the app
                // then derives for the documents already stored (`AppState::load`).
                if event.old_version() < 1.0 {
                    db.create_object_store(DOCS).build()?;
                    db.create_object_store(META).build()?;
                }
                if event.old_version() < 2.0 {
                    db.create_object_store(SUMMARIES).build()?;
                }
                // 2 → 3 adds attachment blobs and their upload state; nothing else changes.
                if event.old_version() < 3.0 {
                    db.create_object_store(BLOBS).build()?;
                    db.create_object_store(UPLOADS).build()?;
                }
                // 3 → 4 adds the summaries snapshot, empty: the first start reads `summaries`
                // as before and writes the snapshot after.
                if event.old_version() < 4.0 {
                    db.create_object_store(SNAPSHOT).build()?;
                    db.create_object_store(SINCE).build()?;
                }
                Ok(())
            })
            .await?;
        Ok(Store {
            db,
            since: Rc::new(Cell::new(0)),
            compacting: Rc::new(Cell::new(false)),
        })
    }

    /// Every stored document, in key order.
    pub async fn load_docs(&self) -> Result<Vec<StoredDoc>, StoreError> {
        let tx = self.db.transaction(DOCS).build()?;
        let store = tx.object_store(DOCS)?;
        // Both requests run in one read transaction, so keys and values line up.
        let keys = store.get_all_keys::<JsValue>().primitive()?;
        let values = store.get_all::<JsValue>().primitive()?;
        let keys = keys.await?;
        let values = values.await?;
        Ok(keys
            .zip(values)
            .map(|(key, value)| {
                let id = key
                    .ok()
                    .and_then(|k| k.as_string())
                    .unwrap_or_else(|| "(unreadable key)".into());
                let bytes = match value {
                    Ok(v) => bytes_of(v),
                    Err(e) => Err(e.to_string()),
                };
                StoredDoc { id, bytes }
            })
            .collect())
    }

    /// Writes documents and their summaries in one transaction: all are durable or none is. A
    /// write without a summary removes any the document had (it is no longer listed).
    pub async fn write(&self, writes: &[DocWrite]) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(&[DOCS, SUMMARIES, SINCE][..])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let docs = tx.object_store(DOCS)?;
        let summaries = tx.object_store(SUMMARIES)?;
        let since = tx.object_store(SINCE)?;
        for w in writes {
            let value: JsValue = js_sys::Uint8Array::from(w.bytes.as_slice()).into();
            docs.put(value).with_key(w.id.clone()).primitive()?;
            put_summary(&summaries, &since, &w.id, w.summary.as_deref())?;
        }
        tx.commit().await?;
        self.written(writes.len());
        Ok(())
    }

    /// Stores summaries (document id, JSON) of documents already stored, in one transaction.
    pub async fn put_summaries(&self, summaries: &[(String, String)]) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(&[SUMMARIES, SINCE][..])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let store = tx.object_store(SUMMARIES)?;
        let since = tx.object_store(SINCE)?;
        for (id, json) in summaries {
            put_summary(&store, &since, id, Some(json))?;
        }
        tx.commit().await?;
        self.written(summaries.len());
        Ok(())
    }

    /// Every listed record's summary JSON, in document id order: what a list opens with. Read
    /// from the snapshot and the summaries written since it (a few entries), or, when there is
    /// no snapshot this version can read, from the per-document summaries (the values only: a
    /// summary carries its document's id, and reading 50,000 keys as well would cost a start a
    /// sixth of a second more). Then a fresh snapshot is written if one is due.
    pub async fn load_summaries(&self) -> Result<Vec<String>, StoreError> {
        let tx = self
            .db
            .transaction(&[SNAPSHOT, SINCE, SUMMARIES][..])
            .build()?;
        let stored = tx
            .object_store(SNAPSHOT)?
            .get::<JsValue, _, _>(SNAPSHOT_KEY.to_string())
            .primitive()?;
        let stored = stored.await?.map(bytes_of).and_then(Result::ok);
        let listed = match stored.as_deref().and_then(snapshot::decode) {
            Some(entries) => {
                let since = read_since(&tx.object_store(SINCE)?).await?;
                self.since.set(since.len());
                snapshot::fold(&entries, &since)
                    .into_iter()
                    .map(|(_, json)| json.to_string())
                    .collect()
            }
            None => {
                // `summaries` holds what `since` does too: it alone is complete (and `since`
                // may be as big, after a start that derived every summary).
                self.since.set(usize::MAX);
                let values = tx
                    .object_store(SUMMARIES)?
                    .get_all::<JsValue>()
                    .primitive()?
                    .await?;
                values.filter_map(|v| v.ok()?.as_string()).collect()
            }
        };
        crate::perf::mark("outpost:summaries-read");
        self.compact_if_due();
        Ok(listed)
    }

    /// Writes a fresh snapshot of every summary and clears `since`, in one transaction (so no
    /// save can come between): the stored snapshot with `since` folded in, or, without a
    /// snapshot this version reads, every per-document summary.
    pub async fn compact_summaries(&self) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(&[SNAPSHOT, SINCE, SUMMARIES][..])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let snapshots = tx.object_store(SNAPSHOT)?;
        let stored = snapshots
            .get::<JsValue, _, _>(SNAPSHOT_KEY.to_string())
            .primitive()?;
        let since = tx.object_store(SINCE)?;
        let stored = stored.await?.map(bytes_of).and_then(Result::ok);
        let fresh = match stored.as_deref().and_then(snapshot::decode) {
            Some(entries) => {
                let written = read_since(&since).await?;
                snapshot::encode(snapshot::fold(&entries, &written))
            }
            // `summaries` alone is complete (see `load_summaries`).
            None => {
                let summaries = tx.object_store(SUMMARIES)?;
                let keys = summaries.get_all_keys::<JsValue>().primitive()?;
                let values = summaries.get_all::<JsValue>().primitive()?;
                let (keys, values) = (keys.await?, values.await?);
                let all: Vec<(String, String)> = keys
                    .zip(values)
                    .filter_map(|(k, v)| Some((k.ok()?.as_string()?, v.ok()?.as_string()?)))
                    .collect();
                snapshot::encode(all.iter().map(|(id, json)| (id.as_str(), json.as_str())))
            }
        };
        let value: JsValue = js_sys::Uint8Array::from(fresh.as_slice()).into();
        snapshots
            .put(value)
            .with_key(SNAPSHOT_KEY.to_string())
            .primitive()?;
        since.clear()?;
        tx.commit().await?;
        self.since.set(0);
        Ok(())
    }

    /// `count` summaries were written (or removed) since the snapshot.
    fn written(&self, count: usize) {
        self.since.set(self.since.get().saturating_add(count));
        self.compact_if_due();
    }

    /// Starts a compaction in the background once `since` has grown past its bound. A
    /// failure loses nothing (`since` keeps what the snapshot lacks): it is tried again.
    fn compact_if_due(&self) {
        if self.since.get() < COMPACT_AFTER || self.compacting.replace(true) {
            return;
        }
        let store = self.clone();
        wasm_bindgen_futures::spawn_local(async move {
            if let Err(e) = store.compact_summaries().await {
                gloo::console::warn!(format!("the summaries snapshot was not written: {e}"));
            }
            store.compacting.set(false);
        });
    }

    /// Every (key, value) of object store `name` whose key and value are strings, in key order.
    async fn load_all_text(&self, name: &str) -> Result<Vec<(String, String)>, StoreError> {
        let tx = self.db.transaction(name).build()?;
        let store = tx.object_store(name)?;
        let keys = store.get_all_keys::<JsValue>().primitive()?;
        let values = store.get_all::<JsValue>().primitive()?;
        let (keys, values) = (keys.await?, values.await?);
        Ok(keys
            .zip(values)
            .filter_map(|(k, v)| Some((k.ok()?.as_string()?, v.ok()?.as_string()?)))
            .collect())
    }

    /// What a start needs before the list paints: the fixed META keys (one `get` each) and the
    /// refusals. Not the relay heads: they are one entry per document (50,000 on a big tablet,
    /// a quarter of a second to read), and only the sync needs them ([`Store::load_relay_heads`]).
    pub async fn load_meta(&self) -> Result<Meta, StoreError> {
        let tx = self.db.transaction(META).build()?;
        let store = tx.object_store(META)?;
        // Every request is made before the first is awaited: they run together.
        let fixed = FIXED_META
            .iter()
            .map(|key| store.get::<JsValue, _, _>(key.to_string()).primitive())
            .collect::<Result<Vec<_>, _>>()?;
        let refused_keys = store
            .get_all_keys::<JsValue>()
            .with_query(prefixed(REFUSED_PREFIX))
            .primitive()?;
        let refused = store
            .get_all::<JsValue>()
            .with_query(prefixed(REFUSED_PREFIX))
            .primitive()?;
        let mut meta = Meta::default();
        for (key, value) in FIXED_META.iter().zip(fixed) {
            let value = value.await?.and_then(|v| v.as_string());
            match *key {
                DEVICE_ID => meta.device_id = value,
                DISPLAY_NAME => meta.display_name = value,
                SESSION => meta.session = value,
                DIRECTORY => meta.directory = value,
                GROUPS => meta.groups = value,
                BLOB_SETTINGS => meta.blob_settings = value,
                LAST_SYNC => meta.last_sync = value.and_then(|c| c.parse().ok()),
                CHANGES_CURSOR => meta.changes_cursor = value.and_then(|c| c.parse().ok()),
                _ => {}
            }
        }
        let (keys, values) = (refused_keys.await?, refused.await?);
        meta.refused = keys
            .zip(values)
            .filter_map(|(k, v)| {
                let key = k.ok()?.as_string()?;
                let doc = key.strip_prefix(REFUSED_PREFIX)?.to_string();
                Some((doc, v.ok()?.as_string()?))
            })
            .collect();
        Ok(meta)
    }

    /// Per document, the hex change hashes the relay is known to have (document id, hashes), in
    /// key order: read after the list has painted, before the sync starts.
    pub async fn load_relay_heads(&self) -> Result<Vec<(String, Vec<String>)>, StoreError> {
        let tx = self.db.transaction(META).build()?;
        let store = tx.object_store(META)?;
        let keys = store
            .get_all_keys::<JsValue>()
            .with_query(prefixed(RELAY_HEADS_PREFIX))
            .primitive()?;
        let values = store
            .get_all::<JsValue>()
            .with_query(prefixed(RELAY_HEADS_PREFIX))
            .primitive()?;
        let (keys, values) = (keys.await?, values.await?);
        Ok(keys
            .zip(values)
            .filter_map(|(k, v)| {
                let key = k.ok()?.as_string()?;
                let doc = key.strip_prefix(RELAY_HEADS_PREFIX)?.to_string();
                let heads = js_sys::Array::from(&v.ok()?)
                    .iter()
                    .filter_map(|h| h.as_string())
                    .collect();
                Some((doc, heads))
            })
            .collect())
    }

    /// Stores blob `hash` (its `bytes` and MIME type) with where it stands with the relay, in
    /// one transaction: both are durable when this returns `Ok`, or neither is.
    pub async fn put_blob(
        &self,
        hash: &str,
        bytes: &[u8],
        mime: &str,
        upload: &Upload,
    ) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(&[BLOBS, UPLOADS][..])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let value = js_sys::Object::new();
        let set = |k: &str, v: &JsValue| js_sys::Reflect::set(&value, &JsValue::from_str(k), v);
        set("bytes", &js_sys::Uint8Array::from(bytes).into())
            .and_then(|_| set("type", &JsValue::from_str(mime)))
            .map_err(|_| StoreError("the blob could not be prepared for storage".into()))?;
        tx.object_store(BLOBS)?
            .put(JsValue::from(value))
            .with_key(hash.to_string())
            .primitive()?;
        tx.object_store(UPLOADS)?
            .put(JsValue::from_str(&upload_json(upload)))
            .with_key(hash.to_string())
            .primitive()?;
        tx.commit().await?;
        Ok(())
    }

    /// Blob `hash`'s bytes and MIME type, if this device holds it.
    pub async fn get_blob(&self, hash: &str) -> Result<Option<(Vec<u8>, String)>, StoreError> {
        let tx = self.db.transaction(BLOBS).build()?;
        let store = tx.object_store(BLOBS)?;
        let Some(value) = store
            .get::<JsValue, _, _>(hash.to_string())
            .primitive()?
            .await?
        else {
            return Ok(None);
        };
        let get = |k: &str| js_sys::Reflect::get(&value, &JsValue::from_str(k)).ok();
        let bytes = get("bytes")
            .ok_or_else(|| StoreError(format!("blob {hash} is unreadable")))
            .and_then(|b| bytes_of(b).map_err(StoreError))?;
        let mime = get("type").and_then(|t| t.as_string()).unwrap_or_default();
        Ok(Some((bytes, mime)))
    }

    /// Every blob this device holds with its upload state (hash, state).
    pub async fn load_uploads(&self) -> Result<Vec<(String, Upload)>, StoreError> {
        Ok(self
            .load_all_text(UPLOADS)
            .await?
            .into_iter()
            .map(|(hash, json)| {
                // An unreadable state is retried from the start: the relay says what it has.
                let upload = serde_json::from_str(&json).unwrap_or(Upload::Waiting);
                (hash, upload)
            })
            .collect())
    }

    /// Keeps where blob `hash` stands with the relay.
    pub async fn put_upload(&self, hash: &str, upload: &Upload) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(UPLOADS)
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        tx.object_store(UPLOADS)?
            .put(JsValue::from_str(&upload_json(upload)))
            .with_key(hash.to_string())
            .primitive()?;
        tx.commit().await?;
        Ok(())
    }

    pub async fn put_meta_string(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.put_meta(key, JsValue::from_str(value)).await
    }

    pub async fn put_relay_heads(&self, doc: &str, heads: &[String]) -> Result<(), StoreError> {
        let array: js_sys::Array = heads.iter().map(|h| JsValue::from_str(h)).collect();
        self.put_meta(&format!("{RELAY_HEADS_PREFIX}{doc}"), array.into())
            .await
    }

    /// Keeps why the relay did not accept a change of `doc` (JSON), or forgets it (`None`).
    pub async fn put_refused(&self, doc: &str, json: Option<&str>) -> Result<(), StoreError> {
        let key = format!("{REFUSED_PREFIX}{doc}");
        match json {
            Some(json) => self.put_meta_string(&key, json).await,
            None => self.delete_meta(&key).await,
        }
    }

    pub async fn delete_meta(&self, key: &str) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(META)
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let store = tx.object_store(META)?;
        store.delete(key.to_string()).primitive()?;
        tx.commit().await?;
        Ok(())
    }

    async fn put_meta(&self, key: &str, value: JsValue) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(META)
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let store = tx.object_store(META)?;
        store.put(value).with_key(key.to_string()).primitive()?;
        tx.commit().await?;
        Ok(())
    }
}

/// What `since` holds, in document id order: each summary JSON, or `None` for a removal (or a
/// value that is not text, which was not written by this app: its record is derived anew).
async fn read_since(since: &ObjectStore<'_>) -> Result<snapshot::Since, StoreError> {
    let keys = since.get_all_keys::<JsValue>().primitive()?;
    let values = since.get_all::<JsValue>().primitive()?;
    let (keys, values) = (keys.await?, values.await?);
    Ok(keys
        .zip(values)
        .filter_map(|(k, v)| Some((k.ok()?.as_string()?, v.ok()?.as_string())))
        .collect())
}

/// Puts one document's summary (or, `None`, removes it) in `summaries` and in `since`.
fn put_summary(
    summaries: &ObjectStore<'_>,
    since: &ObjectStore<'_>,
    id: &str,
    json: Option<&str>,
) -> Result<(), StoreError> {
    match json {
        Some(json) => {
            summaries
                .put(JsValue::from_str(json))
                .with_key(id.to_string())
                .primitive()?;
            since
                .put(JsValue::from_str(json))
                .with_key(id.to_string())
                .primitive()?;
        }
        None => {
            summaries.delete(id.to_string()).primitive()?;
            since
                .put(JsValue::NULL)
                .with_key(id.to_string())
                .primitive()?;
        }
    }
    Ok(())
}

/// The META keys that start with `prefix` (which ends in ':'): from the prefix itself up to,
/// not including, the same text ending in ';', the next character. Keys compare by UTF-16 code
/// unit, so that is exactly the keys with the prefix.
fn prefixed(prefix: &str) -> std::ops::Range<String> {
    let stem = prefix.strip_suffix(':').expect("META prefixes end in ':'");
    prefix.to_string()..format!("{stem};")
}

fn upload_json(upload: &Upload) -> String {
    serde_json::to_string(&upload.to_keep()).unwrap_or_default()
}

/// The bytes of a stored value, which should be a `Uint8Array`.
fn bytes_of(value: JsValue) -> Result<Vec<u8>, String> {
    value
        .dyn_into::<js_sys::Uint8Array>()
        .map(|a| a.to_vec())
        .map_err(|_| "stored value is not a byte array".to_string())
}

#[cfg(test)]
mod tests;
