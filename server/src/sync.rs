//! The sync endpoint: `shared::sync::Hub` (the sans-I/O relay state machine) driven by one
//! thread, with documents, scopes and receipts in SQLite.
//!
//! Group commit: the hub thread takes the events that are ready (frames from all connections,
//! connects, disconnects) in turns, one per connection per round ([`Turns`]), runs each through
//! the [`Gate`] and the hub until the batch is full or has run for [`BATCH_TIME`], writes
//! everything the batch changed in ONE transaction (one fsync), and only then sends the
//! batch's frames. So a reply that tells a device "the relay has your change" never leaves
//! before the change is on disk, and throughput is not one fsync per frame; and a device waits
//! for about one frame of each busy connection, plus at most about [`BATCH_TIME`] for its
//! batch to commit. Frames queued before the batch's first
//! write acknowledge nothing of it, so they go at once (reads are not held up by the batch).
//!
//! Each connection runs two pumps: the socket reader hands frames to the hub thread, and a
//! writer drains what the hub thread queued for it. The hub thread never waits on a socket, so
//! a device uploading faster than it reads cannot stall anything. What one connection may
//! cost is bounded (`crate::limits`): its frames waiting for the hub thread
//! ([`InFlight`], so it cannot queue more than its share ahead of other devices), its queue
//! of frames to send ([`Outbox`]: its reader pauses while the queue is half full, and it is
//! closed when full), its open documents (the hub's limit), and its silence (pinged every
//! third of the idle timeout; closed when it neither answers nor reads for that long).

use std::{
    collections::{HashMap, HashSet},
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
    access::{self, Access, Actor},
    ids::{DocumentId, PeerId},
    protocol::{self, Message},
    refusal::Refusal,
    sync::{Chunk, ConnId, Hub, HubEffect, Stored},
};
use tokio::sync::{OwnedSemaphorePermit, mpsc};

use crate::{
    gate::{Creation, Gate, Inbound, RELAY_PEER, read_creation},
    limits::{InFlight, Limit, Limits},
    metrics::Metrics,
    outbox::{Outbox, outbox},
    store::{Notice, Receipt, SessionInfo, Store, StoredDocument, SyncBatch, WrittenChunk},
    turns::Turns,
};

/// Most events one batch takes, and the time it may spend before it commits and sends: they
/// bound how long a batch's replies wait.
const MAX_BATCH: usize = 2048;
const BATCH_TIME: Duration = Duration::from_millis(50);
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
    limits: Limits,
    metrics: Arc<Metrics>,
}

enum Event {
    Connect {
        conn: ConnId,
        session: Box<SessionInfo>,
        out: Outbox<Out>,
    },
    Frame {
        conn: ConnId,
        /// The frame, decoded on the connection's own task (in parallel with the other
        /// connections'), so the one sync thread neither decodes it again for the gate nor
        /// to look up the scopes of a batch's documents at once.
        message: Result<Message, protocol::DecodeError>,
        /// What the gate reads of a new document, read ahead on the same task when the relay
        /// knows no scope of its document (`gate::read_creation`).
        creation: Creation,
        /// The frame's room in its connection's [`InFlight`], given back once it is handled.
        _room: OwnedSemaphorePermit,
    },
    Disconnect {
        conn: ConnId,
    },
    /// Someone's access may have changed: look at every connection's session again.
    Recheck,
    /// Another relay on the same database stored chunks.
    Notice(Notice),
    Stop,
}

