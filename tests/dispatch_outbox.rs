//! The outbox end to end, on the real service: dispatch a case to a webhook partner (a receiver on
//! 127.0.0.1 that checks signatures), an email partner (per-store `.eml` files) and a pull partner;
//! update it, resolve it; and see every partner hold the newest poster, then none.

mod common;

use std::time::{Duration, Instant};

use common::receiver::{Mode, Receiver, SECRET};
use common::{Backend, TestApp, spawn_app_with};
use serde_json::{Value, json};

/// Near the test case's last-seen place (Alexandria, VA), and far away (Sacramento, CA).
const NEAR: (f64, f64) = (38.8101, -77.0647);
const FAR: (f64, f64) = (38.5816, -121.4944);

pub async fn add_partner(
    app: &TestApp,
    id: &str,
    delivery: Value,
    per_location: bool,
    locations: Value,
) {
    let body = json!({
        "id": id, "name": format!("{id} Stores"), "kind": "retail", "delivery": delivery,
        "per_location": per_location, "languages": ["en", "es"], "formats": ["letter", "square"]
    });
    let res = app.post("/v1/partners", &app.admin, &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    app.put_locations(id, locations).await;
}

fn loc(r: &str, (lat, lon): (f64, f64)) -> Value {
    json!({"ref": r, "name": format!("Store {r}"), "lat": lat, "lon": lon})
}

async fn emails(app: &TestApp, n: usize) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let mut found: Vec<(std::path::PathBuf, String)> = std::fs::read_dir(&app.outbox)
            .map(|d| {
                d.filter_map(|e| e.ok())
                    .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                    .map(|e| (e.path(), std::fs::read_to_string(e.path()).unwrap()))
                    .collect()
            })
            .unwrap_or_default();
        if found.len() >= n {
            found.sort_by_key(|(p, _)| std::fs::metadata(p).unwrap().modified().unwrap());
            return found.into_iter().map(|(_, t)| t).collect();
        }
        assert!(
            Instant::now() < deadline,
            "{} of {n} emails written",
            found.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn a_case_reaches_every_kind_of_partner_and_comes_down(backend: Backend) {
    // a quiet period of 40 s of the fast clock (about 1 s of real time): long enough that the two
    // edits below fall inside it on a loaded machine
    let Some((app, _ticker)) =
        common::spawn_app_ticking(backend, |c| c.reissue_quiet_secs = 40).await
    else {
        return;
    };
    let hook = Receiver::start().await;
    add_partner(
        &app,
        "hook-mart",
        json!({"webhook": {"url": hook.url, "secret": SECRET}}),
        false,
        json!([loc("0412", NEAR), loc("far-1", FAR)]),
    )
    .await;
    let mut with_email = loc("A1", NEAR);
    with_email["email"] = json!("store-a1@mail-mart.example");
    add_partner(
        &app,
        "mail-mart",
        json!({"email": ["posters@mail-mart.example"]}),
        true,
        json!([with_email, loc("A2", (38.80, -77.05))]),
    )
    .await;
    app.put_locations("test-partner", json!([loc("P1", NEAR)]))
        .await;

    let case = app.create_case("T-100").await;
    let id = case["id"].as_str().unwrap().to_string();
    let planned = common::json_of(
        app.post(
            &format!("/v1/cases/{id}/dispatch"),
            &app.manager,
            &json!({}),
        )
        .await,
        202,
    )
    .await;
    assert_eq!(planned["planned"]["queued"], 4, "{planned}");
    assert_eq!(planned["planned"]["issued"], 4);

    // webhook: signed, once, about the near store only
    let got = hook.wait_for(1, 20).await;
    let first = &got[0].body;
    assert_eq!(first["type"], "poster.issued");
    assert_eq!(first["version"], 1);
    assert_eq!(first["locations"], json!(["0412"]));
    let url = first["posters"][0]["url"].as_str().unwrap();
    let res = app.client.get(url).send().await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let forged = url.replace("sig=", "sig=AAAA");
    assert_eq!(app.client.get(&forged).send().await.unwrap().status(), 403);

    // email: one message per store, to the store's own address when it has one
    let mails = emails(&app, 2).await;
    assert!(
        mails
            .iter()
            .any(|m| m.contains("To: store-a1@mail-mart.example"))
    );
    assert!(
        mails
            .iter()
            .any(|m| m.contains("To: posters@mail-mart.example"))
    );
    assert!(mails.iter().all(|m| m.contains("application/pdf")));

    // pull: the partner's own deliveries after its cursor, then acknowledged
    let feed = common::json_of(
        app.get("/partner/v1/deliveries?after=0", &app.partner)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    let items = feed["deliveries"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{feed}");
    assert_eq!(items[0]["type"], "poster.issued");
    assert_eq!(items[0]["locations"], json!(["P1"]));
    let next = feed["next_after"].as_i64().unwrap();
    let again = common::json_of(
        app.get(
            &format!("/partner/v1/deliveries?after={next}"),
            &app.partner,
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    assert_eq!(again["deliveries"], json!([]));
    let pull_id = items[0]["id"].as_str().unwrap();
    let acked = common::json_of(
        app.post(
            &format!("/partner/v1/deliveries/{pull_id}/ack"),
            &app.partner,
            &json!({}),
        )
        .await,
        200,
    )
    .await;
    assert_eq!(acked["state"], "acknowledged");
    let (status, xml) = app
        .text(
            &format!("/partner/v1/deliveries/{pull_id}/cap"),
            &app.partner,
        )
        .await;
    assert_eq!(status, 200);
    assert!(
        xml.contains("<msgType>Alert</msgType>") && xml.contains("<circle>"),
        "{xml}"
    );
    common::xml::assert_valid_cap(&xml);
    // a partner sees nothing of another's deliveries, a case manager nothing of the partner API
    let other = &got[0].id;
    assert_eq!(
        app.get(&format!("/partner/v1/deliveries/{other}"), &app.partner)
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        app.get("/partner/v1/deliveries", &app.manager)
            .send()
            .await
            .unwrap()
            .status(),
        403
    );

    let view = app.distributions(&id).await;
    let recipients = view["recipients"].as_array().unwrap();
    assert_eq!(recipients.len(), 4, "{view}");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let view = app.distributions(&id).await;
        let states: Vec<&str> = view["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["state"].as_str().unwrap())
            .collect();
        if states
            .iter()
            .all(|s| *s == "delivered" || *s == "acknowledged")
        {
            break;
        }
        assert!(Instant::now() < deadline, "{states:?}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // two edits within the quiet period: one reissue, of the newest version
    for text in [
        "Seen near the river.",
        "Seen near the river, in a red coat.",
    ] {
        let res = app
            .patch(
                &format!("/v1/cases/{id}"),
                &app.manager,
                &json!({"circumstances": text}),
            )
            .await;
        assert_eq!(res.status(), 200);
    }
    let got = hook.wait_for(2, 20).await;
    assert_eq!(got[1].body["type"], "poster.updated");
    assert_eq!(got[1].body["version"], 3);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        hook.arrived().len(),
        2,
        "version 2 was superseded, never sent"
    );
    let view = app.distributions(&id).await;
    let hook_view = view["recipients"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["partner_id"] == "hook-mart")
        .unwrap()
        .clone();
    let kinds: Vec<(String, u64)> = hook_view["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["state"].as_str().unwrap().to_string(),
                d["version"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        [
            ("delivered".to_string(), 1),
            ("superseded".into(), 2),
            ("delivered".into(), 3)
        ]
    );
    assert_eq!(hook_view["holds"], 3);
    let feed = common::json_of(
        app.get(
            &format!("/partner/v1/deliveries?after={next}"),
            &app.partner,
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    let versions: Vec<(&str, u64)> = feed["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["type"].as_str().unwrap(), d["version"].as_u64().unwrap()))
        .collect();
    assert_eq!(versions, [("poster.updated", 3)], "{feed}");
    let next = feed["next_after"].as_i64().unwrap();

    // found safe: every partner is told to take it down, with no personal data
    let res = app
        .post(
            &format!("/v1/cases/{id}/resolve"),
            &app.manager,
            &json!({"outcome": "found_safe", "reason": "Found by family"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let got = hook.wait_for(3, 20).await;
    let down = &got[2].body;
    assert_eq!(down["type"], "poster.withdrawn");
    assert_eq!(down["reason"], "resolved");
    assert_eq!(down["posters"], json!([]));
    assert!(!down.to_string().contains("Test Child"), "{down}");
    let mails = emails(&app, 6).await;
    let last = &mails[mails.len() - 1];
    assert!(last.to_lowercase().contains("remove"), "{last}");
    let feed = common::json_of(
        app.get(
            &format!("/partner/v1/deliveries?after={next}"),
            &app.partner,
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await;
    let kinds: Vec<&str> = feed["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["poster.withdrawn"]);
    let cancel_id = feed["deliveries"][0]["id"].as_str().unwrap();
    let xml = app
        .get(
            &format!("/partner/v1/deliveries/{cancel_id}/cap"),
            &app.partner,
        )
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains("<msgType>Cancel</msgType>") && xml.contains("<references>"),
        "{xml}"
    );
    common::xml::assert_valid_cap(&xml);
    // the old links stop working once the child is found
    assert_eq!(app.client.get(url).send().await.unwrap().status(), 404);

    let metrics = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics
            .contains("lookout_send_outcomes_total{channel=\"webhook\",outcome=\"delivered\"} 3"),
        "{metrics}"
    );
    assert!(metrics.contains("lookout_queue_due 0"), "{metrics}");
}
both!(a_case_reaches_every_kind_of_partner_and_comes_down);

async fn a_partner_that_is_down_gets_it_when_back_and_a_gone_one_is_disabled(backend: Backend) {
    let Some((app, _ticker)) = common::spawn_app_ticking(backend, |c| {
        c.dispatch_send_timeout_secs = 1;
        c.reissue_quiet_secs = 0;
    })
    .await
    else {
        return;
    };
    let hook = Receiver::start().await;
    hook.set(Mode::Status(500));
    add_partner(
        &app,
        "hook-mart",
        json!({"webhook": {"url": hook.url, "secret": SECRET}}),
        false,
        json!([loc("0412", NEAR)]),
    )
    .await;
    let case = app.create_case("T-200").await;
    let id = case["id"].as_str().unwrap().to_string();
    app.dispatch(&id).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    while hook.tried() < 1 {
        assert!(Instant::now() < deadline, "never tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let view = app.distributions(&id).await;
    let r = &view["recipients"][0];
    assert_eq!(r["state"], "pending", "{view}");
    assert_eq!(r["last_error"], "HTTP 500");
    // the schedule's second try comes 5 s (±20 %) later, and the partner is back by then
    hook.set(Mode::Up);
    let got = hook.wait_for(1, 15).await;
    assert_eq!(got[0].body["type"], "poster.issued");

    // an endpoint that says it is gone disables the partner; nothing more is sent until it is enabled
    // counted before the update: with no quiet period it may be tried at once
    let tried = hook.tried();
    hook.set(Mode::Status(410));
    let res = app
        .patch(
            &format!("/v1/cases/{id}"),
            &app.manager,
            &json!({"circumstances": "New sighting."}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let deadline = Instant::now() + Duration::from_secs(70);
    loop {
        let view = app.distributions(&id).await;
        // the view reads the deliveries and the partners' health one after the other
        if view["disabled_partners"]
            .as_array()
            .is_some_and(|d| !d.is_empty())
            && view["recipients"][0]["state"] == "failed"
        {
            assert_eq!(view["disabled_partners"][0]["partner_id"], "hook-mart");
            break;
        }
        assert!(Instant::now() < deadline, "not disabled: {view}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_eq!(hook.tried(), tried + 1, "one try after 410, no more");
    let p = common::json_of(
        app.get("/v1/partners/hook-mart", &app.admin)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(
        p["delivery_status"]["disabled_reason"]
            .as_str()
            .unwrap()
            .contains("410"),
        "{p}"
    );
    let res = app
        .client
        .post(app.url("/v1/partners/hook-mart/enable"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let p = common::json_of(
        app.get("/v1/partners/hook-mart", &app.admin)
            .send()
            .await
            .unwrap(),
        200,
    )
    .await;
    assert!(p["delivery_status"]["disabled_at"].is_null(), "{p}");
}
both!(a_partner_that_is_down_gets_it_when_back_and_a_gone_one_is_disabled);

async fn a_slow_partner_does_not_hold_up_the_others_and_caps_hold(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| {
        c.dispatch_concurrency = 4;
        c.dispatch_per_partner = 2;
        c.dispatch_send_timeout_secs = 20;
        c.dispatch_lease_secs = 30;
    })
    .await
    else {
        return;
    };
    let slow = Receiver::start().await;
    slow.set(Mode::Hang);
    let fast = Receiver::start().await;
    let many: Vec<Value> = (0..12)
        .map(|i| loc(&format!("s{i:02}"), (38.80 + i as f64 * 0.001, -77.05)))
        .collect();
    add_partner(
        &app,
        "slow-mart",
        json!({"webhook": {"url": slow.url, "secret": SECRET}}),
        true,
        json!(many),
    )
    .await;
    add_partner(
        &app,
        "fast-mart",
        json!({"webhook": {"url": fast.url, "secret": SECRET}}),
        false,
        json!([loc("f1", NEAR)]),
    )
    .await;
    // a daily cap of 2 on a per-store partner: its 2 nearest stores today, the rest reported
    let body = json!({
        "id": "capped-mart", "name": "Capped Stores", "kind": "retail", "per_location": true,
        "delivery": {"webhook": {"url": fast.url, "secret": SECRET}}, "daily_cap": 2,
        "languages": ["en", "es"]
    });
    assert_eq!(
        app.post("/v1/partners", &app.admin, &body).await.status(),
        201
    );
    app.put_locations(
        "capped-mart",
        json!([
            loc("c1", NEAR),
            loc("c2", (38.81, -77.06)),
            loc("c3", (38.82, -77.07))
        ]),
    )
    .await;

    let case = app.create_case("T-300").await;
    let id = case["id"].as_str().unwrap().to_string();
    let planned = app.dispatch(&id).await;
    assert_eq!(planned["planned"]["queued"], 12 + 1 + 2, "{planned}");
    let skipped = &planned["planned"]["skipped"];
    assert_eq!(skipped[0]["partner_id"], "capped-mart", "{planned}");
    assert_eq!(skipped[0]["reason"], "daily_cap");
    assert_eq!(skipped[0]["refs"].as_array().unwrap().len(), 1);

    // the slow partner holds at most its 2 slots; everyone else's posters go out meanwhile
    let got = fast.wait_for(3, 10).await;
    let mut locations: Vec<String> = got
        .iter()
        .map(|a| a.body["locations"][0].as_str().unwrap().to_string())
        .collect();
    locations.sort();
    assert_eq!(locations, ["c1", "c2", "f1"]);
    assert!(
        slow.tried() <= 2,
        "{} sends in flight to one partner",
        slow.tried()
    );
}
both!(a_slow_partner_does_not_hold_up_the_others_and_caps_hold);
