use std::path::PathBuf;

use super::{CliError, data};
use crate::app::AppError;
use crate::store::Store;

#[derive(clap::Args)]
pub struct MigrateArgs {
    #[arg(long)]
    config: Option<PathBuf>,
    /// sqlite://PATH or postgres://… [default: sqlite://lookout.db].
    #[arg(long)]
    database: Option<String>,
}

pub fn run(args: MigrateArgs) -> Result<(), CliError> {
    let config = data::load_config(args.config.as_deref(), args.database.as_deref())?;
    data::runtime()?.block_on(async {
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| data::store_failure(AppError::Store(e)))?;
        println!("database is up to date ({:?})", store.backend());
        store.close().await;
        Ok(())
    })
}
