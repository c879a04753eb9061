use std::collections::HashMap;

use automerge::{
    Automerge, ChangeHash,
    sync::{self, SyncDoc},
};

use super::docs::Docs;
use super::held::relay_version;
use crate::ids::{DocumentId, PeerId};
use crate::protocol::{self, DecodeError, Message, PROTOCOL_VERSION, PeerMetadata};
use crate::refusal::Refusal;

/// What the app must do after feeding the session an event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Send this frame to the relay.
    Send(Vec<u8>),
    /// The relay's changes were applied to this document (it may be new to the device):
    /// persist it and refresh what shows it.
    DocChanged(DocumentId),
    /// The relay now has these heads of the document: persist them, so the count of changes
    /// not yet on the relay is right even after a reload.
    RelayHas {
        doc: DocumentId,
        heads: Vec<ChangeHash>,
    },
    /// The relay does not have the document (nor does anyone it knows).
    Unavailable(DocumentId),
    /// The handshake is done; documents are syncing.
    Ready { relay: PeerId },
    /// The relay reported a protocol error and will close the connection.
    RemoteError(String),
    /// The relay did not accept this device's changes to the document. The session now holds
    /// them back (see [`Session::hold`]); the app keeps the refusal with the record.
    Refused { doc: DocumentId, refusal: Refusal },
}

