//! The partner portal over plain HTTP (SQLite and PostgreSQL): a partner user signs in to its
//! partner's portal and sees only that partner's active posters, filtered by location and case
//! type, each downloadable; another partner's poster answers 404 exactly like one that does not
//! exist; the console is not theirs, nor the portal the organisation's. `lookout user create --role
//! partner --partner ID` makes such an account.

mod common;
#[path = "support/console.rs"]
mod console;

use std::process::{Command, Output};

use common::receiver::{Mode, Receiver};
use common::{Backend, TestApp, spawn_app};
use console::{account, page, post_form, signed_in};
use lookout::partners::PartnerId;
use lookout::store::outbox::timeline;
use lookout::store::{CaseId, Role};

/// The delivery ids of `partner` for case `id`, by location.
async fn deliveries_of(app: &TestApp, id: &str, partner: &str) -> Vec<(String, String)> {
    let case: CaseId = id.parse().unwrap();
    timeline(&app.store, case)
        .await
        .unwrap()
        .into_iter()
        .filter(|d| d.partner_id == partner)
        .map(|d| (d.location_ref.unwrap_or_default(), d.id))
        .collect()
}

async fn a_partner_user_sees_only_its_own_posters(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    app.pull_partner(
        "acme",
        &[("s1", "Acme Main Street"), ("s2", "Acme Riverside")],
    )
    .await;
    app.pull_partner("rival", &[("r1", "Rival Depot")]).await;
    let case = app.create_case("2026-PORTAL-1").await;
    let id = case["id"].as_str().unwrap().to_string();
    app.dispatch(&id).await;
    let ours = deliveries_of(&app, &id, "acme").await;
    let theirs = deliveries_of(&app, &id, "rival").await;
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert_eq!(theirs.len(), 1, "{theirs:?}");

    app.partner_user("pat@acme.example", "acme", console::PASSWORD)
        .await;
    let c = console::client();
    let res = console::sign_in(&app, &c, "pat@acme.example", console::PASSWORD).await;
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/portal",
        "a partner user lands on its portal"
    );

    let (status, html) = page(&app, &c, "/portal").await;
    assert_eq!(status, 200, "{html}");
    assert!(html.contains("2026-PORTAL-1"), "{html}");
    assert!(
        html.contains("Acme Main Street") && html.contains("Acme Riverside"),
        "{html}"
    );
    assert!(
        !html.contains("Rival"),
        "another partner's location shows: {html}"
    );
    // one row for the poster, for both locations, downloadable in each format and language
    assert_eq!(html.matches("/letter?lang=es\"").count(), 1, "{html}");
    assert!(
        ours.iter()
            .any(|(_, d)| html.contains(&format!("/portal/posters/{d}/letter?lang=es"))),
        "{html}"
    );
    assert!(html.contains("(2 locations)"), "{html}");
    // filtered by location and by case type
    let (_, one) = page(&app, &c, "/portal?location=s2").await;
    assert!(one.contains("Acme Riverside") && !one.contains("Acme Main Street (s1)</td>"));
    assert!(one.contains(&format!(
        "/portal/posters/{}/",
        ours.iter().find(|o| o.0 == "s2").unwrap().1
    )));
    assert!(!one.contains(&format!(
        "/portal/posters/{}/",
        ours.iter().find(|o| o.0 == "s1").unwrap().1
    )));
    let (_, none) = page(&app, &c, "/portal?type=family_abduction").await;
    assert!(!none.contains("2026-PORTAL-1"), "{none}");
    assert!(none.contains("No poster should be up"), "{none}");

    let states = |app: &TestApp| {
        let id = id.clone();
        let app_store = app.store.clone();
        async move {
            let case: CaseId = id.parse().unwrap();
            timeline(&app_store, case)
                .await
                .unwrap()
                .into_iter()
                .filter(|d| d.partner_id == "acme")
                .map(|d| d.state.as_str())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        states(&app).await,
        ["pending", "pending"],
        "listed, not yet handed out"
    );
    // its own posters download; another partner's answers as one that does not exist
    let res = c
        .get(app.url(&format!("/portal/posters/{}/letter?lang=es", ours[0].1)))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    assert!(res.bytes().await.unwrap().starts_with(b"%PDF"));
    let (status, png) = {
        let res = c
            .get(app.url(&format!("/portal/posters/{}/square", ours[1].1)))
            .send()
            .await
            .unwrap();
        (res.status().as_u16(), res.headers()["content-type"].clone())
    };
    assert_eq!((status, png.to_str().unwrap()), (200, "image/png"));
    // downloaded from the portal, a pull poster is handed out, as through the pull API: when the
    // case ends the partner is told to take it down
    assert_eq!(states(&app).await, ["delivered", "delivered"]);
    let (missing_status, missing) = page(&app, &c, "/portal/posters/no-such-delivery/letter").await;
    let (other_status, other) =
        page(&app, &c, &format!("/portal/posters/{}/letter", theirs[0].1)).await;
    assert_eq!((missing_status, other_status), (404, 404));
    assert_eq!(
        missing, other,
        "another partner's poster reads exactly as a missing one"
    );
    // a format or language the partner does not take is not served either
    let (status, _) = page(
        &app,
        &c,
        &format!("/portal/posters/{}/billboard", ours[0].1),
    )
    .await;
    assert_eq!(status, 404);

    // my locations, listed and mapped; nothing of another partner's
    let (status, html) = page(&app, &c, "/portal/locations").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("Acme Main Street") && html.contains("2 locations"),
        "{html}"
    );
    assert!(!html.contains("Rival"), "{html}");
    let res = c
        .get(app.url("/portal/locations/map.svg"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "image/svg+xml");
    let svg = res.text().await.unwrap();
    assert!(svg.starts_with("<svg") || svg.starts_with("<?xml"), "{svg}");
    assert!(svg.contains("acme") && !svg.contains("rival"), "{svg}");

    // the console is the organisation's
    let (status, _) = page(&app, &c, "/cases").await;
    assert_eq!(status, 403);
    let (status, _) = page(&app, &c, &format!("/cases/{id}")).await;
    assert_eq!(status, 403);
    let res = c.get(app.url("/")).send().await.unwrap();
    assert_eq!(res.headers()["location"], "/portal");
    // and the portal is not the organisation's
    account(&app, "casey@example.org", Role::CaseManager).await;
    let manager = signed_in(&app, "casey@example.org").await;
    let (status, _) = page(&app, &manager, "/portal").await;
    assert_eq!(status, 403);

    // the rival fetched its poster too (as its own portal or the pull API would hand it out)
    let rival = PartnerId::parse("rival").unwrap();
    let case: CaseId = id.parse().unwrap();
    lookout::store::outbox::handed_out(&app.store, &rival, case, 1, chrono::Utc::now())
        .await
        .unwrap();
    // once the case is resolved its poster is gone from the list and from the downloads
    assert_eq!(app.resolve(&id).await.status(), 200);
    let (_, after) = page(&app, &c, "/portal").await;
    assert!(!after.contains("2026-PORTAL-1"), "{after}");
    let (status, _) = page(&app, &c, &format!("/portal/posters/{}/letter", ours[0].1)).await;
    assert_eq!(status, 404);

    // and it is on the list to take down, each location's until confirmed
    let (_, html) = page(&app, &c, "/portal").await;
    assert!(html.contains("2 posters to take down now"), "{html}");
    let (status, html) = page(&app, &c, "/portal/takedowns").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("2026-PORTAL-1") && html.contains("the case has been resolved"),
        "{html}"
    );
    assert!(!html.contains("Test Child"), "nothing of the child: {html}");
    let down: Vec<String> = deliveries_of(&app, &id, "acme")
        .await
        .into_iter()
        .map(|(_, d)| d)
        .filter(|d| !ours.iter().any(|o| &o.1 == d))
        .collect();
    assert_eq!(down.len(), 2, "a takedown per location");
    let rival_down = deliveries_of(&app, &id, "rival")
        .await
        .into_iter()
        .map(|(_, d)| d)
        .find(|d| *d != theirs[0].1)
        .expect("the rival's takedown");
    let ack = |d: String| {
        let (app, c) = (&app, &c);
        async move {
            post_form(
                app,
                c,
                "/portal/takedowns",
                &format!("/portal/takedowns/{d}/ack"),
                &[],
            )
            .await
        }
    };
    let (status, _) = ack(rival_down.clone()).await;
    assert_eq!(status, 404, "another partner's takedown");
    let res = {
        let (_, html) = page(&app, &c, "/portal/takedowns").await;
        c.post(app.url(&format!("/portal/takedowns/{}/ack", down[0])))
            .form(&[("csrf", console::csrf(&html).as_str())])
            .send()
            .await
            .unwrap()
    };
    assert_eq!(res.status(), 303);
    assert_eq!(
        res.headers()["location"],
        "/portal/takedowns?done=2026-PORTAL-1"
    );
    let (_, html) = page(&app, &c, "/portal/takedowns?done=2026-PORTAL-1").await;
    assert!(html.contains("marked as taken down"), "{html}");
    assert!(html.contains("1 to take down"), "{html}");
    let (status, _) = ack(down[0].clone()).await;
    assert_eq!(status, 404, "confirmed once");
    // the same acknowledgement as the pull API's
    let case: CaseId = id.parse().unwrap();
    let acked = timeline(&app.store, case).await.unwrap();
    let acked = acked.iter().find(|d| d.id == down[0]).unwrap();
    assert_eq!(acked.state.as_str(), "acknowledged");
    assert!(acked.acked_at.is_some());
    // a form without its token changes nothing
    let res = c
        .post(app.url(&format!("/portal/takedowns/{}/ack", down[1])))
        .form(&[("csrf", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403);
    let (_, html) = page(&app, &c, "/portal/takedowns").await;
    assert!(html.contains("1 to take down"), "{html}");
}
both!(a_partner_user_sees_only_its_own_posters);

async fn an_admin_makes_partner_users(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    account(&app, "admin@example.org", Role::Admin).await;
    let c = signed_in(&app, "admin@example.org").await;
    let make = |role: &'static str, partner: &'static str| {
        let fields = [
            ("email", "pat@partner.example"),
            ("name", "Pat Partner"),
            ("role", role),
            ("partner", partner),
        ];
        let (app, c) = (&app, &c);
        async move { post_form(app, c, "/admin/users", "/admin/users", &fields).await }
    };
    for (role, partner, message) in [
        ("partner", "", "a partner user belongs to a partner"),
        ("partner", "nobody", "no partner nobody"),
        (
            "case_manager",
            "test-partner",
            "only a partner user belongs to a partner",
        ),
    ] {
        let (status, html) = make(role, partner).await;
        assert_eq!(status, 422, "{role} {partner}");
        assert!(html.contains("id=\"new-partner-error\""), "{html}");
        assert!(html.contains(message), "{message}: {html}");
        // everything typed is kept
        assert!(html.contains("value=\"pat@partner.example\""), "{html}");
        assert!(html.contains(&format!("value=\"{partner}\"")), "{html}");
    }
    let (status, html) = make("partner", "test-partner").await;
    assert_eq!(status, 200, "{html}");
    let at = html.find("class=\"secret\">").expect("a one-time password") + 15;
    let password = &html[at..at + html[at..].find('<').unwrap()];
    assert!(html.contains("<td>test-partner</td>"), "{html}");
    let pat = console::client();
    let res = console::sign_in(&app, &pat, "pat@partner.example", password).await;
    assert_eq!(res.status(), 303);
    assert_eq!(res.headers()["location"], "/portal");
    let (status, _) = page(&app, &pat, "/portal").await;
    assert_eq!(status, 200);
}
both!(an_admin_makes_partner_users);

async fn the_delivery_log_shows_each_attempt_and_answer(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let down = Receiver::start().await;
    down.set(Mode::Status(503));
    let up = Receiver::start().await;
    app.webhook_partner("hooky", &down.url, (38.8048, -77.0469))
        .await;
    app.webhook_partner("steady", &up.url, (38.8049, -77.0470))
        .await;
    let case = app.create_case("2026-LOG-1").await;
    app.dispatch(case["id"].as_str().unwrap()).await;
    let hooky = PartnerId::parse("hooky").unwrap();
    let steady = PartnerId::parse("steady").unwrap();
    for p in [&hooky, &steady] {
        let mut waited = 0;
        while lookout::store::outbox::delivery_log(&app.store, p, 10)
            .await
            .unwrap()
            .is_empty()
        {
            waited += 1;
            assert!(waited < 400, "no attempt was recorded for {p}");
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }
    app.partner_user("ops@hooky.example", "hooky", console::PASSWORD)
        .await;
    let c = signed_in(&app, "ops@hooky.example").await;
    let (status, html) = page(&app, &c, "/portal/log").await;
    assert_eq!(status, 200, "{html}");
    assert!(
        html.contains("2026-LOG-1") && html.contains("poster v1"),
        "{html}"
    );
    assert!(
        html.contains("503"),
        "the partner's answer is shown: {html}"
    );
    assert!(
        !html.contains("delivered</span>"),
        "only its own attempts: {html}"
    );
    app.partner_user("ops@steady.example", "steady", console::PASSWORD)
        .await;
    let c = signed_in(&app, "ops@steady.example").await;
    let (_, html) = page(&app, &c, "/portal/log").await;
    assert!(html.contains("delivered</span>"), "{html}");
    assert!(!html.contains("503"), "{html}");
}
both!(the_delivery_log_shows_each_attempt_and_answer);

/// A chain with hundreds of locations sees them a page at a time, in reference order, with links
/// between the pages; a page past the end shows the last, one that is not a number the first.
async fn my_locations_come_a_page_at_a_time(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let stores: Vec<(String, String)> = (0..450)
        .map(|i| (format!("s{i:03}"), format!("Store {i:03}")))
        .collect();
    let stores: Vec<(&str, &str)> = stores
        .iter()
        .map(|(r, n)| (r.as_str(), n.as_str()))
        .collect();
    app.pull_partner("chain", &stores).await;
    app.partner_user("pat@chain.example", "chain", console::PASSWORD)
        .await;
    let c = console::client();
    console::sign_in(&app, &c, "pat@chain.example", console::PASSWORD).await;

    let (status, html) = page(&app, &c, "/portal/locations").await;
    assert_eq!(status, 200);
    assert!(
        html.contains("450 locations, by reference: 1 to 200"),
        "{html}"
    );
    assert!(html.contains("Store 000") && html.contains("Store 199"));
    assert!(!html.contains("Store 200"), "one page only");
    assert!(html.contains("locations?page=2\" rel=\"next\""), "{html}");
    assert!(!html.contains("rel=\"prev\""));

    let (_, html) = page(&app, &c, "/portal/locations?page=3").await;
    assert!(html.contains("401 to 450"), "{html}");
    assert!(html.contains("Store 449") && !html.contains("Store 399"));
    assert!(html.contains("locations?page=2\" rel=\"prev\""));
    assert!(!html.contains("rel=\"next\""));

    let (status, html) = page(&app, &c, "/portal/locations?page=99").await;
    assert_eq!(status, 200);
    assert!(html.contains("401 to 450"), "past the end: the last page");
    let (status, html) = page(&app, &c, "/portal/locations?page=abc").await;
    assert_eq!(status, 200);
    assert!(html.contains("1 to 200"), "not a number: the first page");
}
both!(my_locations_come_a_page_at_a_time);

fn lookout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("LOOKOUT_DATABASE_URL")
        .output()
        .expect("run lookout")
}

#[test]
fn the_command_line_makes_partner_users() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("users.db").display());
    let partners = dir.path().join("partners.json");
    std::fs::write(
        &partners,
        r#"[{"id": "acme", "name": "Acme Stores", "kind": "retail", "delivery": {"pull": true}}]"#,
    )
    .unwrap();
    let out = lookout(&[
        "partners",
        "import",
        partners.to_str().unwrap(),
        "--database",
        &db,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let create = |extra: &[&str]| {
        let mut args = vec![
            "user",
            "create",
            "--email",
            "pat@acme.example",
            "--database",
            &db,
        ];
        args.extend_from_slice(extra);
        lookout(&args)
    };
    let refused = [
        (
            vec!["--role", "partner"],
            "partner: a partner user needs --partner ID",
        ),
        (
            vec!["--role", "partner", "--partner", "nobody"],
            "partner: no partner nobody",
        ),
        (
            vec!["--role", "case_manager", "--partner", "acme"],
            "only a partner user belongs to a partner",
        ),
        (
            vec!["--role", "owner"],
            "role: admin, case_manager or partner",
        ),
    ];
    for (extra, message) in refused {
        let out = create(&extra);
        assert_eq!(out.status.code(), Some(2), "{extra:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(message), "{extra:?}: {err}");
    }
    let out = create(&["--role", "partner", "--partner", "acme"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !String::from_utf8_lossy(&out.stdout).trim().is_empty(),
        "a one-time password"
    );
    let list = lookout(&["user", "list", "--database", &db]);
    let text = String::from_utf8_lossy(&list.stdout);
    assert!(
        text.contains("pat@acme.example\tpartner\tacme\tactive"),
        "{text}"
    );
}
