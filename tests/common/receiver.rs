//! A partner's webhook endpoint on 127.0.0.1: checks Standard Webhooks signatures like a partner
//! would, and answers as the test says (up, 500, 410, 429 with Retry-After, or never).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use lookout::dispatch::webhook::{WebhookSecret, verify};
use serde_json::Value;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Up,
    Status(u16),
    /// 429 with `Retry-After: 1`.
    Busy,
    /// Never answers.
    Hang,
    /// Holds the request this long, then answers this status.
    Slow {
        hold_ms: u64,
        status: u16,
    },
}

/// A request that verified, whatever it was answered: when it came and what it was.
#[derive(Debug, Clone)]
pub struct Request {
    pub at: std::time::Instant,
    pub id: String,
    /// The event type (`poster.issued`, …).
    pub event: String,
}

/// One verified arrival: its `webhook-id` and parsed body.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub id: String,
    pub body: Value,
}

#[derive(Clone)]
pub struct Receiver {
    pub url: String,
    mode: Arc<Mutex<Mode>>,
    /// Accepted (answered 2xx) deliveries, in arrival order.
    arrived: Arc<Mutex<Vec<Arrival>>>,
    /// Every request that verified, whatever it was answered.
    tried: Arc<Mutex<usize>>,
    requests: Arc<Mutex<Vec<Request>>>,
    /// Every request as it came, signed or not: headers and body.
    raw: Arc<Mutex<Vec<(HeaderMap, Bytes)>>>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let r = Receiver {
            url,
            mode: Arc::new(Mutex::new(Mode::Up)),
            arrived: Arc::default(),
            tried: Arc::default(),
            requests: Arc::default(),
            raw: Arc::default(),
        };
        let app = Router::new()
            .route("/hook", post(hook))
            .with_state(r.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        r
    }

    pub fn set(&self, mode: Mode) {
        *self.mode.lock().unwrap() = mode;
    }

    pub fn arrived(&self) -> Vec<Arrival> {
        self.arrived.lock().unwrap().clone()
    }

    pub fn tried(&self) -> usize {
        *self.tried.lock().unwrap()
    }

    /// Every request, verified or not, as it came: for checking a signature with another key.
    pub fn raw(&self) -> Vec<(HeaderMap, Bytes)> {
        self.raw.lock().unwrap().clone()
    }

    /// Every request that verified, in the order they came.
    pub fn requests(&self) -> Vec<Request> {
        self.requests.lock().unwrap().clone()
    }

    /// How many requests of `event` came, whatever they were answered.
    pub fn count(&self, event: &str) -> usize {
        self.requests().iter().filter(|r| r.event == event).count()
    }

    /// Wait until a request of `event` has come, or panic after `secs`.
    pub async fn wait_event(&self, event: &str, secs: u64) -> Request {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            if let Some(r) = self.requests().into_iter().find(|r| r.event == event) {
                return r;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "no {event} in {secs} s: {:?}",
                self.requests()
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Wait until `n` deliveries have arrived, or panic after `secs`.
    pub async fn wait_for(&self, n: usize, secs: u64) -> Vec<Arrival> {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(secs);
        loop {
            let got = self.arrived();
            if got.len() >= n {
                return got;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{} of {n} deliveries arrived in {secs} s: {got:?}",
                got.len()
            );
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
    }
}

/// Checks the Standard Webhooks headers with [`SECRET`], as a partner would (5 minutes' tolerance);
/// the `webhook-id` when they verify.
pub fn verified(headers: &HeaderMap, body: &[u8]) -> Result<String, String> {
    verified_with(SECRET, headers, body)
}

/// As [`verified`], with the key `secret` (`whsec_…`).
pub fn verified_with(secret: &str, headers: &HeaderMap, body: &[u8]) -> Result<String, String> {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let key = WebhookSecret::parse(secret).map_err(|e| format!("{e:?}"))?;
    let id = h("webhook-id");
    verify(
        &key,
        &id,
        &h("webhook-timestamp"),
        &h("webhook-signature"),
        body,
        chrono::Utc::now().timestamp(),
        300,
    )
    .map_err(|e| format!("{id}: {e:?}"))?;
    Ok(id)
}

async fn hook(State(r): State<Receiver>, headers: HeaderMap, body: Bytes) -> Response {
    r.raw.lock().unwrap().push((headers.clone(), body.clone()));
    let Ok(id) = verified(&headers, &body) else {
        return StatusCode::UNAUTHORIZED.into_response();
    };
    *r.tried.lock().unwrap() += 1;
    let event = serde_json::from_slice::<Value>(&body)
        .ok()
        .and_then(|v| v["type"].as_str().map(str::to_string))
        .unwrap_or_default();
    r.requests.lock().unwrap().push(Request {
        at: std::time::Instant::now(),
        id: id.clone(),
        event,
    });
    let mode = *r.mode.lock().unwrap();
    match mode {
        Mode::Up => {
            let body: Value = serde_json::from_slice(&body).expect("a JSON body");
            assert_eq!(
                body["id"].as_str(),
                Some(id.as_str()),
                "body id = webhook-id"
            );
            r.arrived.lock().unwrap().push(Arrival { id, body });
            StatusCode::NO_CONTENT.into_response()
        }
        Mode::Status(code) => StatusCode::from_u16(code).unwrap().into_response(),
        Mode::Busy => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response(),
        Mode::Hang => {
            std::future::pending::<()>().await;
            unreachable!()
        }
        Mode::Slow { hold_ms, status } => {
            tokio::time::sleep(std::time::Duration::from_millis(hold_ms)).await;
            StatusCode::from_u16(status).unwrap().into_response()
        }
    }
}
