//! Sign-in sessions and the devices they are bound to.
//!
//! The cookie holds a random token; only its SHA-256 is stored, so a copy of the database
//! cannot be used to sign in.

use rand::RngCore;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};

use super::{PersonRecord, Result, Store, StoreError, now_ms};

#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub person: PersonRecord,
    pub device: String,
    pub expires_at: i64,
}

fn token_hash(token: &str) -> String {
    format!("{:x}", Sha256::digest(token.as_bytes()))
}

impl Store {
    /// Starts a session for `person` on `device`, returning the cookie token. A device that
    /// changes hands is rebound, and the previous person's sessions on it end.
    pub fn start_session(&self, person: i64, device: &str, lifetime_ms: i64) -> Result<String> {
        if !shared::ids::PeerId::is_device_id(device) {
            return Err(StoreError::Invalid(format!(
                "'{device}' is not a device id the app makes"
            )));
        }
        let mut bytes = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut bytes);
        let token: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let now = now_ms();
        let mut conn = self.lock();
        let tx = conn.transaction()?;
        let owner: Option<i64> = tx
            .query_row("SELECT person FROM devices WHERE id = ?1", [device], |r| {
                r.get(0)
            })
            .optional()?;
        match owner {
            Some(p) if p == person => {
                tx.execute(
                    "UPDATE devices SET last_seen = ?2 WHERE id = ?1",
                    params![device, now],
                )?;
            }
            Some(_) => {
                tx.execute("DELETE FROM sessions WHERE device = ?1", [device])?;
                tx.execute(
                    "UPDATE devices SET person = ?2, last_seen = ?3 WHERE id = ?1",
                    params![device, person, now],
                )?;
            }
            None => {
                tx.execute(
                    "INSERT INTO devices (id, person, first_seen, last_seen) VALUES (?1, ?2, ?3, ?3)",
                    params![device, person, now],
                )?;
            }
        }
        tx.execute(
            "INSERT INTO sessions (token_hash, person, device, created_at, expires_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![token_hash(&token), person, device, now, now + lifetime_ms],
        )?;
        tx.commit()?;
        Ok(token)
    }

    /// The live session for a cookie token: `None` when unknown, expired, or the person is
    /// disabled.
    pub fn session(&self, token: &str) -> Result<Option<SessionInfo>> {
        let row: Option<(i64, String, i64)> = self
            .lock()
            .query_row(
                "SELECT s.person, s.device, s.expires_at FROM sessions s JOIN people p ON p.id = s.person
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND p.disabled = 0",
                params![token_hash(token), now_ms()],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((person, device, expires_at)) = row else {
            return Ok(None);
        };
        Ok(Some(SessionInfo {
            person: self.person(person)?,
            device,
            expires_at,
        }))
    }

    pub fn end_session(&self, token: &str) -> Result<()> {
        self.lock().execute(
            "DELETE FROM sessions WHERE token_hash = ?1",
            [token_hash(token)],
        )?;
        Ok(())
    }
}
