//! Signing in to the console over plain HTTP, for the console's HTTP tests.

#![allow(dead_code)]

use crate::common::TestApp;
use lookout::store::{Actor, Role};

pub const PASSWORD: &str = "correct horse battery staple";

/// A console account made through the store, as `lookout user create` makes it.
pub async fn account(app: &TestApp, email: &str, role: Role) {
    account_named(app, email, "Casey Manager", role).await
}

pub async fn account_named(app: &TestApp, email: &str, name: &str, role: Role) {
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

/// A client that keeps cookies and does not follow redirects, so each step can be looked at.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The value of `name="csrf"` in a page.
pub fn csrf(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("a form with a token");
    let rest = &html[at + 19..];
    rest[..rest.find('"').unwrap()].to_string()
}

pub async fn sign_in(
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

/// A signed-in client of `email`.
pub async fn signed_in(app: &TestApp, email: &str) -> reqwest::Client {
    let c = client();
    let res = sign_in(app, &c, email, PASSWORD).await;
    assert_eq!(res.status(), 303, "sign-in of {email}");
    c
}

/// GET a console page: its status and HTML.
pub async fn page(app: &TestApp, c: &reqwest::Client, path: &str) -> (u16, String) {
    let res = c.get(app.url(path)).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// POST a form from a page (its token added): the status and the body.
pub async fn post_form(
    app: &TestApp,
    c: &reqwest::Client,
    from: &str,
    to: &str,
    fields: &[(&str, &str)],
) -> (u16, String) {
    let (_, html) = page(app, c, from).await;
    let token = csrf(&html);
    let mut form: Vec<(&str, &str)> = vec![("csrf", token.as_str())];
    form.extend_from_slice(fields);
    let res = c.post(app.url(to)).form(&form).send().await.unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

/// Upload `content` as the file `name` (of type `kind`) through the form of page `from`, as a
/// browser does: the status and the page answered.
pub async fn upload_file(
    app: &TestApp,
    c: &reqwest::Client,
    from: &str,
    to: &str,
    (name, kind, content): (&str, &str, &str),
) -> (u16, String) {
    let (_, html) = page(app, c, from).await;
    let boundary = "----lookout-test-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\
         Content-Type: {kind}\r\n\r\n{content}\r\n--{boundary}--\r\n",
        csrf(&html)
    );
    let res = c
        .post(app.url(to))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}
