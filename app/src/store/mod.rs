//! The device's durable storage: IndexedDB, through `indexed_db_futures`.
//!
//! Three object stores, all keyed by strings:
//! - `docs`: each record document's full `Automerge::save()` bytes, keyed by document id.
//! - `summaries` (version 2): per listed record, its `shared::summary::Summary` as JSON, keyed
//!   by document id, written in the same transaction as the document, so lists can open from
//!   summaries alone and never see a stale one.
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

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use shared::sync::blobs::Upload;
use wasm_bindgen::{JsCast, JsValue};

pub const DB_NAME: &str = "outpost";
const DB_VERSION: u32 = 3;
const DOCS: &str = "docs";
const SUMMARIES: &str = "summaries";
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
}

impl Store {
    /// Opens (creating or upgrading as needed) the database called `name`.
    pub async fn open(name: &str) -> Result<Store, StoreError> {
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
                Ok(())
            })
            .await?;
        Ok(Store { db })
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
            .transaction(&[DOCS, SUMMARIES][..])
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let docs = tx.object_store(DOCS)?;
        let summaries = tx.object_store(SUMMARIES)?;
        for w in writes {
            let value: JsValue = js_sys::Uint8Array::from(w.bytes.as_slice()).into();
            docs.put(value).with_key(w.id.clone()).primitive()?;
            match &w.summary {
                Some(json) => {
                    summaries
                        .put(JsValue::from_str(json))
                        .with_key(w.id.clone())
                        .primitive()?;
                }
                None => {
                    summaries.delete(w.id.clone()).primitive()?;
                }
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Stores summaries (document id, JSON) of documents already stored, in one transaction.
    pub async fn put_summaries(&self, summaries: &[(String, String)]) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(SUMMARIES)
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let store = tx.object_store(SUMMARIES)?;
        for (id, json) in summaries {
            store
                .put(JsValue::from_str(json))
                .with_key(id.clone())
                .primitive()?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Every stored summary's JSON, in key order: what a list opens with. The values only: a
    /// summary carries its document's id, and reading the 50,000 keys of a big tablet as well
    /// would cost a start a sixth of a second more.
    pub async fn load_summaries(&self) -> Result<Vec<String>, StoreError> {
        let tx = self.db.transaction(SUMMARIES).build()?;
        let store = tx.object_store(SUMMARIES)?;
        let values = store.get_all::<JsValue>().primitive()?.await?;
        crate::perf::mark("outpost:summaries-read");
        Ok(values.filter_map(|v| v.ok()?.as_string()).collect())
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
