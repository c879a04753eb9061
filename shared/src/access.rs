//! Who may see and change which record: the rule the relay enforces and the app mirrors.
//!
//! Roles are those of design.md. A record belongs to a site and/or a team; security incidents
//! are restricted to the security role whatever else a person holds.

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
}

/// Where a record (or a scope's index document) belongs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordScope {
    /// The record type (`incident`, `change`, …); empty for index documents.
    pub kind: String,
    pub site: Option<String>,
    pub team: Option<String>,
    /// Security incidents: only the security role sees them.
    pub restricted: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Access {
    /// As if the record did not exist.
    None,
    Read,
    ReadWrite,
}

/// The one access rule.
pub fn access(person: &Person, scope: &RecordScope) -> Access {
    let has = |r: Role| person.roles.contains(&r);
    if scope.restricted {
        return if has(Role::Security) {
            Access::ReadWrite
        } else {
            Access::None
        };
    }
    let works_it = has(Role::Administrator)
        || (has(Role::ChangeManager) && scope.kind == "change")
        || in_scope(person, scope, Role::Technician, Role::Agent);
    if works_it {
        Access::ReadWrite
    } else if has(Role::Auditor) {
        Access::Read
    } else {
        Access::None
    }
}

/// A record with neither site nor team is shared by everyone who works records at all.
fn in_scope(person: &Person, scope: &RecordScope, by_site: Role, by_team: Role) -> bool {
    let site = person.roles.contains(&by_site)
        && scope.site.as_ref().is_none_or(|s| person.sites.contains(s));
    let team = person.roles.contains(&by_team)
        && scope.team.as_ref().is_none_or(|t| person.teams.contains(t));
    match (&scope.site, &scope.team) {
        (None, None) => site || team,
        (Some(_), None) => site,
        (None, Some(_)) => team,
        (Some(_), Some(_)) => site || team,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(roles: &[Role], sites: &[&str], teams: &[&str]) -> Person {
        Person {
            roles: roles.iter().copied().collect(),
            sites: sites.iter().map(|s| s.to_string()).collect(),
            teams: teams.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn record(kind: &str, site: Option<&str>, team: Option<&str>) -> RecordScope {
        RecordScope {
            kind: kind.into(),
            site: site.map(str::to_string),
            team: team.map(str::to_string),
            restricted: false,
        }
    }

    #[test]
    fn technicians_work_their_sites_only() {
        let tech = person(&[Role::Technician], &["north"], &[]);
        assert_eq!(
            access(&tech, &record("incident", Some("north"), None)),
            Access::ReadWrite
        );
        assert_eq!(
            access(&tech, &record("incident", Some("south"), None)),
            Access::None
        );
        assert_eq!(
            access(&tech, &record("incident", None, Some("desk"))),
            Access::None
        );
    }

    #[test]
    fn agents_work_their_teams_only() {
        let agent = person(&[Role::Agent], &[], &["desk"]);
        assert_eq!(
            access(&agent, &record("incident", None, Some("desk"))),
            Access::ReadWrite
        );
        assert_eq!(
            access(&agent, &record("incident", Some("north"), Some("desk"))),
            Access::ReadWrite
        );
        assert_eq!(
            access(&agent, &record("incident", None, Some("network"))),
            Access::None
        );
    }

    #[test]
    fn auditors_read_everything_and_write_nothing() {
        let auditor = person(&[Role::Auditor], &[], &[]);
        assert_eq!(
            access(&auditor, &record("incident", Some("north"), None)),
            Access::Read
        );
        assert_eq!(
            access(&auditor, &record("change", None, Some("desk"))),
            Access::Read
        );
        assert_eq!(access(&auditor, &record("", None, None)), Access::Read);
    }

    #[test]
    fn change_managers_work_every_change() {
        let cab = person(&[Role::ChangeManager], &[], &[]);
        assert_eq!(
            access(&cab, &record("change", Some("south"), None)),
            Access::ReadWrite
        );
        assert_eq!(
            access(&cab, &record("incident", Some("south"), None)),
            Access::None
        );
    }

    #[test]
    fn security_incidents_need_the_security_role() {
        let mut secret = record("incident", Some("north"), None);
        secret.restricted = true;
        let admin = person(&[Role::Administrator, Role::Auditor], &["north"], &[]);
        assert_eq!(access(&admin, &secret), Access::None);
        let sec = person(&[Role::Security], &[], &[]);
        assert_eq!(access(&sec, &secret), Access::ReadWrite);
    }

    #[test]
    fn nobody_without_roles_sees_anything() {
        let nobody = person(&[], &["north"], &["desk"]);
        assert_eq!(
            access(&nobody, &record("incident", None, None)),
            Access::None
        );
    }

    #[test]
    fn roles_parse_from_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }
}

/// The scope a record document declares at its root: `type`, `site`, `team`, and `restricted`
/// (security incidents). `None` when the document is not an Outpost record.
pub fn record_scope(doc: &automerge::Automerge) -> Option<RecordScope> {
    use automerge::{ReadDoc, ScalarValue, Value};
    let text = |key: &str| match doc.get(automerge::ROOT, key).ok().flatten() {
        Some((Value::Scalar(s), _)) => match s.as_ref() {
            ScalarValue::Str(t) if !t.is_empty() => Some(t.to_string()),
            _ => None,
        },
        _ => None,
    };
    let kind = text("type")?;
    let restricted = kind == "security_incident"
        || matches!(
            doc.get(automerge::ROOT, "restricted").ok().flatten(),
            Some((Value::Scalar(s), _)) if matches!(s.as_ref(), ScalarValue::Boolean(true))
        );
    Some(RecordScope {
        site: text("site"),
        team: text("team"),
        kind,
        restricted,
    })
}

#[cfg(test)]
mod scope_tests {
    use automerge::{Automerge, transaction::Transactable};

    use super::*;

    #[test]
    fn scope_is_read_from_the_document_root() {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(automerge::ROOT, "type", "incident").unwrap();
        tx.put(automerge::ROOT, "site", "north").unwrap();
        tx.put(automerge::ROOT, "team", "").unwrap();
        tx.commit();
        let scope = record_scope(&doc).unwrap();
        assert_eq!(scope.kind, "incident");
        assert_eq!(scope.site.as_deref(), Some("north"));
        assert_eq!(scope.team, None);
        assert!(!scope.restricted);
        assert_eq!(record_scope(&Automerge::new()), None);
    }

    #[test]
    fn security_incident_documents_are_restricted() {
        let mut doc = Automerge::new();
        let mut tx = doc.transaction();
        tx.put(
            automerge::ROOT,
            "type",
            crate::records::security::SECURITY_INCIDENT.kind,
        )
        .unwrap();
        tx.commit();
        assert!(record_scope(&doc).unwrap().restricted);
    }
}
