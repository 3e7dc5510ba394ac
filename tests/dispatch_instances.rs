//! Several `lookout serve` processes on one PostgreSQL database, as an operator runs them behind a
//! load balancer: they share a fan-out without ever holding one delivery at once, one that is
//! killed leaves nothing undone for long, poster links and partner changes work across them,
//! revoked tokens stop everywhere, and the scheduler retargets a case once, not once per instance.
//!
//! PostgreSQL only (SQLite serves one machine); under CI, a missing `DATABASE_URL` is a failure.

mod common;
#[path = "support/fleet.rs"]
mod fleet;

use std::time::{Duration, Instant};

use common::Backend;
use fleet::{Hooks, Server, dispatch, prepare, wait_until};
use lookout::store::{Actor, Role, Store};
use serde_json::{Value, json};

const PARTNERS: usize = 2_000;
/// After one of two instances is killed, the other finishes within this.
const FINISH_WITHIN: Duration = Duration::from_secs(15);

/// One fan-out of 2,000 at a time: two on two cores would time each other out.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

struct Two {
    a: Server,
    b: Server,
    hooks: Hooks,
    client: reqwest::Client,
    token: String,
    photo: String,
    database: String,
    _pg: Option<common::PgDatabase>,
    _dir: tempfile::TempDir,
}

async fn two_instances() -> Option<Two> {
    let dir = tempfile::tempdir().unwrap();
    let (database, pg) = common::fresh_database(Backend::Postgres, dir.path()).await?;
    let (hooks, hooks_base) = Hooks::start(PARTNERS).await;
    let (photo, token) = prepare(&database, &hooks_base, PARTNERS).await;
    let a = Server::start("instance a", &database, dir.path()).await;
    let b = Server::start("instance b", &database, dir.path()).await;
    Some(Two {
        a,
        b,
        hooks,
        client: reqwest::Client::new(),
        token,
        photo,
        database,
        _pg: pg,
        _dir: dir,
    })
}

