//! The device's durable storage: IndexedDB, through `indexed_db_futures`.
//!
//! Two object stores, both keyed by strings:
//! - `docs`: each record document's full `Automerge::save()` bytes, keyed by document id.
//! - `meta`: small device facts: the device id, the person's display name, and per document
//!   the hex change hashes the relay is known to have (`relay_heads:<document id>`).
//!
//! Every write awaits the transaction's `complete` event, so a caller that gets `Ok` knows the
//! data is durable; only then may the UI say "Saved".

use indexed_db_futures::database::Database;
use indexed_db_futures::prelude::*;
use indexed_db_futures::transaction::TransactionMode;
use wasm_bindgen::{JsCast, JsValue};

pub const DB_NAME: &str = "outpost";
const DB_VERSION: u32 = 1;
const DOCS: &str = "docs";
const META: &str = "meta";

pub const DEVICE_ID: &str = "device_id";
pub const DISPLAY_NAME: &str = "display_name";
/// The signed-in person's session body (JSON), kept so the app opens offline.
pub const SESSION: &str = "session";
/// The relay change feed's cursor as of the last complete sync (decimal string).
pub const CHANGES_CURSOR: &str = "changes_cursor";
const RELAY_HEADS_PREFIX: &str = "relay_heads:";

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

/// What the device keeps besides documents.
#[derive(Default)]
pub struct Meta {
    pub device_id: Option<String>,
    pub display_name: Option<String>,
    pub session: Option<String>,
    pub changes_cursor: Option<i64>,
    /// (document id, hex change hashes the relay has)
    pub relay_heads: Vec<(String, Vec<String>)>,
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
                // Version 0 → 1 creates both stores; later versions add their steps here.
                if event.old_version() < 1.0 {
                    db.create_object_store(DOCS).build()?;
                    db.create_object_store(META).build()?;
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

    /// Writes several documents in one transaction: all of them are durable, or none is (a new
    /// incident and the index entry that lists it go together).
    pub async fn put_docs(&self, docs: &[(String, Vec<u8>)]) -> Result<(), StoreError> {
        let tx = self
            .db
            .transaction(DOCS)
            .with_mode(TransactionMode::Readwrite)
            .build()?;
        let store = tx.object_store(DOCS)?;
        for (id, bytes) in docs {
            let value: JsValue = js_sys::Uint8Array::from(bytes.as_slice()).into();
            store.put(value).with_key(id.clone()).primitive()?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub async fn load_meta(&self) -> Result<Meta, StoreError> {
        let tx = self.db.transaction(META).build()?;
        let store = tx.object_store(META)?;
        let keys = store.get_all_keys::<JsValue>().primitive()?;
        let values = store.get_all::<JsValue>().primitive()?;
        let (keys, values) = (keys.await?, values.await?);
        let mut meta = Meta::default();
        for (key, value) in keys.zip(values) {
            let (Some(key), Ok(value)) = (key.ok().and_then(|k| k.as_string()), value) else {
                continue;
            };
            if key == DEVICE_ID {
                meta.device_id = value.as_string();
            } else if key == DISPLAY_NAME {
                meta.display_name = value.as_string();
            } else if key == SESSION {
                meta.session = value.as_string();
            } else if key == CHANGES_CURSOR {
                meta.changes_cursor = value.as_string().and_then(|c| c.parse().ok());
            } else if let Some(doc) = key.strip_prefix(RELAY_HEADS_PREFIX) {
                let heads = js_sys::Array::from(&value)
                    .iter()
                    .filter_map(|h| h.as_string())
                    .collect();
                meta.relay_heads.push((doc.to_string(), heads));
            }
        }
        Ok(meta)
    }

    pub async fn put_meta_string(&self, key: &str, value: &str) -> Result<(), StoreError> {
        self.put_meta(key, JsValue::from_str(value)).await
    }

    pub async fn put_relay_heads(&self, doc: &str, heads: &[String]) -> Result<(), StoreError> {
        let array: js_sys::Array = heads.iter().map(|h| JsValue::from_str(h)).collect();
        self.put_meta(&format!("{RELAY_HEADS_PREFIX}{doc}"), array.into())
            .await
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

/// The bytes of a stored value, which should be a `Uint8Array`.
fn bytes_of(value: JsValue) -> Result<Vec<u8>, String> {
    value
        .dyn_into::<js_sys::Uint8Array>()
        .map(|a| a.to_vec())
        .map_err(|_| "stored value is not a byte array".to_string())
}

#[cfg(test)]
mod tests;
