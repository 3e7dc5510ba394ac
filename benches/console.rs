//! The console's pages with 10,000 cases and the demo partner network, on SQLite: each page asked
//! for in turn by one signed-in client on loopback, so each time is the server's answer plus the
//! loopback trip. Prints p50, p99 and max per page; the target is p99 ≤ 50 ms.
//!
//! Run: `cargo bench --bench console`. Figures go in BENCHMARKS.md.

mod support;

use std::time::Instant;

use lookout::app;
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, Role, Store};
use serde_json::json;

const CASES: usize = 10_000;
const ROUNDS: usize = 200;
const PASSWORD: &str = "correct horse battery staple";

/// 10,000 cases straight through the store (the API's create path is measured by `api`), every
/// tenth with a second version, the demo partner network and an admin account.
async fn seed(store: &Store) {
    let actor = Actor::System("bench");
    let photo = PreparedPhoto {
        jpeg: app::portrait_jpeg(1),
        width: 600,
        height: 750,
    };
    let photo = store.put_photo(&photo, &actor, None).await.unwrap().id;
    let network = app::seed_network(store).await.unwrap();
    let started = Instant::now();
    for i in 0..CASES {
        let case_type = [
            "endangered_missing",
            "family_abduction",
            "endangered_runaway",
        ][i % 3];
        let doc = json!({
            "case_number": format!("BENCH-{i:05}"),
            "case_type": case_type,
            "missing_since": "2026-11-01T18:30:00-05:00",
            "missing_from": {"city": "Alexandria", "region": "VA", "country": "US",
                             "lat": 38.8 + (i % 50) as f64 * 0.1, "lon": -77.0 - (i % 40) as f64 * 0.2},
            "children": [{"name": format!("Sample Child {i}"), "date_of_birth": "2015-03-02",
                          "sex": "female", "photos": [{"photo_id": photo.to_string()}]}],
            "contact": {"agency": "Sample Police", "phone": "1-555-555-0100"},
            "languages": ["en", "es"]
        });
        let case =
            lookout::cases::parse_case(&serde_json::to_vec(&doc).unwrap(), chrono::NaiveDate::MAX)
                .unwrap();
        store.create_case(&case, true, &actor, None).await.unwrap();
    }
    let hash = lookout::accounts::hash_password(PASSWORD).unwrap();
    store
        .create_user(
            "bench@example.org",
            "Bench Admin",
            Role::Admin,
            &hash,
            &actor,
            chrono::Utc::now(),
        )
        .await
        .unwrap();
    println!(
        "seeded {CASES} cases in {:.1} s; demo network: {} partners, {} locations",
        started.elapsed().as_secs_f64(),
        network.partners,
        network.locations
    );
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let base = support::serve_seeded(dir.path(), |_, store| async move { seed(&store).await });
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = support::signed_in(&base, "bench@example.org", PASSWORD).await;
        let list = c
            .get(format!("{base}/cases"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        // the first case in the table (the navigation's "/cases/new" comes before it)
        let at = list.find("<td><a href=\"/cases/").unwrap() + 20;
        let id = list[at..at + list[at..].find('"').unwrap()].to_string();
        let pages = [
            "/cases".to_string(),
            "/cases?q=BENCH-04217".to_string(),
            "/cases?q=sample+child+9999".to_string(),
            "/cases?status=active&type=family_abduction".to_string(),
            format!("/cases/{id}"),
            format!("/cases/{id}/distribution"),
            format!("/cases/{id}/edit"),
            format!("/cases/{id}/send"),
            format!("/cases/{id}/resolve"),
            format!("/cases/{id}/test"),
            format!("/cases/{id}/targeting.svg"),
            "/cases/new".to_string(),
            "/admin/partners".to_string(),
            "/admin/partners/import".to_string(),
            "/admin/users".to_string(),
            "/admin/tokens".to_string(),
            "/admin/audit".to_string(),
        ];
        let worst = support::time_pages(&c, &base, &pages, ROUNDS).await;
        println!(
            "worst p99: {:.2} ms (target ≤ 50 ms)",
            worst.as_secs_f64() * 1e3
        );
    });
}
