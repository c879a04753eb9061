//! The records on the device, for rules that read other records (`crate::forms::Lookup`).

use automerge::{Automerge, ReadDoc, ScalarValue, Value};

use super::Device;
use crate::forms::Lookup;

/// The device's records as `Lookup` sees them: by number (listed records by their summary,
/// records no list shows by the number in their document) and by type.
pub struct OnDevice<'a>(pub &'a Device);

impl Lookup for OnDevice<'_> {
    fn record(&self, number: &str) -> Option<Automerge> {
        let device = self.0;
        match device.listed_number(number) {
            Some(id) => device.docs.get(&id).cloned(),
            // Records no list shows (change templates): by the number in the document.
            None => device.docs.iter().find_map(|(_, doc)| {
                (root_string(doc, "number")?.eq_ignore_ascii_case(number.trim()))
                    .then(|| doc.clone())
            }),
        }
    }

    fn id_of(&self, number: &str) -> Option<String> {
        self.0.listed_number(number).map(|id| id.to_string())
    }

    fn all(&self, kind: &str) -> Vec<Automerge> {
        self.0
            .ids_of(kind)
            .iter()
            .filter_map(|id| self.0.docs.get(id).cloned())
            .collect()
    }
}

fn root_string(doc: &Automerge, key: &str) -> Option<String> {
    match doc.get(automerge::ROOT, key).ok().flatten()? {
        (Value::Scalar(s), _) => match s.as_ref() {
            ScalarValue::Str(t) => Some(t.to_string()),
            _ => None,
        },
        _ => None,
    }
}
