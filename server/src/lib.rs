//! The Outpost relay: serves the app, authenticates people, and merges every device's work
//! through samod (Rust automerge-repo). Decisions about messages and records are `shared`'s;
//! this crate carries out I/O.

pub mod accounts;
pub mod config;
pub mod http;
pub mod sync;

use std::sync::Arc;

use tokio::net::TcpListener;

pub use config::Config;

/// A running relay: the HTTP server plus the sync repo behind it.
pub struct Relay {
    state: Arc<http::AppState>,
}

impl Relay {
    /// Opens the data directory (creating it and the first account if needed) and starts the
    /// sync repo.
    pub async fn open(config: Config) -> Result<(Relay, Option<accounts::FirstAccount>), String> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
        let (accounts, first) = accounts::Accounts::open(&config.data_dir)?;
        let hub = sync::SyncHub::open(&config.data_dir).await;
        let state = Arc::new(http::AppState {
            config,
            accounts,
            hub,
        });
        Ok((Relay { state }, first))
    }

    /// Serves until `shutdown` resolves, then stops the sync repo so storage is flushed.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = http::router(self.state.clone());
        axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await?;
        self.state.hub.stop().await;
        Ok(())
    }
}
