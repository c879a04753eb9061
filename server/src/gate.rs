//! What a connection may send and receive. Every inbound frame is decoded by `shared`'s codec
//! (with bounds on CBOR items), its sync data read within `shared::protocol::limits` before
//! Automerge parses any of it, and checked against the person's access to its document
//! (`shared::access`) before the sync hub sees it: whether the person may write a document is
//! decided before its changes are inflated. Every outbound frame is checked again before it
//! leaves. The gate writes nothing itself: a document's first scope goes into the hub's batch,
//! committed with the document's bytes and receipts.

use std::collections::HashMap;

use shared::{
    access::{self, Access, RecordScope},
    ids::{DocumentId, PeerId},
    protocol::{
        self, DecodeError, Message,
        limits::{self, Refusal, Shape},
    },
    sync::whole_document_in,
};

use crate::limits::Limit;
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
    /// Send an `error` with this reason and close the connection.
    Close(String),
    /// The frame crossed this bound: send an `error` with the reason and close the connection.
    Exceeded(Limit, String),
}

pub struct Gate<'a> {
    pub store: &'a Store,
    pub session: &'a SessionInfo,
    /// Scopes set earlier in the batch being built, not committed yet.
    pub pending: &'a HashMap<String, RecordScope>,
    /// What one sync message may cost.
    pub limits: &'a limits::Limits,
}

impl Gate<'_> {
    pub fn inbound(&self, frame: &[u8]) -> Result<Inbound, StoreError> {
        let message = match protocol::decode(frame) {
            Ok(m) => m,
            Err(DecodeError::NotCbor(e)) if e.is_bound() => {
                return Ok(Inbound::Exceeded(
                    Limit::Cbor,
                    format!("message refused: {e}"),
                ));
            }
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
            Message::Ephemeral { document_id, .. }
            | Message::DocUnavailable { document_id, .. } => (*document_id, None),
            _ => return forward(message),
        };
        let shape = match data.map(|d| limits::shape(d)).transpose() {
            Ok(shape) => shape,
            Err(refusal) => return Ok(refused(id, refusal)),
        };
        let carries_changes = shape.as_ref().is_some_and(Shape::carries_changes);
        let measure = || match shape.as_ref().map(|s| s.measure(self.limits)) {
            Some(Err(refusal)) => Err(refusal),
            _ => Ok(()),
        };
        let mut new_scope = None;
        let scope = match self.scope(&id.to_string())? {
            Some(scope) => scope,
            None if !carries_changes => return forward(message),
            None => {
                // Measured within bounds before it is loaded to find out whose it is.
                if let Err(refusal) = measure() {
                    return Ok(refused(id, refusal));
                }
                match data.and_then(|d| new_document_scope(d)) {
                    Some(scope) => {
                        new_scope = Some(scope.clone());
                        scope
                    }
                    None => {
                        return Ok(Inbound::Close(format!(
                            "document {id} arrived without its creation, so the relay cannot tell whose it is; sync it from the device that created it"
                        )));
                    }
                }
            }
        };
        let access = access::access(&self.session.person.access, &scope);
        // Changes to a known document are measured (inflated, within bounds) only once the
        // person may write it.
        if access == Access::ReadWrite
            && new_scope.is_none()
            && let Err(refusal) = measure()
        {
            return Ok(refused(id, refusal));
        }
        match access {
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

/// A sync message that crossed a bound, as the gate's answer.
fn refused(id: DocumentId, refusal: Refusal) -> Inbound {
    Inbound::Exceeded(
        refusal.bound().into(),
        format!("sync data for {id} refused: {refusal}"),
    )
}

/// The scope of a document arriving whole for the first time. A document that is not an
/// Outpost record is unscoped.
fn new_document_scope(sync_data: &[u8]) -> Option<RecordScope> {
    let doc = whole_document_in(sync_data)?;
    Some(access::record_scope(&doc).unwrap_or_default())
}
