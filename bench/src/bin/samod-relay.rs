//! `samod-relay`: a samod (the Rust automerge-repo) sync server for the benchmarks, built the way
//! samod's own documentation sets one up: `Repo::build_tokio`, its filesystem storage
//! (`TokioFilesystemStorage`, automerge-repo's nodefs layout) and its axum WebSocket
//! integration (`AcceptorHandle::accept_axum`), bound to loopback. Like the JS reference server
//! (`bench/js/server.mjs`) it announces nothing and syncs what a peer asks for by id, with no
//! accounts.
//!
//! Usage: `samod-relay PORT STORAGE_DIR` (port 0 picks one; the port is printed on stdout as
//! `listening on 127.0.0.1:PORT`). Stops on SIGTERM or Ctrl-C after samod has flushed storage.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;

use axum::Router;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::response::Response;
use samod::{AcceptorHandle, PeerId, Repo, ShareConfig};

#[tokio::main]
async fn main() {
    if let Err(e) = run().await {
        eprintln!("samod-relay: {e}");
        std::process::exit(1);
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(port), Some(dir)) = (args.next(), args.next()) else {
        return Err("usage: samod-relay PORT STORAGE_DIR".into());
    };
    let port: u16 = port.parse().map_err(|e| format!("bad port {port}: {e}"))?;
    let storage = samod::storage::TokioFilesystemStorage::new(PathBuf::from(dir));
    let repo = Repo::build_tokio()
        .with_storage(storage)
        .with_peer_id(PeerId::from("samod-sync-server"))
        // As automerge-repo-sync-server: answer what peers ask for, announce nothing.
        .with_share_policy(ShareConfig::read_write().with_announce(false))
        .load()
        .await;
    let listener =
        tokio::net::TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
    let addr = listener.local_addr()?;
    let acceptor = repo.make_acceptor(samod::Url::parse(&format!("ws://{addr}/"))?)?;
    let app = Router::new().fallback(accept).with_state(acceptor);
    println!("listening on {addr}");
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown())
        .await?;
    repo.stop().await;
    Ok(())
}

/// Every path upgrades to a sync connection (clients dial `ws://host:port`).
async fn accept(State(acceptor): State<AcceptorHandle>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| async move {
        // The repo runs the connection; the handle is only for watching it.
        if let Err(e) = acceptor.accept_axum(socket, None) {
            eprintln!("samod-relay: connection refused: {e:?}");
        }
    })
}

async fn shutdown() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("a SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
