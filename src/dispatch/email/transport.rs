//! Getting a composed message out: SMTP with pooled connections (plain for local relays,
//! STARTTLS, or implicit TLS, with authentication, optionally trusting a private CA), or `.eml`
//! files when no SMTP is configured.

use std::path::{Path, PathBuf};
use std::time::Duration;

use lettre::message::Message;
use lettre::transport::smtp::PoolConfig;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Certificate, Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use percent_encoding::percent_decode_str;
use url::Url;

use super::EmailError;
use crate::dispatch::outcome::SendOutcome;

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// No TLS: only for a relay on the same host or in tests.
    Plain,
    /// Plain connect, then STARTTLS, required (`?tls=starttls` or `?tls=required`).
    StartTls,
    /// STARTTLS when offered (`?tls=opportunistic`).
    Opportunistic,
    /// TLS from the first byte (`smtps://`).
    Implicit,
}

/// The parts of `smtp_url`.
#[derive(Clone, PartialEq, Eq)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub security: SmtpSecurity,
    pub credentials: Option<(String, String)>,
}

impl std::fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("user", &self.credentials.as_ref().map(|(u, _)| u))
            .finish_non_exhaustive()
    }
}

impl SmtpSettings {
    /// `smtp://host:port`, `smtp://user:pass@host:587?tls=starttls`, `smtps://user:pass@host:465`.
    /// Default ports: 25 plain, 587 STARTTLS, 465 implicit TLS.
    pub fn parse(smtp_url: &str) -> Result<SmtpSettings, EmailError> {
        let bad = |reason: &str| EmailError::SmtpUrl(reason.to_string());
        let url = Url::parse(smtp_url).map_err(|_| bad("not a URL"))?;
        let tls = url
            .query_pairs()
            .find(|(k, _)| k == "tls")
            .map(|(_, v)| v.into_owned());
        let security = match (url.scheme(), tls.as_deref()) {
            ("smtp", None | Some("none")) => SmtpSecurity::Plain,
            ("smtp", Some("starttls" | "required")) => SmtpSecurity::StartTls,
            ("smtp", Some("opportunistic")) => SmtpSecurity::Opportunistic,
            ("smtps", None | Some("implicit")) => SmtpSecurity::Implicit,
            ("smtp" | "smtps", Some(_)) => {
                return Err(bad("tls must be starttls, opportunistic or none"));
            }
            _ => return Err(bad("must start with smtp:// or smtps://")),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or_else(|| bad("no host"))?;
        let host = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string();
        let port = url.port().unwrap_or(match security {
            SmtpSecurity::Plain => 25,
            SmtpSecurity::StartTls | SmtpSecurity::Opportunistic => 587,
            SmtpSecurity::Implicit => 465,
        });
        let decode = |s: &str| {
            percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| bad("credentials are not UTF-8"))
        };
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            (user, Some(pass)) => Some((decode(user)?, decode(pass)?)),
            (_, None) => return Err(bad("a user needs a password")),
        };
        Ok(SmtpSettings {
            host,
            port,
            security,
            credentials,
        })
    }
}

/// Size of the SMTP connection pool.
#[derive(Debug, Clone, Copy)]
pub struct PoolSettings {
    /// Idle connections kept for reuse (lettre's `max_size`). Not a cap on connections in flight:
    /// lettre opens one per concurrent send when none is idle; `dispatch_concurrency` bounds those.
    pub max_connections: u32,
    pub idle_timeout: Duration,
    /// lettre's own per-command timeout; the hard timeout around each send is separate.
    pub command_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 8,
            idle_timeout: Duration::from_secs(60),
            command_timeout: Duration::from_secs(30),
        }
    }
}

/// Where email goes.
#[derive(Clone)]
pub enum Mailer {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    /// No SMTP configured: one `.eml` file per delivery, named after its id.
    Outbox(PathBuf),
}

impl std::fmt::Debug for Mailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Mailer::Smtp(_) => f.write_str("Mailer::Smtp"),
            Mailer::Outbox(dir) => write!(f, "Mailer::Outbox({})", dir.display()),
        }
    }
}

impl Mailer {
    /// From the configuration: `smtp_url` when set, else `.eml` files in `outbox_dir`.
    pub fn from_config(
        smtp_url: Option<&str>,
        outbox_dir: &Path,
        pool: PoolSettings,
    ) -> Result<Mailer, EmailError> {
        Mailer::from_config_with_ca(smtp_url, None, outbox_dir, pool)
    }

    /// As [`Mailer::from_config`], also trusting the root certificates in `ca_pem` (the contents
    /// of `smtp_ca_file`) for the SMTP server's TLS, besides the built-in public roots.
    pub fn from_config_with_ca(
        smtp_url: Option<&str>,
        ca_pem: Option<&[u8]>,
        outbox_dir: &Path,
        pool: PoolSettings,
    ) -> Result<Mailer, EmailError> {
        match smtp_url {
            Some(url) => Ok(Mailer::smtp_with_ca(
                &SmtpSettings::parse(url)?,
                ca_pem,
                pool,
            )?),
            None => Ok(Mailer::Outbox(outbox_dir.to_path_buf())),
        }
    }

    /// Must be called inside a tokio runtime: the pool starts its idle-connection reaper task.
    pub fn smtp(settings: &SmtpSettings, pool: PoolSettings) -> Result<Mailer, EmailError> {
        Mailer::smtp_with_ca(settings, None, pool)
    }

