//! The Outpost relay: serves the app, authenticates people, and merges every device's work
//! through its sync hub (`shared::sync::Hub`, speaking automerge-repo's protocol). Decisions
//! about messages, records and access are `shared`'s; this crate carries out I/O.

pub mod auth;
pub mod blobs;
pub mod config;
pub mod connect;
pub mod error;
pub mod export;
pub mod feed;
pub mod gate;
pub mod health;
pub mod http;
pub mod indexes;
pub mod limits;
pub mod listen;
pub mod metrics;
pub mod outbox;
pub mod people;
pub mod revocation;
pub mod state;
pub mod store;
pub mod sync;
pub mod turns;

use std::{net::SocketAddr, sync::Arc};

use rand::{Rng, distributions::Alphanumeric};
use shared::access::Role;
use tokio::net::TcpListener;

pub use config::Config;

/// A running relay: the HTTP server plus the sync repo and database behind it.
pub struct Relay {
    state: Arc<state::AppState>,
    /// Bound by `open` when `--metrics-listen` is set.
    metrics_listener: Option<std::net::TcpListener>,
}

/// The first administrator, created on the first start. The password is shown once.
pub struct FirstAccount {
    pub username: String,
    pub password: String,
}

impl Relay {
    /// Opens the data directory (creating it, the database and the first administrator if
    /// needed) and starts the sync repo.
    pub async fn open(config: Config) -> Result<(Relay, Option<FirstAccount>), String> {
        std::fs::create_dir_all(&config.data_dir).map_err(|e| {
            format!(
                "cannot create the data directory {}: {e}",
                config.data_dir.display()
            )
        })?;
        config.limits.check(config.max_frame_bytes)?;
        let store = store::Store::connect(&config.database)
            .map_err(|e| e.to_string())?
            .with_cab_roles(config.cab_roles.clone());
        let first = first_account(&store).map_err(|e| e.to_string())?;
        let metrics_listener = match config.metrics_listen {
            Some(addr) => Some(
                std::net::TcpListener::bind(addr)
                    .and_then(|l| l.set_nonblocking(true).map(|()| l))
                    .map_err(|e| format!("cannot listen for metrics on {addr}: {e}"))?,
            ),
            None => None,
        };
        let metrics = Arc::new(metrics::Metrics::default());
        let hub = sync::SyncHub::open(
            &config.data_dir,
            &store,
            &config.limits,
            config.reread_interval,
            metrics.clone(),
        )
        .await?;
        indexes::prepare(&store).map_err(|e| e.to_string())?;
        let state = Arc::new(state::AppState {
            sign_ins: limits::SignIns::new(config.limits.sign_ins, limits::SIGN_IN_WAIT),
            config,
            store,
            hub,
            metrics,
            throttle: Default::default(),
            connections: Default::default(),
            uploads: Default::default(),
            exports: Default::default(),
            health: Default::default(),
            access_changed: Default::default(),
        });
        Ok((
            Relay {
                state,
                metrics_listener,
            },
            first,
        ))
    }

    /// Where `/metrics` is served to anyone, if `--metrics-listen` was given.
    pub fn metrics_addr(&self) -> Option<SocketAddr> {
        self.metrics_listener
            .as_ref()
            .and_then(|l| l.local_addr().ok())
    }

    pub fn store(&self) -> &store::Store {
        &self.state.store
    }

    /// Where the relay keeps its records.
    pub fn database(&self) -> &store::Database {
        &self.state.config.database
    }

    /// Serves until `shutdown` resolves, then stops the sync repo so storage is flushed.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let app = http::router(self.state.clone());
        let header_timeout = self.state.config.limits.header_timeout;
        let watcher = tokio::spawn(revocation::watch(self.state.clone()));
        let metrics = match self.metrics_listener {
            Some(listener) => {
                let listener = TcpListener::from_std(listener)?;
                let router = health::metrics_router(self.state.clone());
                Some(tokio::spawn(listen::serve(
                    listener,
                    router,
                    header_timeout,
                    std::future::pending(),
                )))
            }
            None => None,
        };
        listen::serve(listener, app, header_timeout, shutdown).await;
        watcher.abort();
        if let Some(metrics) = metrics {
            metrics.abort();
        }
        self.state.hub.stop().await;
        Ok(())
    }
}

fn first_account(store: &store::Store) -> store::Result<Option<FirstAccount>> {
    if store.people_count()? > 0 {
        return Ok(None);
    }
    let password: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    store.add_person(&store::NewPerson {
        username: "admin".into(),
        display_name: "Administrator".into(),
        password: password.clone(),
        roles: vec![Role::Administrator],
        sites: vec![],
        teams: vec![],
    })?;
    Ok(Some(FirstAccount {
        username: "admin".into(),
        password,
    }))
}
