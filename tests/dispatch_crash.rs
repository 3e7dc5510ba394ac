//! The outbox survives a crash: `lookout serve` is killed with SIGKILL in the middle of a fan-out to
//! 2,000 webhook partners and started again on the same database. Every partner gets the poster,
//! none is lost, and a partner that gets it twice gets it with the same `webhook-id` both times. A
//! case resolved right after the restart is taken down at every partner that got it.

mod common;

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
use common::receiver::{SECRET, verified};
use common::{Backend, case_doc};
use futures::StreamExt;
use lookout::partners::{Location, Partner};
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, Role, Store};
use serde_json::{Value, json};

const PARTNERS: usize = 2_000;
/// Each answer waits this long, so the fan-out takes seconds and can be interrupted.
const ANSWER_DELAY: Duration = Duration::from_millis(10);
/// Kill the server once this many partners have the poster.
const KILL_AT: usize = 400;

/// One endpoint per partner (`/hook/{i}`) on one server; records each verified arrival.
#[derive(Clone, Default)]
struct Hooks {
    /// (partner index, webhook-id) of each poster, in arrival order.
    arrivals: Arc<Mutex<Vec<(usize, String)>>>,
    /// When each partner was told to take the poster down.
    withdrawn: Arc<Mutex<BTreeMap<usize, Instant>>>,
    refused: Arc<Mutex<Vec<String>>>,
}

impl Hooks {
    async fn start() -> (Hooks, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let hooks = Hooks::default();
        let app = Router::new()
            .route("/hook/{i}", post(hook))
            .with_state(hooks.clone());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (hooks, base)
    }

    fn arrivals(&self) -> Vec<(usize, String)> {
        self.arrivals.lock().unwrap().clone()
    }

    /// How many different partners have had the poster.
    fn reached(&self) -> usize {
        let mut seen = vec![false; PARTNERS];
        for (i, _) in self.arrivals.lock().unwrap().iter() {
            seen[*i] = true;
        }
        seen.iter().filter(|s| **s).count()
    }
}

async fn hook(
    State(hooks): State<Hooks>,
    Path(i): Path<usize>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let verified = verified(&headers, &body);
    let id = verified.clone().unwrap_or_default();
    let parsed: Option<Value> = serde_json::from_slice(&body).ok();
    let event = parsed.as_ref().map_or(Value::Null, |b| b["type"].clone());
    let fine = verified.is_ok()
        && i < PARTNERS
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
    } else {
        hooks.arrivals.lock().unwrap().push((i, id));
    }
    tokio::time::sleep(ANSWER_DELAY).await;
    StatusCode::NO_CONTENT
}

/// `lookout serve` as a child process; killed (SIGKILL) when dropped, with the end of its log
/// printed if the test is failing.
struct Server {
    child: Child,
    log: Arc<Mutex<Vec<String>>>,
    base: String,
}

impl Server {
    async fn start(database: &str, dir: &std::path::Path) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_lookout"))
            .args(["serve", "--database", database, "--listen", "127.0.0.1:0"])
            .env_remove("DATABASE_URL")
            .env("RUST_LOG", "warn")
            .env("LOOKOUT_ALLOW_PRIVATE_TARGETS", "127.0.0.0/8")
            .env("LOOKOUT_PUBLIC_URL", "http://127.0.0.1:9")
            .env("LOOKOUT_LINK_KEY", "crash-test-link-key-".repeat(3))
            .env("LOOKOUT_OUTBOX_DIR", dir.join("outbox"))
            .env("LOOKOUT_DISPATCH_CONCURRENCY", "8")
            .env("LOOKOUT_DISPATCH_LEASE_SECS", "3")
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
                panic!("lookout serve exited with {status}");
            }
            assert!(Instant::now() < deadline, "lookout serve did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// SIGKILL: no shutdown, no recording of the sends in flight.
    fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            let log = self.log.lock().unwrap();
            let tail = &log[log.len().saturating_sub(40)..];
            eprintln!("--- end of the server's log ---\n{}", tail.join("\n"));
        }
    }
}

