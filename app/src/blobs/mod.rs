//! Attachments on the device (issue 17 items 1, 2, 8): content-addressed blobs in IndexedDB
//! (`store`), attached to a record through the normal save path, and carried to and from the
//! relay's blob endpoints (`transfer`). The decisions are `shared`'s: which files are accepted
//! and how big (`shared::attachments`), how a photo is scaled (`shared::photo`), what to upload
//! or fetch next and when to retry (`shared::sync::blobs`); this module does the I/O.
//!
//! The order of an attach matters: the blob is durable on the device before the record names
//! it, so no document ever lists a blob its device lacks.

mod image;
mod transfer;

pub use image::blob_bytes;

use std::collections::{BTreeMap, HashSet};

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use shared::attachments::{self, BlobLimits};
use shared::ids::DocumentId;
use shared::sync::blobs::{Download, Upload};

use crate::state::{AppState, SaveError};
use crate::store::{self, Store};

/// The device's attachment settings, and the relay's per-file limit as last read (kept on the
/// device, so attaching offline checks it too).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Photos are scaled so their longest edge is at most this (pixels).
    pub longest_edge: u32,
    /// Fetch every attachment of the records on the device, not only of those opened.
    pub keep_offline: bool,
    /// The relay's per-file limit (bytes), once read.
    pub max_bytes: Option<u64>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            longest_edge: attachments::DEFAULT_LONGEST_EDGE,
            keep_offline: false,
            max_bytes: None,
        }
    }
}

/// Where the device's blobs stand. `Copy`, like `AppState`, which holds it.
#[derive(Clone, Copy)]
pub struct Blobs {
    /// Every blob on this device and where it stands with the relay (a blob is held exactly
    /// when it is listed here: both are written in one transaction).
    pub uploads: RwSignal<BTreeMap<String, Upload>>,
    /// Blobs wanted here and not held yet, while fetching or after a failed fetch.
    pub downloads: RwSignal<BTreeMap<String, Download>>,
    pub settings: RwSignal<Settings>,
    /// The attachments of the records opened since the app started: fetched if missing.
    wanted: StoredValue<HashSet<String>>,
    /// One transfer run at a time.
    running: StoredValue<bool>,
    /// Retries come due by the clock: looked at every few seconds while online.
    ticker: StoredValue<Option<gloo::timers::callback::Interval>, LocalStorage>,
}

/// How often due retries and background fetches are looked at while online.
const TICK_MS: u32 = 5_000;

impl Blobs {
    pub fn new() -> Self {
        Blobs {
            uploads: RwSignal::new(BTreeMap::new()),
            downloads: RwSignal::new(BTreeMap::new()),
            settings: RwSignal::new(Settings::default()),
            wanted: StoredValue::new(HashSet::new()),
            running: StoredValue::new(false),
            ticker: StoredValue::new_local(None),
        }
    }

    /// Reads what the device holds (at start-up).
    pub async fn load(
        self,
        store: &Store,
        settings: Option<&str>,
    ) -> Result<(), store::StoreError> {
        let uploads = store.load_uploads().await?;
        self.uploads.set(uploads.into_iter().collect());
        self.settings.set(
            settings
                .and_then(|json| serde_json::from_str(json).ok())
                .unwrap_or_default(),
        );
        Ok(())
    }

    pub fn held(self, hash: &str) -> bool {
        self.uploads.with(|u| u.contains_key(hash))
    }

    /// Changes the device's settings and keeps them.
    pub async fn set_settings(self, state: AppState, change: impl FnOnce(&mut Settings)) {
        self.settings.update(change);
        let json = serde_json::to_string(&self.settings.get_untracked()).unwrap_or_default();
        if let Ok(store) = state.store()
            && let Err(e) = store.put_meta_string(store::BLOB_SETTINGS, &json).await
        {
            state.problem.set(Some(e.to_string()));
        }
        self.kick(state);
    }

    /// The attachments of an opened record: fetched now if this device lacks them.
    pub fn want(self, state: AppState, hashes: impl IntoIterator<Item = String>) {
        let mut added = false;
        self.wanted.update_value(|w| {
            for h in hashes {
                added |= w.insert(h);
            }
        });
        if added {
            self.kick(state);
        }
    }

    /// Looks at due transfers every few seconds while syncing (stopped with [`Blobs::stop`]).
    pub fn start(self, state: AppState) {
        let ticker = gloo::timers::callback::Interval::new(TICK_MS, move || self.kick(state));
        self.ticker.set_value(Some(ticker));
        self.kick(state);
    }

    pub fn stop(self) {
        self.ticker.set_value(None);
    }

    /// Attaches `file` to record `id`: checks its type and size, scales a photo down unless
    /// `keep_original`, stores the bytes, then adds the entry to the record. Returns the name
    /// it was attached as; a refusal or failure is a sentence and leaves the record as it was.
    pub async fn attach(
        self,
        state: AppState,
        id: DocumentId,
        file: web_sys::File,
        keep_original: bool,
    ) -> Result<String, String> {
        let mut name = file.name();
        attachments::check_type(&file.type_(), &name)?;
        let mut mime = attachments::normal_type(&file.type_());
        let bytes = if !keep_original && shared::photo::scaled_before_storing(&mime) {
            let longest = self.settings.with_untracked(|s| s.longest_edge);
            let scaled = image::scale_down(&file, longest).await?;
            mime = "image/jpeg".into();
            name = shared::photo::jpeg_name(&name);
            scaled
        } else {
            blob_bytes(&file).await?
        };
        let size = bytes.len() as u64;
        let limits = BlobLimits {
            max_bytes: self
                .settings
                .with_untracked(|s| s.max_bytes)
                .unwrap_or(BlobLimits::default().max_bytes),
            ..BlobLimits::default()
        };
        // The per-file limit only: the quota is the relay's to count, at upload.
        attachments::check_upload(&limits, size, 0).map_err(|e| e.to_string())?;
        let hash = shared::sync::blobs::sha256_hex(&bytes);
        let store = state.store()?;
        // The blob first: a record never names a blob its device lacks. Attaching the same
        // bytes again keeps the state the relay already confirmed.
        if !self.held(&hash) {
            store
                .put_blob(&hash, &bytes, &mime, &Upload::Waiting)
                .await
                .map_err(|e| e.to_string())?;
            self.uploads.update(|u| {
                u.insert(hash.clone(), Upload::Waiting);
            });
        }
        state
            .attach(id, hash, name.clone(), mime, size)
            .await
            .map_err(|e| match e {
                SaveError::Rejected(m) | SaveError::NotSaved(m) => m,
            })?;
        // The upload starts once the relay has the record (the sync client kicks it then:
        // the relay takes no blob that no document names).
        Ok(name)
    }

    /// Blob `hash` as a browser `Blob` of its type, if on this device (for a thumbnail or a
    /// download link).
    pub async fn open(self, state: AppState, hash: &str) -> Option<web_sys::Blob> {
        let (bytes, mime) = state.store().ok()?.get_blob(hash).await.ok()??;
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(&mime);
        let parts = js_sys::Array::of1(&js_sys::Uint8Array::from(bytes.as_slice()));
        web_sys::Blob::new_with_u8_array_sequence_and_options(&parts, &options).ok()
    }
}

impl Default for Blobs {
    fn default() -> Self {
        Self::new()
    }
}
