//! Reissue end to end through the running service: a case is dispatched, changed, widened, moved
//! and resolved, and every partner ends up holding the newest poster or none, never seeing a version
//! out of order; a change that changes nothing sends nothing; a takedown waits out an outage.

mod common;

use std::time::{Duration, Instant};

use common::receiver::{Arrival, Mode, Receiver, SECRET};
use common::{Backend, TestApp, Ticker, case_doc};
use serde_json::{Value, json};

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
    common::json_of(
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
        let view = app.distributions(id).await;
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

/// The service on a fast clock: the quiet period (1 s) and the first retry (5 s) come due at once.
async fn fast_app(backend: Backend) -> Option<(TestApp, Ticker)> {
    common::spawn_app_ticking(backend, |c| {
        c.reissue_quiet_secs = 1;
        c.dispatch_send_timeout_secs = 2;
    })
    .await
}

async fn a_case_follows_its_changes_and_a_partner_that_was_down_catches_up(backend: Backend) {
    let Some((app, _ticker)) = fast_app(backend).await else {
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
    let planned = app.dispatch(&id).await;
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
    // the retry comes about 5 s (of the test's clock) after the failure, and the withdrawal only
    // after it
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
    let view = app.distributions(&id).await;
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
    let Some((app, _ticker)) = fast_app(backend).await else {
        return;
    };
    let alex = Receiver::start().await;
    let dc = Receiver::start().await;
    add_webhook_partner(&app, "alex-mart", &alex, ALEXANDRIA).await;
    add_webhook_partner(&app, "dc-mart", &dc, WASHINGTON).await;
    let case = app.create_case("R-200").await;
    let id = case["id"].as_str().unwrap().to_string();
    app.dispatch(&id).await;
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
    let view = app.distributions(&id).await;
    assert_eq!(deliveries_in(&view), 2, "{view}");
    assert_eq!(view["case_version"], 1);
    // a new dispatch of an unchanged case sends nothing either
    let again = app.dispatch(&id).await;
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
    // the failed attempt is recorded a moment after the receiver answered it
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let view = app.distributions(&id).await;
        if recipient(&view, "dc-mart")["state"] == "pending" {
            break;
        }
        assert!(Instant::now() < deadline, "not back to pending: {view}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
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