    /// As [`Mailer::smtp`], with extra PEM root certificates (a relay with an internal CA). They
    /// are checked here, so a bad file stops the start rather than every send.
    pub fn smtp_with_ca(
        settings: &SmtpSettings,
        ca_pem: Option<&[u8]>,
        pool: PoolSettings,
    ) -> Result<Mailer, EmailError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(EmailError::NoRuntime);
        }
        let roots = ca_pem
            .map(Certificate::from_pem)
            .transpose()
            .map_err(EmailError::Tls)?;
        let tls = || {
            let mut builder = TlsParameters::builder(settings.host.clone());
            if let Some(roots) = &roots {
                builder = builder.add_root_certificate(roots.clone());
            }
            builder.build().map_err(EmailError::Tls)
        };
        let tls = match settings.security {
            SmtpSecurity::Plain => Tls::None,
            SmtpSecurity::StartTls => Tls::Required(tls()?),
            SmtpSecurity::Opportunistic => Tls::Opportunistic(tls()?),
            SmtpSecurity::Implicit => Tls::Wrapper(tls()?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(pool.command_timeout))
            .pool_config(
                PoolConfig::new()
                    .max_size(pool.max_connections)
                    .idle_timeout(pool.idle_timeout),
            );
        if let Some((user, pass)) = &settings.credentials {
            builder = builder.credentials(Credentials::new(user.clone(), pass.clone()));
        }
        Ok(Mailer::Smtp(builder.build()))
    }

    /// Sends one message, never for longer than `timeout` (lettre's own timeouts do not cover
    /// every stage of a session).
    pub async fn send(
        &self,
        message: &Message,
        delivery_id: &str,
        timeout: Duration,
    ) -> SendOutcome {
        let attempt = async {
            match self {
                Mailer::Smtp(transport) => smtp_send(transport, message).await,
                Mailer::Outbox(dir) => write_eml(dir, delivery_id, message.formatted()).await,
            }
        };
        match tokio::time::timeout(timeout, attempt).await {
            Ok(outcome) => outcome,
            Err(_) => {
                SendOutcome::retry(None, format!("timed out after {} ms", timeout.as_millis()))
            }
        }
    }
}

async fn smtp_send(
    transport: &AsyncSmtpTransport<Tokio1Executor>,
    message: &Message,
) -> SendOutcome {
    match transport
        .send_raw(message.envelope(), &message.formatted())
        .await
    {
        Ok(_) => SendOutcome::Delivered,
        Err(e) => judge(&e),
    }
}

/// SMTP 5xx is final, except a refused login; 4xx, timeouts and connection trouble are tried again
/// later.
fn judge(e: &lettre::transport::smtp::Error) -> SendOutcome {
    let code = e.status().map(|c| c.to_string());
    let text = match &code {
        Some(code) => format!("SMTP {code}: {e}"),
        None => format!("SMTP: {e}"),
    };
    // Authentication refused (530, 534, 535) is our own relay settings being wrong, not the
    // recipient: keep retrying until an operator fixes them rather than dropping every delivery.
    let ours = matches!(code.as_deref(), Some("530" | "534" | "535"));
    if e.is_permanent() && !ours {
        SendOutcome::failed(text)
    } else {
        SendOutcome::retry(None, text)
    }
}

/// Writes `{dir}/{delivery_id}.eml` via a temporary file and a rename, so a reader never sees half
/// a message and a retry overwrites rather than duplicates.
async fn write_eml(dir: &Path, delivery_id: &str, bytes: Vec<u8>) -> SendOutcome {
    if !safe_file_stem(delivery_id) {
        return SendOutcome::failed("delivery id: not usable as a file name");
    }
    let dir = dir.to_path_buf();
    let name = format!("{delivery_id}.eml");
    let result = tokio::task::spawn_blocking(move || write_atomically(&dir, &name, &bytes)).await;
    match result {
        Ok(Ok(())) => SendOutcome::Delivered,
        Ok(Err(e)) => SendOutcome::retry(None, format!("outbox: {e}")),
        Err(e) => SendOutcome::retry(None, format!("outbox: {e}")),
    }
}

fn safe_file_stem(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 128
        && !s.starts_with('.')
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
}

fn write_atomically(dir: &Path, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    std::fs::create_dir_all(dir)?;
    let tmp = dir.join(format!(".{name}.{}.tmp", std::process::id()));
    let mut file = std::fs::File::create(&tmp)?;
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(e) = written.and_then(|()| std::fs::rename(&tmp, dir.join(name))) {
        let _ = std::fs::remove_file(&tmp);
        return Err(e);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smtp_urls_parse_into_settings() {
        let s = SmtpSettings::parse("smtp://127.0.0.1:2525").unwrap();
        assert_eq!(
            (s.host.as_str(), s.port, s.security),
            ("127.0.0.1", 2525, SmtpSecurity::Plain)
        );
        assert_eq!(s.credentials, None);
        let s =
            SmtpSettings::parse("smtp://ann%40x.example:p%3Ass@mail.example?tls=starttls").unwrap();
        assert_eq!((s.port, s.security), (587, SmtpSecurity::StartTls));
        assert_eq!(s.credentials, Some(("ann@x.example".into(), "p:ss".into())));
        assert!(!format!("{s:?}").contains("p:ss"));
        let s = SmtpSettings::parse("smtps://mail.example").unwrap();
        assert_eq!((s.port, s.security), (465, SmtpSecurity::Implicit));
        for bad in [
            "http://x",
            "smtp://x?tls=maybe",
            "smtp://user@x",
            "smtp://",
            "nonsense",
        ] {
            assert!(
                matches!(SmtpSettings::parse(bad), Err(EmailError::SmtpUrl(_))),
                "{bad}"
            );
        }
    }

    #[test]
    fn file_names_come_only_from_safe_ids() {
        assert!(safe_file_stem("0190d3f2-7c1a-7000-8000-000000000001"));
        for bad in ["", "../etc/passwd", ".hidden", "a/b", "a b"] {
            assert!(!safe_file_stem(bad), "{bad}");
        }
    }
}
