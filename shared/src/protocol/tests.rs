use std::collections::BTreeMap;

use proptest::prelude::*;

use super::*;
use crate::ids::{DocumentId, PeerId};
use crate::refusal::{Refusal, RefusalCode};

fn doc() -> DocumentId {
    DocumentId::from_bytes([0; 16])
}

fn all_messages() -> Vec<Message> {
    let (a, b) = (PeerId::from("device-a"), PeerId::from("relay"));
    let mut heads = BTreeMap::new();
    heads.insert(
        "storage-1".to_string(),
        HeadsInfo {
            heads: vec!["aGVhZA==".into()],
            timestamp: 1_764_000_000_000,
        },
    );
    vec![
        Message::Join {
            sender_id: a.clone(),
            supported_protocol_versions: vec!["1".into()],
            metadata: Some(PeerMetadata {
                storage_id: Some("s".into()),
                is_ephemeral: false,
            }),
        },
        Message::Join {
            sender_id: a.clone(),
            supported_protocol_versions: vec!["1".into()],
            metadata: None,
        },
        Message::Peer {
            sender_id: b.clone(),
            target_id: a.clone(),
            selected_protocol_version: "1".into(),
            metadata: Some(PeerMetadata::default()),
        },
        Message::Leave {
            sender_id: a.clone(),
        },
        Message::Request {
            document_id: doc(),
            sender_id: a.clone(),
            target_id: b.clone(),
            data: vec![0x42, 1, 2],
        },
        Message::Sync {
            document_id: doc(),
            sender_id: a.clone(),
            target_id: b.clone(),
            data: vec![],
        },
        Message::DocUnavailable {
            document_id: doc(),
            sender_id: b.clone(),
            target_id: a.clone(),
        },
        Message::Ephemeral {
            document_id: doc(),
            sender_id: a.clone(),
            target_id: b.clone(),
            count: 3,
            session_id: "sess".into(),
            data: vec![9],
        },
        Message::Error {
            message: "nope".into(),
        },
        Message::Refused {
            document_id: doc(),
            refusal: Refusal::new(RefusalCode::ReadOnly, "Auditors read only"),
        },
        Message::Refused {
            document_id: doc(),
            refusal: Refusal::new(RefusalCode::Other("quota".into()), "Over quota"),
        },
        Message::RemoteSubscriptionChange {
            sender_id: a.clone(),
            target_id: b.clone(),
            add: vec!["s1".into()],
            remove: vec![],
        },
        Message::RemoteHeadsChanged {
            document_id: doc(),
            sender_id: b,
            target_id: a,
            new_heads: heads,
        },
    ]
}

#[test]
fn every_message_round_trips() {
    for m in all_messages() {
        assert_eq!(decode(&encode(&m)).unwrap(), m, "{}", m.type_name());
    }
}

/// CBOR assembled by hand from the spec (RFC 8949 major types), independent of the encoder:
/// a map of 5 text keys, in the order automerge-repo and samod write them.
fn text(s: &str) -> Vec<u8> {
    assert!(s.len() < 24);
    let mut out = vec![0x60 + s.len() as u8];
    out.extend_from_slice(s.as_bytes());
    out
}

#[test]
fn sync_message_has_the_protocol_cbor_layout() {
    let id = doc().to_string();
    let mut expected = vec![0xa5]; // map(5)
    for (k, v) in [
        ("type", "sync"),
        ("documentId", id.as_str()),
        ("senderId", "a"),
        ("targetId", "b"),
    ] {
        expected.extend(text(k));
        expected.extend(text(v));
    }
    expected.extend(text("data"));
    expected.extend([0x42, 0xde, 0xad]); // bytes(2)
    let m = Message::Sync {
        document_id: doc(),
        sender_id: "a".into(),
        target_id: "b".into(),
        data: vec![0xde, 0xad],
    };
    assert_eq!(encode(&m), expected);
    assert_eq!(decode(&expected).unwrap(), m);
}

#[test]
fn join_message_has_the_protocol_cbor_layout() {
    let mut expected = vec![0xa3];
    expected.extend(text("type"));
    expected.extend(text("join"));
    expected.extend(text("senderId"));
    expected.extend(text("a"));
    // "supportedProtocolVersions" is 25 bytes long: text header 0x78 0x19.
    expected.extend([0x78, 25]);
    expected.extend(b"supportedProtocolVersions");
    expected.extend([0x81]); // array(1)
    expected.extend(text("1"));
    let m = Message::Join {
        sender_id: "a".into(),
        supported_protocol_versions: vec!["1".into()],
        metadata: None,
    };
    assert_eq!(encode(&m), expected);
}

