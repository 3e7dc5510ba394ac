//! The console's administration and its optional second-person approval, over plain HTTP on SQLite
//! and PostgreSQL: partners (list, page, map, enable, import with its report), people (accounts
//! with one-time passwords), API tokens (made, used, revoked), and a first dispatch that waits
//! for a second case manager.

mod common;
#[path = "support/console.rs"]
mod console;

use common::receiver::{Mode, Receiver};
use common::{Backend, spawn_app, spawn_app_with};
use console::{account, account_named, page, post_form, sign_in, signed_in};
use lookout::store::{CaseId, Role, outbox};

async fn partners_are_listed_mapped_imported_and_enabled(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "admin@example.org", Role::Admin).await;
    let hook = Receiver::start().await;
    app.webhook_partner("gone-mart", &hook.url, (38.8101, -77.0647))
        .await;
    // the endpoint says it is gone for good: the partner is disabled by the first send
    hook.set(Mode::Status(410));
    let case = app.create_case("ADMIN-1").await;
    app.dispatch(case["id"].as_str().unwrap()).await;
    let mut tries = 0;
    while outbox::partner_health(&app.store, "gone-mart")
        .await
        .unwrap()
        .is_none_or(|h| h.disabled_at.is_none())
    {
        tries += 1;
        assert!(tries < 200, "never disabled");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let c = signed_in(&app, "admin@example.org").await;
    let (status, html) = page(&app, &c, "/admin/partners").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("gone-mart Stores") && html.contains("1 partner is disabled"),
        "{html}"
    );
    let (status, html) = page(&app, &c, "/admin/partners/gone-mart").await;
    assert_eq!(status, 200);
    assert!(html.contains("Enable gone-mart Stores"), "{html}");
    assert!(
        !html.contains(common::receiver::SECRET),
        "the webhook secret is never shown"
    );
    let res = c
        .get(app.url("/admin/partners/gone-mart/map.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    // one dot for its one location (the legend draws its own)
    assert_eq!(res.text().await.unwrap().matches(r#"r="3.2""#).count(), 1);
    hook.set(Mode::Up);
    let (status, _) = post_form(
        &app,
        &c,
        "/admin/partners/gone-mart",
        "/admin/partners/gone-mart/enable",
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let health = outbox::partner_health(&app.store, "gone-mart")
        .await
        .unwrap()
        .unwrap();
    assert!(health.disabled_at.is_none());
    // a location file with one bad row: the good rows are stored, the bad one reported by line
    let csv = "partner_id,ref,name,lat,lon\n\
               gone-mart,s1,Store 1,38.81,-77.06\n\
               gone-mart,s2,Store 2,95,-77.06\n\
               gone-mart,s3,Store 3,38.90,-77.03\n";
    let html = import(&app, &c, "stores.csv", "text/csv", csv).await;
    assert!(
        html.contains("imported 2 locations for 1 partner"),
        "{html}"
    );
    assert!(
        html.contains("line 3") && html.contains("1 bad row skipped"),
        "{html}"
    );
    let id = lookout::partners::PartnerId::parse("gone-mart").unwrap();
    assert_eq!(app.store.locations(&id).await.unwrap().len(), 2);
    // hostile coverage areas are bad rows here as through the API and the command line
    let geojson = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-77.1, 38.7], [1e19, 38.7], [-77.0, 38.8], [-77.1, 38.7]]]},
   "properties": {"partner_id": "gone-mart", "ref": "FAR", "name": "A coordinate of 1e19"}},
  {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-77.1, 38.7], [-77.0, 38.8], [-77.0, 38.7], [-77.1, 38.8], [-77.1, 38.7]]]},
   "properties": {"partner_id": "gone-mart", "ref": "BOW", "name": "A ring that crosses itself"}},
  {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-77.2, 38.7], [-76.9, 38.7], [-76.9, 39.0], [-77.2, 39.0], [-77.2, 38.7]]]},
   "properties": {"partner_id": "gone-mart", "ref": "METRO", "name": "Metro circulation"}}
]}"#;
    let html = import(&app, &c, "areas.geojson", "application/geo+json", geojson).await;
    assert!(
        html.contains("2 bad rows skipped") && html.contains("geometry"),
        "{html}"
    );
    assert_eq!(app.store.locations(&id).await.unwrap().len(), 1);
    let ready = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), 200, "the service answers after the import");
}
both!(partners_are_listed_mapped_imported_and_enabled);

/// Upload a partner file through the console's import page as a browser does; the report page.
async fn import(
    app: &common::TestApp,
    c: &reqwest::Client,
    name: &str,
    kind: &str,
    content: &str,
) -> String {
    let (status, html) = console::upload_file(
        app,
        c,
        "/admin/partners/import",
        "/admin/partners/import",
        (name, kind, content),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    html
}

/// The console's import checks partners as the API and the command line do: a webhook over plain
/// http is a bad row unless `allow_private_targets` (loopback in tests) covers its address.
async fn the_console_import_keeps_webhooks_to_https(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "root@example.org", Role::Admin).await;
    let c = console::signed_in(&app, "root@example.org").await;
    let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    let partners = format!(
        r#"[{{"id": "open-web", "name": "SAMPLE Open", "kind": "retail",
              "delivery": {{"webhook": {{"url": "http://10.1.2.3/hook", "secret": "{secret}"}}}}}},
            {{"id": "local-relay", "name": "SAMPLE Relay", "kind": "retail",
              "delivery": {{"webhook": {{"url": "http://127.0.0.1:9/hook", "secret": "{secret}"}}}}}}]"#
    );
    let html = import(&app, &c, "partners.json", "application/json", &partners).await;
    assert!(html.contains("1 bad row skipped"), "{html}");
    assert!(html.contains("delivery.webhook.url"), "{html}");
    let open = lookout::partners::PartnerId::parse("open-web").unwrap();
    let relay = lookout::partners::PartnerId::parse("local-relay").unwrap();
    assert!(app.store.partner(&open).await.unwrap().is_none());
    assert!(app.store.partner(&relay).await.unwrap().is_some());
}
both!(the_console_import_keeps_webhooks_to_https);

