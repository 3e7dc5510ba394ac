//! `lookout serve` as real processes on one database, and a webhook endpoint for many partners:
//! what the crash and several-instance tests are made of.
//!
//! Include beside `mod common;` with `#[path = "support/fleet.rs"] mod fleet;`.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::StreamExt;
use lookout::partners::{Location, Partner};
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, Role, Store};
use serde_json::{Value, json};

use crate::common::receiver::{SECRET, verified};

/// Each answer waits this long, so a fan-out takes seconds and can be interrupted.
pub const ANSWER_DELAY: Duration = Duration::from_millis(10);

/// One poster request as the endpoint saw it.
#[derive(Debug, Clone)]
pub struct Arrival {
    pub partner: usize,
    pub webhook_id: String,
    pub began: Instant,
    pub ended: Instant,
}

/// One endpoint per partner (`/hook/{i}`) on one server; records each verified arrival.
#[derive(Clone)]
pub struct Hooks {
    partners: usize,
    arrivals: Arc<Mutex<Vec<Arrival>>>,
    /// When each partner was told to take the poster down.
    pub withdrawn: Arc<Mutex<BTreeMap<usize, Instant>>>,
    pub refused: Arc<Mutex<Vec<String>>>,
    /// The first poster payload that arrived.
    pub first_payload: Arc<Mutex<Option<Value>>>,
}

impl Hooks {
    pub async fn start(partners: usize) -> (Hooks, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hooks = Hooks {
            partners,
            arrivals: Arc::default(),
            withdrawn: Arc::default(),
            refused: Arc::default(),
            first_payload: Arc::default(),
        };
        let app = Router::new()
            .route("/hook/{i}", post(hook))
            .with_state(hooks.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (hooks, base)
    }

    pub fn arrivals(&self) -> Vec<Arrival> {
        self.arrivals.lock().unwrap().clone()
    }

    /// How many different partners have had the poster.
    pub fn reached(&self) -> usize {
        let mut seen = vec![false; self.partners];
        for a in self.arrivals.lock().unwrap().iter() {
            seen[a.partner] = true;
        }
        seen.iter().filter(|s| **s).count()
    }

    /// Pairs of sends of one delivery (one `webhook-id`) that were at the endpoint at the same
    /// time: two senders holding one delivery at once.
    pub fn overlapping(&self) -> Vec<(Arrival, Arrival)> {
        let mut by_id: BTreeMap<String, Vec<Arrival>> = BTreeMap::new();
        for a in self.arrivals() {
            by_id.entry(a.webhook_id.clone()).or_default().push(a);
        }
        let mut overlaps = Vec::new();
        for sends in by_id.values_mut() {
            sends.sort_by_key(|a| a.began);
            for pair in sends.windows(2) {
                if pair[1].began < pair[0].ended {
                    overlaps.push((pair[0].clone(), pair[1].clone()));
                }
            }
        }
        overlaps
    }
}

async fn hook(
    State(hooks): State<Hooks>,
    Path(i): Path<usize>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let began = Instant::now();
    let verified = verified(&headers, &body);
    let id = verified.clone().unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let event = parsed.as_ref().map_or(Value::Null, |b| b["type"].clone());
    let fine = verified.is_ok()
        && i < hooks.partners
        && parsed
            .as_ref()
            .is_some_and(|b| b["id"].as_str() == Some(id.as_str()))
        && (event == "poster.issued" || event == "poster.withdrawn");
    if !fine {
        hooks
            .refused
            .lock()
            .unwrap()
            .push(format!("/hook/{i} {id}: {verified:?}"));
        return StatusCode::UNAUTHORIZED;
    }
    if event == "poster.withdrawn" {
        hooks
            .withdrawn
            .lock()
            .unwrap()
            .entry(i)
            .or_insert_with(Instant::now);
        return StatusCode::NO_CONTENT;
    }
    if let Some(body) = parsed {
        hooks.first_payload.lock().unwrap().get_or_insert(body);
    }
    tokio::time::sleep(ANSWER_DELAY).await;
    hooks.arrivals.lock().unwrap().push(Arrival {
        partner: i,
        webhook_id: id,
        began,
        ended: Instant::now(),
    });
    StatusCode::NO_CONTENT
}

/// `lookout serve` as a child process; killed (SIGKILL) when dropped, with the end of its log
/// printed if the test is failing.
pub struct Server {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    base: String,
    pub name: &'static str,
}

impl Server {
    /// Start on `database` with the default lease (two minutes) and heartbeat, so only the
    /// heartbeats can make a crash cost seconds rather than minutes.
    pub async fn start(name: &'static str, database: &str, dir: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lookout"))
            .args(["serve", "--database", database, "--listen", "127.0.0.1:0"])
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .env("LOOKOUT_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8")
            .env("LOOKOUT_PUBLIC_URL", "http://127.0.0.1:9")
            .env("LOOKOUT_OUTBOX_DIR", dir.join("outbox"))
            .env("LOOKOUT_DISPATCH_CONCURRENCY", "8")
            .env("LOOKOUT_DISPATCH_SEND_TIMEOUT_SECS", "2")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start lookout serve");
        let log = Arc::new(Mutex::new(Vec::new()));
        let stderr = child.stderr.take().unwrap();
        let lines = log.clone();
        // drained to the end, or the server would block on a full pipe
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                lines.lock().unwrap().push(line);
            }
        });
        let mut server = Server {
            child,
            log,
            base: String::new(),
            name,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let found = server.log.lock().unwrap().iter().find_map(|l| {
                l.strip_prefix("lookout listening on ")
                    .map(|b| b.trim().to_string())
            });
            if let Some(base) = found {
                server.base = base;
                return server;
            }
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!("lookout serve ({name}) exited with {status}");
            }
            assert!(Instant::now() < deadline, "lookout serve did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no shutdown, no recording of the sends in flight.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Lines of its log that contain `needle`.
    pub fn logged(&self, needle: &str) -> usize {
        self.log
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(needle))
            .count()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log.lock().unwrap();
            let tail = &log[log.len().saturating_sub(40)..];
            eprintln!("--- end of {}'s log ---\n{}", self.name, tail.join("\n"));
        }
    }
}

