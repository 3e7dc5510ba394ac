//! The service's state over a fresh database without its server, worker or scheduler: a test
//! drives the distributor and plays the worker itself (claim, send, record), on a clock it moves.

use std::time::Duration;

use chrono::{DateTime, Utc};
use lookout::app;
use lookout::clock::ManualClock;
use lookout::config::{Config, Secret};
use lookout::partners::{Location, Partner};
use lookout::store::outbox::{self, Attempted, Claimed, Verdict};
use lookout::store::{Actor, CaseId, Outcome, Resolution, Store};
use serde_json::json;

use super::{Backend, PgDatabase, fresh_database, receiver::SECRET};

pub struct Fixture {
    pub url: String,
    pub store: Store,
    pub state: lookout::app::AppState,
    pub clock: ManualClock,
    _dir: tempfile::TempDir,
    _pg: Option<PgDatabase>,
}

impl Fixture {
    /// `None` (after saying so) when the backend is not set up.
    pub async fn new(backend: Backend) -> Option<Fixture> {
        let dir = tempfile::tempdir().unwrap();
        let (url, pg) = fresh_database(backend, dir.path()).await?;
        let store = Store::open(&url).await.unwrap();
        let config = Config {
            database_url: url.clone().into(),
            outbox_dir: dir.path().join("outbox"),
            allow_private_targets: vec!["127.0.0.0/8".parse().unwrap()],
            link_key: Some(Secret::new("k".repeat(40))),
            ..Config::default()
        };
        let clock = ManualClock::starting_now();
        let state = app::state_with_clock(store.clone(), &config, clock.shared()).unwrap();
        Some(Fixture {
            url,
            store,
            state,
            clock,
            _dir: dir,
            _pg: pg,
        })
    }

    /// Run SQL on a connection of its own: a row as an older version or an operator left it.
    pub async fn execute(&self, sql: &str) {
        use sqlx::{Connection, Executor};
        let mut conn = sqlx::AnyConnection::connect(&self.url).await.unwrap();
        conn.execute(sqlx::AssertSqlSafe(sql.to_string()))
            .await
            .unwrap();
    }

    pub fn now(&self) -> DateTime<Utc> {
        lookout::clock::Clock::now(&self.clock)
    }

    /// A webhook partner (pointing nowhere: the test plays the worker) with one store at `at`.
    pub async fn register(&self, id: &str, at: (f64, f64)) {
        let partner: Partner = serde_json::from_value(json!({
            "id": id, "name": format!("{id} Stores"), "kind": "retail",
            "delivery": {"webhook": {"url": "http://127.0.0.1:9/hook", "secret": SECRET}},
            "languages": ["en", "es"]
        }))
        .unwrap();
        let actor = Actor::System("test");
        self.store.create_partner(&partner, &actor).await.unwrap();
        self.place(id, at).await;
    }

    /// Move partner `id`'s one store to `at` and rebuild the index.
    pub async fn place(&self, id: &str, at: (f64, f64)) {
        let partner = lookout::partners::PartnerId::parse(id).unwrap();
        let location = Location {
            partner_id: partner.clone(),
            reference: "s1".into(),
            name: format!("{id} store 1"),
            lat: at.0,
            lon: at.1,
            reach_m: None,
            email: None,
            coverage: None,
        };
        self.store
            .replace_locations(&partner, &[location], &Actor::System("test"))
            .await
            .unwrap();
        self.state.targeting.refresh(&self.store).await.unwrap();
    }

    /// A stored case with the test document.
    pub async fn case(&self, number: &str) -> CaseId {
        let photo = super::store_photo(&self.store).await;
        super::store_case(&self.store, &super::case_doc(number, &photo)).await
    }

    /// Resolve `id` as found safe through the distributor, as the API does.
    pub async fn resolve(
        &self,
        id: CaseId,
    ) -> Result<(), lookout::distribution::reissue::ReissueError> {
        let record = self.store.case(id).await.unwrap().unwrap();
        let resolution = Resolution {
            outcome: Outcome::FoundSafe,
            reason: "Found by family".into(),
        };
        let mut case = record.document.clone();
        case.status = resolution.outcome.status();
        self.state
            .distributor
            .resolve_case(
                id,
                record.version,
                &case,
                &resolution,
                &Actor::System("test"),
            )
            .await
            .map(|_| ())
    }

    /// Claim what is due as `owner`.
    pub async fn claim(&self, owner: &str) -> Vec<Claimed> {
        outbox::claim(&self.store, owner, self.now(), Duration::from_secs(60), 500)
            .await
            .unwrap()
    }

    /// Record that `claimed` arrived.
    pub async fn delivered(&self, claimed: Vec<Claimed>) {
        let at = self.now();
        let done: Vec<Attempted> = claimed
            .into_iter()
            .map(|c| Attempted {
                claimed: c,
                verdict: Verdict::Delivered,
                label: "delivered",
                error: None,
                at,
                latency: Duration::from_millis(3),
            })
            .collect();
        outbox::record(&self.store, &done, Duration::from_secs(48 * 3600))
            .await
            .unwrap();
    }

    /// Send everything due until nothing is left; returns what was sent.
    pub async fn deliver_all(&self) -> Vec<Claimed> {
        let mut sent = Vec::new();
        loop {
            let claimed = self.claim("test-worker").await;
            if claimed.is_empty() {
                return sent;
            }
            sent.extend(claimed.iter().cloned());
            self.delivered(claimed).await;
        }
    }
}
