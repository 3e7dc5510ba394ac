//! The running service: the store opened and migrated, the API state built from the configuration,
//! and the HTTP server with graceful shutdown.

mod demo;
mod demo_network;
mod portrait;
mod posters;

use std::future::Future;

use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::Notify;

pub use crate::distribution::{IndexError, TargetingIndex, WATCH_EVERY};
pub use demo::{DemoSeed, seed_demo};
pub use demo_network::{DEMO_NETWORK_LOCATIONS, DEMO_NETWORK_SEED, NetworkSeed, seed_network};
pub use portrait::portrait_jpeg;
pub use posters::{Poster, PosterError, PosterSource, content_key as poster_key, issue_date};

use crate::api::{AppState, router};
use crate::config::Config;
use crate::store::{Store, StoreError};

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(#[source] std::io::Error),
    #[error("demo data: {0}")]
    Demo(String),
    #[error("targeting index: {0}")]
    Targeting(#[from] IndexError),
    #[error("dispatch: {0}")]
    Dispatch(#[from] crate::dispatch::SetupError),
}

/// How often the scheduler looks for distributions due to be looked at again (each has its own
/// time, `retarget_interval_secs` after the last).
const SCHEDULER_TICK: Duration = Duration::from_secs(5);

/// Open the configured database (migrating it) and build the API's state.
pub async fn open(config: &Config) -> Result<AppState, AppError> {
    let store = Store::open(&config.database_url).await?;
    state(store, config)
}

/// The API's state over an already opened store.
pub fn state(store: Store, config: &Config) -> Result<AppState, AppError> {
    Ok(AppState::new(store, config)?)
}

/// As [`state`], with time from `clock`: tests move it instead of sleeping.
pub fn state_with_clock(
    store: Store,
    config: &Config,
    clock: crate::clock::SharedClock,
) -> Result<AppState, AppError> {
    Ok(AppState::with_clock(store, config, clock)?)
}

pub async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Serve until `shutdown` completes, then stop taking connections and finish the requests in flight.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), AppError> {
    let store = state.store.clone();
    // Bulk-load the partner locations before the first request, then follow changes made by
    // other processes (imports, other instances); the admin API rebuilds at once by itself.
    state.targeting.refresh(&store).await?;
    let watcher = tokio::spawn(state.targeting.clone().watch(store.clone(), WATCH_EVERY));
    // The dispatch worker and the retarget scheduler run beside the API in the same process.
    let stop = Arc::new(Notify::new());
    let worker = tokio::spawn(Arc::new(state.worker()).run(stop.clone()));
    let scheduler = tokio::spawn(state.distributor.clone().schedule(SCHEDULER_TICK));
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(AppError::Serve);
    watcher.abort();
    scheduler.abort();
    // finish the sends in flight and record them; what is left stays queued for the next start
    stop.notify_one();
    let _ = worker.await;
    served?;
    store.close().await;
    Ok(())
}

/// Resolves on SIGTERM or SIGINT (Ctrl-C).
pub async fn shutdown_signal() {
    let interrupt = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {}
        () = terminate => {}
    }
    tracing::info!("shutting down: finishing requests in flight");
}
