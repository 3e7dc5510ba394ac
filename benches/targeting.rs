//! Targeting speed on a million locations: `cargo bench --bench targeting`.
//!
//! Prints medians. Two data sets: 1,000,000 points uniform over the contiguous US (the data the
//! issue's figures are quoted for: a 50 km circle holds about 500), and the demo network of
//! 1,000,000 locations (stores follow population, so circles around cities hold far more).

use std::collections::HashMap;
use std::hint::black_box;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use lookout::cases::{Case, parse_case};
use lookout::partners::{Location, Partner, PartnerId, PartnerKind};
use lookout::targeting::DemoNetwork;
use lookout::targeting::select::locate_region;
use lookout::targeting::shape::{Probe, Shape};
use lookout::targeting::sphere::{LatLon, haversine_m};
use lookout::targeting::{Audience, LocationIndex, Policy, RegionExtras, region_for, select};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const N: usize = 1_000_000;
const CASE: &str = include_str!("../tests/fixtures/case-example.json");

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn fmt(d: Duration) -> String {
    if d < Duration::from_millis(1) {
        format!("{:.1} µs", d.as_secs_f64() * 1e6)
    } else {
        format!("{:.2} ms", d.as_secs_f64() * 1e3)
    }
}

fn partners(n: usize) -> Vec<Partner> {
    (0..n)
        .map(|i| {
            let mut p = Partner::accept_all(
                PartnerId::parse(&format!("p{i:03}")).unwrap(),
                format!("Partner {i}"),
            );
            p.kind = PartnerKind::Retail;
            p
        })
        .collect()
}

/// Uniform points over the contiguous US bounding box, generated lazily.
fn uniform_us(seed: u64, ids: &[PartnerId]) -> impl Iterator<Item = Location> + '_ {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    (0..N).map(move |i| Location {
        partner_id: ids[i % ids.len()].clone(),
        reference: format!("{i:07}"),
        name: format!("Store {i}"),
        lat: rng.random_range(24.5..49.4),
        lon: rng.random_range(-124.8..-66.9),
        reach_m: None,
        email: None,
        coverage: None,
    })
}

fn circle_bench(index: &LocationIndex, coords: &[LatLon], radius_m: f64, label: &str) {
    let mut rng = ChaCha8Rng::seed_from_u64(99);
    let mut times = Vec::new();
    let mut hits = Vec::new();
    let mut out = Vec::with_capacity(4096);
    for _ in 0..400 {
        let center = LatLon::new(
            rng.random_range(30.0..46.0),
            rng.random_range(-118.0..-72.0),
        );
        let probe = Probe::new(&Shape::Circle { center, radius_m });
        out.clear();
        let t = Instant::now();
        index.locate(&probe, &mut out);
        black_box(&out);
        times.push(t.elapsed());
        hits.push(out.len());
    }
    hits.sort_unstable();
    let mut brute = Vec::new();
    for _ in 0..5 {
        let center = LatLon::new(
            rng.random_range(30.0..46.0),
            rng.random_range(-118.0..-72.0),
        );
        let t = Instant::now();
        let n = coords
            .iter()
            .filter(|p| haversine_m(center, **p) <= radius_m)
            .count();
        black_box(n);
        brute.push(t.elapsed());
    }
    println!(
        "{label}: R-tree median {} (p90 {}), median hits {}; brute-force haversine scan median {}",
        fmt(median(times.clone())),
        fmt({
            times.sort();
            times[times.len() * 9 / 10]
        }),
        hits[hits.len() / 2],
        fmt(median(brute))
    );
}

fn case_bench(index: &LocationIndex, case: &Case, at: DateTime<Utc>, label: &str) {
    let policy = Policy::shipped().unwrap();
    let region = region_for(case, &policy, at, &RegionExtras::default());
    let caps = HashMap::new();
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..50 {
        let t = Instant::now();
        let s = select(index, &region, Audience::of(case), &caps);
        times.push(t.elapsed());
        last = Some(s);
    }
    let s = last.unwrap();
    let mut located = Vec::new();
    for _ in 0..20 {
        let t = Instant::now();
        black_box(locate_region(index, &region));
        located.push(t.elapsed());
    }
    let mut brute = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let probes: Vec<Probe> = region.pieces.iter().map(|p| Probe::new(&p.shape)).collect();
        let ids: Vec<u32> = index
            .ids()
            .filter(|&id| probes.iter().any(|p| index.touches(id, p)))
            .collect();
        black_box(ids);
        brute.push(t.elapsed());
    }
    assert_eq!(
        locate_region(index, &region).len(),
        s.location_count(),
        "all partners accept all"
    );
    let pieces: Vec<&str> = region.pieces.iter().map(|p| p.kind.as_str()).collect();
    println!(
        "{label}: select() median {} (of which locating {}) for {} locations of {} partners ({}); brute-force scan median {}",
        fmt(median(times)),
        fmt(median(located)),
        s.location_count(),
        s.partners.len(),
        pieces.join(" + "),
        fmt(median(brute))
    );
}

