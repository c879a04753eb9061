//! Who may see and change which record: the rule the relay enforces and the app mirrors.
//!
//! Roles are those of design.md. A record belongs to a site and/or a team; security incidents
//! are restricted to the security role whatever else a person holds.

use serde::{Deserialize, Serialize};

use crate::refusal::{Refusal, RefusalCode};

pub use crate::person::{Actor, Person, Role};

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
    let works_it = if is_managed_kind(&scope.kind) {
        has(Role::Administrator) || has(Role::ChangeManager)
    } else if scope.kind == EVERYONE_KIND {
        // Whoever may create a record listed there adds its entry.
        person.roles.iter().any(|r| *r != Role::Auditor)
    } else {
        works_every_team(person)
            || (has(Role::ChangeManager) && scope.kind == "change")
            || in_scope(person, scope, Role::Technician, Role::Agent)
    };
    if works_it {
        Access::ReadWrite
    } else if has(Role::Auditor) || (is_for_everyone(&scope.kind) && !person.roles.is_empty()) {
        Access::Read
    } else {
        Access::None
    }
}

/// Why an auditor's form has no Save: shown on the record and sent with a refused write.
pub const READ_ONLY: &str = "Auditors read only: your role may read this record but not change it.";
/// Why a record outside the person's reach cannot be changed. It names no site or team: the
/// relay says it to whoever sent the write, and the record's place is not theirs to learn.
pub const OUT_OF_SCOPE: &str = "This record is outside your sites and teams (or your roles no longer cover it), so your change cannot be accepted.";

/// Why a worker's form of a record only administrators and change managers define (freeze
/// windows) has no Save.
pub const MANAGED: &str = "Administrators and change managers define these records; your roles may read them but not change them.";

/// Whether `person` may change a record in `scope`, and if not, why: the one rule behind the
/// relay's refusals and the app's read-only forms.
pub fn may_write(person: &Person, scope: &RecordScope) -> Result<(), Refusal> {
    match access(person, scope) {
        Access::ReadWrite => Ok(()),
        Access::Read if is_managed_kind(&scope.kind) && !person.roles.is_empty() => {
            Err(Refusal::new(RefusalCode::ReadOnly, MANAGED))
        }
        Access::Read => Err(Refusal::new(RefusalCode::ReadOnly, READ_ONLY)),
        Access::None => Err(Refusal::new(RefusalCode::OutOfScope, OUT_OF_SCOPE)),
    }
}

/// Whether `person` works the records of every site and team (administrators), so may file a
/// new record in any team, not only their own.
pub fn works_every_team(person: &Person) -> bool {
    person.roles.contains(&Role::Administrator)
}

/// Whether `person` may administer the relay (people, sites, teams, its counters), and if
/// not, why.
pub fn may_administer(person: &Person) -> Result<(), &'static str> {
    if person.roles.contains(&Role::Administrator) {
        Ok(())
    } else {
        Err("only an administrator can do this")
    }
}

/// Whether `person` may take the auditor's evidence export (of what they may read), and if
/// not, why.
pub fn may_export_evidence(person: &Person) -> Result<(), &'static str> {
    if person.roles.contains(&Role::Auditor) || person.roles.contains(&Role::Administrator) {
        Ok(())
    } else {
        Err("only an auditor or an administrator can export evidence")
    }
}

