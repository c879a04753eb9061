//! The sync endpoint: samod (Rust automerge-repo) behind a thin wrapper, so the rest of the
//! relay does not depend on samod's still-moving API. Each connection runs through the
//! [`Gate`](crate::gate::Gate) in both directions.

use std::path::Path;

use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, close_code};
use futures::{SinkExt, StreamExt, channel::mpsc};
use shared::protocol::{self, Message};

use crate::{
    gate::{Gate, Inbound, RELAY_PEER},
    metrics::Metrics,
    store::{SessionInfo, Store},
};

/// The relay's document repository and its one WebSocket acceptor.
pub struct SyncHub {
    repo: samod::Repo,
    acceptor: samod::AcceptorHandle,
}

impl SyncHub {
    /// Opens the repository stored under `data_dir/documents` (samod's filesystem layout, the
    /// same as automerge-repo's nodefs storage).
    pub async fn open(data_dir: &Path) -> Self {
        let storage = samod::storage::TokioFilesystemStorage::new(data_dir.join("documents"));
        let repo = samod::Repo::build_tokio()
            .with_storage(storage)
            .with_peer_id(samod::PeerId::from(RELAY_PEER))
            // Never push documents a device did not ask for: devices discover records through
            // their scopes' index documents, and a reconnect costs what changed, not what exists.
            .with_share_policy(samod::ShareConfig::read_write().with_announce(false))
            .load()
            .await;
        let url = samod::Url::parse("ws://outpost-relay/sync").expect("static url");
        let acceptor = repo
            .make_acceptor(url)
            .expect("a freshly loaded repo is running");
        Self { repo, acceptor }
    }

    pub async fn stop(&self) {
        self.repo.stop().await;
    }

    /// Runs one device's connection until either side closes it. Inbound frames that are not
    /// protocol messages, or that the person may not send, get an `error` message and close
    /// this connection only.
    ///
    /// The two directions run as separate pumps polled together, and everything bound for the
    /// socket goes through one writer: a device uploading faster than samod accepts must never
    /// stop samod's replies from draining (each side would wait on the other for ever).
    pub async fn serve_socket(
        &self,
        socket: WebSocket,
        session: SessionInfo,
        store: &Store,
        metrics: &Metrics,
    ) {
        let (mut ws_out, mut ws_in) = socket.split();
        let (mut to_repo, repo_in) = mpsc::channel::<Result<Vec<u8>, std::io::Error>>(64);
        let (repo_out, mut from_repo) = mpsc::channel::<Vec<u8>>(64);
        // samod checks that the device's `join` claims the device id its session is bound to.
        let transport = samod::Transport::new(repo_in, repo_out)
            .with_expected_peer_id(samod::PeerId::from(session.device.as_str()));
        if self.acceptor.accept(transport).is_err() {
            let _ = ws_out.send(close("the relay is shutting down")).await;
            return;
        }
        let gate = Gate {
            store,
            session: &session,
        };
        let (to_socket, mut socket_queue) = mpsc::unbounded::<WsMessage>();

        let writer = async move {
            while let Some(message) = socket_queue.next().await {
                let last = matches!(message, WsMessage::Close(_));
                if ws_out.send(message).await.is_err() || last {
                    break;
                }
            }
        };

        let inbound = {
            let to_socket = to_socket.clone();
            let gate = &gate;
            let session = &session;
            async move {
                while let Some(received) = ws_in.next().await {
                    let frame = match received {
                        Ok(WsMessage::Binary(frame)) => frame,
                        Ok(WsMessage::Text(_)) => {
                            Metrics::add(&metrics.protocol_errors, 1);
                            reject(
                                &to_socket,
                                "text frames are not part of the protocol; send CBOR in binary frames",
                            );
                            return;
                        }
                        Ok(WsMessage::Ping(_) | WsMessage::Pong(_)) => continue,
                        Ok(WsMessage::Close(_)) => return,
                        Err(e) => {
                            // Includes frames over the size limit.
                            tracing::info!(device = %session.device, "closing a connection: {e}");
                            Metrics::add(&metrics.protocol_errors, 1);
                            return;
                        }
                    };
                    Metrics::add(&metrics.frames_in, 1);
                    Metrics::add(&metrics.bytes_in, frame.len() as u64);
                    match gate.inbound(&frame) {
                        Ok(Inbound::Forward) => {
                            if to_repo.send(Ok(frame.to_vec())).await.is_err() {
                                return;
                            }
                        }
                        Ok(Inbound::Answer(reply)) => {
                            Metrics::add(&metrics.refused, 1);
                            let _ = to_socket.unbounded_send(WsMessage::Binary(reply.into()));
                        }
                        Ok(Inbound::Close(reason)) => {
                            tracing::warn!(device = %session.device, "closing a connection: {reason}");
                            Metrics::add(&metrics.protocol_errors, 1);
                            reject(&to_socket, &reason);
                            return;
                        }
                        Err(e) => {
                            // Nothing was accepted, so nothing is lost: the device retries later.
                            tracing::error!("{e}");
                            reject(
                                &to_socket,
                                "the relay could not record this change; it will be retried",
                            );
                            return;
                        }
                    }
                }
                // Dropping `to_repo` (on return) ends the transport's stream: samod drops the
                // connection.
            }
        };

        let outbound = {
            let to_socket = to_socket.clone();
            let gate = &gate;
            async move {
                while let Some(frame) = from_repo.next().await {
                    if !gate.outbound(&frame).unwrap_or(false) {
                        continue;
                    }
                    Metrics::add(&metrics.frames_out, 1);
                    Metrics::add(&metrics.bytes_out, frame.len() as u64);
                    if to_socket
                        .unbounded_send(WsMessage::Binary(frame.into()))
                        .is_err()
                    {
                        return;
                    }
                }
                // samod closed the connection (e.g. a handshake claiming another device).
                let _ = to_socket.unbounded_send(close("connection closed by the relay"));
            }
        };

        let pumps = async move {
            tokio::select! {
                _ = inbound => {}
                _ = outbound => {}
            }
            // The pumps' senders are gone with them; this last one closes the writer's queue
            // once it has written what is left.
            drop(to_socket);
        };
        tokio::join!(writer, pumps);
    }
}

fn close(reason: &str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code: close_code::POLICY,
        reason: reason.chars().take(120).collect::<String>().into(),
    }))
}

/// Tells the peer what was wrong, in the protocol's own `error` message, then closes.
fn reject(to_socket: &mpsc::UnboundedSender<WsMessage>, reason: &str) {
    let error = protocol::encode(&Message::Error {
        message: reason.to_string(),
    });
    let _ = to_socket.unbounded_send(WsMessage::Binary(error.into()));
    let _ = to_socket.unbounded_send(close("protocol error"));
}
