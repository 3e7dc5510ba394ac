//! The outbox end to end, on the real service pieces: a case dispatched to many partners, claimed,
//! signed, sent over loopback and recorded.
//!
//! - webhook fan-out: 10,000 deliveries (1,000 partners × 10 stores, per-store delivery) to one
//!   receiver that verifies every signature; SQLite, and PostgreSQL when `DATABASE_URL` is set;
//! - email: 1,000 per-store emails (real poster PDF attached, square PNG inline) to a local SMTP
//!   server over pooled connections;
//! - first delivery: `POST /v1/cases` then `POST /v1/cases/{id}/dispatch` over HTTP until the first
//!   partner has the poster;
//! - reissue planning: a case with 5,000 targeted stores across 300 partners, updated.
//!
//! Run: `cargo bench --bench outbox`; `cargo bench --bench outbox -- fan-out` runs only the fan-outs,
//! three rounds back to back: SQLite, PostgreSQL with one instance, PostgreSQL with two (two stores,
//! each with its own worker, as two `lookout serve` processes would have).
//! `cargo bench --bench outbox -- fan-out postgres` runs PostgreSQL with one instance only (to profile).
//! `BENCH_CONCURRENCY=N` sets `dispatch_concurrency` (default 64, as `lookout serve`'s).

#[path = "../tests/support/smtp.rs"]
mod smtp;
mod support;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use lookout::app;
use lookout::config::Secret;
use lookout::partners::{Delivery, Location, Partner, PartnerId, PartnerKind, Webhook};
use lookout::posters::{Format, PreparedPhoto};
use lookout::store::{Role, Store};
use serde_json::json;

use support::{ACTOR, SECRET, config, fresh_postgres, running, sample_case, wait_until};

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let only_fan_out = std::env::args().any(|a| a == "fan-out");
    // `fan-out postgres`: one PostgreSQL instance only, for a profiler
    let only_postgres = std::env::args().any(|a| a == "postgres");
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        let rounds = if only_fan_out { 3 } else { 1 };
        for round in 0..rounds {
            let sqlite = format!(
                "sqlite://{}",
                dir.path().join(format!("fanout-{round}.db")).display()
            );
            if !only_postgres {
                fan_out("SQLite", &sqlite, 1).await;
            }
            match support::postgres_server() {
                Some(server) => {
                    fan_out("PostgreSQL", &fresh_postgres(&server).await, 1).await;
                    if !only_postgres {
                        fan_out("PostgreSQL", &fresh_postgres(&server).await, 2).await;
                    }
                }
                None => println!("webhook fan-out on PostgreSQL: skipped (DATABASE_URL not set)"),
            }
        }
        if only_fan_out {
            return;
        }
        emails(dir.path()).await;
        first_delivery(dir.path()).await;
        planning(dir.path()).await;
    });
}

/// Counts verified webhook arrivals; notes when the first one came.
#[derive(Clone, Default)]
struct Counter {
    n: Arc<AtomicUsize>,
    first: Arc<std::sync::Mutex<Option<Instant>>>,
}

async fn receive(State(c): State<Counter>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if !support::verified(&headers, &body) {
        return StatusCode::UNAUTHORIZED;
    }
    c.first.lock().unwrap().get_or_insert_with(Instant::now);
    c.n.fetch_add(1, Ordering::Relaxed);
    StatusCode::NO_CONTENT
}

async fn receiver() -> (String, Counter) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let counter = Counter::default();
    let app = Router::new()
        .route("/hook", post(receive))
        .with_state(counter.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (url, counter)
}

fn partner(id: &str, delivery: Delivery, per_location: bool) -> Partner {
    let mut p = Partner::accept_all(PartnerId::parse(id).unwrap(), format!("Bench {id}"));
    p.kind = PartnerKind::Retail;
    p.delivery = delivery;
    p.per_location = per_location;
    p.formats = vec![Format::Letter, Format::Square];
    p
}

/// `n` stores of `id` within about 15 km of Alexandria, VA, each with its own address.
fn stores(id: &str, n: usize, seed: usize) -> Vec<Location> {
    (0..n)
        .map(|i| {
            let k = (seed * 7919 + i * 104_729) % 10_000;
            Location {
                partner_id: PartnerId::parse(id).unwrap(),
                reference: format!("s{i:03}"),
                name: format!("Store {i}"),
                lat: 38.80 + (k % 100) as f64 * 0.0012 - 0.06,
                lon: -77.05 + (k / 100) as f64 * 0.0012 - 0.06,
                reach_m: None,
                email: Some(format!("store{i}@{id}.example")),
                coverage: None,
            }
        })
        .collect()
}

async fn register(store: &Store, partners: &[(Partner, Vec<Location>)]) {
    for (p, locs) in partners {
        store.create_partner(p, &ACTOR).await.unwrap();
        store.replace_locations(&p.id, locs, &ACTOR).await.unwrap();
    }
}

