//! The partner portal's print packs, location upload and delivery settings over plain HTTP (SQLite
//! and PostgreSQL): a pack is one PDF of every poster that should be up at one location, checked
//! with qpdf and pdftotext; an upload replaces the list and reports each bad row; settings are
//! checked field by field; a test message reaches a loopback receiver that checks its signature,
//! and a rotated secret keeps signing beside the new one until its grace period ends (the
//! injected clock is moved, never slept through).

mod common;
#[path = "support/console.rs"]
mod console;
#[path = "common/posters.rs"]
mod posters;

use std::time::Duration;

use common::receiver::{self, Mode, Receiver};
use common::{Backend, TestApp, spawn_app, spawn_app_on};
use console::{PASSWORD, page, post_form, signed_in, upload_file};
use lookout::partners::{Delivery, PartnerId};
use lookout::store::outbox::timeline;
use lookout::store::{AuditFilter, CaseId};

/// Whether `action` was audited, by a console user.
async fn audited(app: &TestApp, action: &str) -> bool {
    let filter = AuditFilter {
        action: Some(action.into()),
        limit: 10,
        ..AuditFilter::default()
    };
    let entries = app.store.audit_entries(&filter).await.unwrap();
    entries.iter().any(|e| e.actor.starts_with("user:"))
}

/// `partner`'s delivery states for case `id`, in order.
async fn states(app: &TestApp, id: &str, partner: &str) -> Vec<&'static str> {
    let case: CaseId = id.parse().unwrap();
    timeline(&app.store, case)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.partner_id == partner)
        .map(|d| d.state.as_str())
        .collect()
}

