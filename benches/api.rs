//! The API under load on SQLite, 50 concurrent clients on loopback:
//! creating a case (no photos: the case refers to one stored photo) and fetching an unchanged poster.
//!
//! Run: `cargo bench --bench api`. Prints medians and tails; figures go in BENCHMARKS.md.
//!
//! The server runs on a runtime of its own (2 worker threads, as `lookout serve` on this machine
//! would) and the clients on another, so a busy client cannot delay the server's tasks or the other
//! way round; both still share the machine's cores. No log subscriber is installed: the figures are
//! of the service without log output.

use std::time::{Duration, Instant};

use lookout::app;
use lookout::config::Config;
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, Role, Store};
use serde_json::{Value, json};

const CLIENTS: usize = 50;
const CREATES_PER_CLIENT: usize = 40;
const FETCH_SECONDS: u64 = 5;

fn case_doc(number: &str, photo_id: &str) -> Value {
    json!({
        "case_number": number,
        "case_type": "endangered_missing",
        "missing_since": "2026-11-01",
        "missing_from": {"city": "Alexandria", "region": "VA", "country": "US", "lat": 38.8, "lon": -77.0},
        "children": [{"name": "Bench Child", "date_of_birth": "2015-03-02", "sex": "female",
                      "photos": [{"photo_id": photo_id}]}],
        "contact": {"agency": "Bench Police", "phone": "1-555-555-0100"}
    })
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

async fn create_cases(base: &str, token: &str, photo: &str) -> Vec<Duration> {
    let client = reqwest::Client::new();
    let mut tasks = Vec::new();
    for c in 0..CLIENTS {
        let (client, base, token, photo) = (
            client.clone(),
            base.to_string(),
            token.to_string(),
            photo.to_string(),
        );
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::with_capacity(CREATES_PER_CLIENT);
            for i in 0..CREATES_PER_CLIENT {
                let body = case_doc(&format!("B-{c:02}-{i:04}"), &photo);
                let start = Instant::now();
                let res = client
                    .post(format!("{base}/v1/cases"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await
                    .unwrap();
                assert_eq!(res.status(), 201);
                res.bytes().await.unwrap();
                times.push(start.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    all
}

async fn fetch_posters(base: &str, token: &str, path: &str) -> (u64, Vec<Duration>) {
    let client = reqwest::Client::new();
    let deadline = Instant::now() + Duration::from_secs(FETCH_SECONDS);
    let mut tasks = Vec::new();
    for _ in 0..CLIENTS {
        let (client, url, token) = (client.clone(), format!("{base}{path}"), token.to_string());
        tasks.push(tokio::spawn(async move {
            let mut times = Vec::new();
            while Instant::now() < deadline {
                let start = Instant::now();
                let res = client.get(&url).bearer_auth(&token).send().await.unwrap();
                assert_eq!(res.status(), 200);
                res.bytes().await.unwrap();
                times.push(start.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all.sort();
    (all.len() as u64, all)
}

/// The service on its own runtime and threads, over a SQLite file in `dir`, with a case manager's
/// token and one stored photo; returns the base URL, the token and the photo's id.
fn start_server(dir: &std::path::Path) -> (String, String, String) {
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
            let config = Config {
                database_url: url.into(),
                ..Config::default()
            };
            let state = app::state(store.clone(), &config).expect("state");
            let listener = lookout::server::bind("127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            let base = format!("http://{}", listener.local_addr().unwrap());
            let actor = Actor::System("bench");
            let token = store
                .create_token(Role::CaseManager, None, None, &actor)
                .await
                .unwrap()
                .secret;
            let photo = PreparedPhoto {
                jpeg: app::portrait_jpeg(1),
                width: 600,
                height: 750,
            };
            let photo = store
                .put_photo(&photo, &actor, None)
                .await
                .unwrap()
                .id
                .to_string();
            ready.send((base, token, photo)).unwrap();
            lookout::server::serve(listener, state, std::future::pending())
                .await
                .unwrap();
        });
    });
    started.recv().unwrap()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (base, token, photo) = start_server(dir.path());
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let start = Instant::now();
        let times = create_cases(&base, &token, &photo).await;
        let wall = start.elapsed();
        println!(
            "create case: {} requests, {CLIENTS} clients: p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {:.0} req/s",
            times.len(),
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.9)),
            ms(percentile(&times, 0.99)),
            ms(*times.last().unwrap()),
            times.len() as f64 / wall.as_secs_f64()
        );

        // The letter poster of one of the cases just made: the first fetch renders it through the
        // API (and caches it), the measured ones fetch it unchanged: token, case version, content
        // key, memory cache, response.
        let client = reqwest::Client::new();
        let case: Value = client
            .get(format!("{base}/v1/cases?limit=1"))
            .bearer_auth(&token)
            .send().await.unwrap().json().await.unwrap();
        let id = case["cases"][0]["id"].as_str().unwrap();
        let path = format!("/v1/cases/{id}/posters/letter");
        let render = Instant::now();
        let first = client.get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(first.status(), 200);
        let pdf = first.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF"), "the poster is a PDF");
        println!(
            "first fetch renders the poster: {:.1} ms, {} KB PDF",
            ms(render.elapsed()),
            pdf.len() / 1024
        );
        let (n, times) = fetch_posters(&base, &token, &path).await;
        println!(
            "unchanged poster: {n} requests in {FETCH_SECONDS} s, {CLIENTS} clients: {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms",
            n as f64 / FETCH_SECONDS as f64,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
        );
    });
}
