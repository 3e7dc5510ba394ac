use super::*;

fn p(lat: f64, lon: f64) -> LatLon {
    LatLon { lat, lon }
}

pub(super) fn sample(msg_type: MsgType) -> CapMessage {
    let sent: DateTime<Utc> = "2026-11-19T02:31:00Z".parse().unwrap();
    CapMessage {
        identifier: "lookout-d-1".into(),
        sender: "lookout.example.org".into(),
        sent,
        msg_type,
        references: match msg_type {
            MsgType::Alert => vec![],
            _ => vec![CapReference {
                sender: "lookout.example.org".into(),
                identifier: "lookout-d-0".into(),
                sent: "2026-11-18T21:30:00-05:00".parse().unwrap(),
            }],
        },
        infos: vec![CapInfo {
            lang: Lang::En,
            event: "Missing Child".into(),
            amber: false,
            headline: "MISSING: case 2026-004217".into(),
            description: "Seen in a red coat".into(),
            instruction: None,
            contact: None,
            web: None,
            expires: None,
            areas: vec![CapArea {
                description: "Search region".into(),
                polygons: vec![vec![p(38.0, -77.0), p(39.0, -77.0), p(39.0, -76.0)]],
                circles: vec![CapCircle {
                    center: p(38.8048, -77.0469),
                    radius_km: 50.0,
                }],
            }],
        }],
    }
}

#[test]
fn escapes_markup_and_drops_what_xml_cannot_hold() {
    assert_eq!(
        escape("a<b & \"c\" 'd' >"),
        "a&lt;b &amp; &quot;c&quot; &apos;d&apos; &gt;"
    );
    assert_eq!(escape("x\u{0}y\u{7}z\tok\r\n"), "xyz\tok&#13;\n");
    assert_eq!(escape("Tomás ]]>"), "Tomás ]]&gt;");
}

#[test]
fn times_use_numeric_offsets_and_minus_zero_for_utc() {
    let utc: DateTime<FixedOffset> = "2026-11-19T02:31:00.250Z".parse().unwrap();
    assert_eq!(cap_time(utc), "2026-11-19T02:31:00-00:00");
    let est: DateTime<FixedOffset> = "2026-11-18T21:30:00-05:00".parse().unwrap();
    assert_eq!(cap_time(est), "2026-11-18T21:30:00-05:00");
}

#[test]
fn polygons_are_closed_once_and_numbers_are_plain() {
    let ring = vec![p(38.0, -77.0), p(39.0, -77.0), p(39.0, -76.5)];
    let want = "38,-77 39,-77 39,-76.5 38,-77";
    assert_eq!(polygon_text(&ring), want);
    let mut closed = ring.clone();
    closed.push(ring[0]);
    assert_eq!(polygon_text(&closed), want);
    assert_eq!(number(38.804_812_345, 6), "38.804812");
    assert_eq!(number(-0.000_000_1, 6), "0");
    assert_eq!(number(50.0, 3), "50");
}

#[test]
fn updates_and_cancels_need_references() {
    let mut m = sample(MsgType::Update);
    m.references.clear();
    assert_eq!(to_xml(&m), Err(CapError::MissingReferences("Update")));
    let mut m = sample(MsgType::Cancel);
    m.references.clear();
    assert_eq!(to_xml(&m), Err(CapError::MissingReferences("Cancel")));
    assert!(to_xml(&sample(MsgType::Alert)).is_ok());
}

#[test]
fn bad_ids_and_areas_name_their_field() {
    let mut m = sample(MsgType::Alert);
    m.identifier = "has space".into();
    assert_eq!(
        to_xml(&m),
        Err(CapError::BadId {
            field: "identifier"
        })
    );
    let mut m = sample(MsgType::Alert);
    m.infos[0].areas[0].circles[0].radius_km = 0.0;
    let e = to_xml(&m).unwrap_err().to_string();
    assert!(e.starts_with("infos[0].areas[0].circles[0]: radius"), "{e}");
    let mut m = sample(MsgType::Alert);
    m.infos[0].areas[0].polygons[0] = vec![p(1.0, 1.0), p(2.0, 2.0), p(1.0, 1.0)];
    let e = to_xml(&m).unwrap_err().to_string();
    assert!(e.starts_with("infos[0].areas[0].polygons[0]:"), "{e}");
    let mut m = sample(MsgType::Alert);
    m.infos[0].areas[0].polygons[0][1].lat = 91.0;
    assert!(to_xml(&m).is_err());
}

#[test]
fn a_cancel_says_the_event_is_over() {
    let xml = to_xml(&sample(MsgType::Cancel)).unwrap();
    assert!(xml.contains("<msgType>Cancel</msgType>"));
    assert!(xml.contains("<urgency>Past</urgency>"));
    assert!(xml.contains("<responseType>AllClear</responseType>"));
    assert!(xml.contains(
        "<references>lookout.example.org,lookout-d-0,2026-11-18T21:30:00-05:00</references>"
    ));
}
