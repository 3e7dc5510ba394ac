//! The public page in a real browser (headless chromium through chromedriver), checked with
//! axe-core: a member of the public opens a case's page as its QR code leads them, switches it to
//! Spanish, sends a tip with the keyboard and mouse, and is thanked; sending on, it is held back
//! after ten with the hotline to call; a case manager finds the tips in the case list and on the
//! case's console page with the poster they came from. Once the case is resolved the page shows
//! the thank-you alone.

#[path = "support/browser.rs"]
mod browser;
mod common;
#[path = "support/console.rs"]
mod console;

use browser::Browser;
use common::{Backend, spawn_app};
use fantoccini::Locator;
use lookout::store::{CaseId, Role};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_of_the_public_sends_a_tip_in_a_browser() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let Some(b) = Browser::start("public").await else {
        return;
    };
    let case = app.create_case("2026-WEB-TIP").await;
    let id = case["id"].as_str().unwrap().to_string();
    let case_id: CaseId = id.parse().unwrap();
    let code = app.store.public_code(case_id).await.unwrap();
    console::account(&app, "casey@example.org", Role::CaseManager).await;

    browser::run(&b, async {
        b.goto(&app.url(&format!("/c/{code}?from=letter.sample-retail")))
            .await;
        b.wait_for_text("Have you seen this child?", 10).await;
        b.accessible().await;
        b.shot("page").await;
        b.click("a[hreflang='es']").await;
        b.wait_for_text("¿Ha visto a este menor?", 10).await;
        b.accessible().await;
        b.click("a[hreflang='en']").await;
        b.wait_for_text("Tell us what you saw", 10).await;

        // an empty form comes back with each field named
        b.click(".tip-form button[type=submit]").await;
        // the browser's own checks stop it first: the required fields say so without a trip
        assert!(b.path().await.starts_with("/c/"));
        let fill = |css: &'static str, text: &'static str| {
            let b = &b;
            async move {
                b.client
                    .find(Locator::Css(css))
                    .await
                    .unwrap()
                    .send_keys(text)
                    .await
                    .unwrap();
            }
        };
        fill("#tip-what", "A girl like the one on the poster, red coat").await;
        fill("#tip-where", "Bus stop on King St").await;
        b.click("input[name=when][value=today]").await;
        fill("#tip-phone", "1-555-555-0199").await;
        b.click(".tip-form button[type=submit]").await;
        b.wait_for_text("Thank you: your tip was received", 10)
            .await;
        b.accessible().await;
        b.shot("thanks").await;
    })
    .await;

    let tips = app.store.tips(case_id).await.unwrap();
    assert_eq!(tips.len(), 1);
    assert_eq!(tips[0].source.as_deref(), Some("letter.sample-retail"));
    assert_eq!(tips[0].lang, "en");

    // the same browser keeps sending: after ten tips it is told plainly to wait, or to call
    browser::run(&b, async {
        for n in 2..=11 {
            b.goto(&app.url(&format!("/c/{code}"))).await;
            b.wait_for_text("Tell us what you saw", 10).await;
            for (css, text) in [
                ("#tip-what", format!("Sighting number {n}")),
                ("#tip-where", "Main St".into()),
            ] {
                b.client
                    .find(Locator::Css(css))
                    .await
                    .unwrap()
                    .send_keys(&text)
                    .await
                    .unwrap();
            }
            b.click("input[name=when][value=earlier]").await;
            b.click(".tip-form button[type=submit]").await;
            let expect = if n <= 10 {
                "Thank you: your tip was received"
            } else {
                "Too many tips from here just now"
            };
            b.wait_for_text(expect, 10).await;
        }
        b.accessible().await;
        b.shot("busy").await;
    })
    .await;
    assert_eq!(app.store.tips(case_id).await.unwrap().len(), 10);

    browser::run(&b, async {
        // the case manager sees it on the case page
        b.goto(&app.url("/sign-in")).await;
        b.keys(&format!("casey@example.org\t{}\n", console::PASSWORD))
            .await;
        b.wait_for_text("Cases", 10).await;
        b.goto(&app.url("/cases")).await;
        b.wait_for_text("10 new tips", 10).await;
        b.accessible().await;
        b.shot("cases").await;
        b.goto(&app.url(&format!("/cases/{id}"))).await;
        b.wait_for_text("10 new tips from the public page", 10)
            .await;
        b.goto(&app.url(&format!("/cases/{id}#tips"))).await;
        b.wait_for_text("Bus stop on King St", 10).await;
        b.wait_for_text("letter.sample-retail", 10).await;
        b.accessible().await;
        b.shot("console-tip").await;
    })
    .await;

    assert_eq!(app.resolve(&id).await.status(), 200);
    browser::run(&b, async {
        b.goto(&app.url(&format!("/c/{code}"))).await;
        b.wait_for_text("This appeal is no longer active", 10).await;
        let html = b.html().await;
        assert!(!html.contains("Test Child"), "{html}");
        b.accessible().await;
        b.shot("ended").await;
    })
    .await;
}
