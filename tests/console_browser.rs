//! The console in a real browser (headless chromium through chromedriver): a case manager signs in
//! by keyboard alone, a wrong password first, finds a case and opens it; an admin page refuses a
//! case manager. Every page is checked with axe-core.

#[path = "support/browser.rs"]
mod browser;
mod common;

use browser::Browser;
use common::receiver::Receiver;
use common::{Backend, spawn_app, spawn_app_with};
use lookout::store::{Actor, Role};

const PASSWORD: &str = "correct horse battery staple";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_manager_signs_in_by_keyboard_and_opens_a_case() {
    // edits are reissued at once, not after the usual quiet minute
    let Some(app) = spawn_app_with(Backend::Sqlite, |c| c.reissue_quiet_secs = 0).await else {
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
        // edit a field: version 2 is saved and reissued to the partner holding version 1
        b.click(&format!("a[href='/cases/{id}/edit']")).await;
        b.wait_for_text("Edit case BROWSER-1", 10).await;
        b.accessible().await;
        set(&b, "children-0-hair", "Black").await;
        b.click("form[action$='/edit'] button[type=submit]").await;
        b.wait_for_text("version 2", 10).await;
        let got = hook.wait_for(2, 20).await;
        assert_eq!(got[1].body["type"], "poster.updated");
        assert_eq!(got[1].body["version"], 2, "{}", got[1].body);
        b.wait_for_text("child 1: hair", 10).await;
        b.shot("case-edited").await;
        // an edit that meets a newer version: the fields only one side changed are merged, and
        // a field both changed is shown with who changed what, to be saved again knowingly
        b.click(&format!("a[href='/cases/{id}/edit']")).await;
        b.wait_for_text("Edit case BROWSER-1", 10).await;
        let res = app
            .patch(
                &format!("/v1/cases/{id}"),
                &app.manager,
                &serde_json::json!({"circumstances": "Seen near the library.",
                                    "children": [{"name": "Test Child", "date_of_birth": "2015-03-02",
                                                  "sex": "female", "hair": "Black", "eyes": "Blue",
                                                  "photos": [{"photo_id": photo_of(&app, &id).await}]}]}),
            )
            .await;
        assert_eq!(res.status(), 200);
        set(&b, "children-0-eyes", "Green").await;
        set(&b, "children-0-clothing", "A red coat").await;
        b.click("form[action$='/edit'] button[type=submit]").await;
        b.wait_for_text("Someone else saved this case", 10).await;
        let html = b.html().await;
        assert!(html.contains("You both changed <strong>child 1: eyes"), "{html}");
        assert!(html.contains("value=\"Green\""), "what was typed is kept: {html}");
        assert!(html.contains("Seen near the library."), "theirs is kept: {html}");
        b.shot("edit-conflict").await;
        b.accessible().await;
        b.click("form[action$='/edit'] button[type=submit]").await;
        b.wait_for_text("version 4", 10).await;
        let saved = app.store.case(id.parse().unwrap()).await.unwrap().unwrap();
        let child = &saved.document.children[0];
        assert_eq!(child.eyes.as_deref(), Some("Green"));
        assert_eq!(child.clothing.as_deref(), Some("A red coat"));
        assert_eq!(
            saved.document.circumstances.as_deref(),
            Some("Seen near the library."),
            "the other edit stays"
        );
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
        hook.wait_event("poster.withdrawn", 20).await;
        let got = hook.arrived();
        assert!(
            got.iter()
                .skip_while(|r| r.body["type"] != "poster.withdrawn")
                .all(|r| r.body["type"] == "poster.withdrawn"),
            "nothing but the takedown after it"
        );
        b.goto(&app.url(&format!("/cases/{id}"))).await;
        b.wait_for_text("badge withdrawn", 10).await;
        // the partner's timeline: every version it was sent, and the takedown
        let html = b.html().await;
        for line in [
            "Version 1 issued by webhook: delivered",
            "Version 2 updated by webhook: delivered",
            "withdrawn by webhook: delivered",
        ] {
            assert!(html.contains(line), "no “{line}” in {html}");
        }
        b.shot("case-resolved").await;
        b.accessible().await;
        // a case manager is refused an admin page
        b.goto(&app.url("/admin/audit")).await;
        b.wait_for_text("Not for your role", 10).await;
    })
    .await;
}

