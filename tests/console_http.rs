//! The console over plain HTTP (SQLite and PostgreSQL): signing in and out, the headers every page
//! carries, a forged form refused, a case manager kept out of the admin pages, sign-in throttled.
//! What a person sees in a browser is in `console_browser.rs`.

mod common;

use common::{Backend, TestApp, spawn_app};
use lookout::store::{Actor, Role};

pub const PASSWORD: &str = "correct horse battery staple";

/// A console account made through the store, as `lookout user create` makes it.
pub async fn account(app: &TestApp, email: &str, role: Role) {
    let hash = lookout::accounts::hash_password(PASSWORD).unwrap();
    app.store
        .create_user(
            email,
            "Casey Manager",
            role,
            &hash,
            &Actor::System("test"),
            chrono::Utc::now(),
        )
        .await
        .unwrap();
}

/// A client that keeps cookies and does not follow redirects, so each step can be looked at.
fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of `name="csrf"` in a page.
fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_string()
}

async fn sign_in(
    app: &TestApp,
    c: &reqwest::Client,
    email: &str,
    password: &str,
) -> reqwest::Response {
    let page = c
        .get(app.url("/sign-in"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    c.post(app.url("/sign-in"))
        .form(&[
            ("csrf", csrf(&page).as_str()),
            ("email", email),
            ("password", password),
            ("next", "/cases"),
        ])
        .send()
        .await
        .unwrap()
}

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
