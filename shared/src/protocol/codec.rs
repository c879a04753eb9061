//! CBOR encoding and decoding of [`Message`]s, field for field as automerge-repo writes them.

use std::collections::BTreeMap;

use ciborium::Value;

use super::cbor::{self, CborError};
use super::message::{HeadsInfo, Message, PeerMetadata};
use crate::ids::{DocumentId, PeerId};
use crate::refusal::{Refusal, RefusalCode};

/// Why a frame is not a protocol message. The text goes back to the peer in an `error`
/// message, so it names the problem precisely.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("frame is not acceptable CBOR: {0}")]
    NotCbor(CborError),
    #[error("frame is not a CBOR map")]
    NotAMap,
    #[error("message has no 'type'")]
    MissingType,
    #[error("unknown message type '{0}'")]
    UnknownType(String),
    #[error("'{message_type}' message is missing '{field}'")]
    MissingField {
        message_type: String,
        field: &'static str,
    },
    #[error("'{field}' has the wrong type (expected {expected})")]
    WrongFieldType {
        field: &'static str,
        expected: &'static str,
    },
    #[error("'{0}' is not a valid document id")]
    BadDocumentId(String),
    #[error("frame has {0} bytes left over after the message")]
    TrailingBytes(usize),
}

/// Encodes a message as one CBOR map.
pub fn encode(message: &Message) -> Vec<u8> {
    let mut fields: Vec<(&str, Value)> = vec![("type", text(message.type_name()))];
    match message {
        Message::Join {
            sender_id,
            supported_protocol_versions,
            metadata,
        } => {
            fields.push(("senderId", peer(sender_id)));
            fields.push((
                "supportedProtocolVersions",
                Value::Array(
                    supported_protocol_versions
                        .iter()
                        .map(|v| text(v))
                        .collect(),
                ),
            ));
            if let Some(m) = metadata {
                fields.push(("peerMetadata", metadata_value(m)));
            }
        }
        Message::Peer {
            sender_id,
            target_id,
            selected_protocol_version,
            metadata,
        } => {
            fields.push(("senderId", peer(sender_id)));
            fields.push(("selectedProtocolVersion", text(selected_protocol_version)));
            fields.push(("targetId", peer(target_id)));
            if let Some(m) = metadata {
                fields.push(("peerMetadata", metadata_value(m)));
            }
        }
        Message::Leave { sender_id } => fields.push(("senderId", peer(sender_id))),
        Message::Request {
            document_id,
            sender_id,
            target_id,
            data,
        }
        | Message::Sync {
            document_id,
            sender_id,
            target_id,
            data,
        } => {
            fields.push(("documentId", doc(document_id)));
            fields.push(("senderId", peer(sender_id)));
            fields.push(("targetId", peer(target_id)));
            fields.push(("data", Value::Bytes(data.clone())));
        }
        Message::DocUnavailable {
            document_id,
            sender_id,
            target_id,
        } => {
            fields.push(("senderId", peer(sender_id)));
            fields.push(("targetId", peer(target_id)));
            fields.push(("documentId", doc(document_id)));
        }
        Message::Ephemeral {
            document_id,
            sender_id,
            target_id,
            count,
            session_id,
            data,
        } => {
            fields.push(("senderId", peer(sender_id)));
            fields.push(("targetId", peer(target_id)));
            fields.push(("count", Value::Integer((*count).into())));
            fields.push(("sessionId", text(session_id)));
            fields.push(("documentId", doc(document_id)));
            fields.push(("data", Value::Bytes(data.clone())));
        }
        Message::Error { message } => fields.push(("message", text(message))),
        Message::Refused {
            document_id,
            refusal,
        } => {
            fields.push(("message", text(&refusal.reason)));
            fields.push(("documentId", doc(document_id)));
            fields.push(("refusal", text(refusal.code.as_str())));
        }
        Message::RemoteSubscriptionChange {
            sender_id,
            target_id,
            add,
            remove,
        } => {
            fields.push(("senderId", peer(sender_id)));
            fields.push(("targetId", peer(target_id)));
            if !add.is_empty() {
                fields.push(("add", Value::Array(add.iter().map(|s| text(s)).collect())));
            }
            fields.push((
                "remove",
                Value::Array(remove.iter().map(|s| text(s)).collect()),
            ));
        }
        Message::RemoteHeadsChanged {
            document_id,
            sender_id,
            target_id,
            new_heads,
        } => {
            fields.push(("senderId", peer(sender_id)));
            fields.push(("targetId", peer(target_id)));
            fields.push(("documentId", doc(document_id)));
            let heads = new_heads
                .iter()
                .map(|(storage, info)| {
                    let info = Value::Map(vec![
                        (
                            text("heads"),
                            Value::Array(info.heads.iter().map(|h| text(h)).collect()),
                        ),
                        (text("timestamp"), Value::Integer(info.timestamp.into())),
                    ]);
                    (text(storage), info)
                })
                .collect();
            fields.push(("newHeads", Value::Map(heads)));
        }
    }
    let map = Value::Map(fields.into_iter().map(|(k, v)| (text(k), v)).collect());
    let mut out = Vec::new();
    ciborium::into_writer(&map, &mut out).expect("writing CBOR to a Vec cannot fail");
    out
}

