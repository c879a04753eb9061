//! Why a change was not accepted: a machine-readable code the device acts on, and a sentence
//! the person reads. The relay sends one with every refused write (`protocol::Message::Refused`),
//! `access::may_write` gives one for every record a person may not change, and the device keeps
//! one with every record whose change the relay did not accept.

use serde::{Deserialize, Serialize};

/// What kind of refusal it is. Unknown codes (from a newer relay) are kept as they came.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum RefusalCode {
    /// The person's role may read the record but not change it (auditors).
    ReadOnly,
    /// The record is outside the person's sites and teams (or their role no longer covers it).
    OutOfScope,
    /// The change would move the record to another site or team, which the relay does not allow.
    ScopeChange,
    /// The change crosses a limit of the relay (size, count).
    Limit,
    /// The document or change breaks a rule about its shape: not a record of a type the relay
    /// knows, or an index entry removed or rewritten (`shared::scope`).
    Invalid,
    /// The change records a decision its sender may not make: an approval of their own change,
    /// or without the change-manager role (`shared::duties`).
    SeparationOfDuties,
    /// A code this version does not know.
    Other(String),
}

impl RefusalCode {
    pub fn as_str(&self) -> &str {
        match self {
            RefusalCode::ReadOnly => "read_only",
            RefusalCode::OutOfScope => "out_of_scope",
            RefusalCode::ScopeChange => "scope_change",
            RefusalCode::Limit => "limit",
            RefusalCode::Invalid => "invalid",
            RefusalCode::SeparationOfDuties => "separation_of_duties",
            RefusalCode::Other(code) => code,
        }
    }

    pub fn parse(code: &str) -> RefusalCode {
        match code {
            "read_only" => RefusalCode::ReadOnly,
            "out_of_scope" => RefusalCode::OutOfScope,
            "scope_change" => RefusalCode::ScopeChange,
            "limit" => RefusalCode::Limit,
            "invalid" => RefusalCode::Invalid,
            "separation_of_duties" => RefusalCode::SeparationOfDuties,
            other => RefusalCode::Other(other.to_string()),
        }
    }
}

impl From<String> for RefusalCode {
    fn from(code: String) -> Self {
        RefusalCode::parse(&code)
    }
}

impl From<RefusalCode> for String {
    fn from(code: RefusalCode) -> Self {
        code.as_str().to_string()
    }
}

impl std::fmt::Display for RefusalCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A refusal: its code and the sentence the person sees.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    pub code: RefusalCode,
    pub reason: String,
}

impl Refusal {
    pub fn new(code: RefusalCode, reason: impl Into<String>) -> Self {
        Self {
            code,
            reason: reason.into(),
        }
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.reason)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_names_and_unknown_ones_are_kept() {
        for code in [
            RefusalCode::ReadOnly,
            RefusalCode::OutOfScope,
            RefusalCode::ScopeChange,
            RefusalCode::Limit,
            RefusalCode::Invalid,
            RefusalCode::SeparationOfDuties,
            RefusalCode::Other("quota".into()),
        ] {
            assert_eq!(RefusalCode::parse(code.as_str()), code);
        }
        let json = serde_json::to_string(&Refusal::new(RefusalCode::ReadOnly, "no")).unwrap();
        assert_eq!(json, r#"{"code":"read_only","reason":"no"}"#);
        let back: Refusal = serde_json::from_str(r#"{"code":"quota","reason":"x"}"#).unwrap();
        assert_eq!(back.code, RefusalCode::Other("quota".into()));
    }
}
