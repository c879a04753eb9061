//! Identifiers shared with automerge-repo: document ids and peer ids.

use std::fmt;

use sha2::{Digest, Sha256};

/// An automerge-repo document id: 16 bytes (a UUID), written as bs58check, e.g.
/// `4NMNnkMhL8jXrdJ9jamS58PAVdXu`. The string form is what travels in protocol messages and
/// what `automerge:` URLs carry, so unmodified automerge-repo peers address the same documents.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DocumentId([u8; 16]);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{0}' is not a valid document id (expected 16 bytes in bs58check)")]
pub struct BadDocumentId(pub String);

impl DocumentId {
    pub fn from_bytes(bytes: [u8; 16]) -> Self {
        Self(bytes)
    }

    /// A fresh random id. The caller supplies the randomness (shared has no I/O).
    pub fn from_uuid(uuid: uuid::Uuid) -> Self {
        Self(*uuid.as_bytes())
    }

    /// A deterministic id derived from a name, so every device agrees on it without talking
    /// (used for the per-scope index documents).
    ///
    /// It is laid out as a UUID of version 8 (RFC 9562's custom version), a form random ids
    /// (version 4, as Outpost and automerge-repo make them) never take: the relay tells the
    /// ids it derives itself from any a device could make up ([`DocumentId::is_derived`]).
    pub fn derived(name: &str) -> Self {
        let digest = Sha256::digest(name.as_bytes());
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        bytes[6] = (bytes[6] & 0x0f) | 0x80;
        bytes[8] = (bytes[8] & 0x3f) | 0x80;
        Self(bytes)
    }

    /// Whether the id has the form of [`DocumentId::derived`] ids.
    pub fn is_derived(&self) -> bool {
        self.0[6] >> 4 == 8 && self.0[8] >> 6 == 0b10
    }

    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }

    /// The `automerge:` URL automerge-repo uses for this document.
    pub fn url(&self) -> String {
        format!("automerge:{self}")
    }
}

impl fmt::Display for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut checked = [0u8; 20];
        checked[..16].copy_from_slice(&self.0);
        checked[16..].copy_from_slice(&checksum(&self.0));
        f.write_str(&bs58::encode(checked).into_string())
    }
}

/// bs58check's checksum: the first 4 bytes of SHA-256(SHA-256(payload)). Here rather than
/// bs58's `check` feature, which would link a second SHA-256 crate into the app.
fn checksum(payload: &[u8]) -> [u8; 4] {
    let twice = Sha256::digest(Sha256::digest(payload));
    [twice[0], twice[1], twice[2], twice[3]]
}

impl fmt::Debug for DocumentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DocumentId({self})")
    }
}

impl std::str::FromStr for DocumentId {
    type Err = BadDocumentId;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s_id = s.strip_prefix("automerge:").unwrap_or(s);
        let bad = || BadDocumentId(s.to_string());
        let checked: [u8; 20] = bs58::decode(s_id)
            .into_vec()
            .map_err(|_| bad())?
            .try_into()
            .map_err(|_| bad())?;
        let (bytes, check) = checked.split_at(16);
        if check != checksum(bytes) {
            return Err(bad());
        }
        Ok(Self(bytes.try_into().map_err(|_| bad())?))
    }
}

/// A peer's id in the automerge-repo protocol. For Outpost devices it is `device-<uuid>`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct PeerId(pub String);

impl PeerId {
    /// A new device's id: `device-` and a random UUID.
    pub fn new_device(uuid: uuid::Uuid) -> Self {
        Self(format!("device-{uuid}"))
    }

    /// Whether `id` has the form of a device id: `device-` and up to 73 letters, digits or
    /// '-'. The relay binds only such ids to sessions.
    pub fn is_device_id(id: &str) -> bool {
        id.len() <= 80
            && id.strip_prefix("device-").is_some_and(|tail| {
                !tail.is_empty() && tail.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            })
    }
}

impl fmt::Display for PeerId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<&str> for PeerId {
    fn from(s: &str) -> Self {
        Self(s.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_id_round_trips_through_bs58check() {
        let id = DocumentId::from_bytes([7; 16]);
        let text = id.to_string();
        assert_eq!(text.parse::<DocumentId>().unwrap(), id);
        assert_eq!(id.url().parse::<DocumentId>().unwrap(), id);
    }

    #[test]
    fn document_id_matches_automerge_repo_encoding() {
        // The same bytes through samod-core (bs58 with check) give this string.
        let id = DocumentId::from_bytes([0; 16]);
        assert_eq!(id.to_string(), "11111111111111114Ki9Gx");
    }

    #[test]
    fn corrupted_document_id_is_rejected() {
        let mut text = DocumentId::from_bytes([9; 16]).to_string();
        text.replace_range(0..1, if text.starts_with('2') { "3" } else { "2" });
        assert!(text.parse::<DocumentId>().is_err());
        assert!("not-an-id".parse::<DocumentId>().is_err());
        // A sound checksum over the wrong number of bytes.
        let mut short = vec![5u8; 15];
        short.extend_from_slice(&checksum(&short));
        assert!(
            bs58::encode(short)
                .into_string()
                .parse::<DocumentId>()
                .is_err()
        );
    }

    #[test]
    fn automerge_repo_ids_parse_and_print_the_same() {
        let text = "4NMNnkMhL8jXrdJ9jamS58PAVdXu";
        assert_eq!(text.parse::<DocumentId>().unwrap().to_string(), text);
    }

    #[test]
    fn device_ids_have_one_form() {
        let id = PeerId::new_device(uuid::Uuid::from_bytes([1; 16]));
        assert!(PeerId::is_device_id(&id.0));
        assert!(PeerId::is_device_id("device-bench-a-1"));
        assert!(!PeerId::is_device_id("device-"));
        assert!(!PeerId::is_device_id("relay"));
        assert!(!PeerId::is_device_id("device-a b"));
        assert!(!PeerId::is_device_id(&format!("device-{}", "x".repeat(80))));
    }

    #[test]
    fn derived_ids_are_stable() {
        assert_eq!(DocumentId::derived("a"), DocumentId::derived("a"));
        assert_ne!(DocumentId::derived("a"), DocumentId::derived("b"));
    }

    #[test]
    fn derived_ids_are_never_random_ones() {
        for name in ["default", "site:north", "team:desk", "restricted", ""] {
            assert!(DocumentId::derived(name).is_derived(), "{name}");
        }
        for _ in 0..1000 {
            assert!(!DocumentId::from_uuid(uuid::Uuid::new_v4()).is_derived());
        }
    }
}
