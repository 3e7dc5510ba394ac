//! Digests, on SQLite and PostgreSQL, with time moved on an injected clock (never slept through):
//! a daily email partner gets exactly one bulletin for the cases of its period, at its time in its
//! time zone, each case once at its newest version and none resolved before it went out; the
//! bulletin passes qpdf and holds every case number. A weekly webhook partner gets one signed
//! `poster.digest` on its day, and a takedown the moment a case it holds is resolved. A weekly pull
//! partner finds its posters in its feed at the digest time, and a takedown never waits for them.

mod common;
#[path = "common/posters.rs"]
mod posters;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use common::receiver::Receiver;
use common::{Backend, TestApp, json_of, spawn_app_on};
use lookout::clock::ManualClock;
use serde_json::{Value, json};

/// Tuesday 2026-12-01, 09:00 in New York, 08:00 in Chicago.
fn start() -> DateTime<Utc> {
    "2026-12-01T14:00:00Z".parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The `.eml` files written so far, by name.
fn mails(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == "eml"));
    out.sort();
    out
}

fn digest_mails(dir: &Path) -> Vec<PathBuf> {
    let mut m = mails(dir);
    m.retain(|p| p.file_name().unwrap().to_string_lossy().starts_with("dig_"));
    m
}

/// Wait until `check` holds, or fail after `secs`.
async fn until(what: &str, secs: u64, mut check: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !check() {
        assert!(Instant::now() < deadline, "{what}: not within {secs} s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Long enough for the worker to have looked (it looks for digests every second of real time).
async fn a_while() {
    tokio::time::sleep(Duration::from_millis(2500)).await;
}

/// The PDF attached to an `.eml`, read back with Python's own MIME parser.
fn attached_pdf(eml: &Path) -> Vec<u8> {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("attached.pdf");
    let script = "import email, sys\n\
        m = email.message_from_binary_file(open(sys.argv[1], 'rb'))\n\
        pdfs = [p.get_payload(decode=True) for p in m.walk() if p.get_content_type() == 'application/pdf']\n\
        assert len(pdfs) == 1, len(pdfs)\n\
        open(sys.argv[2], 'wb').write(pdfs[0])\n";
    let run = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(eml)
        .arg(&out)
        .output()
        .expect("python3 reads the message back");
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    std::fs::read(out).unwrap()
}

async fn partner(app: &TestApp, body: Value, at: (f64, f64)) {
    let id = body["id"].as_str().unwrap().to_string();
    let res = app.post("/v1/partners", &app.admin, &body).await;
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap());
    app.put_locations(
        &id,
        json!([{"ref": "s1", "name": format!("{id} store 1"), "lat": at.0, "lon": at.1}]),
    )
    .await;
}

async fn new_case(app: &TestApp, number: &str) -> String {
    let case = app.create_case(number).await;
    let id = case["id"].as_str().unwrap().to_string();
    app.dispatch(&id).await;
    id
}

async fn update(app: &TestApp, id: &str, circumstances: &str) {
    let patch = json!({"circumstances": circumstances});
    json_of(
        app.patch(&format!("/v1/cases/{id}"), &app.manager, &patch)
            .await,
        200,
    )
    .await;
}

async fn daily_and_weekly_partners_get_one_digest_each(backend: Backend) {
    let clock = ManualClock::new(start());
    let Some(app) = spawn_app_on(backend, clock.shared(), |_| {}).await else {
        return;
    };
    partner(
        &app,
        json!({
            "id": "daily-mail", "name": "Daily Mail Stores", "kind": "retail",
            "delivery": {"email": ["posters@daily.example"]}, "formats": ["letter"],
            "cadence": {"daily": {"at": "07:00", "time_zone": "America/New_York"}}
        }),
        (38.8048, -77.0469),
    )
    .await;
    let hook = Receiver::start().await;
    partner(
        &app,
        json!({
            "id": "weekly-hook", "name": "Weekly Hook Signs", "kind": "billboard",
            "delivery": {"webhook": {"url": hook.url, "secret": common::receiver::SECRET}},
            "cadence": {"weekly": {"day": "monday", "at": "07:00", "time_zone": "America/Chicago"}}
        }),
        (38.8049, -77.0470),
    )
    .await;

    let a = new_case(&app, "2026-DIG-A").await;
    let b = new_case(&app, "2026-DIG-B").await;
    let c = new_case(&app, "2026-DIG-C").await;
    let d = new_case(&app, "2026-DIG-D").await;
    // A changes twice before the digest: it goes once, at its newest version
    update(&app, &a, "Last seen near the SAMPLE station, first change.").await;
    clock.advance(Duration::from_secs(600));
    update(
        &app,
        &a,
        "Last seen near the SAMPLE station, second change.",
    )
    .await;
    // D ends before the digest: it is left out, and no takedown goes for it
    assert_eq!(app.resolve(&d).await.status(), 200);

    // one minute before 07:00 in New York: nothing has gone yet
    clock.set(at("2026-12-02T11:59:00Z"));
    a_while().await;
    assert!(mails(&app.outbox).is_empty(), "{:?}", mails(&app.outbox));
    assert_eq!(hook.requests().len(), 0, "nothing for the weekly partner");

    // 07:00 in New York: the digest, once
    clock.set(at("2026-12-02T12:00:30Z"));
    until("the daily digest", 20, || {
        !digest_mails(&app.outbox).is_empty()
    })
    .await;
    a_while().await;
    let sent = mails(&app.outbox);
    assert_eq!(sent.len(), 1, "one message, the digest: {sent:?}");
    let eml = &sent[0];
    assert_eq!(
        eml.file_name().unwrap().to_string_lossy(),
        "dig_daily-mail_20261202T1200Z.eml",
        "the digest's own id, at its time"
    );
    let raw = String::from_utf8_lossy(&std::fs::read(eml).unwrap()).into_owned();
    assert!(
        raw.contains("Poster bulletin for Daily Mail Stores"),
        "{raw}"
    );
    assert!(raw.contains("To: posters@daily.example"), "{raw}");
    let pdf = attached_pdf(eml);
    if posters::have("qpdf") {
        let (_dir, path) = posters::write_temp(&pdf, "pdf");
        let (ok, out) = posters::run("qpdf", &["--check", path.to_str().unwrap()]);
        assert!(ok, "qpdf --check: {out}");
        let (_, pages) = posters::run("qpdf", &["--show-npages", path.to_str().unwrap()]);
        assert_eq!(pages.trim(), "4", "a cover and the three posters");
    }
    if posters::have("pdftotext") {
        let text = posters::pdf_text(&pdf);
        for n in ["2026-DIG-A", "2026-DIG-B", "2026-DIG-C"] {
            assert!(text.contains(n), "{n} in the bulletin: {text}");
        }
        assert!(!text.contains("2026-DIG-D"), "resolved before: {text}");
        assert!(text.contains("second change"), "A at its newest: {text}");
        assert!(!text.contains("first change"), "{text}");
    }

    // B is resolved: the daily partner holds it and is told at once; the weekly one never had it
    assert_eq!(app.resolve(&b).await.status(), 200);
    until("the takedown of B", 20, || mails(&app.outbox).len() == 2).await;
    let takedown = mails(&app.outbox).into_iter().find(|p| p != eml).unwrap();
    let raw = String::from_utf8_lossy(&std::fs::read(takedown).unwrap()).into_owned();
    assert!(
        raw.contains("Please remove poster: case 2026-DIG-B"),
        "{raw}"
    );
    a_while().await;
    assert_eq!(
        hook.requests().len(),
        0,
        "no takedown of a poster never sent"
    );

    // Monday 07:00 in Chicago: the weekly digest, one signed message of A and C
    clock.set(at("2026-12-07T13:00:30Z"));
    let digest = hook.wait_event("poster.digest", 20).await;
    assert_eq!(digest.id, "dig_weekly-hook_20261207T1300Z");
    let arrived = hook.wait_for(1, 5).await;
    let body = &arrived[0].body;
    let numbers: Vec<&str> = body["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["case"]["case_number"].as_str().unwrap())
        .collect();
    assert_eq!(numbers.len(), 2, "{body}");
    assert!(numbers.contains(&"2026-DIG-A") && numbers.contains(&"2026-DIG-C"));
    let a_version = body["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["case"]["case_number"] == "2026-DIG-A")
        .unwrap()["version"]
        .as_u64();
    assert_eq!(a_version, Some(3), "A at its newest version");

    // C is resolved: the weekly partner holds it, and the takedown goes at once, whatever the day
    assert_eq!(app.resolve(&c).await.status(), 200);
    hook.wait_event("poster.withdrawn", 20).await;
    assert_eq!(hook.count("poster.digest"), 1, "sent once");
}
both!(daily_and_weekly_partners_get_one_digest_each);

async fn feed(app: &TestApp, after: i64) -> Value {
    json_of(
        app.get(
            &format!("/partner/v1/deliveries?after={after}"),
            &app.partner,
        )
        .send()
        .await
        .unwrap(),
        200,
    )
    .await
}

async fn a_pull_partner_finds_its_digest_in_its_feed(backend: Backend) {
    let clock = ManualClock::new(start());
    let Some(app) = spawn_app_on(backend, clock.shared(), |_| {}).await else {
        return;
    };
    let patch = json!({
        "cadence": {"weekly": {"day": "monday", "at": "07:00", "time_zone": "America/Chicago"}}
    });
    json_of(
        app.patch("/v1/partners/test-partner", &app.admin, &patch)
            .await,
        200,
    )
    .await;
    app.put_locations(
        "test-partner",
        json!([{"ref": "P1", "name": "Pull store", "lat": 38.8048, "lon": -77.0469}]),
    )
    .await;
    let x = new_case(&app, "2026-PULL-X").await;
    let y = new_case(&app, "2026-PULL-Y").await;
    let empty = feed(&app, 0).await;
    assert_eq!(empty["deliveries"], json!([]), "held until Monday");

    // Y's poster is resolved while held: never in the feed, no takedown
    assert_eq!(app.resolve(&y).await.status(), 200);
    assert_eq!(feed(&app, 0).await["deliveries"], json!([]));

    // Monday 07:00 in Chicago: X is in the feed
    clock.set(at("2026-12-07T13:00:30Z"));
    let deadline = Instant::now() + Duration::from_secs(20);
    let shown = loop {
        let f = feed(&app, 0).await;
        if f["deliveries"].as_array().is_some_and(|d| !d.is_empty()) {
            break f;
        }
        assert!(
            Instant::now() < deadline,
            "the digest never reached the feed"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    let items = shown["deliveries"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{shown}");
    assert_eq!(items[0]["type"], "poster.issued");
    assert_eq!(items[0]["case"]["case_number"], "2026-PULL-X");
    let next = shown["next_after"].as_i64().unwrap();

    // X is resolved: its takedown is in the feed at once, after the cursor
    assert_eq!(app.resolve(&x).await.status(), 200);
    let after = feed(&app, next).await;
    let items = after["deliveries"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{after}");
    assert_eq!(items[0]["type"], "poster.withdrawn");
}
both!(a_pull_partner_finds_its_digest_in_its_feed);

/// A partner that switches from a weekly digest to every poster at once gets what it held at once,
/// as one digest, not on the Monday it no longer keeps.
async fn switching_to_immediate_sends_what_was_held(backend: Backend) {
    let clock = ManualClock::new(start());
    let Some(app) = spawn_app_on(backend, clock.shared(), |_| {}).await else {
        return;
    };
    let hook = Receiver::start().await;
    partner(
        &app,
        json!({
            "id": "switcher", "name": "Switching Signs", "kind": "billboard",
            "delivery": {"webhook": {"url": hook.url, "secret": common::receiver::SECRET}},
            "cadence": {"weekly": {"day": "monday", "at": "07:00", "time_zone": "America/Chicago"}}
        }),
        (38.8048, -77.0469),
    )
    .await;
    new_case(&app, "2026-DIG-S").await;
    a_while().await;
    assert_eq!(hook.requests().len(), 0, "held for Monday");
    let res = app
        .patch(
            "/v1/partners/switcher",
            &app.admin,
            &json!({"cadence": "immediate"}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let digest = hook.wait_event("poster.digest", 20).await;
    assert!(digest.id.starts_with("dig_switcher_"), "{}", digest.id);
    // and a new case goes on its own, at once
    new_case(&app, "2026-DIG-T").await;
    hook.wait_event("poster.issued", 20).await;
}
both!(switching_to_immediate_sends_what_was_held);
