//! The partner portal of a chain with 5,000 locations, on SQLite: 40 active cases spread over the
//! country, each sent to the chain's stores inside its region, one poster per store. One signed-in
//! partner user asks for each page in turn on loopback, so each time is the server's answer plus the
//! loopback trip. Prints p50, p99 and max per page; the target for "Posters to put up" is
//! p99 ≤ 50 ms. Also times one location's print pack.
//!
//! Run: `cargo bench --bench portal`. Figures go in BENCHMARKS.md.

mod support;

use std::time::Instant;

use lookout::app;
use lookout::cases::parse_case;
use lookout::partners::{Location, Partner, PartnerId};
use lookout::posters::PreparedPhoto;
use lookout::store::{Created, Store};
use serde_json::json;
use support::ACTOR;

const LOCATIONS: usize = 5_000;
const CASES: usize = 40;
const ROUNDS: usize = 200;
const PASSWORD: &str = "correct horse battery staple";

/// 5,000 stores on a grid over the contiguous states (some fall in the sea: a grid, not a map).
fn stores(id: &PartnerId) -> Vec<Location> {
    (0..LOCATIONS)
        .map(|i| {
            let (row, col) = (i / 100, i % 100);
            Location {
                partner_id: id.clone(),
                reference: format!("S{i:04}"),
                name: format!("SAMPLE Chain #{i}"),
                lat: 26.0 + row as f64 * 0.44,
                lon: -123.0 + col as f64 * 0.54,
                reach_m: None,
                email: None,
                coverage: None,
            }
        })
        .collect()
}

/// The chain, its stores, 40 cases dispatched to them, and the chain's portal user.
async fn seed(state: &app::AppState, store: &Store) -> usize {
    let id = PartnerId::parse("sample-chain").unwrap();
    let mut chain = Partner::accept_all(id.clone(), "SAMPLE Chain Stores".into());
    chain.per_location = true;
    chain.formats = vec![lookout::posters::Format::Letter];
    store.create_partner(&chain, &ACTOR).await.unwrap();
    store
        .replace_locations(&id, &stores(&id), &ACTOR)
        .await
        .unwrap();
    state.targeting.refresh(store).await.unwrap();
    let photo = PreparedPhoto {
        jpeg: app::portrait_jpeg(2),
        width: 600,
        height: 750,
    };
    let photo = store.put_photo(&photo, &ACTOR, None).await.unwrap().id;
    for i in 0..CASES {
        let doc = json!({
            "case_number": format!("PORTAL-{i:03}"), "case_type": "endangered_missing",
            "missing_since": "2026-11-20T18:30:00-05:00",
            "missing_from": {"city": "Sample", "region": "KS", "country": "US",
                             "lat": 30.0 + (i % 8) as f64 * 2.2, "lon": -118.0 + (i / 8) as f64 * 9.0},
            "children": [{"name": format!("Sample Child {i}"), "date_of_birth": "2015-03-02",
                          "sex": "female", "photos": [{"photo_id": photo.to_string()}]}],
            "contact": {"agency": "Sample Police", "phone": "1-555-555-0100"},
            "languages": ["en", "es"]
        });
        let case = parse_case(doc.to_string().as_bytes(), chrono::NaiveDate::MAX).unwrap();
        let case = match store.create_case(&case, true, &ACTOR, None).await.unwrap() {
            Created::New(r) | Created::Replayed(r) => r.id,
        };
        state.distributor.dispatch(case, &[], &ACTOR).await.unwrap();
    }
    let hash = lookout::accounts::hash_password(PASSWORD).unwrap();
    store
        .create_partner_user(
            "manager@chain.example",
            "Chain Poster Manager",
            &id,
            &hash,
            &ACTOR,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    let found =
        lookout::store::outbox::active_posters(store, &id, &Default::default(), chrono::Utc::now())
            .await
            .unwrap();
    found.iter().map(|p| p.recipients as usize).sum()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let base = support::serve_seeded(dir.path(), |state, store| async move {
        let started = Instant::now();
        let deliveries = seed(&state, &store).await;
        println!(
            "seeded {LOCATIONS} locations and {CASES} cases: {deliveries} posters up at the chain's stores ({:.1} s)",
            started.elapsed().as_secs_f64()
        );
    });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = support::signed_in(&base, "manager@chain.example", PASSWORD).await;
        // a store with posters up: the first location of the first poster row
        let list = c
            .get(format!("{base}/portal"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let at = list.find("(S").expect("a poster for a store") + 1;
        let store_ref = list[at..at + 5].to_string();
        let pages = [
            "/portal".to_string(),
            format!("/portal?location={store_ref}"),
            "/portal?type=family_abduction".to_string(),
            "/portal/takedowns".to_string(),
            "/portal/locations".to_string(),
            "/portal/log".to_string(),
            "/portal/settings".to_string(),
        ];
        support::time_pages(&c, &base, &pages, ROUNDS).await;
        // one store's print pack: the first asks render each poster; then they are cached
        let url = format!("{base}/portal/locations/{store_ref}/pack.pdf");
        let mut times = Vec::new();
        let mut pages_in = 0;
        for _ in 0..20 {
            let start = Instant::now();
            let res = c.get(&url).send().await.unwrap();
            assert_eq!(res.status(), 200);
            let pdf = res.bytes().await.unwrap();
            times.push(start.elapsed());
            pages_in = lopdf::Document::load_mem(&pdf).unwrap().get_pages().len();
        }
        let first = times[0];
        times.sort();
        println!(
            "print pack of {store_ref} ({pages_in} posters): first {:.1} ms (renders), then p50 {:.1} ms",
            first.as_secs_f64() * 1e3,
            times[times.len() / 2].as_secs_f64() * 1e3
        );
    });
}