/// Register the partners, a photo and a case manager's token straight in the database.
async fn prepare(database: &str, hooks: &str) -> (String, String) {
    let store = Store::open(database).await.expect("open the store");
    let actor = Actor::System("test");
    let register = |i: usize| {
        let store = store.clone();
        async move {
            let actor = Actor::System("test");
            let partner: Partner = serde_json::from_value(json!({
            "id": format!("p-{i:04}"), "name": format!("Crash Partner {i:04}"), "kind": "retail",
            "delivery": {"webhook": {"url": format!("{hooks}/hook/{i}"), "secret": SECRET}},
            "languages": ["en", "es"]
        }))
        .unwrap();
            store.create_partner(&partner, &actor).await.unwrap();
            // spread over a few kilometres around Alexandria, VA
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
    futures::stream::iter(0..PARTNERS)
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
        .create_token(Role::CaseManager, None, Some("crash test"), &actor)
        .await
        .unwrap()
        .secret;
    store.close().await;
    (photo.to_string(), token)
}

async fn wait_until(what: &str, secs: u64, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Only one crash test at a time: two fan-outs of 2,000 on two cores would time each other out.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// A fan-out to every partner, the server killed in the middle of it, and started again.
struct Crashed {
    hooks: Hooks,
    server: Server,
    client: reqwest::Client,
    token: String,
    /// The case.
    id: String,
    started: Instant,
}

async fn crash_mid_fan_out(database: &str, dir: &std::path::Path) -> Crashed {
    let started = Instant::now();
    let (hooks, hooks_base) = Hooks::start().await;
    let (photo, token) = prepare(database, &hooks_base).await;
    println!("{PARTNERS} partners registered in {:?}", started.elapsed());
    let client = reqwest::Client::new();

    let mut server = Server::start(database, dir).await;
    let res = client
        .post(server.url("/v1/cases"))
        .bearer_auth(&token)
        .json(&case_doc("C-2000", &photo))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let case: Value = res.json().await.unwrap();
    let id = case["id"].as_str().unwrap().to_string();
    let res = client
        .post(server.url(&format!("/v1/cases/{id}/dispatch")))
        .bearer_auth(&token)
        .json(&json!({}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 202);
    let planned: Value = res.json().await.unwrap();
    assert_eq!(planned["planned"]["issued"], PARTNERS, "{planned}");
    let fan_out = Instant::now();

    wait_until("the first deliveries", 60, || hooks.reached() >= KILL_AT).await;
    server.kill();
    let at_kill = hooks.reached();
    println!(
        "killed after {:?} with {at_kill} of {PARTNERS} partners reached",
        fan_out.elapsed()
    );
    assert!(
        at_kill < PARTNERS,
        "the fan-out finished before the kill: the test proves nothing"
    );
    drop(server);
    Crashed {
        hooks,
        server: Server::start(database, dir).await,
        client,
        token,
        id,
        started,
    }
}

async fn killed_in_the_middle_of_a_fan_out_nothing_is_lost(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((database, _pg)) = common::fresh_database(backend, dir.path()).await else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    let Crashed {
        hooks,
        server,
        client,
        token,
        id,
        started,
    } = crash_mid_fan_out(&database, dir.path()).await;
    let restarted = Instant::now();
    wait_until("every partner reached after the restart", 90, || {
        hooks.reached() == PARTNERS
    })
    .await;
    println!("all reached {:?} after the restart", restarted.elapsed());

    // the outbox agrees: every recipient delivered, once the last results are recorded
    let deadline = Instant::now() + Duration::from_secs(30);
    let view = loop {
        let view: Value = client
            .get(server.url(&format!("/v1/cases/{id}/distributions")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let recipients = view["recipients"].as_array().unwrap();
        let delivered = recipients
            .iter()
            .filter(|r| r["state"] == "delivered")
            .count();
        if recipients.len() == PARTNERS && delivered == PARTNERS {
            break view;
        }
        assert!(
            Instant::now() < deadline,
            "{delivered} of {} recipients delivered",
            recipients.len()
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };

    let arrivals = hooks.arrivals();
    let mut ids: BTreeMap<usize, Vec<&str>> = BTreeMap::new();
    for (i, id) in &arrivals {
        ids.entry(*i).or_default().push(id);
    }
    assert_eq!(ids.len(), PARTNERS, "every partner got the poster");
    let mut duplicates = 0;
    for (i, got) in &ids {
        assert!(
            got.iter().all(|id| id == &got[0]),
            "partner {i} got different webhook-ids: {got:?}"
        );
        duplicates += got.len() - 1;
    }
    let mut distinct: Vec<&str> = ids.values().map(|v| v[0]).collect();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), PARTNERS, "one delivery id per partner");
    // the id each partner got is the delivery the outbox recorded for it
    for r in view["recipients"].as_array().unwrap() {
        let i: usize = r["partner_id"].as_str().unwrap()[2..].parse().unwrap();
        let timeline = r["timeline"].as_array().unwrap();
        assert_eq!(timeline.len(), 1, "{r}");
        assert_eq!(timeline[0]["id"].as_str(), Some(ids[&i][0]), "{r}");
    }
    let refused = hooks.refused.lock().unwrap().clone();
    assert!(
        refused.is_empty(),
        "badly signed or unexpected: {refused:?}"
    );
    println!(
        "{backend:?}: {} arrivals for {PARTNERS} partners, {duplicates} duplicate(s) with the same \
         webhook-id; {:?} in all",
        arrivals.len(),
        started.elapsed()
    );
}

async fn resolved_right_after_the_restart_every_holder_is_told(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((database, _pg)) = common::fresh_database(backend, dir.path()).await else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    let c = crash_mid_fan_out(&database, dir.path()).await;
    let res = c
        .client
        .post(c.server.url(&format!("/v1/cases/{}/resolve", c.id)))
        .bearer_auth(&c.token)
        .json(&json!({"outcome": "found_safe", "reason": "Found by family"}))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let resolved = Instant::now();
    // every partner that got the poster, even in flight at the resolve, is told to take it down
    let holders = || {
        let mut seen: Vec<usize> = c.hooks.arrivals().iter().map(|(i, _)| *i).collect();
        seen.sort_unstable();
        seen.dedup();
        seen
    };
    wait_until("every holder told", 60, || {
        let told = c.hooks.withdrawn.lock().unwrap();
        holders().iter().all(|i| told.contains_key(i))
    })
    .await;
    let last = c.hooks.withdrawn.lock().unwrap().values().max().copied();
    let posters = c.hooks.arrivals().len();
    // no poster starts after the resolve: give the worker time to misbehave, then count again
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(
        c.hooks.arrivals().len(),
        posters,
        "a poster went out after the resolve"
    );
    assert!(c.hooks.refused.lock().unwrap().is_empty());
    println!(
        "{backend:?}: {} holders told; last takedown {:?} after the resolve; {:?} in all",
        holders().len(),
        last.map(|t| t - resolved),
        c.started.elapsed()
    );
}

mod nothing_is_lost {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        killed_in_the_middle_of_a_fan_out_nothing_is_lost(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        killed_in_the_middle_of_a_fan_out_nothing_is_lost(Backend::Postgres).await
    }
}

mod resolved_after_the_restart {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        resolved_right_after_the_restart_every_holder_is_told(Backend::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        resolved_right_after_the_restart_every_holder_is_told(Backend::Postgres).await
    }
}