async fn a_location_has_a_print_pack_of_its_posters(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.pull_partner(
        "acme",
        &[("s1", "Acme Main Street"), ("s2", "Acme Riverside")],
    )
    .await;
    app.pull_partner("rival", &[("r1", "Rival Depot")]).await;
    let mut ids = Vec::new();
    for number in ["2026-PACK-1", "2026-PACK-2"] {
        let case = app.create_case(number).await;
        let id = case["id"].as_str().unwrap().to_string();
        app.dispatch(&id).await;
        ids.push(id);
    }
    app.partner_user("pat@acme.example", "acme", PASSWORD).await;
    let c = signed_in(&app, "pat@acme.example").await;

    let (_, html) = page(&app, &c, "/portal?location=s1").await;
    assert!(
        html.contains("href=\"/portal/locations/s1/pack.pdf\""),
        "{html}"
    );
    let (_, html) = page(&app, &c, "/portal/locations").await;
    assert!(html.contains("/portal/locations/s2/pack.pdf"), "{html}");

    let res = c
        .get(app.url("/portal/locations/s1/pack.pdf?lang=es"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let disposition = res.headers()["content-disposition"].to_str().unwrap();
    assert!(
        disposition.contains("posters-s1-letter-es.pdf"),
        "{disposition}"
    );
    let pdf = res.bytes().await.unwrap();
    if posters::have("qpdf") {
        let (_dir, path) = posters::write_temp(&pdf, "pdf");
        let (ok, out) = posters::run("qpdf", &["--check", path.to_str().unwrap()]);
        assert!(ok, "qpdf --check: {out}");
        let (_, pages) = posters::run("qpdf", &["--show-npages", path.to_str().unwrap()]);
        assert_eq!(pages.trim(), "2", "one poster a page");
    }
    if posters::have("pdftotext") {
        let text = posters::pdf_text(&pdf);
        assert!(
            text.contains("2026-PACK-1") && text.contains("2026-PACK-2"),
            "{text}"
        );
        assert!(
            text.contains("DESAPARECID") || text.contains("SE BUSCA"),
            "in Spanish: {text}"
        );
    }
    // printed, every poster in the pack is in the partner's hands: its takedown will follow, to
    // each location the poster was for
    for id in &ids {
        assert_eq!(states(&app, id, "acme").await, ["delivered", "delivered"]);
    }

    // another partner's location, a language or format the partner does not take: not found
    for path in [
        "/portal/locations/r1/pack.pdf",
        "/portal/locations/nowhere/pack.pdf",
        "/portal/locations/s1/pack.pdf?lang=fr",
        "/portal/locations/s1/pack.pdf?format=square",
    ] {
        let (status, _) = page(&app, &c, path).await;
        assert_eq!(status, 404, "{path}");
    }

    // once the cases are resolved nothing is to be up: the pack says so on the posters page
    for id in &ids {
        assert_eq!(app.resolve(id).await.status(), 200);
    }
    let res = c
        .get(app.url("/portal/locations/s1/pack.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/portal?location=s1");
}
both!(a_location_has_a_print_pack_of_its_posters);

async fn an_uploaded_location_file_replaces_the_list(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.pull_partner("acme", &[("s1", "Acme Main Street")])
        .await;
    app.pull_partner("rival", &[("r1", "Rival Depot")]).await;
    app.partner_user("pat@acme.example", "acme", PASSWORD).await;
    let c = signed_in(&app, "pat@acme.example").await;
    let upload = |file: (&'static str, &'static str, &'static str)| {
        let (app, c) = (&app, &c);
        async move { upload_file(app, c, "/portal/locations", "/portal/locations", file).await }
    };
    let acme = PartnerId::parse("acme").unwrap();
    let refs = |app: &TestApp| {
        let (store, acme) = (app.store.clone(), acme.clone());
        async move {
            let mut r: Vec<String> = store
                .locations(&acme)
                .await
                .unwrap()
                .into_iter()
                .map(|l| l.reference)
                .collect();
            r.sort();
            r
        }
    };

    let csv = "partner_id,ref,name,lat,lon,reach_m,email\n\
               acme,n1,Acme North,38.90,-77.03,,\n\
               acme,n2,Acme South,38.70,-77.10,,n2@acme.example\n\
               acme,bad,Acme Nowhere,123,-77.0,,\n\
               rival,r9,Rival Sneaky,38.8,-77.0,,\n";
    let (status, html) = upload(("stores.csv", "text/csv", csv)).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"import-report\""), "{html}");
    assert!(
        html.contains("imported 2 locations for 1 partner"),
        "{html}"
    );
    assert!(html.contains("2 bad rows skipped"), "{html}");
    assert!(html.contains("<td>line 4</td>"), "{html}");
    assert!(
        html.contains("<td>line 5</td>") && html.contains("you can only send locations of acme"),
        "another partner's row is a bad row: {html}"
    );
    assert_eq!(refs(&app).await, ["n1", "n2"], "the list is replaced");
    let rival = PartnerId::parse("rival").unwrap();
    assert_eq!(app.store.locations(&rival).await.unwrap().len(), 1);
    assert!(
        html.contains("Acme North") && html.contains("Acme South"),
        "{html}"
    );

    // GeoJSON in the partner format
    let geojson = r#"{"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-77.05, 38.81]},
         "properties": {"partner_id": "acme", "ref": "g1", "name": "Acme Geo"}}]}"#;
    let (status, html) = upload(("stores.geojson", "application/geo+json", geojson)).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(refs(&app).await, ["g1"]);

    // nothing usable, a partner list, an unreadable file or no file: nothing changes
    for (file, says) in [
        (
            (
                "stores.csv",
                "text/csv",
                "partner_id,ref,name,lat,lon\nacme,x,Nowhere,999,0\n",
            ),
            "nothing imported",
        ),
        (
            ("partners.json", "application/json", "[]"),
            "is a partner list, not a location file",
        ),
        (
            ("stores.geojson", "application/geo+json", "{\"type\": "),
            "nothing was changed",
        ),
    ] {
        let (status, html) = upload(file).await;
        assert_eq!(status, 422, "{}: {html}", file.0);
        assert!(html.contains(says), "{says}: {html}");
        assert_eq!(refs(&app).await, ["g1"], "{} changed the list", file.0);
    }
    let (status, html) = upload_file(
        &app,
        &c,
        "/portal/locations",
        "/portal/locations",
        ("", "application/octet-stream", ""),
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("Choose a file"), "{html}");
}
both!(an_uploaded_location_file_replaces_the_list);

