//! `LOOKOUT_*` environment variables over the file's values; secrets may come from files instead
//! (`KEY_FILE`), as systemd credentials and container secrets give them.

use std::collections::HashMap;
use std::path::PathBuf;

use super::{Config, ConfigError, Secret, invalid};

impl Config {
    pub(super) fn apply_env(&mut self, env: &HashMap<String, String>) -> Result<(), ConfigError> {
        let get = |k: &str| env.get(k).filter(|v| !v.is_empty());
        // secrets may come from a file instead (`KEY_FILE`): systemd credentials, container secrets
        let database_url = match secret_var(env, "DATABASE_URL")? {
            Some(v) => Some(v),
            None => secret_var(env, "LOOKOUT_DATABASE_URL")?,
        };
        let smtp_url = secret_var(env, "LOOKOUT_SMTP_URL")?;
        let link_key = secret_var(env, "LOOKOUT_LINK_KEY")?;
        if let Some(v) = get("LOOKOUT_LISTEN") {
            self.listen = v
                .parse()
                .map_err(|_| invalid("LOOKOUT_LISTEN", "not an address like 127.0.0.1:8080"))?;
        }
        if let Some(v) = get("LOOKOUT_METRICS_LISTEN") {
            self.metrics_listen = Some(v.parse().map_err(|_| {
                invalid(
                    "LOOKOUT_METRICS_LISTEN",
                    "not an address like 127.0.0.1:9090",
                )
            })?);
        }
        if let Some(v) = database_url {
            self.database_url = v.into();
        }
        if let Some(v) = get("LOOKOUT_CASE_PAGE_URL") {
            self.case_page_url = Some(v.clone());
        }
        if let Some(v) = get("LOOKOUT_PUBLIC_URL") {
            self.public_url = Some(v.clone());
        }
        if let Some(v) = smtp_url {
            self.smtp_url = Some(Secret::new(v));
        }
        if let Some(v) = get("LOOKOUT_SMTP_CA_FILE") {
            self.smtp_ca_file = Some(PathBuf::from(v));
        }
        if let Some(v) = get("LOOKOUT_CLOSED_CASE_RETENTION_DAYS") {
            self.closed_case_retention_days = Some(v.parse().map_err(|_| {
                invalid(
                    "LOOKOUT_CLOSED_CASE_RETENTION_DAYS",
                    "not a whole number of days",
                )
            })?);
        }
        if let Some(v) = get("LOOKOUT_OUTBOX_DIR") {
            self.outbox_dir = PathBuf::from(v);
        }
        if let Some(v) = get("LOOKOUT_ALLOW_PRIVATE_TARGETS") {
            self.allow_private_targets = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(|s| {
                    s.parse().map_err(|_| {
                        invalid(
                            "LOOKOUT_ALLOW_PRIVATE_TARGETS",
                            format!("{s} is not a CIDR"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(v) = get("LOOKOUT_MAIL_FROM") {
            self.mail_from = v.clone();
        }
        if let Some(v) = link_key {
            self.link_key = Some(Secret::new(v));
        }
        if let Some(v) = get("LOOKOUT_DKIM_SELECTOR") {
            self.dkim_selector = Some(v.clone());
        }
        if let Some(v) = get("LOOKOUT_DKIM_DOMAIN") {
            self.dkim_domain = Some(v.clone());
        }
        if let Some(v) = get("LOOKOUT_DISPATCH_APPROVAL") {
            self.dispatch_approval = match v.as_str() {
                "true" | "1" | "yes" => true,
                "false" | "0" | "no" => false,
                _ => return Err(invalid("LOOKOUT_DISPATCH_APPROVAL", "true or false")),
            };
        }
        if let Some(v) = get("LOOKOUT_DKIM_KEY_FILE") {
            self.dkim_key_file = Some(PathBuf::from(v));
        }
        for (key, slot) in [
            ("LOOKOUT_REISSUE_QUIET_SECS", &mut self.reissue_quiet_secs),
            (
                "LOOKOUT_RETARGET_INTERVAL_SECS",
                &mut self.retarget_interval_secs,
            ),
            (
                "LOOKOUT_DISPATCH_CONCURRENCY",
                &mut self.dispatch_concurrency,
            ),
            (
                "LOOKOUT_DISPATCH_PER_PARTNER",
                &mut self.dispatch_per_partner,
            ),
            ("LOOKOUT_DISPATCH_LEASE_SECS", &mut self.dispatch_lease_secs),
            (
                "LOOKOUT_DISPATCH_SEND_TIMEOUT_SECS",
                &mut self.dispatch_send_timeout_secs,
            ),
            (
                "LOOKOUT_PARTNER_DISABLE_AFTER_SECS",
                &mut self.partner_disable_after_secs,
            ),
            (
                "LOOKOUT_DISPATCH_HEARTBEAT_SECS",
                &mut self.dispatch_heartbeat_secs,
            ),
            (
                "LOOKOUT_DISPATCH_DEAD_AFTER_SECS",
                &mut self.dispatch_dead_after_secs,
            ),
            (
                "LOOKOUT_REQUEST_TIMEOUT_SECS",
                &mut self.request_timeout_secs,
            ),
            (
                "LOOKOUT_SHUTDOWN_DEADLINE_SECS",
                &mut self.shutdown_deadline_secs,
            ),
            ("LOOKOUT_RENDER_CONCURRENCY", &mut self.render_concurrency),
            ("LOOKOUT_RENDER_QUEUE", &mut self.render_queue),
        ] {
            if let Some(v) = get(key) {
                *slot = v.parse().map_err(|_| {
                    let unit = if key.ends_with("_SECS") {
                        " of seconds"
                    } else {
                        ""
                    };
                    invalid(key, format!("not a whole number{unit}"))
                })?;
            }
        }
        Ok(())
    }
}

/// The value of `key`, or the text of the file `{key}_FILE` names, without its final line break.
fn secret_var(env: &HashMap<String, String>, key: &str) -> Result<Option<String>, ConfigError> {
    let file_key = format!("{key}_FILE");
    let direct = env.get(key).filter(|v| !v.is_empty());
    let file = env.get(&file_key).filter(|v| !v.is_empty());
    match (direct, file) {
        (Some(_), Some(_)) => Err(invalid(key, format!("set {key} or {file_key}, not both"))),
        (Some(v), None) => Ok(Some(v.clone())),
        (None, Some(path)) => {
            let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                path: PathBuf::from(path),
                source,
            })?;
            Ok(Some(text.trim_end_matches(['\n', '\r']).to_string()))
        }
        (None, None) => Ok(None),
    }
}