/// The photo id of the case's first child.
async fn photo_of(app: &common::TestApp, id: &str) -> String {
    let case = app.store.case(id.parse().unwrap()).await.unwrap().unwrap();
    match &case.document.children[0].photos[0].source {
        lookout::cases::PhotoSource::Id(p) => p.clone(),
        other => panic!("{other:?}"),
    }
}

/// Set a field's value as a person would leave it (dates and times through their pickers).
async fn set(b: &Browser, id: &str, value: &str) {
    b.client
        .execute(
            "const e = document.getElementById(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('change', {bubbles: true}));",
            vec![id.into(), value.into()],
        )
        .await
        .unwrap_or_else(|e| panic!("{id}: {e}"));
}

async fn upload(b: &Browser, id: &str, photo: &str) {
    let path = format!(
        "{}/tests/fixtures/photos/{photo}",
        env!("CARGO_MANIFEST_DIR")
    );
    b.client
        .find(fantoccini::Locator::Id(id))
        .await
        .unwrap()
        .send_keys(&path)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_example_case_is_made_through_the_form() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let Some(b) = Browser::start("new_case_form").await else {
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
    browser::run(&b, async {
        b.goto(&app.url("/cases/new")).await;
        b.keys(&format!("casey@example.org\t{PASSWORD}\n")).await;
        b.wait_for_text("New case", 10).await;
        assert_eq!(b.path().await, "/cases/new");
        b.accessible().await;
        // sent empty: every required field is named at once, nothing is lost
        b.click("form[action='/cases/new'] button[type=submit]").await;
        b.wait_for_text("required: the child", 10).await;
        b.accessible().await;
        b.shot("errors").await;
        // the example case (shared/spec/case-example.json), field by field, with its three photos
        for (id, value) in [
            ("case_number", "2026-004217"),
            ("case_type", "family_abduction"),
            ("missing_since", "2026-11-18T21:30"),
            ("missing_since_offset", "-05:00"),
            ("missing_from-place", "Alexandria, VA"),
            ("circumstances", "Mara and Tomás were taken by their non-custodial father, Daniel Ortega Ruiz. They may be traveling in a gray Honda Civic and may be in the Baltimore, MD or Harrisburg, PA areas."),
            ("travel", "vehicle"),
            ("children-0-name", "Mara Ortega"),
            ("children-0-aliases", "Mari"),
            ("children-0-date_of_birth", "2015-03-02"),
            ("children-0-sex", "female"),
            ("children-0-race", "Hispanic"),
            ("children-0-height_cm", "132"),
            ("children-0-weight_kg", "29"),
            ("children-0-hair", "Brown"),
            ("children-0-eyes", "Brown"),
            ("children-0-marks", "Small scar above left eyebrow"),
            ("children-0-clothing", "Red winter coat, blue jeans, white sneakers"),
            ("children-1-name", "Tomás Ortega"),
            ("children-1-date_of_birth", "2018-07-19"),
            ("children-1-sex", "male"),
            ("children-1-race", "Hispanic"),
            ("children-1-height_cm", "112"),
            ("children-1-weight_kg", "20"),
            ("children-1-hair", "Black"),
            ("children-1-eyes", "Brown"),
            ("companions-0-role", "abductor"),
            ("companions-0-relation", "father"),
            ("companions-0-name", "Daniel Ortega Ruiz"),
            ("companions-0-date_of_birth", "1986-01-11"),
            ("companions-0-sex", "male"),
            ("companions-0-vehicle-year", "2014"),
            ("companions-0-vehicle-make", "Honda"),
            ("companions-0-vehicle-model", "Civic"),
            ("companions-0-vehicle-color", "gray"),
            ("companions-0-vehicle-plate", "ABC1234"),
            ("companions-0-vehicle-plate_region", "VA"),
            ("destinations-0-place", "Baltimore, MD"),
            ("destinations-1-place", "Harrisburg, PA"),
            ("contact-agency", "Alexandria Police Department"),
            ("contact-phone", "1-703-555-0100"),
            ("contact-region", "VA"),
        ] {
            set(&b, id, value).await;
        }
        b.click("input[name=languages][value=es]").await;
        upload(&b, "children-0-photos-0-file", "mara.jpg").await;
        upload(&b, "children-1-photos-0-file", "tomas.jpg").await;
        upload(&b, "companions-0-photos-0-file", "daniel.jpg").await;
        b.click("form[action='/cases/new'] button[type=submit]").await;
        b.wait_for_text("Case 2026-004217", 30).await;
        let html = b.html().await;
        assert!(html.contains("Mara Ortega, Tomás Ortega"), "{html}");
        assert!(html.contains("/posters/letter.png?lang=en"), "the poster preview is on the page");
        // the poster preview and the targeting map are drawn, not just linked
        for img in [".poster-main img", ".map img"] {
            let mut width = 0;
            for _ in 0..100 {
                width = b
                    .client
                    .execute(
                        "const i = document.querySelector(arguments[0]); return i && i.complete ? i.naturalWidth : 0;",
                        vec![img.into()],
                    )
                    .await
                    .unwrap()
                    .as_u64()
                    .unwrap_or(0);
                if width > 0 {
                    break;
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            assert!(width > 0, "{img} shows nothing");
        }
        assert!(html.contains("partners are inside the region now"), "targeting previewed");
        b.shot("made").await;
        b.accessible().await;
    })
    .await;
    // the case as stored: the places were found, the photos saved upright
    let cases = app
        .store
        .list_cases(&lookout::store::CaseFilter {
            limit: 5,
            ..Default::default()
        })
        .await
        .unwrap();
    let id: lookout::store::CaseId = cases[0].id.parse().unwrap();
    let case = app.store.case(id).await.unwrap().unwrap().document;
    assert_eq!(case.children.len(), 2);
    assert_eq!(case.companions.len(), 1);
    assert_eq!(case.destinations.len(), 2);
    assert!(
        (case.missing_from.lat - 38.80).abs() < 0.05,
        "{:?}",
        case.missing_from
    );
}

/// Tab until the element with `id` has the focus, as a keyboard user would.
async fn tab_to(b: &Browser, id: &str) {
    for _ in 0..200 {
        let at = b
            .client
            .execute(
                "return document.activeElement && document.activeElement.id;",
                vec![],
            )
            .await
            .unwrap();
        if at.as_str() == Some(id) {
            return;
        }
        b.tab().await;
    }
    panic!("Tab never reached #{id}");
}

async fn value_of(b: &Browser, id: &str) -> String {
    b.client
        .execute(
            "return document.getElementById(arguments[0]).value;",
            vec![id.into()],
        )
        .await
        .unwrap()
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_case_is_made_by_keyboard_alone() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let Some(b) = Browser::start("keyboard_case").await else {
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
    let photo = format!(
        "{}/tests/fixtures/photos/mara.jpg",
        env!("CARGO_MANIFEST_DIR")
    );
    browser::run(&b, async {
        b.goto(&app.url("/cases/new")).await;
        b.keys(&format!("casey@example.org\t{PASSWORD}\n")).await;
        b.wait_for_text("New case", 10).await;
        // from the top of the page: the skip link, then into the form
        b.keys("\t\n").await;
        tab_to(&b, "case_number").await;
        b.keys("KEY-1").await;
        tab_to(&b, "missing_since").await;
        b.keys("11182026\t0930P").await;
        assert_eq!(value_of(&b, "missing_since").await, "2026-11-18T21:30");
        tab_to(&b, "missing_from-place").await;
        b.keys("Alexandria, VA").await;
        tab_to(&b, "children-0-name").await;
        b.keys("Sam Sample").await;
        tab_to(&b, "children-0-date_of_birth").await;
        b.keys("03022015").await;
        assert_eq!(value_of(&b, "children-0-date_of_birth").await, "2015-03-02");
        tab_to(&b, "children-0-sex").await;
        b.keys("f").await;
        assert_eq!(value_of(&b, "children-0-sex").await, "female");
        tab_to(&b, "children-0-photos-0-file").await;
        // the file picker is the system's; WebDriver types the path into the focused input
        b.client
            .active_element()
            .await
            .unwrap()
            .send_keys(&photo)
            .await
            .unwrap();
        tab_to(&b, "contact-agency").await;
        b.keys("Sample Police").await;
        tab_to(&b, "contact-phone").await;
        b.keys("1-555-555-0100\n").await;
        b.wait_for_text("Case KEY-1", 30).await;
        b.accessible().await;
    })
    .await;
}
