//! `spawn_app(backend)`: the real service on 127.0.0.1 port 0 over a fresh database (a SQLite file in
//! a temporary directory, or a new PostgreSQL database when `DATABASE_URL` is set), with one token
//! of each role and a registered partner.
#![allow(dead_code)]

pub mod contract;
pub mod outbox;
pub mod receiver;
pub mod xml;

use std::net::SocketAddr;

use lookout::app;
use lookout::config::Config;
use lookout::partners::{Partner, PartnerId};
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, Role, Store};
use serde_json::{Value, json};
use sqlx::{Connection, Executor};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Run an async test body once per backend: `both!(name);` for `async fn name(backend: Backend)`.
#[macro_export]
macro_rules! both {
    ($name:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::common::Backend::Sqlite).await
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::common::Backend::Postgres).await
            }
        }
    };
}

pub struct TestApp {
    pub addr: SocketAddr,
    pub base: String,
    pub store: Store,
    pub client: reqwest::Client,
    pub admin: String,
    pub manager: String,
    pub partner: String,
    pub partner_id: PartnerId,
    pub database_url: String,
    /// Where emails are written when no SMTP server is configured.
    pub outbox: std::path::PathBuf,
    /// The public page visits the running app has counted and not yet written.
    pub visits: std::sync::Arc<lookout::app::visits::Visits>,
    _dir: tempfile::TempDir,
    postgres: Option<PgDatabase>,
}

/// A throwaway PostgreSQL database, dropped with the app.
pub struct PgDatabase {
    server_url: String,
    name: String,
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (url, name) = (self.server_url.clone(), self.name.clone());
        // Drop runs outside async: a small runtime of its own on its own thread.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .ok()?;
            rt.block_on(async {
                let mut conn = sqlx::PgConnection::connect(&url).await.ok()?;
                let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
                conn.execute(sqlx::AssertSqlSafe(sql)).await.ok()
            })
        })
        .join();
    }
}

async fn fresh_postgres(server_url: &str) -> (String, PgDatabase) {
    let name = format!("lookout_test_{}", uuid::Uuid::new_v4().simple());
    let mut conn = sqlx::PgConnection::connect(server_url)
        .await
        .expect("DATABASE_URL is set but PostgreSQL cannot be reached");
    conn.execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("create test database");
    let mut url = url::Url::parse(server_url).expect("DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    (
        url.to_string(),
        PgDatabase {
            server_url: server_url.to_string(),
            name,
        },
    )
}

/// Moves a manual clock forward by `step` every `every` of real time until dropped: retries, quiet
/// periods and leases come due at that pace instead of the test sleeping through them.
pub struct Ticker(tokio::task::JoinHandle<()>);

impl Drop for Ticker {
    fn drop(&mut self) {
        self.0.abort();
    }
}

pub fn tick(
    clock: &lookout::clock::ManualClock,
    step: std::time::Duration,
    every: std::time::Duration,
) -> Ticker {
    let clock = clock.clone();
    Ticker(tokio::spawn(async move {
        loop {
            tokio::time::sleep(every).await;
            clock.advance(step);
        }
    }))
}

/// The service on a clock that runs 40 times faster than the real one, so a quiet period of a
/// second or a first retry 5 s away comes due in tens of milliseconds; `tune` may change the
/// configuration, and leases default to 10 minutes (of that clock): still longer than any send.
pub async fn spawn_app_ticking(
    backend: Backend,
    tune: impl FnOnce(&mut Config),
) -> Option<(TestApp, Ticker)> {
    let clock = lookout::clock::ManualClock::starting_now();
    let app = spawn_app_on(backend, clock.shared(), |c| {
        c.dispatch_lease_secs = 600;
        tune(c);
    })
    .await?;
    let ticker = tick(
        &clock,
        std::time::Duration::from_secs(1),
        std::time::Duration::from_millis(25),
    );
    Some((app, ticker))
}