/// `cargo bench --bench targeting [-- uniform|demo]`: each part alone gives its own resident size.
fn main() {
    println!(
        "targeting benchmark: {N} locations, {} CPUs",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    let case = parse_case(
        CASE.as_bytes(),
        chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
    )
    .unwrap();
    let at: DateTime<Utc> = "2026-11-19T06:30:00Z".parse().unwrap(); // 4 hours after
    let only: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with('-'))
        .collect();
    let wants = |part: &str| only.is_empty() || only.iter().any(|a| a == part);
    if wants("uniform") {
        uniform(&case, at);
    }
    if wants("demo") {
        demo(&case, at);
    }
}

/// 1,000,000 points uniform over the contiguous US.
fn uniform(case: &Case, at: DateTime<Utc>) {
    let ps = partners(300);
    let ids: Vec<PartnerId> = ps.iter().map(|p| p.id.clone()).collect();
    let before = rss_mb();
    let t = Instant::now();
    let index = LocationIndex::build(ps.clone(), uniform_us(1, &ids));
    let first_build = t.elapsed();
    let after = rss_mb();
    println!(
        "uniform: first build {} ; resident {after:.0} MB (index {:.0} MB over {before:.0} MB before)",
        fmt(first_build),
        after - before
    );
    let mut builds = vec![first_build];
    for _ in 0..2 {
        let locations: Vec<Location> = uniform_us(1, &ids).collect();
        let t = Instant::now();
        let again = LocationIndex::build(ps.clone(), locations);
        builds.push(t.elapsed());
        drop(again);
    }
    println!(
        "uniform: bulk load median {} (generating the locations not counted)",
        fmt(median(builds))
    );
    let coords: Vec<LatLon> = index.ids().map(|i| index.get(i).at).collect();
    circle_bench(&index, &coords, 50_000.0, "uniform 50 km circle");
    circle_bench(&index, &coords, 200_000.0, "uniform 200 km circle");
    case_bench(&index, case, at, "uniform whole case");
    // the R-tree alone, for comparison with the whole build
    let mut rng = ChaCha8Rng::seed_from_u64(1);
    let points: Vec<rstar::primitives::GeomWithData<[f64; 3], u32>> = (0..N as u32)
        .map(|i| {
            let p = LatLon::new(
                rng.random_range(24.5..49.4),
                rng.random_range(-124.8..-66.9),
            );
            rstar::primitives::GeomWithData::new(p.to_vec(), i)
        })
        .collect();
    let t = Instant::now();
    black_box(rstar::RTree::bulk_load(points));
    println!(
        "uniform: rstar bulk_load of the bare 3-D points alone {}",
        fmt(t.elapsed())
    );
}

fn demo(case: &Case, at: DateTime<Utc>) {
    let t = Instant::now();
    let net = DemoNetwork::generate(7, N).unwrap();
    let index = LocationIndex::build(net.partners.clone(), net.locations());
    println!(
        "demo: {} locations of {} partners generated and indexed in {}; resident {:.0} MB",
        index.len(),
        index.partners().len(),
        fmt(t.elapsed()),
        rss_mb()
    );
    let mut everyone = net.partners.clone();
    for p in &mut everyone {
        p.case_types = lookout::cases::CaseType::ALL.to_vec();
        p.languages = lookout::cases::Lang::ALL.to_vec();
        p.daily_cap = None;
    }
    let index = LocationIndex::build(everyone, net.locations());
    let coords: Vec<LatLon> = index.ids().map(|i| index.get(i).at).collect();
    circle_bench(&index, &coords, 50_000.0, "demo 50 km circle");
    case_bench(&index, case, at, "demo whole case (Alexandria, VA: dense)");
    // a state the case manager adds: exact point-in-polygon on the real outline
    let states = lookout::targeting::States::us().unwrap();
    for code in ["TX", "AK"] {
        let extras = RegionExtras::new(&[code], Vec::new(), &states).unwrap();
        let mut region = region_for(case, &Policy::shipped().unwrap(), at, &extras);
        region
            .pieces
            .retain(|p| p.kind == lookout::targeting::PieceKind::State);
        let mut times = Vec::new();
        let mut n = 0;
        for _ in 0..5 {
            let t = Instant::now();
            n = locate_region(&index, &region).len();
            times.push(t.elapsed());
        }
        println!(
            "demo state {code} alone: {} locations in {}",
            n,
            fmt(median(times))
        );
    }
}