#[test]
fn js_style_fields_are_accepted() {
    // cbor-x writes counts as floats and absent fields as undefined; raw id bytes also occur.
    let value = ciborium::Value::Map(vec![
        (
            ciborium::Value::Text("type".into()),
            ciborium::Value::Text("ephemeral".into()),
        ),
        ("senderId".into(), "a".into()),
        ("targetId".into(), "b".into()),
        ("count".into(), ciborium::Value::Float(7.0)),
        ("sessionId".into(), "s".into()),
        ("documentId".into(), ciborium::Value::Bytes(vec![0; 16])),
        ("data".into(), ciborium::Value::Bytes(vec![])),
        ("extra".into(), ciborium::Value::Null),
    ]);
    let mut frame = vec![];
    ciborium::into_writer(&value, &mut frame).unwrap();
    match decode(&frame).unwrap() {
        Message::Ephemeral {
            count, document_id, ..
        } => {
            assert_eq!(count, 7);
            assert_eq!(document_id, doc());
        }
        other => panic!("decoded {other:?}"),
    }
}

/// The refusal is automerge-repo's `error` (so unmodified peers log its message and go on) with
/// the document and the code as two more fields.
#[test]
fn a_refusal_is_an_error_message_naming_the_document_and_the_code() {
    let m = Message::Refused {
        document_id: doc(),
        refusal: Refusal::new(RefusalCode::OutOfScope, "Not in your sites"),
    };
    let value: ciborium::Value = ciborium::from_reader(&encode(&m)[..]).unwrap();
    let fields: BTreeMap<String, ciborium::Value> = value
        .into_map()
        .unwrap()
        .into_iter()
        .map(|(k, v)| (k.into_text().unwrap(), v))
        .collect();
    let text = |k: &str| fields[k].as_text().unwrap().to_string();
    assert_eq!(text("type"), "error");
    assert_eq!(text("message"), "Not in your sites");
    assert_eq!(text("documentId"), doc().to_string());
    assert_eq!(text("refusal"), "out_of_scope");
    assert_eq!(fields.len(), 4);
}

#[test]
fn an_error_without_a_refusal_code_stays_a_protocol_error() {
    // automerge-repo's servers add senderId/targetId to their errors; a documentId alone (no
    // code) is not a refusal either.
    let plain = frame(vec![
        ("type", "error".into()),
        ("message", "unsupported protocol version".into()),
        ("senderId", "server".into()),
        ("documentId", doc().to_string().into()),
    ]);
    assert_eq!(
        decode(&plain).unwrap(),
        Message::Error {
            message: "unsupported protocol version".into()
        }
    );
    let bad_id = frame(vec![
        ("type", "error".into()),
        ("message", "x".into()),
        ("documentId", "nope".into()),
        ("refusal", "read_only".into()),
    ]);
    assert_eq!(
        decode(&bad_id),
        Err(DecodeError::BadDocumentId("nope".into()))
    );
}

fn frame(entries: Vec<(&str, ciborium::Value)>) -> Vec<u8> {
    let map = ciborium::Value::Map(
        entries
            .into_iter()
            .map(|(k, v)| (ciborium::Value::Text(k.into()), v))
            .collect(),
    );
    let mut out = vec![];
    ciborium::into_writer(&map, &mut out).unwrap();
    out
}

#[test]
fn malformed_frames_get_precise_errors() {
    assert!(matches!(
        decode(b"\xff\x00garbage"),
        Err(DecodeError::NotCbor(_))
    ));
    assert_eq!(decode(&[0x01]), Err(DecodeError::NotAMap));
    assert_eq!(
        decode(&frame(vec![("senderId", "a".into())])),
        Err(DecodeError::MissingType)
    );
    assert_eq!(
        decode(&frame(vec![("type", "launch-missiles".into())])),
        Err(DecodeError::UnknownType("launch-missiles".into()))
    );
    let err = decode(&frame(vec![
        ("type", "sync".into()),
        ("senderId", "a".into()),
    ]))
    .unwrap_err();
    assert_eq!(err.to_string(), "'sync' message is missing 'documentId'");
    let err = decode(&frame(vec![
        ("type", "sync".into()),
        ("documentId", "not-an-id".into()),
    ]))
    .unwrap_err();
    assert_eq!(err, DecodeError::BadDocumentId("not-an-id".into()));
    let err = decode(&frame(vec![
        ("type", "sync".into()),
        ("documentId", doc().to_string().into()),
        ("senderId", "a".into()),
        ("targetId", "b".into()),
        ("data", "not bytes".into()),
    ]))
    .unwrap_err();
    assert_eq!(
        err,
        DecodeError::WrongFieldType {
            field: "data",
            expected: "bytes"
        }
    );
    let mut two = encode(&Message::Error {
        message: "x".into(),
    });
    two.extend(two.clone());
    assert!(matches!(decode(&two), Err(DecodeError::TrailingBytes(_))));
}

proptest! {
    #[test]
    fn decoding_arbitrary_bytes_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..256)) {
        let _ = decode(&bytes);
    }

    #[test]
    fn sync_messages_round_trip(data in proptest::collection::vec(any::<u8>(), 0..512),
                                id in any::<[u8; 16]>(), sender in "[a-z0-9-]{1,40}") {
        let m = Message::Sync {
            document_id: DocumentId::from_bytes(id),
            sender_id: PeerId(sender),
            target_id: "relay".into(),
            data,
        };
        prop_assert_eq!(decode(&encode(&m)).unwrap(), m);
    }
}
