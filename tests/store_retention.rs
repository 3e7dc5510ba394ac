//! Retention: with `closed_case_retention_days` set, a closed case's names, photos, places, story
//! and posters are erased once that many days have passed since it closed, by the hourly sweep. Its
//! number, type, dates, outcome and history remain; the API and the console say it was erased; the
//! erasure is audited. Active cases, and cases closed more recently, are left whole. Time is moved
//! by handing the sweep a later "now", never by waiting.

mod common;
#[path = "support/console.rs"]
mod console;

use chrono::{Duration, Utc};
use common::{Backend, TestApp, case_doc, json_of, spawn_app};
use lookout::store::{CaseFilter, PhotoId, Role};
use serde_json::Value;
use sqlx::Connection;

const RETENTION: i64 = 30;

async fn create(app: &TestApp, number: &str, child: &str, photo: &str) -> String {
    let mut doc = case_doc(number, photo);
    doc["children"][0]["name"] = child.into();
    doc["circumstances"] =
        format!("Last seen near the SAMPLE library with {child}'s bicycle.").into();
    let res = app.post("/v1/cases", &app.manager, &doc).await;
    json_of(res, 201).await["id"].as_str().unwrap().to_string()
}

async fn case_json(app: &TestApp, id: &str) -> Value {
    let res = app
        .get(&format!("/v1/cases/{id}"), &app.manager)
        .send()
        .await
        .unwrap();
    json_of(res, 200).await
}

async fn photo_kept(app: &TestApp, photo: &str) -> bool {
    let id: PhotoId = photo.parse().unwrap();
    app.store.photo(&id).await.unwrap().is_some()
}

async fn found_by_name(app: &TestApp, name: &str) -> Vec<String> {
    let filter = CaseFilter {
        search: Some(name.to_string()),
        limit: 10,
        ..CaseFilter::default()
    };
    let found = app.store.list_cases(&filter).await.unwrap();
    found.into_iter().map(|c| c.case_number).collect()
}

