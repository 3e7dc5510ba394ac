//! Typed configuration: defaults, then a TOML file, then `LOOKOUT_*` environment variables, then flags.
//! Everything is checked once at start; the rest of the program receives a valid `Config`.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

mod env;
mod secret;

pub use secret::{DatabaseUrl, Secret};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("configuration file {path}: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: Box<toml::de::Error>,
    },
    #[error("{key}: {reason}")]
    Invalid { key: String, reason: String },
}

fn invalid(key: &str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key: key.to_string(),
        reason: reason.into(),
    }
}

/// The organisation whose hotline heads every poster's contact block.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Organisation {
    pub name: String,
    /// As printed: "1-800-THE-LOST (1-800-843-5678)".
    pub hotline: String,
    #[serde(default)]
    pub web: Option<String>,
}

impl Default for Organisation {
    fn default() -> Self {
        Organisation {
            name: "National Center for Missing & Exploited Children".into(),
            hotline: "1-800-THE-LOST (1-800-843-5678)".into(),
            web: None,
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub listen: SocketAddr,
    /// `sqlite://PATH` or `postgres://…`.
    pub database_url: DatabaseUrl,
    pub organisation: Organisation,
    /// The public page of a case, with `{case_number}` where the number goes; printed as a QR code.
    pub case_page_url: Option<String>,
    /// The base of the links partners are sent (signed poster URLs).
    pub public_url: Option<String>,
    /// Unset: emails are written as `.eml` files to `outbox_dir`.
    pub smtp_url: Option<Secret>,
    /// A PEM file of extra root certificates trusted for the SMTP server (a relay with an
    /// internal CA), besides the built-in public roots.
    pub smtp_ca_file: Option<PathBuf>,
    pub outbox_dir: PathBuf,
    /// CIDRs let through the webhook SSRF guard, e.g. `127.0.0.0/8`.
    pub allow_private_targets: Vec<ipnet::IpNet>,
    pub reissue_quiet_secs: u64,
    pub retarget_interval_secs: u64,
    /// The sender of partner emails, `Name <address>`; its domain names the Message-IDs.
    pub mail_from: String,
    /// The key signing poster links (at least 32 bytes); unset, links die with the process.
    pub link_key: Option<Secret>,
    /// DKIM: all three or none. The key file holds a PKCS#1 PEM RSA key or a base64 Ed25519 key.
    pub dkim_selector: Option<String>,
    pub dkim_domain: Option<String>,
    pub dkim_key_file: Option<PathBuf>,
    /// Sends in flight from one process, across all partners.
    pub dispatch_concurrency: u64,
    /// Sends in flight to one partner: a slow partner holds this many, never everybody's.
    pub dispatch_per_partner: u64,
    /// How long a claimed delivery stays with its worker; a dead worker's deliveries come back after.
    pub dispatch_lease_secs: u64,
    /// Every send ends within this, whatever stage it hangs in.
    pub dispatch_send_timeout_secs: u64,
    /// How often each worker renews its heartbeat and looks for dead workers.
    pub dispatch_heartbeat_secs: u64,
    /// A worker whose heartbeat has not moved for this long is dead: any live worker delivers what
    /// it held at once. A worker that cannot beat for half of it stops its own sends.
    pub dispatch_dead_after_secs: u64,
    /// A partner failing without a single success for this long is disabled.
    pub partner_disable_after_secs: u64,
    /// A case's first dispatch from the console waits until a second case manager approves it.
    /// Off by default: minutes count.
    pub dispatch_approval: bool,
    /// A second address serving only `/metrics`, without a token, for a scraper on a private
    /// network. On the main address `/metrics` needs an admin token.
    pub metrics_listen: Option<SocketAddr>,
    /// A request still unanswered after this is answered 503, its work abandoned.
    pub request_timeout_secs: u64,
    /// After SIGTERM, requests in flight get this long to finish; then the process stops anyway.
    pub shutdown_deadline_secs: u64,
    /// Renders and photo decodes running at once; 0 means one per CPU.
    pub render_concurrency: u64,
    /// Renders and decodes that may wait for a turn; one more is answered 503 with Retry-After.
    pub render_queue: u64,
    /// Unset, closed cases are kept whole. Set, a closed case's photos, posters and personal fields
    /// are erased this many days after it closed.
    pub closed_case_retention_days: Option<u32>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: "127.0.0.1:8080".parse().expect("valid address"),
            database_url: "sqlite://lookout.db".into(),
            organisation: Organisation::default(),
            case_page_url: None,
            public_url: None,
            smtp_url: None,
            smtp_ca_file: None,
            outbox_dir: PathBuf::from("outbox"),
            allow_private_targets: Vec::new(),
            reissue_quiet_secs: 60,
            retarget_interval_secs: 900,
            mail_from: "Lookout <lookout@localhost>".into(),
            link_key: None,
            dkim_selector: None,
            dkim_domain: None,
            dkim_key_file: None,
            dispatch_concurrency: 64,
            dispatch_per_partner: 8,
            dispatch_lease_secs: 120,
            dispatch_send_timeout_secs: 30,
            dispatch_heartbeat_secs: 2,
            dispatch_dead_after_secs: 10,
            partner_disable_after_secs: 48 * 3600,
            dispatch_approval: false,
            metrics_listen: None,
            request_timeout_secs: 30,
            shutdown_deadline_secs: 30,
            render_concurrency: 0,
            render_queue: 32,
            closed_case_retention_days: None,
        }
    }
}

