use std::collections::BTreeMap;

use crate::ids::{DocumentId, PeerId};
use crate::refusal::Refusal;

/// The only protocol version automerge-repo speaks today.
pub const PROTOCOL_VERSION: &str = "1";

/// Sent in `join` and `peer`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PeerMetadata {
    /// Present when the peer keeps documents in durable storage.
    pub storage_id: Option<String>,
    /// True when the peer will not come back with the same storage.
    pub is_ephemeral: bool,
}

/// In `remote-heads-changed`: a storage id's heads (base64 change hashes) and when they were seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeadsInfo {
    pub heads: Vec<String>,
    pub timestamp: u64,
}

/// One protocol message. `data` fields carry Automerge sync or ephemeral payloads as-is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// First message of the connecting side.
    Join {
        sender_id: PeerId,
        supported_protocol_versions: Vec<String>,
        metadata: Option<PeerMetadata>,
    },
    /// The accepting side's answer to `join`.
    Peer {
        sender_id: PeerId,
        target_id: PeerId,
        selected_protocol_version: String,
        metadata: Option<PeerMetadata>,
    },
    Leave {
        sender_id: PeerId,
    },
    /// Like `sync`, from a peer that does not have the document yet.
    Request {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
        data: Vec<u8>,
    },
    Sync {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
        data: Vec<u8>,
    },
    DocUnavailable {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
    },
    Ephemeral {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
        count: u64,
        session_id: String,
        data: Vec<u8>,
    },
    /// A protocol error; the sender closes the connection after it.
    Error {
        message: String,
    },
    /// Outpost's extension: the relay did not accept a write to `document_id`. The changes were
    /// not applied and the connection stays open. On the wire it is an `error` with two more
    /// fields, `documentId` and `refusal` (the code), and the reason as its `message` (see the
    /// module docs for why).
    Refused {
        document_id: DocumentId,
        refusal: Refusal,
    },
    RemoteSubscriptionChange {
        sender_id: PeerId,
        target_id: PeerId,
        add: Vec<String>,
        remove: Vec<String>,
    },
    /// The heads other peers (by storage id) have of a document.
    RemoteHeadsChanged {
        document_id: DocumentId,
        sender_id: PeerId,
        target_id: PeerId,
        new_heads: BTreeMap<String, HeadsInfo>,
    },
}

impl Message {
    /// The wire name of the message type.
    pub fn type_name(&self) -> &'static str {
        match self {
            Message::Join { .. } => "join",
            Message::Peer { .. } => "peer",
            Message::Leave { .. } => "leave",
            Message::Request { .. } => "request",
            Message::Sync { .. } => "sync",
            Message::DocUnavailable { .. } => "doc-unavailable",
            Message::Ephemeral { .. } => "ephemeral",
            Message::Error { .. } | Message::Refused { .. } => "error",
            Message::RemoteSubscriptionChange { .. } => "remote-subscription-change",
            Message::RemoteHeadsChanged { .. } => "remote-heads-changed",
        }
    }

    /// The document a message is about, if any.
    pub fn document_id(&self) -> Option<&DocumentId> {
        match self {
            Message::Request { document_id, .. }
            | Message::Sync { document_id, .. }
            | Message::DocUnavailable { document_id, .. }
            | Message::Ephemeral { document_id, .. }
            | Message::RemoteHeadsChanged { document_id, .. }
            | Message::Refused { document_id, .. } => Some(document_id),
            _ => None,
        }
    }
}
