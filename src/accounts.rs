//! Console accounts, pure of the database: what a valid email address, display name and password
//! are, Argon2id hashing, and one-time passwords for new accounts and resets.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::Rng;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AccountError {
    #[error("email: {0}")]
    Email(&'static str),
    #[error("name: {0}")]
    Name(&'static str),
    #[error("password: {0}")]
    Password(&'static str),
    #[error("password could not be hashed: {0}")]
    Hash(String),
}

/// Passwords shorter than this are refused: length is what makes a password strong.
pub const MIN_PASSWORD: usize = 12;
const MAX_PASSWORD: usize = 256;

/// The address as kept: trimmed and in lower case; it must look like `name@host`.
pub fn normalise_email(raw: &str) -> Result<String, AccountError> {
    let email = raw.trim().to_lowercase();
    if email.is_empty() {
        return Err(AccountError::Email("required"));
    }
    if email.len() > 254 {
        return Err(AccountError::Email("at most 254 characters"));
    }
    match email.split_once('@') {
        Some((local, host))
            if !local.is_empty()
                && host.contains('.')
                && !host.starts_with('.')
                && !host.ends_with('.')
                && !email.chars().any(|c| c.is_whitespace() || c.is_control()) =>
        {
            Ok(email)
        }
        _ => Err(AccountError::Email(
            "not an email address (name@example.org)",
        )),
    }
}

/// A display name: 1 to 80 characters, no control characters.
pub fn display_name(raw: &str) -> Result<String, AccountError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(AccountError::Name("required"));
    }
    if name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(AccountError::Name("1 to 80 characters, on one line"));
    }
    Ok(name.to_string())
}

pub fn check_password(password: &str) -> Result<(), AccountError> {
    let n = password.chars().count();
    if n < MIN_PASSWORD {
        return Err(AccountError::Password("at least 12 characters"));
    }
    if n > MAX_PASSWORD {
        return Err(AccountError::Password("at most 256 characters"));
    }
    Ok(())
}

/// Argon2id with the crate's defaults (19 MiB, 2 passes, 1 lane: OWASP's first choice), as a PHC
/// string that carries its own salt and parameters.
pub fn hash_password(password: &str) -> Result<String, AccountError> {
    let salt: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt).map_err(|e| AccountError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AccountError::Hash(e.to_string()))
}

/// Does `password` match the stored hash? A hash that does not parse matches nothing.
pub fn verify_password(password: &str, stored: &str) -> bool {
    PasswordHash::new(stored).is_ok_and(|h| {
        Argon2::default()
            .verify_password(password.as_bytes(), &h)
            .is_ok()
    })
}

/// A random password to hand to a new user once: 20 characters from an alphabet without look-alikes
/// (no 0/O, 1/l/I), in groups of five.
pub fn one_time_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut rng = rand::rng();
    let chars: Vec<char> = (0..20)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect();
    chars
        .chunks(5)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_kept_trimmed_and_in_lower_case() {
        assert_eq!(
            normalise_email("  Case.Manager@Example.ORG ").unwrap(),
            "case.manager@example.org"
        );
        for bad in [
            "",
            "no-at-sign",
            "@example.org",
            "a@b",
            "a@.org",
            "a b@example.org",
        ] {
            assert!(normalise_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_hash_verifies_its_password_only() {
        let h = hash_password("correct horse battery").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse battery", &h));
        assert!(!verify_password("correct horse batterY", &h));
        assert!(!verify_password("correct horse battery", "not a hash"));
        // the salt is new each time
        assert_ne!(h, hash_password("correct horse battery").unwrap());
    }

    #[test]
    fn one_time_passwords_are_long_enough_and_differ() {
        let (a, b) = (one_time_password(), one_time_password());
        assert_ne!(a, b);
        assert!(check_password(&a).is_ok());
        assert_eq!(a.len(), 23);
    }

    #[test]
    fn short_passwords_and_empty_names_are_refused() {
        assert!(check_password("short").is_err());
        assert!(display_name("  ").is_err());
        assert_eq!(display_name(" Ana ").unwrap(), "Ana");
    }
}
