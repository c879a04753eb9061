//! What every request handler shares: the configuration, the store, the sync hub and the
//! relay's counters and limits. A leaf the routers build on; it knows no route.

use std::sync::{Arc, Mutex};

use crate::{
    Config,
    limits::{Health, PerPerson, SignIns, Throttle},
    metrics::Metrics,
    store::Store,
    sync::SyncHub,
};

pub struct AppState {
    pub config: Config,
    pub store: Store,
    pub hub: SyncHub,
    pub metrics: Arc<Metrics>,
    pub throttle: Mutex<Throttle>,
    /// Password verifications running at once.
    pub sign_ins: SignIns,
    /// Open sync connections per person id.
    pub connections: PerPerson,
    /// Attachment uploads running per person id (each holds up to a chunk in memory).
    pub uploads: PerPerson,
    /// Evidence exports running per person (each writes up to 4 GiB to a temporary file).
    pub exports: PerPerson,
    /// `/healthz`'s last answer.
    pub health: Health,
    /// Poked when this relay's API changed someone's access (revocation.rs).
    pub access_changed: tokio::sync::Notify,
}
