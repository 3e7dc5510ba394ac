//! `lookout config check`: read the configuration as `lookout serve` would (file, environment,
//! flags), check it, and show what would be used, secrets hidden. Exit 2 names the key at fault.

use std::path::PathBuf;

use super::{CliError, data};

#[derive(clap::Args)]
pub struct ConfigArgs {
    #[command(subcommand)]
    command: ConfigCommand,
}

#[derive(clap::Subcommand)]
enum ConfigCommand {
    /// Check a configuration and print the values that would be used (secrets hidden).
    Check {
        /// TOML configuration file (see config.example.toml).
        #[arg(long)]
        config: Option<PathBuf>,
        /// sqlite://PATH or postgres://… over the file's and the environment's.
        #[arg(long)]
        database: Option<String>,
    },
}

pub fn run(args: ConfigArgs) -> Result<(), CliError> {
    match args.command {
        ConfigCommand::Check { config, database } => {
            let c = data::load_config(config.as_deref(), database.as_deref())?;
            println!("{c:#?}");
            let from = config.map_or("the defaults and the environment".to_string(), |p| {
                p.display().to_string()
            });
            eprintln!("configuration is valid ({from})");
            Ok(())
        }
    }
}