/// Webhook sends this instance counted as delivered (`/metrics`).
async fn delivered_by(client: &reqwest::Client, server: &Server, token: &str) -> u64 {
    let text = client
        .get(server.url("/metrics"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .filter(|l| {
            l.starts_with("lookout_send_outcomes_total{channel=\"webhook\",outcome=\"delivered\"}")
        })
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_a_fan_out_and_never_send_one_delivery_at_once() {
    let Some(t) = two_instances().await else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    let started = Instant::now();
    dispatch(&t.client, &t.a, &t.token, "C-2001", &t.photo, PARTNERS).await;
    wait_until("every partner reached", 120, || {
        t.hooks.reached() == PARTNERS
    })
    .await;
    println!(
        "{PARTNERS} partners reached by two instances in {:?}",
        started.elapsed()
    );
    let overlaps = t.hooks.overlapping();
    assert!(
        overlaps.is_empty(),
        "{} deliveries were sent by two senders at once, e.g. {:?}",
        overlaps.len(),
        overlaps.first()
    );
    let (by_a, by_b) = (
        delivered_by(&t.client, &t.a, &t.token).await,
        delivered_by(&t.client, &t.b, &t.token).await,
    );
    println!("instance a delivered {by_a}, instance b {by_b}");
    assert!(by_a > 0 && by_b > 0, "both instances took a share");
    assert!(t.hooks.refused.lock().unwrap().is_empty());

    // a poster link signed by whichever instance sent it opens on both: the key is shared
    let payload = t.hooks.first_payload.lock().unwrap().clone().unwrap();
    let link = links_in(&payload)
        .into_iter()
        .find(|l| l.contains("/p/"))
        .unwrap_or_else(|| panic!("no poster link in {payload}"));
    for server in [&t.a, &t.b] {
        let url = link.replace("http://127.0.0.1:9", &server.url(""));
        let res = t.client.get(&url).send().await.unwrap();
        assert_eq!(res.status(), 200, "{} refused a link: {url}", server.name);
    }
}

fn links_in(v: &Value) -> Vec<String> {
    match v {
        Value::String(s) if s.starts_with("http") => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(links_in).collect(),
        Value::Object(o) => o.values().flat_map(links_in).collect(),
        _ => Vec::new(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_of_two_killed_mid_fan_out_the_other_finishes_within_15_s() {
    let Some(mut t) = two_instances().await else {
        return;
    };
    let _turn = ONE_AT_A_TIME.lock().await;
    dispatch(&t.client, &t.a, &t.token, "C-2002", &t.photo, PARTNERS).await;
    wait_until("the first deliveries", 60, || t.hooks.reached() >= 400).await;
    t.a.kill();
    let killed = Instant::now();
    let at_kill = t.hooks.reached();
    assert!(
        at_kill < PARTNERS,
        "finished before the kill: proves nothing"
    );
    wait_until(
        "every partner reached after the kill",
        FINISH_WITHIN.as_secs(),
        || t.hooks.reached() == PARTNERS,
    )
    .await;
    println!(
        "{at_kill} reached at the kill; the rest {:?} after it",
        killed.elapsed()
    );
    assert!(
        t.b.logged("workers stopped beating") >= 1,
        "instance b buried instance a"
    );
    assert!(t.hooks.refused.lock().unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn partner_changes_and_revoked_tokens_reach_the_other_instance() {
    let Some(t) = two_instances().await else {
        return;
    };
    let store = Store::connect(&t.database).await.unwrap();
    let actor = Actor::System("test");
    let admin = store
        .create_token(Role::Admin, None, Some("instances"), &actor)
        .await
        .unwrap()
        .secret;
    // a case looked at through b; a partner added through a
    let res = t
        .client
        .post(t.b.url("/v1/cases"))
        .bearer_auth(&t.token)
        .json(&common::case_doc("C-2003", &t.photo))
        .send()
        .await
        .unwrap();
    let case: Value = common::json_of(res, 201).await;
    let preview = t.b.url(&format!(
        "/v1/cases/{}/targeting?at=2026-11-01T23:30:00Z",
        case["id"].as_str().unwrap()
    ));
    let partner = json!({
        "id": "late-mart", "name": "Late Mart", "kind": "retail",
        "delivery": {"pull": true}, "languages": ["en"]
    });
    let res = t
        .client
        .post(t.a.url("/v1/partners"))
        .bearer_auth(&admin)
        .json(&partner)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let res = t
        .client
        .put(t.a.url("/v1/partners/late-mart/locations"))
        .bearer_auth(&admin)
        .json(&json!([{"ref": "s1", "name": "Late Mart 1", "lat": 38.8049, "lon": -77.0470}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let changed = Instant::now();
    // b polls its index every 10 s; only the notification brings the change sooner
    loop {
        let body = t
            .client
            .get(&preview)
            .bearer_auth(&t.token)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if body.contains("late-mart") {
            break;
        }
        assert!(
            changed.elapsed() < Duration::from_secs(5),
            "instance b did not see the new partner: it waited for its 10 s check"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    println!(
        "partner change seen by the other instance after {:?}",
        changed.elapsed()
    );

    // a token used on b (so b has it cached), revoked on a, stops working on b within 5 s
    let doomed = store
        .create_token(Role::CaseManager, None, Some("doomed"), &actor)
        .await
        .unwrap();
    let cases = t.b.url("/v1/cases");
    let status = |token: String| {
        let (client, url) = (t.client.clone(), cases.clone());
        async move {
            client
                .get(&url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(status(doomed.secret.clone()).await, 200);
    let res = t
        .client
        .delete(t.a.url(&format!("/v1/tokens/{}", doomed.id)))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success(), "{}", res.status());
    let revoked = Instant::now();
    while status(doomed.secret.clone()).await != 401 {
        assert!(
            revoked.elapsed() < Duration::from_secs(5),
            "a revoked token still works on the other instance"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    println!(
        "revocation effective on the other instance after {:?}",
        revoked.elapsed()
    );
    store.close().await;
}

/// Two schedulers over one database, as two instances run them: a due case is retargeted by one
/// of them, once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_due_case_is_retargeted_once_across_instances() {
    let dir = tempfile::tempdir().unwrap();
    let Some((database, _pg)) = common::fresh_database(Backend::Postgres, dir.path()).await else {
        return;
    };
    let (_hooks, hooks_base) = Hooks::start(20).await;
    let (photo, _token) = prepare(&database, &hooks_base, 20).await;
    let config = lookout::config::Config {
        database_url: database.clone().into(),
        outbox_dir: dir.path().join("outbox"),
        ..Default::default()
    };
    let a = lookout::app::state(Store::open(&database).await.unwrap(), &config).unwrap();
    let b = lookout::app::state(Store::open(&database).await.unwrap(), &config).unwrap();
    a.targeting.refresh(&a.store).await.unwrap();
    b.targeting.refresh(&b.store).await.unwrap();
    let mut ids = Vec::new();
    for n in 0..5 {
        let id = common::store_case(&a.store, &common::case_doc(&format!("R-{n}"), &photo)).await;
        a.distributor
            .dispatch(id, &[], &Actor::System("test"))
            .await
            .unwrap();
        ids.push(id);
    }
    let later = chrono::Utc::now() + chrono::Duration::days(1);
    let (x, y) = tokio::join!(
        a.distributor.retarget_due(later),
        b.distributor.retarget_due(later)
    );
    x.unwrap();
    y.unwrap();
    let made = a.distributor.retargets() + b.distributor.retargets();
    assert_eq!(
        made,
        ids.len() as u64,
        "each due case retargeted once, not once per instance"
    );
    // and nothing is due again until an interval has passed
    b.distributor.retarget_due(later).await.unwrap();
    assert_eq!(b.distributor.retargets() + a.distributor.retargets(), made);
}
