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
        match self.post(url, secrets, delivery_id, body).await {
            Ok(response) => {
                let outcome = judge(response.status(), response.headers().get(RETRY_AFTER));
                drain(response).await;
                outcome
            }
            Err(outcome) => outcome,
        }
    }

    /// Sends a message as [`WebhookClient::send`] does, and returns the partner's answer as it
    /// was (status and the start of its body) with what a delivery would make of it: for a test
    /// the partner runs from its portal. `Err`: no answer, and why.
    pub async fn probe(
        &self,
        url: &str,
        secrets: &[WebhookSecret],
        message_id: &str,
        body: Bytes,
        timeout: Duration,
    ) -> Result<Answer, SendOutcome> {
        let exchange = async {
            let response = self.post(url, secrets, message_id, body).await?;
            let status = response.status();
            let outcome = judge(status, response.headers().get(RETRY_AFTER));
            let body = read_start(response, ANSWER_SHOWN).await;
            Ok(Answer {
                status: status.as_u16(),
                reason: status.canonical_reason().unwrap_or("").to_string(),
                body: String::from_utf8_lossy(&body).into_owned(),
                outcome,
            })
        };
        match tokio::time::timeout(timeout, exchange).await {
            Ok(answer) => answer,
            Err(_) => Err(SendOutcome::retry(
                None,
                format!("timed out after {} ms", timeout.as_millis()),
            )),
        }
    }

    /// The signed POST, up to the answer's head.
    async fn post(
        &self,
        url: &str,
        secrets: &[WebhookSecret],
        delivery_id: &str,
        body: Bytes,
    ) -> Result<reqwest::Response, SendOutcome> {
        let url = Url::parse(url).map_err(|e| SendOutcome::failed(format!("url: {e}")))?;
        if let Err(e) = self.policy.check_url(&url).await {
            return Err(refused(&e));
        }
        if secrets.is_empty() {
            return Err(SendOutcome::failed("webhook: no secret configured"));
        }
        let timestamp = unix_now();
        let signature = signature_header(secrets, delivery_id, timestamp, &body);
        self.http
            .post(url)
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"))
            .header("webhook-id", delivery_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(body)
            .send()
            .await
            .map_err(|e| transport_error(&e))
    }
}

/// A partner's answer to a test message.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    /// The status code's standard phrase ("OK").
    pub reason: String,
    /// The start of the body, at most [`ANSWER_SHOWN`] bytes, as text.
    pub body: String,
    /// What a delivery would make of this answer.
    pub outcome: SendOutcome,
}

/// How much of a test answer's body is kept to show.
pub const ANSWER_SHOWN: usize = 2048;

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

/// The first `limit` bytes of the body; the rest is not read.
async fn read_start(mut response: reqwest::Response, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while let Ok(Some(chunk)) = response.chunk().await {
        let room = limit - out.len();
        out.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if out.len() >= limit {
            break;
        }
    }
    out
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
