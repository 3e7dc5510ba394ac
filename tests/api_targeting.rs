//! The targeting preview through the real service on both backends: partners and locations made
//! through the admin API, the preview of a case last seen in Alexandria, VA, and the index
//! following every change.

mod common;

use common::{Backend, TestApp, error_of, spawn_app};
use serde_json::{Value, json};

/// The moment the test case went missing (2026-11-01T18:30-05:00): the last-seen circle is then
/// its base radius, 40 km for an endangered missing child in the shipped policy.
const AT_START: &str = "2026-11-01T23:30:00Z";
const ALEXANDRIA: (f64, f64) = (38.8048, -77.0469);

/// Metres per degree of latitude on the sphere the targeting module uses (R = 6,371,008.8 m).
const M_PER_DEG_LAT: f64 = 6_371_008.8 * std::f64::consts::PI / 180.0;

fn haversine_m(a: (f64, f64), b: (f64, f64)) -> f64 {
    let (la1, la2) = (a.0.to_radians(), b.0.to_radians());
    let dlat = la2 - la1;
    let dlon = (b.1 - a.1).to_radians();
    let h = (dlat / 2.0).sin().powi(2) + la1.cos() * la2.cos() * (dlon / 2.0).sin().powi(2);
    2.0 * 6_371_008.8 * h.sqrt().asin()
}

/// A point due north of Alexandria, `m` metres away.
fn north_of_alexandria(m: f64) -> (f64, f64) {
    (ALEXANDRIA.0 + m / M_PER_DEG_LAT, ALEXANDRIA.1)
}

async fn create_partner(app: &TestApp, doc: Value) {
    let res = app.post("/v1/partners", &app.admin, &doc).await;
    assert_eq!(res.status(), 201, "create partner {doc}");
}

fn loc(reference: &str, (lat, lon): (f64, f64), reach_m: Option<f64>) -> Value {
    json!({"ref": reference, "name": format!("Store {reference}"), "lat": lat, "lon": lon, "reach_m": reach_m})
}

const DC: (f64, f64) = (38.8977, -77.0365);
const FAIRFAX: (f64, f64) = (38.8462, -77.3064);
const BALTIMORE: (f64, f64) = (39.2904, -76.6122);
const ARLINGTON: (f64, f64) = (38.8816, -77.0910);

/// Four partners: one taking every case, a billboard company whose boards are seen from a
/// kilometre, one taking runaways only, and one switched off.
async fn network(app: &TestApp) {
    create_partner(app, json!({"id": "shop", "name": "Shop Co", "kind": "retail", "delivery": {"pull": true}, "languages": ["en", "es"]})).await;
    app.put_locations(
        "shop",
        json!([
            loc("DC1", DC, None),
            loc("FFX", FAIRFAX, None),
            loc("BAL", BALTIMORE, None)
        ]),
    )
    .await;
    create_partner(app, json!({"id": "signs", "name": "Sign Co", "kind": "billboard", "delivery": {"pull": true}, "formats": ["billboard"]})).await;
    app.put_locations(
        "signs",
        json!([
            // 40.6 km out, seen from 1 km: its reach touches the 40 km circle
            loc("N406", north_of_alexandria(40_600.0), Some(1_000.0)),
            // 41.5 km out, seen from 1 km: it does not
            loc("N415", north_of_alexandria(41_500.0), Some(1_000.0)),
        ]),
    )
    .await;
    create_partner(app, json!({"id": "runaways", "name": "Runaway Help", "kind": "public", "delivery": {"pull": true}, "case_types": ["endangered_runaway"]})).await;
    app.put_locations("runaways", json!([loc("R1", DC, None)]))
        .await;
    create_partner(app, json!({"id": "sleeping", "name": "Sleeping Co", "kind": "retail", "delivery": {"pull": true}, "active": false})).await;
    app.put_locations("sleeping", json!([loc("S1", DC, None)]))
        .await;
}

async fn preview(app: &TestApp, case: &str, query: &str) -> Value {
    let res = app
        .get(&format!("/v1/cases/{case}/targeting?{query}"), &app.manager)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "application/geo+json"
    );
    res.json().await.unwrap()
}