/// Why the session cannot go on; the app closes the socket and reconnects later.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error("the relay sent a malformed message: {0}")]
    Decode(#[from] DecodeError),
    #[error("the relay sent '{0}' before completing the handshake")]
    BeforeHandshake(&'static str),
    #[error("the relay sent an unexpected '{0}' message")]
    Unexpected(&'static str),
    #[error("the relay chose protocol version '{0}', which this app does not speak")]
    UnsupportedVersion(String),
    #[error("the relay sent unreadable sync data for document {doc}: {detail}")]
    BadSyncData { doc: DocumentId, detail: String },
}

enum Phase {
    /// Created; `open` not called yet.
    Idle,
    /// `join` sent, waiting for `peer`.
    Joining,
    Ready {
        relay: PeerId,
    },
}

#[derive(Default)]
struct DocSync {
    state: sync::State,
    /// The relay heads last reported through [`Effect::RelayHas`].
    reported: Option<Vec<ChangeHash>>,
}

/// One connection's sync state. See the module docs.
pub struct Session {
    our_id: PeerId,
    phase: Phase,
    docs: HashMap<DocumentId, DocSync>,
    /// Documents to sync once the handshake is done; `None` for all the device holds.
    plan: Option<Vec<DocumentId>>,
    /// Documents whose local changes the relay refused, each as the relay has it: what this
    /// session syncs instead of the device's copy, so the refused changes are never offered
    /// again while everything the relay has still comes down.
    held: HashMap<DocumentId, Automerge>,
}

impl Session {
    /// A session that syncs every document the device holds: the first connection.
    pub fn new(our_id: PeerId) -> Self {
        Self {
            our_id,
            phase: Phase::Idle,
            docs: HashMap::new(),
            plan: None,
            held: HashMap::new(),
        }
    }

    /// A session that syncs only `plan` when it opens (see [`super::reconnect_plan`]), so a
    /// reconnect costs what changed, not what the device holds. Other documents still sync
    /// as soon as they are edited or the relay sends something about them.
    pub fn resume(our_id: PeerId, plan: Vec<DocumentId>) -> Self {
        Self {
            plan: Some(plan),
            ..Self::new(our_id)
        }
    }

    pub fn is_ready(&self) -> bool {
        matches!(self.phase, Phase::Ready { .. })
    }

    /// The socket is open: the frames to send (the `join`).
    pub fn open(&mut self) -> Vec<Vec<u8>> {
        self.phase = Phase::Joining;
        self.docs.clear();
        vec![protocol::encode(&Message::Join {
            sender_id: self.our_id.clone(),
            supported_protocol_versions: vec![PROTOCOL_VERSION.to_string()],
            metadata: Some(PeerMetadata {
                storage_id: None,
                is_ephemeral: false,
            }),
        })]
    }

    /// A document was created or edited on this device: the frames that carry the change to the
    /// relay (none while offline or mid-handshake; everything goes once the session is ready).
    pub fn local_change(&mut self, id: &DocumentId, docs: &dyn Docs) -> Vec<Vec<u8>> {
        let Phase::Ready { relay } = &self.phase else {
            return vec![];
        };
        let relay = relay.clone();
        self.message_for(*id, docs, &relay).into_iter().collect()
    }

    /// Holds back the changes of `id` beyond `relay_heads` (the relay refused them): from now on
    /// this session syncs the document as the relay has it, and merges what comes from the
    /// relay into the device's copy. Returns the frames that restart its sync (none before
    /// the handshake).
    pub fn hold(
        &mut self,
        id: DocumentId,
        relay_heads: &[ChangeHash],
        docs: &dyn Docs,
    ) -> Vec<Vec<u8>> {
        let view = docs
            .get(&id)
            .map(|doc| relay_version(doc, relay_heads))
            .unwrap_or_default();
        // The exchange about the device's copy ends; the relay's version starts afresh.
        self.docs.remove(&id);
        self.held.insert(id, view);
        self.local_change(&id, docs)
    }

    /// Offers the device's copy of `id` again (the person retries a refused change, or
    /// discarded it): the frames that restart its sync.
    pub fn release(&mut self, id: &DocumentId, docs: &dyn Docs) -> Vec<Vec<u8>> {
        if self.held.remove(id).is_none() {
            return vec![];
        }
        self.docs.remove(id);
        // Released mid-handshake: it goes with the plan once the session is ready.
        if let Some(plan) = &mut self.plan {
            plan.push(*id);
        }
        self.local_change(id, docs)
    }

    pub fn is_held(&self, id: &DocumentId) -> bool {
        self.held.contains_key(id)
    }

    /// A frame arrived from the relay.
    pub fn receive(
        &mut self,
        frame: &[u8],
        docs: &mut dyn Docs,
    ) -> Result<Vec<Effect>, ProtocolError> {
        let message = protocol::decode(frame)?;
        match (&self.phase, message) {
            (_, Message::Error { message }) => Ok(vec![Effect::RemoteError(message)]),
            (
                Phase::Ready { .. },
                Message::Refused {
                    document_id,
                    refusal,
                },
            ) => {
                let mut effects = vec![Effect::Refused {
                    doc: document_id,
                    refusal,
                }];
                if !self.is_held(&document_id) {
                    // Held at what both sides are known to have: nothing the relay refused.
                    let shared = self
                        .docs
                        .get(&document_id)
                        .map(|d| d.state.shared_heads.clone())
                        .unwrap_or_default();
                    effects.extend(
                        self.hold(document_id, &shared, docs)
                            .into_iter()
                            .map(Effect::Send),
                    );
                }
                Ok(effects)
            }
            (
                Phase::Joining,
                Message::Peer {
                    sender_id,
                    selected_protocol_version,
                    ..
                },
            ) => {
                if selected_protocol_version != PROTOCOL_VERSION {
                    return Err(ProtocolError::UnsupportedVersion(selected_protocol_version));
                }
                self.phase = Phase::Ready {
                    relay: sender_id.clone(),
                };
                let mut effects = vec![Effect::Ready {
                    relay: sender_id.clone(),
                }];
                let mut ids = match &self.plan {
                    Some(plan) => plan.clone(),
                    None => docs.ids(),
                };
                ids.sort();
                ids.dedup();
                for id in ids {
                    if let Some(frame) = self.message_for(id, docs, &sender_id) {
                        effects.push(Effect::Send(frame));
                    }
                }
                Ok(effects)
            }
            (
                Phase::Ready { relay },
                Message::Sync {
                    document_id, data, ..
                },
            ) => {
                let relay = relay.clone();
                self.receive_sync(document_id, &data, docs, &relay)
            }
            (
                Phase::Ready { relay },
                Message::Request {
                    document_id, data, ..
                },
            ) => {
                let relay = relay.clone();
                let have = self.is_held(&document_id)
                    || docs
                        .get(&document_id)
                        .is_some_and(|d| !d.get_heads().is_empty());
                if have {
                    self.receive_sync(document_id, &data, docs, &relay)
                } else {
                    Ok(vec![Effect::Send(protocol::encode(
                        &Message::DocUnavailable {
                            document_id,
                            sender_id: self.our_id.clone(),
                            target_id: relay,
                        },
                    ))])
                }
            }
            (Phase::Ready { .. }, Message::DocUnavailable { document_id, .. }) => {
                // Forget the exchange so a later local change starts afresh.
                self.docs.remove(&document_id);
                Ok(vec![Effect::Unavailable(document_id)])
            }
            // Presence and third-party heads: not used by Outpost devices yet.
            (
                Phase::Ready { .. },
                Message::Ephemeral { .. }
                | Message::RemoteHeadsChanged { .. }
                | Message::RemoteSubscriptionChange { .. }
                | Message::Leave { .. },
            ) => Ok(vec![]),
            (Phase::Ready { .. }, other) => Err(ProtocolError::Unexpected(other.type_name())),
            (_, other) => Err(ProtocolError::BeforeHandshake(other.type_name())),
        }
    }

    fn receive_sync(
        &mut self,
        id: DocumentId,
        data: &[u8],
        docs: &mut dyn Docs,
        relay: &PeerId,
    ) -> Result<Vec<Effect>, ProtocolError> {
        let bad = |detail: String| ProtocolError::BadSyncData { doc: id, detail };
        let message = sync::Message::decode(data).map_err(|e| bad(e.to_string()))?;
        if docs.get(&id).is_none() {
            docs.insert(id, Automerge::new());
        }
        let entry = self.docs.entry(id).or_default();
        let mut effects = vec![];
        let changed = match self.held.get_mut(&id) {
            // A held document: the relay's version takes the message, and the device's copy
            // gains what it brought (the refused changes stay where they are).
            Some(view) => {
                let before = view.get_heads();
                view.receive_sync_message(&mut entry.state, message)
                    .map_err(|e| bad(e.to_string()))?;
                let doc = docs.get_mut(&id).expect("inserted above");
                let local = doc.get_heads();
                if view.get_heads() != before {
                    doc.merge(&mut view.clone())
                        .map_err(|e| bad(e.to_string()))?;
                }
                doc.get_heads() != local
            }
            None => {
                let doc = docs.get_mut(&id).expect("inserted above");
                let before = doc.get_heads();
                doc.receive_sync_message(&mut entry.state, message)
                    .map_err(|e| bad(e.to_string()))?;
                doc.get_heads() != before
            }
        };
        if changed {
            effects.push(Effect::DocChanged(id));
        }
        let shared = entry.state.shared_heads.clone();
        if entry.reported.as_ref() != Some(&shared) && !shared.is_empty() {
            entry.reported = Some(shared.clone());
            effects.push(Effect::RelayHas {
                doc: id,
                heads: shared,
            });
        }
        if let Some(frame) = self.message_for(id, docs, relay) {
            effects.push(Effect::Send(frame));
        }
        Ok(effects)
    }

    /// The next sync frame for `id`: of the relay's version when the document is held, else of
    /// the device's copy.
    fn message_for(&mut self, id: DocumentId, docs: &dyn Docs, relay: &PeerId) -> Option<Vec<u8>> {
        match self.held.remove(&id) {
            Some(view) => {
                let frame = self.next_message(id, &view, relay);
                self.held.insert(id, view);
                frame
            }
            None => docs
                .get(&id)
                .and_then(|doc| self.next_message(id, doc, relay)),
        }
    }

    /// The next sync frame for a document, if the Automerge sync protocol has one to send.
    /// An empty document is asked for with `request`, as automerge-repo does.
    fn next_message(&mut self, id: DocumentId, doc: &Automerge, relay: &PeerId) -> Option<Vec<u8>> {
        let entry = self.docs.entry(id).or_default();
        let data = doc.generate_sync_message(&mut entry.state)?.encode();
        let (sender_id, target_id) = (self.our_id.clone(), relay.clone());
        let message = if doc.get_heads().is_empty() {
            Message::Request {
                document_id: id,
                sender_id,
                target_id,
                data,
            }
        } else {
            Message::Sync {
                document_id: id,
                sender_id,
                target_id,
                data,
            }
        };
        Some(protocol::encode(&message))
    }
}
