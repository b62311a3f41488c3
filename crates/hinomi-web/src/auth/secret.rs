//! Secrets hinomi makes and checks: argon2id password hashes, random session ids, CSRF
//! tokens, API tokens and one-time passwords. Only hashes are stored; what is shown to a
//! person is shown once.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use sha2::{Digest, Sha256};

/// Personal API tokens start with this, so they are told apart from integration keys
/// (32 hex characters) and found by secret scanners.
pub const TOKEN_PREFIX: &str = "hnm_";

/// Shortest password hinomi accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;

/// `n` random bytes as lower-case hex.
pub fn random_hex(n: usize) -> String {
    let mut bytes = vec![0u8; n];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    hex::encode(bytes)
}

/// SHA-256 of a high-entropy secret (token, session id), as stored. Passwords use argon2.
pub fn sha256_hex(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A new personal API token and the hash to store.
pub fn new_token() -> (String, String) {
    let token = format!("{TOKEN_PREFIX}{}", random_hex(20));
    let hash = sha256_hex(&token);
    (token, hash)
}

/// A password for a person to type once and then change: 16 characters from an alphabet
/// without look-alikes.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source works");
    bytes
        .iter()
        .map(|b| ALPHABET[usize::from(*b) % ALPHABET.len()] as char)
        .collect()
}

/// Why a new password is refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password needs at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password is longer than 1024 bytes")]
    TooLong,
}

/// Whether `name` is a valid username: what people type to sign in and what the audit log
/// shows, so 1 to 64 letters, digits, `.`, `_`, `-` or `@`.
pub fn username_ok(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
}

/// Checks a new password's length (the only rule: long passphrases beat composition rules).
pub fn check_new_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > 1024 {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// An argon2id PHC string for `password`, with a fresh salt.
pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the operating system's random source works");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes encode as a salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters hashes any password")
        .to_string()
}

/// Whether `password` matches the stored `hash` (false for a malformed hash).
pub fn verify_password(hash: &str, password: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A hash to verify against when the user does not exist, so that an unknown username
/// takes as long to refuse as a wrong password.
pub fn dummy_hash() -> &'static str {
    static HASH: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HASH.get_or_init(|| hash_password("hinomi-dummy-password"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_hash_and_verify() {
        let h = hash_password("correct horse battery");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password(&h, "correct horse battery"));
        assert!(!verify_password(&h, "correct horse battery!"));
        assert!(!verify_password("not a hash", "x"));
        assert_ne!(h, hash_password("correct horse battery"), "salted");
    }

    #[test]
    fn tokens_are_prefixed_and_hashed() {
        let (token, hash) = new_token();
        assert!(token.starts_with(TOKEN_PREFIX) && token.len() == 44);
        assert_eq!(hash, sha256_hex(&token));
        assert_ne!(new_token().0, token);
        let otp = one_time_password();
        assert_eq!(otp.chars().count(), 16);
        assert!(check_new_password(&otp).is_ok());
        assert_eq!(check_new_password("short"), Err(PasswordError::TooShort));
    }
}
