//! What a connection may send and receive. Every inbound frame is decoded by `shared`'s codec
//! (with bounds on CBOR items), its sync data read within `shared::protocol::limits` before
//! Automerge parses any of it, and checked against the person's access to its document
//! (`shared::access`) before the sync hub sees it: whether the person may write a document is
//! decided before its changes are inflated. Every outbound frame is checked again before it
//! leaves. The gate writes nothing itself: a document's first scope goes into the hub's batch,
//! committed with the document's bytes and receipts.
//!
//! A write the person may not make is refused, never half-applied: the hub does not see the
//! frame, the device is told which document and why (`Message::Refused`), and the connection
//! stays open, so one refused record never stops the others from syncing. A change too large
//! for the relay's bounds is refused the same way (`limit`): an honest device that made one
//! keeps it and goes on syncing the rest. What no honest peer sends (malformed sync data, a
//! Bloom filter Automerge would choke on, CBOR past its bounds) closes the connection.
//!
//! A record the person may not even read is answered as if it did not exist (`doc-unavailable`),
//! so nobody learns from the relay what lies outside their scope. The one exception is a write
//! whose changes build on history the relay logged for that record: its sender evidently held
//! the record (their access has changed since), so telling them it is out of their scope
//! reveals nothing, and their device can mark the change as not accepted. Someone who merely
//! knows or guesses an id cannot build on its history (change hashes cover their content) and
//! gets the same `doc-unavailable` as for an id that does not exist.

use std::collections::{HashMap, HashSet};

use shared::{
    access::{self, Access, RecordScope},
    ids::{DocumentId, PeerId},
    protocol::{
        self, DecodeError, Message,
        limits::{self, Shape},
    },
    refusal::{Refusal, RefusalCode},
    scope,
    sync::{changes_in, whole_document_in},
};

use crate::limits::Limit;
use crate::store::{SessionInfo, Store, StoreError};

/// The relay's peer id in the protocol.
pub const RELAY_PEER: &str = "outpost-relay";

/// How many change hashes of a refused write are looked up as proof that its sender held the
/// document: its dependencies come first, and one suffices.
const MAX_PROOF_HASHES: usize = 64;

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
    /// A write the person may not make: not applied; the device is told why and the
    /// connection stays open. `limit` names the bound it crossed, if that is why.
    Refuse {
        document: DocumentId,
        refusal: Refusal,
        limit: Option<Limit>,
    },
    /// Send an `error` with this reason and close the connection.
    Close(String),
    /// The frame crossed this bound: send an `error` with the reason and close the connection.
    Exceeded(Limit, String),
}

/// What [`Gate::inbound`] reads of a document the relay has never seen: whose it is, from
/// the whole document a sync message carries ([`read_creation`]).
#[derive(Debug)]
pub enum Creation {
    /// Not read ahead: the gate reads it if it needs to.
    Unread,
    /// The message's changes are not a whole document.
    NotWhole,
    /// The document's scope, or why it is refused ([`scope::new_document`]).
    Read(Result<RecordScope, Refusal>),
}

/// Reads ahead what the gate would read of `message` if its document turns out to be new
/// (within the bounds the gate measures first), so that the connection's own task does it
/// rather than the one sync thread, which then loads the document only to apply it. Automerge
/// 0.12 can panic on a broken document (SECURITY.md): then it is left unread and the gate
/// reads it under its own guard.
pub fn read_creation(message: &Message, bounds: &limits::Limits) -> Creation {
    let (Message::Sync {
        document_id, data, ..
    }
    | Message::Request {
        document_id, data, ..
    }) = message
    else {
        return Creation::Unread;
    };
    match limits::shape(data) {
        Ok(shape) if shape.carries_changes() && shape.measure(bounds).is_ok() => {}
        _ => return Creation::Unread,
    }
    std::panic::catch_unwind(|| match whole_document_in(data) {
        Some(doc) => Creation::Read(scope::new_document(document_id, &doc)),
        None => Creation::NotWhole,
    })
    .unwrap_or(Creation::Unread)
}

pub struct Gate<'a> {
    pub store: &'a Store,
    pub session: &'a SessionInfo,
    /// Scopes set earlier in the batch being built, not committed yet.
    pub pending: &'a HashMap<String, RecordScope>,
    /// Documents found with no stored scope as the batch began (`Store::unscoped`): not
    /// looked up again. Another relay storing one meanwhile is no different from its storing
    /// it just after a lookup: the first scope stored stays.
    pub unscoped: &'a HashSet<String>,
    /// What one sync message may cost.
    pub limits: &'a limits::Limits,
}

