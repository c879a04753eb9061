//! Revocation reaches open sync connections at once.
//!
//! Every change to who may do what (disable, password reset, a role revoked, a site or team
//! left, a sign-out) bumps the database's access revision (a trigger, store/mod.rs), whichever
//! process made it: this relay's API or `outpost user …` run beside it on the same file. The
//! watcher reads that revision every [`POLL`] (and at once when this relay's API changed
//! something) and, when it moved, has the sync hub look again at every open connection's
//! session: one that ended is closed with an `error`, one whose access narrowed stops syncing
//! what it may no longer read (sync.rs, `recheck`). A session that expires while connected
//! is closed when it expires (sync.rs, `serve_socket`).

use std::{sync::Arc, time::Duration};

use crate::state::AppState;

/// How often the access revision is read: the longest a change made by another process takes
/// to reach open connections (one small SQLite read each time).
pub const POLL: Duration = Duration::from_millis(500);

/// Runs until the relay stops.
pub async fn watch(state: Arc<AppState>) {
    let read = |state: &Arc<AppState>| {
        let state = state.clone();
        async move {
            tokio::task::spawn_blocking(move || state.store.access_revision())
                .await
                .ok()
                .and_then(|r| r.map_err(|e| tracing::error!("{e}")).ok())
        }
    };
    let mut seen = read(&state).await;
    loop {
        tokio::select! {
            _ = tokio::time::sleep(POLL) => {}
            _ = state.access_changed.notified() => {}
        }
        let now = read(&state).await;
        if now.is_some() && now != seen {
            seen = now;
            state.hub.recheck_access().await;
        }
    }
}
