//! The API under load on SQLite, 50 concurrent clients on loopback:
//! creating a case (no photos: the case refers to one stored photo) and fetching an unchanged poster.
//!
//! Run: `cargo bench --bench api`. Prints medians and tails; figures go in BENCHMARKS.md.

use std::time::{Duration, Instant};

use lookout::app;
use lookout::app::poster_key;
use lookout::cases::Lang;
use lookout::config::Config;
use lookout::posters::{Format, PreparedPhoto};
use lookout::store::{Actor, CachedPoster, Role, Store};
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

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("bench.db").display());
        let store = Store::open(&url).await.unwrap();
        let config = Config { database_url: url, ..Config::default() };
        let state = app::state(store.clone(), &config).expect("state");
        let settings = state.settings.clone();
        let listener = app::bind("127.0.0.1:0".parse().unwrap()).await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(app::serve(listener, state, std::future::pending()));

        let actor = Actor::System("bench");
        let token = store.create_token(Role::CaseManager, None, None, &actor).await.unwrap().secret;
        let photo = PreparedPhoto { jpeg: app::portrait_jpeg(1), width: 600, height: 750 };
        let photo = store.put_photo(&photo, &actor, None).await.unwrap().id.to_string();

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

        // A poster of a known case. Until the renderer is merged, a stand-in of a typical poster's
        // size is put in the database cache under the poster's real content key, so this measures
        // the serving path: token, case version, content key, memory cache, response.
        let case: Value = reqwest::Client::new()
            .get(format!("{base}/v1/cases?limit=1"))
            .bearer_auth(&token)
            .send().await.unwrap().json().await.unwrap();
        let id: lookout::store::CaseId = case["cases"][0]["id"].as_str().unwrap().parse().unwrap();
        let version = store.case_version(id, None).await.unwrap().unwrap();
        let key = poster_key(&settings, &version, Lang::En, Format::Letter).unwrap();
        let rendered = lookout::posters::render(
            &lookout::posters::PosterInput {
                case: &version.document,
                photos: &std::collections::HashMap::new(),
                lang: Lang::En,
                issue_date: chrono::Utc::now().date_naive(),
                version: 1,
                organisation: &settings.organisation,
                case_page_url: None,
                sample: false,
            },
            Format::Letter,
        );
        let stand_in = rendered.is_err();
        if stand_in {
            let poster = CachedPoster { content_type: "application/pdf".into(), bytes: vec![b'%'; 120 * 1024] };
            store.cache_poster(&key, &poster).await.unwrap();
        }
        let path = format!("/v1/cases/{id}/posters/letter");
        // One fetch first, so the measured ones find the poster in memory.
        let warm = reqwest::Client::new().get(format!("{base}{path}")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(warm.status(), 200);
        let (n, times) = fetch_posters(&base, &token, &path).await;
        println!(
            "unchanged poster{}: {n} requests in {FETCH_SECONDS} s, {CLIENTS} clients: {:.0} req/s; p50 {:.2} ms, p99 {:.2} ms",
            if stand_in { " (120 KB stand-in: renderer not merged)" } else { "" },
            n as f64 / FETCH_SECONDS as f64,
            ms(percentile(&times, 0.5)),
            ms(percentile(&times, 0.99)),
        );
    });
}
