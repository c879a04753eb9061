//! The sync endpoint: `shared::sync::Hub` (the sans-I/O relay state machine) driven by one
//! thread, with documents, scopes and receipts in SQLite.
//!
//! Group commit: the hub thread takes every event that is ready (frames from all connections,
//! connects, disconnects), runs each through the [`Gate`] and the hub, writes everything the
//! batch changed in ONE transaction (one fsync), and only then sends the batch's frames. So a
//! reply that tells a device "the relay has your change" never leaves before the change is on
//! disk, and throughput is not one fsync per frame. Frames queued before the batch's first
//! write acknowledge nothing of it, so they go at once (reads are not held up by the batch).
//!
//! Each connection runs two pumps: the socket reader hands frames to the hub thread, and a
//! writer drains what the hub thread queued for it. The hub thread never waits on a socket
//! (its queues to writers are unbounded), so a device uploading faster than it reads cannot
//! stall anything: the hub keeps draining, the writer keeps writing.

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use automerge::Automerge;
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, close_code};
use futures::{SinkExt, StreamExt};
use shared::{
    access::{self, Access},
    ids::{DocumentId, PeerId},
    protocol::{self, Message},
    refusal::Refusal,
    sync::{Chunk, ConnId, Hub, HubEffect, Stored},
};
use tokio::sync::mpsc;

use crate::{
    gate::{Gate, Inbound, RELAY_PEER},
    metrics::Metrics,
    store::{Receipt, SessionInfo, Store, SyncBatch, WrittenChunk},
};

/// Most events one batch takes: bounds the latency of a batch's replies.
const MAX_BATCH: usize = 2048;
/// Frames waiting for the hub thread, over all connections; a reader waits when it is full.
const QUEUE: usize = 8192;
/// Refused writes of one document a connection may send before the relay closes it. An Outpost
/// device holds a refused change back after the first refusal (a person retrying by hand sends
/// it again), and an automerge-repo peer offers it again only when its document changes, so a
/// connection that goes past this is looping, and costs its sender rather than the relay.
const MAX_REFUSED_WRITES_PER_DOCUMENT: u32 = 32;

/// The relay's document hub. See the module docs.
pub struct SyncHub {
    events: mpsc::Sender<Event>,
    store: Arc<Store>,
    thread: Mutex<Option<std::thread::JoinHandle<()>>>,
    next_conn: AtomicU64,
}

enum Event {
    Connect {
        conn: ConnId,
        session: Box<SessionInfo>,
        out: mpsc::UnboundedSender<Out>,
    },
    Frame {
        conn: ConnId,
        frame: Vec<u8>,
    },
    Disconnect {
        conn: ConnId,
    },
    /// Someone's access may have changed: look at every connection's session again.
    Recheck,
    Stop,
}

/// What the hub thread queues for a connection's writer.
enum Out {
    Frame(Vec<u8>),
    /// A frame answering a request the person may not make (counted as refused).
    Refused(Vec<u8>),
    /// Nothing to send: a message the person may not send was dropped (counted as refused).
    Ignored,
    /// Send an `error` with this reason, then close.
    Close(String),
    /// The session ended (revoked or expired): send an `error` with this reason, then close.
    End(String),
}

impl SyncHub {
    /// Opens the documents stored in `data_dir`'s database, `store` (importing a samod /
    /// automerge-repo nodefs `documents/` directory on the first start), and starts the hub
    /// thread on a connection of its own.
    pub async fn open(data_dir: &Path, store: &Store) -> Result<Self, String> {
        let store = Arc::new(store.another_connection().map_err(|e| e.to_string())?);
        let legacy = data_dir.join("documents");
        if legacy.is_dir() && !store.has_documents().map_err(|e| e.to_string())? {
            let n = import_nodefs(&store, &legacy)?;
            tracing::info!("imported {n} documents from {}", legacy.display());
        }
        let (events, rx) = mpsc::channel(QUEUE);
        let thread_store = store.clone();
        let thread = std::thread::Builder::new()
            .name("sync-hub".into())
            .spawn(move || run(&thread_store, rx))
            .map_err(|e| format!("cannot start the sync thread: {e}"))?;
        Ok(Self {
            events,
            store,
            thread: Mutex::new(Some(thread)),
            next_conn: AtomicU64::new(1),
        })
    }

    /// Has every open connection's session looked up again (revocation.rs).
    pub async fn recheck_access(&self) {
        let _ = self.events.send(Event::Recheck).await;
    }

