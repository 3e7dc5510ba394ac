//! The running service: the store opened and migrated, and the state every part of it shares, built
//! from the configuration. The HTTP server that puts the API and the console in front of it is
//! `crate::server`.

mod demo;
mod demo_network;
pub mod partner_import;
pub mod partner_settings;
mod portrait;
mod state;
mod test_send;
pub mod visits;

pub use crate::distribution::{IndexError, TargetingIndex, WATCH_EVERY};
pub use crate::poster_files::{
    Poster, PosterError, PosterMemory, PosterSettings, PosterSource, content_key as poster_key,
    issue_date,
};
pub use demo::{DemoSeed, DemoSignIn, seed_demo};
pub use demo_network::{DEMO_NETWORK_LOCATIONS, DEMO_NETWORK_SEED, NetworkSeed, seed_network};
pub use portrait::portrait_jpeg;
pub use state::{AppState, DispatchState, Settings};
pub use test_send::{TestSendError, Tester, send_test};

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

/// Open the configured database (migrating it) and build the API's state.
pub async fn open(config: &Config) -> Result<AppState, AppError> {
    let store = Store::open(&config.database_url).await?;
    let config = with_shared_link_key(&store, config).await?;
    state(store, &config)
}

/// Unless a link key is configured, the one kept in the database, made by the first process that
/// needed it: poster links then verify on every instance, and after a restart.
async fn with_shared_link_key(store: &Store, config: &Config) -> Result<Config, AppError> {
    let mut config = config.clone();
    if config.link_key.is_none() {
        let make = || {
            use rand::RngCore;
            let mut key = [0u8; 32];
            rand::rng().fill_bytes(&mut key);
            hex::encode(key)
        };
        let key = store
            .shared_setting("link_key", make, chrono::Utc::now())
            .await?;
        config.link_key = Some(crate::config::Secret::new(key));
    }
    Ok(config)
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

/// The `.eml` files of an erased case's messages: they hold the child's name and photo as sent.
async fn erase_mail_files(store: &Store, case: crate::store::CaseId, dir: &std::path::Path) {
    let ids = match store.message_ids(case).await {
        Ok(ids) => ids,
        Err(e) => {
            tracing::warn!(case_id = %case, error = %e, "the erased case's mail files are left");
            return;
        }
    };
    let mut removed = 0;
    for id in ids {
        match std::fs::remove_file(dir.join(format!("{id}.eml"))) {
            Ok(()) => removed += 1,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => tracing::warn!(case_id = %case, message = %id, error = %e,
                "an erased case's mail file could not be removed"),
        }
    }
    if removed > 0 {
        tracing::info!(case_id = %case, files = removed, "erased case's mail files removed");
    }
}

/// How often expired idempotency keys and closed cases' cached posters are swept, and closed cases
/// past their retention period erased.
pub const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(3600);

/// Sweep `store` every `every`, by `clock`'s time, for as long as the service runs; with a
/// `retention` period, also erase the cases closed longer ago than that, and their `.eml` files in
/// `mail_files` when mail is written to files.
pub async fn sweep_every(
    store: Store,
    clock: crate::clock::SharedClock,
    every: std::time::Duration,
    retention: Option<chrono::Duration>,
    mail_files: Option<std::path::PathBuf>,
) {
    let mut tick = tokio::time::interval(every);
    loop {
        tick.tick().await;
        sweep_once(&store, clock.now(), retention, mail_files.as_deref()).await;
    }
}

/// One sweep; a failure is logged and left for the next.
pub async fn sweep_once(
    store: &Store,
    now: chrono::DateTime<chrono::Utc>,
    retention: Option<chrono::Duration>,
    mail_files: Option<&std::path::Path>,
) {
    match store.sweep(now).await {
        Ok(swept) if swept != crate::store::Swept::default() => tracing::info!(
            idempotency_keys = swept.idempotency_keys,
            posters = swept.posters,
            "swept expired rows"
        ),
        Ok(_) => {}
        Err(e) => tracing::warn!(error = %e, "sweep failed; trying again at the next one"),
    }
    let Some(retention) = retention else {
        return;
    };
    match store.erase_closed_cases(now - retention, now).await {
        Ok(ids) => {
            for id in ids {
                tracing::info!(case_id = %id, "closed case erased: its retention period is over");
                if let Some(dir) = mail_files {
                    erase_mail_files(store, id, dir).await;
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "erasing closed cases failed; trying again at the next sweep")
        }
    }
}
