//! Time to take a poster down everywhere: 2,000 webhook partners around Alexandria, VA, hold the
//! poster (one loopback receiver that verifies every signature); the case is resolved and the clock
//! runs until the last of them has `poster.withdrawn`. Also a resolve in the middle of the fan-out,
//! when some partners have it, some are being sent it and the rest are still queued.
//!
//! SQLite, and PostgreSQL when `DATABASE_URL` is set. Run: `cargo bench --bench takedown`.

mod support;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use futures::StreamExt;
use lookout::partners::{Delivery, Location, Partner, PartnerId, PartnerKind, Webhook};
use lookout::store::{Actor, Outcome, Resolution, Store};
use support::{ACTOR, SECRET, config, fresh_postgres, running, sample_case, wait_until};

const PARTNERS: usize = 2_000;

/// Per partner: when it got the poster, and when it was told to take it down.
#[derive(Clone)]
struct Board {
    issued: Arc<Mutex<Vec<Option<Instant>>>>,
    withdrawn: Arc<Mutex<Vec<Option<Instant>>>>,
    /// A poster that arrived after the partner was told to take it down.
    after_takedown: Arc<Mutex<usize>>,
}

impl Board {
    fn new() -> Board {
        Board {
            issued: Arc::new(Mutex::new(vec![None; PARTNERS])),
            withdrawn: Arc::new(Mutex::new(vec![None; PARTNERS])),
            after_takedown: Arc::default(),
        }
    }

    fn count(list: &Mutex<Vec<Option<Instant>>>) -> usize {
        list.lock().unwrap().iter().filter(|t| t.is_some()).count()
    }
}

async fn receive(
    State(b): State<Board>,
    Path(i): Path<usize>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let Ok(doc) = serde_json::from_slice::<serde_json::Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if !support::verified(&headers, &body) || i >= PARTNERS {
        return StatusCode::UNAUTHORIZED;
    }
    if doc["type"] == "poster.withdrawn" {
        b.withdrawn.lock().unwrap()[i].get_or_insert_with(Instant::now);
    } else {
        if b.withdrawn.lock().unwrap()[i].is_some() {
            *b.after_takedown.lock().unwrap() += 1;
        }
        b.issued.lock().unwrap()[i].get_or_insert_with(Instant::now);
    }
    StatusCode::NO_CONTENT
}

async fn receiver() -> (String, Board) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let board = Board::new();
    let app = Router::new()
        .route("/hook/{i}", post(receive))
        .with_state(board.clone());
    tokio::spawn(async move { axum::serve(listener, app).await });
    (base, board)
}

async fn register(store: &Store, base: &str) {
    let one = |i: usize| {
        let (store, base) = (store.clone(), base.to_string());
        async move {
            let id = PartnerId::parse(&format!("p-{i:04}")).unwrap();
            let mut p = Partner::accept_all(id.clone(), format!("Bench partner {i}"));
            p.kind = PartnerKind::Retail;
            p.delivery = Delivery::Webhook(Webhook {
                url: format!("{base}/hook/{i}"),
                secret: lookout::config::Secret::new(SECRET),
                previous_secret: None,
                previous_secret_expires: None,
            });
            store.create_partner(&p, &ACTOR).await.unwrap();
            let location = Location {
                partner_id: id.clone(),
                reference: "s1".into(),
                name: format!("Store {i}"),
                lat: 38.78 + (i % 50) as f64 * 0.001,
                lon: -77.08 + (i / 50) as f64 * 0.001,
                reach_m: None,
                email: None,
                coverage: None,
            };
            store
                .replace_locations(&id, &[location], &ACTOR)
                .await
                .unwrap();
        }
    };
    futures::stream::iter(0..PARTNERS)
        .map(one)
        .buffer_unordered(8)
        .collect::<Vec<()>>()
        .await;
}

async fn resolve(state: &lookout::app::AppState, case: lookout::store::CaseId) {
    let record = state.store.case(case).await.unwrap().unwrap();
    let resolution = Resolution {
        outcome: Outcome::FoundSafe,
        reason: "Found by family".into(),
    };
    let mut doc = record.document.clone();
    doc.status = resolution.outcome.status();
    state
        .distributor
        .resolve_case(
            case,
            record.version,
            &doc,
            &resolution,
            &Actor::System("bench"),
        )
        .await
        .unwrap();
}

/// Dispatch to every partner, resolve once `resolve_at` partners have the poster, and time the
/// takedown: from the resolve to the last partner holding the poster told to take it down.
async fn takedown(backend: &str, url: &str, resolve_at: usize) {
    let store = Store::open(url).await.unwrap();
    let (base, board) = receiver().await;
    register(&store, &base).await;
    let mut cfg = config(url);
    cfg.dispatch_concurrency = 128;
    let (state, stop) = running(&store, &cfg).await;
    let case = sample_case(&store, "B-TAKEDOWN").await;
    state
        .distributor
        .dispatch(case, &[], &ACTOR)
        .await
        .unwrap()
        .unwrap();
    wait_until(
        "the poster reaches partners",
        Duration::from_secs(120),
        || Board::count(&board.issued) >= resolve_at,
    )
    .await;
    let resolved = Instant::now();
    resolve(&state, case).await;
    let committed = resolved.elapsed();
    // every partner that had the poster, or was being sent it, is told; wait until the outbox
    // says the takedown is complete, then read the last arrival
    let done = loop {
        let dist = lookout::store::outbox::distribution(&store, case)
            .await
            .unwrap()
            .unwrap();
        if dist.takedown_done_at.is_some() {
            break resolved.elapsed();
        }
        assert!(
            resolved.elapsed() < Duration::from_secs(300),
            "the takedown never completed"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    let issued = board.issued.lock().unwrap().clone();
    let withdrawn = board.withdrawn.lock().unwrap().clone();
    let holders = issued.iter().filter(|t| t.is_some()).count();
    let missing = issued
        .iter()
        .zip(&withdrawn)
        .filter(|(i, w)| i.is_some() && w.is_none())
        .count();
    assert_eq!(missing, 0, "{missing} holders never told");
    let last = withdrawn
        .iter()
        .flatten()
        .map(|t| *t - resolved)
        .max()
        .unwrap_or_default();
    let late = issued
        .iter()
        .flatten()
        .filter(|t| **t > resolved + committed)
        .count();
    println!(
        "{backend}: resolve at {resolve_at} of {PARTNERS} holding: {holders} holders, resolve \
         committed in {:.1} ms, last withdrawal {:.0} ms after the resolve, outbox complete at \
         {:.0} ms; posters arriving after the commit: {late} (in flight at it), after a takedown: {}",
        committed.as_secs_f64() * 1e3,
        last.as_secs_f64() * 1e3,
        done.as_secs_f64() * 1e3,
        *board.after_takedown.lock().unwrap()
    );
    stop.notify_one();
    store.close().await;
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let dir = tempfile::tempdir().unwrap();
        for (n, at) in [(1, PARTNERS), (2, 400)] {
            let sqlite = format!("sqlite://{}", dir.path().join(format!("t{n}.db")).display());
            takedown("SQLite", &sqlite, at).await;
            match support::postgres_server() {
                Some(server) => takedown("PostgreSQL", &fresh_postgres(&server).await, at).await,
                None => println!("PostgreSQL: skipped (DATABASE_URL not set)"),
            }
        }
    });
}