    /// Stops the hub thread after it has committed everything it received.
    pub async fn stop(&self) {
        let _ = self.events.send(Event::Stop).await;
        let thread = self.thread.lock().unwrap_or_else(|p| p.into_inner()).take();
        if let Some(thread) = thread {
            let _ = tokio::task::spawn_blocking(move || thread.join()).await;
        }
    }

    /// A document as the relay has stored it: everything it ever acknowledged. `None` when
    /// the relay has no such document (or cannot read it; that is logged).
    pub async fn document(&self, id: &DocumentId) -> Option<Automerge> {
        match self.store.load_document(&id.to_string()) {
            Ok(doc) => doc,
            Err(e) => {
                tracing::error!("{e}");
                None
            }
        }
    }

    /// Runs one device's connection until either side closes it. Inbound frames that are not
    /// protocol messages, or that the person may not send, get an `error` message and close
    /// this connection only.
    pub async fn serve_socket(
        &self,
        socket: WebSocket,
        session: SessionInfo,
        _store: &Store,
        metrics: &Metrics,
    ) {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (mut ws_out, mut ws_in) = socket.split();
        let (out, mut queue) = mpsc::unbounded_channel::<Out>();
        let device = session.device.clone();
        let expires_in = Duration::from_millis(
            u64::try_from(session.expires_at - crate::store::now_ms()).unwrap_or(0),
        );
        let connect = Event::Connect {
            conn,
            session: Box::new(session),
            out: out.clone(),
        };
        if self.events.send(connect).await.is_err() {
            let _ = ws_out.send(close("the relay is shutting down")).await;
            return;
        }

        let writer = async move {
            while let Some(item) = queue.recv().await {
                let (frame, last) = match item {
                    Out::Ignored => {
                        Metrics::add(&metrics.refused, 1);
                        continue;
                    }
                    Out::Frame(frame) => (frame, false),
                    Out::Refused(frame) => {
                        Metrics::add(&metrics.refused, 1);
                        (frame, false)
                    }
                    Out::Close(reason) => {
                        tracing::info!(device = %device, "closing a connection: {reason}");
                        Metrics::add(&metrics.protocol_errors, 1);
                        (protocol::encode(&Message::Error { message: reason }), true)
                    }
                    Out::End(reason) => {
                        tracing::info!(device = %device, "closing a connection: {reason}");
                        Metrics::add(&metrics.sessions_ended, 1);
                        (protocol::encode(&Message::Error { message: reason }), true)
                    }
                };
                Metrics::add(&metrics.frames_out, 1);
                Metrics::add(&metrics.bytes_out, frame.len() as u64);
                if ws_out.send(WsMessage::Binary(frame.into())).await.is_err() {
                    return;
                }
                if last {
                    let _ = ws_out.send(close("protocol error")).await;
                    return;
                }
            }
            let _ = ws_out.send(close("connection closed by the relay")).await;
        };

        let inbound = {
            let out = out.clone();
            async move {
                while let Some(received) = ws_in.next().await {
                    let frame = match received {
                        Ok(WsMessage::Binary(frame)) => frame,
                        Ok(WsMessage::Text(_)) => {
                            let _ = out.send(Out::Close(
                                "text frames are not part of the protocol; send CBOR in binary frames"
                                    .into(),
                            ));
                            return;
                        }
                        Ok(WsMessage::Ping(_) | WsMessage::Pong(_)) => continue,
                        Ok(WsMessage::Close(_)) => return,
                        Err(e) => {
                            // Includes frames over the size limit.
                            tracing::info!("closing a connection: {e}");
                            Metrics::add(&metrics.protocol_errors, 1);
                            return;
                        }
                    };
                    Metrics::add(&metrics.frames_in, 1);
                    Metrics::add(&metrics.bytes_in, frame.len() as u64);
                    let frame = Event::Frame {
                        conn,
                        frame: frame.to_vec(),
                    };
                    if self.events.send(frame).await.is_err() {
                        return;
                    }
                }
            }
        };

        tokio::pin!(writer);
        let writer_done = tokio::select! {
            _ = inbound => false,
            _ = &mut writer => true,
            _ = tokio::time::sleep(expires_in) => {
                let _ = out.send(Out::End(SESSION_EXPIRED.into()));
                false
            }
        };
        let _ = self.events.send(Event::Disconnect { conn }).await;
        drop(out);
        if !writer_done {
            // Let the writer send what is queued (e.g. the reason for closing); it ends when
            // the hub thread has dropped this connection's queue.
            let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
        }
    }
}

