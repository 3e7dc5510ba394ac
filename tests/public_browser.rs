//! The public page in a real browser (headless chromium through chromedriver), checked with
//! axe-core: a member of the public opens a case's page as its QR code leads them, switches it to
//! Spanish, sends a tip with the keyboard and mouse, and is thanked; sending on, it is held back
//! after ten with the hotline to call; a case manager finds the tips in the case list and on the
//! case's console page with the partner whose poster they came from, and forwards one to the
//! agency, which a real SMTP server on 127.0.0.1 receives. Once the case is resolved the page
//! shows the thank-you alone.

#[path = "support/browser.rs"]
mod browser;
mod common;
#[path = "support/console.rs"]
mod console;
#[path = "support/smtp.rs"]
mod smtp;

use browser::Browser;
use common::{Backend, spawn_app_with};
use fantoccini::Locator;
use lookout::posters::Format;
use lookout::store::{CaseId, Role, Via};

const AGENCY: &str = "tips@police.sample.example";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_of_the_public_sends_a_tip_in_a_browser() {
    let server = smtp::SmtpServer::start(2);
    let url = server.url();
    let Some(app) = spawn_app_with(Backend::Sqlite, |c| {
        c.smtp_url = Some(lookout::config::Secret::new(url))
    })
    .await
    else {
        return;
    };
    let Some(b) = Browser::start("public").await else {
        return;
    };
    let photo = app.photo(1).await;
    let mut doc = common::case_doc("2026-WEB-TIP", &photo);
    doc["contact"]["email"] = serde_json::json!(AGENCY);
    let case = common::json_of(app.post("/v1/cases", &app.manager, &doc).await, 201).await;
    let id = case["id"].as_str().unwrap().to_string();
    let case_id: CaseId = id.parse().unwrap();
    let code = app.store.public_code(case_id).await.unwrap();
    console::account(&app, "casey@example.org", Role::CaseManager).await;
    // what the test partner's letter poster carries in its QR code (read back in tips_reach.rs)
    let via = app
        .store
        .via_code(&Via {
            partner_id: "test-partner".into(),
            location_ref: String::new(),
            format: Format::Letter,
        })
        .await
        .unwrap();

    browser::run(&b, async {
        b.goto(&app.url(&format!("/c/{code}?from={via}"))).await;
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
    assert_eq!(tips[0].source.as_deref(), Some(via.as_str()));
    let first = tips[0].id.clone();
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
        b.wait_for_text("Test Partner, letter poster", 10).await;
        b.accessible().await;
        b.shot("console-tip").await;
        // forwarded to the agency's address on the case
        b.click(&format!("#tip-{first} form[action$='/forward'] button"))
            .await;
        b.wait_for_text(&format!("To {AGENCY}:"), 10).await;
    })
    .await;
    let mut forwarded = None;
    for _ in 0..200 {
        forwarded = server.inbox().into_iter().find(|m| m.to == [AGENCY]);
        if forwarded.is_some() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let forwarded = forwarded.expect("the agency received the tip");
    let text = String::from_utf8_lossy(&forwarded.data).to_string();
    assert!(text.contains("Bus stop on King St"), "{text}");
    assert!(text.contains("Test Partner, letter poster"), "{text}");
    // the worker records the send just after the server took it
    for _ in 0..200 {
        let sent = app.store.tip_messages(case_id).await.unwrap();
        if sent.iter().any(|(_, m)| m.state == "sent") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    browser::run(&b, async {
        // the page again (not only its anchor, which a browser would scroll to without a load)
        b.goto(&app.url(&format!("/cases/{id}"))).await;
        b.wait_for_text(&format!("To {AGENCY}: sent"), 10).await;
        b.wait_for_text("Reach", 10).await;
        b.accessible().await;
        b.goto(&app.url(&format!("/cases/{id}#tip-{first}"))).await;
        b.shot("console-forwarded").await;
        b.goto(&app.url(&format!("/cases/{id}#reach"))).await;
        b.shot("console-reach").await;
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
