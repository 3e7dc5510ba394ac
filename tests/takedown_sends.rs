//! Found means gone, through the running service (SQLite and PostgreSQL) with real webhook
//! receivers on 127.0.0.1 and a clock the test moves: a partner mid-attempt at the resolve gets the
//! takedown at once and the poster never again; a partner that switched channel, or was disabled,
//! still gets its takedown; the pull API, poster files and CAP show nothing of the child after it.

mod common;

use std::time::{Duration, Instant};

use common::receiver::{Mode, Receiver};
use common::{Backend, TestApp, json_of, spawn_app_on};
use lookout::clock::ManualClock;
use serde_json::{Value, json};

const ALEXANDRIA: (f64, f64) = (38.8101, -77.0647);

async fn app_on(backend: Backend, clock: &ManualClock) -> Option<TestApp> {
    spawn_app_on(backend, clock.shared(), |c| {
        c.reissue_quiet_secs = 0;
        c.partner_disable_after_secs = 60;
    })
    .await
}

async fn created(app: &TestApp, number: &str) -> String {
    app.create_case(number).await["id"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Wait until `check` holds of the distribution view, or panic after `secs`.
async fn view_until(app: &TestApp, id: &str, secs: u64, check: impl Fn(&Value) -> bool) -> Value {
    let deadline = Instant::now() + Duration::from_secs(secs);
    loop {
        let view = app.distributions(id).await;
        if check(&view) {
            return view;
        }
        assert!(Instant::now() < deadline, "not reached in {secs} s: {view}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn count_of(metrics: &str, line: &str) -> Option<String> {
    metrics
        .lines()
        .find_map(|l| l.strip_prefix(line).map(|v| v.trim().to_string()))
}

async fn a_partner_mid_attempt_at_the_resolve_gets_the_takedown_at_once(backend: Backend) {
    let clock = ManualClock::starting_now();
    let Some(app) = app_on(backend, &clock).await else {
        return;
    };
    let hook = Receiver::start().await;
    // the partner holds the issue for 4 s, then answers 503
    hook.set(Mode::Slow {
        hold_ms: 4_000,
        status: 503,
    });
    app.webhook_partner("slow-mart", &hook.url, ALEXANDRIA)
        .await;
    let id = created(&app, "TD-1").await;
    app.dispatch(&id).await;
    hook.wait_event("poster.issued", 10).await;
    // found while the issue is in flight
    hook.set(Mode::Up);
    let resolved_at = Instant::now();
    assert_eq!(app.resolve(&id).await.status(), 200);
    let withdrawn = hook.wait_event("poster.withdrawn", 10).await;
    let took = withdrawn.at - resolved_at;
    assert!(took < Duration::from_secs(10), "{took:?}");
    println!("{backend:?}: withdrawn {took:?} after the resolve");
    // the in-flight attempt ends with its 503: recorded, never tried again, however long we wait
    let view = view_until(&app, &id, 10, |v| {
        v["recipients"][0]["timeline"][0]["attempts"] == 1
            && v["recipients"][0]["timeline"][0]["last_error"].is_string()
    })
    .await;
    assert_eq!(view["recipients"][0]["timeline"][0]["state"], "superseded");
    for _ in 0..4 {
        clock.advance(Duration::from_secs(6 * 3600));
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
    assert_eq!(hook.count("poster.issued"), 1, "{:?}", hook.requests());
    assert_eq!(hook.count("poster.withdrawn"), 1, "{:?}", hook.requests());
    let view = app.distributions(&id).await;
    assert_eq!(view["takedown_pending"], json!([]), "{view}");
    assert!(
        view["distribution"]["takedown_done_at"].is_string(),
        "{view}"
    );
    let metrics = app.metrics().await;
    assert_eq!(
        count_of(&metrics, "lookout_takedown_seconds_count").as_deref(),
        Some("1"),
        "{metrics}"
    );
}
both!(a_partner_mid_attempt_at_the_resolve_gets_the_takedown_at_once);

async fn a_partner_that_switched_to_email_gets_its_takedown_by_email(backend: Backend) {
    let clock = ManualClock::starting_now();
    let Some(app) = app_on(backend, &clock).await else {
        return;
    };
    let hook = Receiver::start().await;
    app.webhook_partner("switch-mart", &hook.url, ALEXANDRIA)
        .await;
    let id = created(&app, "TD-2").await;
    app.dispatch(&id).await;
    hook.wait_for(1, 10).await;
    let res = app
        .patch(
            "/v1/partners/switch-mart",
            &app.admin,
            &json!({"delivery": {"webhook": null, "email": ["posters@switch-mart.example"]}}),
        )
        .await;
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    assert_eq!(app.resolve(&id).await.status(), 200);
    let view = view_until(&app, &id, 10, |v| v["takedown_pending"] == json!([])).await;
    let takedown = view["recipients"][0]["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["kind"] == "withdrawn")
        .cloned()
        .unwrap_or_else(|| panic!("no takedown: {view}"));
    assert_eq!(takedown["channel"], "email", "{view}");
    let file = app
        .outbox
        .join(format!("{}.eml", takedown["id"].as_str().unwrap()));
    let eml = std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    assert!(eml.contains("posters@switch-mart.example"), "{eml}");
    assert!(
        !eml.contains("Test Child"),
        "a takedown names nobody: {eml}"
    );
    assert_eq!(hook.count("poster.withdrawn"), 0);
}
both!(a_partner_that_switched_to_email_gets_its_takedown_by_email);

async fn a_disabled_partner_is_still_told_and_first_when_enabled(backend: Backend) {
    let clock = ManualClock::starting_now();
    let Some(app) = app_on(backend, &clock).await else {
        return;
    };
    let hook = Receiver::start().await;
    app.webhook_partner("down-mart", &hook.url, ALEXANDRIA)
        .await;
    let id = created(&app, "TD-3").await;
    app.dispatch(&id).await;
    hook.wait_for(1, 10).await;
    // the partner goes down; an update fails and is retried until the partner is disabled
    hook.set(Mode::Status(503));
    let res = app
        .patch(
            &format!("/v1/cases/{id}"),
            &app.manager,
            &json!({"circumstances": "Seen near the station."}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let mut waited = 0;
    loop {
        let view = app.distributions(&id).await;
        if !view["disabled_partners"].as_array().unwrap().is_empty() {
            break;
        }
        waited += 1;
        assert!(waited < 100, "never disabled: {view}");
        clock.advance(Duration::from_secs(90));
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let updates = hook.count("poster.updated");
    // found while the partner is disabled: the takedown is still tried
    assert_eq!(app.resolve(&id).await.status(), 200);
    hook.wait_event("poster.withdrawn", 10).await;
    // the refused attempt is recorded (its retry set by the test's clock) before the operator acts;
    // otherwise a result recorded after the enabling would put the retry back
    failed_takedown_recorded(&app.database_url, &id).await;
    // the partner is fixed; an operator enables it: the takedown goes at once, and nothing else
    hook.set(Mode::Up);
    let res = app
        .client
        .post(app.url("/v1/partners/down-mart/enable"))
        .bearer_auth(&app.admin)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let arrived = hook.wait_for(2, 10).await;
    assert_eq!(arrived[1].body["type"], "poster.withdrawn", "{arrived:?}");
    for _ in 0..3 {
        clock.advance(Duration::from_secs(6 * 3600));
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    assert_eq!(
        hook.count("poster.updated"),
        updates,
        "{:?}",
        hook.requests()
    );
    assert_eq!(hook.arrived().len(), 2, "{:?}", hook.arrived());
}
both!(a_disabled_partner_is_still_told_and_first_when_enabled);

/// Wait until the case's takedown is back in the queue after a failed attempt.
async fn failed_takedown_recorded(database_url: &str, case: &str) {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(database_url).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let n: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM deliveries WHERE case_id = $1 AND kind = 'withdrawn' \
             AND state = 'pending' AND attempts >= 1",
        )
        .bind(case)
        .fetch_one(&mut conn)
        .await
        .unwrap();
        if n > 0 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the failed takedown was never recorded"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    conn.close().await.unwrap();
}

async fn after_the_resolve_the_pull_api_shows_nothing_of_the_child(backend: Backend) {
    let clock = ManualClock::starting_now();
    let Some(app) = app_on(backend, &clock).await else {
        return;
    };
    app.put_locations(
        "test-partner",
        json!([{"ref": "p1", "name": "Pull store", "lat": ALEXANDRIA.0, "lon": ALEXANDRIA.1}]),
    )
    .await;
    let id = created(&app, "TD-4").await;
    app.dispatch(&id).await;
    let feed = |after: i64| {
        let app = &app;
        async move {
            let res = app
                .get(
                    &format!("/partner/v1/deliveries?after={after}"),
                    &app.partner,
                )
                .send()
                .await
                .unwrap();
            json_of(res, 200).await
        }
    };
    let before = feed(0).await;
    assert!(before.to_string().contains("Test Child"), "{before}");
    let issued = before["deliveries"][0]["id"].as_str().unwrap().to_string();
    assert_eq!(app.resolve(&id).await.status(), 200);
    // the takedown waits for the partner to fetch it
    let view = app.distributions(&id).await;
    assert_eq!(
        view["takedown_pending"].as_array().unwrap().len(),
        1,
        "{view}"
    );

    let after = feed(0).await;
    let text = after.to_string();
    for personal in ["Test Child", "Invented case", "Brown", "1-555-555-0100"] {
        assert!(!text.contains(personal), "{personal} in {after}");
    }
    let items = after["deliveries"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{after}");
    assert_eq!(items[0]["case"]["status"], "resolved", "{after}");
    assert_eq!(items[1]["type"], "poster.withdrawn", "{after}");
    let takedown = items[1]["id"].as_str().unwrap().to_string();
    // fetched: confirmed, and the takedown is complete
    let view = app.distributions(&id).await;
    assert_eq!(view["takedown_pending"], json!([]), "{view}");

    let one = app
        .get(&format!("/partner/v1/deliveries/{issued}"), &app.partner)
        .send()
        .await
        .unwrap();
    let one = json_of(one, 200).await;
    assert!(!one.to_string().contains("Test Child"), "{one}");
    for path in [
        format!("/partner/v1/deliveries/{issued}/posters/letter"),
        format!("/partner/v1/deliveries/{issued}/cap"),
    ] {
        let (code, _) =
            common::error_of(app.get(&path, &app.partner).send().await.unwrap(), 410).await;
        assert_eq!(code, "case_closed", "{path}");
    }
    let (status, cancel) = app
        .text(
            &format!("/partner/v1/deliveries/{takedown}/cap"),
            &app.partner,
        )
        .await;
    assert_eq!(status, 200);
    assert!(cancel.contains("<msgType>Cancel</msgType>"), "{cancel}");
    assert!(!cancel.contains("Test Child"), "{cancel}");
    common::xml::assert_valid_cap(&cancel);
    let (_, atom) = app.text("/partner/v1/cap", &app.partner).await;
    assert_eq!(atom.matches("<entry>").count(), 1, "{atom}");
    assert!(atom.contains("Cancel: version"), "{atom}");
    assert!(!atom.contains(&issued), "{atom}");
    assert_rfc4287(&atom);
}

/// What RFC 4287 requires of a feed and its entries (4.1.1, 4.1.2), read back by Python's XML
/// parser: one id, title and updated each, RFC 3339 dates, an author for the feed (no entry names
/// one), a self link, and an alternate link on each entry (it has no content).
fn assert_rfc4287(atom: &str) {
    const CHECK: &str = r#"
import sys, datetime, xml.etree.ElementTree as ET
A = "{http://www.w3.org/2005/Atom}"
feed = ET.fromstring(sys.stdin.read())
assert feed.tag == A + "feed", feed.tag
def one(el, name):
    found = el.findall(A + name)
    assert len(found) == 1, (el.tag, name, len(found))
    return found[0]
def required(el):
    one(el, "id"); one(el, "title")
    datetime.datetime.fromisoformat(one(el, "updated").text)
required(feed)
assert one(one(feed, "author"), "name").text.strip()
assert [l for l in feed.findall(A + "link") if l.get("rel") == "self"]
for entry in feed.findall(A + "entry"):
    required(entry)
    assert [l for l in entry.findall(A + "link") if l.get("rel") == "alternate" and l.get("href")]
print("valid")
"#;
    use std::io::Write;
    let mut child = std::process::Command::new("python3")
        .args(["-c", CHECK])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("python3 (installed by .ci/run)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(atom.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "not RFC 4287: {}\n{atom}",
        String::from_utf8_lossy(&out.stderr)
    );
}
both!(after_the_resolve_the_pull_api_shows_nothing_of_the_child);
