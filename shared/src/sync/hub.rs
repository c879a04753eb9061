//! The relay side of sync, as a sans-I/O state machine: many connections, many documents.
//!
//! The relay's edge (server) feeds a [`Hub`] what happened (a connection opened, a frame
//! arrived, a document it asked for was loaded, a connection closed) and carries out the
//! [`HubEffect`]s it queues, in order:
//!
//! - [`HubEffect::Load`]: read the document's stored bytes and heads and hand them back with
//!   [`Hub::loaded`]. Frames about a document that is not in memory wait for it; nothing else
//!   does.
//! - [`HubEffect::Persist`]: make these bytes of a document durable. Every `Persist` comes
//!   before the `Send`s that acknowledge it, and the edge must finish persisting a batch's
//!   effects before sending any of its frames ("durable before acknowledged").
//! - [`HubEffect::Send`] / [`HubEffect::Close`]: frames for one connection.
//!
//! Cost: every event touches only its own connection, its own document and that document's
//! subscribers (hash-map lookups), never the set of all documents or connections. A document
//! stays in memory only while some connection has it open (sent `request`/`sync` for it); when
//! the last one leaves it is evicted: storage already has all of it.
//!
//! Choices the relay makes:
//! - It never announces documents: a device gets only what it asks for (devices discover
//!   records through index documents; a reconnect costs what changed, not what exists).
//! - A `request` for a document the relay does not hold is answered `doc-unavailable` at once.
//!   The relay asks no other peer (devices do not serve documents to each other through it),
//!   but it remembers who asked, so the document reaches them as soon as someone uploads it.
//!   That costs a few bytes per id and no document in memory.
//! - A connection holds at most [`Hub::limit_open_documents`] documents open, counting the
//!   unknown ones it asked for; asking for one more closes it with an error saying so.
//! - A panic while handling one connection's message (a bug in Automerge or here, on input the
//!   edge's checks let through) costs that connection: it is closed, the effects the message had
//!   queued are dropped, and its document is dropped from memory and loaded again from storage
//!   for the other connections that had it open, each starting its sync afresh. Nothing the
//!   failed message changed was persisted, so memory and storage agree again.
//! - `ephemeral` messages (presence, cursors) are forwarded to the other connections that have
//!   the document open and never stored.
//! - A peer that has nothing of a document (a fresh device's `request`) is answered with the
//!   document's stored bytes as they are, in the message Automerge itself would send (a V2
//!   sync message carrying the whole document), and its acknowledgement is recognised as
//!   such: serving a fresh device neither loads the document into Automerge nor saves it
//!   again (loading and `save()`'s DEFLATE were most of the relay's cost per document). The
//!   document is loaded the first time anything else happens to it.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

use automerge::{
    Automerge, ChangeHash, ReadDoc,
    sync::{self, MessageFlags, SyncDoc},
};

use super::changes::{CarriedChange, carried_meta};
use crate::access::{self, Actor};
use crate::duties;
use crate::ids::{DocumentId, PeerId};
use crate::model::Record;
use crate::protocol::{self, Message, PROTOCOL_VERSION, PeerMetadata};
use crate::records;
use crate::refusal::Refusal;
use crate::scope;

/// The edge's name for one connection.
pub type ConnId = u64;

/// After this many incremental chunks since the last snapshot, a `Persist` carries a whole
/// `save()` that replaces them, so loading a busy document stays one small read.
pub const COMPACT_AFTER_CHUNKS: u32 = 32;

/// What the edge must do. See the module docs for the order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HubEffect {
    /// Read this document from storage and call [`Hub::loaded`].
    Load(DocumentId),
    /// Make this durable before sending anything queued after it. `changes` are the changes
    /// new to the relay (for its receipt log), received on connection `from`.
    Persist {
        doc: DocumentId,
        chunk: Chunk,
        /// The document's heads with this chunk: storage keeps them with it and hands them
        /// back in [`Stored::heads`].
        heads: Vec<ChangeHash>,
        from: ConnId,
        changes: Vec<CarriedChange>,
        /// The attachments' blobs the document references ([`crate::attachments::hashes_in`]),
        /// when its attachment lists changed since its last `Persist` (empty otherwise): the
        /// relay lets people who may read the document upload and fetch them.
        attachments: Vec<String>,
    },
    /// Send this frame on this connection. `shows`: the document whose content the frame
    /// carries (a sync or ephemeral message), which the relay's outbound gate checks against
    /// the connection's scope; `None` for frames that show none (the peer reply, and
    /// `doc-unavailable`, which is what an out-of-scope document is answered anyway).
    Send {
        conn: ConnId,
        frame: Vec<u8>,
        shows: Option<DocumentId>,
    },
    /// Send an `error` with this reason on the connection and close it; the hub has already
    /// forgotten it.
    Close { conn: ConnId, reason: String },
    /// Tell the connection that its changes to `doc` were refused (`shared::scope`): the hub
    /// has undone them, stored and sent nothing of them, and syncs the document with it
    /// afresh.
    Refuse {
        conn: ConnId,
        doc: DocumentId,
        refusal: Refusal,
    },
}

/// Bytes of a document to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Chunk {
    /// New changes (`Automerge::save_after`): append.
    Incremental(Vec<u8>),
    /// The whole document (`Automerge::save`): replaces every chunk stored before it.
    Snapshot(Vec<u8>),
}

