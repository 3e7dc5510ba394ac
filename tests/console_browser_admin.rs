//! The console's other pages in a real browser (headless chromium through chromedriver), each
//! looked at and checked with axe-core: the test send's page, a send waiting for a second case
//! manager, and the administrator's partners (a disabled one enabled, a file imported through the
//! file picker), people and tokens; and the case pages at tablet width without sideways scrolling.

#[path = "support/browser.rs"]
mod browser;
mod common;

use browser::Browser;
use common::receiver::{Mode, Receiver};
use common::{Backend, spawn_app_with};
use lookout::store::{Actor, Role};

const PASSWORD: &str = "correct horse battery staple";

async fn account(app: &common::TestApp, email: &str, name: &str, role: Role) {
    let hash = lookout::accounts::hash_password(PASSWORD).unwrap();
    app.store
        .create_user(
            email,
            name,
            role,
            &hash,
            &Actor::System("test"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
}

async fn sign_in(b: &Browser, app: &common::TestApp, email: &str) {
    b.goto(&app.url("/sign-in")).await;
    b.keys(&format!("{email}\t{PASSWORD}\n")).await;
    b.wait_for_text("Sign out", 10).await;
}

async fn sign_out(b: &Browser) {
    b.click("form.signout button[type=submit]").await;
    b.wait_for_text("Sign in", 10).await;
}

/// No sideways scrolling at this width.
async fn fits(b: &Browser, what: &str) {
    let overflow = b
        .client
        .execute(
            "return document.documentElement.scrollWidth - document.documentElement.clientWidth;",
            vec![],
        )
        .await
        .unwrap()
        .as_i64()
        .unwrap();
    assert!(overflow <= 0, "{what} scrolls sideways by {overflow} px");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_other_pages_are_usable_and_accessible() {
    let Some(app) = spawn_app_with(Backend::Sqlite, |c| c.dispatch_approval = true).await else {
        return;
    };
    let Some(b) = Browser::start("other_pages").await else {
        return;
    };
    account(&app, "ana@example.org", "Ana Asker", Role::CaseManager).await;
    account(&app, "bo@example.org", "Bo Approver", Role::CaseManager).await;
    account(&app, "root@example.org", "Robin Admin", Role::Admin).await;
    let hook = Receiver::start().await;
    app.webhook_partner("gone-mart", &hook.url, (38.8101, -77.0647))
        .await;
    hook.set(Mode::Status(410));
    let case = app.create_case("PAGES-1").await;
    let id = case["id"].as_str().unwrap().to_string();
    browser::run(&b, async {
        sign_in(&b, &app, "ana@example.org").await;
        // the test send: its own page, and the email goes to Ana alone
        b.goto(&app.url(&format!("/cases/{id}/test"))).await;
        b.wait_for_text("Send a TEST of case PAGES-1 to yourself", 10).await;
        b.accessible().await;
        b.shot("test-send").await;
        b.click("form[action$='/test'] button[type=submit]").await;
        b.wait_for_text("The TEST went to ana@example.org only", 20).await;
        b.accessible().await;
        // a first send asks for approval
        b.goto(&app.url(&format!("/cases/{id}/send"))).await;
        b.wait_for_text("A second case manager approves this send", 10).await;
        b.click("form[action$='/send'] button[type=submit]").await;
        b.wait_for_text("Waiting for approval to send", 10).await;
        b.accessible().await;
        b.shot("waiting-for-approval").await;
        // the case pages at tablet width
        b.client.set_window_size(768, 1024).await.unwrap();
        for path in ["/cases".to_string(), format!("/cases/{id}"), "/cases/new".into()] {
            b.goto(&app.url(&path)).await;
            b.wait_for_text("Sign out", 10).await;
            fits(&b, &path).await;
        }
        b.shot("tablet-case-form").await;
        b.client.set_window_size(1280, 1000).await.unwrap();
        sign_out(&b).await;
        sign_in(&b, &app, "bo@example.org").await;
        b.goto(&app.url(&format!("/cases/{id}"))).await;
        b.wait_for_text("Ana Asker asked", 10).await;
        b.click("form[action$='/approve'] button[type=submit]").await;
        hook.wait_event("poster.issued", 20).await;
        sign_out(&b).await;
        // the partner's endpoint said it is gone: disabled, shown, enabled
        sign_in(&b, &app, "root@example.org").await;
        b.goto(&app.url("/admin/partners")).await;
        let mut shown = false;
        for _ in 0..50 {
            if b.html().await.contains("1 partner is disabled") {
                shown = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            b.goto(&app.url("/admin/partners")).await;
        }
        assert!(shown, "the disabled partner is not shown");
        b.accessible().await;
        b.shot("partners").await;
        b.click("a[href='/admin/partners/gone-mart']").await;
        b.wait_for_text("Enable gone-mart Stores", 10).await;
        b.accessible().await;
        b.shot("partner").await;
        hook.set(Mode::Up);
        b.click("form[action$='/enable'] button[type=submit]").await;
        // the form posts back to the same page: wait for the page without the button
        b.wait_for_no_text("Enable gone-mart Stores", 10).await;
        b.wait_for_text("Locations (1)", 10).await;
        // a location file through the file picker: the bad row reported by line
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("stores.csv");
        std::fs::write(
            &file,
            "partner_id,ref,name,lat,lon\ngone-mart,s1,Store 1,38.81,-77.06\ngone-mart,s2,Store 2,95,-77.06\n",
        )
        .unwrap();
        b.goto(&app.url("/admin/partners/import")).await;
        b.wait_for_text("Import a partner file", 10).await;
        b.accessible().await;
        b.client
            .find(fantoccini::Locator::Id("file"))
            .await
            .unwrap()
            .send_keys(file.to_str().unwrap())
            .await
            .unwrap();
        b.click("form[action$='/import'] button[type=submit]").await;
        b.wait_for_text("1 bad row skipped", 10).await;
        assert!(b.html().await.contains("line 3"));
        b.accessible().await;
        b.shot("import-report").await;
        // people: an account made with a one-time password shown once
        b.goto(&app.url("/admin/users")).await;
        b.click("#new-email").await;
        b.keys("cam@example.org\tCam New\n").await;
        b.wait_for_text("Its one-time password, shown only now", 10).await;
        b.accessible().await;
        b.shot("users").await;
        // tokens: made, shown once, revoked
        b.goto(&app.url("/admin/tokens")).await;
        b.click("#token-label").await;
        b.keys("case system\n").await;
        b.wait_for_text("Its secret, shown only now", 10).await;
        b.accessible().await;
        b.shot("tokens").await;
        b.goto(&app.url("/admin/audit")).await;
        b.wait_for_text("case.dispatch_approved", 10).await;
        b.accessible().await;
        // a page nothing serves
        b.goto(&app.url("/no-such-page")).await;
        b.wait_for_text("There is nothing here", 10).await;
    })
    .await;
    let mails = std::fs::read_dir(&app.outbox).unwrap().count();
    assert_eq!(mails, 1, "one test email, written to the outbox");
}
