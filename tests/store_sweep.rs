//! Clean-up: an Idempotency-Key holds for a day and is free after the sweep; a closed case's cached
//! posters are removed when it is resolved, and a late one by the sweep.

mod common;

use common::{Backend, case_doc, error_of, json_of, spawn_app};
use lookout::store::{CachedPoster, CaseId};
use sqlx::Connection;

async fn cached_posters_of(database_url: &str, id: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM poster_cache WHERE case_id = $1")
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    conn.close().await.unwrap();
    n
}

async fn keys_expire_and_closed_cases_leave_the_cache(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let photo = app.photo(3).await;
    let post = |doc: serde_json::Value| {
        app.post_json("/v1/cases", &app.manager, &doc)
            .header("idempotency-key", "sweep-key-1")
            .send()
    };
    let first = json_of(post(case_doc("2026-009001", &photo)).await.unwrap(), 201).await;
    let id = first["id"].as_str().unwrap().to_string();
    // within the day the key belongs to its first request
    let (code, _) = error_of(post(case_doc("2026-009002", &photo)).await.unwrap(), 422).await;
    assert_eq!(code, "idempotency_key_reused");
    let now = chrono::Utc::now();
    let swept = app.store.sweep(now).await.unwrap();
    assert_eq!(swept.idempotency_keys, 0, "a fresh key is kept");
    let swept = app
        .store
        .sweep(now + chrono::Duration::hours(25))
        .await
        .unwrap();
    assert_eq!(swept.idempotency_keys, 1);
    // after it, the key is free
    let second = json_of(post(case_doc("2026-009002", &photo)).await.unwrap(), 201).await;
    assert_ne!(second["id"], first["id"]);

    // a poster is cached under its case, and resolving the case removes it
    let res = app
        .get(&format!("/v1/cases/{id}/posters/letter"), &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(cached_posters_of(&app.database_url, &id).await, 1);
    assert_eq!(app.resolve(&id).await.status(), 200);
    assert_eq!(cached_posters_of(&app.database_url, &id).await, 0);

    // one cached by a render that finished after the close goes at the next sweep
    let case: CaseId = id.parse().unwrap();
    let late = CachedPoster {
        content_type: "application/pdf".into(),
        bytes: b"%PDF-late".to_vec(),
    };
    app.store
        .cache_poster("late-render", case, &late)
        .await
        .unwrap();
    let swept = app.store.sweep(chrono::Utc::now()).await.unwrap();
    assert_eq!(swept.posters, 1);
    assert_eq!(cached_posters_of(&app.database_url, &id).await, 0);
    assert!(
        app.store
            .cached_poster("late-render")
            .await
            .unwrap()
            .is_none()
    );
}
both!(keys_expire_and_closed_cases_leave_the_cache);