/// A document as storage holds it, for [`Hub::loaded`].
pub struct Stored {
    /// Its chunks in order, concatenated: what `Automerge::load` reads.
    pub bytes: Vec<u8>,
    /// How many chunks (drives compaction).
    pub chunks: u32,
    /// The heads [`HubEffect::Persist`] gave with the last chunk; `None` when storage does not
    /// know them (data written before heads were kept): the hub then loads the document.
    pub heads: Option<Vec<ChangeHash>>,
}

struct Conn {
    /// The peer id the edge authenticated; a `join` claiming another is refused.
    expected: Option<PeerId>,
    /// Set by `join`.
    peer: Option<PeerId>,
    /// Documents this connection has open, for eviction on disconnect.
    open: HashSet<DocumentId>,
    /// Changes of a document the hub refused from this connection (see [`Hub::refuse`]).
    refused: HashMap<DocumentId, HashSet<ChangeHash>>,
    /// Who is signed in on it ([`Hub::identify`]): what record types' duties are checked
    /// against. Unknown: every change a type checks is refused.
    actor: Option<Actor>,
}

struct Doc {
    body: Body,
    chunks: u32,
    /// Per subscribed connection, Automerge's sync state for this document.
    peers: HashMap<ConnId, sync::State>,
    /// When it was last used (its key in [`Hub::resident`]) and what its body weighs.
    tick: u64,
    weight: usize,
    /// Attachment entries the document listed at its last `Persist` from this hub
    /// ([`crate::attachments::listed`]): their hashes are read again only when it changes.
    attachments: Option<usize>,
}

impl Doc {
    fn new(body: Body, chunks: u32) -> Self {
        Doc {
            body,
            chunks,
            peers: HashMap::new(),
            tick: 0,
            weight: 0,
            attachments: None,
        }
    }
}

/// A document in memory: loaded into Automerge, or only as storage holds it.
enum Body {
    Loaded(Box<Automerge>),
    /// Storage has none of it (a peer is asking for one nobody uploaded yet, or telling the
    /// relay about one it lost). Answered from the hub's one empty document rather than a new
    /// `Automerge` (about 10 KB each); replaced by one as soon as changes arrive.
    Empty,
    /// The stored bytes and their heads: enough to give the whole document to a peer that has
    /// none of it. Loaded into Automerge as soon as anything else happens to it.
    Stored {
        bytes: Vec<u8>,
        heads: Vec<ChangeHash>,
    },
    /// Dropped from memory to keep within [`Hub::limit_resident_bytes`] while connections still
    /// have it open (their sync states stay): read from storage again when it is needed.
    Unloaded,
}

impl Body {
    /// About what it occupies in memory. Automerge 0.12 keeps a document in compressed
    /// columns: measured from about 10 KB empty, plus about 200 bytes per change and from 3 to
    /// 16 bytes per operation (3 for runs of similar operations, 16 for map keys).
    fn weight(&self) -> usize {
        match self {
            Body::Loaded(doc) => {
                let stats = doc.stats();
                10_240 + 256 * stats.num_changes as usize + 16 * stats.num_ops as usize
            }
            Body::Stored { bytes, .. } => bytes.len(),
            Body::Empty | Body::Unloaded => 0,
        }
    }
}

/// A frame waiting for its document to load.
struct Waiting {
    conn: ConnId,
    /// `None`: the connection had the document open when it was dropped from memory (see
    /// [`Hub::contain`]); its sync starts afresh once the document is back.
    message: Option<Message>,
}

/// The relay's sync state: connections, the documents they have open, per-pair sync states.
pub struct Hub {
    relay: PeerId,
    conns: HashMap<ConnId, Conn>,
    docs: HashMap<DocumentId, Doc>,
    loading: HashMap<DocumentId, VecDeque<Waiting>>,
    /// Connections that asked for a document the relay does not have (it told them so): they
    /// get it when someone first uploads it. A few bytes each, not a document in memory; they
    /// count as open documents of their connection.
    awaited: HashMap<DocumentId, HashSet<ConnId>>,
    effects: Vec<HubEffect>,
    /// Stays empty: receives a fresh peer's first message into its sync state (see
    /// [`Hub::answer_without_loading`]), and stands for every [`Body::Empty`] document.
    empty: Automerge,
    /// Documents one connection may have open.
    max_open: usize,
    /// Documents whose bodies are in memory, least recently used first, by [`Doc::tick`]; their
    /// total weight, and the most it may be.
    resident: BTreeMap<u64, DocumentId>,
    resident_bytes: usize,
    max_resident_bytes: usize,
    next_tick: u64,
    counters: HubCounters,
}

/// What the hub refused or contained, for the relay's metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HubCounters {
    /// Connections closed for opening more documents than allowed.
    pub open_documents_exceeded: u64,
    /// Messages whose handling panicked (see the module docs).
    pub panics_contained: u64,
}

impl Hub {
    pub fn new(relay: PeerId) -> Self {
        Self {
            relay,
            conns: HashMap::new(),
            docs: HashMap::new(),
            loading: HashMap::new(),
            awaited: HashMap::new(),
            effects: vec![],
            empty: Automerge::new(),
            max_open: usize::MAX,
            resident: BTreeMap::new(),
            resident_bytes: 0,
            max_resident_bytes: usize::MAX,
            next_tick: 0,
            counters: HubCounters::default(),
        }
    }

