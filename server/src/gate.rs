//! What a connection may send and receive. Every inbound frame is decoded by `shared`'s codec
//! and checked against the person's access to its document (`shared::access`) before samod
//! sees it; every outbound frame is checked again before it leaves. Changes accepted are
//! written to the receipt log.

use shared::{
    access::{self, Access, RecordScope},
    ids::{DocumentId, PeerId},
    protocol::{self, Message},
    sync::{changes_in, whole_document_in},
};

use crate::store::{Receipt, SessionInfo, Store, StoreError};

/// The relay's peer id in the protocol.
pub const RELAY_PEER: &str = "outpost-relay";

/// What to do with an inbound frame.
#[derive(Debug)]
pub enum Inbound {
    /// Pass it to samod; these receipts were logged.
    Forward,
    /// Answer the device with this frame instead (e.g. `doc-unavailable`); samod never sees it.
    Answer(Vec<u8>),
    /// Send an `error` with this reason and close the connection.
    Close(String),
}

pub struct Gate<'a> {
    pub store: &'a Store,
    pub session: &'a SessionInfo,
}

impl Gate<'_> {
    pub fn inbound(&self, frame: &[u8]) -> Result<Inbound, StoreError> {
        let message = match protocol::decode(frame) {
            Ok(m) => m,
            Err(e) => return Ok(Inbound::Close(format!("malformed message: {e}"))),
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
            _ => return Ok(Inbound::Forward),
        };
        let carried = match data.map(|d| changes_in(d)) {
            Some(Ok(c)) => c,
            Some(Err(e)) => {
                return Ok(Inbound::Close(format!(
                    "unreadable sync data for {id}: {e}"
                )));
            }
            None => vec![],
        };
        let key = id.to_string();
        let scope = match self.store.document_scope(&key)? {
            Some(scope) => scope,
            None if carried.is_empty() => return Ok(Inbound::Forward),
            None => match data.and_then(|d| new_document_scope(d)) {
                Some(scope) => scope,
                None => {
                    return Ok(Inbound::Close(format!(
                        "document {id} arrived without its creation, so the relay cannot tell whose it is; sync it from the device that created it"
                    )));
                }
            },
        };
        match access::access(&self.session.person.access, &scope) {
            Access::None => return Ok(Inbound::Answer(self.unavailable(id))),
            Access::Read if !carried.is_empty() => {
                return Ok(Inbound::Close(format!(
                    "your role can read {id} but not change it; the change was not accepted"
                )));
            }
            Access::Read => return Ok(Inbound::Forward),
            Access::ReadWrite => {}
        }
        if !carried.is_empty() {
            self.store.set_document_scope(&key, &scope)?;
            let receipts: Vec<Receipt> = carried
                .into_iter()
                .map(|c| Receipt {
                    hash: c.hash.to_string(),
                    document: key.clone(),
                    device_time: c.meta.as_ref().map(|m| m.at.millis()),
                    author: c.meta.map(|m| m.author),
                })
                .collect();
            self.store
                .log_receipts(self.session.person.id, &self.session.device, &receipts)?;
        }
        Ok(Inbound::Forward)
    }

    /// Whether samod's frame may go to this device: never a document out of its scope.
    pub fn outbound(&self, frame: &[u8]) -> Result<bool, StoreError> {
        let Ok(message) = protocol::decode(frame) else {
            return Ok(true);
        };
        let Some(id) = message.document_id() else {
            return Ok(true);
        };
        Ok(match self.store.document_scope(&id.to_string())? {
            Some(scope) => access::access(&self.session.person.access, &scope) != Access::None,
            None => true,
        })
    }

    fn unavailable(&self, id: DocumentId) -> Vec<u8> {
        protocol::encode(&Message::DocUnavailable {
            document_id: id,
            sender_id: PeerId::from(RELAY_PEER),
            target_id: PeerId(self.session.device.clone()),
        })
    }
}

/// The scope of a document arriving whole for the first time. A document that is not an
/// Outpost record is unscoped.
fn new_document_scope(sync_data: &[u8]) -> Option<RecordScope> {
    let doc = whole_document_in(sync_data)?;
    Some(access::record_scope(&doc).unwrap_or_default())
}
