//! People who may sign in. Passwords are stored as argon2id hashes only.
//!
//! For now one JSON file in the data directory; roles, sites, sessions and administration
//! arrive with the deployment issue.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use argon2::{
    Argon2, PasswordHash, PasswordHasher, PasswordVerifier,
    password_hash::{SaltString, rand_core::OsRng},
};
use rand::{Rng, distributions::Alphanumeric};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub username: String,
    pub password_hash: String,
    pub roles: Vec<String>,
}

/// The first administrator, created on the first start. The password is shown once.
pub struct FirstAccount {
    pub username: String,
    pub password: String,
}

pub struct Accounts {
    path: PathBuf,
    accounts: Mutex<Vec<Account>>,
}

impl Accounts {
    /// Loads the accounts file, creating it with a first administrator if there is none.
    pub fn open(data_dir: &Path) -> Result<(Accounts, Option<FirstAccount>), String> {
        let path = data_dir.join("accounts.json");
        let (accounts, first) = if path.exists() {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            let accounts: Vec<Account> = serde_json::from_str(&text)
                .map_err(|e| format!("{} is damaged: {e}", path.display()))?;
            (accounts, None)
        } else {
            let password: String = rand::thread_rng()
                .sample_iter(&Alphanumeric)
                .take(16)
                .map(char::from)
                .collect();
            let admin = Account {
                username: "admin".into(),
                password_hash: hash(&password)?,
                roles: vec!["administrator".into()],
            };
            let first = FirstAccount {
                username: admin.username.clone(),
                password,
            };
            (vec![admin], Some(first))
        };
        let store = Accounts {
            path,
            accounts: Mutex::new(accounts),
        };
        if first.is_some() {
            store.save()?;
        }
        Ok((store, first))
    }

    /// Checks a username and password. Unknown user and wrong password are the same answer, so
    /// a caller cannot probe for names.
    pub fn verify(&self, username: &str, password: &str) -> Option<Account> {
        let accounts = self.accounts.lock().expect("accounts lock");
        let account = accounts.iter().find(|a| a.username == username)?;
        let parsed = PasswordHash::new(&account.password_hash).ok()?;
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .ok()
            .map(|_| account.clone())
    }

    /// Writes the file atomically (temp file, fsync, rename), so a crash leaves old or new.
    fn save(&self) -> Result<(), String> {
        let accounts = self.accounts.lock().expect("accounts lock");
        let text = serde_json::to_string_pretty(&*accounts).expect("accounts serialise");
        let tmp = self.path.with_extension("json.tmp");
        let write = || -> std::io::Result<()> {
            use std::io::Write;
            let mut f = std::fs::File::create(&tmp)?;
            f.write_all(text.as_bytes())?;
            f.sync_all()?;
            std::fs::rename(&tmp, &self.path)
        };
        write().map_err(|e| format!("cannot write {}: {e}", self.path.display()))
    }
}

fn hash(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| format!("cannot hash a password: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn first_start_creates_an_admin_that_can_sign_in_once_reopened() {
        let dir = tempfile::tempdir().unwrap();
        let (_, first) = Accounts::open(dir.path()).unwrap();
        let first = first.expect("first start creates an account");
        let (accounts, again) = Accounts::open(dir.path()).unwrap();
        assert!(again.is_none(), "the account is created once");
        let account = accounts.verify(&first.username, &first.password).unwrap();
        assert_eq!(account.roles, vec!["administrator".to_string()]);
        assert!(accounts.verify(&first.username, "wrong").is_none());
        assert!(accounts.verify("nobody", &first.password).is_none());
        let stored = std::fs::read_to_string(dir.path().join("accounts.json")).unwrap();
        assert!(!stored.contains(&first.password), "only the hash is stored");
        assert!(stored.contains("$argon2id$"));
    }

    #[test]
    fn a_damaged_accounts_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("accounts.json"), "{not json").unwrap();
        let err = Accounts::open(dir.path()).err().unwrap();
        assert!(err.contains("accounts.json is damaged"), "{err}");
    }
}
