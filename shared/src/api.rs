//! The relay's JSON API as both sides see it: every request body and answer is one type here,
//! which the relay serialises and the app reads, so the contract is written once.
//!
//! Answers are read tolerantly: a member an older relay does not send takes its default, and
//! roles this version does not know are kept as text (and left out of [`SessionInfo::person`]).

use serde::{Deserialize, Serialize};

use crate::access::{Person, Role};
pub use crate::directory::{Entry, Group};

/// Every error answer: a status and `{"error": sentence}` for the person.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
}

/// `POST /api/session`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SignIn {
    pub username: String,
    pub password: String,
    /// The app's device id (`device-…`), bound to this person from then on.
    pub device: String,
}

/// The signed-in person (`POST` and `GET /api/session`), kept on the device for offline use.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionInfo {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub sites: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    /// A CAB member by a role the relay's operator made one (change managers always are).
    #[serde(default)]
    pub cab: bool,
    /// The device this session was started on.
    #[serde(default)]
    pub device: String,
    #[serde(default)]
    pub expires_at: i64,
}

impl SessionInfo {
    pub fn has_role(&self, role: &str) -> bool {
        self.roles.iter().any(|r| r == role)
    }

    /// The name to show: the display name, or the username when there is none.
    pub fn name(&self) -> &str {
        if self.display_name.trim().is_empty() {
            &self.username
        } else {
            &self.display_name
        }
    }

    /// The person as [`crate::access`] sees them (roles this version does not know are left
    /// out).
    pub fn person(&self) -> Person {
        Person {
            roles: self.roles.iter().filter_map(|r| Role::parse(r)).collect(),
            sites: self.sites.iter().cloned().collect(),
            teams: self.teams.iter().cloned().collect(),
            cab: self.cab,
        }
    }

    /// Whether they may administer the relay ([`crate::access::may_administer`]): the app
    /// offers administration only then.
    pub fn may_administer(&self) -> bool {
        crate::access::may_administer(&self.person()).is_ok()
    }

    /// Whether they may file a new record in any team ([`crate::access::works_every_team`]):
    /// the team picker then offers every team the relay lists.
    pub fn works_every_team(&self) -> bool {
        crate::access::works_every_team(&self.person())
    }

    /// Whether they may take the evidence export ([`crate::access::may_export_evidence`]).
    pub fn may_export_evidence(&self) -> bool {
        crate::access::may_export_evidence(&self.person()).is_ok()
    }

    /// The scopes whose index documents this person follows ([`crate::index::followed_by`]).
    pub fn index_scopes(&self) -> Vec<String> {
        crate::index::followed_by(&self.person())
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    pub fn from_json(s: &str) -> Option<SessionInfo> {
        serde_json::from_str(s).ok()
    }
}

/// `GET /api/changes?since=…`: the documents this person may read that changed since the
/// cursor on other devices, and the cursor to ask from next.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Changes {
    pub cursor: i64,
    pub documents: Vec<String>,
}

/// The query of `GET /api/changes`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Since {
    /// The cursor of the last answer; 0 (or absent) asks for everything.
    #[serde(default)]
    pub since: i64,
}

impl Since {
    pub fn path(self) -> String {
        format!("/api/changes?since={}", self.since)
    }
}

/// The query of `GET /api/export/evidence` (auditors and administrators): a zip of a sample
/// of the records that evidence ISO 20000 clause `clause`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EvidenceQuery {
    pub clause: String,
    #[serde(default = "EvidenceQuery::default_sample")]
    pub sample: usize,
    /// Repeats an earlier draw; a fresh export uses the relay's time.
    #[serde(default)]
    pub seed: Option<String>,
}

impl EvidenceQuery {
    /// Enough for any audit sample; bounds the work one request can ask of the relay.
    pub const MAX_SAMPLE: usize = 500;

    fn default_sample() -> usize {
        25
    }

    /// The request's path, its values encoded by `encode` (the browser's
    /// `encodeURIComponent` in the app).
    pub fn path(&self, encode: impl Fn(&str) -> String) -> String {
        let mut path = format!(
            "/api/export/evidence?clause={}&sample={}",
            encode(&self.clause),
            self.sample
        );
        if let Some(seed) = &self.seed {
            path.push_str(&format!("&seed={}", encode(seed)));
        }
        path
    }
}

/// `GET /api/documents/{id}/receipts`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipts {
    pub receipts: Vec<Receipt>,
}

/// One change as the relay logged its arrival: who delivered it, from which device, when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    #[serde(default)]
    pub seq: i64,
    pub hash: String,
    #[serde(default)]
    pub document: String,
    /// The username of the person whose session delivered it.
    #[serde(default)]
    pub person: String,
    #[serde(default)]
    pub device: String,
    /// The relay's clock, ms since the epoch.
    #[serde(default)]
    pub received_at: i64,
    /// The device's own time and author, from the change's metadata, when it has them.
    #[serde(default)]
    pub device_time: Option<i64>,
    #[serde(default)]
    pub author: Option<String>,
}

