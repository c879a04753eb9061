//! People, their roles, and the sites and teams they belong to.

use std::collections::BTreeSet;

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use shared::access::{Person, Role};
use sqlx::Connection;

use super::{Result, Store, StoreError, now_ms, on_db, write_tx};

/// A person to add: what the admin API receives, and what the command line builds.
pub use shared::api::NewPerson;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PersonRecord {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub disabled: bool,
    #[serde(flatten)]
    pub access: Person,
}

pub const MIN_PASSWORD: usize = 10;

fn hash(password: &str) -> Result<String> {
    if password.chars().count() < MIN_PASSWORD {
        return Err(StoreError::Invalid(format!(
            "a password needs at least {MIN_PASSWORD} characters"
        )));
    }
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Invalid(format!("cannot hash the password: {e}")))
}

fn valid_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if ok {
        Ok(())
    } else {
        Err(StoreError::Invalid(format!(
            "'{name}' is not a valid {what}: use 1–64 letters, digits, '-', '_' or '.'"
        )))
    }
}

/// The statements for sites or for teams: table names are fixed here, never taken from input.
struct GroupSql {
    exists: &'static str,
    join: &'static str,
    leave: &'static str,
    save: &'static str,
    list: &'static str,
}

const SITES: GroupSql = GroupSql {
    exists: "SELECT EXISTS (SELECT 1 FROM sites WHERE id = $1)",
    join: "INSERT INTO site_members (person, site) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    leave: "DELETE FROM site_members WHERE person = $1 AND site = $2",
    save: "INSERT INTO sites (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
    list: "SELECT id, name FROM sites ORDER BY id",
};

const TEAMS: GroupSql = GroupSql {
    exists: "SELECT EXISTS (SELECT 1 FROM teams WHERE id = $1)",
    join: "INSERT INTO team_members (person, team) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    leave: "DELETE FROM team_members WHERE person = $1 AND team = $2",
    save: "INSERT INTO teams (id, name) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET name = excluded.name",
    list: "SELECT id, name FROM teams ORDER BY id",
};

/// `what` is "site" or "team".
fn group_sql(what: &str) -> Result<&'static GroupSql> {
    match what {
        "site" => Ok(&SITES),
        "team" => Ok(&TEAMS),
        _ => Err(StoreError::Invalid(format!(
            "'{what}' is neither a site nor a team"
        ))),
    }
}

/// Adds `person` to a site or team (`what`) with the caller's transaction (`$tx`, either
/// backend's), refusing a group nobody added.
macro_rules! join_group {
    ($tx:expr, $what:expr, $person:expr, $group:expr) => {{
        let sql = group_sql($what)?;
        let exists: bool = sqlx::query_scalar(sql.exists)
            .bind($group)
            .fetch_one(&mut *$tx)
            .await?;
        if !exists {
            return Err(StoreError::Invalid(format!(
                "there is no {} '{}': add it first",
                $what, $group
            )));
        }
        sqlx::query(sql.join)
            .bind($person)
            .bind($group)
            .execute(&mut *$tx)
            .await?;
    }};
}

impl Store {
    pub fn people_count(&self) -> Result<i64> {
        self.run(async {
            Ok(
                on_db!(self, pool => sqlx::query_scalar("SELECT count(*) FROM people")
                .fetch_one(pool)
                .await?),
            )
        })
    }

    pub fn add_person(&self, new: &NewPerson) -> Result<i64> {
        valid_name("username", &new.username)?;
        let hash = hash(&new.password)?;
        let display = if new.display_name.trim().is_empty() {
            &new.username
        } else {
            new.display_name.trim()
        };
        self.run(async {
            write_tx!(self, tx => {
                let exists: bool =
                    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM people WHERE username = $1)")
                        .bind(&new.username)
                        .fetch_one(&mut *tx)
                        .await?;
                if exists {
                    return Err(StoreError::Invalid(format!(
                        "there is already a person called '{}'",
                        new.username
                    )));
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO people (username, display_name, password_hash, created_at)
                     VALUES ($1, $2, $3, $4) RETURNING id",
                )
                .bind(&new.username)
                .bind(display)
                .bind(&hash)
                .bind(now_ms())
                .fetch_one(&mut *tx)
                .await?;
                for role in &new.roles {
                    sqlx::query("INSERT INTO roles (person, role) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                        .bind(id)
                        .bind(role.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                for site in &new.sites {
                    join_group!(tx, "site", id, site);
                }
                for team in &new.teams {
                    join_group!(tx, "team", id, team);
                }
                tx.commit().await?;
                Ok(id)
            })
        })
    }

    /// Checks a username and password. Unknown person, disabled person and wrong password are
    /// one answer, so nobody can probe for names.
    pub fn verify_password(&self, username: &str, password: &str) -> Result<Option<PersonRecord>> {
        let row: Option<(i64, String, bool)> = self.run(async {
            on_db!(self, pool => sqlx::query_as(
                "SELECT id, password_hash, disabled FROM people WHERE username = $1",
            )
            .bind(username)
            .fetch_optional(pool)
            .await)
        })?;
        let Some((id, stored, disabled)) = row else {
            // Spend the same time as a real check.
            let _ = hash("not-a-real-password-but-long");
            return Ok(None);
        };
        let ok = PasswordHash::new(&stored)
            .map(|h| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &h)
                    .is_ok()
            })
            .unwrap_or(false);
        if !ok || disabled {
            return Ok(None);
        }
        self.person(id).map(Some)
    }