async fn settings_are_checked_saved_and_kept_when_wrong(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.pull_partner("acme", &[("s1", "Acme Main Street")])
        .await;
    app.partner_user("pat@acme.example", "acme", PASSWORD).await;
    let c = signed_in(&app, "pat@acme.example").await;
    let (status, html) = page(&app, &c, "/portal/settings").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("value=\"pull\" checked"),
        "the current channel: {html}"
    );
    assert!(
        !html.contains("id=\"webhook-tools\""),
        "no webhook to test yet"
    );

    // every bad value named next to its field, and everything typed kept
    let (status, html) = post_form(
        &app,
        &c,
        "/portal/settings",
        "/portal/settings",
        &[
            ("channel", "email"),
            ("emails", "posters@acme.example\nnot an address"),
            ("formats", "letter"),
        ],
    )
    .await;
    assert_eq!(status, 422, "{html}");
    for id in ["emails-error", "languages-error", "case_types-error"] {
        assert!(html.contains(&format!("id=\"{id}\"")), "{id}: {html}");
    }
    assert!(
        html.contains("posters@acme.example\nnot an address</textarea>"),
        "{html}"
    );
    assert!(html.contains("value=\"email\" checked"), "{html}");
    let stored = |app: &TestApp| {
        let store = app.store.clone();
        async move {
            store
                .partner(&PartnerId::parse("acme").unwrap())
                .await
                .unwrap()
                .unwrap()
                .partner
        }
    };
    assert_eq!(stored(&app).await.delivery, Delivery::Pull(true));

    // a webhook must be https, or plain http inside allow_private_targets
    let (status, html) = post_form(
        &app,
        &c,
        "/portal/settings",
        "/portal/settings",
        &[
            ("channel", "webhook"),
            ("url", "http://hooks.example.org/lookout"),
            ("languages", "en"),
            ("formats", "letter"),
            ("case_types", "endangered_missing"),
        ],
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"url-error\""), "{html}");
    assert!(
        html.replace("&#x2f;", "/")
            .contains("value=\"http://hooks.example.org/lookout\""),
        "{html}"
    );

    // saved: email in Spanish and English, one format, two case types
    let res = {
        let (_, html) = page(&app, &c, "/portal/settings").await;
        c.post(app.url("/portal/settings"))
            .form(&[
                ("csrf", console::csrf(&html).as_str()),
                ("channel", "email"),
                ("emails", "posters@acme.example, night@acme.example"),
                ("languages", "en"),
                ("languages", "es"),
                ("formats", "a4"),
                ("case_types", "endangered_missing"),
                ("case_types", "family_abduction"),
                ("cadence", "weekly"),
                ("day", "monday"),
                ("at", "07:00"),
                ("zone", "America/Chicago"),
            ])
            .send()
            .await
            .unwrap()
    };
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/portal/settings?saved=1");
    let p = stored(&app).await;
    assert_eq!(
        p.delivery,
        Delivery::Email(vec![
            "posters@acme.example".into(),
            "night@acme.example".into()
        ])
    );
    assert_eq!(p.languages.len(), 2);
    assert_eq!(p.formats.len(), 1);
    assert_eq!(p.case_types.len(), 2);
    assert_eq!(
        p.cadence.describe(),
        "every monday at 07:00 (America/Chicago)"
    );
    let (_, html) = page(&app, &c, "/portal/settings?saved=1").await;
    assert!(html.contains("id=\"saved\""), "{html}");
    assert!(
        html.replace("&#x2f;", "/")
            .contains("Now: every monday at 07:00 (America/Chicago)"),
        "{html}"
    );
    // the change is audited, by the partner user
    assert!(
        audited(&app, "partner.update").await,
        "a settings change is audited by its user"
    );
    // a forged form changes nothing
    let res = c
        .post(app.url("/portal/settings"))
        .form(&[("csrf", "forged"), ("channel", "pull")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    assert_eq!(stored(&app).await, p);
    // nothing to ping or rotate without a webhook
    let (status, _) = post_form(&app, &c, "/portal/settings", "/portal/settings/ping", &[]).await;
    assert_eq!(status, 404);
}
both!(settings_are_checked_saved_and_kept_when_wrong);

/// The `ping` requests a receiver got, verified or not.
fn pings(r: &Receiver) -> Vec<(axum::http::HeaderMap, bytes::Bytes)> {
    r.raw()
        .into_iter()
        .filter(|(_, body)| {
            serde_json::from_slice::<serde_json::Value>(body)
                .is_ok_and(|v| v["type"] == "ping" && v["partner_id"] == "hooky")
        })
        .collect()
}

/// The secret the page shows once.
fn shown_secret(html: &str) -> String {
    let at = html
        .find("<code id=\"secret-value\">")
        .expect("the new secret")
        + 24;
    // as the page shows it: base64's `/` is escaped in HTML
    html[at..at + html[at..].find('<').unwrap()].replace("&#x2f;", "/")
}

async fn a_test_message_is_signed_and_a_rotated_secret_has_a_grace_period(backend: Backend) {
    let clock = lookout::clock::ManualClock::starting_now();
    let Some(app) = spawn_app_on(backend, clock.shared(), |_| {}).await else {
        return;
    };
    let hook = Receiver::start().await;
    app.webhook_partner("hooky", &hook.url, (38.8048, -77.0469))
        .await;
    app.partner_user("ops@hooky.example", "hooky", PASSWORD)
        .await;
    let c = signed_in(&app, "ops@hooky.example").await;
    let (_, html) = page(&app, &c, "/portal/settings").await;
    assert!(html.contains("id=\"webhook-tools\""), "{html}");
    assert!(
        !html.contains(receiver::SECRET),
        "the secret is never shown whole: {html}"
    );

    let ping = |c: &reqwest::Client| {
        let (app, c) = (&app, c.clone());
        async move { post_form(app, &c, "/portal/settings", "/portal/settings/ping", &[]).await }
    };
    let (status, html) = ping(&c).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"ping-result\""), "{html}");
    assert!(html.contains("HTTP 204 No Content"), "{html}");
    assert!(html.contains("counts as delivered"), "{html}");
    assert_eq!(hook.count("ping"), 1, "signed with the partner's secret");

    // a new secret: shown once; the old one signs beside it for the grace period
    let (status, html) =
        post_form(&app, &c, "/portal/settings", "/portal/settings/rotate", &[]).await;
    assert_eq!(status, 200, "{html}");
    let secret = shown_secret(&html);
    assert!(
        secret.starts_with("whsec_") && secret != receiver::SECRET,
        "{secret}"
    );
    let (_, html) = ping(&c).await;
    assert!(html.contains("HTTP 204"), "{html}");
    let sent = pings(&hook);
    let (headers, body) = sent.last().unwrap();
    receiver::verified(headers, body).expect("the old secret still signs");
    receiver::verified_with(&secret, headers, body).expect("the new secret signs");
    let (_, html) = page(&app, &c, "/portal/settings").await;
    assert!(
        html.contains("the previous secret also signs until"),
        "{html}"
    );

    // a receiver that does not answer in time: the page says so, and the service stays up
    hook.set(Mode::Hang);
    let (status, html) = ping(&c).await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("no answer after"), "{html}");
    hook.set(Mode::Up);

    // a day later only the new one signs: the receiver still on the old one refuses it (the
    // console session has ended too: a day is longer than its idle limit)
    clock.advance(Duration::from_secs(24 * 3600 + 60));
    let c = signed_in(&app, "ops@hooky.example").await;
    let (_, html) = ping(&c).await;
    assert!(html.contains("HTTP 401 Unauthorized"), "{html}");
    assert!(html.contains("does not count as delivered"), "{html}");
    let sent = pings(&hook);
    let (headers, body) = sent.last().unwrap();
    assert!(receiver::verified(headers, body).is_err());
    receiver::verified_with(&secret, headers, body).expect("the new secret signs");

    for action in ["partner.ping", "partner.rotate_secret"] {
        assert!(audited(&app, action).await, "{action}");
    }
}
both!(a_test_message_is_signed_and_a_rotated_secret_has_a_grace_period);