impl Inbound {
    fn refuse(document: DocumentId, refusal: Refusal) -> Inbound {
        Inbound::Refuse {
            document,
            refusal,
            limit: None,
        }
    }
}

impl Gate<'_> {
    /// `decoded`: the frame as `protocol::decode` read it; `creation`: what [`read_creation`]
    /// read of it, if it was asked to.
    pub fn inbound(
        &self,
        decoded: Result<Message, DecodeError>,
        creation: Creation,
    ) -> Result<Inbound, StoreError> {
        let message = match decoded {
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
        let shape = match data.map(|d| limits::shape(d)).transpose() {
            Ok(shape) => shape,
            Err(refusal) => return Ok(exceeded(id, refusal)),
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
                    return Ok(exceeded(id, refusal));
                }
                let creation = match creation {
                    Creation::Unread => match data.and_then(|d| whole_document_in(d)) {
                        Some(doc) => Creation::Read(scope::new_document(&id, &doc)),
                        None => Creation::NotWhole,
                    },
                    read => read,
                };
                match creation {
                    Creation::Read(read) => match read {
                        Ok(scope) => {
                            new_scope = Some(scope.clone());
                            scope
                        }
                        Err(refusal) => return Ok(Inbound::refuse(id, refusal)),
                    },
                    // Changes to a document the relay does not have, without its creation: it
                    // cannot tell whose it is, so it has no such document for this device (the
                    // answer a record outside the person's scope gets too: neither tells the
                    // other).
                    Creation::NotWhole | Creation::Unread => {
                        return Ok(Inbound::Answer(self.unavailable(id)));
                    }
                }
            }
        };
        let person = &self.session.person.access;
        let access = access::access(person, &scope);
        // Changes to a known document are measured (inflated, within bounds) only once the
        // person may write it, or before they are read as proof of having held it.
        let written = access == Access::ReadWrite && new_scope.is_none();
        let proof = access == Access::None && carries_changes && new_scope.is_none();
        if (written || proof)
            && let Err(refusal) = measure()
        {
            return Ok(exceeded(id, refusal));
        }
        match access {
            Access::ReadWrite => Ok(Inbound::Forward { message, new_scope }),
            Access::Read if !carries_changes => Ok(Inbound::Forward { message, new_scope }),
            Access::None if !(proof && self.held_before(&id, data)?) => {
                Ok(Inbound::Answer(self.unavailable(id)))
            }
            Access::Read | Access::None => Ok(Inbound::refuse(
                id,
                access::may_write(person, &scope)
                    .expect_err("this person may not write the document"),
            )),
        }
    }

    /// Whether the changes in `data` build on history the relay logged for the existing
    /// document `id` (see the module docs). At most [`MAX_PROOF_HASHES`] hashes are looked up.
    fn held_before(&self, id: &DocumentId, data: Option<&Vec<u8>>) -> Result<bool, StoreError> {
        let Some(Ok(changes)) = data.map(|d| changes_in(d)) else {
            return Ok(false);
        };
        let hashes: Vec<String> = changes
            .iter()
            .flat_map(|c| c.deps.iter().chain([&c.hash]))
            .take(MAX_PROOF_HASHES)
            .map(|h| h.to_string())
            .collect();
        self.store.has_any_change(&id.to_string(), &hashes)
    }

    /// Whether a frame of the hub's may go to this device: never a document out of its scope.
    /// `document`: what the frame shows (`HubEffect::Send`'s `shows`).
    pub fn outbound(&self, document: Option<&str>) -> Result<bool, StoreError> {
        let Some(document) = document else {
            return Ok(true);
        };
        Ok(match self.scope(document)? {
            Some(scope) => access::access(&self.session.person.access, &scope) != Access::None,
            None => true,
        })
    }

    fn scope(&self, key: &str) -> Result<Option<RecordScope>, StoreError> {
        match self.pending.get(key) {
            Some(scope) => Ok(Some(scope.clone())),
            None if self.unscoped.contains(key) => Ok(None),
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

/// A sync message that crossed a bound, as the gate's answer: a change too large for the
/// relay's bounds is refused like any write the relay does not accept (the connection stays
/// open); a message no honest peer sends closes the connection.
fn exceeded(id: DocumentId, refusal: limits::Refusal) -> Inbound {
    let limit = refusal.bound().into();
    let reason = format!("sync data for {id} refused: {refusal}");
    if refusal.bound().honest() {
        Inbound::Refuse {
            document: id,
            refusal: Refusal::new(RefusalCode::Limit, reason),
            limit: Some(limit),
        }
    } else {
        Inbound::Exceeded(limit, reason)
    }
}
