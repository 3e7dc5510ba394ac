//! `lookout partners import` against a real SQLite file: partners first, then locations with bad
//! rows (reported by line, the good rows stored), and files that cannot be read at all.

use std::path::Path;
use std::process::{Command, Output};

use lookout::partners::PartnerId;
use lookout::store::Store;

fn lookout(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args(args)
        .env_remove("DATABASE_URL")
        .env_remove("LOOKOUT_DATABASE_URL")
        .output()
        .expect("run lookout")
}

fn import(file: &Path, db: &str) -> Output {
    lookout(&[
        "partners",
        "import",
        file.to_str().unwrap(),
        "--database",
        db,
    ])
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const PARTNERS: &str = r#"[
  {"id": "northwind-retail", "name": "Northwind Retail", "kind": "retail", "delivery": {"pull": true}, "languages": ["en", "es"]},
  {"id": "metro-signs", "name": "Metro Digital Signs", "kind": "billboard", "delivery": {"pull": true}, "formats": ["billboard"]},
  {"id": "Bad Id", "name": "Broken", "kind": "retail", "delivery": {"pull": true}}
]"#;

const LOCATIONS: &str = "partner_id,ref,name,lat,lon,reach_m,email
northwind-retail,0412,Northwind #412 Alexandria,38.8101,-77.0647,,
northwind-retail,0413,Northwind #413 Nowhere,not-a-number,-77.0647,,
metro-signs,DC-I95-N3,I-95 N mile 3,38.7851,-77.0170,1200,
ghost-partner,G1,Ghost store,38.80,-77.05,,
northwind-retail,0414,Northwind #414 Arlington,38.8816,-77.0910,,store414@northwind.example
";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_rows_are_reported_by_line_and_good_rows_stored() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("lookout.db").display());
    let partners = dir.path().join("partners.json");
    std::fs::write(&partners, PARTNERS).unwrap();
    let out = import(&partners, &db);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stderr).contains("[2]"), "{}", text(&out.stderr));
    let summary = text(&out.stdout);
    assert!(
        summary.contains("2 partners (2 new, 0 updated)") && summary.contains("1 bad row skipped"),
        "{summary}"
    );

    let csv = dir.path().join("locations.csv");
    std::fs::write(&csv, LOCATIONS).unwrap();
    let out = import(&csv, &db);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("line 3: lat:"), "{stderr}");
    assert!(
        stderr.contains("line 5: partner_id: no partner ghost-partner"),
        "{stderr}"
    );
    assert!(
        stdout.contains("imported 3 locations for 2 partners; 2 bad rows skipped"),
        "{stdout}"
    );

    let store = Store::open(&db).await.unwrap();
    let id = |s: &str| PartnerId::parse(s).unwrap();
    let northwind = store.locations(&id("northwind-retail")).await.unwrap();
    let refs: Vec<&str> = northwind.iter().map(|l| l.reference.as_str()).collect();
    assert_eq!(refs, vec!["0412", "0414"]);
    assert_eq!(
        northwind[1].email.as_deref(),
        Some("store414@northwind.example")
    );
    let signs = store.locations(&id("metro-signs")).await.unwrap();
    assert_eq!(signs.len(), 1);
    assert_eq!(signs[0].reach_m, Some(1200.0));
    let mark = store.partners_change_mark().await.unwrap();

    // importing the partners again updates them, and the change mark moves
    let out = import(&partners, &db);
    assert!(
        text(&out.stdout).contains("(0 new, 2 updated)"),
        "{}",
        text(&out.stdout)
    );
    assert_ne!(store.partners_change_mark().await.unwrap(), mark);
    store.close().await;
}

#[test]
fn a_file_that_cannot_be_read_exits_2_and_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("lookout.db").display());

    let out = import(&dir.path().join("missing.csv"), &db);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).starts_with("file: "),
        "{}",
        text(&out.stderr)
    );

    let csv = dir.path().join("no-header.csv");
    std::fs::write(&csv, "a,b\n1,2\n").unwrap();
    let out = import(&csv, &db);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("header: no partner_id column"),
        "{}",
        text(&out.stderr)
    );

    let json = dir.path().join("partners.json");
    std::fs::write(&json, "[{\"id\": ").unwrap();
    let out = import(&json, &db);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("partners:"),
        "{}",
        text(&out.stderr)
    );

    // every row bad: nothing to import is an input error too
    let csv = dir.path().join("all-bad.csv");
    std::fs::write(&csv, "partner_id,ref,name,lat,lon\nnobody,1,X,1,1\n").unwrap();
    let out = import(&csv, &db);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("line 2: partner_id"));
    assert!(text(&out.stderr).contains("nothing imported"));
}

