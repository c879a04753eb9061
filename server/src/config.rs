use std::{net::SocketAddr, path::PathBuf};

use crate::{limits::Limits, store::Database};

/// How the relay runs. Built from flags and environment by `main`, directly by tests.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Where the relay keeps files (a samod / automerge-repo `documents/` directory to
    /// import, the default SQLite database).
    pub data_dir: PathBuf,
    /// Everything the relay keeps: people, sessions, receipts, documents.
    pub database: Database,
    /// The built app (index.html, pkg/, sw.js, …).
    pub static_dir: PathBuf,
    /// The largest WebSocket message accepted; larger ones close that connection.
    pub max_frame_bytes: usize,
    /// What one connection, message or sign-in may cost.
    pub limits: Limits,
    /// How long a sign-in lasts.
    pub session_lifetime_ms: i64,
    /// Mark the cookie Secure (when served over HTTPS, e.g. behind a TLS proxy).
    pub secure_cookies: bool,
    /// Open sync connections one person may have at once (one per device, a few tabs).
    pub max_connections_per_person: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (auth/client.rs).
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins (`https://host[:port]`) a browser may open the sync WebSocket from; empty: the
    /// relay's own origin only, i.e. the one the request's `Host` names.
    pub allowed_origins: Vec<String>,
    /// Where to serve `/metrics` to anyone (a private address for a scraper); on the main
    /// address it answers administrators only.
    pub metrics_listen: Option<SocketAddr>,
    /// Roles whose holders are CAB members (record approval decisions on changes) besides
    /// change managers.
    pub cab_roles: std::collections::BTreeSet<shared::access::Role>,
    /// The largest attachment and each person's quota (`/api/blobs`).
    pub blobs: shared::attachments::BlobLimits,
    /// On PostgreSQL, how often the relay re-reads which chunks other relays stored, for
    /// those whose notification it missed (store/notices.rs).
    pub reread_interval: std::time::Duration,
}

impl Config {
    /// Defaults for everything but where to listen and keep data.
    pub fn new(listen: SocketAddr, data_dir: PathBuf, static_dir: PathBuf) -> Config {
        Config {
            listen,
            database: Database::from_arg(None, &data_dir),
            data_dir,
            static_dir,
            max_frame_bytes: shared::protocol::limits::DEFAULT_FRAME_BYTES,
            limits: Limits::default(),
            session_lifetime_ms: 30 * 24 * 3600 * 1000,
            secure_cookies: false,
            max_connections_per_person: 8,
            trusted_proxies: vec![],
            allowed_origins: vec![],
            metrics_listen: None,
            cab_roles: Default::default(),
            blobs: Default::default(),
            reread_interval: std::time::Duration::from_secs(5),
        }
    }
}
