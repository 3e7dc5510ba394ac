//! `lookout target` run as a user runs it: the example case and a small locations file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const LOCATIONS: &str = "partner_id,ref,name,lat,lon,reach_m,email
northwind-retail,0412,Northwind #412 Alexandria,38.8101,-77.0647,,
northwind-retail,0900,Northwind #900 Los Angeles,34.05,-118.24,,
bluegrass-truckstops,MD-3,Exit 3 Travel Center,39.30,-76.62,,store3@bluegrass.example
metro-signs,DC-I95-N3,I-95 N mile 3,38.7851,-77.0170,1200,
metro-signs,BAD,Broken row,95,-77,,
";

const PARTNERS: &str = r#"[
  {"id": "northwind-retail", "name": "Northwind Retail", "kind": "retail", "delivery": {"pull": true}, "languages": ["en", "es"]},
  {"id": "bluegrass-truckstops", "name": "Bluegrass Truck Stops", "kind": "transport", "delivery": {"email": ["alerts@bluegrass.example"]}, "per_location": true, "case_types": ["endangered_runaway"]},
  {"id": "metro-signs", "name": "Metro Digital Signs", "kind": "billboard", "delivery": {"pull": true}, "formats": ["billboard"]}
]"#;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

fn run(dir: &Path, extra: &[&str]) -> Output {
    std::fs::write(dir.join("locations.csv"), LOCATIONS).unwrap();
    std::fs::write(dir.join("partners.json"), PARTNERS).unwrap();
    let case = fixtures().join("case-example.json");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lookout"));
    // the configuration comes from `--config` alone here
    cmd.env_remove("LOOKOUT_ALLOW_PRIVATE_TARGETS");
    cmd.arg("target")
        .arg("--case")
        .arg(&case)
        .arg("--locations")
        .arg(dir.join("locations.csv"));
    if !extra.contains(&"--at") {
        cmd.args(["--at", "2026-11-20T12:00:00Z"]);
    }
    cmd.args(extra).output().unwrap()
}

fn json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn refs(g: &serde_json::Value) -> Vec<String> {
    g["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["geometry"]["type"] == "Point")
        .map(|f| f["properties"]["ref"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn prints_the_preview_and_warns_about_bad_rows() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(dir.path(), &[]);
    let g = json(&out);
    assert_eq!(g["type"], "FeatureCollection");
    // without partners every location takes every case; Los Angeles is far away
    assert_eq!(
        refs(&g),
        ["MD-3", "DC-I95-N3", "0412"],
        "by partner id, nearest first"
    );
    let kinds: Vec<&str> = g["features"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["properties"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "last_seen",
            "destination",
            "destination",
            "corridor",
            "corridor"
        ]
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("line 6: lat: must be a number from -90 to 90"),
        "{stderr}"
    );
    assert_eq!(g["totals"]["partners"], 3);
}

#[test]
fn partners_filter_and_a_map_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let map = dir.path().join("out/map.svg");
    std::fs::create_dir_all(map.parent().unwrap()).unwrap();
    let partners = dir.path().join("partners.json");
    let out = run(
        dir.path(),
        &[
            "--partners",
            partners.to_str().unwrap(),
            "--map",
            map.to_str().unwrap(),
            "--states",
            "WV",
        ],
    );
    let g = json(&out);
    assert_eq!(refs(&g), ["DC-I95-N3", "0412"]);
    assert_eq!(g["skipped"][0]["partner_id"], "bluegrass-truckstops");
    assert_eq!(g["skipped"][0]["reason"], "case_type");
    assert!(
        g["features"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["properties"]["code"] == "WV")
    );
    let svg = std::fs::read_to_string(&map).unwrap();
    assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
    assert!(svg.contains("Case 2026-004217"));
    assert_eq!(
        svg.matches("<circle").count() - 3,
        2 + 2,
        "2 locations + legend dots, plus 3 centres"
    );
    // nothing but the map is left in its directory
    assert_eq!(std::fs::read_dir(map.parent().unwrap()).unwrap().count(), 1);
}

#[test]
fn bad_input_exits_2_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (vec!["--at", "yesterday"], "at: "),
        (
            vec!["--states", "VA,QQ"],
            "states[1]: unknown state code \"QQ\"",
        ),
    ];
    let locations = dir.path().join("locations.csv");
    for (args, message) in cases {
        let args: Vec<&str> = args
            .into_iter()
            .map(|a| {
                if a == "__LOCATIONS__" {
                    locations.to_str().unwrap()
                } else {
                    a
                }
            })
            .collect();
        let out = run(dir.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let mut broken: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(fixtures().join("case-example.json")).unwrap(),
    )
    .unwrap();
    broken["missing_from"]["lat"] = serde_json::json!(123.0);
    let case = dir.path().join("case.json");
    std::fs::write(&case, broken.to_string()).unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_lookout"))
        .args([
            "target",
            "--case",
            case.to_str().unwrap(),
            "--locations",
            dir.path().join("locations.csv").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing_from.lat"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A webhook over plain http to a private address is a bad partner row unless the configuration
/// allows it: the preview checks partners as the service would.
#[test]
fn partners_are_checked_with_the_configuration() {
    let dir = tempfile::tempdir().unwrap();
    let partners = dir.path().join("hooks.json");
    std::fs::write(
        &partners,
        r#"[
  {"id": "northwind-retail", "name": "Northwind Retail", "kind": "retail",
   "delivery": {"webhook": {"url": "http://127.0.0.1:9/hook", "secret": "whsec_c2FtcGxlLXNlY3JldC1zYW1wbGUtc2VjcmV0LTEyMzQ="}}},
  {"id": "metro-signs", "name": "Metro Digital Signs", "kind": "billboard", "delivery": {"pull": true}}
]"#,
    )
    .unwrap();
    let args = ["--partners", partners.to_str().unwrap()];
    let out = run(dir.path(), &args);
    let g = json(&out);
    assert_eq!(
        refs(&g),
        ["DC-I95-N3"],
        "the http webhook partner is left out"
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("plain http"), "{stderr}");

    let config = dir.path().join("lookout.toml");
    std::fs::write(&config, "allow_private_targets = [\"127.0.0.0/8\"]\n").unwrap();
    let mut with_config = args.to_vec();
    with_config.extend(["--config", config.to_str().unwrap()]);
    let g = json(&run(dir.path(), &with_config));
    assert_eq!(refs(&g), ["DC-I95-N3", "0412"]);

    // a configuration that cannot be read is refused, naming it
    let mut broken = args.to_vec();
    let missing = dir.path().join("missing.toml");
    broken.extend(["--config", missing.to_str().unwrap()]);
    let out = run(dir.path(), &broken);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("missing.toml"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
