//! The R-tree search against a brute-force scan, exact boundaries, polygons with holes and the
//! real state outlines.

use geo::{LineString, MultiPolygon, Polygon};
use lookout::partners::{Location, Partner, PartnerId};
use lookout::targeting::shape::{Probe, Shape};
use lookout::targeting::sphere::{self, BOUNDARY_TOLERANCE_M, LatLon, haversine_m};
use lookout::targeting::{LocationIndex, States};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn pid() -> PartnerId {
    PartnerId::parse("test-partner").unwrap()
}

fn point(i: usize, at: LatLon, reach_m: Option<f64>) -> Location {
    Location {
        partner_id: pid(),
        reference: i.to_string(),
        name: format!("Location {i}"),
        lat: at.lat,
        lon: at.lon,
        reach_m,
        email: None,
        coverage: None,
    }
}

fn index(locations: Vec<Location>) -> LocationIndex {
    LocationIndex::build(vec![Partner::accept_all(pid(), "Test".into())], locations)
}

/// Refs of every location the index finds for a shape, sorted numerically.
fn found(idx: &LocationIndex, shape: &Shape) -> Vec<usize> {
    let mut out = Vec::new();
    idx.locate(&Probe::new(shape), &mut out);
    let mut refs: Vec<usize> = out
        .iter()
        .map(|&i| idx.get(i).reference.parse().unwrap())
        .collect();
    refs.sort_unstable();
    refs
}

/// A uniform point on the sphere, or one near a hot spot (the antimeridian, a pole, the US).
fn random_point(rng: &mut ChaCha8Rng) -> LatLon {
    let hot = [
        LatLon::new(52.0, 180.0),
        LatLon::new(89.0, 0.0),
        LatLon::new(-89.5, 70.0),
        LatLon::new(39.0, -98.0),
    ];
    if rng.random_bool(0.5) {
        let z: f64 = rng.random_range(-1.0..1.0);
        LatLon::new(z.asin().to_degrees(), rng.random_range(-180.0..180.0))
    } else {
        let c = hot[rng.random_range(0..hot.len())];
        sphere::destination(
            c,
            rng.random_range(0.0..360.0),
            700_000.0 * rng.random::<f64>().sqrt(),
        )
    }
}

fn random_network(n: usize, seed: u64) -> (Vec<Location>, Vec<(LatLon, f64)>) {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut locations = Vec::with_capacity(n);
    let mut truth = Vec::with_capacity(n);
    for i in 0..n {
        let at = random_point(&mut rng);
        // most are stores; some billboards; a few seen from very far (indexed as areas)
        let reach = match rng.random_range(0..100) {
            0..=84 => None,
            85..=97 => Some(rng.random_range(100.0..3_000.0)),
            _ => Some(rng.random_range(5_001.0..60_000.0)),
        };
        truth.push((at, reach.unwrap_or(0.0)));
        locations.push(point(i, at, reach));
    }
    (locations, truth)
}

/// Brute force: every location within the radius (plus its reach) by haversine.
fn scan_circle(truth: &[(LatLon, f64)], center: LatLon, radius_m: f64) -> Vec<usize> {
    (0..truth.len())
        .filter(|&i| {
            haversine_m(center, truth[i].0) <= radius_m + truth[i].1 + BOUNDARY_TOLERANCE_M
        })
        .collect()
}

#[test]
fn rtree_circles_equal_a_brute_force_scan() {
    let (locations, truth) = random_network(100_000, 7);
    let idx = index(locations);
    assert_eq!(idx.len(), 100_000);
    let mut rng = ChaCha8Rng::seed_from_u64(11);
    let mut centres = vec![
        LatLon::new(52.0, 179.95),
        LatLon::new(52.0, -179.95),
        LatLon::new(-16.0, 180.0),
        LatLon::new(89.9, 10.0),
        LatLon::new(90.0, 0.0),
        LatLon::new(-89.8, -120.0),
        LatLon::new(38.8, -77.05),
    ];
    centres.extend((0..53).map(|_| random_point(&mut rng)));
    let mut total_hits = 0;
    for (q, center) in centres.into_iter().enumerate() {
        // radii from 1 to 500 km, spread evenly on a log scale
        let radius_m = 1_000.0 * 500f64.powf(q as f64 / 59.0);
        let got = found(&idx, &Shape::Circle { center, radius_m });
        let want = scan_circle(&truth, center, radius_m);
        assert_eq!(got, want, "circle {q} at {center:?} of {radius_m} m");
        total_hits += got.len();
    }
    assert!(
        total_hits > 10_000,
        "the queries must find something: {total_hits}"
    );
}