    /// Keep documents in memory between messages up to about `bytes` (unlimited by default);
    /// beyond it the least recently used are dropped and read from storage again when needed.
    pub fn limit_resident_bytes(mut self, bytes: usize) -> Self {
        self.max_resident_bytes = bytes;
        self
    }

    /// At most `n` documents open per connection (unlimited by default).
    pub fn limit_open_documents(mut self, n: usize) -> Self {
        self.max_open = n;
        self
    }

    pub fn counters(&self) -> HubCounters {
        self.counters
    }

    /// The effects queued since the last call, in the order they must be carried out.
    pub fn take_effects(&mut self) -> Vec<HubEffect> {
        std::mem::take(&mut self.effects)
    }

    /// Documents in memory (for metrics and tests).
    pub fn documents_in_memory(&self) -> usize {
        self.docs.len()
    }

    /// Documents in memory that are loaded into Automerge (the others are held as their
    /// stored bytes). For tests: it walks every document.
    pub fn documents_loaded(&self) -> usize {
        self.docs
            .values()
            .filter(|d| matches!(d.body, Body::Loaded(_)))
            .count()
    }

    /// The sync state of one connection for one document in memory (for tests).
    #[cfg(test)]
    pub(crate) fn peer_state(&self, conn: ConnId, id: &DocumentId) -> Option<&sync::State> {
        self.docs.get(id)?.peers.get(&conn)
    }

    /// A connection opened. `expected` is the peer id its `join` must claim, if the edge knows it.
    pub fn connect(&mut self, conn: ConnId, expected: Option<PeerId>) {
        self.conns.insert(
            conn,
            Conn {
                expected,
                peer: None,
                open: HashSet::new(),
                refused: HashMap::new(),
                actor: None,
            },
        );
    }

