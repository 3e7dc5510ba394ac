//! Growth with time against the real outbox: a region that grows reaches newcomers and nobody
//! twice, and a store that leaves the region and comes back gets the poster again.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use common::receiver::SECRET;
use common::{Backend, case_doc};
use lookout::config::{Config, Secret};
use lookout::dispatch::SendOutcome;
use lookout::dispatch::outbox::{self, Finished, Kind, State};
use lookout::partners::{Location, Partner, PartnerId};
use lookout::store::{Actor, CaseId, Store};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde_json::json;

const ALEXANDRIA: (f64, f64) = (38.8101, -77.0647);
const CHICAGO: (f64, f64) = (41.8781, -87.6298);

async fn register(store: &Store, id: &str, at: (f64, f64)) {
    let partner: Partner = serde_json::from_value(json!({
        "id": id, "name": format!("{id} Stores"), "kind": "retail",
        "delivery": {"webhook": {"url": "http://127.0.0.1:9/hook", "secret": SECRET}},
        "languages": ["en", "es"]
    }))
    .unwrap();
    let actor = Actor::System("test");
    store.create_partner(&partner, &actor).await.unwrap();
    let location = Location {
        partner_id: partner.id.clone(),
        reference: "s1".into(),
        name: format!("{id} store 1"),
        lat: at.0,
        lon: at.1,
        reach_m: None,
        email: None,
        coverage: None,
    };
    store
        .replace_locations(&partner.id, &[location], &actor)
        .await
        .unwrap();
}

/// `km` north of Alexandria.
fn north_of_alexandria(km: f64) -> (f64, f64) {
    (38.8048 + km / 111.19, -77.0469)
}

/// Everything queued is sent and arrives.
async fn deliver_all(store: &Store, now: DateTime<Utc>) -> usize {
    let mut rng = ChaCha8Rng::seed_from_u64(7);
    let mut n = 0;
    loop {
        let claimed = outbox::claim(store, "test-worker", now, Duration::from_secs(60), 100)
            .await
            .unwrap();
        if claimed.is_empty() {
            return n;
        }
        n += claimed.len();
        let finished: Vec<Finished> = claimed
            .into_iter()
            .map(|c| Finished {
                claimed: c,
                outcome: SendOutcome::Delivered,
                at: now,
                latency: Duration::from_millis(3),
            })
            .collect();
        outbox::record(store, &finished, Duration::from_secs(48 * 3600), &mut rng)
            .await
            .unwrap();
    }
}

/// Per partner, the (kind, state) of each of its deliveries of the case.
async fn per_partner(store: &Store, case: CaseId) -> BTreeMap<String, Vec<(Kind, State)>> {
    let mut out: BTreeMap<String, Vec<(Kind, State)>> = BTreeMap::new();
    for d in outbox::timeline(store, case).await.unwrap() {
        out.entry(d.partner_id).or_default().push((d.kind, d.state));
    }
    out
}

