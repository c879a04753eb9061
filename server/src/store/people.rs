//! People, their roles, and the sites and teams they belong to.

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use rusqlite::{OptionalExtension, params};
use shared::access::{Person, Role};

use super::{Result, Store, StoreError, now_ms};

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub username: String,
    pub display_name: String,
    pub password: String,
    pub roles: Vec<Role>,
    pub sites: Vec<String>,
    pub teams: Vec<String>,
}

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

impl Store {
    pub fn people_count(&self) -> Result<i64> {
        Ok(self
            .lock()
            .query_row("SELECT count(*) FROM people", [], |r| r.get(0))?)
    }

    pub fn add_person(&self, new: &NewPerson) -> Result<i64> {
        valid_name("username", &new.username)?;
        let hash = hash(&new.password)?;
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let exists: bool = tx.query_row(
            "SELECT count(*) > 0 FROM people WHERE username = ?1",
            [&new.username],
            |r| r.get(0),
        )?;
        if exists {
            return Err(StoreError::Invalid(format!(
                "there is already a person called '{}'",
                new.username
            )));
        }
        let display = if new.display_name.trim().is_empty() {
            &new.username
        } else {
            new.display_name.trim()
        };
        tx.execute(
            "INSERT INTO people (username, display_name, password_hash, created_at) VALUES (?1, ?2, ?3, ?4)",
            params![new.username, display, hash, now_ms()],
        )?;
        let id = tx.last_insert_rowid();
        for role in &new.roles {
            tx.execute(
                "INSERT OR IGNORE INTO roles (person, role) VALUES (?1, ?2)",
                params![id, role.as_str()],
            )?;
        }
        for site in &new.sites {
            member(&tx, "site", id, site)?;
        }
        for team in &new.teams {
            member(&tx, "team", id, team)?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// Checks a username and password. Unknown person, disabled person and wrong password are
    /// one answer, so nobody can probe for names.
    pub fn verify_password(&self, username: &str, password: &str) -> Result<Option<PersonRecord>> {
        let row: Option<(i64, String, bool)> = self
            .lock()
            .query_row(
                "SELECT id, password_hash, disabled FROM people WHERE username = ?1",
                [username],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
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
        let conn = self.lock();
        let (username, display_name, disabled) = conn
            .query_row(
                "SELECT username, display_name, disabled FROM people WHERE id = ?1",
                [id],
                |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound("person".into()))?;
        let strings = |sql: &str| -> Result<Vec<String>> {
            let mut stmt = conn.prepare(sql)?;
            let rows = stmt.query_map([id], |r| r.get(0))?;
            Ok(rows.collect::<std::result::Result<_, _>>()?)
        };
        let access = Person {
            roles: strings("SELECT role FROM roles WHERE person = ?1")?
                .iter()
                .filter_map(|r| Role::parse(r))
                .collect(),
            sites: strings("SELECT site FROM site_members WHERE person = ?1")?
                .into_iter()
                .collect(),
            teams: strings("SELECT team FROM team_members WHERE person = ?1")?
                .into_iter()
                .collect(),
        };
        Ok(PersonRecord {
            id,
            username,
            display_name,
            disabled,
            access,
        })
    }

    pub fn person_id(&self, username: &str) -> Result<i64> {
        self.lock()
            .query_row(
                "SELECT id FROM people WHERE username = ?1",
                [username],
                |r| r.get(0),
            )
            .optional()?
            .ok_or_else(|| StoreError::NotFound(format!("person '{username}'")))
    }

    pub fn people(&self) -> Result<Vec<PersonRecord>> {
        let ids: Vec<i64> = {
            let conn = self.lock();
            let mut stmt = conn.prepare("SELECT id FROM people ORDER BY username")?;
            stmt.query_map([], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?
        };
        ids.into_iter().map(|id| self.person(id)).collect()
    }

    /// Disabling also ends every session of that person.
    pub fn set_disabled(&self, username: &str, disabled: bool) -> Result<()> {
        let id = self.person_id(username)?;
        let conn = self.lock();
        conn.execute(
            "UPDATE people SET disabled = ?2 WHERE id = ?1",
            params![id, disabled],
        )?;
        if disabled {
            conn.execute("DELETE FROM sessions WHERE person = ?1", [id])?;
        }
        Ok(())
    }

    /// A new password ends every session of that person.
    pub fn reset_password(&self, username: &str, password: &str) -> Result<()> {
        let id = self.person_id(username)?;
        let hash = hash(password)?;
        let conn = self.lock();
        conn.execute(
            "UPDATE people SET password_hash = ?2 WHERE id = ?1",
            params![id, hash],
        )?;
        conn.execute("DELETE FROM sessions WHERE person = ?1", [id])?;
        Ok(())
    }

    pub fn grant_role(&self, username: &str, role: Role, grant: bool) -> Result<()> {
        let id = self.person_id(username)?;
        let sql = if grant {
            "INSERT OR IGNORE INTO roles (person, role) VALUES (?1, ?2)"
        } else {
            "DELETE FROM roles WHERE person = ?1 AND role = ?2"
        };
        self.lock().execute(sql, params![id, role.as_str()])?;
        Ok(())
    }

    /// Adds (or with `join = false` removes) a person to a site or team (`what`).
    pub fn set_member(&self, what: &str, username: &str, group: &str, join: bool) -> Result<()> {
        let id = self.person_id(username)?;
        let conn = self.lock();
        if join {
            member(&conn, what, id, group)
        } else {
            conn.execute(
                &format!("DELETE FROM {what}_members WHERE person = ?1 AND {what} = ?2"),
                params![id, group],
            )?;
            Ok(())
        }
    }

    /// Adds a site or team (`what`); adding an existing one renames it. Its index document
    /// gets the group's scope (before any device can touch it), so only its members (and
    /// auditors) can list its records.
    pub fn add_group(&self, what: &str, id: &str, name: &str) -> Result<()> {
        valid_name(what, id)?;
        let name = if name.trim().is_empty() {
            id
        } else {
            name.trim()
        };
        self.lock().execute(
            &format!(
                "INSERT INTO {what}s (id, name) VALUES (?1, ?2) ON CONFLICT(id) DO UPDATE SET name = ?2"
            ),
            params![id, name],
        )?;
        let scope = format!("{what}:{id}");
        let index = shared::index::index_scope(&scope).expect("a valid site or team id");
        self.derive_document_scope(&shared::index::index_id(&scope).to_string(), &index)
    }

    /// Sites or teams (`what`) as (id, name).
    pub fn groups(&self, what: &str) -> Result<Vec<(String, String)>> {
        let conn = self.lock();
        let mut stmt = conn.prepare(&format!("SELECT id, name FROM {what}s ORDER BY id"))?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<std::result::Result<_, _>>()?)
    }
}

/// `what` is "site" or "team", never user input: the table names are fixed here.
fn member(conn: &rusqlite::Connection, what: &str, person: i64, group: &str) -> Result<()> {
    debug_assert!(what == "site" || what == "team");
    let exists: bool = conn.query_row(
        &format!("SELECT count(*) > 0 FROM {what}s WHERE id = ?1"),
        [group],
        |r| r.get(0),
    )?;
    if !exists {
        return Err(StoreError::Invalid(format!(
            "there is no {what} '{group}': add it first"
        )));
    }
    conn.execute(
        &format!("INSERT OR IGNORE INTO {what}_members (person, {what}) VALUES (?1, ?2)"),
        params![person, group],
    )?;
    Ok(())
}