/// 10,000 webhook deliveries through `instances` workers, each over its own store (connection pool).
async fn fan_out(backend: &str, url: &str, instances: usize) {
    const PARTNERS: usize = 1_000;
    const STORES: usize = 10;
    let store = Store::open(url).await.unwrap();
    let (hook, counter) = receiver().await;
    let partners: Vec<_> = (0..PARTNERS)
        .map(|i| {
            let id = format!("hook-{i:04}");
            let delivery = Delivery::Webhook(Webhook {
                url: hook.clone(),
                secret: Secret::new(SECRET),
                previous_secret: None,
                previous_secret_expires: None,
            });
            (partner(&id, delivery, true), stores(&id, STORES, i))
        })
        .collect();
    register(&store, &partners).await;
    let case = sample_case(&store, "B-FAN-1").await;
    let (state, stop) = running(&store, &config(url)).await;
    let mut others = Vec::new();
    for _ in 1..instances {
        let own = Store::open(url).await.unwrap();
        others.push(running(&own, &config(url)).await);
    }
    let started = Instant::now();
    let (_, planned) = state
        .distributor
        .dispatch(case, &[], &ACTOR)
        .await
        .unwrap()
        .unwrap();
    let queued = started.elapsed();
    let total = PARTNERS * STORES;
    assert_eq!(planned.queued, total);
    wait_until("fan-out", Duration::from_secs(120), || {
        counter.n.load(Ordering::Relaxed) >= total
    })
    .await;
    let secs = started.elapsed().as_secs_f64();
    let sending = secs - queued.as_secs_f64();
    println!(
        "webhook fan-out on {backend}, {instances} instance(s): {total} deliveries planned and \
         queued in {:.0} ms, all received in {secs:.2} s = {:.0} deliveries/s (target ≥ 5,000); \
         {:.0}/s after the enqueue",
        queued.as_secs_f64() * 1e3,
        total as f64 / secs,
        total as f64 / sending,
    );
    stop.notify_one();
    for (_, stop) in &others {
        stop.notify_one();
    }
    store.close().await;
}

async fn emails(dir: &std::path::Path) {
    const PARTNERS: usize = 100;
    const STORES: usize = 10;
    let server = smtp::SmtpServer::start(32);
    let url = format!("sqlite://{}", dir.join("email.db").display());
    let store = Store::open(&url).await.unwrap();
    let partners: Vec<_> = (0..PARTNERS)
        .map(|i| {
            let id = format!("mail-{i:03}");
            let delivery = Delivery::Email(vec![format!("posters@{id}.example")]);
            (partner(&id, delivery, true), stores(&id, STORES, i))
        })
        .collect();
    register(&store, &partners).await;
    let case = sample_case(&store, "B-MAIL-1").await;
    let mut config = config(&url);
    config.smtp_url = Some(Secret::new(server.url()));
    config.mail_from = "Lookout <posters@lookout.example.org>".into();
    let (state, stop) = running(&store, &config).await;
    let started = Instant::now();
    state.distributor.dispatch(case, &[], &ACTOR).await.unwrap();
    let total = PARTNERS * STORES;
    wait_until("emails", Duration::from_secs(120), || {
        server.count() >= total
    })
    .await;
    let secs = started.elapsed().as_secs_f64();
    println!(
        "email: {total} per-store emails (poster PDF + inline PNG, {} KB each) accepted by a local \
         SMTP server in {secs:.2} s = {:.0} emails/s over {} SMTP sessions (target ≥ 300/s)",
        server.inbox()[0].data.len() / 1024,
        total as f64 / secs,
        server.sessions()
    );
    stop.notify_one();
}

