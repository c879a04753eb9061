//! Discovery: which record documents exist in a scope.
//!
//! Each scope (`default`, `restricted`, `site:<id>`, `team:<id>`) has an index document whose
//! id is derived from the scope's name, so every device knows it without asking anyone, even
//! before it has ever been online. Its root maps record document ids to a small entry. Entries
//! are only ever added, each by the device that created the record, so concurrent offline
//! additions on many devices merge without conflict. The relay gives each index document its
//! scope itself and refuses changes that remove entries or list a restricted record outside
//! the restricted index (`shared::scope`).

use automerge::{Automerge, ObjType, ReadDoc, transaction::Transactable};
use sha2::{Digest, Sha256};

use crate::access::RecordScope;
use crate::ids::DocumentId;
use crate::records::{ChangeMeta, RecordError};

pub const DEFAULT_SCOPE: &str = "default";
/// Restricted records (security incidents) are listed here and nowhere else.
pub const RESTRICTED_SCOPE: &str = "restricted";
/// Records everyone with a role reads (`access::is_for_everyone`: continuity plans, freeze
/// windows) are listed here too, so that a person who is only a change manager or only
/// security discovers them without following the default index.
pub const EVERYONE_SCOPE: &str = "everyone";
use crate::access::EVERYONE_KIND;
/// The record type the relay files index documents under.
pub const KIND: &str = "index";

/// The id of the index document of `scope`.
pub fn index_id(scope: &str) -> DocumentId {
    DocumentId::derived(&format!("outpost:index:{scope}"))
}

/// The id `scope`'s index had before derived ids took a form of their own: the relay moves
/// those indexes' entries to the current ones and keeps the old documents from everyone but
/// the security role (they listed security incidents in the default index).
pub fn legacy_index_id(scope: &str) -> DocumentId {
    let digest = Sha256::digest(format!("outpost:index:{scope}").as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    DocumentId::from_bytes(bytes)
}

pub fn site_scope(site: &str) -> String {
    format!("site:{site}")
}

pub fn team_scope(team: &str) -> String {
    format!("team:{team}")
}

/// The index scopes a record of `scope` is listed in: a restricted record in the restricted
/// index only (every other index is read by people who may not read it); any other in the
/// default index and its site's and team's.
pub fn scopes_for(scope: &RecordScope) -> Vec<String> {
    if scope.restricted {
        return vec![RESTRICTED_SCOPE.to_string()];
    }
    let everyone = crate::access::is_for_everyone(&scope.kind);
    std::iter::once(DEFAULT_SCOPE.to_string())
        .chain(everyone.then(|| EVERYONE_SCOPE.to_string()))
        .chain(scope.site.as_deref().map(site_scope))
        .chain(scope.team.as_deref().map(team_scope))
        .collect()
}

/// The index scopes a person follows to discover records: the default index, the everyone
/// index with any role, the restricted one with the security role, and each of their sites'
/// and teams'.
pub fn followed_by(person: &crate::access::Person) -> Vec<String> {
    let restricted = person.roles.contains(&crate::access::Role::Security);
    let everyone = !person.roles.is_empty();
    std::iter::once(DEFAULT_SCOPE.to_string())
        .chain(everyone.then(|| EVERYONE_SCOPE.to_string()))
        .chain(restricted.then(|| RESTRICTED_SCOPE.to_string()))
        .chain(person.sites.iter().map(|s| site_scope(s)))
        .chain(person.teams.iter().map(|t| team_scope(t)))
        .collect()
}

/// Who may read and write the index of `scope`: the scope the relay gives its document. The
/// default index is every worker's (as a record with neither site nor team), a site's its
/// technicians', a team's its agents', the restricted one the security role's. `None` for a
/// name that is not an index scope.
pub fn index_scope(scope: &str) -> Option<RecordScope> {
    let index = |site: Option<&str>, team: Option<&str>, restricted| RecordScope {
        kind: KIND.into(),
        site: site.map(str::to_string),
        team: team.map(str::to_string),
        restricted,
    };
    match scope.split_once(':') {
        None if scope == DEFAULT_SCOPE => Some(index(None, None, false)),
        None if scope == RESTRICTED_SCOPE => Some(index(None, None, true)),
        None if scope == EVERYONE_SCOPE => Some(RecordScope {
            kind: EVERYONE_KIND.into(),
            ..index(None, None, false)
        }),
        Some(("site", site)) if !site.is_empty() => Some(index(Some(site), None, false)),
        Some(("team", team)) if !team.is_empty() => Some(index(None, Some(team), false)),
        _ => None,
    }
}

/// Adds a record to the index (a no-op if it is there already).
pub fn add(
    index: &mut Automerge,
    record: &DocumentId,
    kind: &str,
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    add_many(index, &[(*record, kind)], meta)
}

/// Adds records (id and type) to the index in one change, leaving out those listed already.
pub fn add_many(
    index: &mut Automerge,
    records: &[(DocumentId, &str)],
    meta: &ChangeMeta,
) -> Result<(), RecordError> {
    // Each key once: a second write of a key in one change would replace the first.
    let new: std::collections::BTreeMap<String, &str> = records
        .iter()
        .map(|(id, kind)| (id.to_string(), *kind))
        .filter(|(key, _)| {
            index
                .get(automerge::ROOT, key.as_str())
                .ok()
                .flatten()
                .is_none()
        })
        .collect();
    if new.is_empty() {
        return Ok(());
    }
    let mut tx = index.transaction();
    let write = |tx: &mut automerge::transaction::Transaction<'_>| -> Result<(), automerge::AutomergeError> {
        for (key, kind) in &new {
            let entry = tx.put_object(automerge::ROOT, key.as_str(), ObjType::Map)?;
            tx.put(&entry, "type", *kind)?;
            tx.put(&entry, "created_at", meta.at.millis())?;
        }
        Ok(())
    };
    write(&mut tx).map_err(|e| RecordError::Write(e.to_string()))?;
    tx.commit_with(meta.commit_options());
    Ok(())
}

