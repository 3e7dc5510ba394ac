//! `lookout serve`'s HTTP server: the API and the console on one port, beside the dispatch worker,
//! the retarget scheduler and the targeting watcher, with graceful shutdown. The one place that
//! knows both the API and the console; both stand on `crate::app`.

use std::future::{Future, IntoFuture};
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;
use tokio::sync::Notify;

use crate::app::{AppError, AppState, WATCH_EVERY};

/// How often the scheduler looks for distributions due to be looked at again (each has its own
/// time, `retarget_interval_secs` after the last).
const SCHEDULER_TICK: Duration = Duration::from_secs(5);

/// Everything served: the API and the console.
pub fn router(state: AppState) -> Router {
    let secure = state.settings.secure_cookies;
    let console = Arc::new(crate::console::Console::new(secure));
    let pages = crate::api::Pages {
        not_found: crate::console::not_found,
        timed_out: crate::console::timed_out,
    };
    crate::api::router(state, crate::console::routes(console), pages)
}

pub async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, AppError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| AppError::Listen {
            addr: addr.to_string(),
            source,
        })
}

/// Serve until `shutdown` completes, then stop taking connections and finish the requests in
/// flight, for at most the shutdown deadline: a client that never finishes its request cannot
/// keep the process (and a deploy or a restart) waiting.
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
    // a token revoked by another instance stops working here at once
    let revocations = tokio::spawn(store.clone().follow_revocations());
    // The dispatch worker and the retarget scheduler run beside the API in the same process.
    let stop = Arc::new(Notify::new());
    let worker = tokio::spawn(Arc::new(state.worker()).run(stop.clone()));
    let scheduler = tokio::spawn(state.distributor.clone().schedule(SCHEDULER_TICK));
    let sweeper = tokio::spawn(crate::app::sweep_every(
        store.clone(),
        state.distributor.clock().clone(),
        crate::app::SWEEP_EVERY,
        state.settings.retention,
        state.settings.mail_files.clone(),
    ));
    let visits = state.visits.clone();
    let counting = tokio::spawn(
        visits
            .clone()
            .flush_every(store.clone(), crate::app::visits::FLUSH_EVERY),
    );
    let deadline = state.settings.shutdown_deadline;
    // `/metrics` without a token, on an address the operator keeps private
    let metrics = match state.settings.metrics_listen {
        Some(addr) => {
            let listener = bind(addr).await?;
            tracing::info!(%addr, "metrics served without a token");
            let app = crate::api::metrics_router(state.clone());
            Some(tokio::spawn(
                async move { axum::serve(listener, app).await },
            ))
        }
        None => None,
    };
    let app = router(state).into_make_service_with_connect_info::<std::net::SocketAddr>();
    let (began, shutting_down) = tokio::sync::oneshot::channel::<()>();
    let signal = async move {
        shutdown.await;
        let _ = began.send(());
    };
    let serving = axum::serve(listener, app)
        .with_graceful_shutdown(signal)
        .into_future();
    let overdue = async move {
        if shutting_down.await.is_err() {
            // serving ended without a shutdown: nothing to time
            std::future::pending::<()>().await;
        }
        tokio::time::sleep(deadline).await;
    };
    let served = tokio::select! {
        served = serving => served.map_err(AppError::Serve),
        () = overdue => {
            tracing::warn!(deadline_secs = deadline.as_secs(), "shutdown deadline passed: requests still in flight were stopped");
            Ok(())
        }
    };
    watcher.abort();
    revocations.abort();
    if let Some(m) = metrics {
        m.abort();
    }
    scheduler.abort();
    sweeper.abort();
    counting.abort();
    if let Err(e) = visits.flush(&store).await {
        tracing::warn!(error = %e, "page visits counted since the last write are lost");
    }
    // finish the sends in flight and record them; what is left stays queued for the next start
    stop.notify_one();
    if tokio::time::timeout(deadline, worker).await.is_err() {
        tracing::warn!("shutdown deadline passed: the dispatch worker was stopped mid-send");
    }
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