async fn accounts_and_tokens_are_made_and_revoked(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "admin@example.org", Role::Admin).await;
    let c = signed_in(&app, "admin@example.org").await;
    // a bad address is named, and what was typed stays
    let (status, html) = post_form(
        &app,
        &c,
        "/admin/users",
        "/admin/users",
        &[
            ("email", "not an address"),
            ("name", "Robin"),
            ("role", "case_manager"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(
        html.contains("new-email-error") && html.contains("value=\"Robin\""),
        "{html}"
    );
    let (status, html) = post_form(
        &app,
        &c,
        "/admin/users",
        "/admin/users",
        &[
            ("email", "robin@example.org"),
            ("name", "Robin"),
            ("role", "case_manager"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let at = html
        .find("class=\"secret\">")
        .expect("the one-time password is shown")
        + 15;
    let password = &html[at..at + html[at..].find('<').unwrap()];
    let robin = console::client();
    assert_eq!(
        sign_in(&app, &robin, "robin@example.org", password)
            .await
            .status(),
        303
    );
    // a partner token: shown once, it works, and once revoked it does not
    let (status, html) = post_form(
        &app,
        &c,
        "/admin/tokens",
        "/admin/tokens",
        &[("role", "partner"), ("partner", ""), ("label", "x")],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("a partner token names its partner"), "{html}");
    let (status, html) = post_form(
        &app,
        &c,
        "/admin/tokens",
        "/admin/tokens",
        &[
            ("role", "partner"),
            ("partner", "test-partner"),
            ("label", "feed"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    let at = html.find("class=\"secret\">").unwrap() + 15;
    let secret = html[at..at + html[at..].find('<').unwrap()].to_string();
    let feed = "/partner/v1/deliveries?after=0";
    assert_eq!(app.text(feed, &secret).await.0, 200);
    let at = html.find("Token <strong>").unwrap() + 14;
    let id = html[at..at + html[at..].find('<').unwrap()].to_string();
    let (status, _) = post_form(
        &app,
        &c,
        "/admin/tokens",
        "/admin/tokens/revoke",
        &[("id", &id)],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(app.text(feed, &secret).await.0, 401);
    // a case manager sees none of this
    let (status, _) = page(&app, &robin, "/admin/tokens").await;
    assert_eq!(status, 403);
}
both!(accounts_and_tokens_are_made_and_revoked);

async fn a_first_dispatch_waits_for_a_second_case_manager(backend: Backend) {
    let Some(app) = spawn_app_with(backend, |c| c.dispatch_approval = true).await else {
        return;
    };
    account_named(&app, "ana@example.org", "Ana Asker", Role::CaseManager).await;
    account_named(&app, "bo@example.org", "Bo Approver", Role::CaseManager).await;
    let hook = Receiver::start().await;
    app.webhook_partner("near-mart", &hook.url, (38.8101, -77.0647))
        .await;
    let case = app.create_case("APPROVE-1").await;
    let raw = case["id"].as_str().unwrap();
    let id: CaseId = raw.parse().unwrap();
    let ana = signed_in(&app, "ana@example.org").await;
    let (_, html) = page(&app, &ana, &format!("/cases/{raw}/send")).await;
    assert!(
        html.contains("Ask for approval to send to 1 partners"),
        "{html}"
    );
    let send = format!("/cases/{raw}/send");
    let (status, _) = post_form(&app, &ana, &send, &send, &[("states", "")]).await;
    assert_eq!(status, 303);
    assert!(
        outbox::distribution(&app.store, id)
            .await
            .unwrap()
            .is_none(),
        "nothing sent yet"
    );
    // the one who asked cannot approve
    let (_, html) = page(&app, &ana, &format!("/cases/{raw}")).await;
    assert!(
        html.contains("Another case manager must approve it"),
        "{html}"
    );
    let approve = format!("/cases/{raw}/approve");
    let (status, _) = post_form(&app, &ana, &format!("/cases/{raw}"), &approve, &[]).await;
    assert_eq!(status, 303);
    assert!(
        outbox::distribution(&app.store, id)
            .await
            .unwrap()
            .is_none()
    );
    // another can, and it goes
    let bo = signed_in(&app, "bo@example.org").await;
    let (_, html) = page(&app, &bo, &format!("/cases/{raw}")).await;
    assert!(
        html.contains("Ana Asker asked") && html.contains("Approve and send"),
        "{html}"
    );
    let (status, _) = post_form(&app, &bo, &format!("/cases/{raw}"), &approve, &[]).await;
    assert_eq!(status, 303);
    assert!(
        outbox::distribution(&app.store, id)
            .await
            .unwrap()
            .is_some()
    );
    hook.wait_for(1, 20).await;
    let actions: Vec<String> = app
        .store
        .audit_entries(&lookout::store::AuditFilter {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    for a in [
        "case.dispatch_requested",
        "case.dispatch_approved",
        "case.dispatch",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} not in {actions:?}");
    }
}
both!(a_first_dispatch_waits_for_a_second_case_manager);
