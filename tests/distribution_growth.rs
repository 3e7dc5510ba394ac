//! Growth with time against the real outbox: a region that grows reaches newcomers and nobody
//! twice, and a store that leaves the region and comes back gets the poster again.

mod common;

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use common::outbox::Fixture;
use common::{Backend, case_doc};
use lookout::store::outbox::{self, Kind, State};
use lookout::store::{Actor, CaseId, Store};
use serde_json::json;

const ALEXANDRIA: (f64, f64) = (38.8101, -77.0647);
const CHICAGO: (f64, f64) = (41.8781, -87.6298);

/// `km` north of Alexandria.
fn north_of_alexandria(km: f64) -> (f64, f64) {
    (38.8048 + km / 111.19, -77.0469)
}

/// Everything queued at `now` is sent and arrives; how many were sent.
async fn deliver_all(f: &Fixture, now: DateTime<Utc>) -> usize {
    f.clock.set(now);
    f.deliver_all().await.len()
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
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    let (store, state) = (&f.store, &f.state);
    // an endangered missing child of unknown travel: 40 km at first, 3 km more every hour
    f.register("near-mart", north_of_alexandria(10.0)).await;
    f.register("mid-mart", north_of_alexandria(75.0)).await;
    f.register("outer-mart", north_of_alexandria(160.0)).await;
    f.register("chi-mart", CHICAGO).await;

    let photo = common::store_photo(store).await;
    let mut doc = case_doc("G-100", &photo);
    let start = f.now();
    doc["missing_since"] = json!((start - chrono::Duration::hours(1)).to_rfc3339());
    let id = common::store_case(store, &doc).await;

    let actor = Actor::System("test");
    let (_, planned) = state
        .distributor
        .dispatch(id, &[], &actor)
        .await
        .unwrap()
        .expect("the case exists");
    assert_eq!((planned.queued, planned.issued), (1, 1), "{planned:?}");
    assert_eq!(
        per_partner(store, id).await,
        BTreeMap::from([("near-mart".into(), vec![(Kind::Issued, State::Pending)])])
    );
    assert_eq!(deliver_all(&f, start).await, 1);

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
    assert_eq!(deliver_all(&f, later).await, 1);
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
    assert_eq!(deliver_all(&f, much_later).await, 1);
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
        per_partner(store, id).await,
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
    let Some(f) = Fixture::new(backend).await else {
        return;
    };
    let (store, state) = (&f.store, &f.state);
    f.register("move-mart", ALEXANDRIA).await;
    let id = f.case("M-100").await;
    let actor = Actor::System("test");
    state.distributor.dispatch(id, &[], &actor).await.unwrap();
    assert_eq!(f.deliver_all().await.len(), 1);

    f.place("move-mart", CHICAGO).await;
    let planned = state
        .distributor
        .retarget(id, f.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(planned.withdrawn, 1, "{planned:?}");
    assert_eq!(f.deliver_all().await.len(), 1);

    f.place("move-mart", ALEXANDRIA).await;
    let planned = state
        .distributor
        .retarget(id, f.now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(planned.issued, 1, "{planned:?}");
    // what was planned is in the outbox, and goes out
    assert_eq!(
        per_partner(store, id).await["move-mart"],
        [
            (Kind::Issued, State::Delivered),
            (Kind::Withdrawn, State::Delivered),
            (Kind::Issued, State::Pending),
        ]
    );
    assert_eq!(f.deliver_all().await.len(), 1);
}
both!(a_partner_that_moves_away_and_back_gets_the_poster_again);
