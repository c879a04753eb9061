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
//!   but it keeps the asker subscribed, so the document reaches it as soon as someone uploads it.
//! - `ephemeral` messages (presence, cursors) are forwarded to the other connections that have
//!   the document open and never stored.
//! - A peer that has nothing of a document (a fresh device's `request`) is answered with the
//!   document's stored bytes as they are, in the message Automerge itself would send (a V2
//!   sync message carrying the whole document), and its acknowledgement is recognised as
//!   such: serving a fresh device neither loads the document into Automerge nor saves it
//!   again (loading and `save()`'s DEFLATE were most of the relay's cost per document). The
//!   document is loaded the first time anything else happens to it.

use std::collections::{HashMap, HashSet, VecDeque};

use automerge::{
    Automerge, AutomergeError, ChangeHash,
    sync::{self, MessageFlags, SyncDoc},
};

use super::changes::{CarriedChange, carried};
use crate::access;
use crate::ids::{DocumentId, PeerId};
use crate::protocol::{self, Message, PROTOCOL_VERSION, PeerMetadata};
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
    },
    /// Send this frame on this connection.
    Send { conn: ConnId, frame: Vec<u8> },
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
}

struct Doc {
    body: Body,
    chunks: u32,
    /// Per subscribed connection, Automerge's sync state for this document.
    peers: HashMap<ConnId, sync::State>,
}

/// A document in memory: loaded into Automerge, or only as storage holds it.
enum Body {
    Loaded(Box<Automerge>),
    /// The stored bytes and their heads: enough to give the whole document to a peer that has
    /// none of it. Loaded into Automerge as soon as anything else happens to it.
    Stored {
        bytes: Vec<u8>,
        heads: Vec<ChangeHash>,
    },
}

/// A frame waiting for its document to load.
struct Waiting {
    conn: ConnId,
    message: Message,
}

/// The relay's sync state: connections, the documents they have open, per-pair sync states.
pub struct Hub {
    relay: PeerId,
    conns: HashMap<ConnId, Conn>,
    docs: HashMap<DocumentId, Doc>,
    loading: HashMap<DocumentId, VecDeque<Waiting>>,
    effects: Vec<HubEffect>,
    /// Stays empty: receives a fresh peer's first message into its sync state (see
    /// [`Hub::answer_without_loading`]).
    empty: Automerge,
}

impl Hub {
    pub fn new(relay: PeerId) -> Self {
        Self {
            relay,
            conns: HashMap::new(),
            docs: HashMap::new(),
            loading: HashMap::new(),
            effects: vec![],
            empty: Automerge::new(),
        }
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
            },
        );
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
            self.effects.push(HubEffect::Send { conn, frame });
        }
    }

    /// Storage answered a [`HubEffect::Load`]: `None` when it does not have the document.
    pub fn loaded(&mut self, id: DocumentId, stored: Option<Stored>) {
        if !self.loading.contains_key(&id) {
            return;
        }
        let (body, chunks) = match stored {
            None => (Body::Loaded(Box::default()), 0),
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
        let waiting = self
            .loading
            .get_mut(&id)
            .map(std::mem::take)
            .unwrap_or_default();
        self.docs.insert(
            id,
            Doc {
                body,
                chunks,
                peers: HashMap::new(),
            },
        );
        for w in waiting {
            // The connection may have gone while the document loaded.
            if self.conns.contains_key(&w.conn) {
                self.on_doc_message(w.conn, id, w.message);
            }
        }
        self.loading.remove(&id);
        self.evict_if_unused(&id);
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
                self.effects.push(HubEffect::Send { conn, frame: reply });
            }
            other if !joined => self.close(conn, format!("'{}' before 'join'", other.type_name())),
            Message::Leave { .. } => self.close(conn, "left".into()),
            Message::Error { message } => self.close(conn, format!("the peer reported: {message}")),
            m @ (Message::Request { .. } | Message::Sync { .. } | Message::Ephemeral { .. }) => {
                let id = *m.document_id().expect("these carry a document");
                if self.docs.contains_key(&id) {
                    self.on_doc_message(conn, id, m);
                } else {
                    let queue = self.loading.entry(id).or_default();
                    if queue.is_empty() {
                        self.effects.push(HubEffect::Load(id));
                    }
                    queue.push_back(Waiting { conn, message: m });
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
                    self.effects.push(HubEffect::Send { conn: other, frame });
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
        let Some(doc) = self.loaded_doc(conn, id) else {
            return;
        };
        let state = doc.peers.entry(conn).or_default();
        let Body::Loaded(automerge) = &mut doc.body else {
            unreachable!("loaded_doc loads it");
        };
        let they_have_nothing = message.heads.is_empty();
        let before = automerge.get_heads();
        let scope_before = access::record_scope(automerge);
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
            self.persist(conn, id, &before);
        }
        if let Err(e) = applied {
            return self.close(conn, format!("unreadable sync data for {id}: {e}"));
        }
        let doc = self.docs.get_mut(&id).expect("still here");
        if after.is_empty() && they_have_nothing {
            // Neither side has anything: say so, and start afresh when someone uploads it
            // (the device forgets its sync state on `doc-unavailable` too).
            doc.peers.insert(conn, sync::State::new());
            if let Some(target_id) = self.peer_of(conn) {
                let frame = protocol::encode(&Message::DocUnavailable {
                    document_id: id,
                    sender_id: self.relay.clone(),
                    target_id,
                });
                self.effects.push(HubEffect::Send { conn, frame });
            }
            return;
        }
        self.send_sync(conn, id);
        if after != before {
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
            self.effects.push(HubEffect::Send { conn, frame });
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
        let changes = automerge.get_changes(before).iter().map(carried).collect();
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
                    self.close(other, unreadable(id, &e));
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
        let Body::Loaded(automerge) = &doc.body else {
            // Held as stored bytes: nothing changed since each subscriber was answered.
            return;
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
        self.effects.push(HubEffect::Send { conn, frame });
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
        self.evict_if_unused(id);
    }

    fn evict_if_unused(&mut self, id: &DocumentId) {
        if self.docs.get(id).is_some_and(|d| d.peers.is_empty()) && !self.loading.contains_key(id) {
            self.docs.remove(id);
        }
    }
}

/// Stored bytes into Automerge, as storage wrote them (a snapshot and/or incremental chunks).
fn load(bytes: &[u8]) -> Result<Automerge, AutomergeError> {
    let mut doc = Automerge::new();
    doc.load_incremental(bytes)?;
    Ok(doc)
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

fn unreadable(id: DocumentId, e: &AutomergeError) -> String {
    format!("the relay cannot read document {id} from its storage ({e}); try later")
}
