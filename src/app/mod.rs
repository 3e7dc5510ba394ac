//! The running service: the store opened and migrated, the API state built from the configuration,
//! and the HTTP server with graceful shutdown.

mod demo;
mod demo_network;
mod portrait;

use std::future::Future;

use tokio::net::TcpListener;

pub use demo::{DemoSeed, seed_demo};
pub use demo_network::{DEMO_NETWORK_LOCATIONS, DEMO_NETWORK_SEED, NetworkSeed, seed_network};
pub use portrait::portrait_jpeg;

use crate::api::{AppState, Settings, router};
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
    Targeting(#[from] crate::api::IndexError),
}

/// Open the configured database (migrating it) and build the API's state.
pub async fn open(config: &Config) -> Result<AppState, AppError> {
    let store = Store::open(&config.database_url).await?;
    Ok(state(store, config))
}

/// The API's state over an already opened store.
pub fn state(store: Store, config: &Config) -> AppState {
    AppState::new(
        store,
        Settings {
            organisation: config.organisation.clone(),
            case_page_url: config.case_page_url.clone(),
        },
    )
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
    let watcher = tokio::spawn(
        state
            .targeting
            .clone()
            .watch(store.clone(), crate::api::WATCH_EVERY),
    );
    let served = axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
        .map_err(AppError::Serve);
    watcher.abort();
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
