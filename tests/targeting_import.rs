//! Reading partner files: bad rows reported where they are, good rows kept.

use lookout::partners::import::{
    FileKind, read_locations_csv, read_locations_geojson, read_partners,
};
use lookout::partners::{Delivery, ImportError, Row, RowError, import};

fn err(row: Row, field: &str, reason_part: &str, errors: &[RowError]) {
    assert!(
        errors
            .iter()
            .any(|e| e.row == row && e.field == field && e.reason.contains(reason_part)),
        "no {row} {field} ~ {reason_part:?} in {errors:#?}"
    );
}

#[test]
fn the_spec_partners_parse() {
    let text = r#"[
  {"id": "northwind-retail", "name": "Northwind Retail", "kind": "retail",
   "delivery": {"webhook": {"url": "https://posters.northwind.example/hooks/lookout", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}},
   "per_location": false, "formats": ["letter", "square"], "languages": ["en", "es"],
   "case_types": ["endangered_missing", "endangered_runaway", "family_abduction", "nonfamily_abduction", "critically_missing_young_adult", "lost_injured_missing"],
   "daily_cap": 200, "active": true},
  {"id": "bluegrass-truckstops", "name": "Bluegrass Truck Stops", "kind": "transport",
   "delivery": {"email": ["alerts@bluegrass.example"]}, "per_location": true, "formats": ["letter"], "languages": ["en"]},
  {"id": "metro-signs", "name": "Metro Digital Signs", "kind": "billboard", "delivery": {"pull": true}, "formats": ["billboard"]}
]"#;
    let (partners, errors) = read_partners(text.as_bytes(), &[], &mut |_| {}).unwrap();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(partners.len(), 3);
    assert!(matches!(partners[0].delivery, Delivery::Webhook(_)));
    assert_eq!(partners[2].case_types.len(), 6, "default: every case type");
    assert!(partners[1].active);
}

#[test]
fn bad_partners_are_reported_by_position_and_field() {
    let text = r#"[
  {"id": "good-one", "name": "Good", "kind": "retail", "delivery": {"pull": true}},
  {"id": "Bad Id", "name": "x", "kind": "retail", "delivery": {"pull": true}},
  {"id": "no-kind", "name": "x", "delivery": {"pull": true}},
  {"id": "plain-http", "name": "x", "kind": "media", "delivery": {"webhook": {"url": "http://a.example/h", "secret": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}},
  {"id": "bad-mail", "name": "x", "kind": "media", "delivery": {"email": ["nobody"]}},
  {"id": "good-one", "name": "Again", "kind": "retail", "delivery": {"pull": true}},
  {"id": "two-ways", "name": "x", "kind": "retail", "delivery": {"pull": true, "email": ["a@b.example"]}}
]"#;
    let (partners, errors) = read_partners(text.as_bytes(), &[], &mut |_| {}).unwrap();
    assert_eq!(
        partners.iter().map(|p| p.id.as_str()).collect::<Vec<_>>(),
        ["good-one"]
    );
    err(Row::Item(1), "id", "a-z", &errors);
    err(Row::Item(2), "kind", "required", &errors);
    err(Row::Item(3), "delivery.webhook.url", "https", &errors);
    err(Row::Item(4), "delivery.email[0]", "not an email", &errors);
    err(Row::Item(5), "id", "twice", &errors);
    assert!(errors.iter().any(|e| e.row == Row::Item(6)), "{errors:?}");
    assert_eq!(errors.len(), 6);
    assert!(matches!(
        read_partners(&b"{\"id\": 1}"[..], &[], &mut |_| {}),
        Err(ImportError::Malformed { .. })
    ));
}

