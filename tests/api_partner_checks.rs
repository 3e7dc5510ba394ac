//! Partner input is checked the same way on every path: hostile coverage areas sent to the admin API
//! are refused with the field named, and the service keeps answering; a bad row saved before the
//! checks existed is left out of the targeting index at start and never keeps the service down.

mod common;

use common::{Backend, error_of, spawn_app};
use serde_json::{Value, json};

fn ring(points: &[(f64, f64)]) -> Value {
    Value::Array(
        points
            .iter()
            .map(|(x, y)| json!({"x": x, "y": y}))
            .collect(),
    )
}

fn store_with(coverage: Value) -> Value {
    json!([{"ref": "area-1", "name": "Circulation area", "lat": 38.80, "lon": -77.05,
            "coverage": coverage}])
}

async fn hostile_coverage_is_refused_and_the_service_keeps_answering(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let partner = app.partner_id.to_string();
    let put = |body: Value| {
        let (client, url, admin) = (
            app.client.clone(),
            app.url(&format!("/v1/partners/{partner}/locations")),
            app.admin.clone(),
        );
        async move {
            client
                .put(url)
                .bearer_auth(admin)
                .json(&body)
                .send()
                .await
                .unwrap()
        }
    };
    let square = [
        (-77.1, 38.7),
        (-77.0, 38.7),
        (-77.0, 38.8),
        (-77.1, 38.8),
        (-77.1, 38.7),
    ];
    let hostile = [
        ("an empty ring", json!([{"exterior": [], "interiors": []}])),
        ("no polygon", json!([])),
        (
            "a coordinate of 1e19",
            json!([{"exterior": ring(&[(-77.1, 38.7), (1e19, 38.7), (-77.0, 38.8), (-77.1, 38.7)]), "interiors": []}]),
        ),
        (
            "a ring that crosses itself",
            json!([{"exterior": ring(&[(-77.1, 38.7), (-77.0, 38.8), (-77.0, 38.7), (-77.1, 38.8), (-77.1, 38.7)]), "interiors": []}]),
        ),
        (
            "an open ring",
            json!([{"exterior": ring(&square[..4]), "interiors": []}]),
        ),
    ];
    for (what, coverage) in hostile {
        let res = put(store_with(coverage)).await;
        let (code, field) = error_of(res, 422).await;
        assert_eq!(code, "invalid", "{what}");
        assert_eq!(field.as_deref(), Some("[0].coverage"), "{what}");
        let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), 200, "the service answers after {what}");
    }
    let good = json!([{"exterior": ring(&square), "interiors": []}]);
    let res = put(store_with(good)).await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
}
both!(hostile_coverage_is_refused_and_the_service_keeps_answering);

async fn a_bad_row_saved_before_the_checks_never_stops_the_service(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let partner = app.partner_id.to_string();
    let res = app
        .client
        .put(app.url(&format!("/v1/partners/{partner}/locations")))
        .bearer_auth(&app.admin)
        .json(&json!([{"ref": "good", "name": "Good store", "lat": 38.80, "lon": -77.05}]))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let indexed = |url: String| async move {
        let config = lookout::config::Config {
            database_url: url.clone().into(),
            ..Default::default()
        };
        let store = lookout::store::Store::open(&url).await.unwrap();
        let state = lookout::app::state(store.clone(), &config).unwrap();
        let stats = state.targeting.refresh(&store).await.unwrap().unwrap();
        store.close().await;
        stats.indexed
    };
    let before = indexed(app.database_url.clone()).await;
    assert!(before >= 1, "the good row is indexed");
    // rows as an older version (or a hand edit) left them: an empty ring, an unreadable area, a
    // latitude out of range
    let insert = |reference: &str, lat: f64, coverage: &str| {
        format!(
            "INSERT INTO locations (partner_id, ref, name, lat, lon, reach_m, email, coverage) \
             VALUES ('{partner}', '{reference}', 'Old row', {lat}, -77.05, NULL, NULL, {coverage})"
        )
    };
    use sqlx::{Connection, Executor};
    let mut conn = sqlx::AnyConnection::connect(&app.database_url)
        .await
        .unwrap();
    for sql in [
        insert("empty-ring", 38.8, "'[{\"exterior\":[],\"interiors\":[]}]'"),
        insert("unreadable", 38.8, "'not json'"),
        insert("far-north", 1e19, "NULL"),
    ] {
        conn.execute(sqlx::AssertSqlSafe(sql)).await.unwrap();
    }
    // a new process on this database starts, and its index leaves the bad rows out
    assert_eq!(indexed(app.database_url.clone()).await, before);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status(), 200);
}
both!(a_bad_row_saved_before_the_checks_never_stops_the_service);

/// The admin API checks a partner as the file import does: plain http only to an address inside
/// `allow_private_targets` (loopback in tests), secrets and previous secrets in the `whsec_`
/// form, and email addresses the mail sender takes.
async fn partners_are_checked_as_an_import_checks_them(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let partner = |id: &str, delivery: Value| {
        json!({"id": id, "name": "SAMPLE Chain", "kind": "retail", "delivery": delivery,
               "formats": ["letter"], "languages": ["en"]})
    };
    let refused = [
        (
            json!({"webhook": {"url": "http://hooks.example/lookout", "secret": secret}}),
            "delivery.webhook.url",
        ),
        (
            json!({"webhook": {"url": "http://10.1.2.3/lookout", "secret": secret}}),
            "delivery.webhook.url",
        ),
        (
            json!({"webhook": {"url": "https://hooks.example/lookout", "secret": secret,
                               "previous_secret": "whsec_short"}}),
            "delivery.webhook.previous_secret",
        ),
        (
            json!({"webhook": {"url": "https://hooks.example/lookout", "secret": "whsec_c2hvcnQ="}}),
            "delivery.webhook.secret",
        ),
        (
            json!({"email": ["posters@store.example", "a\"b@store.example"]}),
            "delivery.email[1]",
        ),
    ];
    for (i, (delivery, field)) in refused.into_iter().enumerate() {
        let body = partner(&format!("refused-{i}"), delivery);
        let res = app.post("/v1/partners", &app.admin, &body).await;
        assert_eq!(error_of(res, 422).await.1.as_deref(), Some(field), "{body}");
        let res = app
            .get(&format!("/v1/partners/refused-{i}"), &app.admin)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404, "nothing of a refused partner is kept");
    }
    let loopback = partner(
        "loopback-receiver",
        json!({"webhook": {"url": "http://127.0.0.1:9/hook", "secret": secret}}),
    );
    let res = app.post("/v1/partners", &app.admin, &loopback).await;
    assert_eq!(res.status(), 201, "inside allow_private_targets");
    // and a change is held to the same rule
    let res = app
        .patch(
            "/v1/partners/loopback-receiver",
            &app.admin,
            &json!({"delivery": {"webhook": {"url": "http://192.168.1.9/hook"}}}),
        )
        .await;
    assert_eq!(
        error_of(res, 422).await.1.as_deref(),
        Some("delivery.webhook.url")
    );
}
both!(partners_are_checked_as_an_import_checks_them);
