//! What the service benchmarks share: a fresh PostgreSQL database, the configuration, an invented
//! case, the service's state with its worker running, and waiting for a condition.
#![allow(dead_code)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use lookout::app;
use lookout::cases::parse_case;
use lookout::config::{Config, Secret};
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, Created, Store};
use serde_json::json;
use tokio::sync::Notify;

pub const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
pub const ACTOR: Actor = Actor::System("bench");

/// A new database on the PostgreSQL server at `server`; its URL.
pub async fn fresh_postgres(server: &str) -> String {
    use sqlx::{Connection, Executor};
    let name = format!("lookout_bench_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(server).await.unwrap();
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .unwrap();
    let mut url = url::Url::parse(server).unwrap();
    url.set_path(&format!("/{name}"));
    url.to_string()
}

/// `DATABASE_URL` when it names a PostgreSQL server.
pub fn postgres_server() -> Option<String> {
    std::env::var("DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"))
}

pub fn config(database_url: &str) -> Config {
    Config {
        database_url: database_url.into(),
        allow_private_targets: vec!["127.0.0.0/8".parse().unwrap()],
        link_key: Some(Secret::new("b".repeat(40))),
        public_url: Some("https://lookout.example.org".into()),
        dispatch_concurrency: std::env::var("BENCH_CONCURRENCY")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(64),
        ..Config::default()
    }
}

/// An invented endangered child last seen in Alexandria, VA, with a drawn portrait.
pub async fn sample_case(store: &Store, number: &str) -> lookout::store::CaseId {
    let photo = PreparedPhoto {
        jpeg: app::portrait_jpeg(3),
        width: 600,
        height: 750,
    };
    let photo_id = store.put_photo(&photo, &ACTOR, None).await.unwrap().id;
    let doc = json!({
        "case_number": number, "case_type": "endangered_missing",
        "missing_since": "2026-11-20T18:30:00-05:00",
        "missing_from": {"city": "Alexandria", "region": "VA", "country": "US", "lat": 38.8048, "lon": -77.0469},
        "children": [{"name": "Bench Child", "date_of_birth": "2015-03-02", "sex": "female",
                      "photos": [{"photo_id": photo_id.to_string()}]}],
        "contact": {"agency": "Bench Police", "phone": "1-555-555-0100"}
    });
    let case = parse_case(doc.to_string().as_bytes(), chrono::Utc::now().date_naive()).unwrap();
    match store.create_case(&case, true, &ACTOR, None).await.unwrap() {
        Created::New(r) | Created::Replayed(r) => r.id,
    }
}

/// The state over `store`, its index loaded, its worker running.
pub async fn running(store: &Store, config: &Config) -> (lookout::app::AppState, Arc<Notify>) {
    let state = app::state(store.clone(), config).unwrap();
    state.targeting.refresh(store).await.unwrap();
    let stop = Arc::new(Notify::new());
    tokio::spawn(Arc::new(state.worker()).run(stop.clone()));
    (state, stop)
}

/// Do the Standard Webhooks headers verify with [`SECRET`], as a partner checks them?
pub fn verified(headers: &axum::http::HeaderMap, body: &[u8]) -> bool {
    let h = |n: &str| headers.get(n).and_then(|v| v.to_str().ok()).unwrap_or("");
    let key = lookout::dispatch::webhook::WebhookSecret::parse(SECRET).unwrap();
    lookout::dispatch::webhook::verify(
        &key,
        h("webhook-id"),
        h("webhook-timestamp"),
        h("webhook-signature"),
        body,
        chrono::Utc::now().timestamp(),
        300,
    )
    .is_ok()
}

pub async fn wait_until(what: &str, limit: Duration, done: impl Fn() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "{what}: not done within {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// The service over a fresh SQLite file in `dir` (configured by [`config`]), seeded by `seed`, on a
/// runtime of its own with two worker threads (as `lookout serve` here); its base URL once it
/// listens. Pages are then asked for from another runtime, as a browser would.
pub fn serve_seeded<F, Fut>(dir: &std::path::Path, seed: F) -> String
where
    F: FnOnce(app::AppState, Store) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()>,
{
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let (ready, started) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let store = Store::open(&url).await.unwrap();
            let state = app::state(store.clone(), &config(&url)).expect("state");
            seed(state.clone(), store).await;
            let listener = lookout::server::bind("127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            ready
                .send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            lookout::server::serve(listener, state, std::future::pending())
                .await
                .unwrap();
        });
    });
    started.recv().unwrap()
}

/// A client signed in to the console at `base` through its form; it keeps the session cookie and
/// does not follow redirects.
pub async fn signed_in(base: &str, email: &str, password: &str) -> reqwest::Client {
    let c = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let page = c
        .get(format!("{base}/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let at = page.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page[at..at + page[at..].find('"').unwrap()];
    let res = c
        .post(format!("{base}/sign-in"))
        .form(&[("csrf", csrf), ("email", email), ("password", password)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303, "signed in as {email}");
    c
}

/// Each page of `pages` asked for `rounds` times in turn by `c`: a table of p50, p99 and max per
/// page; returns the worst p99.
pub async fn time_pages(
    c: &reqwest::Client,
    base: &str,
    pages: &[String],
    rounds: usize,
) -> Duration {
    let percentile =
        |sorted: &[Duration], p: f64| sorted[((sorted.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!("page | p50 ms | p99 ms | max ms | bytes");
    let mut worst = Duration::ZERO;
    for path in pages {
        let url = format!("{base}{path}");
        let mut times = Vec::with_capacity(rounds);
        let mut bytes = 0;
        for _ in 0..rounds {
            let start = Instant::now();
            let res = c.get(&url).send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            bytes = res.bytes().await.unwrap().len();
            times.push(start.elapsed());
        }
        times.sort();
        let p99 = percentile(&times, 0.99);
        worst = worst.max(p99);
        println!(
            "{path} | {:.2} | {:.2} | {:.2} | {bytes}",
            ms(percentile(&times, 0.5)),
            ms(p99),
            ms(*times.last().unwrap())
        );
    }
    worst
}