/// Whether `person` may create a record of `kind` at all: whether some place they may file it
/// (no site or team, one of their sites, one of their teams) lets them write it.
pub fn may_create(person: &Person, kind: &str) -> Result<(), Refusal> {
    let scope = |site: Option<&String>, team: Option<&String>| RecordScope {
        kind: kind.to_string(),
        site: site.cloned(),
        team: team.cloned(),
        restricted: is_restricted_kind(kind),
    };
    let places = std::iter::once(scope(None, None))
        .chain(person.sites.iter().map(|s| scope(Some(s), None)))
        .chain(person.teams.iter().map(|t| scope(None, Some(t))));
    let mut refusal = None;
    for place in places {
        match may_write(person, &place) {
            Ok(()) => return Ok(()),
            Err(r) => {
                refusal.get_or_insert(r);
            }
        }
    }
    Err(match refusal {
        Some(r) if r.reason == MANAGED => r,
        Some(r) if r.code == RefusalCode::ReadOnly => Refusal::new(
            RefusalCode::ReadOnly,
            "Auditors read only: your role may not create records.",
        ),
        _ => Refusal::new(
            RefusalCode::OutOfScope,
            "Your roles do not let you create this kind of record.",
        ),
    })
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
            cab: false,
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
    fn only_who_works_every_team_may_file_a_new_record_in_a_team_not_theirs() {
        let admin = person(&[Role::Administrator], &[], &[]);
        let agent = person(&[Role::Agent], &[], &["network"]);
        let elsewhere = record("incident", None, Some("facilities"));
        assert!(works_every_team(&admin));
        assert_eq!(access(&admin, &elsewhere), Access::ReadWrite);
        assert!(!works_every_team(&agent));
        assert_eq!(access(&agent, &elsewhere), Access::None);
        assert_eq!(
            access(&agent, &record("incident", None, Some("network"))),
            Access::ReadWrite
        );
    }

    #[test]
    fn administration_is_for_administrators_and_the_export_also_for_auditors() {
        let admin = person(&[Role::Administrator], &[], &[]);
        let auditor = person(&[Role::Auditor], &[], &[]);
        let manager = person(&[Role::ChangeManager, Role::Security], &[], &[]);
        assert_eq!(may_administer(&admin), Ok(()));
        assert!(
            may_administer(&auditor)
                .unwrap_err()
                .contains("administrator")
        );
        assert!(may_administer(&manager).is_err());
        assert_eq!(may_export_evidence(&admin), Ok(()));
        assert_eq!(may_export_evidence(&auditor), Ok(()));
        assert!(
            may_export_evidence(&manager)
                .unwrap_err()
                .contains("auditor")
        );
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
    fn may_write_says_why_not() {
        let auditor = person(&[Role::Auditor], &[], &[]);
        let north = record("incident", Some("north"), None);
        let refusal = may_write(&auditor, &north).unwrap_err();
        assert_eq!(refusal.code, RefusalCode::ReadOnly);
        assert!(refusal.reason.starts_with("Auditors read only"));
        let tech = person(&[Role::Technician], &["south"], &[]);
        let refusal = may_write(&tech, &north).unwrap_err();
        assert_eq!(refusal.code, RefusalCode::OutOfScope);
        assert!(!refusal.reason.contains("north"), "names no place");
        let tech = person(&[Role::Technician], &["north"], &[]);
        assert_eq!(may_write(&tech, &north), Ok(()));
    }

    #[test]
    fn may_create_needs_some_place_the_person_may_write() {
        let tech = person(&[Role::Technician], &["north"], &[]);
        assert_eq!(may_create(&tech, "incident"), Ok(()));
        assert_eq!(
            may_create(&tech, "security_incident").unwrap_err().code,
            RefusalCode::OutOfScope
        );
        let auditor = person(&[Role::Auditor], &[], &[]);
        let refusal = may_create(&auditor, "incident").unwrap_err();
        assert_eq!(refusal.code, RefusalCode::ReadOnly);
        assert!(refusal.reason.starts_with("Auditors read only"));
        let cab = person(&[Role::ChangeManager], &[], &[]);
        assert_eq!(may_create(&cab, "change"), Ok(()));
        assert!(may_create(&cab, "incident").is_err());
        let sec = person(&[Role::Security], &[], &[]);
        assert_eq!(may_create(&sec, "security_incident"), Ok(()));
        assert!(may_create(&sec, "incident").is_err());
        let agent = person(&[Role::Agent], &[], &["desk"]);
        assert_eq!(may_create(&agent, "problem"), Ok(()));
    }

    #[test]
    fn everyone_with_a_role_reads_continuity_plans_and_freeze_windows() {
        let plan = record("continuity_plan", Some("north"), None);
        let freeze = record("freeze_window", None, None);
        for role in [Role::ChangeManager, Role::Security, Role::Agent] {
            let p = person(&[role], &[], &[]);
            assert_eq!(access(&p, &plan), Access::Read, "{role:?}");
        }
        assert_eq!(access(&person(&[], &[], &[]), &plan), Access::None);
        let mut secret = plan.clone();
        secret.restricted = true;
        assert_eq!(
            access(&person(&[Role::ChangeManager], &[], &[]), &secret),
            Access::None
        );
        // Freeze windows: administrators and change managers define them, the rest read them.
        assert_eq!(
            access(&person(&[Role::ChangeManager], &[], &[]), &freeze),
            Access::ReadWrite
        );
        let tech = person(&[Role::Technician], &["north"], &[]);
        assert_eq!(access(&tech, &freeze), Access::Read);
        assert_eq!(may_write(&tech, &freeze).unwrap_err().reason, MANAGED);
        assert_eq!(
            may_create(&tech, "freeze_window").unwrap_err().reason,
            MANAGED
        );
        assert_eq!(
            may_create(&person(&[Role::Administrator], &[], &[]), "freeze_window"),
            Ok(())
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

/// The record type the relay files the everyone index under (`crate::index`): every role
/// reads it.
pub const EVERYONE_KIND: &str = "index_everyone";

/// Whether every record of this type is restricted to one role (its description says so:
/// security incidents).
pub fn is_restricted_kind(kind: &str) -> bool {
    crate::records::type_of(kind).is_some_and(|t| t.restricted_to.is_some())
}

/// Whether only administrators and change managers write records of this type (its
/// description says so: freeze windows); everyone who works records reads them.
pub fn is_managed_kind(kind: &str) -> bool {
    crate::records::type_of(kind).is_some_and(|t| t.managed)
}

/// Whether everyone with a role reads records of this type (unless a record is restricted):
/// continuity plans (ISO 20000 8.7.2: readable when the normal site is not), freeze windows
/// (every change is planned around them), and the index that lists them.
pub fn is_for_everyone(kind: &str) -> bool {
    kind == EVERYONE_KIND
        || crate::records::type_of(kind).is_some_and(|t| t.on_every_device || t.managed)
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
    let restricted = is_restricted_kind(&kind)
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