async fn newcomers_get_it_as_the_region_grows_and_nobody_gets_it_twice(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _pg)) = common::fresh_database(backend, dir.path()).await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    let config = Config {
        database_url: url.clone(),
        outbox_dir: dir.path().join("outbox"),
        allow_private_targets: vec!["127.0.0.0/8".parse().unwrap()],
        link_key: Some(Secret::new("k".repeat(40))),
        ..Config::default()
    };
    let state = lookout::app::state(store.clone(), &config).unwrap();
    // an endangered missing child of unknown travel: 40 km at first, 3 km more every hour
    register(&store, "near-mart", north_of_alexandria(10.0)).await;
    register(&store, "mid-mart", north_of_alexandria(75.0)).await;
    register(&store, "outer-mart", north_of_alexandria(160.0)).await;
    register(&store, "chi-mart", CHICAGO).await;
    state.targeting.refresh(&store).await.unwrap();

    let photo = common::store_photo(&store).await;
    let mut doc = case_doc("G-100", &photo);
    let start = Utc::now();
    doc["missing_since"] = json!((start - chrono::Duration::hours(1)).to_rfc3339());
    let id = common::store_case(&store, &doc).await;

    let actor = Actor::System("test");
    let (_, planned) = state
        .distributor
        .dispatch(id, &[], &actor)
        .await
        .unwrap()
        .expect("the case exists");
    assert_eq!((planned.queued, planned.issued), (1, 1), "{planned:?}");
    assert_eq!(
        per_partner(&store, id).await,
        BTreeMap::from([("near-mart".into(), vec![(Kind::Issued, State::Pending)])])
    );
    assert_eq!(deliver_all(&store, Utc::now()).await, 1);

    // 12 h later (13 h missing): 79 km, the partner at 75 km is inside
    let later = start + chrono::Duration::hours(12);
    let planned = state
        .distributor
        .retarget(id, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((planned.queued, planned.issued), (1, 1), "{planned:?}");
    // looking again at the same moment, before it was sent: nothing more
    let planned = state
        .distributor
        .retarget(id, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(planned.queued, 0, "{planned:?}");
    assert_eq!(deliver_all(&store, later).await, 1);
    // and again after it arrived: nothing more
    let planned = state
        .distributor
        .retarget(id, later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(planned.queued, 0, "{planned:?}");

    // two days later (49 h missing): 187 km, the partner at 160 km is inside; the scheduler's way in
    let much_later = start + chrono::Duration::hours(48);
    assert_eq!(state.distributor.retarget_due(much_later).await.unwrap(), 1);
    assert_eq!(deliver_all(&store, much_later).await, 1);
    // weeks later the region stops at its cap: Chicago never comes in, nobody gets anything again
    let weeks_later = start + chrono::Duration::days(30);
    let planned = state
        .distributor
        .retarget(id, weeks_later)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(planned.queued, 0, "{planned:?}");
    let delivered = vec![(Kind::Issued, State::Delivered)];
    assert_eq!(
        per_partner(&store, id).await,
        BTreeMap::from([
            ("mid-mart".to_string(), delivered.clone()),
            ("near-mart".into(), delivered.clone()),
            ("outer-mart".into(), delivered),
        ])
    );
}
both!(newcomers_get_it_as_the_region_grows_and_nobody_gets_it_twice);

/// A partner whose store moves out of the region is told to take the poster down; when it moves back
/// (the case unchanged) it is issued the same version again.
async fn a_partner_that_moves_away_and_back_gets_the_poster_again(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _pg)) = common::fresh_database(backend, dir.path()).await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    let config = Config {
        database_url: url.clone(),
        outbox_dir: dir.path().join("outbox"),
        allow_private_targets: vec!["127.0.0.0/8".parse().unwrap()],
        link_key: Some(Secret::new("k".repeat(40))),
        ..Config::default()
    };
    let state = lookout::app::state(store.clone(), &config).unwrap();
    register(&store, "move-mart", ALEXANDRIA).await;
    state.targeting.refresh(&store).await.unwrap();
    let photo = common::store_photo(&store).await;
    let id = common::store_case(&store, &case_doc("M-100", &photo)).await;
    let actor = Actor::System("test");
    state.distributor.dispatch(id, &[], &actor).await.unwrap();
    assert_eq!(deliver_all(&store, Utc::now()).await, 1);

    let partner = PartnerId::parse("move-mart").unwrap();
    let move_to = |at: (f64, f64)| {
        let (store, partner) = (store.clone(), partner.clone());
        async move {
            let location = Location {
                partner_id: partner.clone(),
                reference: "s1".into(),
                name: "move-mart store 1".into(),
                lat: at.0,
                lon: at.1,
                reach_m: None,
                email: None,
                coverage: None,
            };
            store
                .replace_locations(&partner, &[location], &Actor::System("test"))
                .await
                .unwrap();
        }
    };
    move_to(CHICAGO).await;
    state.targeting.refresh(&store).await.unwrap();
    let planned = state
        .distributor
        .retarget(id, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(planned.withdrawn, 1, "{planned:?}");
    assert_eq!(deliver_all(&store, Utc::now()).await, 1);

    move_to(ALEXANDRIA).await;
    state.targeting.refresh(&store).await.unwrap();
    let planned = state
        .distributor
        .retarget(id, Utc::now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(planned.issued, 1, "{planned:?}");
    // what was planned is in the outbox, and goes out
    assert_eq!(
        per_partner(&store, id).await["move-mart"],
        [
            (Kind::Issued, State::Delivered),
            (Kind::Withdrawn, State::Delivered),
            (Kind::Issued, State::Pending),
        ]
    );
    assert_eq!(deliver_all(&store, Utc::now()).await, 1);
}
both!(a_partner_that_moves_away_and_back_gets_the_poster_again);
