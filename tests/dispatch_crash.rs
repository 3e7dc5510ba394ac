//! The outbox survives crashes: `lookout serve` is killed with SIGKILL three times in the middle of
//! a fan-out to 2,000 webhook partners, each time started again on the same database. Every
//! partner gets the poster, none is lost, and a partner that gets it twice gets it with the same
//! `webhook-id` both times. With the default two-minute lease, the restarted process takes back
//! its dead predecessor's deliveries at once (its heartbeat row names a process that is gone), so
//! after the last restart everything left arrives within 15 s. A case resolved right after a
//! restart is taken down at every partner that got it.

mod common;
#[path = "support/fleet.rs"]
mod fleet;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::Backend;
use fleet::{Hooks, Server, dispatch, prepare, wait_until};
use serde_json::{Value, json};

const PARTNERS: usize = 2_000;
/// Kill the server each time this many more partners have the poster.
const KILL_EVERY: usize = 400;
const KILLS: usize = 3;
/// After the last restart, everything left must arrive within this.
const RESUME_WITHIN: Duration = Duration::from_secs(15);

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
    let (hooks, hooks_base) = Hooks::start(PARTNERS).await;
    let (photo, token) = prepare(database, &hooks_base, PARTNERS).await;
    println!("{PARTNERS} partners registered in {:?}", started.elapsed());
    let client = reqwest::Client::new();

    let mut server = Server::start("first", database, dir).await;
    let id = dispatch(&client, &server, &token, "C-2000", &photo, PARTNERS).await;
    let fan_out = Instant::now();
    for kill in 1..=KILLS {
        let at = kill * KILL_EVERY;
        wait_until("the next deliveries", 60, || hooks.reached() >= at).await;
        server.kill();
        let at_kill = hooks.reached();
        println!(
            "kill {kill} after {:?} with {at_kill} of {PARTNERS} partners reached",
            fan_out.elapsed()
        );
        assert!(
            at_kill < PARTNERS,
            "the fan-out finished before the kill: the test proves nothing"
        );
        drop(server);
        server = Server::start("restarted", database, dir).await;
    }
    Crashed {
        hooks,
        server,
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
    wait_until(
        "every partner reached after the last restart",
        RESUME_WITHIN.as_secs(),
        || hooks.reached() == PARTNERS,
    )
    .await;
    println!(
        "all reached {:?} after the last restart",
        restarted.elapsed()
    );
    assert!(
        server.logged("workers stopped beating") >= 1,
        "the restart took back its predecessor's deliveries by its heartbeat, not its lease"
    );

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
    for a in &arrivals {
        ids.entry(a.partner).or_default().push(&a.webhook_id);
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
        let mut seen: Vec<usize> = c.hooks.arrivals().iter().map(|a| a.partner).collect();
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
