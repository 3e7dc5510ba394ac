//! What every part of the running service shares: the store, the configuration the handlers need,
//! the poster cache, the live targeting index, the distributor and the dispatch side. Built once
//! from the configuration; the API and the console both stand on it.

use std::sync::Arc;
use std::time::Duration;

use crate::config::{Config, Organisation};
use crate::cpu::{CpuLimit, SharedCpuLimit};
use crate::dispatch::worker::{DispatchMetrics, Worker, WorkerSettings};
use crate::dispatch::{Channels, SetupError};
use crate::distribution::{Distributor, TargetingIndex};
use crate::poster_files::{DEFAULT_BUDGET, PosterMemory, PosterSettings, PosterSource};
use crate::store::Store;

/// What every handler shares.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub settings: Arc<Settings>,
    /// Rendered posters, cached by content key.
    pub poster_source: PosterSource,
    /// Renders and photo decodes, at most one per CPU at once (shared with `poster_source`).
    pub cpu: SharedCpuLimit,
    /// The live partner-location index and the region policy.
    pub targeting: Arc<TargetingIndex>,
    /// Starts distributions and keeps them current as cases change.
    pub distributor: Distributor,
    /// What the pull API, the poster links and `/metrics` share with the dispatch worker.
    pub dispatch: Arc<DispatchState>,
    /// Public page visits counted since they were last written.
    pub visits: Arc<super::visits::Visits>,
}

/// The dispatch side of the service.
#[derive(Debug)]
pub struct DispatchState {
    pub channels: Arc<Channels>,
    pub metrics: Arc<DispatchMetrics>,
    pub worker: WorkerSettings,
}

/// The parts of the configuration the API needs.
#[derive(Debug, Clone)]
pub struct Settings {
    pub organisation: Organisation,
    pub case_page_url: Option<String>,
    /// The service is reached over https: console cookies are `Secure`.
    pub secure_cookies: bool,
    /// A case's first dispatch waits for a second case manager's approval.
    pub dispatch_approval: bool,
    /// `allow_private_targets`: where a partner's webhook may go over plain http.
    pub private_targets: Vec<ipnet::IpNet>,
    /// A request still unanswered after this is stopped and answered 503.
    pub request_timeout: Duration,
    /// How long requests in flight may take to finish after a shutdown begins.
    pub shutdown_deadline: Duration,
    /// Where `/metrics` is also served, without a token.
    pub metrics_listen: Option<std::net::SocketAddr>,
    /// `closed_case_retention_days`: how long a closed case is kept whole.
    pub retention: Option<chrono::Duration>,
    /// Where mail is written as `.eml` files, when there is no SMTP server.
    pub mail_files: Option<std::path::PathBuf>,
}

impl AppState {
    /// The state of a service configured by `config`, over an opened store, on the system clock.
    pub fn new(store: Store, config: &Config) -> Result<AppState, SetupError> {
        AppState::with_clock(store, config, crate::clock::system())
    }

    /// As [`AppState::new`], with time from `clock` (tests move it).
    pub fn with_clock(
        store: Store,
        config: &Config,
        clock: crate::clock::SharedClock,
    ) -> Result<AppState, SetupError> {
        let settings = Arc::new(Settings {
            organisation: config.organisation.clone(),
            case_page_url: config.case_page_url.clone(),
            secure_cookies: config
                .public_url
                .as_deref()
                .is_some_and(|u| u.starts_with("https://")),
            dispatch_approval: config.dispatch_approval,
            private_targets: config.allow_private_targets.clone(),
            request_timeout: Duration::from_secs(config.request_timeout_secs),
            shutdown_deadline: Duration::from_secs(config.shutdown_deadline_secs),
            metrics_listen: config.metrics_listen,
            retention: config.retention(),
            mail_files: config.smtp_url.is_none().then(|| config.outbox_dir.clone()),
        });
        let memory = Arc::new(PosterMemory::new(DEFAULT_BUDGET));
        let queue = usize::try_from(config.render_queue).unwrap_or(usize::MAX);
        let cpu = CpuLimit::new(config.render_permits(), queue);
        let poster_settings = Arc::new(PosterSettings {
            organisation: config.organisation.clone(),
            case_page_url: PosterSettings::page_url(
                config.case_page_url.as_deref(),
                config.public_url.as_deref(),
            ),
        });
        let targeting = Arc::new(TargetingIndex::shipped());
        let distributor = Distributor::new(
            store.clone(),
            targeting.clone(),
            clock,
            Duration::from_secs(config.reissue_quiet_secs),
            Duration::from_secs(config.retarget_interval_secs),
        );
        let dispatch = DispatchState {
            channels: Arc::new(Channels::from_config(config)?),
            metrics: Arc::new(DispatchMetrics::default()),
            worker: WorkerSettings::from_config(config),
        };
        Ok(AppState {
            poster_source: PosterSource::new(store.clone(), poster_settings, memory, cpu.clone()),
            cpu,
            store,
            settings,
            targeting,
            distributor,
            dispatch: Arc::new(dispatch),
            visits: Arc::default(),
        })
    }

    /// The dispatch worker for this state: started by `serve`, or by a test that drives it.
    pub fn worker(&self) -> Worker {
        Worker::new(
            self.store.clone(),
            self.dispatch.channels.clone(),
            self.poster_source.background(),
            self.targeting.clone(),
            self.dispatch.worker.clone(),
            self.dispatch.metrics.clone(),
            &self.distributor,
        )
    }
}
