//! The partner portal in a real browser (headless chromium through chromedriver), checked with
//! axe-core: a partner user signs in, lands on its own posters, narrows them to one location, and
//! downloads a poster; another partner's poster is a plain "not found". A webhook partner prints
//! a location's pack, uploads its location file and reads the report, and sends a test message to
//! a loopback receiver that checks its signature.

#[path = "support/browser.rs"]
mod browser;
mod common;

use browser::Browser;
use common::{Backend, spawn_app};
use fantoccini::Locator;
use serde_json::json;

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_works_its_portal_in_a_browser() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let Some(b) = Browser::start("portal").await else {
        return;
    };
    app.pull_partner(
        "acme",
        &[("s1", "Acme Main Street"), ("s2", "Acme Riverside")],
    )
    .await;
    app.pull_partner("rival", &[("r1", "Rival Depot")]).await;
    app.partner_user("pat@acme.example", "acme", PASSWORD).await;
    let down = common::receiver::Receiver::start().await;
    down.set(common::receiver::Mode::Status(503));
    app.webhook_partner("hooky", &down.url, (38.8048, -77.0469))
        .await;
    app.partner_user("ops@hooky.example", "hooky", PASSWORD)
        .await;
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
        assert_eq!(fetched(&b, &href).await, json!([200, "application/pdf"]));

        // another partner's poster is not found, like any address that is not there
        b.goto(&app.url(&format!("/portal/posters/{theirs}/letter")))
            .await;
        b.wait_for_text("Not found", 10).await;
        b.accessible().await;

        // the case is resolved: the poster downloaded is to come down, at each store it was for,
        // until confirmed here
        assert_eq!(app.resolve(&id).await.status(), 200);
        b.goto(&app.url("/portal")).await;
        b.wait_for_text("2 posters to take down now", 10).await;
        b.click("a[href='/portal/takedowns']").await;
        b.wait_for_text("Posters to take down", 10).await;
        b.accessible().await;
        b.shot("takedowns").await;
        for left in ["1 to take down", "Nothing to take down"] {
            b.click("#takedowns button[type=submit]").await;
            b.wait_for_text("case PORTAL-B-1 is marked as taken down", 10)
                .await;
            b.wait_for_text(left, 10).await;
        }
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

/// What the page fetches at `href`: its status and content type.
async fn fetched(b: &Browser, href: &str) -> serde_json::Value {
    b.client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(arguments[0]).then(r => done([r.status, r.headers.get('content-type')]));",
            vec![json!(href)],
        )
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_partner_prints_uploads_and_tests_its_webhook_in_a_browser() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let Some(b) = Browser::start("portal-settings").await else {
        return;
    };
    let hook = common::receiver::Receiver::start().await;
    app.webhook_partner("hooky", &hook.url, (38.8048, -77.0469))
        .await;
    app.partner_user("ops@hooky.example", "hooky", PASSWORD)
        .await;
    let case = app.create_case("PORTAL-S-1").await;
    app.dispatch(case["id"].as_str().unwrap()).await;
    hook.wait_for(1, 20).await;
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("hooky-stores.csv");
    std::fs::write(
        &csv,
        "partner_id,ref,name,lat,lon,reach_m,email\n\
         hooky,s1,hooky store 1,38.8048,-77.0469,,\n\
         hooky,s2,Hooky Harbour,38.80,-77.04,,\n\
         hooky,s3,Hooky Nowhere,38.80,-777,,\n",
    )
    .unwrap();

    browser::run(&b, async {
        b.goto(&app.url("/sign-in")).await;
        b.keys(&format!("ops@hooky.example\t{PASSWORD}\n")).await;
        b.wait_for_text("Posters to put up", 10).await;

        // the print pack of a location: one PDF
        b.click("a[href='/portal/locations']").await;
        b.wait_for_text("1 location, by reference", 10).await;
        let link = b
            .client
            .find(Locator::Css("#locations a[href$='/pack.pdf']"))
            .await
            .unwrap();
        let href = link.attr("href").await.unwrap().unwrap();
        assert_eq!(href, "/portal/locations/s1/pack.pdf");
        assert_eq!(fetched(&b, &href).await, json!([200, "application/pdf"]));

        // a location file replaces the list; the bad row is reported with its line
        let file = b.client.find(Locator::Css("#file")).await.unwrap();
        file.send_keys(csv.to_str().unwrap()).await.unwrap();
        b.click("form[action='/portal/locations'] button[type=submit]")
            .await;
        b.wait_for_text("imported 2 locations for 1 partner", 10)
            .await;
        let html = b.html().await;
        assert!(
            html.contains("1 bad row skipped") && html.contains("line 4"),
            "{html}"
        );
        assert!(html.contains("Hooky Harbour"), "{html}");
        b.accessible().await;
        b.shot("upload").await;

        // a signed test message, and the receiver's answer
        b.click("a[href='/portal/settings']").await;
        b.wait_for_text("Delivery settings", 10).await;
        b.accessible().await;
        b.shot("settings").await;
        b.client
            .execute(
                "document.getElementById('cadence').scrollIntoView()",
                vec![],
            )
            .await
            .unwrap();
        b.shot("settings-cadence").await;
        b.click("#send-ping").await;
        b.wait_for_text("HTTP 204 No Content", 15).await;
        b.accessible().await;
        b.shot("ping").await;
        assert_eq!(hook.count("ping"), 1, "the receiver verified its signature");

        // a wrong address is named beside its field, and kept as typed
        let url = b.client.find(Locator::Css("#url")).await.unwrap();
        url.clear().await.unwrap();
        url.send_keys("ftp://hooks.example.org").await.unwrap();
        b.click("form[action='/portal/settings'] button[type=submit]")
            .await;
        b.wait_for_text("id=\"url-error\"", 10).await;
        assert!(b.html().await.contains("value=\"ftp://hooks.example.org\""));
        b.accessible().await;
    })
    .await;
}
