//! Cases through the real service: create, read, list, correct, versions, resolve, idempotency.

mod common;

use common::{Backend, case_doc, error_of, spawn_app};
use serde_json::{Value, json};

async fn create_read_and_list(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let created = app.create_case("2026-000101").await;
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["version"], 1);
    assert_eq!(created["status"], "active");
    assert_eq!(created["case"]["children"][0]["name"], "Test Child");

    let res = app
        .get(&format!("/v1/cases/{id}"), &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["etag"], "\"v1\"");
    let got: Value = res.json().await.unwrap();
    assert_eq!(got, created);

    app.create_case("2026-000102").await;
    let list: Value = app
        .get("/v1/cases?case_number=2026-000101", &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let numbers: Vec<&str> = list["cases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["case_number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers, ["2026-000101"]);
    let list: Value = app
        .get(
            "/v1/cases?status=active&case_type=endangered_missing",
            &app.manager,
        )
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["cases"].as_array().unwrap().len(), 2);
    let list: Value = app
        .get("/v1/cases?status=resolved", &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["cases"].as_array().unwrap().len(), 0);
    // Paging: one at a time, newest first, then the next page holds the older one.
    let page: Value = app
        .get("/v1/cases?limit=1", &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["cases"][0]["case_number"], "2026-000102");
    let next = page["next_before"].as_str().unwrap();
    let page: Value = app
        .get(&format!("/v1/cases?limit=1&before={next}"), &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(page["cases"][0]["case_number"], "2026-000101");
}
both!(create_read_and_list);

async fn patches_make_versions_listing_what_changed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.create_case("2026-000201").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v1/cases/{id}");

    let patch = json!({"circumstances": "Seen near the library.", "children": null});
    let (code, field) = error_of(app.patch(&path, &app.manager, &patch).await, 422).await;
    assert_eq!(
        (code.as_str(), field.as_deref()),
        ("invalid", Some("children"))
    );

    let res = app
        .patch(
            &path,
            &app.manager,
            &json!({"circumstances": "Seen near the library.", "amber_alert": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let v2: Value = res.json().await.unwrap();
    assert_eq!(v2["version"], 2);
    assert_eq!(v2["case"]["circumstances"], "Seen near the library.");
    assert_eq!(v2["case"]["amber_alert"], true);

    // Nothing changes: no new version.
    let same: Value = app
        .patch(&path, &app.manager, &json!({"amber_alert": true}))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(same["version"], 2);

    let versions: Value = app
        .get(&format!("{path}/versions"), &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let versions = versions["versions"].as_array().unwrap();
    assert_eq!(versions.len(), 2);
    assert_eq!(versions[0]["changed"], json!([]));
    assert_eq!(
        versions[1]["changed"],
        json!(["amber_alert", "circumstances"])
    );
    assert!(versions[1]["actor"].as_str().unwrap().starts_with("token:"));

    let v1: Value = app
        .get(&format!("{path}/versions/1"), &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v1["case"]["circumstances"], "Invented case for a test.");
    let res = app
        .get(&format!("{path}/versions/9"), &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 404).await.0, "not_found");

    // If-Match with a stale version is refused.
    let res = app
        .patch_json(&path, &app.manager, &json!({"circumstances": "x"}))
        .header("if-match", "\"v1\"")
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 412).await.0, "precondition_failed");

    // Status changes only through resolve.
    let res = app
        .patch(&path, &app.manager, &json!({"status": "resolved"}))
        .await;
    assert_eq!(
        error_of(res, 422).await,
        ("invalid".into(), Some("status".into()))
    );
}
both!(patches_make_versions_listing_what_changed);

