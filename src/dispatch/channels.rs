//! The channels a running service needs, built once from the configuration.

use std::path::PathBuf;

use rand::RngCore;

use super::email::{Composer, DkimSettings, EmailError, Mailer, PoolSettings};
use super::links::{LinkError, LinkSigner};
use super::ssrf::{ClientTimeouts, SsrfError, TargetPolicy};
use super::webhook::WebhookClient;
use crate::config::Config;

#[derive(Debug, thiserror::Error)]
pub enum SetupError {
    #[error(transparent)]
    Email(#[from] EmailError),
    #[error(transparent)]
    Webhook(#[from] SsrfError),
    #[error(transparent)]
    Links(#[from] LinkError),
    #[error("smtp_ca_file: cannot read {path}: {source}")]
    SmtpCaFile {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("dkim_key_file: cannot read {path}: {source}")]
    DkimKey {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Everything the outbox worker sends with. Cheap to share behind an `Arc`.
#[derive(Debug)]
pub struct Channels {
    pub webhooks: WebhookClient,
    pub mailer: Mailer,
    pub composer: Composer,
    pub links: LinkSigner,
}

impl Channels {
    pub fn from_config(config: &Config) -> Result<Channels, SetupError> {
        let policy = TargetPolicy::new(config.allow_private_targets.clone());
        let webhooks = WebhookClient::new(policy, ClientTimeouts::default())?;
        let smtp_url = config.smtp_url.as_ref().map(|s| s.expose());
        let ca_pem = match &config.smtp_ca_file {
            Some(path) => Some(
                std::fs::read(path).map_err(|source| SetupError::SmtpCaFile {
                    path: path.clone(),
                    source,
                })?,
            ),
            None => None,
        };
        let mailer = Mailer::from_config_with_ca(
            smtp_url,
            ca_pem.as_deref(),
            &config.outbox_dir,
            PoolSettings::default(),
        )?;
        let dkim = dkim_settings(config)?;
        let composer = Composer::new(&config.mail_from, dkim.as_ref())?;
        let public_url = config
            .public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", config.listen));
        let links = match &config.link_key {
            Some(key) => LinkSigner::new(&public_url, key.expose().as_bytes())?,
            None => {
                tracing::warn!("link_key is not set: poster links stop working on restart");
                let mut key = [0u8; 32];
                rand::rng().fill_bytes(&mut key);
                LinkSigner::new(&public_url, &key)?
            }
        };
        Ok(Channels {
            webhooks,
            mailer,
            composer,
            links,
        })
    }
}

fn dkim_settings(config: &Config) -> Result<Option<DkimSettings>, SetupError> {
    let (Some(selector), Some(domain), Some(path)) = (
        &config.dkim_selector,
        &config.dkim_domain,
        &config.dkim_key_file,
    ) else {
        return Ok(None);
    };
    let private_key = std::fs::read_to_string(path).map_err(|source| SetupError::DkimKey {
        path: path.clone(),
        source,
    })?;
    Ok(Some(DkimSettings {
        selector: selector.clone(),
        domain: domain.clone(),
        private_key,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[tokio::test]
    async fn builds_from_defaults_and_reports_a_missing_dkim_key() {
        let config = Config::load(None, &HashMap::new()).unwrap();
        let channels = Channels::from_config(&config).unwrap();
        assert!(matches!(channels.mailer, Mailer::Outbox(_)));
        let env: HashMap<String, String> = [
            ("LOOKOUT_DKIM_SELECTOR", "s1"),
            ("LOOKOUT_DKIM_DOMAIN", "x.example"),
            ("LOOKOUT_DKIM_KEY_FILE", "/nonexistent/dkim.key"),
            ("LOOKOUT_SMTP_URL", "smtp://127.0.0.1:2525"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let config = Config::load(None, &env).unwrap();
        let err = Channels::from_config(&config).unwrap_err().to_string();
        assert!(
            err.starts_with("dkim_key_file: cannot read /nonexistent/dkim.key"),
            "{err}"
        );
    }
}