/// A fresh SQLite file with one newspaper partner, `daily-courier`, imported: its directory and URL.
fn with_courier() -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("lookout.db").display());
    let partners = dir.path().join("partners.json");
    std::fs::write(
        &partners,
        r#"[{"id": "daily-courier", "name": "Daily Courier", "kind": "media", "delivery": {"pull": true}}]"#,
    )
    .unwrap();
    assert_eq!(import(&partners, &db).status.code(), Some(0));
    (dir, db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn geojson_locations_with_a_coverage_area_are_imported() {
    let (dir, db) = with_courier();
    // no extension that says what it is: the content does
    let file = dir.path().join("courier.json.txt");
    std::fs::write(
        &file,
        r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-77.2, 38.7], [-76.9, 38.7], [-76.9, 39.0], [-77.2, 39.0], [-77.2, 38.7]]]},
   "properties": {"partner_id": "daily-courier", "ref": "METRO", "name": "Metro circulation"}},
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-77.0, 38.8]},
   "properties": {"partner_id": "daily-courier", "name": "No ref"}}
]}"#,
    )
    .unwrap();
    let out = import(&file, &db);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("features[1]: properties.ref: required"),
        "{stderr}"
    );
    assert!(text(&out.stdout).contains("imported 1 location for 1 partner; 1 bad row skipped"));

    let store = Store::open(&db).await.unwrap();
    let stored = store
        .locations(&PartnerId::parse("daily-courier").unwrap())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    let coverage = stored[0].coverage.as_ref().expect("the coverage polygon");
    assert_eq!(coverage.0[0].exterior().0.len(), 5);
    store.close().await;
}

/// The hostile coverage areas the admin API refuses are bad rows of an import file too, each
/// named; the good one is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_coverage_areas_are_bad_rows() {
    let (dir, db) = with_courier();
    let file = dir.path().join("courier.geojson");
    std::fs::write(&file, r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-77.1, 38.7], [1e19, 38.7], [-77.0, 38.8], [-77.1, 38.7]]]},
   "properties": {"partner_id": "daily-courier", "ref": "FAR", "name": "A coordinate of 1e19"}},
  {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-77.1, 38.7], [-77.0, 38.8], [-77.0, 38.7], [-77.1, 38.8], [-77.1, 38.7]]]},
   "properties": {"partner_id": "daily-courier", "ref": "BOW", "name": "A ring that crosses itself"}},
  {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-77.2, 38.7], [-76.9, 38.7], [-76.9, 39.0], [-77.2, 39.0], [-77.2, 38.7]]]},
   "properties": {"partner_id": "daily-courier", "ref": "METRO", "name": "Metro circulation"}}
]}"#).unwrap();
    let out = import(&file, &db);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    for row in ["features[0]: geometry", "features[1]: geometry"] {
        assert!(stderr.contains(row), "{row} in {stderr}");
    }
    assert!(
        text(&out.stdout).contains("imported 1 location for 1 partner; 2 bad rows skipped"),
        "{}",
        text(&out.stdout)
    );
    let store = Store::open(&db).await.unwrap();
    let stored = store
        .locations(&PartnerId::parse("daily-courier").unwrap())
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].reference, "METRO");
    store.close().await;
}

/// A webhook over plain http is a bad row, unless the configuration's `allow_private_targets`
/// covers its address: the same rule the sender keeps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plain_http_webhooks_follow_allow_private_targets() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("lookout.db").display());
    let partners = dir.path().join("partners.json");
    std::fs::write(
        &partners,
        r#"[{"id": "relay-partner", "name": "SAMPLE Relay", "kind": "retail",
             "delivery": {"webhook": {"url": "http://127.0.0.1:9/hook",
                                      "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}}]"#,
    )
    .unwrap();
    // without the configuration: the only row is bad, so nothing is imported (exit 2)
    let out = import(&partners, &db);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr).contains("[0]: delivery.webhook.url: must be an https:// address"),
        "{}",
        text(&out.stderr)
    );

    let config = dir.path().join("lookout.toml");
    std::fs::write(&config, "allow_private_targets = [\"127.0.0.0/8\"]\n").unwrap();
    let out = lookout(&[
        "partners",
        "import",
        partners.to_str().unwrap(),
        "--config",
        config.to_str().unwrap(),
        "--database",
        &db,
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("(1 new, 0 updated)"),
        "{}",
        text(&out.stdout)
    );
}
