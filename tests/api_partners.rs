//! The admin partner API: register, read (secrets hidden), change, switch off, replace locations.

mod common;

use common::{Backend, error_of, spawn_app};
use serde_json::{Value, json};

fn northwind() -> Value {
    json!({
        "id": "northwind-retail",
        "name": "Northwind Retail",
        "kind": "retail",
        "delivery": {"webhook": {"url": "https://posters.northwind.example/hooks/lookout", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
        "formats": ["letter", "square"],
        "languages": ["en", "es"],
        "daily_cap": 200
    })
}

async fn partners_are_registered_changed_and_switched_off(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let res = app.post("/v1/partners", &app.admin, &northwind()).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["partner"]["delivery"]["webhook"]["secret"], "(set)");
    assert!(
        !created.to_string().contains("whsec_MfKQ"),
        "secrets are never shown"
    );
    let res = app.post("/v1/partners", &app.admin, &northwind()).await;
    assert_eq!(error_of(res, 409).await.0, "already_exists");

    let mut bad = northwind();
    bad["id"] = json!("other");
    bad["delivery"] = json!({"webhook": {"url": "ftp://x", "secret": "nope"}});
    let res = app.post("/v1/partners", &app.admin, &bad).await;
    assert_eq!(
        error_of(res, 422).await.1.as_deref(),
        Some("delivery.webhook.url")
    );
    bad["delivery"] = json!({"carrier_pigeon": true});
    let res = app.post("/v1/partners", &app.admin, &bad).await;
    assert_eq!(error_of(res, 400).await.0, "malformed");

    let res = app
        .patch(
            "/v1/partners/northwind-retail",
            &app.admin,
            &json!({"active": false, "daily_cap": null}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let changed: Value = res.json().await.unwrap();
    assert_eq!(changed["partner"]["active"], false);
    assert!(changed["partner"].get("daily_cap").is_none());
    // The stored secret survives a patch that does not touch it.
    let stored = app
        .store
        .partner(&lookout::partners::PartnerId::parse("northwind-retail").unwrap())
        .await
        .unwrap()
        .unwrap();
    match stored.partner.delivery {
        lookout::partners::Delivery::Webhook(h) => {
            assert!(h.secret.expose().starts_with("whsec_MfKQ"))
        }
        other => panic!("{other:?}"),
    }
    let res = app
        .patch(
            "/v1/partners/northwind-retail",
            &app.admin,
            &json!({"id": "renamed"}),
        )
        .await;
    assert_eq!(error_of(res, 422).await.1.as_deref(), Some("id"));

    let active: Value = app
        .get("/v1/partners?active=true", &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = active["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["partner"]["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["test-partner"]);
    let all: Value = app
        .get("/v1/partners", &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(all["partners"].as_array().unwrap().len(), 2);
    let res = app
        .get("/v1/partners/nobody", &app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 404).await.0, "not_found");
}
both!(partners_are_registered_changed_and_switched_off);

async fn location_lists_are_replaced_whole(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let path = "/v1/partners/test-partner/locations";
    let put = |body: Value| {
        app.client
            .put(app.url(path))
            .bearer_auth(&app.admin)
            .json(&body)
            .send()
    };
    let first = json!([
        {"ref": "0412", "name": "Store #412 Alexandria", "lat": 38.8101, "lon": -77.0647},
        {"ref": "DC-I95-N3", "name": "I-95 N mile 3", "lat": 38.7851, "lon": -77.0170, "reach_m": 1200},
        {"ref": "KY-17", "name": "Exit 17", "lat": 38.0406, "lon": -84.5037, "email": "store17@bluegrass.example"}
    ]);
    let res = put(first).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<Value>().await.unwrap()["locations"], 3);
    let got: Value = app
        .get(path, &app.partner)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let refs: Vec<&str> = got["locations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["ref"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["0412", "DC-I95-N3", "KY-17"]);
    assert_eq!(got["locations"][1]["reach_m"], 1200.0);

    let bad = json!([
        {"ref": "A", "name": "ok", "lat": 10, "lon": 10},
        {"ref": "B", "name": "ok", "lat": 91, "lon": 10},
        {"ref": "A", "name": "again", "lat": 10, "lon": 10}
    ]);
    let res = put(bad).await.unwrap();
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["field"], "[1].lat");
    assert_eq!(body["errors"][1]["field"], "[2].ref");
    let res = put(json!([{"ref": "A", "name": "x", "lat": 1, "lon": 1, "colour": "red"}]))
        .await
        .unwrap();
    assert_eq!(error_of(res, 400).await.1.as_deref(), Some("[0].colour"));
    // A refused list changes nothing.
    let got: Value = app
        .get(path, &app.admin)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(got["locations"].as_array().unwrap().len(), 3);

    let res = put(json!([{"ref": "only", "name": "Only one", "lat": 1, "lon": 2}]))
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let locations = app.store.active_locations().await.unwrap();
    assert_eq!(locations.len(), 1);
    assert_eq!(locations[0].reference, "only");
    let res = app
        .client
        .put(app.url("/v1/partners/nobody/locations"))
        .bearer_auth(&app.admin)
        .json(&json!([]))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 404).await.0, "not_found");
}
both!(location_lists_are_replaced_whole);
