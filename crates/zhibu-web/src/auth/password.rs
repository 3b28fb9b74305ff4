//! Passwords (Argon2id), random tokens, and the back-off after repeated failed sign-ins.

use argon2::Argon2;
use argon2::password_hash::phc::PasswordHash;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use chrono::{DateTime, Duration, Utc};
use sha2::{Digest, Sha256};

/// Failed sign-ins allowed before the account is locked.
pub const FAILURES_BEFORE_LOCK: i32 = 5;

/// The first lock lasts this long; each further failure after a lock doubles it.
pub const FIRST_LOCK_MINUTES: i64 = 1;

/// The longest lock: an attacker cannot lock a person out for days.
pub const LONGEST_LOCK_MINUTES: i64 = 60;

/// The shortest password a person may choose.
pub const MIN_PASSWORD_CHARS: usize = 10;

/// Why a password could not be hashed or checked (never "it did not match").
#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the password hash could not be computed: {0}")]
    Hash(String),
    #[error("the stored password hash is not a PHC string: {0}")]
    StoredHash(String),
    #[error("the hashing task did not finish: {0}")]
    Task(String),
    #[error("the system's random number generator failed: {0}")]
    Random(String),
}

/// Hashes a password with Argon2id (the library's default parameters: 19 MiB, 2 passes) and a
/// random salt, into a PHC string. Runs on a blocking thread: it takes tens of milliseconds.
pub async fn hash_password(password: &str) -> Result<String, PasswordError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        Argon2::default()
            .hash_password(password.as_bytes())
            .map(|hash| hash.to_string())
            .map_err(|error| PasswordError::Hash(error.to_string()))
    })
    .await
    .map_err(|error| PasswordError::Task(error.to_string()))?
}

/// Whether `password` matches the PHC string `stored`. A stored hash that cannot be read is an
/// error, not a mismatch: a decoding defect must not look like a wrong password.
pub async fn verify_password(password: &str, stored: &str) -> Result<bool, PasswordError> {
    let password = password.to_string();
    let stored = stored.to_string();
    tokio::task::spawn_blocking(move || {
        let parsed = PasswordHash::new(&stored)
            .map_err(|error| PasswordError::StoredHash(error.to_string()))?;
        match Argon2::default().verify_password(password.as_bytes(), &parsed) {
            Ok(()) => Ok(true),
            Err(argon2::password_hash::Error::PasswordInvalid) => Ok(false),
            Err(error) => Err(PasswordError::Hash(error.to_string())),
        }
    })
    .await
    .map_err(|error| PasswordError::Task(error.to_string()))?
}

/// A hash of a password nobody has, checked when the login is unknown so that an unknown login
/// takes as long to refuse as a wrong password.
pub(crate) const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$Gq0hI5mm3oqFFy0u+lAMx6B4y+wX1sQnHFaSsh3bJVY";

/// `bytes` random bytes from the operating system, as lowercase hex.
pub fn random_hex(bytes: usize) -> Result<String, PasswordError> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer).map_err(|error| PasswordError::Random(error.to_string()))?;
    Ok(hex::encode(buffer))
}

/// A new session token (256 bits).
pub fn new_session_token() -> Result<String, PasswordError> {
    random_hex(32)
}

/// A new CSRF token (256 bits).
pub fn new_csrf_token() -> Result<String, PasswordError> {
    random_hex(32)
}

/// The SHA-256 of a session token, as stored. Tokens are random and long, so a plain hash is
/// enough: there is nothing to guess.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Letters and digits that cannot be mistaken for each other when read aloud or typed from paper
/// (no 0/O, 1/l/I).
const ONE_TIME_ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// A one-time password: 16 characters from a 56-character alphabet (about 93 bits), given to a
/// person after a reset or for the demo, to be replaced at the first sign-in.
pub fn new_one_time_password() -> Result<String, PasswordError> {
    let mut password = String::with_capacity(16);
    while password.len() < 16 {
        let mut byte = [0u8; 1];
        getrandom::fill(&mut byte).map_err(|error| PasswordError::Random(error.to_string()))?;
        // Rejection sampling keeps every character equally likely.
        let limit = 256 - (256 % ONE_TIME_ALPHABET.len());
        if usize::from(byte[0]) < limit {
            password.push(char::from(
                ONE_TIME_ALPHABET[usize::from(byte[0]) % ONE_TIME_ALPHABET.len()],
            ));
        }
    }
    Ok(password)
}