    /// Who is signed in on a connection (again when their access changes): the changes it
    /// sends are checked against the duties of their record types (`shared::duties`).
    pub fn identify(&mut self, conn: ConnId, actor: Actor) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.actor = Some(actor);
        }
    }

    /// A connection closed (or the edge closed it). Drops its sync states and evicts the
    /// documents nobody else has open. Costs what the connection had open.
    pub fn disconnect(&mut self, conn: ConnId) {
        let Some(c) = self.conns.remove(&conn) else {
            return;
        };
        for id in c.open {
            self.unsubscribe(conn, &id);
        }
    }

    /// The documents a connection has open, e.g. to check them against narrowed access.
    pub fn open_documents(&self, conn: ConnId) -> Vec<DocumentId> {
        self.conns
            .get(&conn)
            .map(|c| c.open.iter().copied().collect())
            .unwrap_or_default()
    }

    /// Stops syncing document `id` with a connection (its person may no longer read it): its
    /// sync state goes, the device is told `doc-unavailable`, and nothing more about the
    /// document reaches it unless it asks again.
    pub fn close_document(&mut self, conn: ConnId, id: DocumentId) {
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        if !c.open.remove(&id) {
            return;
        }
        self.unsubscribe(conn, &id);
        if let Some(target_id) = self.peer_of(conn) {
            let frame = protocol::encode(&Message::DocUnavailable {
                document_id: id,
                sender_id: self.relay.clone(),
                target_id,
            });
            self.effects.push(HubEffect::Send {
                conn,
                frame,
                shows: None,
            });
        }
    }

    /// Storage answered a [`HubEffect::Load`]: `None` when it does not have the document.
    pub fn loaded(&mut self, id: DocumentId, stored: Option<Stored>) {
        if !self.loading.contains_key(&id) {
            return;
        }
        let (body, chunks) = match stored {
            None => (Body::Empty, 0),
            Some(Stored {
                bytes,
                chunks,
                heads: Some(heads),
            }) if !heads.is_empty() => (Body::Stored { bytes, heads }, chunks),
            // Heads unknown: load it to learn them.
            Some(Stored { bytes, chunks, .. }) => match load(&bytes) {
                Ok(doc) => (Body::Loaded(Box::new(doc)), chunks),
                Err(e) => return self.unloadable(id, &unreadable(id, &e)),
            },
        };
        // The (now empty) entry stays in `loading` while the waiting frames replay, so that a
        // connection closed by one of them cannot evict the document under the next.
        let mut waiting = self
            .loading
            .get_mut(&id)
            .map(std::mem::take)
            .unwrap_or_default();
        match self.docs.get_mut(&id) {
            // Back from `Body::Unloaded`: its connections' sync states are still here.
            Some(doc) => {
                doc.body = body;
                doc.chunks = chunks;
            }
            None => {
                self.docs.insert(id, Doc::new(body, chunks));
            }
        }
        while let Some(w) = waiting.pop_front() {
            // The connection may have gone while the document loaded.
            if self.conns.contains_key(&w.conn) && self.guarded(w.conn, id, w.message).is_err() {
                return self.contain(w.conn, id, waiting);
            }
        }
        self.loading.remove(&id);
        self.evict_if_unused(&id);
        self.used(&id);
    }

    /// Documents whose content the hub holds in memory (loaded or as stored bytes): those
    /// [`Hub::ingest`] would bring up to date.
    pub fn held_documents(&self) -> Vec<DocumentId> {
        self.docs
            .iter()
            .filter(|(_, d)| !matches!(d.body, Body::Unloaded))
            .map(|(id, _)| *id)
            .collect()
    }

    /// Whether [`Hub::ingest`] has anything to do for `id` (see [`Hub::held_documents`]).
    pub fn holds(&self, id: &DocumentId) -> bool {
        self.docs
            .get(id)
            .is_some_and(|d| !matches!(d.body, Body::Unloaded))
    }

    /// Changes another relay stored for document `id` (chunks this relay did not write, read
    /// from the storage they share): applied to the document if this relay holds it, and sent
    /// on to its subscribers. Nothing is persisted (storage has them) and nothing is checked
    /// (the relay that accepted them checked them). A document held only as stored bytes
    /// is loaded first; one not in memory, or dropped from it, needs nothing, as it is read
    /// from storage, new chunks and all, when it is next needed. Bytes that do not load are
    /// ignored: storage has them, and the document is read from it again when it next loads.
    pub fn ingest(&mut self, id: DocumentId, bytes: &[u8]) {
        let Some(doc) = self.docs.get_mut(&id) else {
            return;
        };
        let mut automerge = match std::mem::replace(&mut doc.body, Body::Unloaded) {
            Body::Loaded(automerge) => automerge,
            Body::Empty => Box::default(),
            Body::Stored { bytes, .. } => match load(&bytes) {
                Ok(loaded) => Box::new(loaded),
                // Unreadable as stored: left to the next load from storage.
                Err(_) => return,
            },
            Body::Unloaded => return,
        };
        let before = automerge.get_heads();
        let applied = automerge.load_incremental(bytes).is_ok();
        let changed = applied && automerge.get_heads() != before;
        doc.body = Body::Loaded(automerge);
        if changed {
            doc.chunks += 1;
            for asked in self.awaited.remove(&id).unwrap_or_default() {
                doc.peers.entry(asked).or_default();
            }
            let subscribers: Vec<ConnId> = doc.peers.keys().copied().collect();
            for conn in subscribers {
                self.send_sync(conn, id);
            }
        }
        self.used(&id);
    }

    /// A frame arrived on a connection.
    pub fn receive(&mut self, conn: ConnId, frame: &[u8]) {
        match protocol::decode(frame) {
            Ok(m) => self.receive_message(conn, m),
            Err(e) => self.close(conn, format!("malformed message: {e}")),
        }
    }

    /// Storage could not read a document (corrupt bytes, I/O error): the connections waiting
    /// for it are closed with `reason`, and nothing is written over what storage holds.
    pub fn unloadable(&mut self, id: DocumentId, reason: &str) {
        for w in self.loading.remove(&id).unwrap_or_default() {
            if self.conns.contains_key(&w.conn) {
                self.close(w.conn, reason.to_string());
            }
        }
    }

    /// A frame the edge has already decoded arrived on a connection.
    pub fn receive_message(&mut self, conn: ConnId, message: Message) {
        let Some(c) = self.conns.get(&conn) else {
            return;
        };
        let joined = c.peer.is_some();
        match message {
            Message::Join {
                sender_id,
                supported_protocol_versions,
                ..
            } => {
                if joined {
                    return self.close(conn, "a second 'join' on one connection".into());
                }
                if c.expected.as_ref().is_some_and(|e| *e != sender_id) {
                    return self.close(
                        conn,
                        format!(
                            "'join' claims peer id {sender_id}, but this session belongs to another device"
                        ),
                    );
                }
                if !supported_protocol_versions
                    .iter()
                    .any(|v| v == PROTOCOL_VERSION)
                {
                    return self.close(
                        conn,
                        format!("this relay speaks protocol version {PROTOCOL_VERSION} only"),
                    );
                }
                let reply = protocol::encode(&Message::Peer {
                    sender_id: self.relay.clone(),
                    target_id: sender_id.clone(),
                    selected_protocol_version: PROTOCOL_VERSION.to_string(),
                    metadata: Some(PeerMetadata {
                        storage_id: None,
                        is_ephemeral: false,
                    }),
                });
                if let Some(c) = self.conns.get_mut(&conn) {
                    c.peer = Some(sender_id);
                }
                self.effects.push(HubEffect::Send {
                    conn,
                    frame: reply,
                    shows: None,
                });
            }
            other if !joined => self.close(conn, format!("'{}' before 'join'", other.type_name())),
            Message::Leave { .. } => self.close(conn, "left".into()),
            Message::Error { message } => self.close(conn, format!("the peer reported: {message}")),
            m @ (Message::Request { .. } | Message::Sync { .. } | Message::Ephemeral { .. }) => {
                let id = *m.document_id().expect("these carry a document");
                if !matches!(m, Message::Ephemeral { .. }) && !self.open(conn, id) {
                    self.counters.open_documents_exceeded += 1;
                    return self.close(
                        conn,
                        format!(
                            "this connection already has {} documents open, the most the relay allows; reconnect to sync the rest",
                            self.max_open
                        ),
                    );
                }
                let in_memory = self
                    .docs
                    .get(&id)
                    .is_some_and(|d| !matches!(d.body, Body::Unloaded));
                if in_memory {
                    if self.guarded(conn, id, Some(m)).is_err() {
                        self.contain(conn, id, VecDeque::new());
                    } else {
                        self.used(&id);
                    }
                } else {
                    let queue = self.loading.entry(id).or_default();
                    if queue.is_empty() {
                        self.effects.push(HubEffect::Load(id));
                    }
                    queue.push_back(Waiting {
                        conn,
                        message: Some(m),
                    });
                }
            }
            // The relay never asks devices for documents, and does not track other peers'
            // heads or subscriptions: nothing to do. Nor does it write to devices, so a
            // refusal from one refuses nothing.
            Message::DocUnavailable { .. }
            | Message::Refused { .. }
            | Message::RemoteSubscriptionChange { .. }
            | Message::RemoteHeadsChanged { .. } => {}
            Message::Peer { .. } => self.close(conn, "'peer' is the relay's message".into()),
        }
    }

    /// Marks `id` open on `conn`, unless that would pass the limit (false).
    fn open(&mut self, conn: ConnId, id: DocumentId) -> bool {
        let Some(c) = self.conns.get_mut(&conn) else {
            return false;
        };
        if c.open.contains(&id) {
            return true;
        }
        if c.open.len() >= self.max_open {
            return false;
        }
        c.open.insert(id);
        true
    }

    /// Handles a message about a document in memory (`None`: start the connection's sync of it
    /// afresh). `Err` when that panicked; the effects it had queued are dropped.
    fn guarded(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        message: Option<Message>,
    ) -> Result<(), ()> {
        let mark = self.effects.len();
        let handled = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match message {
            Some(m) => self.on_doc_message(conn, id, m),
            None => self.resync(conn, id),
        }));
        if handled.is_err() {
            self.effects.truncate(mark);
            self.counters.panics_contained += 1;
            return Err(());
        }
        Ok(())
    }

    /// After a panic on `culprit`'s message about `id` (see the module docs): closes `culprit`,
    /// drops the document from memory, and loads it again for every other connection that had
    /// it open or was waiting for it (`remaining`: messages not handled yet).
    fn contain(&mut self, culprit: ConnId, id: DocumentId, remaining: VecDeque<Waiting>) {
        self.close(
            culprit,
            format!(
                "the relay could not handle this message about document {id}; it was not accepted"
            ),
        );
        let mut queue: VecDeque<Waiting> = self
            .remove_doc(&id)
            .into_iter()
            .flat_map(|doc| doc.peers.into_keys())
            .map(|conn| Waiting {
                conn,
                message: None,
            })
            .collect();
        queue.extend(remaining);
        queue.extend(self.loading.remove(&id).unwrap_or_default());
        queue.retain(|w| w.conn != culprit && self.conns.contains_key(&w.conn));
        if !queue.is_empty() {
            self.effects.push(HubEffect::Load(id));
            self.loading.insert(id, queue);
        }
    }

    /// A connection that had `id` open before it was dropped from memory: a fresh sync state,
    /// and Automerge's first message (our heads and a summary of what we have), which the
    /// device answers with whatever the relay lacks.
    fn resync(&mut self, conn: ConnId, id: DocumentId) {
        if let Some(c) = self.conns.get_mut(&conn) {
            c.open.insert(id);
        }
        let Some(doc) = self.loaded_doc(conn, id) else {
            return;
        };
        doc.peers.insert(conn, sync::State::new());
        self.send_sync(conn, id);
    }

    fn on_doc_message(&mut self, conn: ConnId, id: DocumentId, message: Message) {
        match message {
            Message::Request { data, .. } | Message::Sync { data, .. } => {
                self.on_sync(conn, id, &data)
            }
            Message::Ephemeral {
                count,
                session_id,
                data,
                ..
            } => {
                // The sender is the connection's own peer, whatever the message claims: one
                // device cannot speak for another.
                let (Some(doc), Some(sender_id)) = (self.docs.get(&id), self.peer_of(conn)) else {
                    return;
                };
                for &other in doc.peers.keys().filter(|&&c| c != conn) {
                    let Some(target_id) = self.conns.get(&other).and_then(|c| c.peer.clone())
                    else {
                        continue;
                    };
                    let frame = protocol::encode(&Message::Ephemeral {
                        document_id: id,
                        sender_id: sender_id.clone(),
                        target_id,
                        count,
                        session_id: session_id.clone(),
                        data: data.clone(),
                    });
                    self.effects.push(HubEffect::Send {
                        conn: other,
                        frame,
                        shows: Some(id),
                    });
                }
                self.evict_if_unused(&id);
            }
            _ => {}
        }
    }

    fn on_sync(&mut self, conn: ConnId, id: DocumentId, data: &[u8]) {
        let message = match sync::Message::decode(data) {
            Ok(m) => m,
            Err(e) => return self.close(conn, format!("unreadable sync data for {id}: {e}")),
        };
        let Some(c) = self.conns.get_mut(&conn) else {
            return;
        };
        c.open.insert(id);
        // A peer still offering changes the hub refused, without sending them again, is not
        // answered: it and the hub would go on telling each other what they have forever (an
        // Outpost device holds a refused change back; another peer may not).
        if message.changes.is_empty()
            && c.refused
                .get(&id)
                .is_some_and(|refused| message.heads.iter().any(|h| refused.contains(h)))
        {
            return;
        }
        let message = match self.answer_without_loading(conn, id, message) {
            Ok(()) => return,
            Err(message) => message,
        };
        if self.loaded_doc(conn, id).is_none() {
            return;
        }
        let doc = self.docs.get_mut(&id).expect("loaded_doc keeps it");
        if matches!(doc.body, Body::Empty) && !message.changes.is_empty() {
            doc.body = Body::Loaded(Box::default());
        }
        let state = doc.peers.entry(conn).or_default();
        let automerge = match &mut doc.body {
            Body::Loaded(automerge) => automerge.as_mut(),
            // Without changes, receiving leaves the document as it is.
            Body::Empty => &mut self.empty,
            Body::Stored { .. } | Body::Unloaded => unreachable!("loaded before it is handled"),
        };
        let they_have_nothing = message.heads.is_empty();
        let before = automerge.get_heads();
        // What the checks after applying compare with, read only when the message carries
        // changes (only then can the heads move): most sync messages carry none.
        let carries_changes = !message.changes.is_empty();
        let scope_before = carries_changes
            .then(|| access::record_scope(automerge))
            .flatten();
        // A record type whose duties the relay checks is read before and after.
        let duties = scope_before
            .as_ref()
            .and_then(|s| records::type_of(&s.kind))
            .and_then(|ty| Some((ty, ty.duties_kept?)))
            .map(|(ty, check)| (ty, check, Record::read(automerge, ty)));
        // Applying is all-or-nothing for the document's history: on error, the changes that
        // did apply are complete changes, and persisted like any other.
        let applied = automerge.receive_sync_message(state, message);
        let after = automerge.get_heads();
        if after != before {
            if let Err(reason) =
                scope::admit_changes(&id, scope_before.as_ref(), automerge, &before)
            {
                return self.refuse(conn, id, &before, reason);
            }
            if let Some((ty, check, Ok(was))) = &duties {
                let actor = self.conns.get(&conn).and_then(|c| c.actor.as_ref());
                let kept = match (actor, Record::read(automerge, ty)) {
                    (Some(actor), Ok(now)) => check(was, &now, actor),
                    (None, _) => Err("The relay does not know who sent this change.".into()),
                    // Not readable as a record now: the after-merge review shows it.
                    (_, Err(_)) => Ok(()),
                };
                if let Err(reason) = kept {
                    return self.refuse(conn, id, &before, duties::refusal(reason));
                }
            }
            self.persist(conn, id, &before);
        }
        if let Err(e) = applied {
            return self.close(conn, format!("unreadable sync data for {id}: {e}"));
        }
        if after.is_empty() {
            // Storage has none of it. Either neither side has anything (say so), or the peer
            // claims changes the relay lacks (ask for them: Automerge's `need`, from a fresh
            // state). Either way keep no state for it, only who is waiting for it: a few bytes,
            // whatever ids a peer makes up. The peer forgets its state on `doc-unavailable`
            // too; it gets the document as soon as someone uploads it, and a peer that has it
            // uploads it with its next message.
            if they_have_nothing {
                if let Some(target_id) = self.peer_of(conn) {
                    let frame = protocol::encode(&Message::DocUnavailable {
                        document_id: id,
                        sender_id: self.relay.clone(),
                        target_id,
                    });
                    self.effects.push(HubEffect::Send {
                        conn,
                        frame,
                        shows: None,
                    });
                }
            } else {
                self.send_sync(conn, id);
            }
            if let Some(doc) = self.docs.get_mut(&id) {
                doc.peers.remove(&conn);
            }
            self.evict_if_unused(&id);
            self.awaited.entry(id).or_default().insert(conn);
            return;
        }
        self.send_sync(conn, id);
        if after != before {
            let doc = self.docs.get_mut(&id).expect("still here");
            for asked in self.awaited.remove(&id).unwrap_or_default() {
                doc.peers.entry(asked).or_default();
            }
            let others: Vec<ConnId> = self.docs[&id]
                .peers
                .keys()
                .copied()
                .filter(|&c| c != conn)
                .collect();
            for other in others {
                self.send_sync(other, id);
            }
        }
    }

    /// Handles a sync message for a document held only as its stored bytes, when Automerge
    /// would need nothing but those bytes and heads to answer it; otherwise hands the message
    /// back. The message must carry no changes and need nothing, and:
    ///
    /// - The peer has nothing (empty heads) and understands V2 messages (a fresh device's
    ///   `request`): Automerge would answer with its heads, no need, and the whole document
    ///   (`save()`); the stored bytes are that document. Its `have` says "everything up to my
    ///   heads, nothing since" (Automerge says the same as a bloom filter of every change,
    ///   which needs them loaded).
    /// - Or the peer's heads are exactly ours (it has every change we have, so Automerge finds
    ///   nothing to send whatever its `have` says), and its `have` starts from nothing or from
    ///   our heads. If it is acknowledging our answer, Automerge records it and sends nothing;
    ///   if it is new (a device that already holds the document), Automerge sends its heads
    ///   and a `have` of nothing since them, which is built here exactly.
    ///
    /// The peer's sync state ends as Automerge would leave it, except that `sent_hashes` stays
    /// empty (it only saves re-sending changes, and the document is loaded before any more
    /// are sent).
    fn answer_without_loading(
        &mut self,
        conn: ConnId,
        id: DocumentId,
        message: sync::Message,
    ) -> Result<(), sync::Message> {
        let Some(doc) = self.docs.get_mut(&id) else {
            return Err(message);
        };
        let Body::Stored { bytes, heads } = &doc.body else {
            return Err(message);
        };
        let flags = message.flags.unwrap_or_default();
        if flags.contains(MessageFlags::READ_ONLY)
            || flags.contains(MessageFlags::SYNC_RESET)
            || !message.changes.is_empty()
            || !message.need.is_empty()
        {
            return Err(message);
        }
        let v2 = message.flags.is_some();
        let reply = if message.heads.is_empty()
            && v2
            && message.have.iter().all(|h| h.last_sync.is_empty())
        {
            // A fresh peer: what `receive_sync_message` records of a message with no heads and
            // no changes does not depend on the document, so the empty one records it.
            let state = doc.peers.entry(conn).or_default();
            self.empty
                .receive_sync_message(state, message)
                .expect("a message without changes applies to any document");
            Some((state, bytes.clone()))
        } else {
            let in_step = message.heads == *heads
                && message
                    .have
                    .iter()
                    .all(|h| h.last_sync.is_empty() || h.last_sync == *heads);
            if !in_step {
                return Err(message);
            }
            match doc.peers.entry(conn) {
                std::collections::hash_map::Entry::Occupied(acked) => {
                    let state = acked.into_mut();
                    if !(state.have_responded
                        && state.last_sent_heads == *heads
                        && state.sent_hashes.is_empty())
                    {
                        return Err(message);
                    }
                    // The acknowledgement of what we sent: nothing more to send.
                    receive_in_step(state, message);
                    None
                }
                std::collections::hash_map::Entry::Vacant(new) => {
                    let state = new.insert(sync::State::new());
                    receive_in_step(state, message);
                    Some((state, vec![]))
                }
            }
        };
        let Some((state, changes)) = reply else {
            return Ok(());
        };
        let reply = sync::Message {
            heads: heads.clone(),
            need: vec![],
            have: vec![sync::Have {
                last_sync: heads.clone(),
                bloom: sync::BloomFilter::default(),
            }],
            changes: if changes.is_empty() {
                sync::ChunkList::empty()
            } else {
                changes.into()
            },
            flags: Some({
                let mut f = MessageFlags::new();
                f.set(MessageFlags::SUPPORTS_SYNC_RESET);
                f
            }),
            version: if v2 {
                sync::MessageVersion::V2
            } else {
                sync::MessageVersion::V1
            },
        };
        // What `generate_sync_message` records when it sends.
        state.have_responded = true;
        state.last_sent_heads.clone_from(heads);
        state.in_flight = true;
        let data = reply.encode();
        if let Some(target_id) = self.peer_of(conn) {
            let frame = protocol::encode(&Message::Sync {
                document_id: id,
                sender_id: self.relay.clone(),
                target_id,
                data,
            });
            self.effects.push(HubEffect::Send {
                conn,
                frame,
                shows: Some(id),
            });
        }
        Ok(())
    }

    /// The document, loaded into Automerge (from its stored bytes if need be). `None` when
    /// the bytes do not load: the connection is closed.
    fn loaded_doc(&mut self, conn: ConnId, id: DocumentId) -> Option<&mut Doc> {
        let doc = self.docs.get_mut(&id).expect("in memory before on_sync");
        if let Body::Stored { bytes, .. } = &doc.body {
            match load(bytes) {
                Ok(loaded) => doc.body = Body::Loaded(Box::new(loaded)),
                Err(e) => {
                    let reason = unreadable(id, &e);
                    self.close(conn, reason);
                    return None;
                }
            }
        }
        self.docs.get_mut(&id)
    }

    fn persist(&mut self, from: ConnId, id: DocumentId, before: &[ChangeHash]) {
        let doc = self.docs.get_mut(&id).expect("present");
        let Body::Loaded(automerge) = &doc.body else {
            unreachable!("only a loaded document changes");
        };
        let changes = automerge
            .get_changes_meta(before)
            .iter()
            .map(carried_meta)
            .collect();
        // Reading every entry's hash costs about 13 µs an attachment; counting them, 4 µs.
        let listed = crate::attachments::listed(automerge);
        let attachments = if doc.attachments == Some(listed) {
            vec![]
        } else {
            doc.attachments = Some(listed);
            crate::attachments::hashes_in(automerge)
        };
        // A document's first chunk is a snapshot too: fresh devices are sent the stored bytes
        // as they are, and a compressed document loads faster than the same changes.
        let chunk = if doc.chunks >= COMPACT_AFTER_CHUNKS || before.is_empty() {
            doc.chunks = 1;
            Chunk::Snapshot(automerge.save())
        } else {
            doc.chunks += 1;
            Chunk::Incremental(automerge.save_after(before))
        };
        self.effects.push(HubEffect::Persist {
            doc: id,
            chunk,
            heads: automerge.get_heads(),
            from,
            changes,
            attachments,
        });
    }

    /// Undoes changes `conn` sent to document `id` that [`scope::admit_changes`] refused
    /// (nothing of them was persisted or sent on) and tells that connection, whose sync state
    /// for the document starts afresh (it had taken in the refused changes).
    fn refuse(&mut self, conn: ConnId, id: DocumentId, before: &[ChangeHash], refusal: Refusal) {
        let doc = self.docs.get_mut(&id).expect("present");
        let Body::Loaded(automerge) = &mut doc.body else {
            unreachable!("only a loaded document changes");
        };
        let refused: Vec<ChangeHash> = automerge
            .get_changes_meta(before)
            .iter()
            .map(|c| c.hash)
            .collect();
        if let Some(c) = self.conns.get_mut(&conn) {
            c.refused.entry(id).or_default().extend(refused);
        }
        match automerge.fork_at(before) {
            Ok(reverted) => {
                **automerge = reverted;
                doc.peers.insert(conn, sync::State::new());
            }
            Err(e) => {
                // Never expected (the heads are the document's own): drop it from memory, so
                // it is loaded again from storage, which has none of the refused changes.
                let subscribers: Vec<ConnId> = doc.peers.keys().copied().collect();
                self.docs.remove(&id);
                for other in subscribers.into_iter().filter(|&c| c != conn) {
                    self.close(other, unreadable(id, &e.to_string()));
                }
            }
        }
        self.effects.push(HubEffect::Refuse {
            conn,
            doc: id,
            refusal,
        });
    }

    /// The next Automerge sync message for one subscriber, if there is one.
    fn send_sync(&mut self, conn: ConnId, id: DocumentId) {
        let Some(target_id) = self.peer_of(conn) else {
            return;
        };
        let Some(doc) = self.docs.get_mut(&id) else {
            return;
        };
        let automerge = match &doc.body {
            Body::Loaded(automerge) => automerge.as_ref(),
            Body::Empty => &self.empty,
            // Held as stored bytes (or not at all): nothing changed since each subscriber was
            // answered.
            Body::Stored { .. } | Body::Unloaded => return,
        };
        let state = doc.peers.entry(conn).or_default();
        let Some(message) = automerge.generate_sync_message(state) else {
            return;
        };
        let frame = protocol::encode(&Message::Sync {
            document_id: id,
            sender_id: self.relay.clone(),
            target_id,
            data: message.encode(),
        });
        self.effects.push(HubEffect::Send {
            conn,
            frame,
            shows: Some(id),
        });
    }

    fn peer_of(&self, conn: ConnId) -> Option<PeerId> {
        self.conns.get(&conn).and_then(|c| c.peer.clone())
    }

    fn close(&mut self, conn: ConnId, reason: String) {
        self.disconnect(conn);
        self.effects.push(HubEffect::Close { conn, reason });
    }

    fn unsubscribe(&mut self, conn: ConnId, id: &DocumentId) {
        if let Some(doc) = self.docs.get_mut(id) {
            doc.peers.remove(&conn);
        }
        if let Some(asked) = self.awaited.get_mut(id) {
            asked.remove(&conn);
            if asked.is_empty() {
                self.awaited.remove(id);
            }
        }
        self.evict_if_unused(id);
    }

    fn evict_if_unused(&mut self, id: &DocumentId) {
        if self.docs.get(id).is_some_and(|d| d.peers.is_empty()) && !self.loading.contains_key(id) {
            self.remove_doc(id);
        }
    }

    fn remove_doc(&mut self, id: &DocumentId) -> Option<Doc> {
        let doc = self.docs.remove(id)?;
        if self.resident.remove(&doc.tick).is_some() {
            self.resident_bytes -= doc.weight;
        }
        Some(doc)
    }

    /// A message about `id` was handled: it is the most recently used, weighs what its body
    /// weighs now; then the least recently used bodies are dropped until the rest fit.
    fn used(&mut self, id: &DocumentId) {
        if let Some(doc) = self.docs.get_mut(id) {
            if self.resident.remove(&doc.tick).is_some() {
                self.resident_bytes -= doc.weight;
            }
            doc.weight = doc.body.weight();
            if doc.weight > 0 {
                self.next_tick += 1;
                doc.tick = self.next_tick;
                self.resident.insert(doc.tick, *id);
                self.resident_bytes += doc.weight;
            }
        }
        while self.resident_bytes > self.max_resident_bytes {
            let Some((_, oldest)) = self.resident.pop_first() else {
                break;
            };
            let doc = self
                .docs
                .get_mut(&oldest)
                .expect("resident documents are held");
            self.resident_bytes -= doc.weight;
            doc.weight = 0;
            doc.body = Body::Unloaded;
        }
    }
}