/// Why a connection whose session expired is closed.
const SESSION_EXPIRED: &str = "your session has expired; sign in again";
/// Why a connection whose session was ended is closed.
const SESSION_ENDED: &str =
    "your session has ended (signed out, disabled or password changed); sign in again";

fn close(reason: &str) -> WsMessage {
    WsMessage::Close(Some(CloseFrame {
        code: close_code::POLICY,
        reason: reason.chars().take(120).collect::<String>().into(),
    }))
}

/// A connection as the hub thread knows it.
struct Edge {
    session: Box<SessionInfo>,
    out: mpsc::UnboundedSender<Out>,
    /// Closed by the relay: later frames from it are dropped.
    closed: bool,
    /// Refused writes per document on this connection.
    refused: HashMap<DocumentId, u32>,
}

/// The hub thread: batches of events, one commit per batch, then the batch's frames.
fn run(store: &Store, mut events: mpsc::Receiver<Event>) {
    let mut hub = Hub::new(PeerId::from(RELAY_PEER));
    let mut edges: HashMap<ConnId, Edge> = HashMap::new();
    let mut stop = false;
    while !stop {
        let Some(first) = events.blocking_recv() else {
            return;
        };
        let mut ready = vec![first];
        while ready.len() < MAX_BATCH {
            match events.try_recv() {
                Ok(e) => ready.push(e),
                Err(_) => break,
            }
        }
        let processed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            process(store, &mut hub, &mut edges, ready)
        }));
        match processed {
            Ok(stopping) => stop = stopping,
            Err(_) => {
                // A bug, not bad input (that is answered with an error). Nothing of the batch
                // was acknowledged; start afresh so one bad batch cannot stop sync for all.
                tracing::error!("the sync hub failed on a batch; every connection reconnects");
                hub = Hub::new(PeerId::from(RELAY_PEER));
                for edge in edges.values_mut() {
                    edge.closed = true;
                    let _ = edge.out.send(Out::Close(
                        "the relay hit an internal error; reconnect".into(),
                    ));
                }
            }
        }
    }
}

/// One batch: every event through the gate and the hub, one commit, then the sends. Returns
/// whether the relay is stopping.
fn process(
    store: &Store,
    hub: &mut Hub,
    edges: &mut HashMap<ConnId, Edge>,
    ready: Vec<Event>,
) -> bool {
    let mut stop = false;
    {
        let mut batch = SyncBatch::default();
        let mut sends: Vec<(ConnId, Out)> = vec![];
        for event in ready {
            // Until the batch has written something, nothing queued can acknowledge a write
            // that is not durable yet: send it now, so devices work on the replies (e.g. a
            // download's documents) while the rest of the batch is processed.
            if batch.is_empty() && !sends.is_empty() {
                deliver(store, edges, std::mem::take(&mut sends));
            }
            match event {
                Event::Connect { conn, session, out } => {
                    hub.connect(conn, Some(PeerId(session.device.clone())));
                    edges.insert(
                        conn,
                        Edge {
                            session,
                            out,
                            closed: false,
                            refused: HashMap::new(),
                        },
                    );
                }
                Event::Disconnect { conn } => {
                    hub.disconnect(conn);
                    edges.remove(&conn);
                }
                Event::Stop => stop = true,
                Event::Recheck => recheck(store, hub, edges, &mut sends),
                Event::Frame { conn, frame } => {
                    let verdict = match edges.get(&conn) {
                        Some(edge) if !edge.closed => Gate {
                            store,
                            session: &edge.session,
                            pending: &batch.scopes,
                        }
                        .inbound(&frame),
                        _ => continue,
                    };
                    let reason = match verdict {
                        Ok(Inbound::Forward { message, new_scope }) => {
                            if let (Some(scope), Some(id)) = (new_scope, message.document_id()) {
                                batch.scopes.insert(id.to_string(), scope);
                            }
                            hub.receive_message(conn, message);
                            drive(hub, store, edges, &mut batch, &mut sends);
                            continue;
                        }
                        Ok(Inbound::Answer(reply)) => {
                            sends.push((conn, Out::Refused(reply)));
                            continue;
                        }
                        Ok(Inbound::Ignore) => {
                            sends.push((conn, Out::Ignored));
                            continue;
                        }
                        Ok(Inbound::Refuse { document, refusal }) => {
                            match refuse(edges, conn, document, refusal, &mut sends) {
                                Ok(()) => continue,
                                Err(reason) => reason,
                            }
                        }
                        Ok(Inbound::Close(reason)) => reason,
                        Err(e) => {
                            // Nothing of this frame was accepted, so nothing is lost: the
                            // device retries later.
                            tracing::error!("{e}");
                            "the relay could not record this change; it will be retried".into()
                        }
                    };
                    if let Some(edge) = edges.get_mut(&conn) {
                        edge.closed = true;
                    }
                    hub.disconnect(conn);
                    sends.push((conn, Out::Close(reason)));
                }
            }
        }
        if !batch.is_empty()
            && let Err(e) = store.commit_sync_batch(&batch)
        {
            // Nothing of this batch is acknowledged. The hub's memory may hold changes that
            // are not on disk, so start it afresh: every device reconnects and syncs again.
            tracing::error!("{e}");
            *hub = Hub::new(PeerId::from(RELAY_PEER));
            sends.clear();
            for (&conn, edge) in edges.iter_mut() {
                edge.closed = true;
                sends.push((
                    conn,
                    Out::Close("the relay could not store changes; reconnect to retry".into()),
                ));
            }
        }
        deliver(store, edges, sends);
    }
    stop
}

