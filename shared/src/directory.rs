//! The people directory a device keeps, so fields naming a person (an assignee, an owner, a
//! major incident owner) are chosen by name offline and stored as the person's username.
//!
//! What a person may learn of the others is a trust decision (SECURITY.md, "The directory"):
//! the relay answers `/api/directory` with [`visible_to`], and only names and roles, never
//! sites, teams, or whether an account is disabled. Administrators and auditors see every
//! active person; everyone else with a role sees the active people who share a site or a team
//! with them, and those whose roles reach every site (administrators, change managers), who
//! own major incidents and approve changes anywhere. Someone with no role sees no one.

use serde::{Deserialize, Serialize};

use crate::access::{Person, Role};

/// One person as the directory shows them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The stable id a record stores.
    pub username: String,
    /// The name a picker shows (the username when the account has none).
    pub display_name: String,
    #[serde(default)]
    pub roles: Vec<String>,
}

/// An account as the relay holds it: what [`visible_to`] decides from.
#[derive(Debug, Clone, Copy)]
pub struct Account<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub disabled: bool,
    pub person: &'a Person,
}

/// Roles whose work is not bound to a site or team: whoever has one is listed to everyone.
const EVERYWHERE: [Role; 2] = [Role::Administrator, Role::ChangeManager];

/// The directory `viewer` may see of `accounts`, by display name.
pub fn visible_to<'a>(
    viewer: &Person,
    accounts: impl IntoIterator<Item = Account<'a>>,
) -> Vec<Entry> {
    if viewer.roles.is_empty() {
        return vec![];
    }
    let sees_all =
        viewer.roles.contains(&Role::Administrator) || viewer.roles.contains(&Role::Auditor);
    let shares = |p: &Person| {
        !p.sites.is_disjoint(&viewer.sites)
            || !p.teams.is_disjoint(&viewer.teams)
            || EVERYWHERE.iter().any(|r| p.roles.contains(r))
    };
    let mut entries: Vec<Entry> = accounts
        .into_iter()
        .filter(|a| !a.disabled && (sees_all || shares(a.person)))
        .map(|a| Entry {
            username: a.username.to_string(),
            display_name: match a.display_name.trim() {
                "" => a.username.to_string(),
                name => name.to_string(),
            },
            roles: a
                .person
                .roles
                .iter()
                .map(|r| r.as_str().to_string())
                .collect(),
        })
        .collect();
    crate::order::sort_by(&mut entries, |a, b| {
        a.display_name
            .to_lowercase()
            .cmp(&b.display_name.to_lowercase())
            .then_with(|| a.username.cmp(&b.username))
    });
    entries
}

/// The name to show for `username`: their display name, or the stored id itself when the
/// directory does not list them (someone out of sight, gone, or typed before pickers).
pub fn name_of<'a>(directory: &'a [Entry], username: &'a str) -> &'a str {
    directory
        .iter()
        .find(|e| e.username == username)
        .map_or(username, |e| e.display_name.as_str())
}

/// What a person picker offers: (username, display name) for everyone in `directory`, and the
/// value already stored when the directory does not list it, as itself (a record keeps naming
/// someone the device cannot see; it is shown, not dropped).
pub fn choices(directory: &[Entry], chosen: &str) -> Vec<(String, String)> {
    let mut choices: Vec<(String, String)> = directory
        .iter()
        .map(|e| (e.username.clone(), e.display_name.clone()))
        .collect();
    let chosen = chosen.trim();
    if !chosen.is_empty() && !directory.iter().any(|e| e.username == chosen) {
        choices.push((chosen.to_string(), chosen.to_string()));
    }
    choices
}

/// A site or a team as the relay lists it (`GET /api/sites`, `/api/teams`): records store the
/// id, people read the name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    #[serde(default)]
    pub name: String,
}

impl Group {
    /// How it is shown: its name, or its id when it has none.
    pub fn label(&self) -> &str {
        match self.name.trim() {
            "" => &self.id,
            name => name,
        }
    }
}

/// The sites and teams a device keeps, so forms and lists show their names offline.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Groups {
    #[serde(default)]
    pub sites: Vec<Group>,
    #[serde(default)]
    pub teams: Vec<Group>,
}

impl Groups {
    /// The name of site `id` (the id itself when the device knows no name for it).
    pub fn site<'a>(&'a self, id: &'a str) -> &'a str {
        label_of(&self.sites, id)
    }

    /// The name of team `id` (the id itself when the device knows no name for it).
    pub fn team<'a>(&'a self, id: &'a str) -> &'a str {
        label_of(&self.teams, id)
    }
}

