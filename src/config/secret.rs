//! Values that must never reach a log: their Debug prints a placeholder.

use std::fmt;

use serde::Deserialize;

/// A value that must never reach a log: its Debug and Display print a placeholder.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(s: impl Into<String>) -> Self {
        Secret(s.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// A database URL. Code uses it as the string it is; Debug shows it with its password replaced, so
/// a configuration printed for a bug report never carries the database's password.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct DatabaseUrl(String);

impl std::ops::Deref for DatabaseUrl {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl From<String> for DatabaseUrl {
    fn from(s: String) -> Self {
        DatabaseUrl(s)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(s: &str) -> Self {
        DatabaseUrl(s.to_string())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                write!(f, "DatabaseUrl({:?})", u.as_str())
            }
            Ok(_) => write!(f, "DatabaseUrl({:?})", self.0),
            // unparsable: it may still hold a password, so nothing of it is shown
            Err(_) => f.write_str("DatabaseUrl(***)"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_never_shows() {
        let u = DatabaseUrl::from("postgres://lookout:hunter2@db.internal:5432/lookout");
        let shown = format!("{u:?}");
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.contains("lookout:***@db.internal"), "{shown}");
        assert_eq!(&*u, "postgres://lookout:hunter2@db.internal:5432/lookout");
        assert_eq!(
            format!("{:?}", DatabaseUrl::from("sqlite://lookout.db")),
            "DatabaseUrl(\"sqlite://lookout.db\")"
        );
        assert_eq!(
            format!("{:?}", DatabaseUrl::from("not a url:pw@x")),
            "DatabaseUrl(***)"
        );
    }
}
