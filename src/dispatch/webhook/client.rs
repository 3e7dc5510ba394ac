//! Sending one signed webhook and reading the answer into a [`SendOutcome`].

use std::error::Error as _;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, HeaderValue, RETRY_AFTER};
use url::Url;

use super::sign::{WebhookSecret, signature_header};
use crate::dispatch::outcome::SendOutcome;
use crate::dispatch::retry::parse_retry_after;
use crate::dispatch::ssrf::{ClientTimeouts, SsrfError, TargetPolicy, guarded_client};

/// A partner's answer body is read (so the connection can be reused) but only this much of it.
const MAX_RESPONSE_BYTES: usize = 64 * 1024;

/// A pooled HTTP client for partner endpoints, behind the SSRF guard. Build one per process and
/// share it: connections to each partner are kept alive between deliveries.
#[derive(Debug, Clone)]
pub struct WebhookClient {
    http: reqwest::Client,
    policy: Arc<TargetPolicy>,
}

impl WebhookClient {
    pub fn new(policy: TargetPolicy, timeouts: ClientTimeouts) -> Result<WebhookClient, SsrfError> {
        let policy = Arc::new(policy);
        Ok(WebhookClient {
            http: guarded_client(policy.clone(), timeouts)?,
            policy,
        })
    }

    /// POSTs `body` (JSON) to `url`, signed with each of `secrets` (current first, then the one
    /// being rotated out), with `delivery_id` as `webhook-id` so the partner can drop duplicates.
    ///
    /// `timeout` bounds the whole attempt, resolving and reading the answer included.
    pub async fn send(
        &self,
        url: &str,
        secrets: &[WebhookSecret],
        delivery_id: &str,
        body: Bytes,
        timeout: Duration,
    ) -> SendOutcome {
        let attempt = self.attempt(url, secrets, delivery_id, body);
        match tokio::time::timeout(timeout, attempt).await {
            Ok(outcome) => outcome,
            Err(_) => {
                SendOutcome::retry(None, format!("timed out after {} ms", timeout.as_millis()))
            }
        }
    }

    async fn attempt(
        &self,
        url: &str,
        secrets: &[WebhookSecret],
        delivery_id: &str,
        body: Bytes,
    ) -> SendOutcome {
        let url = match Url::parse(url) {
            Ok(u) => u,
            Err(e) => return SendOutcome::failed(format!("url: {e}")),
        };
        if let Err(e) = self.policy.check_url(&url).await {
            return refused(&e);
        }
        if secrets.is_empty() {
            return SendOutcome::failed("webhook: no secret configured");
        }
        let timestamp = unix_now();
        let signature = signature_header(secrets, delivery_id, timestamp, &body);
        let request = self
            .http
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", delivery_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body);
        match request.send().await {
            Ok(response) => {
                let outcome = judge(response.status(), response.headers().get(RETRY_AFTER));
                drain(response).await;
                outcome
            }
            Err(e) => transport_error(&e),
        }
    }
}

/// The status code decides: 2xx delivered; 3xx failed (redirects are not followed: a partner must
/// register its real URL); 410 disables the endpoint; 429/503 and other 5xx are retried, honouring
/// Retry-After; 408 is retried; any other 4xx is final.
fn judge(status: StatusCode, retry_after: Option<&HeaderValue>) -> SendOutcome {
    let code = status.as_u16();
    let after = || {
        retry_after
            .and_then(|v| v.to_str().ok())
            .and_then(|v| parse_retry_after(v, chrono::Utc::now()))
    };
    match code {
        200..=299 => SendOutcome::Delivered,
        300..=399 => SendOutcome::failed(format!("HTTP {code}: redirects are not followed")),
        410 => SendOutcome::disable("HTTP 410 Gone: endpoint disabled"),
        429 | 503 => SendOutcome::retry(after(), format!("HTTP {code}")),
        408 => SendOutcome::retry(None, "HTTP 408"),
        400..=499 => SendOutcome::failed(format!("HTTP {code}")),
        _ => SendOutcome::retry(after(), format!("HTTP {code}")),
    }
}

/// A refused target is a configuration problem of the partner: retrying cannot help. A name that
/// does not resolve may be a passing DNS failure, so that one is retried.
fn refused(e: &SsrfError) -> SendOutcome {
    match e {
        SsrfError::Resolve { .. } => SendOutcome::retry(None, e.to_string()),
        _ => SendOutcome::failed(e.to_string()),
    }
}

fn transport_error(e: &reqwest::Error) -> SendOutcome {
    let mut source = e.source();
    while let Some(s) = source {
        if let Some(guard) = s.downcast_ref::<SsrfError>() {
            return refused(guard);
        }
        source = s.source();
    }
    let kind = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connect"
    } else if e.is_builder() {
        return SendOutcome::failed(format!("request: {}", innermost(e)));
    } else {
        "transport"
    };
    SendOutcome::retry(None, format!("{kind}: {}", innermost(e)))
}

/// The root cause's message, without the URL reqwest puts in its own (it may carry a token).
fn innermost(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last: &dyn std::error::Error = e;
    while let Some(s) = last.source() {
        last = s;
    }
    last.to_string()
}

async fn drain(mut response: reqwest::Response) {
    let mut read = 0;
    while let Ok(Some(chunk)) = response.chunk().await {
        read += chunk.len();
        if read > MAX_RESPONSE_BYTES {
            break;
        }
    }
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_codes_map_to_outcomes() {
        let ra = HeaderValue::from_static("30");
        assert_eq!(judge(StatusCode::OK, None), SendOutcome::Delivered);
        assert_eq!(judge(StatusCode::NO_CONTENT, None), SendOutcome::Delivered);
        assert_eq!(judge(StatusCode::FOUND, None).label(), "failed");
        assert_eq!(judge(StatusCode::GONE, None).label(), "disabled");
        assert_eq!(judge(StatusCode::BAD_REQUEST, None).label(), "failed");
        assert_eq!(judge(StatusCode::UNAUTHORIZED, None).label(), "failed");
        assert_eq!(judge(StatusCode::REQUEST_TIMEOUT, None).label(), "retry");
        assert_eq!(
            judge(StatusCode::INTERNAL_SERVER_ERROR, None).label(),
            "retry"
        );
        for code in [
            StatusCode::TOO_MANY_REQUESTS,
            StatusCode::SERVICE_UNAVAILABLE,
        ] {
            match judge(code, Some(&ra)) {
                SendOutcome::Retry { after, .. } => {
                    assert_eq!(after, Some(Duration::from_secs(30)))
                }
                other => panic!("{code}: {other:?}"),
            }
        }
    }
}