/// Decodes one frame, within [`cbor`]'s bounds on items, depth and lengths. Unknown extra fields are ignored (newer peers may add some); missing or
/// mistyped required fields are errors.
pub fn decode(frame: &[u8]) -> Result<Message, DecodeError> {
    let (value, used) = cbor::read(frame).map_err(DecodeError::NotCbor)?;
    if used < frame.len() {
        return Err(DecodeError::TrailingBytes(frame.len() - used));
    }
    let Value::Map(entries) = value else {
        return Err(DecodeError::NotAMap);
    };
    let fields = Fields::new(entries)?;
    let kind = fields.str_opt("type")?.ok_or(DecodeError::MissingType)?;
    let message = match kind.as_str() {
        "join" => Message::Join {
            sender_id: fields.peer("senderId", &kind)?,
            supported_protocol_versions: fields.strings("supportedProtocolVersions", &kind)?,
            metadata: fields.metadata()?,
        },
        "peer" => Message::Peer {
            sender_id: fields.peer("senderId", &kind)?,
            target_id: fields.peer("targetId", &kind)?,
            selected_protocol_version: fields.str("selectedProtocolVersion", &kind)?,
            metadata: fields.metadata()?,
        },
        "leave" => Message::Leave {
            sender_id: fields.peer("senderId", &kind)?,
        },
        "request" => Message::Request {
            document_id: fields.doc("documentId", &kind)?,
            sender_id: fields.peer("senderId", &kind)?,
            target_id: fields.peer("targetId", &kind)?,
            data: fields.bytes("data", &kind)?,
        },
        "sync" => Message::Sync {
            document_id: fields.doc("documentId", &kind)?,
            sender_id: fields.peer("senderId", &kind)?,
            target_id: fields.peer("targetId", &kind)?,
            data: fields.bytes("data", &kind)?,
        },
        "doc-unavailable" => Message::DocUnavailable {
            document_id: fields.doc("documentId", &kind)?,
            sender_id: fields.peer("senderId", &kind)?,
            target_id: fields.peer("targetId", &kind)?,
        },
        "ephemeral" => Message::Ephemeral {
            document_id: fields.doc("documentId", &kind)?,
            sender_id: fields.peer("senderId", &kind)?,
            target_id: fields.peer("targetId", &kind)?,
            count: fields.uint("count", &kind)?,
            session_id: fields.str("sessionId", &kind)?,
            data: fields.bytes("data", &kind)?,
        },
        "error" => {
            let message = fields.str("message", &kind)?;
            // An `error` naming a document and a refusal code is a refused write; any other is a
            // protocol error as automerge-repo defines it.
            match (fields.present("documentId"), fields.str_opt("refusal")?) {
                (Some(_), Some(code)) => Message::Refused {
                    document_id: fields.doc("documentId", &kind)?,
                    refusal: Refusal::new(RefusalCode::parse(&code), message),
                },
                _ => Message::Error { message },
            }
        }
        "remote-subscription-change" => Message::RemoteSubscriptionChange {
            sender_id: fields.peer("senderId", &kind)?,
            target_id: fields.peer("targetId", &kind)?,
            add: fields.strings_or_empty("add")?,
            remove: fields.strings_or_empty("remove")?,
        },
        "remote-heads-changed" => Message::RemoteHeadsChanged {
            document_id: fields.doc("documentId", &kind)?,
            sender_id: fields.peer("senderId", &kind)?,
            target_id: fields.peer("targetId", &kind)?,
            new_heads: fields.new_heads()?,
        },
        other => return Err(DecodeError::UnknownType(other.to_string())),
    };
    Ok(message)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn peer(p: &PeerId) -> Value {
    text(&p.0)
}

fn doc(d: &DocumentId) -> Value {
    text(&d.to_string())
}

fn metadata_value(m: &PeerMetadata) -> Value {
    let mut entries = vec![];
    if let Some(storage) = &m.storage_id {
        entries.push((text("storageId"), text(storage)));
    }
    entries.push((text("isEphemeral"), Value::Bool(m.is_ephemeral)));
    Value::Map(entries)
}

/// The fields of a decoded map, by name.
struct Fields(BTreeMap<String, Value>);

impl Fields {
    fn new(entries: Vec<(Value, Value)>) -> Result<Self, DecodeError> {
        let mut map = BTreeMap::new();
        for (k, v) in entries {
            match k {
                Value::Text(k) => {
                    map.insert(k, v);
                }
                _ => {
                    return Err(DecodeError::WrongFieldType {
                        field: "key",
                        expected: "text keys",
                    });
                }
            }
        }
        Ok(Self(map))
    }

    fn get(&self, field: &'static str, kind: &str) -> Result<&Value, DecodeError> {
        self.present(field)
            .ok_or_else(|| DecodeError::MissingField {
                message_type: kind.to_string(),
                field,
            })
    }

    /// A field that is there and not null/undefined (JS peers write `undefined` for absent).
    fn present(&self, field: &str) -> Option<&Value> {
        match self.0.get(field) {
            // ciborium reads both CBOR null and undefined as Null.
            None | Some(Value::Null) => None,
            Some(v) => Some(v),
        }
    }

    fn str_opt(&self, field: &'static str) -> Result<Option<String>, DecodeError> {
        match self.present(field) {
            None => Ok(None),
            Some(Value::Text(s)) => Ok(Some(s.clone())),
            Some(_) => Err(DecodeError::WrongFieldType {
                field,
                expected: "text",
            }),
        }
    }

    fn str(&self, field: &'static str, kind: &str) -> Result<String, DecodeError> {
        match self.get(field, kind)? {
            Value::Text(s) => Ok(s.clone()),
            _ => Err(DecodeError::WrongFieldType {
                field,
                expected: "text",
            }),
        }
    }

    fn peer(&self, field: &'static str, kind: &str) -> Result<PeerId, DecodeError> {
        self.str(field, kind).map(PeerId)
    }

    fn doc(&self, field: &'static str, kind: &str) -> Result<DocumentId, DecodeError> {
        match self.get(field, kind)? {
            Value::Text(s) => s.parse().map_err(|_| DecodeError::BadDocumentId(s.clone())),
            // Some peers send the raw 16 bytes.
            Value::Bytes(b) => <[u8; 16]>::try_from(b.as_slice())
                .map(DocumentId::from_bytes)
                .map_err(|_| DecodeError::BadDocumentId(format!("{} raw bytes", b.len()))),
            _ => Err(DecodeError::WrongFieldType {
                field,
                expected: "text",
            }),
        }
    }

    fn bytes(&self, field: &'static str, kind: &str) -> Result<Vec<u8>, DecodeError> {
        match self.get(field, kind)? {
            Value::Bytes(b) => Ok(b.clone()),
            _ => Err(DecodeError::WrongFieldType {
                field,
                expected: "bytes",
            }),
        }
    }

    fn uint(&self, field: &'static str, kind: &str) -> Result<u64, DecodeError> {
        as_uint(self.get(field, kind)?).ok_or(DecodeError::WrongFieldType {
            field,
            expected: "an unsigned integer",
        })
    }

    fn strings(&self, field: &'static str, kind: &str) -> Result<Vec<String>, DecodeError> {
        string_array(self.get(field, kind)?, field)
    }

    fn strings_or_empty(&self, field: &'static str) -> Result<Vec<String>, DecodeError> {
        self.present(field)
            .map_or(Ok(vec![]), |v| string_array(v, field))
    }

    fn metadata(&self) -> Result<Option<PeerMetadata>, DecodeError> {
        let wrong = DecodeError::WrongFieldType {
            field: "peerMetadata",
            expected: "a map",
        };
        let Some(value) = self
            .present("peerMetadata")
            .or_else(|| self.present("metadata"))
        else {
            return Ok(None);
        };
        let Value::Map(entries) = value else {
            return Err(wrong);
        };
        let mut metadata = PeerMetadata::default();
        for (k, v) in entries {
            match (k.as_text(), v) {
                (Some("storageId"), Value::Text(s)) => metadata.storage_id = Some(s.clone()),
                (Some("isEphemeral"), Value::Bool(b)) => metadata.is_ephemeral = *b,
                _ => {}
            }
        }
        Ok(Some(metadata))
    }

    fn new_heads(&self) -> Result<BTreeMap<String, HeadsInfo>, DecodeError> {
        let wrong = || DecodeError::WrongFieldType {
            field: "newHeads",
            expected: "a map of storage id to {heads, timestamp}",
        };
        let Some(Value::Map(entries)) = self.present("newHeads") else {
            return Err(wrong());
        };
        let mut out = BTreeMap::new();
        for (k, v) in entries {
            let (Some(storage), Value::Map(info)) = (k.as_text(), v) else {
                return Err(wrong());
            };
            let info = Fields::new(info.clone())?;
            out.insert(
                storage.to_string(),
                HeadsInfo {
                    heads: info.strings("heads", "remote-heads-changed")?,
                    timestamp: info.uint("timestamp", "remote-heads-changed")?,
                },
            );
        }
        Ok(out)
    }
}

/// JS peers may encode integer-valued numbers as floats.
fn as_uint(v: &Value) -> Option<u64> {
    match v {
        Value::Integer(i) => u64::try_from(*i).ok(),
        Value::Float(f) if *f >= 0.0 && f.fract() == 0.0 => Some(*f as u64),
        _ => None,
    }
}

fn string_array(v: &Value, field: &'static str) -> Result<Vec<String>, DecodeError> {
    let wrong = DecodeError::WrongFieldType {
        field,
        expected: "an array of text",
    };
    let Value::Array(items) = v else {
        return Err(wrong);
    };
    items
        .iter()
        .map(|i| i.as_text().map(str::to_string).ok_or(wrong.clone()))
        .collect()
}
