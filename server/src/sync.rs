//! The sync endpoint: samod (Rust automerge-repo) behind a thin wrapper, so the rest of the
//! relay does not depend on samod's still-moving API, and every frame is checked by `shared`'s
//! protocol codec before samod sees it.

use std::{
    path::Path,
    sync::atomic::{AtomicU64, Ordering},
};

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, close_code};
use futures::{SinkExt, StreamExt, channel::mpsc};
use shared::protocol::{self, Message};

/// The relay's document repository and its one WebSocket acceptor.
pub struct SyncHub {
    repo: samod::Repo,
    acceptor: samod::AcceptorHandle,
    connections: AtomicU64,
}

impl SyncHub {
    /// Opens the repository stored under `data_dir/documents` (samod's filesystem layout, the
    /// same as automerge-repo's nodefs storage).
    pub async fn open(data_dir: &Path) -> Self {
        let storage = samod::storage::TokioFilesystemStorage::new(data_dir.join("documents"));
        let repo = samod::Repo::build_tokio()
            .with_storage(storage)
            .with_peer_id(samod::PeerId::from("outpost-relay"))
            .load()
            .await;
        let url = samod::Url::parse("ws://outpost-relay/sync").expect("static url");
        let acceptor = repo
            .make_acceptor(url)
            .expect("a freshly loaded repo is running");
        Self {
            repo,
            acceptor,
            connections: AtomicU64::new(0),
        }
    }

    /// Total WebSocket connections accepted since start.
    pub fn connections_accepted(&self) -> u64 {
        self.connections.load(Ordering::Relaxed)
    }

    pub async fn stop(&self) {
        self.repo.stop().await;
    }

    /// Runs one device's connection until either side closes it. Inbound frames that are not
    /// protocol messages get an `error` message and close this connection only.
    pub async fn serve_socket(&self, socket: WebSocket) {
        self.connections.fetch_add(1, Ordering::Relaxed);
        let (mut ws_out, mut ws_in) = socket.split();
        let (to_repo, repo_in) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(64);
        let (repo_out, mut from_repo) = mpsc::channel::<Vec<u8>>(64);
        let transport = samod::Transport::new(repo_in, repo_out);
        if self.acceptor.accept(transport).is_err() {
            let _ = ws_out.send(close("the relay is shutting down")).await;
            return;
        }
        let mut to_repo = to_repo;
        loop {
            tokio::select! {
                inbound = ws_in.next() => match inbound {
                    Some(Ok(WsMessage::Binary(frame))) => match protocol::decode(&frame) {
                        Ok(_) => {
                            if to_repo.send(Ok(frame.to_vec())).await.is_err() {
                                break;
                            }
                        }
                        Err(e) => {
                            tracing::warn!("closing a connection after a malformed frame: {e}");
                            reject(&mut ws_out, &format!("malformed message: {e}")).await;
                            break;
                        }
                    },
                    Some(Ok(WsMessage::Text(_))) => {
                        reject(&mut ws_out, "text frames are not part of the protocol; send CBOR in binary frames").await;
                        break;
                    }
                    Some(Ok(WsMessage::Ping(_) | WsMessage::Pong(_))) => {}
                    Some(Ok(WsMessage::Close(_))) | None => break,
                    Some(Err(e)) => {
                        tracing::debug!("websocket error: {e}");
                        break;
                    }
                },
                outbound = from_repo.next() => match outbound {
                    Some(frame) => {
                        if ws_out.send(WsMessage::Binary(frame.into())).await.is_err() {
                            break;
                        }
                    }
                    // samod closed the connection (e.g. a handshake it refused).
                    None => {
                        let _ = ws_out.send(close("connection closed by the relay")).await;
                        break;
                    }
                },
            }
        }
        // Dropping `to_repo` ends the transport's stream: samod drops the connection.
        to_repo.close_channel();
    }
}

fn close(reason: &str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code: close_code::POLICY,
        reason: reason.to_string().into(),
    }))
}

/// Tells the peer what was wrong, in the protocol's own `error` message, then closes.
async fn reject<S>(ws_out: &mut S, reason: &str)
where
    S: futures::Sink<WsMessage> + Unpin,
{
    let error = protocol::encode(&Message::Error {
        message: reason.to_string(),
    });
    let _ = ws_out.send(WsMessage::Binary(error.into())).await;
    let _ = ws_out.send(close("protocol error")).await;
}
