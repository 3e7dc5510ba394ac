//! Leases and heartbeats at the store, on both databases, with the test playing the workers: a
//! result is written only under the claim that holds the lease (not an earlier claim by the same
//! worker), a dead worker's deliveries are due again at once when it is buried, a worker that beat
//! since it was seen is not buried, and a value shared by every instance is made once.

mod common;

use std::time::Duration;

use common::Backend;
use common::outbox::Fixture;
use lookout::store::outbox::{self, Attempted, Claimed, State, Verdict};
use lookout::store::{Burial, WorkerIdentity};

const ALEXANDRIA: (f64, f64) = (38.8048, -77.0469);
const LEASE: Duration = Duration::from_secs(60);

fn delivered(c: &Claimed, at: chrono::DateTime<chrono::Utc>) -> Attempted {
    Attempted {
        claimed: c.clone(),
        verdict: Verdict::Delivered,
        label: "delivered",
        error: None,
        at,
        latency: Duration::from_millis(3),
    }
}

async fn state_of(f: &Fixture, id: &str) -> State {
    outbox::delivery(&f.store, id).await.unwrap().unwrap().state
}

/// A dispatched case with one webhook recipient; the fixture's clock.
async fn one_delivery(f: &Fixture) {
    f.register("alex-mart", ALEXANDRIA).await;
    let case = f.case("L-1").await;
    f.state
        .distributor
        .dispatch(case, &[], &lookout::store::Actor::System("test"))
        .await
        .unwrap();
}

async fn a_stale_result_of_an_earlier_claim_is_not_written(backend: Backend) {
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    one_delivery(&f).await;
    let now = f.now();
    let first = outbox::claim(&f.store, "worker-a/1", now, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(first.len(), 1);
    // the lease runs out while the first send hangs; the same worker claims the delivery again
    let later = now + chrono::Duration::seconds(61);
    assert_eq!(outbox::reclaim_expired(&f.store, later).await.unwrap(), 1);
    let second = outbox::claim(&f.store, "worker-a/2", later, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(second.len(), 1);
    assert_eq!(second[0].id, first[0].id);
    // the first attempt's late answer belongs to a lease no longer held: not written
    let stale = Attempted {
        verdict: Verdict::RetryAt(later + chrono::Duration::hours(1)),
        label: "retry",
        error: Some("timed out".into()),
        ..delivered(&first[0], later)
    };
    outbox::record(&f.store, &[stale], Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(state_of(&f, &first[0].id).await, State::Sending);
    outbox::record(
        &f.store,
        &[delivered(&second[0], later)],
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    assert_eq!(state_of(&f, &first[0].id).await, State::Delivered);
}
both!(a_stale_result_of_an_earlier_claim_is_not_written);

fn worker(id: &str) -> WorkerIdentity {
    WorkerIdentity {
        id: id.into(),
        machine: "test-machine".into(),
        pid: 1,
        proc_started: "1".into(),
    }
}

async fn a_buried_worker_gives_back_its_deliveries_at_once(backend: Backend) {
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    one_delivery(&f).await;
    let now = f.now();
    let wall = chrono::Utc::now();
    for id in ["worker-dead", "worker-alive"] {
        f.store.register_worker(&worker(id), wall).await.unwrap();
    }
    let claimed = outbox::claim(&f.store, "worker-dead/1", now, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    // worker-alive beats after it was seen at beat 0: seen dead, but not buried
    assert!(f.store.beat("worker-alive", wall).await.unwrap());
    let buried = f
        .store
        .bury_workers(
            &[
                Burial {
                    id: "worker-dead".into(),
                    beat: 0,
                },
                Burial {
                    id: "worker-alive".into(),
                    beat: 0,
                },
            ],
            now,
        )
        .await
        .unwrap();
    assert_eq!((buried.workers, buried.deliveries), (1, 1));
    let rows = f.store.workers().await.unwrap();
    let ids: Vec<&str> = rows.iter().map(|r| r.identity.id.as_str()).collect();
    assert_eq!(ids, ["worker-alive"]);
    assert_eq!(rows[0].beat, 1);
    // a buried worker finds its row gone when it next beats
    assert!(!f.store.beat("worker-dead", wall).await.unwrap());
    // due again now, not after the lease
    let again = outbox::claim(&f.store, "worker-alive/1", now, LEASE, 10)
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].id, claimed[0].id);
    // the dead worker's late result is not written over the new claim
    outbox::record(
        &f.store,
        &[delivered(&claimed[0], now)],
        Duration::from_secs(3600),
    )
    .await
    .unwrap();
    assert_eq!(state_of(&f, &claimed[0].id).await, State::Sending);
}
both!(a_buried_worker_gives_back_its_deliveries_at_once);

async fn a_shared_value_is_made_once(backend: Backend) {
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    let other = lookout::store::Store::open(&f.url).await.unwrap();
    let now = chrono::Utc::now();
    let (a, b) = tokio::join!(
        f.store.shared_setting("link_key", || "from-a".into(), now),
        other.shared_setting("link_key", || "from-b".into(), now),
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a, b);
    assert!(a == "from-a" || a == "from-b");
    let again = other
        .shared_setting("link_key", || "later".into(), now)
        .await
        .unwrap();
    assert_eq!(again, a);
}
both!(a_shared_value_is_made_once);