/// Applies the current access of every connection's person: a session that ended closes its
/// connection; a narrowed access closes the documents it may no longer read, and the gate
/// uses the new access from now on.
fn recheck(
    store: &Store,
    hub: &mut Hub,
    edges: &mut HashMap<ConnId, Edge>,
    sends: &mut Vec<(ConnId, Out)>,
) {
    for (&conn, edge) in edges.iter_mut().filter(|(_, e)| !e.closed) {
        let current = match store.current_session(&edge.session) {
            Ok(current) => current,
            Err(e) => {
                // Looked at again with the next change of access.
                tracing::error!("{e}");
                continue;
            }
        };
        let Some(current) = current else {
            edge.closed = true;
            hub.disconnect(conn);
            sends.push((conn, Out::End(SESSION_ENDED.into())));
            continue;
        };
        if current.person.access == edge.session.person.access {
            continue;
        }
        for id in hub.open_documents(conn) {
            let readable = store
                .document_scope(&id.to_string())
                .map(|scope| {
                    scope.is_none_or(|s| access::access(&current.person.access, &s) != Access::None)
                })
                .unwrap_or(false);
            if !readable {
                hub.close_document(conn, id);
            }
        }
        *edge.session = current;
    }
    for effect in hub.take_effects() {
        if let HubEffect::Send { conn, frame } = effect {
            sends.push((conn, Out::Frame(frame)));
        }
    }
}

/// Tells connection `conn` that its write to `document` was refused, unless it has sent more
/// than [`MAX_REFUSED_WRITES_PER_DOCUMENT`] refused writes of it: then the reason to close it.
fn refuse(
    edges: &mut HashMap<ConnId, Edge>,
    conn: ConnId,
    document: DocumentId,
    refusal: Refusal,
    sends: &mut Vec<(ConnId, Out)>,
) -> Result<(), String> {
    let Some(edge) = edges.get_mut(&conn) else {
        return Ok(());
    };
    let count = edge.refused.entry(document).or_default();
    *count += 1;
    if *count > MAX_REFUSED_WRITES_PER_DOCUMENT {
        return Err(format!(
            "this device sent {count} changes to {document} after the relay refused them: {refusal}"
        ));
    }
    let frame = protocol::encode(&Message::Refused {
        document_id: document,
        refusal,
    });
    sends.push((conn, Out::Refused(frame)));
    Ok(())
}

/// Hands frames to their connections' writers, each through the outbound gate. Called only
/// when nothing the batch wrote is waiting for its commit.
fn deliver(store: &Store, edges: &HashMap<ConnId, Edge>, sends: Vec<(ConnId, Out)>) {
    let no_pending = HashMap::new();
    for (conn, item) in sends {
        let Some(edge) = edges.get(&conn) else {
            continue;
        };
        if let Out::Frame(frame) = &item {
            let gate = Gate {
                store,
                session: &edge.session,
                pending: &no_pending,
            };
            if !gate.outbound(frame).unwrap_or(false) {
                continue;
            }
        }
        let _ = edge.out.send(item);
    }
}