async fn resolving_closes_the_case(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.create_case("2026-000301").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v1/cases/{id}/resolve");
    let res = app
        .post(
            &path,
            &app.manager,
            &json!({"outcome": "lost", "reason": "x"}),
        )
        .await;
    assert_eq!(error_of(res, 400).await.1.as_deref(), Some("outcome"));
    let res = app
        .post(
            &path,
            &app.manager,
            &json!({"outcome": "found_safe", "reason": "  "}),
        )
        .await;
    assert_eq!(error_of(res, 422).await.1.as_deref(), Some("reason"));

    let res = app
        .post(
            &path,
            &app.manager,
            &json!({"outcome": "found_safe", "reason": "Returned home."}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let resolved: Value = res.json().await.unwrap();
    assert_eq!(resolved["status"], "resolved");
    assert_eq!(resolved["version"], 2);
    assert_eq!(
        resolved["resolution"],
        json!({"outcome": "found_safe", "reason": "Returned home."})
    );

    let res = app
        .post(
            &path,
            &app.manager,
            &json!({"outcome": "closed", "reason": "again"}),
        )
        .await;
    assert_eq!(error_of(res, 409).await.0, "case_closed");
    let res = app
        .patch(
            &format!("/v1/cases/{id}"),
            &app.manager,
            &json!({"circumstances": "late"}),
        )
        .await;
    assert_eq!(error_of(res, 409).await.0, "case_closed");
    let list: Value = app
        .get("/v1/cases?status=resolved", &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["cases"][0]["id"], id.as_str());
}
both!(resolving_closes_the_case);

async fn photos_must_be_uploaded_and_numbers_unique(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let missing = "0".repeat(64);
    let res = app
        .post(
            "/v1/cases",
            &app.manager,
            &case_doc("2026-000401", &missing),
        )
        .await;
    assert_eq!(
        error_of(res, 422).await.1.as_deref(),
        Some("children[0].photos[0].photo_id")
    );
    let mut doc = case_doc("2026-000401", "x");
    doc["children"][0]["photos"] = json!([{"file": "a.jpg"}]);
    let res = app.post("/v1/cases", &app.manager, &doc).await;
    assert_eq!(
        error_of(res, 422).await.1.as_deref(),
        Some("children[0].photos[0].file")
    );

    app.create_case("2026-000401").await;
    let photo = app.photo(2).await;
    let res = app
        .post("/v1/cases", &app.manager, &case_doc("2026-000401", &photo))
        .await;
    assert_eq!(
        error_of(res, 409).await,
        ("case_number_taken".into(), Some("case_number".into()))
    );
}
both!(photos_must_be_uploaded_and_numbers_unique);

async fn idempotent_creation_holds_under_concurrency(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let photo = app.photo(3).await;
    let doc = case_doc("2026-000501", &photo);
    let send = |body: Value, key: &'static str| {
        app.post_json("/v1/cases", &app.manager, &body)
            .header("idempotency-key", key)
            .send()
    };
    // Many identical requests at the same moment: exactly one case.
    let responses = futures::future::join_all((0..8).map(|_| send(doc.clone(), "key-1"))).await;
    let mut ids = Vec::new();
    let mut replays = 0;
    for r in responses {
        let r = r.unwrap();
        assert_eq!(r.status(), 201);
        replays += usize::from(r.headers().contains_key("idempotent-replayed"));
        let body: Value = r.json().await.unwrap();
        ids.push(body["id"].as_str().unwrap().to_string());
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "one case for one key");
    assert_eq!(replays, 7);
    let list: Value = app
        .get("/v1/cases", &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["cases"].as_array().unwrap().len(), 1);

    // Same key, different body: refused. Same body re-spaced: the same case.
    let mut other = doc.clone();
    other["circumstances"] = json!("Something else.");
    let (code, _) = error_of(send(other, "key-1").await.unwrap(), 422).await;
    assert_eq!(code, "idempotency_key_reused");
    let respaced = app
        .client
        .post(app.url("/v1/cases"))
        .bearer_auth(&app.manager)
        .header("content-type", "application/json")
        .header("idempotency-key", "key-1")
        .body(serde_json::to_string_pretty(&doc).unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(respaced.status(), 201);
    assert_eq!(
        respaced.json::<Value>().await.unwrap()["id"],
        ids[0].as_str()
    );

    // Two different keys for different cases at once: both made.
    let a = send(case_doc("2026-000502", &photo), "key-2");
    let b = send(case_doc("2026-000503", &photo), "key-3");
    let (a, b) = tokio::join!(a, b);
    assert_eq!(a.unwrap().status(), 201);
    assert_eq!(b.unwrap().status(), 201);
}
both!(idempotent_creation_holds_under_concurrency);

async fn concurrent_patches_all_land_as_versions(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let id = app.create_case("2026-000601").await["id"]
        .as_str()
        .unwrap()
        .to_string();
    let path = format!("/v1/cases/{id}");
    // Six updates at once, each changing `circumstances`: every one lands as its own version.
    let sends = (0..6).map(|i| {
        app.patch_json(
            &path,
            &app.manager,
            &json!({"circumstances": format!("update {i}")}),
        )
        .send()
    });
    for r in futures::future::join_all(sends).await {
        assert_eq!(r.unwrap().status(), 200);
    }
    let versions: Value = app
        .get(&format!("{path}/versions"), &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let numbers: Vec<i64> = versions["versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_i64().unwrap())
        .collect();
    assert_eq!(numbers, (1..=7).collect::<Vec<_>>());
}
both!(concurrent_patches_all_land_as_versions);
