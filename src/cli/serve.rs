use std::net::SocketAddr;
use std::path::PathBuf;

use super::{CliError, data};
use crate::app;

#[derive(clap::Args)]
pub struct ServeArgs {
    /// TOML configuration file (environment variables override it, flags override both).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long)]
    listen: Option<SocketAddr>,
    /// sqlite://PATH or postgres://… [default: sqlite://lookout.db].
    #[arg(long)]
    database: Option<String>,
    /// Seed invented sample cases and partners, and print an admin token to try the API with.
    #[arg(long)]
    demo: bool,
}

pub fn run(args: ServeArgs) -> Result<(), CliError> {
    let mut config = data::load_config(args.config.as_deref(), args.database.as_deref())?;
    if let Some(listen) = args.listen {
        config.listen = listen;
    }
    init_logging();
    data::runtime()?.block_on(async move {
        let state = app::open(&config).await.map_err(data::store_failure)?;
        let mut demo_sign_ins = Vec::new();
        if args.demo {
            let seed = app::seed_demo(&state.store)
                .await
                .map_err(|e| CliError::failure(e.to_string()))?;
            eprintln!(
                "demo: {} sample case(s), {} demo partner(s) with {} location(s) added; \
                 admin token for trying the API:\n{}",
                seed.cases_created, seed.network.partners, seed.network.locations, seed.token
            );
            demo_sign_ins = seed.sign_ins;
        }
        let listener = crate::server::bind(config.listen)
            .await
            .map_err(|e| CliError::failure(e.to_string()))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::failure(e.to_string()))?;
        for s in demo_sign_ins {
            eprintln!(
                "console: open http://{addr}/ and sign in as {}\n  email:    {}\n  password: {}",
                s.who, s.email, s.password
            );
        }
        tracing::info!(%addr, backend = ?state.store.backend(), "listening");
        eprintln!("lookout listening on http://{addr}");
        crate::server::serve(listener, state, crate::server::shutdown_signal())
            .await
            .map_err(|e| CliError::failure(e.to_string()))
    })
}

/// `RUST_LOG` filters (default `info`); `LOOKOUT_LOG_FORMAT=json` writes one JSON object a line.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let json = std::env::var("LOOKOUT_LOG_FORMAT").is_ok_and(|v| v == "json");
    let _ = if json {
        builder.json().try_init()
    } else {
        builder.try_init()
    };
}