#[test]
fn csv_rows_are_reported_by_line_and_good_rows_kept() {
    let csv = "partner_id,ref,name,lat,lon,reach_m,email\n\
northwind-retail,0412,Northwind #412 Alexandria,38.8101,-77.0647,,\n\
bluegrass-truckstops,KY-17,Exit 17 Travel Center,38.0406,-84.5037,,store17@bluegrass.example\n\
metro-signs,DC-I95-N3,I-95 N mile 3,38.7851,-77.0170,1200,\n\
metro-signs,BAD-LAT,Somewhere,98.5,-77.0,,\n\
metro-signs,BAD-NUM,Somewhere,north,-77.0,,\n\
\"multi\nline\",X,Y,1,1,,\n\
metro-signs,,No ref,38.0,-77.0,,\n\
northwind-retail,0412,Northwind again,38.8,-77.0,,\n\
metro-signs,REACH,Sign,38.0,-77.0,-5,\n\
metro-signs,MAIL,Sign,38.0,-77.0,,not-an-address\n\
metro-signs,LAST,Last good,38.1,-77.1,,\n";
    let mut got = Vec::new();
    let mut bytes = 0;
    let errors =
        read_locations_csv(csv.as_bytes(), &mut |n| bytes = n, &mut |l| got.push(l)).unwrap();
    assert_eq!(bytes, csv.len() as u64, "progress reaches the file's size");
    let refs: Vec<&str> = got.iter().map(|l| l.reference.as_str()).collect();
    assert_eq!(refs, ["0412", "KY-17", "DC-I95-N3", "LAST"]);
    assert_eq!(got[2].reach_m, Some(1200.0));
    assert_eq!(got[1].email.as_deref(), Some("store17@bluegrass.example"));
    err(Row::Line(5), "lat", "-90 to 90", &errors);
    err(Row::Line(6), "lat", "not a number", &errors);
    err(Row::Line(7), "partner_id", "a-z", &errors);
    err(Row::Line(9), "ref", "required", &errors);
    err(Row::Line(10), "ref", "twice", &errors);
    err(Row::Line(11), "reach_m", "0 to", &errors);
    err(Row::Line(12), "email", "not an email", &errors);
    assert_eq!(errors.len(), 7, "{errors:#?}");
    assert_eq!(
        errors[0].to_string(),
        "line 5: lat: must be a number from -90 to 90"
    );
}

#[test]
fn a_csv_without_a_needed_column_is_refused_whole() {
    let e = read_locations_csv(
        &b"partner_id,ref,name,lat\nx,y,z,1\n"[..],
        &mut |_| {},
        &mut |_| {},
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "header: no lon column");
}

#[test]
fn geojson_points_and_coverage_polygons() {
    let text = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-77.0647, 38.8101]},
   "properties": {"partner_id": "northwind-retail", "ref": "0412", "name": "Northwind #412"}},
  {"type": "Feature", "geometry": {"type": "Polygon", "coordinates": [[[-78, 38], [-76, 38], [-76, 40], [-78, 40], [-78, 38]]]},
   "properties": {"partner_id": "capital-courier", "ref": "circulation", "name": "Capital Courier area"}},
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-77.0, 38.0]},
   "properties": {"partner_id": "metro-signs", "name": "No ref"}},
  {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [[-77.0, 38.0], [-76, 39]]},
   "properties": {"partner_id": "metro-signs", "ref": "L", "name": "A road"}},
  {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-77.0, 38.0]},
   "properties": {"partner_id": "metro-signs", "ref": "S1", "name": "Sign", "reach_m": 1000, "email": "s1@metro.example"}}
]}"#;
    let mut got = Vec::new();
    let errors =
        read_locations_geojson(text.as_bytes(), &mut |_| {}, &mut |l| got.push(l)).unwrap();
    assert_eq!(got.len(), 3);
    assert_eq!((got[0].lat, got[0].lon), (38.8101, -77.0647));
    let area = &got[1];
    assert!(area.coverage.is_some());
    assert!(
        (area.lat - 39.0).abs() < 1e-9 && (area.lon + 77.0).abs() < 1e-9,
        "placed at its centroid"
    );
    assert_eq!(got[2].reach_m, Some(1000.0));
    err(Row::Feature(2), "properties.ref", "required", &errors);
    err(
        Row::Feature(3),
        "geometry",
        "Point, Polygon or MultiPolygon",
        &errors,
    );
    assert_eq!(errors.len(), 2);
}

#[test]
fn import_chooses_the_form_by_name_and_content() {
    assert_eq!(FileKind::detect("x.CSV", b"["), FileKind::LocationsCsv);
    assert_eq!(
        FileKind::detect("partners.json", b"  \n["),
        FileKind::Partners
    );
    assert_eq!(
        FileKind::detect("stores.json", b"{\"type\""),
        FileKind::LocationsGeoJson
    );
    let report = import(
        "stores.csv",
        &b"partner_id,ref,name,lat,lon\nab,1,A,1,2\n"[..],
        &[],
        &mut |_| {},
    )
    .unwrap();
    assert_eq!(
        (
            report.locations.len(),
            report.partners.len(),
            report.errors.len()
        ),
        (1, 0, 0)
    );
}

#[test]
fn row_errors_serialise_for_the_api() {
    let e = RowError {
        row: Row::Line(5),
        field: "lat".into(),
        reason: "must be a number from -90 to 90".into(),
    };
    assert_eq!(
        serde_json::to_value(&e).unwrap(),
        serde_json::json!({"line": 5, "field": "lat", "reason": "must be a number from -90 to 90"})
    );
    let f = RowError {
        row: Row::Feature(2),
        field: "geometry".into(),
        reason: "required".into(),
    };
    assert_eq!(serde_json::to_value(&f).unwrap()["feature"], 2);
    assert_eq!(f.to_string(), "features[2]: geometry: required");
}
