//! Every lead reaches the people who act on it, and is traced to the poster that brought it
//! (SQLite and PostgreSQL, a real SMTP server on 127.0.0.1, the QR code read with poppler and
//! zbarimg):
//! - a partner's print poster carries its own via code in its QR code, and a per-location
//!   partner's carries its store's; the code says nothing by itself;
//! - a visit through that code and a tip sent with it are counted for the partner and store;
//! - an urgent sighting goes to the case managers at once; a case manager forwards a tip to the
//!   agency's address on the case, with its photo as sent, through the outbox;
//! - the case page and the partner's page show posters delivered, visits and tips.

mod common;
#[path = "support/console.rs"]
mod console;
#[path = "common/posters.rs"]
mod posters;
#[path = "support/smtp.rs"]
mod smtp;
#[path = "support/tips.rs"]
mod tips;

use std::time::Duration;

use common::{Backend, TestApp, spawn_app_with};
use lookout::posters::Format;
use lookout::store::{Actor, CaseId, Role, Via};
use serde_json::{Value, json};

const AGENCY: &str = "tips@police.sample.example";

/// The feed of the partner behind `token`, once it has something.
async fn feed(app: &TestApp, token: &str) -> Vec<Value> {
    for _ in 0..100 {
        let res = app
            .get("/partner/v1/deliveries?after=0", token)
            .send()
            .await
            .unwrap();
        let body: Value = common::json_of(res, 200).await;
        let items = body["deliveries"].as_array().unwrap().clone();
        if !items.is_empty() {
            return items;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("nothing reached the partner's feed");
}

/// The SMTP server's messages once it holds `n`.
async fn inbox(server: &smtp::SmtpServer, n: usize) -> Vec<smtp::Received> {
    for _ in 0..200 {
        let got = server.inbox();
        if got.len() >= n {
            return got;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("expected {n} emails, got {}", server.inbox().len());
}

/// A message's text with quoted-printable soft breaks and `=3D` undone.
fn unfold(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw)
        .replace("=\r\n", "")
        .replace("=3D", "=")
}

/// The via code the QR code of `pdf` carries, with the page it opens.
fn via_of(pdf: &[u8], app: &TestApp, code: &str) -> Option<String> {
    let url = posters::qr_of_pdf(pdf)?;
    let page = app.url(&format!("/c/{code}?from="));
    assert!(url.starts_with(&page), "{url} opens {page}…");
    Some(url[page.len()..].to_string())
}

async fn leads_are_traced_and_reach_the_investigators(backend: Backend) {
    let server = smtp::SmtpServer::start(2);
    let url = server.url();
    let Some(app) = spawn_app_with(backend, |c| {
        c.smtp_url = Some(lookout::config::Secret::new(url))
    })
    .await
    else {
        return;
    };
    console::account(&app, "casey@example.org", Role::CaseManager).await;
    // the test partner takes posters partner-wide; Sample Retail one per store
    app.put_locations(
        "test-partner",
        json!([{"ref": "P1", "name": "Test store", "lat": 38.81, "lon": -77.05}]),
    )
    .await;
    app.pull_partner("sample-retail", &[("s1", "Sample Retail King St")])
        .await;
    let retail_token = app
        .store
        .create_token(
            Role::Partner,
            Some(&lookout::partners::PartnerId::parse("sample-retail").unwrap()),
            None,
            &Actor::System("test"),
        )
        .await
        .unwrap()
        .secret;
    let photo = app.photo(1).await;
    let mut doc = common::case_doc("2026-REACH-1", &photo);
    doc["contact"]["email"] = json!(AGENCY);
    let res = app.post("/v1/cases", &app.manager, &doc).await;
    let case = common::json_of(res, 201).await;
    let id = case["id"].as_str().unwrap().to_string();
    let case_id: CaseId = id.parse().unwrap();
    let code = app.store.public_code(case_id).await.unwrap();
    app.dispatch(&id).await;

    // the store's poster, through the signed link its feed gives: its QR code names the store
    let items = feed(&app, &retail_token).await;
    let item = &items[0];
    assert_eq!(item["locations"], json!(["s1"]));
    let link = item["posters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["format"] == "letter" && p["lang"] == "en")
        .unwrap()["url"]
        .as_str()
        .unwrap()
        .to_string();
    let pdf = app.client.get(&link).send().await.unwrap();
    assert_eq!(pdf.status(), 200);
    let pdf = pdf.bytes().await.unwrap();
    let store_via = app
        .store
        .via_code(&Via {
            partner_id: "sample-retail".into(),
            location_ref: "s1".into(),
            format: Format::Letter,
        })
        .await
        .unwrap();
    if let Some(via) = via_of(&pdf, &app, &code) {
        assert_eq!(via, store_via);
    }
    assert!(!store_via.contains("retail") && !store_via.contains("s1"));

    // the partner-wide poster, through the pull API: its QR code names the partner alone
    let items = feed(&app, &app.partner).await;
    let delivery = items[0]["id"].as_str().unwrap();
    let res = app
        .get(
            &format!("/partner/v1/deliveries/{delivery}/posters/letter"),
            &app.partner,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let partner_pdf = res.bytes().await.unwrap();
    if let Some(via) = via_of(&partner_pdf, &app, &code) {
        let v = app.store.via(&via).await.unwrap().unwrap();
        assert_eq!(
            (v.partner_id.as_str(), v.location_ref.as_str(), v.format),
            ("test-partner", "", Format::Letter)
        );
        assert_ne!(via, store_via);
    }
    // the case managers' own poster carries no partner's code
    let own = app
        .get(&format!("/v1/cases/{id}/posters/letter"), &app.manager)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    if let Some(url) = posters::qr_of_pdf(&own) {
        assert_eq!(url, app.url(&format!("/c/{code}")));
    }

    // someone scans the store's poster, twice, and once a made-up code: counted, no address kept
    let public = reqwest::Client::new();
    for from in [store_via.as_str(), store_via.as_str(), "zzzzzz"] {
        let res = public
            .get(app.url(&format!("/c/{code}?from={from}")))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
    }
    app.visits.flush(&app.store).await.unwrap();
    assert_eq!(app.store.case_visits(case_id).await.unwrap(), 3);

    // an urgent sighting with a photo, sent from the store's poster
    let photo_bytes = lookout::app::portrait_jpeg(3);
    let fields = [
        ("what", "A girl like the one on the poster, red coat"),
        ("where", "Bus stop on King St"),
        ("when", "within_hour"),
        ("phone", "1-555-555-0199"),
        ("from", store_via.as_str()),
    ];
    let attached = Some(("IMG_0001.JPG", photo_bytes.as_slice()));
    let (status, html) = tips::send_tip(&public, &app, &code, &fields, attached).await;
    assert_eq!(status, 200, "{html}");
    let tips = app.store.tips(case_id).await.unwrap();
    assert_eq!(tips.len(), 1);
    let tip = &tips[0];
    assert_eq!(tip.source.as_deref(), Some(store_via.as_str()));

    // the case managers are told at once, without the photo
    let mails = inbox(&server, 1).await;
    assert_eq!(mails[0].to, vec!["casey@example.org".to_string()]);
    let urgent = unfold(&mails[0].data);
    assert!(
        urgent.contains("URGENT sighting, case 2026-REACH-1"),
        "{urgent}"
    );
    assert!(urgent.contains("Bus stop on King St"), "{urgent}");
    assert!(
        !urgent.contains("image/jpeg"),
        "the photo stays behind sign-in"
    );

    // the case page shows where it came from; the case manager forwards it to the agency
    let c = console::signed_in(&app, "casey@example.org").await;
    let (_, page) = console::page(&app, &c, &format!("/cases/{id}")).await;
    for want in [
        "sample-retail stores, location s1, letter poster",
        &format!("Forward to {AGENCY}"),
        "Urgent notice",
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    let (status, _) = console::post_form(
        &app,
        &c,
        &format!("/cases/{id}"),
        &format!("/cases/{id}/tips/{}/forward", tip.id),
        &[("note", "Seen by two people")],
    )
    .await;
    assert_eq!(status, 303);
    let mails = inbox(&server, 2).await;
    let forwarded = &mails[1];
    assert_eq!(forwarded.to, vec![AGENCY.to_string()]);
    let text = unfold(&forwarded.data);
    for want in [
        "Tip for case 2026-REACH-1",
        "Bus stop on King St",
        "1-555-555-0199",
        "Seen by two people",
        "sample-retail stores, location s1, letter poster",
        "image/jpeg",
    ] {
        assert!(text.contains(want), "{want}: {text}");
    }
    // the note went to the agency alone: the tip's own note is the case managers'
    let tips = app.store.tips(case_id).await.unwrap();
    assert_eq!(tips[0].state, lookout::tips::TipState::Forwarded);
    assert_eq!(tips[0].note, None);
    // a second click (or a colleague's) sends nothing twice
    let (status, _) = console::post_form(
        &app,
        &c,
        &format!("/cases/{id}"),
        &format!("/cases/{id}/tips/{}/forward", tip.id),
        &[],
    )
    .await;
    assert_eq!(status, 303);
    let sent = app.store.tip_messages(case_id).await.unwrap();
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|(_, m)| m.state == "sent"), "{sent:?}");
    let (_, page) = console::page(&app, &c, &format!("/cases/{id}")).await;
    assert!(page.contains(&format!("To {AGENCY}: sent")), "{page}");

    // reach: the store's poster brought two visits and the tip
    let reach = app.store.case_reach(case_id).await.unwrap();
    let store = reach
        .iter()
        .find(|r| r.partner_id == "sample-retail" && r.location_ref == "s1")
        .unwrap();
    assert_eq!((store.visits, store.tips), (2, 1), "{reach:?}");
    assert!(page.contains("Posters delivered"), "{page}");
    console::account(&app, "ada@example.org", Role::Admin).await;
    let admin = console::signed_in(&app, "ada@example.org").await;
    let (status, partner) = console::page(&app, &admin, "/admin/partners/sample-retail").await;
    assert_eq!(status, 200);
    assert!(
        partner.contains("2 public page visits, 1 tips"),
        "{partner}"
    );

    // a case without the agency's address: forwarding says what to do, and changes nothing
    let res = app
        .post(
            "/v1/cases",
            &app.manager,
            &common::case_doc("2026-REACH-2", &photo),
        )
        .await;
    let other = common::json_of(res, 201).await;
    let other_id: CaseId = other["id"].as_str().unwrap().parse().unwrap();
    let other_code = app.store.public_code(other_id).await.unwrap();
    let fields = [
        ("what", "Saw her"),
        ("where", "Main St"),
        ("when", "earlier"),
    ];
    let (status, _) = tips::send_tip(&public, &app, &other_code, &fields, None).await;
    assert_eq!(status, 200);
    let other_tip = app.store.tips(other_id).await.unwrap()[0].id.clone();
    let (status, body) = console::post_form(
        &app,
        &c,
        &format!("/cases/{other_id}"),
        &format!("/cases/{other_id}/tips/{other_tip}/forward"),
        &[],
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert!(body.contains("Email for tips"), "{body}");
    assert_eq!(
        app.store.tips(other_id).await.unwrap()[0].state,
        lookout::tips::TipState::New
    );
}
both!(leads_are_traced_and_reach_the_investigators);
