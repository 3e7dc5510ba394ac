//! Region policy, selection and the GeoJSON preview on the example case; the demo network.

use std::collections::HashMap;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use lookout::cases::{Case, CaseType, Lang, Travel, parse_case};
use lookout::partners::check::{check_location, check_partner};
use lookout::partners::{Location, Partner, PartnerId, PartnerKind};
use lookout::targeting::DemoNetwork;
use lookout::targeting::select::SkipReason;
use lookout::targeting::sphere::{LatLon, destination, haversine_m};
use lookout::targeting::{
    Audience, LocationIndex, PieceKind, Policy, RegionExtras, Shape, States, preview, region_for,
    select,
};

const EXAMPLE: &str = include_str!("fixtures/case-example.json");

fn case() -> Case {
    parse_case(
        EXAMPLE.as_bytes(),
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    )
    .unwrap()
}

/// The example case went missing at 2026-11-19T02:30Z.
fn hours_after(h: i64) -> DateTime<Utc> {
    "2026-11-19T02:30:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::hours(h)
}

fn radius(region: &lookout::targeting::Region, kind: PieceKind) -> f64 {
    match region
        .pieces
        .iter()
        .find(|p| p.kind == kind)
        .map(|p| &p.shape)
    {
        Some(Shape::Circle { radius_m, .. }) => *radius_m,
        other => panic!("no circle of {kind:?}: {other:?}"),
    }
}

#[test]
fn the_last_seen_circle_grows_with_time_up_to_the_cap() {
    let policy = Policy::shipped().unwrap();
    let none = RegionExtras::default();
    let mut c = case();
    // family abduction: 80 km, vehicle: 6 km/h
    assert_eq!(
        radius(
            &region_for(&c, &policy, hours_after(0), &none),
            PieceKind::LastSeen
        ),
        80_000.0
    );
    assert_eq!(
        radius(
            &region_for(&c, &policy, hours_after(-5), &none),
            PieceKind::LastSeen
        ),
        80_000.0
    );
    let r10 = region_for(&c, &policy, hours_after(10), &none);
    assert_eq!(radius(&r10, PieceKind::LastSeen), 140_000.0);
    let r96 = region_for(&c, &policy, hours_after(96), &none);
    assert_eq!(radius(&r96, PieceKind::LastSeen), 400_000.0);
    let reason = &r96.pieces[0].reason;
    assert!(reason.contains("Alexandria, VA, US 4 days ago"), "{reason}");
    assert!(reason.contains("travelling by vehicle"), "{reason}");
    assert!(reason.contains("capped at 400 km"), "{reason}");
    // AMBER widens by 1.5 and caps at 600 km
    c.amber_alert = true;
    let amber = region_for(&c, &policy, hours_after(10), &none);
    assert_eq!(radius(&amber, PieceKind::LastSeen), 210_000.0);
    assert_eq!(radius(&amber, PieceKind::Destination), 60_000.0);
    assert!(amber.pieces[0].reason.contains("AMBER"));
    assert_eq!(
        radius(
            &region_for(&c, &policy, hours_after(200), &none),
            PieceKind::LastSeen
        ),
        600_000.0
    );
}

#[test]
fn destinations_get_circles_and_vehicles_get_corridors() {
    let policy = Policy::shipped().unwrap();
    let mut c = case();
    let kinds = |c: &Case| {
        region_for(c, &policy, hours_after(5), &RegionExtras::default())
            .pieces
            .iter()
            .map(|p| p.kind)
            .collect::<Vec<_>>()
    };
    use PieceKind::*;
    assert_eq!(
        kinds(&c),
        [LastSeen, Destination, Destination, Corridor, Corridor]
    );
    c.travel = Travel::Foot;
    assert_eq!(kinds(&c), [LastSeen, Destination, Destination]);
    let r = region_for(&case(), &policy, hours_after(5), &RegionExtras::default());
    assert!(
        r.pieces[3]
            .reason
            .contains("from Alexandria, VA, US to Baltimore, MD"),
        "{}",
        r.pieces[3].reason
    );
}

#[test]
fn added_states_must_exist_and_say_why() {
    let states = States::us().unwrap();
    let err = RegionExtras::new(&["VA", "XX"], Vec::new(), &states).unwrap_err();
    assert_eq!(err.to_string(), "states[1]: unknown state code \"XX\"");
    let extras = RegionExtras::new(&["wv"], Vec::new(), &states).unwrap();
    let r = region_for(
        &case(),
        &Policy::shipped().unwrap(),
        hours_after(1),
        &extras,
    );
    let last = r.pieces.last().unwrap();
    assert_eq!(
        (last.kind, last.code.as_deref()),
        (PieceKind::State, Some("WV"))
    );
    assert_eq!(last.reason, "added by the case manager: West Virginia (WV)");
}

