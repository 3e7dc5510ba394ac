//! CAP 1.2 output read back by an independent XML parser (Python's ElementTree): well-formed,
//! in the CAP namespace, with hostile text surviving intact.

use chrono::{DateTime, Utc};
use lookout::cases::Lang;
use lookout::dispatch::cap::{
    CapArea, CapCircle, CapInfo, CapMessage, CapReference, LatLon, MsgType, to_xml,
};
use serde_json::Value;

#[path = "common/xml.rs"]
mod xml;

/// Read back by Python's ElementTree, after checking it against the OASIS schema.
fn read_back(xml: &str) -> Value {
    xml::assert_valid_cap(xml);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("alert.xml");
    std::fs::write(&path, xml).unwrap();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/support/cap.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "not well-formed: {}\n{xml}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn info(lang: Lang, headline: &str, description: &str) -> CapInfo {
    CapInfo {
        lang,
        event: "Child Abduction Emergency".into(),
        amber: true,
        headline: headline.into(),
        description: description.into(),
        instruction: Some("Call 1-800-THE-LOST".into()),
        contact: Some("Alexandria Police Department 1-703-555-0100".into()),
        web: Some("https://lookout.example/p/2026-004217/2/letter?lang=en&exp=1&sig=x".into()),
        expires: Some("2026-11-26T00:00:00Z".parse().unwrap()),
        areas: vec![CapArea {
            description: "Alexandria, VA & surroundings".into(),
            polygons: vec![vec![
                LatLon {
                    lat: 38.70,
                    lon: -77.20,
                },
                LatLon {
                    lat: 38.95,
                    lon: -77.20,
                },
                LatLon {
                    lat: 38.95,
                    lon: -76.90,
                },
                LatLon {
                    lat: 38.70,
                    lon: -76.90,
                },
            ]],
            circles: vec![CapCircle {
                center: LatLon {
                    lat: 39.2904,
                    lon: -76.6122,
                },
                radius_km: 25.5,
            }],
        }],
    }
}

#[test]
fn an_update_reads_back_with_every_part() {
    let sent: DateTime<Utc> = "2026-11-19T02:31:00Z".parse().unwrap();
    let hostile = "SAMPLE <b>bold</b> & \"quoted\" ]]> \u{1}bell";
    let msg = CapMessage {
        identifier: "lookout-0190d3f2".into(),
        sender: "lookout.example.org".into(),
        sent,
        msg_type: MsgType::Update,
        references: vec![CapReference {
            sender: "lookout.example.org".into(),
            identifier: "lookout-018f".into(),
            sent: "2026-11-18T21:30:00-05:00".parse().unwrap(),
        }],
        infos: vec![
            info(Lang::En, "AMBER Alert: SAMPLE case 2026-004217", hostile),
            info(
                Lang::Es,
                "Alerta AMBER: caso de MUESTRA 2026-004217",
                "Niña de 11 años",
            ),
        ],
    };
    let v = read_back(&to_xml(&msg).unwrap());
    assert_eq!(v["tag"], "{urn:oasis:names:tc:emergency:cap:1.2}alert");
    assert_eq!(v["identifier"], "lookout-0190d3f2");
    assert_eq!(v["sent"], "2026-11-19T02:31:00-00:00");
    assert_eq!(
        (v["status"].as_str(), v["scope"].as_str()),
        (Some("Actual"), Some("Public"))
    );
    assert_eq!(v["msgType"], "Update");
    assert_eq!(
        v["references"],
        "lookout.example.org,lookout-018f,2026-11-18T21:30:00-05:00"
    );
    let en = &v["infos"][0];
    assert_eq!(en["language"], "en-US");
    assert_eq!(en["categories"], serde_json::json!(["Rescue", "Safety"]));
    assert_eq!(en["event_code"], "CAE");
    assert_eq!(
        (
            en["urgency"].as_str(),
            en["severity"].as_str(),
            en["certainty"].as_str()
        ),
        (Some("Immediate"), Some("Severe"), Some("Likely"))
    );
    assert_eq!(
        en["description"],
        "SAMPLE <b>bold</b> & \"quoted\" ]]> bell"
    );
    let area = &en["areas"][0];
    assert_eq!(area["desc"], "Alexandria, VA & surroundings");
    assert_eq!(
        area["polygons"][0],
        "38.7,-77.2 38.95,-77.2 38.95,-76.9 38.7,-76.9 38.7,-77.2"
    );
    assert_eq!(area["circles"][0], "39.2904,-76.6122 25.5");
    assert_eq!(v["infos"][1]["language"], "es-US");
    assert_eq!(v["infos"][1]["description"], "Niña de 11 años");
}
