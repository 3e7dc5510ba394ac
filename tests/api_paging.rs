//! One paging style on every list: following `Link: rel="next"` from the first page visits every
//! item once, in order, for any page size; the lists' cursors are not interchangeable.

mod common;

use common::{Backend, TestApp, error_of, spawn_app};
use serde_json::{Value, json};

/// Walk a list from `first` by its Link headers; every page's `key` values, in order.
async fn walk(app: &TestApp, first: &str, token: &str, items: &str, key: &str) -> Vec<String> {
    let mut seen = Vec::new();
    let mut next = Some(first.to_string());
    let mut pages = 0;
    while let Some(path) = next.take() {
        pages += 1;
        assert!(pages < 100, "the pages never end");
        let res = app.get(&path, token).send().await.unwrap();
        assert_eq!(res.status(), 200, "{path}");
        next = res
            .headers()
            .get("link")
            .map(|l| l.to_str().unwrap().to_string())
            .map(|l| {
                assert!(l.ends_with(">; rel=\"next\""), "{l}");
                l[1..l.find('>').unwrap()].to_string()
            });
        let body: Value = res.json().await.unwrap();
        assert_eq!(
            next.is_some(),
            !body["next_cursor"].is_null(),
            "next_cursor and the Link agree on {path}: {body}"
        );
        for item in body[items].as_array().unwrap() {
            seen.push(item.pointer(key).unwrap().as_str().unwrap().to_string());
        }
    }
    seen
}

async fn every_list_walks_by_cursor(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    for i in 0..5 {
        let partner = json!({"id": format!("chain-{i}"), "name": "SAMPLE Chain", "kind": "retail",
                             "delivery": {"pull": true}});
        assert_eq!(
            app.post("/v1/partners", &app.admin, &partner)
                .await
                .status(),
            201
        );
    }
    let stores: Vec<Value> = (0..7)
        .map(|i| json!({"ref": format!("s{i:02}"), "name": "SAMPLE store", "lat": 38.8, "lon": -77.05}))
        .collect();
    app.put_locations("chain-0", Value::Array(stores)).await;
    for i in 0..3 {
        app.create_case(&format!("2026-0080{i:02}")).await;
    }

    let all_partners = walk(
        &app,
        "/v1/partners?limit=1000",
        &app.admin,
        "partners",
        "/partner/id",
    )
    .await;
    assert_eq!(all_partners.len(), 6, "{all_partners:?}");
    let all_cases = walk(&app, "/v1/cases", &app.manager, "cases", "/id").await;
    assert_eq!(all_cases.len(), 3);
    let all_tokens = walk(&app, "/v1/tokens", &app.admin, "tokens", "/id").await;
    assert!(all_tokens.len() >= 3, "{all_tokens:?}");
    for size in [1, 2, 4] {
        let walked = walk(
            &app,
            &format!("/v1/partners?limit={size}"),
            &app.admin,
            "partners",
            "/partner/id",
        )
        .await;
        assert_eq!(walked, all_partners, "partners by {size}");
        let walked = walk(
            &app,
            &format!("/v1/partners/chain-0/locations?limit={size}"),
            &app.admin,
            "locations",
            "/ref",
        )
        .await;
        let refs: Vec<String> = (0..7).map(|i| format!("s{i:02}")).collect();
        assert_eq!(walked, refs, "locations by {size}");
        let walked = walk(
            &app,
            &format!("/v1/cases?limit={size}"),
            &app.manager,
            "cases",
            "/id",
        )
        .await;
        assert_eq!(walked, all_cases, "cases by {size}");
        let walked = walk(
            &app,
            &format!("/v1/tokens?limit={size}"),
            &app.admin,
            "tokens",
            "/id",
        )
        .await;
        assert_eq!(walked, all_tokens, "tokens by {size}");
    }
    // the audit log pages too, newest first, each entry once
    let audit = walk(&app, "/v1/audit?limit=3", &app.admin, "entries", "/at").await;
    assert!(audit.len() >= 9, "{audit:?}");

    // a cursor of one list is refused by another, and a made-up one too
    let res = app
        .get("/v1/partners?limit=1", &app.admin)
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    let cursor = body["next_cursor"].as_str().unwrap().to_string();
    for path in [
        format!("/v1/tokens?cursor={cursor}"),
        "/v1/partners?cursor=bm9uc2Vuc2U".to_string(),
        format!("/v1/cases?cursor={cursor}&before=x"),
    ] {
        let token = if path.starts_with("/v1/cases") {
            &app.manager
        } else {
            &app.admin
        };
        let res = app.get(&path, token).send().await.unwrap();
        let (code, field) = error_of(res, 400).await;
        assert_eq!(
            (code.as_str(), field.as_deref()),
            ("bad_parameter", Some("cursor")),
            "{path}"
        );
    }
    let res = app
        .get("/v1/partners?limit=0", &app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res, 400).await.1.as_deref(), Some("limit"));
}
both!(every_list_walks_by_cursor);