/// What the hub thread queues for a connection's writer.
enum Out {
    /// A frame of the hub's, and the document it shows something of (`HubEffect::Send`'s
    /// `shows`: for the outbound gate, and whether it may acknowledge a write of the batch).
    Frame {
        frame: Vec<u8>,
        document: Option<String>,
    },
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
    pub async fn open(
        data_dir: &Path,
        store: &Store,
        limits: &Limits,
        reread: Duration,
        metrics: Arc<Metrics>,
    ) -> Result<Self, String> {
        let store = Arc::new(store.another_connection().map_err(|e| e.to_string())?);
        let legacy = data_dir.join("documents");
        if legacy.is_dir() && !store.has_documents().map_err(|e| e.to_string())? {
            let n = import_nodefs(&store, &legacy)?;
            tracing::info!("imported {n} documents from {}", legacy.display());
        }
        let (events, rx) = mpsc::channel(QUEUE);
        // Other relays' chunks (PostgreSQL), into the hub thread's queue.
        let (notices, mut heard) = mpsc::channel(QUEUE);
        store.watch_chunks(notices, reread);
        let forward = events.clone();
        tokio::spawn(async move {
            while let Some(notice) = heard.recv().await {
                if forward.send(Event::Notice(notice)).await.is_err() {
                    return;
                }
            }
        });
        let hub_thread = HubThread {
            store: store.clone(),
            limits: limits.clone(),
            metrics: metrics.clone(),
        };
        let thread = std::thread::Builder::new()
            .name("sync-hub".into())
            .spawn(move || run(&hub_thread, rx))
            .map_err(|e| format!("cannot start the sync thread: {e}"))?;
        Ok(Self {
            events,
            store,
            thread: Mutex::new(Some(thread)),
            next_conn: AtomicU64::new(1),
            limits: limits.clone(),
            metrics,
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
    /// protocol messages, that the person may not send, or that cross a bound get an `error`
    /// message and close this connection only.
    pub async fn serve_socket(&self, socket: WebSocket, session: SessionInfo, frame_bytes: usize) {
        let conn = self.next_conn.fetch_add(1, Ordering::Relaxed);
        let (mut ws_out, mut ws_in) = socket.split();
        let (out, mut drain) = outbox::<Out>(self.limits.outbound_bytes);
        let inflight = InFlight::new(&self.limits);
        let idle = self.limits.idle_timeout;
        let metrics = &*self.metrics;
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
            // Every WebSocket peer answers a ping: a connection that does not is gone.
            let mut ping = tokio::time::interval(idle / 3);
            ping.reset();
            loop {
                let item = tokio::select! {
                    item = drain.recv() => match item {
                        Some(item) => item,
                        None => break,
                    },
                    _ = ping.tick() => {
                        match tokio::time::timeout(idle, ws_out.send(WsMessage::Ping(Default::default()))).await {
                            Ok(Ok(())) => continue,
                            _ => return,
                        }
                    }
                };
                let (frame, counted, last) = match item {
                    Out::Ignored => {
                        Metrics::add(&metrics.refused, 1);
                        continue;
                    }
                    Out::Frame { frame, .. } => (frame, true, false),
                    Out::Refused(frame) => {
                        Metrics::add(&metrics.refused, 1);
                        (frame, true, false)
                    }
                    Out::Close(reason) => {
                        tracing::info!(device = %device, "closing a connection: {reason}");
                        Metrics::add(&metrics.protocol_errors, 1);
                        (
                            protocol::encode(&Message::Error { message: reason }),
                            false,
                            true,
                        )
                    }
                    Out::End(reason) => {
                        tracing::info!(device = %device, "closing a connection: {reason}");
                        Metrics::add(&metrics.sessions_ended, 1);
                        (
                            protocol::encode(&Message::Error { message: reason }),
                            false,
                            true,
                        )
                    }
                };
                let bytes = frame.len();
                Metrics::add(&metrics.frames_out, 1);
                Metrics::add(&metrics.bytes_out, bytes as u64);
                match tokio::time::timeout(idle, ws_out.send(WsMessage::Binary(frame.into()))).await
                {
                    Ok(Ok(())) => {}
                    Ok(Err(_)) => return,
                    Err(_) => {
                        tracing::info!(device = %device, "closing a connection that does not read what it is sent");
                        metrics.exceeded(Limit::Idle);
                        return;
                    }
                }
                if counted {
                    drain.sent(bytes);
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
                loop {
                    // While this device leaves half its queue unread, take nothing more from it.
                    out.room().await;
                    let received = match tokio::time::timeout(idle, ws_in.next()).await {
                        Ok(Some(received)) => received,
                        Ok(None) => return,
                        Err(_) => {
                            metrics.exceeded(Limit::Idle);
                            out.push_last(Out::Close(format!(
                                "nothing received for {} s; reconnect",
                                idle.as_secs()
                            )));
                            return;
                        }
                    };
                    let frame = match received {
                        Ok(WsMessage::Binary(frame)) => frame,
                        Ok(WsMessage::Text(_)) => {
                            out.push_last(Out::Close(
                                "text frames are not part of the protocol; send CBOR in binary frames"
                                    .into(),
                            ));
                            return;
                        }
                        Ok(WsMessage::Ping(_) | WsMessage::Pong(_)) => continue,
                        Ok(WsMessage::Close(_)) => return,
                        // Over the size limit (tungstenite's "Message too long").
                        Err(e) if e.to_string().contains("too long") => {
                            metrics.exceeded(Limit::Frame);
                            out.push_last(Out::Close(format!(
                                "a frame was larger than the {frame_bytes} bytes the relay accepts ({e})"
                            )));
                            return;
                        }
                        Err(e) => {
                            tracing::info!("closing a connection: {e}");
                            Metrics::add(&metrics.protocol_errors, 1);
                            return;
                        }
                    };
                    Metrics::add(&metrics.frames_in, 1);
                    Metrics::add(&metrics.bytes_in, frame.len() as u64);
                    let room = inflight.admit(frame.len()).await;
                    let message = protocol::decode(&frame);
                    let creation = match &message {
                        Ok(m)
                            if m.document_id()
                                .is_some_and(|id| !self.store.knows_scope(&id.to_string())) =>
                        {
                            read_creation(m, &self.limits.sync)
                        }
                        _ => Creation::Unread,
                    };
                    let frame = Event::Frame {
                        conn,
                        message,
                        creation,
                        _room: room,
                    };
                    if self.events.send(frame).await.is_err() {
                        return;
                    }
                }
            }
        };

        tokio::pin!(writer);
        tokio::pin!(inbound);
        let (writer_done, inbound_done) = tokio::select! {
            _ = &mut inbound => (false, true),
            _ = &mut writer => (true, false),
            _ = tokio::time::sleep(expires_in) => {
                out.push_last(Out::End(SESSION_EXPIRED.into()));
                (false, false)
            }
            // The hub thread found the queue full and closed the connection: the writer is
            // stuck on a device that does not read, so do not wait for it.
            _ = out.overflowed() => return self.disconnect(conn).await,
        };
        self.disconnect(conn).await;
        drop(out);
        if !writer_done {
            // Let the writer send what is queued (e.g. the reason for closing); it ends when
            // the hub thread has dropped this connection's queue.
            let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
        }
        if !inbound_done {
            // The relay closed: read (and drop) what the device still sends until it answers
            // the close. Dropping a socket with unread data resets it, and a reset makes the
            // device's side discard what it has not read yet: the reason for closing, and
            // e.g. the refusals before it.
            let _ = tokio::time::timeout(CLOSE_LINGER, inbound).await;
        }
    }

    async fn disconnect(&self, conn: ConnId) {
        let _ = self.events.send(Event::Disconnect { conn }).await;
    }
}

/// How long a connection the relay closed is read for the device's answer to the close.
const CLOSE_LINGER: Duration = Duration::from_secs(2);
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
    out: Outbox<Out>,
    /// Closed by the relay: later frames from it are dropped.
    closed: bool,
    /// Refused writes per document on this connection.
    refused: HashMap<DocumentId, u32>,
}

/// What the hub thread works with besides the hub.
struct HubThread {
    store: Arc<Store>,
    limits: Limits,
    metrics: Arc<Metrics>,
}

impl HubThread {
    fn new_hub(&self) -> Hub {
        Hub::new(PeerId::from(RELAY_PEER))
            .limit_open_documents(self.limits.open_documents)
            .limit_resident_bytes(self.limits.resident_bytes)
    }
}

impl Event {
    /// The connection it belongs to; `None` for the relay's own.
    fn conn(&self) -> Option<ConnId> {
        match self {
            Event::Connect { conn, .. }
            | Event::Frame { conn, .. }
            | Event::Disconnect { conn } => Some(*conn),
            Event::Recheck | Event::Notice(_) | Event::Stop => None,
        }
    }
}

/// The hub thread: batches of events, one commit per batch, then the batch's frames.
fn run(t: &HubThread, mut events: mpsc::Receiver<Event>) {
    let mut hub = t.new_hub();
    let mut edges: HashMap<ConnId, Edge> = HashMap::new();
    let mut waiting = Turns::default();
    let mut stop = false;
    while !stop {
        if waiting.is_empty() {
            let Some(first) = events.blocking_recv() else {
                return;
            };
            waiting.push(first.conn(), first);
        }
        // Each connection has at most its in-flight frames here (`InFlight`).
        while let Ok(e) = events.try_recv() {
            waiting.push(e.conn(), e);
        }
        let contained = hub.counters().panics_contained;
        let processed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            process(t, &mut hub, &mut edges, &mut waiting)
        }));
        Metrics::add(
            &t.metrics.panics_contained,
            hub.counters().panics_contained - contained,
        );
        match processed {
            Ok(stopping) => stop = stopping,
            Err(_) => {
                // A bug outside the hub's own containment (which costs one connection, see
                // `shared::sync::Hub`). Nothing of the batch was acknowledged; start afresh so
                // one bad batch cannot stop sync for all.
                tracing::error!("the sync hub failed on a batch; every connection reconnects");
                hub = t.new_hub();
                for edge in edges.values_mut() {
                    edge.closed = true;
                    edge.out.push_last(Out::Close(
                        "the relay hit an internal error; reconnect".into(),
                    ));
                }
            }
        }
    }
}