/// A delivery row about `case`, as the dispatcher writes them, sent alone or in `digest`.
async fn add_delivery(database_url: &str, id: &str, case: &str, digest: Option<&str>) {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
    sqlx::query(
        "INSERT INTO deliveries (id, partner_id, seq, case_id, location_ref, version, kind, channel, \
         locations, priority, state, attempts, created_at, updated_at, digest_id) \
         VALUES ($1, 'test-partner', (SELECT COALESCE(MAX(seq), 990000) + 1 FROM deliveries), $2, '', \
         1, 'issued', 'email', '[]', 0, 'delivered', 1, '2026-11-20T00:00:00Z', \
         '2026-11-20T00:00:00Z', $3)",
    )
    .bind(id)
    .bind(case)
    .bind(digest)
    .execute(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
}

async fn erasures_audited(database_url: &str, id: &str) -> i64 {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE case_id = $1 AND action = 'case.erase' \
         AND actor = 'system:retention'",
    )
    .bind(id)
    .fetch_one(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    n
}

async fn a_closed_case_is_erased_after_its_retention_period(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let shared = app.photo(11).await;
    let own = app.photo(12).await;
    let closed = create(&app, "2026-RET-01", "Robin Sample-Closed", &shared).await;
    let other = create(&app, "2026-RET-02", "Alex Sample-Other", &own).await;
    let active = create(&app, "2026-RET-03", "Sam Sample-Active", &shared).await;
    // a second version, so every version is erased and not only the current one
    let res = app
        .patch(
            &format!("/v1/cases/{closed}"),
            &app.manager,
            &serde_json::json!({"children": [{
            "name": "Robin Sample-Closed", "aliases": ["Robbie"], "date_of_birth": "2015-03-02",
            "sex": "female", "hair": "Red", "photos": [{"photo_id": shared}]}]}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    // a tip with its sender's number and a photo, sent while the appeal was open
    let closed_id: lookout::store::CaseId = closed.parse().unwrap();
    let tip = lookout::tips::TipForm {
        what: "Saw Robin at the bus stop".into(),
        place: "King St".into(),
        when: "today".into(),
        phone: "1-555-555-0199".into(),
        ..Default::default()
    }
    .check()
    .unwrap();
    let origin = lookout::store::TipOrigin {
        case: closed_id,
        version: 2,
        lang: lookout::cases::Lang::En,
        source: None,
        after_close: false,
    };
    let photo = lookout::store::TipPhoto {
        content_type: "image/jpeg".into(),
        bytes: lookout::app::portrait_jpeg(4),
    };
    app.store
        .add_tip(&origin, &tip, Some(&photo), Utc::now())
        .await
        .unwrap();
    for id in [&closed, &other] {
        assert_eq!(app.resolve(id).await.status(), 200);
    }
    let retention = Some(Duration::days(RETENTION));
    let now = Utc::now();

    // within the period nothing is erased
    lookout::app::sweep_once(
        &app.store,
        now + Duration::days(RETENTION - 1),
        retention,
        None,
    )
    .await;
    let whole = case_json(&app, &closed).await;
    assert!(whole["erased_at"].is_null(), "{whole}");
    assert_eq!(whole["case"]["children"][0]["name"], "Robin Sample-Closed");
    // without a period nothing ever is
    lookout::app::sweep_once(&app.store, now + Duration::days(10 * RETENTION), None, None).await;
    assert!(case_json(&app, &closed).await["erased_at"].is_null());

    // after it, both closed cases are erased, and the active one is untouched
    // a message about the case written as an .eml file (mail without SMTP), and another case's
    // — and a digest that held it with other posters: the digest's file holds the child too
    let ours = "0190d3f2-0000-7000-8000-00000000e1e1";
    add_delivery(&app.database_url, ours, &closed, None).await;
    let digest = "dig_test-partner_20261120T1200Z";
    let in_digest = "0190d3f2-0000-7000-8000-00000000e1e2";
    add_delivery(&app.database_url, in_digest, &closed, Some(digest)).await;
    std::fs::create_dir_all(&app.outbox).unwrap();
    let (ours_file, theirs_file) = (
        app.outbox.join(format!("{ours}.eml")),
        app.outbox.join("someone-else.eml"),
    );
    let digest_file = app.outbox.join(format!("{digest}.eml"));
    std::fs::write(&ours_file, "To: a@x.example\r\n\r\nRobin Sample-Closed").unwrap();
    std::fs::write(&digest_file, "To: a@x.example\r\n\r\nRobin Sample-Closed").unwrap();
    std::fs::write(&theirs_file, "kept").unwrap();
    lookout::app::sweep_once(
        &app.store,
        now + Duration::days(RETENTION + 1),
        retention,
        Some(&app.outbox),
    )
    .await;
    assert!(!ours_file.exists(), "the erased case's mail file is left");
    assert!(
        !digest_file.exists(),
        "the digest that held the case is left"
    );
    assert!(theirs_file.exists(), "another message's file was removed");
    assert_eq!(app.store.tips(closed_id).await.unwrap().len(), 1, "kept");
    for (id, number, name) in [
        (&closed, "2026-RET-01", "Robin Sample-Closed"),
        (&other, "2026-RET-02", "Alex Sample-Other"),
    ] {
        let left = case_json(&app, id).await;
        let text = left.to_string();
        for gone in [
            name,
            "Robbie",
            "bicycle",
            "Alexandria",
            "photo",
            "Found by family",
            "Police",
        ] {
            assert!(!text.contains(gone), "{gone:?} survived: {text}");
        }
        assert!(left["erased_at"].is_string(), "{left}");
        // the tips keep when they came and how they were handled, nothing they said
        for t in app.store.tips(id.parse().unwrap()).await.unwrap() {
            assert!(
                t.what.is_empty() && t.place.is_empty() && t.phone.is_none(),
                "{t:?}"
            );
            assert!(!t.has_photo, "{t:?}");
        }
        assert_eq!(left["case"]["case_number"], number);
        assert_eq!(left["case"]["case_type"], "endangered_missing");
        assert_eq!(left["status"], "resolved");
        assert_eq!(left["resolution"]["outcome"], "found_safe");
        assert!(
            left["case"]["missing_since"].is_string(),
            "the day stays: {left}"
        );
        // every version, not only the current one
        let res = app
            .get(&format!("/v1/cases/{id}/versions/1"), &app.manager)
            .send()
            .await
            .unwrap();
        let first = json_of(res, 200).await.to_string();
        assert!(!first.contains(name), "{first}");
        // the history stays: who changed what, and when
        let res = app
            .get(&format!("/v1/cases/{id}/versions"), &app.manager)
            .send()
            .await
            .unwrap();
        let history = json_of(res, 200).await;
        assert!(
            history["versions"].as_array().unwrap().len() >= 2,
            "{history}"
        );
        assert!(
            found_by_name(&app, name).await.is_empty(),
            "a search by name finds nothing"
        );
        assert_eq!(found_by_name(&app, number).await, vec![number.to_string()]);
        assert_eq!(erasures_audited(&app.database_url, id).await, 1);
    }
    // a photo only erased cases showed is deleted; one an active case shows stays
    assert!(!photo_kept(&app, &own).await);
    assert!(photo_kept(&app, &shared).await);
    let kept = case_json(&app, &active).await;
    assert!(kept["erased_at"].is_null());
    assert_eq!(kept["case"]["children"][0]["name"], "Sam Sample-Active");
    assert_eq!(found_by_name(&app, "Sam Sample-Active").await.len(), 1);

    // a later sweep erases nothing twice
    lookout::app::sweep_once(
        &app.store,
        now + Duration::days(RETENTION + 2),
        retention,
        None,
    )
    .await;
    assert_eq!(erasures_audited(&app.database_url, &closed).await, 1);

    // the console says so, and shows nothing of the child
    console::account(&app, "casey@example.org", Role::CaseManager).await;
    let c = console::signed_in(&app, "casey@example.org").await;
    let (status, html) = console::page(&app, &c, &format!("/cases/{closed}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("id=\"erased\""), "{html}");
    assert!(!html.contains("Robin"), "{html}");
    let (_, list) = console::page(&app, &c, "/cases").await;
    assert!(list.contains("(erased)"), "{list}");
    assert!(!list.contains("Robin"), "{list}");
}
both!(a_closed_case_is_erased_after_its_retention_period);

#[test]
fn the_retention_period_is_checked() {
    let env = std::collections::HashMap::from([(
        "LOOKOUT_CLOSED_CASE_RETENTION_DAYS".to_string(),
        "0".to_string(),
    )]);
    let err = lookout::config::Config::load(None, &env)
        .unwrap_err()
        .to_string();
    assert!(err.contains("closed_case_retention_days"), "{err}");
    let env = std::collections::HashMap::from([(
        "LOOKOUT_CLOSED_CASE_RETENTION_DAYS".to_string(),
        "a year".to_string(),
    )]);
    let err = lookout::config::Config::load(None, &env)
        .unwrap_err()
        .to_string();
    assert!(err.contains("LOOKOUT_CLOSED_CASE_RETENTION_DAYS"), "{err}");
    let env = std::collections::HashMap::from([(
        "LOOKOUT_CLOSED_CASE_RETENTION_DAYS".to_string(),
        "365".to_string(),
    )]);
    let config = lookout::config::Config::load(None, &env).unwrap();
    assert_eq!(config.retention(), Some(Duration::days(365)));
}