/// The database URL for a fresh test database, or `None` (with a note) when PostgreSQL is not set up.
pub async fn fresh_database(
    backend: Backend,
    dir: &std::path::Path,
) -> Option<(String, Option<PgDatabase>)> {
    match backend {
        Backend::Sqlite => Some((
            format!("sqlite://{}", dir.join("lookout.db").display()),
            None,
        )),
        Backend::Postgres => {
            let Some(server) = std::env::var("DATABASE_URL")
                .ok()
                .filter(|u| u.starts_with("postgres"))
            else {
                // CI starts PostgreSQL: a green CI must mean these tests ran
                assert!(
                    std::env::var_os("CI").is_none(),
                    "CI is set but DATABASE_URL is not: the PostgreSQL tests cannot run"
                );
                println!("skipped: DATABASE_URL not set");
                return None;
            };
            let (url, db) = fresh_postgres(&server).await;
            Some((url, Some(db)))
        }
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// As [`spawn_app`], with the configuration changed by `tune` first. Emails go to `.eml` files in
/// the app's own directory (`TestApp::outbox`) and webhooks may reach 127.0.0.1.
pub async fn spawn_app_with(backend: Backend, tune: impl FnOnce(&mut Config)) -> Option<TestApp> {
    spawn_app_on(backend, lookout::clock::system(), tune).await
}

/// As [`spawn_app_with`], with the distributor, worker and scheduler on `clock`: a test moves it
/// to make retries, leases and quiet periods come due instead of sleeping.
pub async fn spawn_app_on(
    backend: Backend,
    clock: lookout::clock::SharedClock,
    tune: impl FnOnce(&mut Config),
) -> Option<TestApp> {
    let dir = tempfile::tempdir().expect("temp dir");
    let (database_url, pg) = fresh_database(backend, dir.path()).await?;
    let store = Store::open(&database_url).await.expect("open the store");
    let mut config = Config {
        database_url: database_url.clone().into(),
        outbox_dir: dir.path().join("outbox"),
        allow_private_targets: vec!["127.0.0.0/8".parse().unwrap()],
        link_key: Some(lookout::config::Secret::new("k".repeat(40))),
        ..Config::default()
    };
    let listener = lookout::server::bind("127.0.0.1:0".parse().unwrap())
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    config.public_url = Some(format!("http://{addr}"));
    tune(&mut config);
    let outbox = config.outbox_dir.clone();
    let state = app::state_with_clock(store.clone(), &config, clock).expect("state");
    let visits = state.visits.clone();
    // The test partner exists before the service starts, so the targeting index the service builds
    // as it starts holds it: made afterwards, it raced that first build, and the portal could
    // answer 404 for its own partner until the next rebuild.
    let actor = Actor::System("test");
    let partner: Partner = serde_json::from_value(json!({
        "id": "test-partner", "name": "Test Partner", "kind": "retail", "delivery": {"pull": true}
    }))
    .unwrap();
    store.create_partner(&partner, &actor).await.unwrap();
    tokio::spawn(lookout::server::serve(
        listener,
        state,
        std::future::pending(),
    ));
    let token = |role| {
        let store = store.clone();
        let partner = partner.id.clone();
        async move {
            let p = (role == Role::Partner).then_some(&partner);
            store
                .create_token(role, p, None, &Actor::System("test"))
                .await
                .unwrap()
                .secret
        }
    };
    Some(TestApp {
        addr,
        base: format!("http://{addr}"),
        admin: token(Role::Admin).await,
        manager: token(Role::CaseManager).await,
        partner: token(Role::Partner).await,
        partner_id: partner.id.clone(),
        store,
        client: reqwest::Client::new(),
        database_url,
        outbox,
        visits,
        _dir: dir,
        postgres: pg,
    })
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub fn get(&self, path: &str, token: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).bearer_auth(token)
    }

    pub fn post_json(&self, path: &str, token: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
    }

    pub fn patch_json(&self, path: &str, token: &str, body: &Value) -> reqwest::RequestBuilder {
        self.client
            .patch(self.url(path))
            .bearer_auth(token)
            .header("content-type", "application/merge-patch+json")
            .body(body.to_string())
    }

    /// POST a JSON body and wait for the response.
    pub async fn post(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.post_json(path, token, body).send().await.unwrap()
    }

    /// PATCH a merge-patch body and wait for the response.
    pub async fn patch(&self, path: &str, token: &str, body: &Value) -> reqwest::Response {
        self.patch_json(path, token, body).send().await.unwrap()
    }

    /// Replace a partner's locations through the admin API.
    pub async fn put_locations(&self, partner: &str, locations: Value) {
        let res = self
            .client
            .put(self.url(&format!("/v1/partners/{partner}/locations")))
            .bearer_auth(&self.admin)
            .json(&locations)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    }

    /// `POST /v1/cases/{id}/dispatch` with no body; the planned summary.
    pub async fn dispatch(&self, id: &str) -> Value {
        let res = self
            .client
            .post(self.url(&format!("/v1/cases/{id}/dispatch")))
            .bearer_auth(&self.manager)
            .send()
            .await
            .unwrap();
        json_of(res, 202).await
    }

    /// Resolve a case as found safe; the response's status.
    pub async fn resolve(&self, id: &str) -> reqwest::Response {
        self.post(
            &format!("/v1/cases/{id}/resolve"),
            &self.manager,
            &json!({"outcome": "found_safe", "reason": "Found by family"}),
        )
        .await
    }

    /// Register a webhook partner with one store at `at` (lat, lon), signing with the test secret.
    pub async fn webhook_partner(&self, id: &str, url: &str, at: (f64, f64)) {
        let body = json!({
            "id": id, "name": format!("{id} Stores"), "kind": "retail",
            "delivery": {"webhook": {"url": url, "secret": receiver::SECRET}},
            "languages": ["en"], "formats": ["letter"]
        });
        let res = self.post("/v1/partners", &self.admin, &body).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        self.put_locations(
            id,
            json!([{"ref": "s1", "name": format!("{id} store 1"), "lat": at.0, "lon": at.1}]),
        )
        .await;
    }

    /// A partner that fetches its posters (pull), one poster per location, in English and Spanish,
    /// letter and square, with `stores` (reference, name) near Alexandria, VA.
    pub async fn pull_partner(&self, id: &str, stores: &[(&str, &str)]) {
        let body = json!({
            "id": id, "name": format!("{id} stores"), "kind": "retail", "delivery": {"pull": true},
            "per_location": true, "languages": ["en", "es"], "formats": ["letter", "square"]
        });
        let res = self.post("/v1/partners", &self.admin, &body).await;
        assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
        let locations: Vec<_> = stores
            .iter()
            .enumerate()
            .map(|(i, (r, name))| {
                json!({"ref": r, "name": name, "lat": 38.80 + 0.01 * i as f64, "lon": -77.05})
            })
            .collect();
        self.put_locations(id, json!(locations)).await;
    }

    /// A console user of partner `partner`'s portal.
    pub async fn partner_user(&self, email: &str, partner: &str, password: &str) {
        let hash = lookout::accounts::hash_password(password).unwrap();
        self.store
            .create_partner_user(
                email,
                "Pat Partner",
                &PartnerId::parse(partner).unwrap(),
                &hash,
                &Actor::System("test"),
                chrono::Utc::now(),
            )
            .await
            .unwrap();
    }

    /// GET `path` with `token`: the status and the body as text (XML, feeds, pages).
    pub async fn text(&self, path: &str, token: &str) -> (u16, String) {
        let res = self.get(path, token).send().await.unwrap();
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// The service's `/metrics` text.
    pub async fn metrics(&self) -> String {
        let res = self
            .client
            .get(self.url("/metrics"))
            .bearer_auth(&self.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        res.text().await.unwrap()
    }

    /// The case's distribution view.
    pub async fn distributions(&self, id: &str) -> Value {
        let res = self
            .get(&format!("/v1/cases/{id}/distributions"), &self.manager)
            .send()
            .await
            .unwrap();
        json_of(res, 200).await
    }

    /// Store a drawn portrait straight through the store (the normaliser is tested by its own room)
    /// and return its photo id.
    pub async fn photo(&self, seed: u32) -> String {
        let photo = PreparedPhoto {
            jpeg: app::portrait_jpeg(seed),
            width: 600,
            height: 750,
        };
        self.store
            .put_photo(&photo, &Actor::System("test"), None)
            .await
            .unwrap()
            .id
            .to_string()
    }

    /// Create a case through the API; returns its JSON.
    pub async fn create_case(&self, number: &str) -> Value {
        let photo = self.photo(1).await;
        let res = self
            .post_json("/v1/cases", &self.manager, &case_doc(number, &photo))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 201, "create {number}");
        res.json().await.unwrap()
    }
}

/// A small valid case document with one invented child.
pub fn case_doc(number: &str, photo_id: &str) -> Value {
    json!({
        "case_number": number,
        "case_type": "endangered_missing",
        "missing_since": "2026-11-01T18:30:00-05:00",
        "missing_from": {"city": "Alexandria", "region": "VA", "country": "US", "lat": 38.8048, "lon": -77.0469},
        "circumstances": "Invented case for a test.",
        "children": [{
            "name": "Test Child",
            "date_of_birth": "2015-03-02",
            "sex": "female",
            "hair": "Brown",
            "photos": [{"photo_id": photo_id}]
        }],
        "contact": {"agency": "Test Police Department", "phone": "1-555-555-0100"},
        "languages": ["en", "es"]
    })
}

/// The JSON body of a response, after checking its status.
pub async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code, status, "{body}");
    body
}

