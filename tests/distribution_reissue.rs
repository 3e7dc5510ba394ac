//! Reissue, end to end and against the real outbox: a case is dispatched, changed, widened, moved and
//! resolved through the running service, and every partner ends up holding the newest poster or
//! none, never seeing a version out of order; a change that changes nothing sends nothing; a region
//! that grows with time reaches newcomers and nobody twice; and a seeded property test drives the
//! planner and the outbox tables through random changes, failures and crashes.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::receiver::{Arrival, Mode, Receiver, SECRET};
use common::{Backend, TestApp, case_doc, spawn_app_with};
use lookout::config::{Config, Secret};
use lookout::dispatch::SendOutcome;
use lookout::dispatch::outbox::{self, Channel, Finished, Kind, NewDelivery, State};
use lookout::distribution::{Action, CaseState, Recipient, Standing, WithdrawReason, plan};
use lookout::partners::{Location, Partner, PartnerId};
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, CaseId, Created, Store};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde_json::{Value, json};
use sqlx::{Connection, Executor};

/// Alexandria, VA (the test case's last-seen place) and places around and far from it.
const ALEXANDRIA: (f64, f64) = (38.8101, -77.0647);
const WASHINGTON: (f64, f64) = (38.9072, -77.0369);
const BALTIMORE: (f64, f64) = (39.2904, -76.6122);
const CHICAGO: (f64, f64) = (41.8781, -87.6298);
const SACRAMENTO: (f64, f64) = (38.5816, -121.4944);

// ---------------------------------------------------------------------------------------------
// helpers over the API

async fn add_webhook_partner(app: &TestApp, id: &str, hook: &Receiver, at: (f64, f64)) {
    let body = json!({
        "id": id, "name": format!("{id} Stores"), "kind": "retail",
        "delivery": {"webhook": {"url": hook.url, "secret": SECRET}},
        "languages": ["en", "es"], "formats": ["letter"]
    });
    let res = app.post("/v1/partners", &app.admin, &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    let locations =
        json!([{"ref": "s1", "name": format!("{id} store 1"), "lat": at.0, "lon": at.1}]);
    let res = app
        .client
        .put(app.url(&format!("/v1/partners/{id}/locations")))
        .bearer_auth(&app.admin)
        .json(&locations)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}

async fn json_of(res: reqwest::Response, status: u16) -> Value {
    let code = res.status().as_u16();
    let body: Value = res.json().await.unwrap();
    assert_eq!(code, status, "{body}");
    body
}

async fn distributions(app: &TestApp, id: &str) -> Value {
    let res = app
        .get(&format!("/v1/cases/{id}/distributions"), &app.manager)
        .send()
        .await
        .unwrap();
    json_of(res, 200).await
}

/// The distribution view's entry for one partner.
fn recipient<'a>(view: &'a Value, partner: &str) -> &'a Value {
    view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["partner_id"] == partner)
        .unwrap_or_else(|| panic!("{partner} is no recipient: {view}"))
}

/// How many deliveries the outbox holds for the case, in any state.
fn deliveries_in(view: &Value) -> usize {
    view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["timeline"].as_array().unwrap().len())
        .sum()
}

async fn patch_case(app: &TestApp, id: &str, patch: Value) -> Value {
    json_of(
        app.patch(&format!("/v1/cases/{id}"), &app.manager, &patch)
            .await,
        200,
    )
    .await
}

