//! What a connection may send and receive. Every inbound frame is decoded by `shared`'s codec
//! and checked against the person's access to its document (`shared::access`) before the sync
//! hub sees it; every outbound frame is checked again before it leaves. The gate writes
//! nothing itself: a document's first scope goes into the hub's batch, committed with the
//! document's bytes and receipts.

use std::collections::HashMap;

use automerge::sync;
use shared::{
    access::{self, Access, RecordScope},
    ids::{DocumentId, PeerId},
    protocol::{self, Message},
    scope,
    sync::whole_document_in,
};

use crate::store::{SessionInfo, Store, StoreError};

/// The relay's peer id in the protocol.
pub const RELAY_PEER: &str = "outpost-relay";

/// What to do with an inbound frame.
#[derive(Debug)]
pub enum Inbound {
    /// Hand the message to the hub. `new_scope` is set when the frame carries the creation of a
    /// document the relay has never seen: store it with the batch.
    Forward {
        message: Message,
        new_scope: Option<RecordScope>,
    },
    /// Answer the device with this frame instead (e.g. `doc-unavailable`); the hub never sees it.
    Answer(Vec<u8>),
    /// Drop the message (counted as refused): an `ephemeral` the person may not broadcast.
    Ignore,
    /// Send an `error` with this reason and close the connection.
    Close(String),
}

pub struct Gate<'a> {
    pub store: &'a Store,
    pub session: &'a SessionInfo,
    /// Scopes set earlier in the batch being built, not committed yet.
    pub pending: &'a HashMap<String, RecordScope>,
}

impl Gate<'_> {
    pub fn inbound(&self, frame: &[u8]) -> Result<Inbound, StoreError> {
        let message = match protocol::decode(frame) {
            Ok(m) => m,
            Err(e) => return Ok(Inbound::Close(format!("malformed message: {e}"))),
        };
        let forward = |message| {
            Ok(Inbound::Forward {
                message,
                new_scope: None,
            })
        };
        let (id, data) = match &message {
            Message::Sync {
                document_id, data, ..
            }
            | Message::Request {
                document_id, data, ..
            } => (*document_id, Some(data)),
            Message::Ephemeral { document_id, .. } => {
                // Broadcasting to the people working a record is writing: it needs write
                // access to a document the relay holds (the hub names the real sender).
                let writable = self.scope(&document_id.to_string())?.is_some_and(|s| {
                    access::access(&self.session.person.access, &s) == Access::ReadWrite
                });
                return Ok(if writable {
                    Inbound::Forward {
                        message,
                        new_scope: None,
                    }
                } else {
                    Inbound::Ignore
                });
            }
            Message::DocUnavailable { document_id, .. } => (*document_id, None),
            _ => return forward(message),
        };
        let carries_changes = match data.map(|d| sync::Message::decode(d)) {
            Some(Ok(m)) => !m.changes.is_empty(),
            Some(Err(e)) => {
                return Ok(Inbound::Close(format!(
                    "unreadable sync data for {id}: {e}"
                )));
            }
            None => false,
        };
        let mut new_scope = None;
        let scope = match self.scope(&id.to_string())? {
            Some(scope) => scope,
            None if !carries_changes => return forward(message),
            None => match data.and_then(|d| whole_document_in(d)) {
                Some(doc) => match scope::new_document(&id, &doc) {
                    Ok(scope) => {
                        new_scope = Some(scope.clone());
                        scope
                    }
                    Err(reason) => return Ok(Inbound::Close(reason)),
                },
                None => {
                    return Ok(Inbound::Close(format!(
                        "document {id} arrived without its creation, so the relay cannot tell whose it is; sync it from the device that created it"
                    )));
                }
            },
        };
        match access::access(&self.session.person.access, &scope) {
            Access::None => Ok(Inbound::Answer(self.unavailable(id))),
            Access::Read if carries_changes => Ok(Inbound::Close(format!(
                "your role can read {id} but not change it; the change was not accepted"
            ))),
            Access::Read | Access::ReadWrite => Ok(Inbound::Forward { message, new_scope }),
        }
    }

    /// Whether the hub's frame may go to this device: never a document out of its scope.
    pub fn outbound(&self, frame: &[u8]) -> Result<bool, StoreError> {
        let Ok(message) = protocol::decode(frame) else {
            return Ok(true);
        };
        // "Not here for you" is what out-of-scope documents are answered anyway.
        if matches!(message, Message::DocUnavailable { .. }) {
            return Ok(true);
        }
        let Some(id) = message.document_id() else {
            return Ok(true);
        };
        Ok(match self.scope(&id.to_string())? {
            Some(scope) => access::access(&self.session.person.access, &scope) != Access::None,
            None => true,
        })
    }

    fn scope(&self, key: &str) -> Result<Option<RecordScope>, StoreError> {
        match self.pending.get(key) {
            Some(scope) => Ok(Some(scope.clone())),
            None => self.store.document_scope(key),
        }
    }

    fn unavailable(&self, id: DocumentId) -> Vec<u8> {
        protocol::encode(&Message::DocUnavailable {
            document_id: id,
            sender_id: PeerId::from(RELAY_PEER),
            target_id: PeerId(self.session.device.clone()),
        })
    }
}
