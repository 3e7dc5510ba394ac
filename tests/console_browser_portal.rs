//! The partner portal in a real browser (headless chromium through chromedriver), checked with
//! axe-core: a partner user signs in, lands on its own posters, narrows them to one location, and
//! downloads a poster; another partner's poster is a plain "not found".

#[path = "support/browser.rs"]
mod browser;
mod common;

use browser::Browser;
use common::{Backend, spawn_app};
use fantoccini::Locator;
use lookout::partners::PartnerId;
use lookout::store::Actor;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

async fn pull_partner(app: &common::TestApp, id: &str, stores: &[(&str, &str)]) {
    let body = json!({
        "id": id, "name": format!("{id} stores"), "kind": "retail", "delivery": {"pull": true},
        "per_location": true, "languages": ["en", "es"], "formats": ["letter", "square"]
    });
    let res = app.post("/v1/partners", &app.admin, &body).await;
    assert_eq!(res.status(), 201);
    let locations: Vec<_> = stores
        .iter()
        .enumerate()
        .map(|(i, (r, name))| json!({"ref": r, "name": name, "lat": 38.80 + 0.01 * i as f64, "lon": -77.05}))
        .collect();
    app.put_locations(id, json!(locations)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_works_its_portal_in_a_browser() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let Some(b) = Browser::start("portal").await else {
        return;
    };
    pull_partner(
        &app,
        "acme",
        &[("s1", "Acme Main Street"), ("s2", "Acme Riverside")],
    )
    .await;
    pull_partner(&app, "rival", &[("r1", "Rival Depot")]).await;
    let hash = lookout::accounts::hash_password(PASSWORD).unwrap();
    app.store
        .create_partner_user(
            "pat@acme.example",
            "Pat Partner",
            &PartnerId::parse("acme").unwrap(),
            &hash,
            &Actor::System("test"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let down = common::receiver::Receiver::start().await;
    down.set(common::receiver::Mode::Status(503));
    app.webhook_partner("hooky", &down.url, (38.8048, -77.0469))
        .await;
    app.store
        .create_partner_user(
            "ops@hooky.example",
            "Ops Hooky",
            &PartnerId::parse("hooky").unwrap(),
            &hash,
            &Actor::System("test"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let case = app.create_case("PORTAL-B-1").await;
    let id = case["id"].as_str().unwrap().to_string();
    app.dispatch(&id).await;
    let case: lookout::store::CaseId = id.parse().unwrap();
    let deliveries = lookout::store::outbox::timeline(&app.store, case)
        .await
        .unwrap();
    let theirs = deliveries
        .iter()
        .find(|d| d.partner_id == "rival")
        .unwrap()
        .id
        .clone();

    browser::run(&b, async {
        b.goto(&app.url("/sign-in")).await;
        b.keys(&format!("pat@acme.example\t{PASSWORD}\n")).await;
        b.wait_for_text("Posters to put up", 10).await;
        assert_eq!(b.path().await, "/portal");
        let html = b.html().await;
        assert!(
            html.contains("PORTAL-B-1") && html.contains("Acme Riverside"),
            "{html}"
        );
        assert!(!html.contains("Rival"), "{html}");
        assert!(
            !html.contains("New case"),
            "the console's links are not a partner's"
        );
        b.accessible().await;
        b.shot("posters").await;

        // one location
        let select = b
            .client
            .find(Locator::Css("#filter-location"))
            .await
            .unwrap();
        select.select_by_value("s2").await.unwrap();
        b.click("form.filters button[type=submit]").await;
        b.wait_for_text("1 poster", 10).await;
        assert!(b.path().await.starts_with("/portal"));
        let html = b.html().await;
        assert!(!html.contains("Acme Main Street (s1)</td>"), "{html}");

        // a download, fetched by the page itself: the browser gets the PDF
        let link = b
            .client
            .find(Locator::Css("#posters a[href*='/letter?lang=en']"))
            .await
            .unwrap();
        let href = link.attr("href").await.unwrap().unwrap();
        let got = b
            .client
            .execute_async(
                "const done = arguments[arguments.length - 1];
                 fetch(arguments[0]).then(r => done([r.status, r.headers.get('content-type')]));",
                vec![json!(href)],
            )
            .await
            .unwrap();
        assert_eq!(got, json!([200, "application/pdf"]));

        // another partner's poster is not found, like any address that is not there
        b.goto(&app.url(&format!("/portal/posters/{theirs}/letter")))
            .await;
        b.wait_for_text("Not found", 10).await;
        b.accessible().await;

        // the case is resolved: the poster downloaded is to come down, until confirmed here
        assert_eq!(app.resolve(&id).await.status(), 200);
        b.goto(&app.url("/portal")).await;
        b.wait_for_text("1 poster to take down now", 10).await;
        b.click("a[href='/portal/takedowns']").await;
        b.wait_for_text("Posters to take down", 10).await;
        b.accessible().await;
        b.shot("takedowns").await;
        b.click("#takedowns button[type=submit]").await;
        b.wait_for_text("case PORTAL-B-1 is marked as taken down", 10)
            .await;
        b.wait_for_text("Nothing to take down", 10).await;
        b.accessible().await;

        // my locations, listed and on the map
        b.click("a[href='/portal/locations']").await;
        b.wait_for_text("2 locations, by reference", 10).await;
        b.accessible().await;
        b.shot("locations").await;

        // the delivery log (a pull partner's has no attempts: it fetches)
        b.click("a[href='/portal/log']").await;
        b.wait_for_text("No delivery has been attempted yet", 10)
            .await;
        b.accessible().await;

        // and out again
        b.goto(&app.url("/portal")).await;
        b.click("form.signout button[type=submit]").await;
        b.wait_for_text("Sign in", 10).await;
        assert!(b.path().await.starts_with("/sign-in"));
        b.goto(&app.url("/portal")).await;
        b.wait_for_text("Sign in", 10).await;
        assert!(b.path().await.starts_with("/sign-in"), "the session ended");

        // a webhook partner's log, with the answers its endpoint gave
        b.keys(&format!("ops@hooky.example\t{PASSWORD}\n")).await;
        b.wait_for_text("Posters to put up", 10).await;
        b.goto(&app.url("/portal/log")).await;
        b.wait_for_text("503", 10).await;
        b.accessible().await;
        b.shot("log").await;
    })
    .await;
}