/// Register `partners` webhook partners around Alexandria, VA, a photo and an admin's token
/// straight in the database; returns (photo id, token).
pub async fn prepare(database: &str, hooks: &str, partners: usize) -> (String, String) {
    let store = Store::open(database).await.expect("open the store");
    let actor = Actor::System("test");
    let register = |i: usize| {
        let store = store.clone();
        async move {
            let actor = Actor::System("test");
            let partner: Partner = serde_json::from_value(json!({
                "id": format!("p-{i:04}"), "name": format!("Fleet Partner {i:04}"), "kind": "retail",
                "delivery": {"webhook": {"url": format!("{hooks}/hook/{i}"), "secret": SECRET}},
                "languages": ["en", "es"]
            }))
            .unwrap();
            store.create_partner(&partner, &actor).await.unwrap();
            // spread over a few kilometres
            let location = Location {
                partner_id: partner.id.clone(),
                reference: "s1".into(),
                name: format!("Store {i:04}"),
                lat: 38.78 + (i % 50) as f64 * 0.001,
                lon: -77.08 + (i / 50) as f64 * 0.001,
                reach_m: None,
                email: None,
                coverage: None,
            };
            store
                .replace_locations(&partner.id, &[location], &actor)
                .await
                .unwrap();
        }
    };
    // a few at a time: PostgreSQL takes them in parallel, SQLite one after another
    futures::stream::iter(0..partners)
        .map(register)
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
    let photo = PreparedPhoto {
        jpeg: lookout::app::portrait_jpeg(1),
        width: 600,
        height: 750,
    };
    let photo = store.put_photo(&photo, &actor, None).await.unwrap().id;
    let token = store
        // an admin's: it works cases and reads each instance's /metrics
        .create_token(Role::Admin, None, Some("fleet test"), &actor)
        .await
        .unwrap()
        .secret;
    store.close().await;
    (photo.to_string(), token)
}

/// Create the case and dispatch it through `server`; returns the case id.
pub async fn dispatch(
    client: &reqwest::Client,
    server: &Server,
    token: &str,
    number: &str,
    photo: &str,
    expected: usize,
) -> String {
    let res = client
        .post(server.url("/v1/cases"))
        .bearer_auth(token)
        .json(&crate::common::case_doc(number, photo))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let case: Value = res.json().await.unwrap();
    let id = case["id"].as_str().unwrap().to_string();
    let res = client
        .post(server.url(&format!("/v1/cases/{id}/dispatch")))
        .bearer_auth(token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let planned: Value = res.json().await.unwrap();
    assert_eq!(planned["planned"]["issued"], expected, "{planned}");
    id
}

pub async fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}
