//! Dispatch channel throughput on loopback: signed webhook sends and pooled SMTP sends.
//! Run with `cargo bench --bench dispatch`; prints the median of several runs.

#[path = "../tests/support/smtp.rs"]
mod smtp;

use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::StreamExt;
use lookout::cases::{Lang, parse_case};
use lookout::dispatch::SendOutcome;
use lookout::dispatch::email::{
    Audience, Composer, EmailInput, LocationLine, Mailer, PdfAttachment, PoolSettings,
};
use lookout::dispatch::payload::{CaseSummary, EventType, WebhookPayload};
use lookout::dispatch::ssrf::{ClientTimeouts, TargetPolicy};
use lookout::dispatch::webhook::{WebhookClient, WebhookSecret, verify};

const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const RUNS: usize = 5;
const WEBHOOKS: usize = 10_000;
const WEBHOOK_CONCURRENCY: usize = 64;
const EMAILS: usize = 1_000;
const SMTP_CONNECTIONS: u32 = 8;

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let summary = summary();
        webhooks(&summary).await;
        emails(&summary).await;
    });
}

fn summary() -> CaseSummary {
    let json = include_bytes!("../tests/fixtures/case-example.json");
    let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 20).unwrap();
    let case = parse_case(json, today).unwrap();
    CaseSummary::from_case(&case, today, "1-800-THE-LOST (1-800-843-5678)")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

/// A partner's receiver: verifies every signature, answers 204.
async fn receive(State(key): State<WebhookSecret>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let now = chrono::Utc::now().timestamp();
    let ok = verify(
        &key,
        h("webhook-id"),
        h("webhook-timestamp"),
        h("webhook-signature"),
        &body,
        now,
        300,
    );
    if ok.is_ok() {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::UNAUTHORIZED
    }
}

async fn webhooks(summary: &CaseSummary) {
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(WebhookSecret::parse(SECRET).unwrap());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let policy = TargetPolicy::new(vec!["127.0.0.0/8".parse().unwrap()]);
    let client = WebhookClient::new(policy, ClientTimeouts::default()).unwrap();
    let secrets = vec![WebhookSecret::parse(SECRET).unwrap()];
    let mut rates = Vec::new();
    for run in 0..RUNS {
        let started = Instant::now();
        let delivered = futures::stream::iter(0..WEBHOOKS)
            .map(|i| {
                let id = format!("bench-{run}-{i}");
                let body = Bytes::from(payload(summary, &id).to_json());
                let (client, secrets, url) = (&client, &secrets, &url);
                async move {
                    client
                        .send(url, secrets, &id, body, Duration::from_secs(10))
                        .await
                }
            })
            .buffer_unordered(WEBHOOK_CONCURRENCY)
            .filter(|o| std::future::ready(*o == SendOutcome::Delivered))
            .count()
            .await;
        let secs = started.elapsed().as_secs_f64();
        assert_eq!(delivered, WEBHOOKS, "every webhook must be delivered");
        rates.push(WEBHOOKS as f64 / secs);
        println!(
            "webhook run {run}: {WEBHOOKS} in {secs:.3} s = {:.0}/s",
            WEBHOOKS as f64 / secs
        );
    }
    println!(
        "webhook: median {:.0} sends/s ({WEBHOOKS} signed sends, {WEBHOOK_CONCURRENCY} in flight, body {} bytes)",
        median(rates),
        payload(summary, "bench-0-0").to_json().len()
    );
}

fn payload(summary: &CaseSummary, id: &str) -> WebhookPayload {
    WebhookPayload {
        event: EventType::Issued,
        id: id.to_string(),
        timestamp: chrono::Utc::now(),
        case: summary.clone(),
        version: 1,
        locations: vec!["0412".into(), "0413".into()],
        posters: vec![],
        pdf_base64: None,
        reason: None,
    }
}

async fn emails(summary: &CaseSummary) {
    // mailin serves one session per thread; spare threads keep a session the client has just
    // dropped from holding up the next connection.
    let server = smtp::SmtpServer::start(4 * SMTP_CONNECTIONS);
    let pool = PoolSettings {
        max_connections: SMTP_CONNECTIONS,
        ..PoolSettings::default()
    };
    let mailer = Mailer::from_config(Some(&server.url()), "unused".as_ref(), pool).unwrap();
    let composer = Composer::new("Lookout <posters@lookout.example>", None).unwrap();
    // Sizes like a real poster e-mail: a 60 KB square PNG inline and a 150 KB PDF attached.
    let png = pseudo_random_bytes(60 * 1024, 1);
    let pdf = pseudo_random_bytes(150 * 1024, 2);
    let locations = vec![LocationLine {
        reference: "0412".into(),
        name: "Northwind #412".into(),
    }];
    let mut rates = Vec::new();
    for run in 0..RUNS {
        let started = Instant::now();
        let delivered = futures::stream::iter(0..EMAILS)
            .map(|i| {
                let id = format!("bench-{run}-{i}");
                let input = EmailInput {
                    delivery_id: &id,
                    event: EventType::Issued,
                    lang: Lang::En,
                    case: summary,
                    version: 1,
                    partner_name: "Northwind Retail",
                    audience: Audience::Partner {
                        locations: &locations,
                    },
                    reason: None,
                    posters: &[],
                    square_png: Some(&png),
                    pdf: Some(PdfAttachment {
                        filename: "poster.pdf",
                        bytes: &pdf,
                    }),
                    organisation: "NCMEC",
                };
                let message = composer
                    .compose(&input, &["alerts@northwind.example".into()])
                    .unwrap();
                let mailer = &mailer;
                async move { mailer.send(&message, &id, Duration::from_secs(30)).await }
            })
            .buffer_unordered(SMTP_CONNECTIONS as usize)
            .collect::<Vec<SendOutcome>>()
            .await;
        let secs = started.elapsed().as_secs_f64();
        let failures: Vec<_> = delivered.iter().filter(|o| !o.is_delivered()).collect();
        assert!(
            failures.is_empty(),
            "{} of {EMAILS} not delivered, e.g. {:?}",
            failures.len(),
            failures[0]
        );
        rates.push(EMAILS as f64 / secs);
        println!(
            "email run {run}: {EMAILS} in {secs:.3} s = {:.0}/s",
            EMAILS as f64 / secs
        );
    }
    println!(
        "email: median {:.0} emails/s ({EMAILS} composed + sent, {SMTP_CONNECTIONS} pooled connections, {} KB each, {} SMTP sessions for {} messages)",
        median(rates),
        server.inbox()[0].data.len() / 1024,
        server.sessions(),
        server.count()
    );
}

/// Incompressible filler standing in for image and PDF bytes (xorshift, fixed seed).
fn pseudo_random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}
