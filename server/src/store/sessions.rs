//! Sign-in sessions and the devices they are bound to.
//!
//! The cookie holds a random token; only its SHA-256 is stored, so a copy of the database
//! cannot be used to sign in. A device id belongs to the first person who signs in with it:
//! another person's sign-in with it is refused (and ends nobody's session), so device ids in
//! the evidence always name one person's device. Each device also gets a secret (a second
//! cookie, again stored hashed) by which sign-in recognises a person's own device.

use rand::RngCore;
use sha2::{Digest, Sha256};

use super::{PersonRecord, Result, Store, StoreError, now_ms, on_db, write_tx};

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub person: PersonRecord,
    pub device: String,
    pub expires_at: i64,
    /// Which session this is (the token's hash), to look it up again while it is in use.
    pub(crate) token_hash: String,
}

fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

pub(super) fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Store {
    /// Starts a session for `person` on `device`, returning the cookie token. A device id
    /// another person signed in with is refused ([`StoreError::Conflict`]); their sessions
    /// are left alone.
    pub fn start_session(&self, person: i64, device: &str, lifetime_ms: i64) -> Result<String> {
        if !shared::ids::PeerId::is_device_id(device) {
            return Err(StoreError::Invalid(format!(
                "'{device}' is not a device id the app makes"
            )));
        }
        let token = random_token();
        let now = now_ms();
        self.run(async {
            write_tx!(self, tx => {
                // Claims the device for `person` unless someone has it; then reads who has it.
                sqlx::query(
                    "INSERT INTO devices (id, person, first_seen, last_seen) VALUES ($1, $2, $3, $3)
                     ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen
                     WHERE devices.person = excluded.person",
                )
                .bind(device)
                .bind(person)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let owner: i64 = sqlx::query_scalar("SELECT person FROM devices WHERE id = $1")
                    .bind(device)
                    .fetch_one(&mut *tx)
                    .await?;
                if owner != person {
                    return Err(StoreError::Conflict(format!(
                        "device id {device} belongs to another person; the app registers a new one"
                    )));
                }
                sqlx::query(
                    "INSERT INTO sessions (token_hash, person, device, created_at, expires_at)
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(token_hash(&token))
                .bind(person)
                .bind(device)
                .bind(now)
                .bind(now + lifetime_ms)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(())
            })
        })?;
        Ok(token)
    }

    /// The live session for a cookie token: `None` when unknown, expired, or the person is
    /// disabled.
    pub fn session(&self, token: &str) -> Result<Option<SessionInfo>> {
        self.session_by_hash(&token_hash(token))
    }

    /// [`Store::session`] as it is now, for a session looked up before (its person's access
    /// may have changed since, or the session ended).
    pub fn current_session(&self, session: &SessionInfo) -> Result<Option<SessionInfo>> {
        self.session_by_hash(&session.token_hash)
    }

    fn session_by_hash(&self, hash: &str) -> Result<Option<SessionInfo>> {
        let row: Option<(i64, String, i64)> = self.run(async {
            on_db!(self, pool => sqlx::query_as(
                "SELECT s.person, s.device, s.expires_at FROM sessions s JOIN people p ON p.id = s.person
                 WHERE s.token_hash = $1 AND s.expires_at > $2 AND NOT p.disabled",
            )
            .bind(hash)
            .bind(now_ms())
            .fetch_optional(pool)
            .await)
        })?;
        let Some((person, device, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(SessionInfo {
            person: self.person(person)?,
            device,
            expires_at,
            token_hash: hash.to_string(),
        }))
    }

    /// A new secret for `device` (replacing the last), to hand to it as a cookie: sign-in
    /// recognises the device by it ([`Store::is_own_device`]).
    pub fn new_device_secret(&self, device: &str) -> Result<String> {
        let secret = random_token();
        self.run(async {
            on_db!(self, pool => sqlx::query("UPDATE devices SET secret_hash = $2 WHERE id = $1")
                .bind(device)
                .bind(token_hash(&secret))
                .execute(pool)
                .await.map(|_| ()))
        })?;
        Ok(secret)
    }

    /// Whether `device` is one `username` signed in with before and `secret` is its current
    /// secret: the person's own device, which sign-in throttles apart from everyone else.
    pub fn is_own_device(&self, username: &str, device: &str, secret: &str) -> Result<bool> {
        self.run(async {
            Ok(on_db!(self, pool => sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM devices d JOIN people p ON p.id = d.person
                 WHERE d.id = $1 AND p.username = $2 AND d.secret_hash = $3)",
            )
            .bind(device)
            .bind(username)
            .bind(token_hash(secret))
            .fetch_one(pool)
            .await?))
        })
    }

    pub fn end_session(&self, token: &str) -> Result<()> {
        self.run(async {
            on_db!(self, pool => sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
                .bind(token_hash(token))
                .execute(pool)
                .await.map(|_| ()))
        })?;
        Ok(())
    }
}