/// `GET /api/people` (administrators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct People {
    pub people: Vec<PersonRow>,
}

/// A person as the administration screen lists them (`GET /api/people`; also the answer to
/// adding or changing one).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PersonRow {
    #[serde(default)]
    pub id: i64,
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    #[serde(default)]
    pub disabled: bool,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub sites: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
    #[serde(default)]
    pub cab: bool,
}

/// `POST /api/people` (administrators).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPerson {
    pub username: String,
    #[serde(default)]
    pub display_name: String,
    pub password: String,
    #[serde(default)]
    pub roles: Vec<Role>,
    #[serde(default)]
    pub sites: Vec<String>,
    #[serde(default)]
    pub teams: Vec<String>,
}

/// `POST /api/people/{username}` (administrators): what changes; what is absent stays.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PersonUpdate {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disabled: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub grant: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke: Option<Role>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_site: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub join_team: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub leave_team: Option<String>,
}

/// `GET /api/directory`: the people this person may pick by name ([`crate::directory`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Directory {
    pub people: Vec<Entry>,
}

/// `GET /api/sites`, and the answer to adding one (`POST /api/sites` with a [`Group`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sites {
    #[serde(default)]
    pub sites: Vec<Group>,
}

/// `GET /api/teams`, and the answer to adding one (`POST /api/teams` with a [`Group`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Teams {
    #[serde(default)]
    pub teams: Vec<Group>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_from_the_relay_round_trips_through_storage_json() {
        let body = r#"{"username":"ana","display_name":"Ana Silva","roles":["technician"],
            "sites":["north"],"teams":[],"device":"device-1","expires_at":1790000000000}"#;
        let s = SessionInfo::from_json(body).unwrap();
        assert_eq!(s.username, "ana");
        assert_eq!(s.device, "device-1");
        assert_eq!(s.name(), "Ana Silva");
        assert!(s.has_role("technician") && !s.has_role("administrator"));
        assert!(!s.may_administer() && !s.may_export_evidence());
        assert_eq!(SessionInfo::from_json(&s.to_json()), Some(s.clone()));
        // Everyone with a role follows the `everyone` index (continuity plans, freeze windows).
        assert_eq!(s.index_scopes(), ["default", "everyone", "site:north"]);
        assert!(
            !s.person().cab,
            "a session kept from before the flag reads as no CAB member"
        );
        let security = SessionInfo {
            roles: vec!["security".into(), "astronaut".into()],
            ..s
        };
        // A role this version does not know is kept, and grants nothing.
        assert_eq!(
            security.index_scopes(),
            ["default", "everyone", "restricted", "site:north"]
        );
        let cab =
            SessionInfo::from_json(&body.replace("\"teams\":[]", "\"teams\":[],\"cab\":true"))
                .unwrap();
        assert!(cab.person().cab);
    }

    #[test]
    fn an_update_sends_only_what_changes() {
        let grant = PersonUpdate {
            grant: Some(Role::ChangeManager),
            ..PersonUpdate::default()
        };
        assert_eq!(
            serde_json::to_string(&grant).unwrap(),
            r#"{"grant":"change_manager"}"#
        );
        let read: PersonUpdate = serde_json::from_str(r#"{"join_site":"north"}"#).unwrap();
        assert_eq!(read.join_site.as_deref(), Some("north"));
        assert_eq!(read.grant, None);
    }

    #[test]
    fn queries_say_what_they_ask() {
        assert_eq!(Since { since: 42 }.path(), "/api/changes?since=42");
        let q = EvidenceQuery {
            clause: "8.6.1".into(),
            sample: 10,
            seed: Some("a b".into()),
        };
        let path = q.path(|v| v.replace(' ', "%20"));
        assert_eq!(
            path,
            "/api/export/evidence?clause=8.6.1&sample=10&seed=a%20b"
        );
        let read: EvidenceQuery = serde_json::from_str(r#"{"clause":"8.6.1"}"#).unwrap();
        assert_eq!((read.sample, read.seed), (25, None));
    }

    #[test]
    fn answers_from_an_older_relay_read_with_defaults() {
        let row: PersonRow = serde_json::from_str(r#"{"username":"bo"}"#).unwrap();
        assert_eq!((row.id, row.disabled, row.cab), (0, false, false));
        let receipt: Receipt = serde_json::from_str(r#"{"hash":"ab"}"#).unwrap();
        assert_eq!((receipt.person.as_str(), receipt.author), ("", None));
        let sites: Sites = serde_json::from_str("{}").unwrap();
        assert!(sites.sites.is_empty());
    }
}