/// The selected locations as (partner, ref), sorted.
fn selected(p: &Value) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = p["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["properties"]["partner_id"].is_string())
        .map(|f| {
            let props = &f["properties"];
            (
                props["partner_id"].as_str().unwrap().to_string(),
                props["ref"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn counts(p: &Value) -> Vec<(String, u64)> {
    p["partners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["partner_id"].as_str().unwrap().to_string(),
                c["locations"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn pair(a: &str, b: &str) -> (String, String) {
    (a.to_string(), b.to_string())
}

async fn preview_selects_and_follows_changes(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    network(&app).await;
    let case = app.create_case("TGT-1").await;
    let id = case["id"].as_str().unwrap();

    let p = preview(&app, id, &format!("at={AT_START}")).await;
    assert_eq!(p["type"], "FeatureCollection");
    assert_eq!(p["case_id"], id);
    assert_eq!(p["version"], 1);
    let last_seen = &p["features"][0]["properties"];
    assert_eq!(last_seen["kind"], "last_seen");
    assert_eq!(last_seen["radius_m"], 40_000.0);
    assert_eq!(last_seen["center"], json!([-77.0469, 38.8048]));
    assert!(last_seen["reason"].as_str().unwrap().contains("Alexandria"));

    assert_eq!(
        selected(&p),
        vec![
            pair("shop", "DC1"),
            pair("shop", "FFX"),
            pair("signs", "N406")
        ]
    );
    assert_eq!(
        counts(&p),
        vec![("shop".to_string(), 2), ("signs".to_string(), 1)]
    );
    assert_eq!(p["totals"], json!({"partners": 2, "locations": 3}));
    // the runaway-only partner is in the region but does not take this case type
    let skipped = p["skipped"].as_array().unwrap();
    assert_eq!(skipped.len(), 1, "{skipped:?}");
    assert_eq!(skipped[0]["partner_id"], "runaways");
    assert_eq!(skipped[0]["reason"], "case_type");
    // distances against a plain haversine
    for f in p["features"].as_array().unwrap() {
        let props = &f["properties"];
        if props["ref"] == "DC1" {
            let d = props["distance_m"].as_f64().unwrap();
            assert!((d - haversine_m(ALEXANDRIA, DC)).abs() < 2.0, "{d}");
        }
    }

    // later, the circle has grown (3 km/h for an unknown travel mode over 24 h: 112 km)
    let later = preview(&app, id, "at=2026-11-02T23:30:00Z").await;
    assert_eq!(later["features"][0]["properties"]["radius_m"], 112_000.0);
    assert!(selected(&later).contains(&pair("shop", "BAL")));

    // a state added by the case manager
    let md = preview(&app, id, &format!("at={AT_START}&states=md")).await;
    assert!(selected(&md).contains(&pair("shop", "BAL")));
    assert!(
        md["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["kind"] == "state" && f["properties"]["code"] == "MD")
    );

    // switching a partner on, and adding a location, show in the very next preview
    let res = app
        .patch(
            "/v1/partners/sleeping",
            &app.admin,
            &json!({"active": true}),
        )
        .await;
    assert_eq!(res.status(), 200);
    app.put_locations(
        "shop",
        json!([
            loc("DC1", DC, None),
            loc("FFX", FAIRFAX, None),
            loc("BAL", BALTIMORE, None),
            loc("ARL", ARLINGTON, None)
        ]),
    )
    .await;
    let after = preview(&app, id, &format!("at={AT_START}")).await;
    assert_eq!(
        selected(&after),
        vec![
            pair("shop", "ARL"),
            pair("shop", "DC1"),
            pair("shop", "FFX"),
            pair("signs", "N406"),
            pair("sleeping", "S1"),
        ]
    );

    // and switching one off takes it out again
    let res = app
        .patch("/v1/partners/signs", &app.admin, &json!({"active": false}))
        .await;
    assert_eq!(res.status(), 200);
    let off = preview(&app, id, &format!("at={AT_START}")).await;
    assert!(!selected(&off).iter().any(|(p, _)| p == "signs"));
}
both!(preview_selects_and_follows_changes);

/// Open and close tags balance, attributes are quoted: enough to catch a broken writer.
fn well_formed(xml: &str) -> Result<(), String> {
    let mut stack: Vec<String> = Vec::new();
    let mut rest = xml;
    while let Some(start) = rest.find('<') {
        let end = rest[start..].find('>').ok_or("unclosed tag")? + start;
        let tag = &rest[start + 1..end];
        if tag.starts_with('?') || tag.starts_with('!') {
            // declaration or comment
        } else if let Some(name) = tag.strip_prefix('/') {
            let open = stack.pop().ok_or(format!("</{name}> closes nothing"))?;
            if open != name.trim() {
                return Err(format!("<{open}> closed by </{name}>"));
            }
        } else if !tag.ends_with('/') {
            let name = tag.split_whitespace().next().ok_or("empty tag")?;
            stack.push(name.to_string());
        }
        if !tag.matches('"').count().is_multiple_of(2) {
            return Err(format!("unbalanced quotes in <{tag}>"));
        }
        rest = &rest[end + 1..];
    }
    if stack.is_empty() {
        Ok(())
    } else {
        Err(format!("unclosed: {stack:?}"))
    }
}

async fn the_map_is_svg_with_the_region(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    network(&app).await;
    let case = app.create_case("TGT-2").await;
    let id = case["id"].as_str().unwrap();
    let res = app
        .get(
            &format!("/v1/cases/{id}/targeting.svg?at={AT_START}"),
            &app.manager,
        )
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().unwrap(),
        "image/svg+xml"
    );
    let svg = res.text().await.unwrap();
    assert!(svg.starts_with("<svg"), "{}", &svg[..60.min(svg.len())]);
    assert!(svg.trim_end().ends_with("</svg>"));
    well_formed(&svg).unwrap();
    // the last-seen circle, drawn in its colour
    assert!(svg.contains(r##"stroke="#d7301f""##), "region path");
    assert!(svg.contains("TGT-2"), "titled with the case number");
    assert!(!svg.contains("Test Child"), "never the child's name");
    assert!(well_formed("<svg><g></svg>").is_err());
}
both!(the_map_is_svg_with_the_region);

async fn who_may_preview_and_bad_requests(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let case = app.create_case("TGT-3").await;
    let id = case["id"].as_str().unwrap();
    for path in ["targeting", "targeting.svg"] {
        let url = format!("/v1/cases/{id}/{path}");
        let res = app.get(&url, &app.partner).send().await.unwrap();
        assert_eq!(error_of(res, 403).await.0, "forbidden");
        let res = app.client.get(app.url(&url)).send().await.unwrap();
        assert_eq!(error_of(res, 401).await.0, "unauthenticated");
        let res = app.get(&url, &app.admin).send().await.unwrap();
        assert_eq!(res.status(), 200, "admins may preview");

        let unknown = format!("/v1/cases/{}/{path}", uuid::Uuid::now_v7());
        let res = app.get(&unknown, &app.manager).send().await.unwrap();
        assert_eq!(error_of(res, 404).await.0, "not_found");

        let res = app
            .get(&format!("{url}?states=VA,ZZ"), &app.manager)
            .send()
            .await
            .unwrap();
        let (code, field) = error_of(res, 400).await;
        assert_eq!(code, "bad_parameter");
        assert_eq!(field.as_deref(), Some("states[1]"));

        let res = app
            .get(&format!("{url}?at=tomorrow"), &app.manager)
            .send()
            .await
            .unwrap();
        assert_eq!(error_of(res, 400).await.1.as_deref(), Some("at"));
    }
}
both!(who_may_preview_and_bad_requests);

#[test]
fn the_targeting_routes_are_served_and_documented() {
    let doc: Value = serde_json::from_str(lookout::api::openapi_document()).unwrap();
    let table = lookout::api::route_table();
    for path in ["/v1/cases/{id}/targeting", "/v1/cases/{id}/targeting.svg"] {
        assert!(
            table
                .iter()
                .any(|(m, p)| m == axum::http::Method::GET && *p == path),
            "{path} routed"
        );
        assert!(doc["paths"][path]["get"].is_object(), "{path} documented");
    }
    // nothing documented that is not served
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            assert!(
                table
                    .iter()
                    .any(|(m, p)| m.as_str().eq_ignore_ascii_case(method) && p == path),
                "{method} {path} is documented but not served"
            );
        }
    }
}

async fn the_demo_network_is_seeded_once_and_previewed(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let first = lookout::app::seed_demo(&app.store).await.unwrap();
    assert!(first.network.partners >= 300, "{:?}", first.network);
    assert!(
        (19_000..=21_000).contains(&first.network.locations),
        "{:?}",
        first.network
    );
    let again = lookout::app::seed_demo(&app.store).await.unwrap();
    assert_eq!(again.network, lookout::app::NetworkSeed::default());
    assert_eq!(again.cases_created, 0);

    // seeded behind the service's back: any partner change through the API rebuilds the index
    let res = app
        .patch(
            &format!("/v1/partners/{}", app.partner_id),
            &app.admin,
            &json!({"name": "Test Partner"}),
        )
        .await;
    assert_eq!(res.status(), 200);
    let list: Value = app
        .get("/v1/cases?case_number=SAMPLE-0001", &app.manager)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = list["cases"][0]["id"].as_str().expect("the demo case");
    let p = preview(&app, id, "").await;
    assert!(
        p["totals"]["partners"].as_u64().unwrap() >= 3,
        "{}",
        p["totals"]
    );
    assert!(
        p["totals"]["locations"].as_u64().unwrap() >= 20,
        "{}",
        p["totals"]
    );
}
both!(the_demo_network_is_seeded_once_and_previewed);

/// A partner import run by the command line while the service runs: the service's watcher
/// picks the change up without a restart.
async fn an_import_by_the_command_line_reaches_the_running_service(backend: Backend) {
    let Some(app) = spawn_app(backend).await else {
        return;
    };
    let case = app.create_case("TGT-4").await;
    let id = case["id"].as_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let partners = dir.path().join("partners.json");
    std::fs::write(
        &partners,
        r#"[{"id": "imported", "name": "Imported Co", "kind": "retail", "delivery": {"pull": true}}]"#,
    )
    .unwrap();
    let csv = dir.path().join("locations.csv");
    std::fs::write(
        &csv,
        format!(
            "partner_id,ref,name,lat,lon\nimported,I1,Imported DC,{},{}\n",
            DC.0, DC.1
        ),
    )
    .unwrap();
    for file in [&partners, &csv] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_lookout"))
            .args(["partners", "import"])
            .arg(file)
            .args(["--database", &app.database_url])
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let deadline =
        std::time::Instant::now() + lookout::app::WATCH_EVERY + std::time::Duration::from_secs(10);
    loop {
        let p = preview(&app, id, &format!("at={AT_START}")).await;
        if selected(&p) == vec![pair("imported", "I1")] {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the import never reached the index: {:?}",
            selected(&p)
        );
        tokio::time::sleep(std::time::Duration::from_millis(250)).await;
    }
}
both!(an_import_by_the_command_line_reaches_the_running_service);