fn label_of<'a>(groups: &'a [Group], id: &'a str) -> &'a str {
    groups.iter().find(|g| g.id == id).map_or(id, Group::label)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(roles: &[Role], sites: &[&str], teams: &[&str]) -> Person {
        Person {
            roles: roles.iter().copied().collect(),
            sites: sites.iter().map(|s| s.to_string()).collect(),
            teams: teams.iter().map(|t| t.to_string()).collect(),
            cab: false,
        }
    }

    fn names(entries: &[Entry]) -> Vec<&str> {
        entries.iter().map(|e| e.username.as_str()).collect()
    }

    struct People(Vec<(&'static str, &'static str, bool, Person)>);

    impl People {
        fn accounts(&self) -> impl Iterator<Item = Account<'_>> {
            self.0.iter().map(|(u, d, disabled, p)| Account {
                username: u,
                display_name: d,
                disabled: *disabled,
                person: p,
            })
        }
    }

    fn people() -> People {
        People(vec![
            (
                "ana",
                "Ana Silva",
                false,
                person(&[Role::Technician], &["north"], &[]),
            ),
            (
                "bo",
                "Bo Berg",
                false,
                person(&[Role::Technician], &["south"], &[]),
            ),
            ("cy", "", false, person(&[Role::Agent], &[], &["desk"])),
            (
                "dee",
                "Dee Manager",
                false,
                person(&[Role::ChangeManager], &[], &[]),
            ),
            (
                "eve",
                "Eve Gone",
                true,
                person(&[Role::Technician], &["north"], &[]),
            ),
            (
                "root",
                "Administrator",
                false,
                person(&[Role::Administrator], &[], &[]),
            ),
        ])
    }

    #[test]
    fn a_worker_sees_who_shares_a_site_or_team_and_who_works_everywhere() {
        let people = people();
        let ana = person(&[Role::Technician], &["north"], &["desk"]);
        let seen = visible_to(&ana, people.accounts());
        // By display name; cy has none and shows as cy; eve is disabled; bo is elsewhere.
        assert_eq!(names(&seen), ["root", "ana", "cy", "dee"]);
        assert_eq!(seen[2].display_name, "cy");
        assert_eq!(seen[3].roles, ["change_manager"]);
    }

    #[test]
    fn administrators_and_auditors_see_every_active_person_and_no_role_sees_no_one() {
        let people = people();
        for viewer in [
            person(&[Role::Administrator], &[], &[]),
            person(&[Role::Auditor], &[], &[]),
        ] {
            assert_eq!(
                names(&visible_to(&viewer, people.accounts())),
                ["root", "ana", "bo", "cy", "dee"]
            );
        }
        let nobody = person(&[], &["north"], &["desk"]);
        assert!(visible_to(&nobody, people.accounts()).is_empty());
    }

    #[test]
    fn an_entry_carries_names_and_roles_only() {
        let people = people();
        let json = serde_json::to_value(visible_to(
            &person(&[Role::Administrator], &[], &[]),
            people.accounts(),
        ))
        .unwrap();
        let keys: Vec<&str> = json[0]
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["display_name", "roles", "username"]);
    }

    #[test]
    fn an_unknown_username_shows_as_itself_and_stays_a_choice() {
        let people = people();
        let dir = visible_to(&person(&[Role::Administrator], &[], &[]), people.accounts());
        assert_eq!(name_of(&dir, "ana"), "Ana Silva");
        assert_eq!(name_of(&dir, "jo.typed"), "jo.typed");
        let offered = choices(&dir, "jo.typed");
        assert_eq!(
            offered.last(),
            Some(&("jo.typed".to_string(), "jo.typed".to_string()))
        );
        assert_eq!(choices(&dir, "ana").len(), dir.len());
        assert_eq!(choices(&dir, "").len(), dir.len());
    }

    #[test]
    fn sites_and_teams_show_by_name_and_an_unknown_or_unnamed_one_by_id() {
        let groups = Groups {
            sites: vec![
                Group {
                    id: "north".into(),
                    name: "North depot".into(),
                },
                Group {
                    id: "south".into(),
                    name: " ".into(),
                },
            ],
            teams: vec![Group {
                id: "network".into(),
                name: "Network team".into(),
            }],
        };
        assert_eq!(groups.site("north"), "North depot");
        assert_eq!(groups.site("south"), "south");
        assert_eq!(groups.site("east"), "east");
        assert_eq!(groups.team("network"), "Network team");
        assert_eq!(groups.team("north"), "north", "sites are not teams");
        // What the relay answers and an older copy without names both read.
        let kept: Groups = serde_json::from_str(r#"{"sites":[{"id":"north"}]}"#).unwrap();
        assert_eq!(kept.site("north"), "north");
    }
}