#[test]
fn rtree_corridors_equal_a_brute_force_scan() {
    let (locations, truth) = random_network(100_000, 8);
    let idx = index(locations);
    let mut rng = ChaCha8Rng::seed_from_u64(12);
    let mut checked = 0;
    for q in 0..20 {
        let from = random_point(&mut rng);
        let to = sphere::destination(
            from,
            rng.random_range(0.0..360.0),
            rng.random_range(10_000.0..900_000.0),
        );
        let half_width_m = rng.random_range(1_000.0..40_000.0);
        let got = found(
            &idx,
            &Shape::Corridor {
                from,
                to,
                half_width_m,
            },
        );
        // the oracle: textbook spherical trigonometry (cross-track and along-track distances)
        let oracle = |i: usize| cross_track_m(from, to, truth[i].0) - truth[i].1 - half_width_m;
        let want: Vec<usize> = (0..truth.len()).filter(|&i| oracle(i) <= 0.0).collect();
        // the two computations may round differently within a metre of the edge, nowhere else
        let got_set: std::collections::BTreeSet<usize> = got.iter().copied().collect();
        let want_set: std::collections::BTreeSet<usize> = want.iter().copied().collect();
        for i in got_set.symmetric_difference(&want_set) {
            assert!(
                oracle(*i).abs() < 1.0,
                "corridor {q} {from:?}->{to:?} w {half_width_m}: location {i} at {:?} reach {} is {} m from the edge",
                truth[*i].0,
                truth[*i].1,
                oracle(*i)
            );
        }
        checked += want.len();
    }
    assert!(
        checked > 1_000,
        "the corridors must find something: {checked}"
    );
}

fn bearing_rad(a: LatLon, b: LatLon) -> f64 {
    let (p1, p2) = (a.lat.to_radians(), b.lat.to_radians());
    let dl = (b.lon - a.lon).to_radians();
    (dl.sin() * p2.cos()).atan2(p1.cos() * p2.sin() - p1.sin() * p2.cos() * dl.cos())
}

/// Distance from `p` to the great-circle segment `a`-`b`, the way navigation texts compute it.
fn cross_track_m(a: LatLon, b: LatLon, p: LatLon) -> f64 {
    let r = sphere::EARTH_RADIUS_M;
    let (d13, d12) = (haversine_m(a, p) / r, haversine_m(a, b) / r);
    let dtheta = bearing_rad(a, p) - bearing_rad(a, b);
    let dxt = (d13.sin() * dtheta.sin()).asin();
    let dat = (d13.cos() / dxt.cos()).clamp(-1.0, 1.0).acos() * dtheta.cos().signum();
    if (0.0..=d12).contains(&dat) {
        dxt.abs() * r
    } else {
        haversine_m(a, p).min(haversine_m(b, p))
    }
}

#[test]
fn exact_boundaries_are_inside_and_a_metre_beyond_is_not() {
    let centres = [
        LatLon::new(38.8, -77.0),
        LatLon::new(51.5, 179.99),
        LatLon::new(89.99, 45.0),
        LatLon::new(-60.0, -180.0),
    ];
    for center in centres {
        let r = 25_000.0;
        let mut locs = Vec::new();
        for (k, bearing) in [0.0, 90.0, 180.0, 270.0, 33.0].into_iter().enumerate() {
            locs.push(point(k * 3, sphere::destination(center, bearing, r), None));
            locs.push(point(
                k * 3 + 1,
                sphere::destination(center, bearing, r + 1.0),
                None,
            ));
            locs.push(point(
                k * 3 + 2,
                sphere::destination(center, bearing, r - 1.0),
                None,
            ));
        }
        // a billboard whose reach just touches the circle, and one that just misses
        locs.push(point(
            100,
            sphere::destination(center, 10.0, r + 1_000.0),
            Some(1_000.0),
        ));
        locs.push(point(
            101,
            sphere::destination(center, 10.0, r + 1_002.0),
            Some(1_000.0),
        ));
        let idx = index(locs);
        let got = found(
            &idx,
            &Shape::Circle {
                center,
                radius_m: r,
            },
        );
        assert_eq!(
            got,
            vec![0, 2, 3, 5, 6, 8, 9, 11, 12, 14, 100],
            "around {center:?}"
        );
    }
}