/// One batch: events in turns ([`Turns`]) through the gate and the hub until the batch is
/// full or has taken [`BATCH_TIME`], one commit, then the sends. Returns whether the relay is
/// stopping.
fn process(
    t: &HubThread,
    hub: &mut Hub,
    edges: &mut HashMap<ConnId, Edge>,
    waiting: &mut Turns<Event>,
) -> bool {
    let store = &*t.store;
    let mut stop = false;
    let opened_too_many = hub.counters().open_documents_exceeded;
    let started = std::time::Instant::now();
    let mut taken = 0;
    let mut unscoped = unscoped(store, waiting);
    let mut prefetched = prefetch(store, hub, waiting, &unscoped);
    {
        let mut batch = SyncBatch::default();
        let mut sends: Vec<(ConnId, Out)> = vec![];
        let mut held = Held::default();
        loop {
            // Every `continue` below comes back here.
            if taken > 0 && (taken >= MAX_BATCH || started.elapsed() >= BATCH_TIME) {
                break;
            }
            let Some(event) = waiting.next() else {
                break;
            };
            taken += 1;
            // What cannot acknowledge a write that is not durable yet goes now, so devices
            // work on the replies (e.g. a download's documents, or "send me that record" to an
            // upload) while the rest of the batch is processed.
            if !sends.is_empty() {
                let now = held.sort(&batch, &mut sends);
                deliver(t, hub, edges, now);
            }
            match event {
                Event::Connect { conn, session, out } => {
                    hub.connect(conn, Some(PeerId(session.device.clone())));
                    hub.identify(conn, actor(&session));
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
                Event::Notice(notice) => {
                    // Read again when needed: another relay stored them (scope and chunks) since.
                    for (document, _) in &notice.0 {
                        prefetched.remove(document);
                        unscoped.remove(document);
                    }
                    ingest(store, hub, notice);
                    drive(
                        hub,
                        store,
                        &unscoped,
                        &mut prefetched,
                        edges,
                        &mut batch,
                        &mut sends,
                    );
                }
                Event::Frame {
                    conn,
                    message,
                    creation,
                    ..
                } => {
                    let verdict = match edges.get(&conn) {
                        Some(edge) if !edge.closed => {
                            let gate = Gate {
                                store,
                                session: &edge.session,
                                pending: &batch.scopes,
                                unscoped: &unscoped,
                                limits: &t.limits.sync,
                            };
                            // The gate reads a new document with Automerge to learn its scope,
                            // and Automerge 0.12 can panic on a deliberately broken one
                            // (SECURITY.md): that costs this connection only. The gate keeps
                            // no state, so there is nothing to repair.
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                gate.inbound(message, creation)
                            }))
                            .unwrap_or_else(|_| {
                                Metrics::add(&t.metrics.panics_contained, 1);
                                Ok(Inbound::Close(
                                    "the relay could not read this message; it was not accepted"
                                        .into(),
                                ))
                            })
                        }
                        _ => continue,
                    };
                    let reason = match verdict {
                        Ok(Inbound::Forward { message, new_scope }) => {
                            if let (Some(scope), Some(id)) = (new_scope, message.document_id()) {
                                batch.scopes.insert(id.to_string(), scope);
                            }
                            hub.receive_message(conn, message);
                            drive(
                                hub,
                                store,
                                &unscoped,
                                &mut prefetched,
                                edges,
                                &mut batch,
                                &mut sends,
                            );
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
                        Ok(Inbound::Refuse {
                            document,
                            refusal,
                            limit,
                        }) => {
                            if let Some(limit) = limit {
                                t.metrics.exceeded(limit);
                            }
                            match refuse(edges, conn, document, refusal, &mut sends) {
                                Ok(()) => continue,
                                Err(reason) => reason,
                            }
                        }
                        Ok(Inbound::Close(reason)) => reason,
                        Ok(Inbound::Exceeded(limit, reason)) => {
                            t.metrics.exceeded(limit);
                            reason
                        }
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
            *hub = t.new_hub();
            sends.clear();
            held = Held::default();
            for (&conn, edge) in edges.iter_mut() {
                edge.closed = true;
                sends.push((
                    conn,
                    Out::Close("the relay could not store changes; reconnect to retry".into()),
                ));
            }
        }
        held.sends.append(&mut sends);
        deliver(t, hub, edges, held.sends);
    }
    tracing::debug!(
        "a batch of {taken} events in {:?}, {} waiting",
        started.elapsed(),
        waiting.len()
    );
    for _ in opened_too_many..hub.counters().open_documents_exceeded {
        t.metrics.exceeded(Limit::OpenDocuments);
    }
    stop
}

/// The documents the waiting frames are about (up to a batch's worth) that have no stored
/// scope, found in one statement rather than one per document as the gate would ask
/// (`Store::unscoped`): a batch of uploads is mostly new records. After an error, none: the
/// gate looks each up.
fn unscoped(store: &Store, waiting: &Turns<Event>) -> HashSet<String> {
    let documents: HashSet<String> = waiting
        .waiting()
        .filter_map(|event| match event {
            Event::Frame {
                message: Ok(message),
                ..
            } => Some(message.document_id()?.to_string()),
            _ => None,
        })
        .take(MAX_BATCH)
        .collect();
    if documents.is_empty() {
        return HashSet::new();
    }
    store
        .unscoped(documents.iter().map(String::as_str))
        .unwrap_or_else(|e| {
            tracing::error!("{e}");
            HashSet::new()
        })
}

/// Stored documents read ahead for a batch ([`prefetch`]), taken out as the hub loads them.
type Prefetched = HashMap<String, Option<StoredDocument>>;

/// The stored documents that the waiting frames are about (up to one statement's worth) and
/// that the hub would load, read in one statement rather than one each as the hub asks for
/// them (a fresh device's download asks for hundreds at once). Documents with no stored scope
/// are not read (see [`drive`]); after an error, nothing is read ahead.
fn prefetch(
    store: &Store,
    hub: &Hub,
    waiting: &Turns<Event>,
    unscoped: &HashSet<String>,
) -> Prefetched {
    let mut documents: Vec<String> = waiting
        .waiting()
        .filter_map(|event| match event {
            Event::Frame {
                message: Ok(message),
                ..
            } => message.document_id().filter(|id| !hub.holds(id)),
            _ => None,
        })
        .map(|id| id.to_string())
        .filter(|key| !unscoped.contains(key))
        .collect();
    documents.sort_unstable();
    documents.dedup();
    documents.truncate(PREFETCH);
    store
        .documents_bytes(&documents, PREFETCH_BYTES)
        .unwrap_or_else(|e| {
            tracing::error!("{e}");
            HashMap::new()
        })
}

/// Documents one batch reads ahead at most (`Store::documents_bytes`), and their bytes: what
/// is read ahead is held besides the hub's resident documents until the batch ends.
const PREFETCH: usize = 500;
const PREFETCH_BYTES: usize = 16 * 1024 * 1024;

/// A document's stored chunks for [`Hub::loaded`]: read ahead, none when it has no stored
/// scope, else read now.
fn load(
    store: &Store,
    unscoped: &HashSet<String>,
    prefetched: &mut Prefetched,
    key: &str,
) -> Result<Option<StoredDocument>, crate::store::StoreError> {
    if let Some(stored) = prefetched.remove(key) {
        return Ok(stored);
    }
    if unscoped.contains(key) {
        return Ok(None);
    }
    store.document_bytes(key)
}

/// Who a session's changes come from, for the duties the hub checks (`shared::duties`).
fn actor(session: &SessionInfo) -> Actor {
    Actor {
        username: session.person.username.clone(),
        person: session.person.access.clone(),
    }
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
        hub.identify(conn, actor(&current));
        *edge.session = current;
    }
    for effect in hub.take_effects() {
        if let HubEffect::Send { conn, frame, shows } = effect {
            sends.push((conn, Out::frame(frame, shows)));
        }
    }
}

/// Brings the documents the hub holds up to date with the chunks another relay stored, and
/// has the hub sync them to their subscribers (its effects are carried out by `drive`).
fn ingest(store: &Store, hub: &mut Hub, Notice(chunks): Notice) {
    for (document, seq) in chunks {
        let Ok(id) = document.parse::<DocumentId>() else {
            continue;
        };
        if !hub.holds(&id) {
            continue;
        }
        // A chunk gone since was replaced by a snapshot, announced too; one not readable now
        // is read with the whole document when it next loads.
        match store.chunk_bytes(seq) {
            Ok(Some(bytes)) => hub.ingest(id, &bytes),
            Ok(None) => {}
            Err(e) => tracing::error!("{e}"),
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

impl Out {
    fn frame(frame: Vec<u8>, shows: Option<DocumentId>) -> Out {
        Out::Frame {
            frame,
            document: shows.map(|id| id.to_string()),
        }
    }
}

/// Frames held until the batch commits: from each connection's first one about a document
/// the batch writes on, in order.
#[derive(Default)]
struct Held {
    sends: Vec<(ConnId, Out)>,
    conns: HashSet<ConnId>,
}

impl Held {
    /// Takes out of `sends` what may go before the batch commits and holds the rest. A sync
    /// message about a document the batch does not write tells only what storage already
    /// has; a connection's frames keep their order, so everything after a held frame waits
    /// with it.
    fn sort(&mut self, batch: &SyncBatch, sends: &mut Vec<(ConnId, Out)>) -> Vec<(ConnId, Out)> {
        if batch.is_empty() {
            return std::mem::take(sends);
        }
        let mut now = vec![];
        for (conn, out) in sends.drain(..) {
            let acknowledges = match &out {
                Out::Frame {
                    document: Some(document),
                    ..
                } => batch.writes(document),
                Out::Frame { document: None, .. }
                | Out::Refused(_)
                | Out::Ignored
                | Out::Close(_)
                | Out::End(_) => false,
            };
            if acknowledges || self.conns.contains(&conn) {
                self.conns.insert(conn);
                self.sends.push((conn, out));
            } else {
                now.push((conn, out));
            }
        }
        now
    }
}

/// Hands frames to their connections' writers, each through the outbound gate. Called only
/// when nothing the batch wrote is waiting for its commit. A connection whose queue is full
/// is closed (see [`Outbox`]).
fn deliver(
    t: &HubThread,
    hub: &mut Hub,
    edges: &mut HashMap<ConnId, Edge>,
    sends: Vec<(ConnId, Out)>,
) {
    let (no_pending, no_pending_scopes) = (HashMap::new(), HashSet::new());
    for (conn, item) in sends {
        let Some(edge) = edges.get_mut(&conn) else {
            continue;
        };
        let bytes = match &item {
            Out::Frame { frame, document } => {
                let gate = Gate {
                    store: &t.store,
                    session: &edge.session,
                    pending: &no_pending,
                    unscoped: &no_pending_scopes,
                    limits: &t.limits.sync,
                };
                match gate.outbound(document.as_deref()) {
                    Ok(true) => frame.len(),
                    Ok(false) => continue,
                    Err(e) => {
                        // Dropping the frame would leave the device waiting for an answer
                        // that never comes: it reconnects and syncs again instead.
                        tracing::error!("{e}");
                        edge.closed = true;
                        hub.disconnect(conn);
                        edge.out.push_last(Out::Close(
                            "the relay could not check what it sends you; reconnect to retry"
                                .into(),
                        ));
                        continue;
                    }
                }
            }
            Out::Refused(frame) => frame.len(),
            Out::Ignored => 0,
            Out::Close(_) | Out::End(_) => {
                edge.out.push_last(item);
                continue;
            }
        };
        if !edge.out.push(item, bytes) && !edge.closed {
            tracing::info!(device = %edge.session.device, "closing a connection that does not read what it is sent");
            t.metrics.exceeded(Limit::Outbound);
            edge.closed = true;
            hub.disconnect(conn);
        }
    }
}

/// Carries out the hub's effects until it has none: loads inline (SQLite reads are fast and
/// the hub thread owns its connection), persists into the batch, sends into `sends`. A
/// document with no stored scope as the batch began (`unscoped`) has no stored chunks either
/// (every chunk is stored with its document's scope, or after it), so it is not read: an
/// upload of a new record loads it twice (its offer, then its changes), and each read is a
/// statement.
fn drive(
    hub: &mut Hub,
    store: &Store,
    unscoped: &HashSet<String>,
    prefetched: &mut Prefetched,
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
                HubEffect::Load(id) => match load(store, unscoped, prefetched, &id.to_string())
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
                    attachments,
                } => {
                    let key = doc.to_string();
                    if !attachments.is_empty() {
                        batch.references.insert(key.clone(), attachments);
                    }
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
                    batch.push_chunk(WrittenChunk {
                        document: key,
                        bytes,
                        replaces,
                        heads,
                    });
                }
                HubEffect::Send { conn, frame, shows } => {
                    sends.push((conn, Out::frame(frame, shows)))
                }
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
                batch.push_chunk(WrittenChunk {
                    document: id,
                    bytes: doc.save(),
                    replaces: true,
                    heads: doc.get_heads(),
                });
            }
        }
    }
    let n = batch.chunks().len();
    store.commit_sync_batch(&batch).map_err(|e| e.to_string())?;
    Ok(n)
}