async fn first_delivery(dir: &std::path::Path) {
    const RUNS: usize = 7;
    let url = format!("sqlite://{}", dir.join("first.db").display());
    let store = Store::open(&url).await.unwrap();
    let (hook, counter) = receiver().await;
    let partners: Vec<_> = (0..300)
        .map(|i| {
            let id = format!("near-{i:03}");
            let delivery = Delivery::Webhook(Webhook {
                url: hook.clone(),
                secret: Secret::new(SECRET),
                previous_secret: None,
                previous_secret_expires: None,
            });
            (partner(&id, delivery, false), stores(&id, 1, i))
        })
        .collect();
    register(&store, &partners).await;
    let token = store
        .create_token(Role::CaseManager, None, None, &ACTOR)
        .await
        .unwrap()
        .secret;
    let photo = PreparedPhoto {
        jpeg: app::portrait_jpeg(4),
        width: 600,
        height: 750,
    };
    let photo_id = store.put_photo(&photo, &ACTOR, None).await.unwrap().id;
    let listener = lookout::server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let state = app::state(store.clone(), &config(&url)).unwrap();
    tokio::spawn(lookout::server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let client = reqwest::Client::new();
    // the first request waits for the index to load
    while client.get(format!("{base}/readyz")).send().await.is_err() {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let mut times = Vec::new();
    for run in 0..RUNS {
        *counter.first.lock().unwrap() = None;
        let doc = json!({
            "case_number": format!("B-FIRST-{run}"), "case_type": "endangered_missing",
            "missing_since": "2026-11-20T18:30:00-05:00",
            "missing_from": {"city": "Alexandria", "region": "VA", "country": "US", "lat": 38.8048, "lon": -77.0469},
            "children": [{"name": "Bench Child", "date_of_birth": "2015-03-02", "sex": "female",
                          "photos": [{"photo_id": photo_id.to_string()}]}],
            "contact": {"agency": "Bench Police", "phone": "1-555-555-0100"}
        });
        let started = Instant::now();
        let res = client
            .post(format!("{base}/v1/cases"))
            .bearer_auth(&token)
            .json(&doc)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201);
        let id = res.json::<serde_json::Value>().await.unwrap()["id"]
            .as_str()
            .unwrap()
            .to_string();
        let res = client
            .post(format!("{base}/v1/cases/{id}/dispatch"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 202);
        wait_until("first delivery", Duration::from_secs(10), || {
            counter.first.lock().unwrap().is_some()
        })
        .await;
        let first = counter.first.lock().unwrap().unwrap();
        times.push(first.duration_since(started));
        // let the rest of this fan-out finish before the next run
        let want = 300 * (run + 1);
        wait_until("rest", Duration::from_secs(30), || {
            counter.n.load(Ordering::Relaxed) >= want
        })
        .await;
    }
    times.sort();
    println!(
        "case created → first partner delivery (HTTP create + dispatch, 300 partners): median {:.1} ms, \
         max {:.1} ms over {RUNS} cases (target ≤ 500 ms)",
        times[RUNS / 2].as_secs_f64() * 1e3,
        times[RUNS - 1].as_secs_f64() * 1e3
    );
}

async fn planning(dir: &std::path::Path) {
    const PARTNERS: usize = 300;
    const LOCATIONS: usize = 5_000;
    let url = format!("sqlite://{}", dir.join("plan.db").display());
    let store = Store::open(&url).await.unwrap();
    let partners: Vec<_> = (0..PARTNERS)
        .map(|i| {
            let id = format!("plan-{i:03}");
            let n = LOCATIONS / PARTNERS + usize::from(i < LOCATIONS % PARTNERS);
            (partner(&id, Delivery::Pull(true), true), stores(&id, n, i))
        })
        .collect();
    register(&store, &partners).await;
    let case = sample_case(&store, "B-PLAN-1").await;
    // no worker: pull deliveries wait for their partner, so the standings stay as planned
    let state = app::state(store.clone(), &config(&url)).unwrap();
    state.targeting.refresh(&store).await.unwrap();
    let started = Instant::now();
    let (_, planned) = state
        .distributor
        .dispatch(case, &[], &ACTOR)
        .await
        .unwrap()
        .unwrap();
    let first = started.elapsed();
    assert_eq!(planned.queued, LOCATIONS);
    let mut times = Vec::new();
    for round in 0..5 {
        let record = store.case(case).await.unwrap().unwrap();
        let mut doc = record.document.clone();
        doc.circumstances = Some(format!("Update {round}"));
        let started = Instant::now();
        state
            .distributor
            .update_case(
                case,
                record.version,
                &doc,
                &["circumstances".into()],
                &ACTOR,
            )
            .await
            .unwrap();
        times.push(started.elapsed());
    }
    times.sort();
    let mut dry = Vec::new();
    for _ in 0..5 {
        let started = Instant::now();
        let planned = state
            .distributor
            .dry_run(case, chrono::Utc::now())
            .await
            .unwrap()
            .unwrap();
        dry.push(started.elapsed());
        assert_eq!(planned.queued, LOCATIONS);
    }
    dry.sort();
    println!(
        "reissue planning, {LOCATIONS} stores across {PARTNERS} partners (region, selection, standings \
         read from the database, plan; nothing written): median {:.1} ms (target ≤ 100 ms)",
        dry[2].as_secs_f64() * 1e3
    );
    println!(
        "reissue planning, {LOCATIONS} stores across {PARTNERS} partners: first dispatch {:.1} ms; \
         update (new version + region + selection + standings + plan + {LOCATIONS} supersessions and \
         deliveries, one transaction) median {:.1} ms",
        first.as_secs_f64() * 1e3,
        times[2].as_secs_f64() * 1e3
    );
    // the planner alone, on the same numbers
    let standings: std::collections::BTreeMap<_, _> = (0..LOCATIONS)
        .map(|i| {
            (
                lookout::distribution::Recipient {
                    partner: PartnerId::parse(&format!("plan-{:03}", i % PARTNERS)).unwrap(),
                    location: Some(format!("s{i:04}")),
                },
                lookout::distribution::Standing {
                    holds: Some(1),
                    ever_sent: true,
                    ..Default::default()
                },
            )
        })
        .collect();
    let wanted = standings.keys().cloned().collect();
    let started = Instant::now();
    let plan = lookout::distribution::plan(
        &standings,
        &wanted,
        2,
        lookout::distribution::CaseState::Active,
    );
    println!(
        "planner alone: {} steps for {LOCATIONS} recipients in {:.2} ms",
        plan.steps.len(),
        started.elapsed().as_secs_f64() * 1e3
    );
}
