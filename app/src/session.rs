//! What runs while someone is signed in: the sync client and the blob transfers, started and
//! stopped here, above the state they both read (`crate::state`), so neither the state nor
//! the sync client reaches back up to the other. The UI signs in and out through this.

use leptos::prelude::*;

use crate::blobs::Blobs;
use crate::state::AppState;
use crate::store;

/// The running session's handles. `Copy`, like `AppState`; provided as a context.
#[derive(Clone, Copy)]
pub struct Session {
    pub state: AppState,
    /// The attachment blobs on the device and their transfers.
    pub blobs: Blobs,
    /// The running sync client (only while signed in).
    sync: StoredValue<Option<crate::sync::Handle>, LocalStorage>,
}

impl Session {
    pub fn new(state: AppState) -> Self {
        Session {
            state,
            blobs: Blobs::new(),
            sync: StoredValue::new_local(None),
        }
    }

    /// Opens the device's storage ([`AppState::load`]) and its blobs, then syncs if someone is
    /// signed in.
    pub async fn load(self) -> Result<(), store::StoreError> {
        let blob_settings = self.state.load().await?;
        // Every document is decoded (the list painted earlier, from summaries).
        crate::perf::mark("outpost:documents-loaded");
        if let Ok(store) = self.state.store() {
            self.blobs.load(&store, blob_settings.as_deref()).await?;
        }
        self.start_sync();
        Ok(())
    }

    /// Starts syncing if someone is signed in (and not already syncing).
    pub fn start_sync(self) {
        if self.state.session.with_untracked(Option::is_none)
            || self.sync.with_value(Option::is_some)
        {
            return;
        }
        let handle = crate::sync::start(self.state, self.blobs);
        self.sync.set_value(handle);
        self.blobs.start(self.state);
    }

    fn stop_sync(self) {
        let mut handle = None;
        self.sync.update_value(|h| handle = h.take());
        if let Some(handle) = handle {
            handle.stop();
        }
        self.blobs.stop();
        self.state.link_sync(None);
    }

    /// Signs in against the relay; on success the session is kept on the device and sync
    /// (re)starts. The error is a sentence for the person.
    pub async fn sign_in(self, username: &str, password: &str) -> Result<(), String> {
        let info = self.state.authenticate(username, password).await?;
        self.stop_sync();
        self.state.signed_in(info).await;
        self.start_sync();
        Ok(())
    }

    /// Stops syncing, ends the session on the relay (if reachable) and forgets it here.
    pub async fn sign_out(self) {
        self.stop_sync();
        self.state.sign_out().await;
    }
}