/// Stored bytes into Automerge, as storage wrote them (a snapshot and/or incremental chunks).
fn load(bytes: &[u8]) -> Result<Automerge, String> {
    // Automerge 0.12 panics on some inconsistent columns (SECURITY.md): for stored bytes that
    // is unreadable storage like any other.
    std::panic::catch_unwind(|| {
        let mut doc = Automerge::new();
        doc.load_incremental(bytes).map(|_| doc)
    })
    .map_err(|_| "Automerge failed on them".to_string())?
    .map_err(|e| e.to_string())
}

/// What `receive_sync_message` records of a message without changes or needs whose heads are
/// the document's (the caller checked that).
fn receive_in_step(state: &mut sync::State, message: sync::Message) {
    state.in_flight = false;
    if let Some(flags) = message.flags {
        let mut caps = vec![sync::Capability::MessageV2];
        if flags.contains(MessageFlags::SUPPORTS_SYNC_RESET) {
            caps.push(sync::Capability::SyncReset);
        }
        state.their_capabilities = Some(caps);
        state.peer_read_only = false;
    }
    state.last_sent_heads.clone_from(&message.heads);
    state.shared_heads.clone_from(&message.heads);
    state.their_have = Some(message.have);
    state.their_heads = Some(message.heads);
    state.their_need = Some(message.need);
}

fn unreadable(id: DocumentId, e: &str) -> String {
    format!("the relay cannot read document {id} from its storage ({e}); try later")
}