/// The record ids listed in an index. Keys that are not document ids are skipped: an index
/// written by a misbehaving peer must not stop the app.
pub fn records(index: &Automerge) -> Vec<DocumentId> {
    index
        .keys(automerge::ROOT)
        .filter_map(|k| k.parse().ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Timestamp;

    fn meta(d: &str) -> ChangeMeta {
        ChangeMeta {
            author: "ana".into(),
            device: d.into(),
            at: Timestamp(5),
        }
    }

    #[test]
    fn concurrent_additions_merge() {
        let mut a = Automerge::new();
        let mut b = Automerge::new();
        let (x, y) = (
            DocumentId::from_bytes([1; 16]),
            DocumentId::from_bytes([2; 16]),
        );
        add(&mut a, &x, "incident", &meta("a")).unwrap();
        add(&mut b, &y, "incident", &meta("b")).unwrap();
        add(&mut b, &y, "incident", &meta("b")).unwrap();
        a.merge(&mut b).unwrap();
        let mut ids = records(&a);
        ids.sort();
        assert_eq!(ids, vec![x, y]);
    }

    #[test]
    fn index_id_is_the_same_everywhere() {
        assert_eq!(index_id("default"), index_id("default"));
        assert_ne!(index_id("default"), index_id("site-7"));
        assert!(index_id("site:north").is_derived());
        assert!(!legacy_index_id("site:north").is_derived());
    }

    #[test]
    fn restricted_records_are_listed_in_the_restricted_index_only() {
        let mut scope = RecordScope {
            kind: "incident".into(),
            site: Some("north".into()),
            team: Some("desk".into()),
            restricted: false,
        };
        assert_eq!(scopes_for(&scope), ["default", "site:north", "team:desk"]);
        scope.restricted = true;
        assert_eq!(scopes_for(&scope), ["restricted"]);
    }

    #[test]
    fn each_index_is_readable_by_exactly_the_people_of_its_scope() {
        use crate::access::{Access, Person, Role, access};
        let person = |roles: &[Role], sites: &[&str]| Person {
            roles: roles.iter().copied().collect(),
            sites: sites.iter().map(|s| s.to_string()).collect(),
            teams: Default::default(),
            cab: false,
        };
        let tech = person(&[Role::Technician], &["north"]);
        let sec = person(&[Role::Security], &[]);
        let read = |p: &Person, name: &str| access(p, &index_scope(name).unwrap()) != Access::None;
        assert!(read(&tech, "default") && read(&tech, "site:north"));
        assert!(!read(&tech, "site:south") && !read(&tech, "restricted"));
        assert!(read(&sec, "restricted"));
        // What each follows is what each may read.
        assert_eq!(followed_by(&tech), ["default", "everyone", "site:north"]);
        assert_eq!(followed_by(&sec), ["default", "everyone", "restricted"]);
        let cab = person(&[Role::ChangeManager], &[]);
        assert!(read(&cab, "everyone") && read(&sec, "everyone"));
        assert!(!read(&Person::default(), "everyone"));
        for p in [&tech, &sec] {
            assert!(
                followed_by(p)
                    .iter()
                    .all(|name| read(p, name) || name == "default")
            );
        }
        assert_eq!(index_scope("site:"), None);
        assert_eq!(index_scope("anything"), None);
    }
}