/// Wait until every recipient of the case is in one of `states`.
async fn settle(app: &TestApp, id: &str, states: &[&str], secs: u64) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let view = distributions(app, id).await;
        let all = view["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| states.contains(&r["state"].as_str().unwrap()));
        if all {
            return view;
        }
        assert!(Instant::now() < deadline, "not settled: {view}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

async fn tried_more_than(hook: &Receiver, n: usize, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while hook.tried() <= n {
        assert!(Instant::now() < deadline, "no attempt reached the receiver");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

/// One message as a partner understands it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Seen {
    kind: String,
    version: u64,
    reason: Option<String>,
}

/// A message as a test expects it: its type, its version (posters only: a withdrawal's is only
/// checked not to go backwards) and its reason.
type Expect = (&'static str, Option<u64>, Option<&'static str>);

fn summary(seen: &[Seen]) -> Vec<(&str, Option<u64>, Option<&str>)> {
    seen.iter()
        .map(|s| {
            let version = (s.kind != "poster.withdrawn").then_some(s.version);
            (s.kind.as_str(), version, s.reason.as_deref())
        })
        .collect()
}

/// What a partner received, as a partner would keep it: a repeat of a `webhook-id` it already has is
/// ignored. Checks that repeats only ever repeat the message just before, that versions never go
/// backwards, and that nothing follows a final withdrawal.
fn in_order(who: &str, arrivals: &[Arrival]) -> Vec<Seen> {
    let mut ids: Vec<&str> = Vec::new();
    let mut out: Vec<Seen> = Vec::new();
    for a in arrivals {
        if ids.contains(&a.id.as_str()) {
            assert_eq!(
                ids.last(),
                Some(&a.id.as_str()),
                "{who}: a repeat of an older message came after a newer one: {arrivals:?}"
            );
            continue;
        }
        let kind = a.body["type"].as_str().unwrap().to_string();
        let s = Seen {
            kind,
            version: a.body["version"].as_u64().unwrap(),
            reason: a.body["reason"].as_str().map(str::to_string),
        };
        if let Some(last) = out.last() {
            assert!(
                !matches!(last.reason.as_deref(), Some("resolved" | "cancelled")),
                "{who}: {s:?} after the final withdrawal {last:?}"
            );
            assert!(
                s.version >= last.version,
                "{who}: version {} after {}: {out:?}",
                s.version,
                last.version
            );
        }
        ids.push(&a.id);
        out.push(s);
    }
    out
}

// ---------------------------------------------------------------------------------------------
// the scripted life of a case

async fn a_case_follows_its_changes_and_a_partner_that_was_down_catches_up(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| {
        c.reissue_quiet_secs = 1;
        c.dispatch_send_timeout_secs = 2;
        c.dispatch_lease_secs = 5;
    })
    .await
    else {
        return;
    };
    let alex = Receiver::start().await;
    let balt = Receiver::start().await;
    let chi = Receiver::start().await;
    let sac = Receiver::start().await;
    add_webhook_partner(&app, "alex-mart", &alex, ALEXANDRIA).await;
    add_webhook_partner(&app, "balt-mart", &balt, BALTIMORE).await;
    add_webhook_partner(&app, "chi-mart", &chi, CHICAGO).await;
    add_webhook_partner(&app, "sac-mart", &sac, SACRAMENTO).await;

    // 1. dispatch: the two partners near Alexandria get version 1
    let case = app.create_case("R-100").await;
    let id = case["id"].as_str().unwrap().to_string();
    let planned = json_of(
        app.post(
            &format!("/v1/cases/{id}/dispatch"),
            &app.manager,
            &json!({}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(planned["planned"]["issued"], 2, "{planned}");
    alex.wait_for(1, 20).await;
    balt.wait_for(1, 20).await;

    // 2. new circumstances: an update to both holders, after the quiet period
    let v2 = patch_case(&app, &id, json!({"circumstances": "Seen near the river."})).await;
    assert_eq!(v2["version"], 2, "{v2}");
    alex.wait_for(2, 20).await;
    balt.wait_for(2, 20).await;

    // 3. a possible destination far away: Chicago's partner is issued the poster; Baltimore's
    // partner is down and its update waits for its retry
    balt.set(Mode::Status(500));
    let balt_tried = balt.tried();
    let v3 = patch_case(
        &app,
        &id,
        json!({"destinations": [{"city": "Chicago", "region": "IL", "country": "US",
                                 "lat": CHICAGO.0, "lon": CHICAGO.1}]}),
    )
    .await;
    assert_eq!(v3["version"], 3, "{v3}");
    alex.wait_for(3, 20).await;
    chi.wait_for(1, 20).await;
    tried_more_than(&balt, balt_tried, 20).await;

    // 4. the last-seen place moves to Sacramento while Baltimore is still down: Alexandria and
    // Baltimore are outside now, Chicago stays (the destination), Sacramento comes in
    let v4 = patch_case(
        &app,
        &id,
        json!({"missing_from": {"city": "Sacramento", "region": "CA", "country": "US",
                                "lat": 38.5816, "lon": -121.4944}}),
    )
    .await;
    assert_eq!(v4["version"], 4, "{v4}");
    balt.set(Mode::Up);
    alex.wait_for(4, 20).await;
    chi.wait_for(2, 20).await;
    sac.wait_for(1, 20).await;
    // the retry comes about 5 s after the failure, and the withdrawal only after it
    balt.wait_for(4, 30).await;
    let view = settle(&app, &id, &["delivered", "withdrawn"], 20).await;
    for (partner, state, holds) in [
        ("alex-mart", "withdrawn", Value::Null),
        ("balt-mart", "withdrawn", Value::Null),
        ("chi-mart", "delivered", json!(4)),
        ("sac-mart", "delivered", json!(4)),
    ] {
        let r = recipient(&view, partner);
        assert_eq!(r["state"], state, "{partner}: {r}");
        assert_eq!(r["holds"], holds, "{partner}: {r}");
    }

    // 5. a patch that changes nothing makes no version and queues nothing (the plan is written in
    // the same transaction as the change, so there is nothing to wait for)
    let queued_before = deliveries_in(&view);
    let same = patch_case(
        &app,
        &id,
        json!({"circumstances": "Seen near the river.",
               "missing_from": {"city": "Sacramento", "region": "CA", "country": "US",
                                "lat": 38.5816, "lon": -121.4944}}),
    )
    .await;
    assert_eq!(same["version"], 4, "{same}");
    let view = distributions(&app, &id).await;
    assert_eq!(deliveries_in(&view), queued_before, "{view}");
    assert_eq!(view["case_version"], 4);

    // 6. found safe: everyone who ever received any version is told to take it down
    let res = app
        .post(
            &format!("/v1/cases/{id}/resolve"),
            &app.manager,
            &json!({"outcome": "found_safe", "reason": "Found by family"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got = [
        ("alex-mart", alex.wait_for(5, 20).await),
        ("balt-mart", balt.wait_for(5, 20).await),
        ("chi-mart", chi.wait_for(3, 20).await),
        ("sac-mart", sac.wait_for(2, 20).await),
    ];
    let view = settle(&app, &id, &["withdrawn"], 20).await;
    assert_eq!(view["distribution"]["active"], false, "{view}");
    for r in view["recipients"].as_array().unwrap() {
        assert_eq!(r["holds"], Value::Null, "{r}");
        let open = r["timeline"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|d| d["state"] == "pending" || d["state"] == "sending")
            .count();
        assert_eq!(open, 0, "nothing may follow the takedown: {r}");
    }

    let near = [
        ("poster.issued", Some(1), None),
        ("poster.updated", Some(2), None),
        ("poster.updated", Some(3), None),
        ("poster.withdrawn", None, Some("out_of_region")),
        ("poster.withdrawn", None, Some("resolved")),
    ];
    let expected: [(&str, &[Expect]); 4] = [
        ("alex-mart", &near),
        ("balt-mart", &near),
        (
            "chi-mart",
            &[
                ("poster.issued", Some(3), None),
                ("poster.updated", Some(4), None),
                ("poster.withdrawn", None, Some("resolved")),
            ],
        ),
        (
            "sac-mart",
            &[
                ("poster.issued", Some(4), None),
                ("poster.withdrawn", None, Some("resolved")),
            ],
        ),
    ];
    for ((partner, arrivals), (name, want)) in got.iter().zip(expected) {
        assert_eq!(*partner, name);
        assert_eq!(summary(&in_order(partner, arrivals)), want, "{partner}");
        // a withdrawal names no child and links no poster
        let last = &arrivals.last().unwrap().body;
        assert_eq!(last["posters"], json!([]), "{partner}: {last}");
        assert!(!last.to_string().contains("Test Child"), "{last}");
    }
}
both!(a_case_follows_its_changes_and_a_partner_that_was_down_catches_up);

async fn a_change_that_changes_nothing_sends_nothing_and_a_takedown_waits_out_an_outage(
    backend: Backend,
) {
    let Some(app) = spawn_app_with(backend, |c| {
        c.reissue_quiet_secs = 1;
        c.dispatch_send_timeout_secs = 2;
        c.dispatch_lease_secs = 5;
    })
    .await
    else {
        return;
    };
    let alex = Receiver::start().await;
    let dc = Receiver::start().await;
    add_webhook_partner(&app, "alex-mart", &alex, ALEXANDRIA).await;
    add_webhook_partner(&app, "dc-mart", &dc, WASHINGTON).await;
    let case = app.create_case("R-200").await;
    let id = case["id"].as_str().unwrap().to_string();
    json_of(
        app.post(
            &format!("/v1/cases/{id}/dispatch"),
            &app.manager,
            &json!({}),
        )
        .await,
        202,
    )
    .await;
    alex.wait_for(1, 20).await;
    dc.wait_for(1, 20).await;
    let view = settle(&app, &id, &["delivered"], 20).await;
    assert_eq!(deliveries_in(&view), 2);

    // the same values again, one field at a time and all together: no version, nothing queued
    let doc = case_doc("R-200", "unused");
    for patch in [
        json!({"circumstances": doc["circumstances"]}),
        json!({"missing_from": doc["missing_from"]}),
        json!({"circumstances": doc["circumstances"], "missing_from": doc["missing_from"],
               "contact": doc["contact"], "languages": doc["languages"]}),
    ] {
        let same = patch_case(&app, &id, patch.clone()).await;
        assert_eq!(same["version"], 1, "{patch} made a version: {same}");
    }
    let view = distributions(&app, &id).await;
    assert_eq!(deliveries_in(&view), 2, "{view}");
    assert_eq!(view["case_version"], 1);
    // a new dispatch of an unchanged case sends nothing either
    let again = json_of(
        app.post(
            &format!("/v1/cases/{id}/dispatch"),
            &app.manager,
            &json!({}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(again["planned"]["queued"], 0, "{again}");

    // closed while one partner is down: the takedown is retried until it arrives
    dc.set(Mode::Status(500));
    let dc_tried = dc.tried();
    let res = app
        .post(
            &format!("/v1/cases/{id}/resolve"),
            &app.manager,
            &json!({"outcome": "closed", "reason": "Closed by the agency"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got_alex = alex.wait_for(2, 20).await;
    tried_more_than(&dc, dc_tried, 20).await;
    let view = distributions(&app, &id).await;
    assert_eq!(recipient(&view, "dc-mart")["state"], "pending", "{view}");
    dc.set(Mode::Up);
    let got_dc = dc.wait_for(2, 30).await;
    let view = settle(&app, &id, &["withdrawn"], 20).await;
    assert_eq!(deliveries_in(&view), 4, "{view}");
    let want: &[Expect] = &[
        ("poster.issued", Some(1), None),
        ("poster.withdrawn", None, Some("cancelled")),
    ];
    for (who, got) in [("alex-mart", &got_alex), ("dc-mart", &got_dc)] {
        assert_eq!(summary(&in_order(who, got)), want, "{who}");
    }
    // a closed case cannot be dispatched again
    let res = app
        .post(
            &format!("/v1/cases/{id}/dispatch"),
            &app.manager,
            &json!({}),
        )
        .await;
    assert_ne!(res.status(), 202);
}
both!(a_change_that_changes_nothing_sends_nothing_and_a_takedown_waits_out_an_outage);

// ---------------------------------------------------------------------------------------------
// the region grows with time

async fn a_photo(store: &Store) -> String {
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

async fn create_case(store: &Store, doc: &Value) -> CaseId {
    let bytes = serde_json::to_vec(doc).unwrap();
    let case = lookout::cases::parse_case(&bytes, Utc::now().date_naive()).expect("a valid case");
    match store
        .create_case(&case, false, &Actor::System("test"), None)
        .await
        .unwrap()
    {
        Created::New(r) => r.id,
        Created::Replayed(_) => unreachable!("no idempotency key"),
    }
}

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

    let photo = a_photo(&store).await;
    let mut doc = case_doc("G-100", &photo);
    let start = Utc::now();
    doc["missing_since"] = json!((start - chrono::Duration::hours(1)).to_rfc3339());
    let id = create_case(&store, &doc).await;

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
    let photo = a_photo(&store).await;
    let id = create_case(&store, &case_doc("M-100", &photo)).await;
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

// ---------------------------------------------------------------------------------------------
// the property: random changes, failures and crashes against the real outbox tables

/// Who may be asked for in the property test: whole partners and two locations of one partner.
fn pool() -> Vec<Recipient> {
    let whole = ["pa", "pb", "pc", "pd", "pf", "pg"].map(|p| Recipient {
        partner: PartnerId::parse(p).unwrap(),
        location: None,
    });
    let located = ["s1", "s2"].map(|l| Recipient {
        partner: PartnerId::parse("pe").unwrap(),
        location: Some(l.to_string()),
    });
    whole.into_iter().chain(located).collect()
}

/// One message as the simulated recipient got it.
#[derive(Debug, Clone)]
struct Got {
    id: String,
    kind: Kind,
    version: u32,
    reason: Option<WithdrawReason>,
}

fn final_reason(r: Option<WithdrawReason>) -> bool {
    matches!(r, Some(WithdrawReason::FoundSafe | WithdrawReason::Closed))
}

struct Sim<'a> {
    store: &'a Store,
    conn: sqlx::AnyConnection,
    case: CaseId,
    now: DateTime<Utc>,
    version: u32,
    wanted: BTreeSet<Recipient>,
    state: CaseState,
    received: BTreeMap<Recipient, Vec<Got>>,
    /// The worker's name on its leases; a new one after each crash.
    owner: u32,
    log: Vec<String>,
    stats: Stats,
}

/// What the sequences went through, to see that they exercise what they should.
#[derive(Debug, Default)]
struct Stats {
    sequences: usize,
    plans: usize,
    sends: usize,
    retries: usize,
    crashes: usize,
    repeats: usize,
    takedowns: usize,
    superseded: usize,
}

fn stamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

impl Sim<'_> {
    /// What `distribution::reissue::replan` does, with the region replaced by `wanted`. Checks
    /// that planning again at once finds nothing more to send.
    async fn replan(&mut self) {
        let mut tx = self.conn.begin().await.unwrap();
        let standings = outbox::standings(&mut tx, self.case).await.unwrap();
        let held: BTreeMap<Recipient, Standing> = standings
            .iter()
            .map(|(r, k)| (r.clone(), k.standing))
            .collect();
        let p = plan(&held, &self.wanted, self.version, self.state);
        let deliveries: Vec<NewDelivery> = p
            .steps
            .iter()
            .map(|s| {
                let (kind, reason, priority) = match s.action {
                    Action::Issue => (Kind::Issued, None, 1),
                    Action::Update => (Kind::Updated, None, 1),
                    Action::Withdraw(r @ WithdrawReason::OutsideRegion) => {
                        (Kind::Withdrawn, Some(r), 1)
                    }
                    Action::Withdraw(r) => (Kind::Withdrawn, Some(r), 0),
                };
                NewDelivery {
                    recipient: s.recipient.clone(),
                    kind,
                    reason,
                    version: s.version,
                    channel: Channel::Webhook,
                    locations: standings
                        .get(&s.recipient)
                        .map(|k| k.locations.clone())
                        .unwrap_or_default(),
                    priority,
                    not_before: self.now,
                }
            })
            .collect();
        let ids = outbox::apply_plan(
            &mut tx,
            self.case,
            &p.supersede,
            p.supersede_retrying,
            &deliveries,
            &stamp(self.now),
        )
        .await
        .unwrap();
        tx.commit().await.unwrap();
        self.stats.plans += 1;
        self.stats.superseded += p.supersede.len();
        self.log.push(format!(
            "plan v{} {:?}: {:?}, supersede {:?}",
            self.version,
            self.state,
            p.steps
                .iter()
                .map(|s| format!(
                    "{}/{:?} {:?}",
                    s.recipient.partner, s.recipient.location, s.action
                ))
                .collect::<Vec<_>>(),
            p.supersede.len()
        ));
        assert_eq!(ids.len(), deliveries.len());

        // planning again with nothing changed sends nothing
        let mut tx = self.conn.begin().await.unwrap();
        let standings = outbox::standings(&mut tx, self.case).await.unwrap();
        tx.rollback().await.unwrap();
        let held: BTreeMap<Recipient, Standing> = standings
            .iter()
            .map(|(r, k)| (r.clone(), k.standing))
            .collect();
        let again = plan(&held, &self.wanted, self.version, self.state);
        assert!(
            again.steps.is_empty(),
            "planned again at once: {:?}\nstandings {held:?}\nlog:\n{}",
            again.steps,
            self.log.join("\n")
        );
    }

    /// One round of a worker: take what is due, send it, record how it went; or crash.
    async fn work(&mut self, rng: &mut ChaCha8Rng, drain: bool) -> usize {
        outbox::reclaim_expired(self.store, self.now).await.unwrap();
        let owner = format!("worker-{}", self.owner);
        let limit = if drain { 100 } else { rng.random_range(1..=6) };
        let claimed = outbox::claim(self.store, &owner, self.now, Duration::from_secs(30), limit)
            .await
            .unwrap();
        let n = claimed.len();
        let crash = !drain && rng.random_bool(0.1);
        let mut finished = Vec::new();
        for c in claimed {
            let r = Recipient {
                partner: PartnerId::parse(&c.partner_id).unwrap(),
                location: (!c.location_ref.is_empty()).then(|| c.location_ref.clone()),
            };
            // a delivery is never failed so often that the schedule gives up on it
            let outcome = if drain || c.attempts >= 4 || rng.random_bool(0.7) {
                SendOutcome::Delivered
            } else {
                SendOutcome::retry(None, "HTTP 500")
            };
            let arrives = outcome.is_delivered() && (!crash || rng.random_bool(0.5));
            self.stats.sends += 1;
            self.stats.retries += usize::from(!outcome.is_delivered());
            self.log.push(format!(
                "{} {} {:?} v{} to {}/{:?} attempt {}: {}",
                if crash { "crash" } else { "send" },
                c.id,
                c.kind,
                c.version,
                c.partner_id,
                c.location_ref,
                c.attempts,
                if arrives { "arrived" } else { "lost" }
            ));
            if arrives {
                self.received.entry(r).or_default().push(Got {
                    id: c.id.clone(),
                    kind: c.kind,
                    version: c.version,
                    reason: c.reason,
                });
            }
            finished.push(Finished {
                claimed: c,
                outcome,
                at: self.now,
                latency: Duration::from_millis(5),
            });
        }
        if crash {
            // the worker died before recording: its leases run out, another worker goes on
            self.owner += 1;
            self.stats.crashes += 1;
        } else {
            outbox::record(
                self.store,
                &finished,
                Duration::from_secs(365 * 24 * 3600),
                rng,
            )
            .await
            .unwrap();
        }
        n
    }

    /// Every recipient's messages in arrival order, repeats of a `webhook-id` left out; checks the
    /// order and returns the final state of each.
    fn check(&mut self, seed: u64) {
        let history = || format!("seed {seed}\n{}", self.log.join("\n"));
        for r in pool() {
            let got = self.received.get(&r).cloned().unwrap_or_default();
            let who = format!("{}/{:?}", r.partner, r.location);
            let mut seen: Vec<&Got> = Vec::new();
            let mut holds: Option<u32> = None;
            for g in &got {
                if seen.iter().any(|s| s.id == g.id) {
                    self.stats.repeats += 1;
                    assert_eq!(
                        seen.last().map(|s| &s.id),
                        Some(&g.id),
                        "{who}: an old message repeated after a newer one\n{}",
                        history()
                    );
                    continue;
                }
                if let Some(last) = seen.last() {
                    assert!(
                        !(last.kind == Kind::Withdrawn && final_reason(last.reason)),
                        "{who}: {g:?} after the final withdrawal\n{}",
                        history()
                    );
                    assert!(
                        g.version >= last.version,
                        "{who}: v{} after v{}\n{}",
                        g.version,
                        last.version,
                        history()
                    );
                }
                match g.kind {
                    Kind::Issued => {
                        assert_eq!(holds, None, "{who}: issued while holding\n{}", history())
                    }
                    Kind::Updated => assert!(
                        holds.is_some_and(|h| h < g.version),
                        "{who}: updated to v{} while holding {holds:?}\n{}",
                        g.version,
                        history()
                    ),
                    Kind::Withdrawn if !final_reason(g.reason) => assert!(
                        holds.is_some(),
                        "{who}: withdrawn from the region while holding nothing\n{}",
                        history()
                    ),
                    Kind::Withdrawn => {}
                }
                holds = (g.kind != Kind::Withdrawn).then_some(g.version);
                seen.push(g);
            }
            let last = seen.last();
            match self.state {
                CaseState::Active if self.wanted.contains(&r) => assert!(
                    last.is_some_and(|g| g.kind != Kind::Withdrawn && g.version == self.version),
                    "{who} is inside and should hold v{}: {seen:?}\n{}",
                    self.version,
                    history()
                ),
                CaseState::Active => assert!(
                    last.is_none_or(|g| g.kind == Kind::Withdrawn),
                    "{who} is outside and should hold nothing: {seen:?}\n{}",
                    history()
                ),
                CaseState::TakenDown(reason) => {
                    let had_one = seen.iter().any(|g| g.kind != Kind::Withdrawn);
                    assert!(
                        last.is_none_or(|g| g.kind == Kind::Withdrawn),
                        "{who} should hold nothing after the takedown: {seen:?}\n{}",
                        history()
                    );
                    if had_one {
                        assert_eq!(
                            last.and_then(|g| g.reason),
                            Some(reason),
                            "{who} had a poster and must be told of the takedown: {seen:?}\n{}",
                            history()
                        );
                    }
                }
            }
        }
    }
}

async fn run_sequence(store: &Store, url: &str, seed: u64, stats: &mut Stats) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let photo = a_photo(store).await;
    let case = create_case(store, &case_doc(&format!("P-{seed}"), &photo)).await;
    let mut conn = sqlx::AnyConnection::connect(url).await.unwrap();
    if url.starts_with("sqlite:") {
        conn.execute("PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON;")
            .await
            .unwrap();
    }
    let mut sim = Sim {
        store,
        conn,
        case,
        now: DateTime::parse_from_rfc3339("2026-03-01T12:00:00Z")
            .unwrap()
            .to_utc(),
        version: 1,
        wanted: BTreeSet::new(),
        state: CaseState::Active,
        received: BTreeMap::new(),
        owner: 0,
        log: Vec::new(),
        stats: std::mem::take(stats),
    };
    let all = pool();
    let steps = rng.random_range(15..=35);
    for step in 0..steps {
        sim.now += chrono::Duration::seconds(rng.random_range(0..=90));
        let active = sim.state == CaseState::Active;
        let roll = rng.random_range(0..100);
        if active && (step == 0 || roll < 20) {
            let n = rng.random_range(3..=6);
            let mut wanted = BTreeSet::new();
            while wanted.len() < n {
                wanted.insert(all[rng.random_range(0..all.len())].clone());
            }
            sim.log.push(format!(
                "wanted {:?}",
                wanted
                    .iter()
                    .map(|r| format!("{}/{:?}", r.partner, r.location))
                    .collect::<Vec<_>>()
            ));
            sim.wanted = wanted;
            sim.replan().await;
        } else if active && roll < 35 {
            sim.version += 1;
            sim.log.push(format!("version {}", sim.version));
            sim.replan().await;
        } else if active && step > 5 && roll < 38 {
            let reason = if rng.random_bool(0.5) {
                WithdrawReason::FoundSafe
            } else {
                WithdrawReason::Closed
            };
            sim.state = CaseState::TakenDown(reason);
            sim.stats.takedowns += 1;
            sim.log.push(format!("take down: {reason:?}"));
            sim.replan().await;
        } else {
            sim.work(&mut rng, false).await;
        }
    }
    // the drain: leases run out, every retry comes due, everything arrives
    sim.now += chrono::Duration::days(30);
    sim.log.push("drain".into());
    let mut rounds = 0;
    while sim.work(&mut rng, true).await > 0 {
        rounds += 1;
        assert!(rounds < 100, "the queue never empties");
    }
    let left: Vec<_> = outbox::timeline(store, case)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| matches!(d.state, State::Pending | State::Sending))
        .collect();
    assert!(left.is_empty(), "left in the queue: {left:?}");
    sim.check(seed);
    sim.stats.sequences += 1;
    *stats = sim.stats;
}

async fn random_changes_failures_and_crashes_leave_every_recipient_current(backend: Backend) {
    let dir = tempfile::tempdir().unwrap();
    let Some((url, _pg)) = common::fresh_database(backend, dir.path()).await else {
        return;
    };
    let store = Store::open(&url).await.unwrap();
    let started = Instant::now();
    let mut stats = Stats::default();
    for seed in 0..40 {
        run_sequence(&store, &url, 0x5eed_0000 + seed, &mut stats).await;
    }
    println!("{backend:?}: {stats:?} in {:?}", started.elapsed());
    // the sequences must have gone through what they are meant to test
    assert!(
        stats.takedowns >= 5 && stats.crashes >= 10 && stats.repeats >= 5,
        "{stats:?}"
    );
    assert!(stats.retries >= 50 && stats.superseded >= 20, "{stats:?}");
}
both!(random_changes_failures_and_crashes_leave_every_recipient_current);
