use std::{net::SocketAddr, path::PathBuf};

/// How the relay runs. Built from flags and environment by `main`, directly by tests.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// Documents, accounts: everything the relay keeps.
    pub data_dir: PathBuf,
    /// The built app (index.html, pkg/, sw.js, …).
    pub static_dir: PathBuf,
    /// The largest WebSocket message accepted; larger ones close that connection.
    pub max_frame_bytes: usize,
}
