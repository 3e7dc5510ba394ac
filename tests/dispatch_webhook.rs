//! The webhook channel against real HTTP receivers on 127.0.0.1 that check signatures the way a
//! partner would and answer 200, 401, 500, 410, 429, 503, 302, or never.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use axum::routing::post;
use lookout::dispatch::SendOutcome;
use lookout::dispatch::ssrf::{ClientTimeouts, TargetPolicy};
use lookout::dispatch::webhook::{WebhookClient, WebhookSecret, verify};

const CURRENT: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const PREVIOUS: &str = "whsec_dGhlIG9sZCBzZWNyZXQgYmVpbmcgcm90YXRlZA==";

#[derive(Clone, Default)]
struct Received(Arc<Mutex<Vec<Arrival>>>);

/// A verified delivery: its `webhook-id` and body.
type Arrival = (String, Vec<u8>);

/// Checks the Standard Webhooks headers with the key it was given; 401 when they do not verify.
fn checked(key: &WebhookSecret, headers: &HeaderMap, body: &[u8]) -> Result<String, StatusCode> {
    let h = |n: &str| {
        headers
            .get(n)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    };
    let now = chrono::Utc::now().timestamp();
    verify(
        key,
        &h("webhook-id"),
        &h("webhook-timestamp"),
        &h("webhook-signature"),
        body,
        now,
        300,
    )
    .map_err(|_| StatusCode::UNAUTHORIZED)?;
    Ok(h("webhook-id"))
}

