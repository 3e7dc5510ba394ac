//! What every subcommand that touches data shares: configuration with `--database`, a runtime, and
//! how store failures become exit codes.

use std::path::Path;

use super::CliError;
use crate::app::AppError;
use crate::config::Config;
use crate::store::StoreError;

/// The configuration (file, then environment), with `--database` over both.
pub fn load_config(file: Option<&Path>, database: Option<&str>) -> Result<Config, CliError> {
    let mut config =
        Config::load(file, &Config::process_env()).map_err(|e| CliError::input(e.to_string()))?;
    if let Some(db) = database {
        config.database_url = database_url(db)?.into();
    }
    Ok(config)
}

/// A URL as given, or a bare file path taken as SQLite.
fn database_url(raw: &str) -> Result<String, CliError> {
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(CliError::input("--database: empty"));
    }
    if raw.starts_with("sqlite:")
        || raw.starts_with("postgres://")
        || raw.starts_with("postgresql://")
    {
        Ok(raw.to_string())
    } else if raw.contains("://") {
        Err(CliError::input(
            "--database: use sqlite://PATH or postgres://…",
        ))
    } else {
        Ok(format!("sqlite://{raw}"))
    }
}

pub fn runtime() -> Result<tokio::runtime::Runtime, CliError> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| CliError::failure(format!("cannot start the runtime: {e}")))
}

pub fn store_failure(e: AppError) -> CliError {
    match e {
        AppError::Store(StoreError::UnsupportedUrl(_)) => CliError::input(e.to_string()),
        other => CliError::failure(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_paths_are_sqlite_files_and_other_schemes_are_refused() {
        assert_eq!(database_url("x.db").unwrap(), "sqlite://x.db");
        assert_eq!(database_url("sqlite://x.db").unwrap(), "sqlite://x.db");
        assert_eq!(database_url("postgres://h/db").unwrap(), "postgres://h/db");
        assert_eq!(database_url("mysql://h/db").unwrap_err().code, 2);
    }
}
