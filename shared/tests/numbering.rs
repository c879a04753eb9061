//! Record numbers: every type has its own prefix, and numbers from distinct random ids differ.

use proptest::prelude::*;
use shared::ids::DocumentId;
use shared::records::TYPES;
use shared::records::incident::INCIDENT;

proptest! {
    /// Two ids that differ in their first 40 bits never share a number, whatever the type.
    #[test]
    fn distinct_ids_give_distinct_numbers(a in any::<[u8; 16]>(), b in any::<[u8; 16]>()) {
        let (na, nb) = (INCIDENT.number(&DocumentId::from_bytes(a)), INCIDENT.number(&DocumentId::from_bytes(b)));
        prop_assert_eq!(na == nb, a[..5] == b[..5]);
    }

    /// The same id under two record types gives two different numbers, each of the form
    /// PREFIX-XXXX-XXXX in Crockford base32.
    #[test]
    fn numbers_carry_their_type(bytes in any::<[u8; 16]>()) {
        let id = DocumentId::from_bytes(bytes);
        let mut seen = std::collections::HashSet::new();
        for prefix in TYPES.map(|t| t.prefix) {
            let n = shared::numbering::record_number(prefix, &id);
            let (p, rest) = n.split_once('-').unwrap();
            prop_assert_eq!(p, prefix);
            prop_assert_eq!(rest.len(), 9);
            prop_assert!(rest.chars().all(|c| c == '-' || "0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(c)));
            prop_assert!(seen.insert(n));
        }
    }
}

#[test]
fn a_thousand_random_offline_records_get_a_thousand_numbers() {
    // A fixed pseudo-random sequence stands in for the devices' random ids.
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut numbers = std::collections::HashSet::new();
    for _ in 0..1000 {
        let mut bytes = [0u8; 16];
        for b in &mut bytes {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            *b = state as u8;
        }
        numbers.insert(INCIDENT.number(&DocumentId::from_bytes(bytes)));
    }
    assert_eq!(numbers.len(), 1000);
}