fn square(lon0: f64, lat0: f64, size: f64) -> LineString<f64> {
    LineString::from(vec![
        (lon0, lat0),
        (lon0 + size, lat0),
        (lon0 + size, lat0 + size),
        (lon0, lat0 + size),
        (lon0, lat0),
    ])
}

#[test]
fn a_polygon_with_a_hole_leaves_the_hole_out() {
    let donut = Polygon::new(square(-100.0, 30.0, 4.0), vec![square(-99.0, 31.0, 2.0)]);
    let shape = Shape::Area {
        polygon: MultiPolygon(vec![donut]),
    };
    let idx = index(vec![
        point(0, LatLon::new(30.5, -99.5), None), // in the ring
        point(1, LatLon::new(32.0, -98.0), None), // in the hole
        point(2, LatLon::new(31.0, -98.0), None), // on the hole's edge: boundary is inside
        point(3, LatLon::new(35.0, -98.0), None), // outside
        point(4, LatLon::new(32.0, -98.99), Some(2_000.0)), // in the hole, reach touches the ring
        point(5, LatLon::new(32.0, -98.5), Some(2_000.0)), // in the hole, too far from it
        point(6, LatLon::new(34.01, -98.0), Some(2_000.0)), // just north, reach touches
    ]);
    assert_eq!(found(&idx, &shape), vec![0, 2, 4, 6]);
}

#[test]
fn coverage_areas_are_found_when_they_touch() {
    let mut paper = point(0, LatLon::new(40.0, -80.0), None);
    paper.coverage = Some(MultiPolygon(vec![Polygon::new(
        square(-81.0, 39.0, 2.0),
        vec![],
    )]));
    let mut far = point(1, LatLon::new(20.0, -80.0), None);
    far.coverage = Some(MultiPolygon(vec![Polygon::new(
        square(-81.0, 19.0, 2.0),
        vec![],
    )]));
    let idx = index(vec![paper, far]);
    // a circle whose centre is outside the square but whose edge reaches into it
    let center = LatLon::new(40.0, -82.2);
    let near_edge = haversine_m(center, LatLon::new(40.0, -81.0));
    assert_eq!(
        found(
            &idx,
            &Shape::Circle {
                center,
                radius_m: near_edge + 500.0
            }
        ),
        vec![0]
    );
    assert!(
        found(
            &idx,
            &Shape::Circle {
                center,
                radius_m: near_edge - 500.0
            }
        )
        .is_empty()
    );
    // a corridor passing by, and a state-sized area overlapping
    let corridor = Shape::Corridor {
        from: LatLon::new(45.0, -80.0),
        to: LatLon::new(41.03, -80.0),
        half_width_m: 5_000.0,
    };
    assert_eq!(found(&idx, &corridor), vec![0]);
    let area = Shape::Area {
        polygon: MultiPolygon(vec![Polygon::new(square(-80.5, 40.5, 3.0), vec![])]),
    };
    assert_eq!(found(&idx, &area), vec![0]);
}

#[test]
fn states_select_by_their_real_outlines_alaska_across_the_antimeridian() {
    let states = States::us().unwrap();
    let places = [
        ("Anchorage", LatLon::new(61.2181, -149.9003)),
        ("Attu Station", LatLon::new(52.8431, 173.1839)),
        ("Adak", LatLon::new(51.8800, -176.6581)),
        ("Bering Sea", LatLon::new(57.0, -175.0)),
        ("Whitehorse", LatLon::new(60.7212, -135.0568)),
        ("Vancouver", LatLon::new(49.2827, -123.1207)),
        ("Houston", LatLon::new(29.7604, -95.3698)),
        ("Oklahoma City", LatLon::new(35.4676, -97.5164)),
        ("Alexandria", LatLon::new(38.8048, -77.0469)),
        ("Washington", LatLon::new(38.8951, -77.0364)),
    ];
    let idx = index(
        places
            .iter()
            .enumerate()
            .map(|(i, (_, at))| point(i, *at, None))
            .collect(),
    );
    let shape = |code: &str| Shape::Area {
        polygon: states.get(code).unwrap().outline.clone(),
    };
    let names = |refs: Vec<usize>| refs.into_iter().map(|i| places[i].0).collect::<Vec<_>>();
    assert_eq!(
        names(found(&idx, &shape("AK"))),
        ["Anchorage", "Attu Station", "Adak"]
    );
    assert_eq!(names(found(&idx, &shape("TX"))), ["Houston"]);
    assert_eq!(names(found(&idx, &shape("VA"))), ["Alexandria"]);
    assert_eq!(names(found(&idx, &shape("DC"))), ["Washington"]);
}