impl Config {
    /// How long a closed case is kept whole, when a retention period is set.
    pub fn retention(&self) -> Option<chrono::Duration> {
        self.closed_case_retention_days
            .map(|d| chrono::Duration::days(i64::from(d)))
    }

    /// How many renders and photo decodes run at once: `render_concurrency`, or one per CPU.
    pub fn render_permits(&self) -> usize {
        match self.render_concurrency {
            0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
            n => usize::try_from(n).unwrap_or(usize::MAX),
        }
    }

    /// Defaults, overridden by the file (if any), overridden by `LOOKOUT_*` variables in `env`.
    pub fn load(file: Option<&Path>, env: &HashMap<String, String>) -> Result<Config, ConfigError> {
        let mut config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.to_path_buf(),
                    source: Box::new(source),
                })?
            }
            None => Config::default(),
        };
        config.apply_env(env)?;
        config.check()?;
        Ok(config)
    }

    /// The process environment, for `load`.
    pub fn process_env() -> HashMap<String, String> {
        std::env::vars().collect()
    }

    fn check(&self) -> Result<(), ConfigError> {
        let db = &self.database_url;
        if !(db.starts_with("sqlite:")
            || db.starts_with("postgres://")
            || db.starts_with("postgresql://"))
        {
            return Err(invalid(
                "database_url",
                "must start with sqlite:// or postgres://",
            ));
        }
        if let Some(u) = &self.case_page_url
            && !u.starts_with("https://")
            && !u.starts_with("http://")
        {
            return Err(invalid("case_page_url", "must be an http(s) URL"));
        }
        if let Some(u) = &self.public_url {
            url::Url::parse(u).map_err(|e| invalid("public_url", e.to_string()))?;
        }
        if let Some(s) = &self.smtp_url {
            let u = url::Url::parse(s.expose()).map_err(|_| invalid("smtp_url", "not a URL"))?;
            if u.scheme() != "smtp" && u.scheme() != "smtps" {
                return Err(invalid("smtp_url", "must start with smtp:// or smtps://"));
            }
        }
        if let Some(path) = &self.smtp_ca_file {
            check_ca_file(path)?;
        }
        if !self.mail_from.contains('@') {
            return Err(invalid("mail_from", "must be an email address"));
        }
        if self
            .link_key
            .as_ref()
            .is_some_and(|k| k.expose().len() < 32)
        {
            return Err(invalid("link_key", "must be at least 32 characters"));
        }
        let dkim_set = [
            self.dkim_selector.is_some(),
            self.dkim_domain.is_some(),
            self.dkim_key_file.is_some(),
        ];
        if dkim_set.contains(&true) && dkim_set.contains(&false) {
            return Err(invalid(
                "dkim",
                "dkim_selector, dkim_domain and dkim_key_file go together",
            ));
        }
        for (key, value) in [
            ("retarget_interval_secs", self.retarget_interval_secs),
            ("dispatch_concurrency", self.dispatch_concurrency),
            ("dispatch_per_partner", self.dispatch_per_partner),
            ("dispatch_lease_secs", self.dispatch_lease_secs),
            (
                "dispatch_send_timeout_secs",
                self.dispatch_send_timeout_secs,
            ),
            (
                "partner_disable_after_secs",
                self.partner_disable_after_secs,
            ),
            ("dispatch_heartbeat_secs", self.dispatch_heartbeat_secs),
            ("dispatch_dead_after_secs", self.dispatch_dead_after_secs),
            ("request_timeout_secs", self.request_timeout_secs),
            ("shutdown_deadline_secs", self.shutdown_deadline_secs),
        ] {
            if value == 0 {
                return Err(invalid(key, "must be at least 1"));
            }
        }
        if self
            .closed_case_retention_days
            .is_some_and(|d| !(1..=36_500).contains(&d))
        {
            return Err(invalid(
                "closed_case_retention_days",
                "must be from 1 to 36500 days",
            ));
        }
        if self.dispatch_send_timeout_secs >= self.dispatch_lease_secs {
            return Err(invalid(
                "dispatch_lease_secs",
                "must be longer than dispatch_send_timeout_secs, or a slow send is sent twice",
            ));
        }
        if self.dispatch_dead_after_secs < 3 * self.dispatch_heartbeat_secs {
            return Err(invalid(
                "dispatch_dead_after_secs",
                "must be at least three heartbeats, or a slow beat looks like death",
            ));
        }
        if self.organisation.name.trim().is_empty() || self.organisation.hotline.trim().is_empty() {
            return Err(invalid("organisation", "name and hotline are required"));
        }
        Ok(())
    }
}

/// `smtp_ca_file` must be readable and hold at least one PEM certificate that the TLS library
/// takes as a root, so a wrong path or a key file given by mistake stops the start.
fn check_ca_file(path: &Path) -> Result<(), ConfigError> {
    use lettre::transport::smtp::client::{Certificate, CertificateStore, TlsParameters};
    let key = "smtp_ca_file";
    let shown = path.display();
    let pem = std::fs::read(path).map_err(|e| invalid(key, format!("cannot read {shown}: {e}")))?;
    let count = String::from_utf8_lossy(&pem)
        .matches("-----BEGIN CERTIFICATE-----")
        .count();
    if count == 0 {
        return Err(invalid(key, format!("{shown}: no PEM certificate in it")));
    }
    let roots = Certificate::from_pem(&pem)
        .map_err(|e| invalid(key, format!("{shown}: not PEM certificates: {e}")))?;
    TlsParameters::builder("localhost".into())
        .certificate_store(CertificateStore::None)
        .add_root_certificate(roots)
        .build()
        .map_err(|e| invalid(key, format!("{shown}: not a usable certificate: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests;