/// Whether two secrets are equal, in time that does not depend on where they differ.
pub fn constant_time_eq(left: &str, right: &str) -> bool {
    let (left, right) = (left.as_bytes(), right.as_bytes());
    if left.len() != right.len() {
        return false;
    }
    left.iter()
        .zip(right)
        .fold(0u8, |difference, (a, b)| difference | (a ^ b))
        == 0
}

/// After `failures` failed sign-ins in a row, until when sign-in is refused: nothing before the
/// fifth; then one minute, doubling with each further failure, at most an hour.
pub fn lock_after(failures: i32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    if failures < FAILURES_BEFORE_LOCK {
        return None;
    }
    let doublings = u32::try_from(failures - FAILURES_BEFORE_LOCK)
        .unwrap_or(u32::MAX)
        .min(10);
    let minutes = (FIRST_LOCK_MINUTES << doublings).min(LONGEST_LOCK_MINUTES);
    Some(now + Duration::minutes(minutes))
}

/// Problems with a new password, each a (Chinese, English) message.
pub fn password_problems(password: &str, login: &str) -> Vec<(String, String)> {
    let mut problems = Vec::new();
    if password.chars().count() < MIN_PASSWORD_CHARS {
        problems.push((
            format!("新密码至少需要{MIN_PASSWORD_CHARS}个字符"),
            format!("the new password needs at least {MIN_PASSWORD_CHARS} characters"),
        ));
    }
    if password.eq_ignore_ascii_case(login) {
        problems.push((
            "新密码不能与登录名相同".to_string(),
            "the new password must not be the login".to_string(),
        ));
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_its_password_and_no_other() {
        let hash = hash_password("correct horse battery").await.expect("hash");
        assert!(hash.starts_with("$argon2id$"), "{hash}");
        assert!(
            verify_password("correct horse battery", &hash)
                .await
                .expect("verify")
        );
        assert!(
            !verify_password("correct horse battery!", &hash)
                .await
                .expect("verify")
        );
    }

    #[tokio::test]
    async fn a_stored_hash_that_is_not_a_phc_string_is_an_error_not_a_mismatch() {
        assert!(verify_password("x", "not a hash").await.is_err());
    }

    #[tokio::test]
    async fn the_decoy_hash_is_readable() {
        assert!(
            !verify_password("anything", DECOY_HASH)
                .await
                .expect("the decoy parses")
        );
    }

    #[test]
    fn locks_start_at_the_fifth_failure_and_double_up_to_an_hour() {
        let now = Utc::now();
        let minutes = |failures| lock_after(failures, now).map(|until| (until - now).num_minutes());
        let table = [
            (1, None),
            (4, None),
            (5, Some(1)),
            (6, Some(2)),
            (7, Some(4)),
            (10, Some(32)),
            (11, Some(60)),
            (40, Some(60)),
        ];
        for (failures, expected) in table {
            assert_eq!(minutes(failures), expected, "{failures} failures");
        }
    }

    #[test]
    fn one_time_passwords_are_long_random_and_unambiguous() {
        let first = new_one_time_password().expect("random");
        let second = new_one_time_password().expect("random");
        assert_eq!(first.len(), 16);
        assert_ne!(first, second);
        assert!(!first.contains(['0', 'O', '1', 'l', 'I']));
    }

    #[test]
    fn token_hashes_are_sha256_hex() {
        let hash = token_hash("abc");
        assert_eq!(
            hash,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert!(
            constant_time_eq("abc", "abc")
                && !constant_time_eq("abc", "abd")
                && !constant_time_eq("abc", "ab")
        );
    }
}
