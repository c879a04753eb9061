//! Human-readable record numbers that never collide offline.
//!
//! Devices that were never online together cannot agree on a counter, so the number is taken
//! from the record's document id, which is random: 40 bits written as 8 Crockford base32
//! characters (no I, L, O, U, so it reads out on a phone call without confusion), e.g.
//! `INC-7K3Q-D2MX`. Two records collide only if their ids share the first 5 bytes: with a
//! million records the chance is under one in two thousand.

use crate::ids::DocumentId;

const CROCKFORD: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/// The record number for a document, with the record type's prefix (`INC`, `CHG`, …).
pub fn record_number(prefix: &str, id: &DocumentId) -> String {
    let bytes = id.as_bytes();
    let mut bits: u64 = 0;
    for b in &bytes[..5] {
        bits = (bits << 8) | u64::from(*b);
    }
    let chars: Vec<char> = (0..8)
        .rev()
        .map(|i| CROCKFORD[((bits >> (i * 5)) & 31) as usize] as char)
        .collect();
    let (a, b) = chars.split_at(4);
    format!(
        "{prefix}-{}-{}",
        a.iter().collect::<String>(),
        b.iter().collect::<String>()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn number_is_short_and_readable() {
        let n = record_number("INC", &DocumentId::from_bytes([0xFF; 16]));
        assert_eq!(n, "INC-ZZZZ-ZZZZ");
        let n = record_number("INC", &DocumentId::from_bytes([0; 16]));
        assert_eq!(n, "INC-0000-0000");
    }

    #[test]
    fn different_ids_give_different_numbers() {
        let mut a = [0u8; 16];
        a[4] = 1;
        assert_ne!(
            record_number("INC", &DocumentId::from_bytes(a)),
            record_number("INC", &DocumentId::from_bytes([0; 16]))
        );
    }
}