async fn receiver(key: &'static str) -> (String, Received) {
    let received = Received::default();
    let app = Router::new()
        .route("/ok", post(ok))
        .route(
            "/error",
            post(|| async { StatusCode::INTERNAL_SERVER_ERROR }),
        )
        .route("/gone", post(|| async { StatusCode::GONE }))
        .route(
            "/busy",
            post(|| async { (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "7")]) }),
        )
        .route(
            "/down",
            post(|| async {
                let at = chrono::Utc::now() + chrono::Duration::seconds(120);
                let date = at.format("%a, %d %b %Y %H:%M:%S GMT").to_string();
                (StatusCode::SERVICE_UNAVAILABLE, [("retry-after", date)])
            }),
        )
        .route(
            "/moved",
            post(|| async { (StatusCode::FOUND, [("location", "/ok")]) }),
        )
        .route(
            "/hang",
            post(|| async {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                StatusCode::OK
            }),
        )
        .with_state((WebhookSecret::parse(key).unwrap(), received.clone()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (base, received)
}

async fn ok(
    State((key, received)): State<(WebhookSecret, Received)>,
    headers: HeaderMap,
    body: Bytes,
) -> impl IntoResponse {
    match checked(&key, &headers, &body) {
        Ok(id) => {
            received.0.lock().unwrap().push((id, body.to_vec()));
            StatusCode::NO_CONTENT
        }
        Err(code) => code,
    }
}

fn loopback_client() -> WebhookClient {
    let policy = TargetPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
    WebhookClient::new(policy, ClientTimeouts::default()).unwrap()
}

fn secrets(list: &[&str]) -> Vec<WebhookSecret> {
    list.iter()
        .map(|s| WebhookSecret::parse(s).unwrap())
        .collect()
}

const T: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_signed_delivery_arrives_with_its_id_and_body() {
    let (base, received) = receiver(CURRENT).await;
    let body = Bytes::from_static(br#"{"type":"poster.issued"}"#);
    let out = loopback_client()
        .send(
            &format!("{base}/ok"),
            &secrets(&[CURRENT]),
            "d-1",
            body.clone(),
            T,
        )
        .await;
    assert_eq!(out, SendOutcome::Delivered);
    let got = received.0.lock().unwrap().clone();
    assert_eq!(got, vec![("d-1".to_string(), body.to_vec())]);
}

#[tokio::test]
async fn during_rotation_a_partner_with_either_key_accepts() {
    let both = secrets(&[CURRENT, PREVIOUS]);
    for partner_key in [CURRENT, PREVIOUS] {
        let (base, received) = receiver(partner_key).await;
        let out = loopback_client()
            .send(
                &format!("{base}/ok"),
                &both,
                "d-rot",
                Bytes::from_static(b"{}"),
                T,
            )
            .await;
        assert_eq!(out, SendOutcome::Delivered, "partner holding {partner_key}");
        assert_eq!(received.0.lock().unwrap().len(), 1);
    }
}

#[tokio::test]
async fn a_wrong_signature_is_refused_by_the_partner_and_final() {
    let (base, received) = receiver(CURRENT).await;
    let out = loopback_client()
        .send(
            &format!("{base}/ok"),
            &secrets(&[PREVIOUS]),
            "d-2",
            Bytes::from_static(b"{}"),
            T,
        )
        .await;
    assert_eq!(out, SendOutcome::failed("HTTP 401"));
    assert!(received.0.lock().unwrap().is_empty());
}

#[tokio::test]
async fn status_codes_become_outcomes() {
    let (base, received) = receiver(CURRENT).await;
    let client = loopback_client();
    let keys = secrets(&[CURRENT]);
    let send = |path: &str| {
        let (client, keys, url) = (client.clone(), keys.clone(), format!("{base}{path}"));
        async move {
            client
                .send(&url, &keys, "d-3", Bytes::from_static(b"{}"), T)
                .await
        }
    };
    assert_eq!(send("/error").await, SendOutcome::retry(None, "HTTP 500"));
    assert_eq!(send("/gone").await.label(), "disabled");
    assert_eq!(
        send("/busy").await,
        SendOutcome::retry(Some(Duration::from_secs(7)), "HTTP 429")
    );
    match send("/down").await {
        SendOutcome::Retry {
            after: Some(after),
            error,
        } => {
            assert_eq!(error, "HTTP 503");
            assert!((100..=121).contains(&after.as_secs()), "{after:?}");
        }
        other => panic!("503: {other:?}"),
    }
    let moved = send("/moved").await;
    assert_eq!(moved.label(), "failed");
    assert!(moved.error().unwrap().contains("302"));
    assert!(
        received.0.lock().unwrap().is_empty(),
        "the redirect was followed"
    );
}

#[tokio::test]
async fn a_hanging_receiver_is_cut_off_by_the_hard_timeout() {
    let (base, _) = receiver(CURRENT).await;
    let started = Instant::now();
    let out = loopback_client()
        .send(
            &format!("{base}/hang"),
            &secrets(&[CURRENT]),
            "d-4",
            Bytes::from_static(b"{}"),
            Duration::from_millis(300),
        )
        .await;
    assert_eq!(out.label(), "retry");
    assert!(out.error().unwrap().contains("timed out"), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_closed_port_is_retried() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let out = loopback_client()
        .send(
            &format!("http://{addr}/ok"),
            &secrets(&[CURRENT]),
            "d-5",
            Bytes::new(),
            T,
        )
        .await;
    assert_eq!(out.label(), "retry", "{out:?}");
}

#[tokio::test]
async fn a_name_that_does_not_resolve_is_retried_not_failed() {
    let out = loopback_client()
        .send(
            "https://no-such-partner.invalid/hook",
            &secrets(&[CURRENT]),
            "d-7",
            Bytes::new(),
            T,
        )
        .await;
    assert_eq!(out.label(), "retry", "{out:?}");
    assert!(out.error().unwrap().contains("cannot resolve"), "{out:?}");
}

#[tokio::test]
async fn loopback_is_refused_unless_allowed() {
    let (base, received) = receiver(CURRENT).await;
    let strict = WebhookClient::new(TargetPolicy::default(), ClientTimeouts::default()).unwrap();
    let keys = secrets(&[CURRENT]);
    let out = strict
        .send(
            &format!("{base}/ok"),
            &keys,
            "d-6",
            Bytes::from_static(b"{}"),
            T,
        )
        .await;
    assert_eq!(out.label(), "failed");
    assert!(out.error().unwrap().contains("loopback"), "{out:?}");
    // A name that resolves to loopback is refused by the resolver, at connect time.
    let port = base.rsplit(':').next().unwrap();
    let out = strict
        .send(
            &format!("https://localhost:{port}/ok"),
            &keys,
            "d-6",
            Bytes::new(),
            T,
        )
        .await;
    assert_eq!(out.label(), "failed");
    assert!(
        out.error().unwrap().contains("no address we may reach"),
        "{out:?}"
    );
    assert!(received.0.lock().unwrap().is_empty());
    // With 127.0.0.0/8 allowed the same receiver is reached.
    let out = loopback_client()
        .send(
            &format!("{base}/ok"),
            &keys,
            "d-6",
            Bytes::from_static(b"{}"),
            T,
        )
        .await;
    assert_eq!(out, SendOutcome::Delivered);
}
