//! The console's pages with 10,000 cases and the demo partner network, on SQLite: each page asked
//! for in turn by one signed-in client on loopback, so each time is the server's answer plus the
//! loopback trip. Prints p50, p99 and max per page; the target is p99 ≤ 50 ms.
//!
//! Run: `cargo bench --bench console`. Figures go in BENCHMARKS.md.

use std::time::{Duration, Instant};

use lookout::app;
use lookout::config::Config;
use lookout::posters::PreparedPhoto;
use lookout::store::{Actor, Role, Store};
use serde_json::json;

const CASES: usize = 10_000;
const ROUNDS: usize = 200;
const PASSWORD: &str = "correct horse battery staple";

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

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

/// The service on its own runtime (2 worker threads, as `lookout serve` here), seeded.
fn start_server(dir: &std::path::Path) -> String {
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let (ready, started) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(async move {
            let store = Store::open(&url).await.unwrap();
            seed(&store).await;
            let config = Config {
                database_url: url.into(),
                ..Config::default()
            };
            let state = app::state(store.clone(), &config).expect("state");
            let listener = lookout::server::bind("127.0.0.1:0".parse().unwrap())
                .await
                .unwrap();
            ready
                .send(format!("http://{}", listener.local_addr().unwrap()))
                .unwrap();
            lookout::server::serve(listener, state, std::future::pending())
                .await
                .unwrap();
        });
    });
    started.recv().unwrap()
}

fn csrf(html: &str) -> String {
    let at = html.find("name=\"csrf\" value=\"").unwrap() + 19;
    html[at..at + html[at..].find('"').unwrap()].to_string()
}

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let base = start_server(dir.path());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let page = c
            .get(format!("{base}/sign-in"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let res = c
            .post(format!("{base}/sign-in"))
            .form(&[
                ("csrf", csrf(&page).as_str()),
                ("email", "bench@example.org"),
                ("password", PASSWORD),
            ])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303, "signed in");
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
        println!("page | p50 ms | p99 ms | max ms | bytes");
        let mut worst = Duration::ZERO;
        for path in &pages {
            let url = format!("{base}{path}");
            let mut times = Vec::with_capacity(ROUNDS);
            let mut bytes = 0;
            for _ in 0..ROUNDS {
                let start = Instant::now();
                let res = c.get(&url).send().await.unwrap();
                assert_eq!(res.status(), 200, "{path}");
                bytes = res.bytes().await.unwrap().len();
                times.push(start.elapsed());
            }
            times.sort();
            let p99 = percentile(&times, 0.99);
            worst = worst.max(p99);
            println!(
                "{path} | {:.2} | {:.2} | {:.2} | {bytes}",
                ms(percentile(&times, 0.5)),
                ms(p99),
                ms(*times.last().unwrap())
            );
        }
        println!("worst p99: {:.2} ms (target ≤ 50 ms)", ms(worst));
    });
}