fn partner(id: &str, edit: impl FnOnce(&mut Partner)) -> Partner {
    let mut p = Partner::accept_all(PartnerId::parse(id).unwrap(), format!("Partner {id}"));
    p.kind = PartnerKind::Retail;
    edit(&mut p);
    p
}

fn at(pid: &str, r: &str, p: LatLon) -> Location {
    Location {
        partner_id: PartnerId::parse(pid).unwrap(),
        reference: r.into(),
        name: format!("{pid} {r}"),
        lat: p.lat,
        lon: p.lon,
        reach_m: None,
        email: None,
        coverage: None,
    }
}

#[test]
fn selection_filters_groups_caps_and_counts_each_location_once() {
    let c = case();
    let alexandria = LatLon::new(38.8048, -77.0469);
    let baltimore = LatLon::new(39.2904, -76.6122);
    let partners = vec![
        partner("all", |_| {}),
        partner("runaways-only", |p| {
            p.case_types = vec![CaseType::EndangeredRunaway]
        }),
        partner("french", |p| p.languages = vec![]),
        partner("capped", |p| {
            p.per_location = true;
            p.daily_cap = Some(2);
        }),
        partner("one-delivery", |p| p.daily_cap = Some(5)),
    ];
    let near = |km: f64, bearing: f64| destination(alexandria, bearing, km * 1000.0);
    let locations = vec![
        // between Alexandria and Baltimore: inside the last-seen circle, a destination and a corridor
        at(
            "all",
            "mid",
            lookout::targeting::sphere::intermediate(alexandria, baltimore, 0.5),
        ),
        at("all", "far", LatLon::new(34.0, -118.0)),
        at("all", "near", near(3.0, 0.0)),
        at("runaways-only", "1", near(5.0, 10.0)),
        at("french", "1", near(5.0, 20.0)),
        at("capped", "c", near(30.0, 90.0)),
        at("capped", "a", near(10.0, 90.0)),
        at("capped", "b", near(20.0, 90.0)),
        at("one-delivery", "x", near(8.0, 45.0)),
    ];
    let index = LocationIndex::build(partners, locations);
    let region = region_for(
        &c,
        &Policy::shipped().unwrap(),
        hours_after(2),
        &RegionExtras::default(),
    );
    let mut remaining = HashMap::new();
    remaining.insert(PartnerId::parse("one-delivery").unwrap(), 0);
    let s = select(&index, &region, Audience::of(&c), &remaining);

    let got: Vec<(&str, Vec<&str>)> = s
        .partners
        .iter()
        .map(|p| {
            (
                p.partner_id.as_str(),
                p.locations.iter().map(|l| l.reference.as_str()).collect(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [("all", vec!["near", "mid"]), ("capped", vec!["a", "b"])]
    );
    let skipped: Vec<(&str, SkipReason, Vec<&str>)> = s
        .skipped
        .iter()
        .map(|k| {
            (
                k.partner_id.as_str(),
                k.reason,
                k.refs.iter().map(String::as_str).collect(),
            )
        })
        .collect();
    assert_eq!(
        skipped,
        [
            ("capped", SkipReason::DailyCap, vec!["c"]),
            ("french", SkipReason::Language, vec!["1"]),
            ("one-delivery", SkipReason::DailyCap, vec!["x"]),
            ("runaways-only", SkipReason::CaseType, vec!["1"]),
        ]
    );
    // distance to the nearest centre: "mid" is nearer Baltimore's circle centre than Alexandria?
    let mid = &s.partners[0].locations[1];
    let expect = haversine_m(alexandria, LatLon::new(mid.lat, mid.lon))
        .min(haversine_m(baltimore, LatLon::new(mid.lat, mid.lon)))
        .min(haversine_m(
            LatLon::new(40.2732, -76.8867),
            LatLon::new(mid.lat, mid.lon),
        ));
    assert_eq!(mid.distance_m, expect.round());
    // the same input gives the same output
    assert_eq!(s, select(&index, &region, Audience::of(&c), &remaining));
}

#[test]
fn preview_has_the_shape_the_issue_asks_for() {
    let c = case();
    let partners = vec![partner("all", |_| {})];
    let locations = vec![
        at("all", "1", LatLon::new(38.81, -77.06)),
        at("all", "2", LatLon::new(39.28, -76.61)),
    ];
    let index = LocationIndex::build(partners, locations);
    let region = region_for(
        &c,
        &Policy::shipped().unwrap(),
        hours_after(2),
        &RegionExtras::default(),
    );
    let s = select(
        &index,
        &region,
        Audience {
            case_type: c.case_type,
            languages: &[Lang::En],
        },
        &HashMap::new(),
    );
    let g = preview(&region, &s);
    assert_eq!(g["type"], "FeatureCollection");
    let features = g["features"].as_array().unwrap();
    assert_eq!(features.len(), region.pieces.len() + 2);
    for f in &features[..region.pieces.len()] {
        assert_eq!(f["type"], "Feature");
        assert!(f["properties"]["kind"].is_string() && f["properties"]["reason"].is_string());
        let geometry_type = f["geometry"]["type"].as_str().unwrap();
        assert!(geometry_type == "Polygon" || geometry_type == "MultiPolygon");
        if f["properties"]["kind"] == "last_seen" || f["properties"]["kind"] == "destination" {
            let center = f["properties"]["center"].as_array().unwrap();
            assert_eq!(center.len(), 2);
            assert!(f["properties"]["radius_m"].as_f64().unwrap() > 0.0);
        }
    }
    assert_eq!(
        features[0]["properties"]["center"],
        serde_json::json!([-77.0469, 38.8048])
    );
    let loc = &features[region.pieces.len()];
    assert_eq!(loc["geometry"]["type"], "Point");
    for key in ["partner_id", "ref", "name", "distance_m"] {
        assert!(!loc["properties"][key].is_null(), "{key}");
    }
    assert_eq!(
        g["partners"],
        serde_json::json!([{"partner_id": "all", "name": "Partner all", "kind": "retail", "locations": 2}])
    );
    assert_eq!(g["totals"]["locations"], 2);
}

#[test]
fn demo_network_is_seeded_realistic_and_valid() {
    let net = DemoNetwork::generate(42, 20_000).unwrap();
    assert!(net.partners.len() >= 300, "{} partners", net.partners.len());
    for p in &net.partners {
        check_partner(p, &[]).unwrap_or_else(|e| panic!("{}: {e:?}", p.id));
    }
    let mut ids: Vec<_> = net.partners.iter().map(|p| &p.id).collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), net.partners.len(), "ids are unique");
    for kind in [
        PartnerKind::Retail,
        PartnerKind::Billboard,
        PartnerKind::Transport,
        PartnerKind::Media,
        PartnerKind::Public,
    ] {
        assert!(net.partners.iter().any(|p| p.kind == kind), "{kind:?}");
    }
    let delivery = |f: fn(&lookout::partners::Delivery) -> bool| {
        net.partners.iter().filter(|p| f(&p.delivery)).count()
    };
    use lookout::partners::Delivery;
    assert!(delivery(|d| matches!(d, Delivery::Email(_))) > 50);
    assert!(delivery(|d| matches!(d, Delivery::Webhook(_))) > 30);
    assert!(delivery(|d| matches!(d, Delivery::Pull(_))) > 10);

    let locations: Vec<Location> = net.locations().collect();
    assert_eq!(locations.len(), net.location_count());
    assert!(
        (19_000..=21_000).contains(&locations.len()),
        "{}",
        locations.len()
    );
    for l in &locations {
        check_location(l).unwrap_or_else(|e| panic!("{} {}: {e:?}", l.partner_id, l.reference));
    }
    // seeded: the same every time, different for another seed
    let again: Vec<Location> = DemoNetwork::generate(42, 20_000)
        .unwrap()
        .locations()
        .take(500)
        .collect();
    assert_eq!(&locations[..500], &again[..]);
    let other: Vec<Location> = DemoNetwork::generate(43, 20_000)
        .unwrap()
        .locations()
        .take(500)
        .collect();
    assert_ne!(&locations[..500], &other[..]);

    // stores follow population: far more around New York than around Des Moines
    let stores_near = |c: LatLon| {
        let retail: std::collections::HashSet<_> = net
            .partners
            .iter()
            .filter(|p| p.kind == PartnerKind::Retail)
            .map(|p| &p.id)
            .collect();
        locations
            .iter()
            .filter(|l| {
                retail.contains(&l.partner_id)
                    && haversine_m(c, LatLon::new(l.lat, l.lon)) < 40_000.0
            })
            .count()
    };
    let (nyc, dsm) = (
        stores_near(LatLon::new(40.71, -74.0)),
        stores_near(LatLon::new(41.59, -93.62)),
    );
    assert!(
        nyc > 10 * dsm && dsm > 0,
        "New York {nyc}, Des Moines {dsm}"
    );
    // billboards have a reach of about a kilometre; media have coverage polygons
    let kind_of = |l: &Location| {
        net.partners
            .iter()
            .find(|p| p.id == l.partner_id)
            .map(|p| p.kind)
    };
    assert!(
        locations
            .iter()
            .filter(|l| kind_of(l) == Some(PartnerKind::Billboard))
            .all(|l| l.reach_m.is_some_and(|r| (800.0..=1500.0).contains(&r)))
    );
    assert!(
        locations
            .iter()
            .filter(|l| kind_of(l) == Some(PartnerKind::Media))
            .all(|l| l.coverage.is_some())
    );
}
