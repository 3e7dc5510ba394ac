//! The console in a real browser (headless chromium through chromedriver): a case manager signs in
//! by keyboard alone, a wrong password first, finds a case and opens it; an admin page refuses a
//! case manager. Every page is checked with axe-core.

#[path = "support/browser.rs"]
mod browser;
mod common;

use browser::Browser;
use common::receiver::Receiver;
use common::{Backend, spawn_app};
use lookout::store::{Actor, Role};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_manager_signs_in_by_keyboard_and_opens_a_case() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let Some(b) = Browser::start("sign_in_and_open_a_case").await else {
        return;
    };
    let hash = lookout::accounts::hash_password(PASSWORD).unwrap();
    app.store
        .create_user(
            "casey@example.org",
            "Casey Manager",
            Role::CaseManager,
            &hash,
            &Actor::System("test"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let case = app.create_case("BROWSER-1").await;
    let id = case["id"].as_str().unwrap().to_string();
    let hook = Receiver::start().await;
    app.webhook_partner("near-mart", &hook.url, (38.8101, -77.0647))
        .await;
    browser::run(&b, async {
        b.goto(&app.url("/cases")).await;
        assert_eq!(b.path().await, "/sign-in");
        b.accessible().await;
        // the email field has the focus: keyboard only, a wrong password first
        b.keys("casey@example.org\twrong password!\n").await;
        b.wait_for_text("do not match an account", 10).await;
        b.shot("sign-in-error").await;
        b.accessible().await;
        b.client
            .find(fantoccini::Locator::Css("#password"))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        b.keys(&format!("{PASSWORD}\n")).await;
        b.wait_for_text("BROWSER-1", 10).await;
        assert_eq!(b.path().await, "/cases");
        b.shot("cases").await;
        b.accessible().await;
        // search by a name on the case
        b.goto(&app.url("/cases?q=test+child")).await;
        b.wait_for_text("BROWSER-1", 10).await;
        b.click(&format!("a[href='/cases/{id}']")).await;
        b.wait_for_text("Versions", 10).await;
        assert!(b.html().await.contains("Test Child"));
        b.shot("case").await;
        b.accessible().await;
        // send: the consequences first, then the live send
        b.click(&format!("a[href='/cases/{id}/send']")).await;
        b.wait_for_text("This is the live send", 10).await;
        assert!(
            b.html().await.contains("<strong>1 partners</strong>"),
            "{}",
            b.html().await
        );
        b.accessible().await;
        b.click("form[action$='/send'] button[type=submit]").await;
        hook.wait_for(1, 20).await;
        b.wait_for_text("Version 1 to 1 partners", 10).await;
        b.goto(&app.url(&format!("/cases/{id}"))).await;
        b.wait_for_text("badge delivered", 10).await;
        b.shot("case-sent").await;
        // resolve: a reason is asked for, then every holder is told
        b.click(&format!("a[href='/cases/{id}/resolve']")).await;
        b.wait_for_text("is told at once to take it down", 10).await;
        b.accessible().await;
        b.click("form[action$='/resolve'] button[type=submit]")
            .await;
        b.wait_for_text("Say why", 10).await;
        b.click("#reason").await;
        b.keys("Found by family").await;
        b.click("form[action$='/resolve'] button[type=submit]")
            .await;
        b.wait_for_text("This case is resolved", 10).await;
        let got = hook.wait_for(2, 20).await;
        assert_eq!(got[1].body["type"], "poster.withdrawn");
        b.goto(&app.url(&format!("/cases/{id}"))).await;
        b.wait_for_text("badge withdrawn", 10).await;
        b.shot("case-resolved").await;
        b.accessible().await;
        // a case manager is refused an admin page
        b.goto(&app.url("/admin/audit")).await;
        b.wait_for_text("Not for your role", 10).await;
    })
    .await;
}