    pub fn person(&self, id: i64) -> Result<PersonRecord> {
        self.run(async {
            on_db!(self, pool => {
                // One snapshot for the four reads.
                let mut tx = pool.begin().await?;
                let (username, display_name, disabled): (String, String, bool) = sqlx::query_as(
                    "SELECT username, display_name, disabled FROM people WHERE id = $1",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or_else(|| StoreError::NotFound("person".into()))?;
                let roles: Vec<String> =
                    sqlx::query_scalar("SELECT role FROM roles WHERE person = $1")
                        .bind(id)
                        .fetch_all(&mut *tx)
                        .await?;
                let sites: Vec<String> =
                    sqlx::query_scalar("SELECT site FROM site_members WHERE person = $1")
                        .bind(id)
                        .fetch_all(&mut *tx)
                        .await?;
                let teams: Vec<String> =
                    sqlx::query_scalar("SELECT team FROM team_members WHERE person = $1")
                        .bind(id)
                        .fetch_all(&mut *tx)
                        .await?;
                tx.commit().await?;
                Ok(PersonRecord {
                    id,
                    username,
                    display_name,
                    disabled,
                    access: {
                        let roles: BTreeSet<Role> =
                            roles.iter().filter_map(|r| Role::parse(r)).collect();
                        Person {
                            cab: !roles.is_disjoint(&self.cab_roles),
                            roles,
                            sites: sites.into_iter().collect(),
                            teams: teams.into_iter().collect(),
                        }
                    },
                })
            })
        })
    }

    pub fn person_id(&self, username: &str) -> Result<i64> {
        let id: Option<i64> = self.run(async {
            on_db!(self, pool => sqlx::query_scalar("SELECT id FROM people WHERE username = $1")
                .bind(username)
                .fetch_optional(pool)
                .await)
        })?;
        id.ok_or_else(|| StoreError::NotFound(format!("person '{username}'")))
    }

    pub fn people(&self) -> Result<Vec<PersonRecord>> {
        let ids: Vec<i64> = self.run(async {
            on_db!(self, pool => sqlx::query_scalar("SELECT id FROM people ORDER BY username")
                .fetch_all(pool)
                .await)
        })?;
        ids.into_iter().map(|id| self.person(id)).collect()
    }

    /// Disabling also ends every session of that person.
    pub fn set_disabled(&self, username: &str, disabled: bool) -> Result<()> {
        let id = self.person_id(username)?;
        self.run(async {
            write_tx!(self, tx => {
                sqlx::query("UPDATE people SET disabled = $2 WHERE id = $1")
                    .bind(id)
                    .bind(disabled)
                    .execute(&mut *tx)
                    .await?;
                if disabled {
                    sqlx::query("DELETE FROM sessions WHERE person = $1")
                        .bind(id)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            })
        })
    }

    /// A new password ends every session of that person.
    pub fn reset_password(&self, username: &str, password: &str) -> Result<()> {
        let id = self.person_id(username)?;
        let hash = hash(password)?;
        self.run(async {
            write_tx!(self, tx => {
                sqlx::query("UPDATE people SET password_hash = $2 WHERE id = $1")
                    .bind(id)
                    .bind(&hash)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("DELETE FROM sessions WHERE person = $1")
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            })
        })
    }

    pub fn grant_role(&self, username: &str, role: Role, grant: bool) -> Result<()> {
        let id = self.person_id(username)?;
        let sql = if grant {
            "INSERT INTO roles (person, role) VALUES ($1, $2) ON CONFLICT DO NOTHING"
        } else {
            "DELETE FROM roles WHERE person = $1 AND role = $2"
        };
        self.run(async {
            on_db!(self, pool => sqlx::query(sql)
                .bind(id)
                .bind(role.as_str())
                .execute(pool)
                .await.map(|_| ()))
        })?;
        Ok(())
    }

    /// Adds (or with `join = false` removes) a person to a site or team (`what`).
    pub fn set_member(&self, what: &str, username: &str, group: &str, join: bool) -> Result<()> {
        let sql = group_sql(what)?;
        let id = self.person_id(username)?;
        self.run(async {
            write_tx!(self, tx => {
                if join {
                    join_group!(tx, what, id, group);
                } else {
                    sqlx::query(sql.leave)
                        .bind(id)
                        .bind(group)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            })
        })
    }

    /// Adds a site or team (`what`); adding an existing one renames it. Its index document
    /// gets the group's scope (before any device can touch it), so only its members (and
    /// auditors) can list its records.
    pub fn add_group(&self, what: &str, id: &str, name: &str) -> Result<()> {
        let sql = group_sql(what)?;
        valid_name(what, id)?;
        let name = if name.trim().is_empty() {
            id
        } else {
            name.trim()
        };
        self.run(async {
            on_db!(self, pool => sqlx::query(sql.save)
                .bind(id)
                .bind(name)
                .execute(pool)
                .await.map(|_| ()))
        })?;
        let scope = format!("{what}:{id}");
        let index = shared::index::index_scope(&scope).expect("a valid site or team id");
        self.derive_document_scope(&shared::index::index_id(&scope).to_string(), &index)
    }

    /// Sites or teams (`what`) as (id, name).
    pub fn groups(&self, what: &str) -> Result<Vec<(String, String)>> {
        let sql = group_sql(what)?;
        Ok(self
            .run(async { on_db!(self, pool => sqlx::query_as(sql.list).fetch_all(pool).await) })?)
    }
}