/// The `{code, message, field}` of an error response, after checking its status.
/// Every error is an RFC 9457 problem that also keeps the members of the older error shape.
pub async fn error_of(res: reqwest::Response, status: u16) -> (String, Option<String>) {
    assert_eq!(res.status().as_u16(), status, "status");
    let path = res.url().path().to_string();
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("application/problem+json"),
        "errors are problem documents"
    );
    let body: Value = res.json().await.expect("errors are JSON");
    assert!(body["message"].is_string(), "message in {body}");
    assert_eq!(body["detail"], body["message"], "{body}");
    assert_eq!(body["status"], status, "{body}");
    assert!(body["title"].is_string(), "title in {body}");
    assert_eq!(
        body["type"].as_str(),
        Some(
            format!(
                "urn:lookout:problem:{}",
                body["code"].as_str().unwrap_or("")
            )
            .as_str()
        ),
        "{body}"
    );
    assert_eq!(body["instance"].as_str(), Some(path.as_str()), "{body}");
    (
        body["code"].as_str().expect("code").to_string(),
        body["field"].as_str().map(str::to_string),
    )
}

/// A drawn portrait stored straight through the store; its photo id.
pub async fn store_photo(store: &Store) -> String {
    let photo = PreparedPhoto {
        jpeg: lookout::app::portrait_jpeg(1),
        width: 600,
        height: 750,
    };
    store
        .put_photo(&photo, &Actor::System("test"), None)
        .await
        .unwrap()
        .id
        .to_string()
}

/// A case created straight through the store (no idempotency key); its id.
pub async fn store_case(store: &Store, doc: &Value) -> lookout::store::CaseId {
    let bytes = serde_json::to_vec(doc).unwrap();
    let case =
        lookout::cases::parse_case(&bytes, chrono::Utc::now().date_naive()).expect("a valid case");
    match store
        .create_case(&case, false, &Actor::System("test"), None)
        .await
        .unwrap()
    {
        lookout::store::Created::New(r) => r.id,
        lookout::store::Created::Replayed(_) => unreachable!("no idempotency key"),
    }
}
