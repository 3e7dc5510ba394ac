//! The command line: one file per subcommand, each parsing its flags and calling the libraries.

mod config;
mod data;
mod migrate;
mod partners;
mod render;
mod serve;
mod target;
mod token;
mod user;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "lookout",
    version,
    about = "Missing-child posters, targeted to the photo partners who can help"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Render a case document into posters (PDF, PNG, JPEG).
    Render(render::RenderArgs),
    /// Print the target region and the selected partner locations of a case, as GeoJSON.
    Target(target::TargetArgs),
    /// Run the HTTP service.
    Serve(serve::ServeArgs),
    /// Bring the database schema up to date.
    Migrate(migrate::MigrateArgs),
    /// Make, list and revoke API tokens.
    Token(token::TokenArgs),
    /// Import partners and their locations.
    Partners(partners::PartnersArgs),
    /// Make and reset console accounts.
    User(user::UserArgs),
    /// Check a configuration file.
    Config(config::ConfigArgs),
}

/// A failure the command reports: exit 2 for bad input (the user can fix it), 1 for anything else.
#[derive(Debug)]
pub struct CliError {
    pub code: u8,
    pub message: String,
}

impl CliError {
    pub fn input(message: impl Into<String>) -> Self {
        CliError {
            code: 2,
            message: message.into(),
        }
    }

    pub fn failure(message: impl Into<String>) -> Self {
        CliError {
            code: 1,
            message: message.into(),
        }
    }
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Render(args) => render::run(args),
        Command::Config(args) => config::run(args),
        Command::Target(args) => target::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Migrate(args) => migrate::run(args),
        Command::Token(args) => token::run(args),
        Command::Partners(args) => partners::run(args),
        Command::User(args) => user::run(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{}", e.message);
            ExitCode::from(e.code)
        }
    }
}
