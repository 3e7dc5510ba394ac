//! A billboard goes up and sends a crowd to one case's public page at once: many people, each with
//! a connection of their own, opening the page through the billboard's QR code (its via code) as
//! fast as the server answers, on SQLite. The load comes from the same two-core machine, on a
//! runtime of its own, so the server has less than the whole machine.
//!
//! Prints requests a second and p50, p99 and max per request; the target is at least 2,000
//! requests a second with p99 ≤ 50 ms. Also times the poster image the page shows.
//!
//! Run: `cargo bench --bench public`. Figures go in BENCHMARKS.md.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use lookout::posters::Format;
use lookout::store::Via;

/// People opening the page at once.
const CROWD: usize = 64;
/// How long the crowd keeps coming.
const LOAD: Duration = Duration::from_secs(10);

fn main() {
    let dir = tempfile::tempdir().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let base = support::serve_seeded(dir.path(), move |_state, store| async move {
        let id = support::sample_case(&store, "PUBLIC-BENCH-1").await;
        let code = store.public_code(id).await.unwrap();
        let via = store
            .via_code(&Via {
                partner_id: "sample-billboards".into(),
                location_ref: "B17".into(),
                format: Format::Billboard,
            })
            .await
            .unwrap();
        tx.send(format!("/c/{code}?from={via}")).unwrap();
    });
    let path = rx.recv().unwrap();
    let url = format!("{base}{path}");
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        // the page once, so a first render is not counted
        let first = reqwest::get(&url).await.unwrap();
        assert_eq!(first.status(), 200);
        let bytes = first.bytes().await.unwrap().len();
        let times = crowd(&url).await;
        report("the public page", &times, bytes);
        let poster = format!("{base}{}", path.replace("?", "/poster.png?"));
        let first = reqwest::get(&poster).await.unwrap();
        assert_eq!(first.status(), 200);
        let bytes = first.bytes().await.unwrap().len();
        let times = crowd(&poster).await;
        report("its poster image", &times, bytes);
    });
}

/// [`CROWD`] clients, each on its own connection, asking for `url` in turn for [`LOAD`]; each
/// request's time.
async fn crowd(url: &str) -> Vec<Duration> {
    let url = Arc::new(url.to_string());
    let until = Instant::now() + LOAD;
    let mut tasks = Vec::new();
    for _ in 0..CROWD {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut times = Vec::new();
            while Instant::now() < until {
                let start = Instant::now();
                let res = client.get(url.as_str()).send().await.unwrap();
                assert_eq!(res.status(), 200);
                res.bytes().await.unwrap();
                times.push(start.elapsed());
            }
            times
        }));
    }
    let mut all = Vec::new();
    for t in tasks {
        all.extend(t.await.unwrap());
    }
    all
}

fn report(what: &str, times: &[Duration], bytes: usize) {
    let mut sorted = times.to_vec();
    sorted.sort();
    let at = |p: f64| sorted[((sorted.len() as f64 - 1.0) * p).round() as usize];
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    println!(
        "{what}: {} requests by {CROWD} clients in {:.0} s: {:.0} requests/s; p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms; {bytes} bytes",
        sorted.len(),
        LOAD.as_secs_f64(),
        sorted.len() as f64 / LOAD.as_secs_f64(),
        ms(at(0.5)),
        ms(at(0.99)),
        ms(*sorted.last().unwrap()),
    );
}
