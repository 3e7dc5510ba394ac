use std::path::PathBuf;

use super::{CliError, data};
use crate::app::AppError;
use crate::partners::PartnerId;
use crate::store::{Actor, Role, Store, StoreError};

#[derive(clap::Args)]
pub struct TokenArgs {
    #[command(subcommand)]
    command: TokenCommand,
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// sqlite://PATH or postgres://… [default: sqlite://lookout.db].
    #[arg(long, global = true)]
    database: Option<String>,
}

#[derive(clap::Subcommand)]
enum TokenCommand {
    /// Make a token and print it, once, alone on the last line.
    Create {
        /// admin, case_manager or partner.
        #[arg(long)]
        role: String,
        /// The partner a partner token belongs to.
        #[arg(long)]
        partner: Option<String>,
        /// A note for the token list (who or what holds it).
        #[arg(long)]
        label: Option<String>,
    },
    /// List tokens (never their secrets).
    List,
    /// Revoke a token by its id.
    Revoke { id: String },
}

pub fn run(args: TokenArgs) -> Result<(), CliError> {
    let config = data::load_config(args.config.as_deref(), args.database.as_deref())?;
    data::runtime()?.block_on(async {
        let store = Store::open(&config.database_url)
            .await
            .map_err(|e| data::store_failure(AppError::Store(e)))?;
        let result = command(&store, args.command).await;
        store.close().await;
        result
    })
}

const ACTOR: Actor = Actor::System("cli");

async fn command(store: &Store, command: TokenCommand) -> Result<(), CliError> {
    match command {
        TokenCommand::Create {
            role,
            partner,
            label,
        } => {
            let role = Role::parse(&role)
                .ok_or_else(|| CliError::input("--role: one of admin, case_manager, partner"))?;
            let partner = partner
                .map(|p| {
                    PartnerId::parse(&p).map_err(|e| CliError::input(format!("--partner: {e}")))
                })
                .transpose()?;
            match (role, &partner) {
                (Role::Partner, None) => {
                    return Err(CliError::input("--partner: required for a partner token"));
                }
                (Role::Admin | Role::CaseManager, Some(_)) => {
                    return Err(CliError::input(
                        "--partner: only a partner token names a partner",
                    ));
                }
                _ => {}
            }
            let token = store
                .create_token(role, partner.as_ref(), label.as_deref(), &ACTOR)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound(_) => CliError::input("--partner: no such partner"),
                    e => CliError::failure(e.to_string()),
                })?;
            println!("token {} ({role}); it is shown only this once:", token.id);
            println!("{}", token.secret);
        }
        TokenCommand::List => {
            let tokens = store
                .tokens()
                .await
                .map_err(|e| CliError::failure(e.to_string()))?;
            for t in tokens {
                let state = if t.revoked_at.is_some() {
                    "revoked"
                } else {
                    "live"
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    t.id,
                    t.role,
                    t.partner_id.unwrap_or_default(),
                    state,
                    t.label.unwrap_or_default()
                );
            }
        }
        TokenCommand::Revoke { id } => {
            let id = id
                .parse()
                .map_err(|_| CliError::input("id: not a token id"))?;
            store.revoke_token(id, &ACTOR).await.map_err(|e| match e {
                StoreError::NotFound(_) => CliError::input("id: no such token"),
                e => CliError::failure(e.to_string()),
            })?;
            println!("revoked {id}");
        }
    }
    Ok(())
}
