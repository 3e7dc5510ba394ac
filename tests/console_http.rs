//! The console over plain HTTP (SQLite and PostgreSQL): signing in and out, the headers every page
//! carries, a forged form refused, a case manager kept out of the admin pages, sign-in throttled.
//! What a person sees in a browser is in `console_browser.rs`.

mod common;
#[path = "support/smtp.rs"]
mod smtp;

#[path = "support/console.rs"]
mod console;

use common::{Backend, spawn_app, spawn_app_with};
use console::{PASSWORD, account, client, csrf, sign_in};
use lookout::store::Role;

async fn signing_in_and_out(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "casey@example.org", Role::CaseManager).await;
    let c = client();
    // every page needs sign-in
    let res = c.get(app.url("/cases")).send().await.unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/sign-in?next=%2Fcases");
    // a wrong password: the form again, with what was typed and a clear message
    let res = sign_in(&app, &c, "Casey@Example.org", "wrong password!").await;
    assert_eq!(res.status(), 401);
    let page = res.text().await.unwrap();
    assert!(page.contains("do not match an account"), "{page}");
    assert!(page.contains("value=\"Casey@Example.org\""), "{page}");
    // the right one (the address in any case)
    let res = sign_in(&app, &c, "Casey@Example.org", PASSWORD).await;
    assert_eq!(res.status(), 303);
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let res = c.get(app.url("/cases")).send().await.unwrap();
    assert_eq!(res.status(), 200);
    let h = res.headers().clone();
    let csp = h["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
        "{csp}"
    );
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["cache-control"], "no-store");
    // the page for a path nothing serves, answered outside the console's routes, has them too
    let missing = c.get(app.url("/no-such-page")).send().await.unwrap();
    assert_eq!(missing.status(), 404);
    assert_eq!(
        missing.headers()["content-security-policy"],
        h["content-security-policy"]
    );
    assert_eq!(missing.headers()["x-frame-options"], "DENY");
    let page = res.text().await.unwrap();
    assert!(page.contains("Casey Manager"), "{page}");
    // a forged form (no token) changes nothing
    let res = c
        .post(app.url("/sign-out"))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert!(res.text().await.unwrap().contains("This form has expired"));
    assert_eq!(
        c.get(app.url("/cases")).send().await.unwrap().status(),
        200,
        "still signed in"
    );
    // a case manager is kept out of the admin pages
    let res = c.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(res.status(), 403);
    // signing out ends the session
    let res = c
        .post(app.url("/sign-out"))
        .form(&[("csrf", csrf(&page).as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(c.get(app.url("/cases")).send().await.unwrap().status(), 303);
    // both sign-ins, the failure and the sign-out are in the audit log
    let actions: Vec<String> = app
        .store
        .audit_entries(&lookout::store::AuditFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "console.sign_in",
        "console.sign_in_failed",
        "console.sign_out",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not in {actions:?}");
    }
}
both!(signing_in_and_out);

async fn sign_in_is_throttled_per_account(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "admin@example.org", Role::Admin).await;
    let c = client();
    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, &c, "admin@example.org", "not the password")
                .await
                .status(),
            401
        );
    }
    // even the right password waits now
    let res = sign_in(&app, &c, "admin@example.org", PASSWORD).await;
    assert_eq!(res.status(), 429);
    assert!(res.text().await.unwrap().contains("Too many tries"));
    // another account from the same address is not held back
    account(&app, "other@example.org", Role::Admin).await;
    assert_eq!(
        sign_in(&app, &c, "other@example.org", PASSWORD)
            .await
            .status(),
        303
    );
    // an admin opens the audit log
    assert_eq!(
        c.get(app.url("/admin/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
both!(sign_in_is_throttled_per_account);

async fn a_sign_in_form_without_its_cookie_is_refused(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "casey@example.org", Role::CaseManager).await;
    let res = client()
        .post(app.url("/sign-in"))
        .form(&[
            ("csrf", "x"),
            ("email", "casey@example.org"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
}
both!(a_sign_in_form_without_its_cookie_is_refused);

/// "Send a test to me": one email, to the signed-in case manager alone, TEST in its subject and
/// text; nothing queued for partners; the page cannot be mistaken for the live send.
async fn a_test_send_goes_to_the_case_manager_alone(backend: Backend) {
    let smtp = smtp::SmtpServer::start(1);
    let url = smtp.url();
    let Some(app) = spawn_app_with(backend, |c| {
        c.smtp_url = Some(lookout::config::Secret::new(url))
    })
    .await
    else {
        return;
    };
    account(&app, "casey@example.org", Role::CaseManager).await;
    let case = app.create_case("TEST-SEND-1").await;
    let id = case["id"].as_str().unwrap();
    let c = client();
    assert_eq!(
        sign_in(&app, &c, "casey@example.org", PASSWORD)
            .await
            .status(),
        303
    );
    let page = c
        .get(app.url(&format!("/cases/{id}/test")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("to you alone") && page.contains("No partner receives anything"));
    assert!(!page.contains("This is the live send"), "{page}");
    let res = c
        .post(app.url(&format!("/cases/{id}/test")))
        .form(&[("csrf", csrf(&page).as_str()), ("lang", "en")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        res.text()
            .await
            .unwrap()
            .contains("The TEST went to casey@example.org only")
    );
    let inbox = smtp.inbox();
    assert_eq!(inbox.len(), 1);
    assert_eq!(inbox[0].to, ["casey@example.org"]);
    let raw = String::from_utf8_lossy(&inbox[0].data);
    assert!(
        raw.contains("Subject: [TEST] Missing child poster"),
        "{raw:.600}"
    );
    assert!(
        raw.contains("TEST-TEST-SEND-1-v1.pdf"),
        "the poster is attached, marked"
    );
    // nothing for partners, and the test is in the audit log
    let id: lookout::store::CaseId = id.parse().unwrap();
    assert!(
        lookout::store::outbox::timeline(&app.store, id)
            .await
            .unwrap()
            .is_empty()
    );
    let actions: Vec<String> = app
        .store
        .audit_entries(&lookout::store::AuditFilter {
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert!(actions.iter().any(|a| a == "case.test_send"), "{actions:?}");
    // a language the case is not in is refused by name, and nothing is sent
    let res = c
        .post(app.url(&format!("/cases/{id}/test")))
        .form(&[("csrf", csrf(&page).as_str()), ("lang", "fr")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 422);
    assert_eq!(smtp.inbox().len(), 1);
}
both!(a_test_send_goes_to_the_case_manager_alone);

/// Whole states typed into a case's targeting preview widen it, the map follows, and the send
/// page takes them; an unknown code is named on the page.
async fn states_are_added_from_the_targeting_preview(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "casey@example.org", Role::CaseManager).await;
    let case = app.create_case("STATES-1").await;
    let id = case["id"].as_str().unwrap();
    let c = console::signed_in(&app, "casey@example.org").await;
    let (status, html) = console::page(&app, &c, &format!("/cases/{id}?states=md,+PA")).await;
    assert_eq!(status, 200);
    assert!(html.contains("now: MD, PA"), "{html}");
    assert!(
        html.contains(&format!("/cases/{id}/targeting.svg?states=md%2C+PA")),
        "{html}"
    );
    assert!(
        html.contains(&format!("/cases/{id}/send?states=md%2C+PA")),
        "{html}"
    );
    let (_, send) = console::page(&app, &c, &format!("/cases/{id}/send?states=md%2C+PA")).await;
    assert!(send.contains("value=\"md, PA\""), "{send}");
    let (status, _) =
        console::page(&app, &c, &format!("/cases/{id}/targeting.svg?states=MD")).await;
    assert_eq!(status, 200);
    let (status, html) = console::page(&app, &c, &format!("/cases/{id}?states=ZZ")).await;
    assert_eq!(status, 200);
    assert!(
        html.contains("preview-states-error") && html.contains("ZZ"),
        "{html}"
    );
}
both!(states_are_added_from_the_targeting_preview);

/// A multipart body of text fields and one file, as a browser sends the case form.
fn case_form(csrf: &str, fields: &[(&str, &str)], file: (&str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "----lookout-case-form";
    let mut body = Vec::new();
    let mut part = |head: String, content: &[u8]| {
        body.extend_from_slice(format!("--{boundary}\r\n{head}\r\n\r\n").as_bytes());
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    };
    part(
        "Content-Disposition: form-data; name=\"csrf\"".into(),
        csrf.as_bytes(),
    );
    for (k, v) in fields {
        part(
            format!("Content-Disposition: form-data; name=\"{k}\""),
            v.as_bytes(),
        );
    }
    part(
        format!(
            "Content-Disposition: form-data; name=\"{}\"; filename=\"photo.jpg\"\r\nContent-Type: image/jpeg",
            file.0
        ),
        file.1,
    );
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Send the new-case form with `fields` and `photo` as the first child's photo: the status and page.
async fn post_case_form(
    app: &common::TestApp,
    c: &reqwest::Client,
    csrf: &str,
    fields: &[(&str, &str)],
    photo: &[u8],
) -> (u16, String) {
    let (kind, body) = case_form(csrf, fields, ("children[0].photos[0].file", photo));
    let res = c
        .post(app.url("/cases/new"))
        .header("content-type", kind)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, res.text().await.unwrap())
}

/// Bad uploads come back as the form with the problem beside the photo and everything typed kept;
/// an expired session is sent to sign in; nothing answers 500.
async fn bad_uploads_and_expired_sessions_lose_nothing(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "casey@example.org", Role::CaseManager).await;
    let c = console::signed_in(&app, "casey@example.org").await;
    let (_, page) = console::page(&app, &c, "/cases/new").await;
    let token = csrf(&page);
    let typed = [
        ("case_number", "UPLOAD-1"),
        ("children[0].name", "Sam Sample"),
    ];
    for (bytes, why) in [
        (b"this is not a picture".to_vec(), "not a picture"),
        (vec![0xFF; 26_000_000], "larger than 25 MB"),
    ] {
        let (status, html) = post_case_form(&app, &c, &token, &typed, &bytes).await;
        assert_eq!(status, 422, "{why}: {html:.400}");
        assert!(
            html.contains("children-0-photos-0-error"),
            "{why}: the error is beside the photo"
        );
        if why.starts_with("larger") {
            assert!(html.contains(why), "{html:.2000}");
        }
        assert!(
            html.contains("value=\"Sam Sample\"") && html.contains("value=\"UPLOAD-1\""),
            "{why}: typed values kept"
        );
    }
    // a session that has ended: sent to sign in, never a 500
    let stale = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let res = stale
        .get(app.url("/cases/new"))
        .header("cookie", "lookout_session=expired-or-forged")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert!(
        res.headers()["location"]
            .to_str()
            .unwrap()
            .starts_with("/sign-in")
    );
}
both!(bad_uploads_and_expired_sessions_lose_nothing);

/// A case the posters cannot print (a letter no font has) or cannot hold (a name too wide for a
/// billboard at its smallest size) comes back as the form with the reason beside the name and
/// everything typed kept; no case is made.
async fn an_unprintable_case_is_refused_beside_its_field(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "casey@example.org", Role::CaseManager).await;
    let c = console::signed_in(&app, "casey@example.org").await;
    let (_, page) = console::page(&app, &c, "/cases/new").await;
    let token = csrf(&page);
    let photo = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/photos/mara.jpg"),
    )
    .unwrap();
    let too_wide = format!("SAMPLE {}", "\u{FDFD}".repeat(73));
    for (name, why) in [
        ("SAMPLE ሰላም", "(U+1230) cannot be printed"),
        (too_wide.as_str(), "even at its smallest text size"),
    ] {
        let typed = [
            ("case_number", "PRINT-1"),
            ("case_type", "endangered_missing"),
            ("missing_since", "2026-11-18T21:30"),
            ("missing_since_offset", "-05:00"),
            ("missing_from.place", "Alexandria, VA"),
            ("children[0].name", name),
            ("children[0].date_of_birth", "2015-03-02"),
            ("children[0].sex", "female"),
            ("contact.agency", "Sample Police Department"),
            ("contact.phone", "1-703-555-0100"),
            ("languages", "en"),
        ];
        let (status, html) = post_case_form(&app, &c, &token, &typed, &photo).await;
        assert_eq!(status, 422, "{why}: {html:.600}");
        let beside = html
            .split("id=\"children-0-name-error\"")
            .nth(1)
            .unwrap_or_else(|| panic!("{why}: no error beside the name: {html:.3000}"));
        assert!(
            beside[..beside.len().min(400)].contains(why),
            "{why}: {beside:.400}"
        );
        assert!(
            html.contains("value=\"PRINT-1\"")
                && html.contains("value=\"Sample Police Department\""),
            "{why}: typed values kept"
        );
    }
    let (_, list) = console::page(&app, &c, "/cases").await;
    assert!(!list.contains("PRINT-1"), "no case was made");
}
both!(an_unprintable_case_is_refused_beside_its_field);