/// Carries out the hub's effects until it has none: loads inline (SQLite reads are fast and
/// the hub thread owns its connection), persists into the batch, sends into `sends`.
fn drive(
    hub: &mut Hub,
    store: &Store,
    edges: &mut HashMap<ConnId, Edge>,
    batch: &mut SyncBatch,
    sends: &mut Vec<(ConnId, Out)>,
) {
    loop {
        let effects = hub.take_effects();
        if effects.is_empty() {
            return;
        }
        for effect in effects {
            match effect {
                HubEffect::Load(id) => match store
                    .document_bytes(&id.to_string())
                    .map(|stored| batch.over(&id.to_string(), stored))
                {
                    Ok(stored) => hub.loaded(
                        id,
                        stored.map(|s| Stored {
                            bytes: s.bytes,
                            chunks: s.chunks,
                            heads: s.heads,
                        }),
                    ),
                    Err(e) => {
                        tracing::error!("{e}");
                        hub.unloadable(id, "the relay cannot read this document now; try later");
                    }
                },
                HubEffect::Persist {
                    doc,
                    chunk,
                    heads,
                    from,
                    changes,
                } => {
                    let key = doc.to_string();
                    if let Some(edge) = edges.get(&from) {
                        let receipts = changes.into_iter().map(|c| Receipt {
                            hash: c.hash.to_string(),
                            document: key.clone(),
                            device_time: c.meta.as_ref().map(|m| m.at.millis()),
                            author: c.meta.map(|m| m.author),
                        });
                        batch
                            .receipts
                            .entry((edge.session.person.id, edge.session.device.clone()))
                            .or_default()
                            .extend(receipts);
                    }
                    let (bytes, replaces) = match chunk {
                        Chunk::Incremental(bytes) => (bytes, false),
                        Chunk::Snapshot(bytes) => (bytes, true),
                    };
                    batch.chunks.push(WrittenChunk {
                        document: key,
                        bytes,
                        replaces,
                        heads,
                    });
                }
                HubEffect::Send { conn, frame } => sends.push((conn, Out::Frame(frame))),
                HubEffect::Close { conn, reason } => {
                    if let Some(edge) = edges.get_mut(&conn) {
                        edge.closed = true;
                    }
                    sends.push((conn, Out::Close(reason)));
                }
                HubEffect::Refuse { conn, doc, refusal } => {
                    if let Err(reason) = refuse(edges, conn, doc, refusal, sends) {
                        if let Some(edge) = edges.get_mut(&conn) {
                            edge.closed = true;
                        }
                        hub.disconnect(conn);
                        sends.push((conn, Out::Close(reason)));
                    }
                }
            }
        }
    }
}

/// Imports a samod / automerge-repo nodefs data directory (`<2 chars>/<rest>/{snapshot,
/// incremental}/*`, each file Automerge bytes) as one snapshot per document.
fn import_nodefs(store: &Store, dir: &Path) -> Result<usize, String> {
    let list = |d: &Path| -> Vec<std::path::PathBuf> {
        let mut v: Vec<_> = std::fs::read_dir(d)
            .into_iter()
            .flatten()
            .flatten()
            .map(|e| e.path())
            .collect();
        v.sort();
        v
    };
    let name = |p: &Path| {
        p.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string()
    };
    let mut batch = SyncBatch::default();
    for prefix in list(dir).iter().filter(|p| p.is_dir()) {
        for rest in list(prefix).iter().filter(|p| p.is_dir()) {
            let id = format!("{}{}", name(prefix), name(rest));
            if id.parse::<DocumentId>().is_err() {
                continue;
            }
            let mut doc = Automerge::new();
            for kind in ["snapshot", "incremental"] {
                for file in list(&rest.join(kind)) {
                    let bytes = std::fs::read(&file)
                        .map_err(|e| format!("cannot read {}: {e}", file.display()))?;
                    if let Err(e) = doc.load_incremental(&bytes) {
                        tracing::warn!("skipping unreadable {}: {e}", file.display());
                    }
                }
            }
            if !doc.get_heads().is_empty() {
                // The old relay kept scopes in the database already; a document without one
                // gets it from its content, as on a first upload.
                let scope = shared::access::record_scope(&doc).unwrap_or_default();
                batch.scopes.insert(id.clone(), scope);
                batch.chunks.push(WrittenChunk {
                    document: id,
                    bytes: doc.save(),
                    replaces: true,
                    heads: doc.get_heads(),
                });
            }
        }
    }
    let n = batch.chunks.len();
    store.commit_sync_batch(&batch).map_err(|e| e.to_string())?;
    Ok(n)
}
