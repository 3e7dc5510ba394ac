//! A case's public page (SQLite and PostgreSQL): served without sign-in at a short address of its
//! own, which the print poster's QR code opens (read back from the PDF with poppler and zbarimg);
//! the poster as an image, its text, `tel:` links, English and Spanish; never indexed. Once the
//! case is resolved the page answers 410 with a thank-you and nothing of the child.
//!
//! Tips: sent through the page (with a photo, kept byte for byte), seen and handled on the console's
//! case page; bad input comes back with every field named and everything typed kept; a bot's
//! hidden field, and a flood from one address, are held back while others still send.

mod common;
#[path = "support/console.rs"]
mod console;
#[path = "common/posters.rs"]
mod posters;
#[path = "support/tips.rs"]
mod tips;

use common::{Backend, TestApp, spawn_app};
use lookout::posters::Format;
use lookout::store::{CaseId, Role, Via};
use tips::send_tip;

async fn get(app: &TestApp, path: &str) -> reqwest::Response {
    reqwest::Client::new()
        .get(app.url(path))
        .send()
        .await
        .unwrap()
}

/// What the QR code of the case's letter poster says, read from the PDF as a phone would.
async fn qr_of_letter_poster(app: &TestApp, id: &str) -> Option<String> {
    let res = app
        .get(&format!("/v1/cases/{id}/posters/letter"), &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    posters::qr_of_pdf(&res.bytes().await.unwrap())
}

async fn the_public_page_shows_the_appeal_until_the_case_ends(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let case = app.create_case("2026-PUBLIC-1").await;
    let id = case["id"].as_str().unwrap().to_string();
    let case_id: CaseId = id.parse().unwrap();
    let code = app.store.public_code(case_id).await.unwrap();
    assert_eq!(code.len(), 10);
    assert!(!code.contains(&id) && !code.contains("PUBLIC"), "{code}");
    assert_eq!(
        app.store.public_code(case_id).await.unwrap(),
        code,
        "one address for good"
    );

    // the console's case page links it
    console::account(&app, "casey@example.org", Role::CaseManager).await;
    let manager = console::signed_in(&app, "casey@example.org").await;
    let (_, html) = console::page(&app, &manager, &format!("/cases/{id}")).await;
    let html = html.replace("&#x2f;", "/");
    assert!(html.contains(&format!("href=\"/c/{code}\"")), "{html}");

    // the print poster's QR code opens it
    if let Some(url) = qr_of_letter_poster(&app, &id).await {
        assert_eq!(url, app.url(&format!("/c/{code}")));
    }

    // anyone may open it, without signing in
    let res = get(&app, &format!("/c/{code}")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["x-robots-tag"],
        "noindex, nofollow, noarchive"
    );
    assert_eq!(res.headers()["content-language"], "en");
    let html = res.text().await.unwrap();
    for want in [
        "Test Child",
        "2026-PUBLIC-1",
        "href=\"tel:15555550100\"",
        "href=\"tel:18008435678\"",
        "In an emergency, call 911.",
        // values written as the poster writes them
        "March 2, 2015",
        "<meta name=\"robots\" content=\"noindex",
        &format!("src=\"/c/{code}/poster.png?lang=en\""),
        &format!("href=\"/c/{code}?lang=es\""),
    ] {
        assert!(html.contains(want), "{want}: {html}");
    }
    assert!(!html.contains(&id), "the case id is not on the page");
    let res = get(&app, &format!("/c/{code}?lang=es")).await;
    assert_eq!(res.headers()["content-language"], "es");
    let html = res.text().await.unwrap();
    assert!(
        html.contains("lang=\"es\"") && html.contains("Desaparecido"),
        "{html}"
    );
    // the Spanish poster's date and hair colour, not the case's ISO date and English word
    assert!(
        html.contains("2 de marzo de 2015") && html.contains("Castaño"),
        "{html}"
    );
    assert!(!html.contains("2015-03-02"), "{html}");
    let res = get(&app, &format!("/c/{code}/poster.png?lang=es")).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(res.bytes().await.unwrap().starts_with(b"\x89PNG"));

    // an address that is not a case's, or not one at all
    for path in ["/c/abcdefghjk", "/c/not-a-code", "/c/abcdefghjk/poster.png"] {
        assert_eq!(get(&app, path).await.status(), 404, "{path}");
    }

    // resolved: a thank-you, nothing of the child, and 410 so it drops out of every index
    assert_eq!(app.resolve(&id).await.status(), 200);
    let res = get(&app, &format!("/c/{code}")).await;
    assert_eq!(res.status(), 410);
    assert_eq!(
        res.headers()["x-robots-tag"],
        "noindex, nofollow, noarchive"
    );
    let html = res.text().await.unwrap();
    assert!(
        html.contains("This appeal is no longer active. Thank you for your help."),
        "{html}"
    );
    for gone in [
        "Test Child",
        "2026-PUBLIC-1",
        "poster.png",
        "tel:",
        "found",
        "Found",
    ] {
        assert!(!html.contains(gone), "{gone} after the close: {html}");
    }
    let res = get(&app, &format!("/c/{code}/poster.png")).await;
    assert_eq!(res.status(), 410);
    assert!(res.bytes().await.unwrap().is_empty());
    let res = get(&app, &format!("/c/{code}?lang=es")).await;
    assert_eq!(res.status(), 410);
    assert!(res.text().await.unwrap().contains("Gracias por su ayuda"));
}
both!(the_public_page_shows_the_appeal_until_the_case_ends);

const SIGHTING: [(&str, &str); 5] = [
    (
        "what",
        "A girl like the one on the poster, red coat, with a tall man",
    ),
    ("where", "Bus stop on King St, heading west"),
    ("when", "within_hour"),
    ("time", "about 3:15 pm"),
    ("phone", "1-555-555-0199"),
];

/// The page in Arabic runs right to left; in Chinese and Korean it says its language.
async fn the_page_in_arabic_runs_right_to_left(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let photo = app.photo(2).await;
    let mut doc = common::case_doc("2026-PUBLIC-AR", &photo);
    doc["languages"] = serde_json::json!(["ar", "zh-Hans", "ko"]);
    let res = app
        .post_json("/v1/cases", &app.manager, &doc)
        .send()
        .await
        .unwrap();
    let case = common::json_of(res, 201).await;
    let case_id: CaseId = case["id"].as_str().unwrap().parse().unwrap();
    let code = app.store.public_code(case_id).await.unwrap();
    let res = get(&app, &format!("/c/{code}")).await;
    assert_eq!(res.headers()["content-language"], "ar");
    let html = res.text().await.unwrap();
    assert!(html.contains("<html lang=\"ar\" dir=\"rtl\">"), "{html}");
    assert!(
        html.contains(">انتقل إلى المحتوى</a>"),
        "the skip link in Arabic: {html}"
    );
    assert!(
        html.contains("Test Child") && html.contains("2026-PUBLIC-AR"),
        "{html}"
    );
    for (lang, word) in [("zh-Hans", "失踪"), ("ko", "실종")] {
        let res = get(&app, &format!("/c/{code}?lang={lang}")).await;
        assert_eq!(res.headers()["content-language"], lang);
        let html = res.text().await.unwrap();
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{html}");
        assert!(html.contains(word), "{lang}: {html}");
    }
    let res = get(&app, &format!("/c/{code}/poster.png?lang=ar")).await;
    assert_eq!(res.status(), 200);
}
both!(the_page_in_arabic_runs_right_to_left);

async fn a_tip_reaches_the_case_managers(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let case = app.create_case("2026-TIPS-1").await;
    let id = case["id"].as_str().unwrap().to_string();
    let case_id: CaseId = id.parse().unwrap();
    let code = app.store.public_code(case_id).await.unwrap();
    let via = app
        .store
        .via_code(&Via {
            partner_id: "test-partner".into(),
            location_ref: "s1".into(),
            format: Format::Letter,
        })
        .await
        .unwrap();
    let public = reqwest::Client::new();
    // the page carries the form, and what the QR code said it came from
    let html = get(&app, &format!("/c/{code}?from={via}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        html.contains(&format!("action=\"/c/{code}/tips\"")),
        "{html}"
    );
    assert!(
        html.contains(&format!("name=\"from\" value=\"{via}\"")),
        "{html}"
    );

    // an urgent sighting with a photo, kept byte for byte
    let photo = lookout::app::portrait_jpeg(7);
    let mut sighting = SIGHTING.to_vec();
    sighting.push(("from", &via));
    let (status, html) = send_tip(
        &public,
        &app,
        &code,
        &sighting,
        Some(("IMG_0001.JPG", &photo)),
    )
    .await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("id=\"tip-received\""), "{html}");
    assert!(html.contains("tel:18008435678"), "the hotline: {html}");
    let tips = app.store.tips(case_id).await.unwrap();
    assert_eq!(tips.len(), 1);
    let tip = &tips[0];
    assert!(tip.urgent && tip.has_photo && !tip.after_close);
    assert_eq!(tip.case_version, 1);
    assert_eq!(tip.source.as_deref(), Some(via.as_str()));
    assert_eq!(tip.time.as_deref(), Some("about 3:15 pm"));

    // the case managers see it, its photo as sent, and handle it
    console::account(&app, "casey@example.org", Role::CaseManager).await;
    let c = console::signed_in(&app, "casey@example.org").await;
    let (_, list) = console::page(&app, &c, "/cases").await;
    assert!(list.contains("1 new tip"), "{list}");
    let (_, page) = console::page(&app, &c, &format!("/cases/{id}")).await;
    for want in [
        "Urgent: seen within the last hour.",
        "Bus stop on King St",
        "Test Partner, location s1, letter poster",
        &format!("/cases/{id}/tips/{}/photo", tip.id),
    ] {
        assert!(page.contains(want), "{want}: {page}");
    }
    let res = c
        .get(app.url(&format!("/cases/{id}/tips/{}/photo", tip.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.bytes().await.unwrap().as_ref(), photo.as_slice());
    let stranger = console::client()
        .get(app.url(&format!("/cases/{id}/tips/{}/photo", tip.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(stranger.status(), 303, "never without sign-in");
    let (status, _) = console::post_form(
        &app,
        &c,
        &format!("/cases/{id}"),
        &format!("/cases/{id}/tips/{}", tip.id),
        &[
            ("state", "forwarded"),
            ("note", "Passed to Det. Sample by phone"),
        ],
    )
    .await;
    assert_eq!(status, 303);
    let (_, page) = console::page(&app, &c, &format!("/cases/{id}")).await;
    assert!(page.contains("Passed to Det. Sample by phone"), "{page}");
    assert!(
        page.contains("<option value=\"forwarded\" selected>"),
        "{page}"
    );
    let (_, list) = console::page(&app, &c, "/cases").await;
    assert!(!list.contains("new tip"), "{list}");

    // bad input: every problem beside its field, everything typed kept, nothing stored
    let (status, html) = send_tip(&public, &app, &code, &[], None).await;
    assert_eq!(status, 422);
    for e in ["tip-what-error", "tip-where-error", "tip-when-error"] {
        assert!(html.contains(&format!("id=\"{e}\"")), "{e}: {html}");
    }
    let long = "x".repeat(5000);
    let (status, html) = send_tip(
        &public,
        &app,
        &code,
        &[("what", &long), ("where", "Main St"), ("when", "today")],
        Some(("notes.pdf", b"%PDF-1.7 not a photo")),
    )
    .await;
    assert_eq!(status, 422);
    assert!(html.contains("id=\"tip-what-error\"") && html.contains("id=\"tip-photo-error\""));
    assert!(html.contains("value=\"Main St\""), "kept: {html}");
    assert!(html.contains("value=\"today\" checked"), "kept: {html}");
    let big = vec![0xFFu8; 17_000_000];
    let (status, html) = send_tip(&public, &app, &code, &SIGHTING, Some(("big.jpg", &big))).await;
    assert_eq!(status, 422, "{}", &html[..html.len().min(400)]);
    assert!(html.contains("larger than 15 MB"), "{html}");
    assert!(html.contains("Bus stop on King St"), "kept: {html}");
    assert_eq!(app.store.tips(case_id).await.unwrap().len(), 1);

    // a filled hidden field is a bot: thanked, nothing kept
    let mut trapped = SIGHTING.to_vec();
    trapped.push(("website", "http://spam.example"));
    let (status, _) = send_tip(&public, &app, &code, &trapped, None).await;
    assert_eq!(status, 200);
    assert_eq!(app.store.tips(case_id).await.unwrap().len(), 1);

    // after the close a tip is still kept, and the sender told the appeal has ended
    assert_eq!(app.resolve(&id).await.status(), 200);
    let (status, html) = send_tip(&public, &app, &code, &SIGHTING, None).await;
    assert_eq!(status, 200);
    assert!(html.contains("no longer active"), "{html}");
    let tips = app.store.tips(case_id).await.unwrap();
    assert_eq!(tips.len(), 2);
    assert!(tips[0].after_close);
}
both!(a_tip_reaches_the_case_managers);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_flood_from_one_address_is_held_back_and_others_still_send() {
    let Some(app) = spawn_app(Backend::Sqlite).await else {
        return;
    };
    let case = app.create_case("2026-TIPS-2").await;
    let case_id: CaseId = case["id"].as_str().unwrap().parse().unwrap();
    let code = app.store.public_code(case_id).await.unwrap();
    let flood = reqwest::Client::new();
    let mut held = 0;
    for _ in 0..200 {
        let (status, html) = send_tip(&flood, &app, &code, &SIGHTING, None).await;
        match status {
            200 => {}
            429 => {
                held += 1;
                assert!(html.contains("Too many tips from here just now"), "{html}");
                assert!(html.contains("tel:18008435678"), "{html}");
            }
            other => panic!("{other}: {html}"),
        }
    }
    assert_eq!(held, 200 - 10, "ten tips from one address, then held back");
    assert_eq!(app.store.tips(case_id).await.unwrap().len(), 10);
    // someone else, from another address, still gets through
    let other = reqwest::Client::builder()
        .local_address(std::net::IpAddr::from([127, 0, 0, 2]))
        .build()
        .unwrap();
    let (status, html) = send_tip(&other, &app, &code, &SIGHTING, None).await;
    assert_eq!(status, 200, "{html}");
    assert_eq!(app.store.tips(case_id).await.unwrap().len(), 11);
}
