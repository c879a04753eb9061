//! Who someone is as far as records are concerned: their roles, sites and teams, and the
//! name a decision is recorded under. Plain data; what it lets them do is `crate::access`'s
//! rule and `crate::duties`'.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Works the records of their sites.
    Technician,
    /// Service desk agent: works the records of their teams.
    Agent,
    /// Change manager or CAB member: works every change (approvals).
    ChangeManager,
    /// Reads everything, writes nothing.
    Auditor,
    /// Runs the relay: people, sites, teams; works every record.
    Administrator,
    /// Sees and works security incidents.
    Security,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Technician,
        Role::Agent,
        Role::ChangeManager,
        Role::Auditor,
        Role::Administrator,
        Role::Security,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Technician => "technician",
            Role::Agent => "agent",
            Role::ChangeManager => "change_manager",
            Role::Auditor => "auditor",
            Role::Administrator => "administrator",
            Role::Security => "security",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A signed-in person as far as access is concerned.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Person {
    pub roles: BTreeSet<Role>,
    pub sites: BTreeSet<String>,
    pub teams: BTreeSet<String>,
    /// A CAB member through a role the relay's operator made one (`outpost serve --cab-role`),
    /// besides change managers, who always are (`crate::duties`).
    #[serde(default)]
    pub cab: bool,
}

/// A signed-in person by name: who a decision is recorded as (their username) and what they
/// may do. The relay knows it from the session; the app from the session it keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    pub username: String,
    pub person: Person,
}
