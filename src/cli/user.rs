//! `lookout user`: console accounts. A new account or a reset prints a one-time password, or takes
//! one from standard input (`--password-stdin`), so it never sits in the shell history.

use std::io::Read;
use std::path::PathBuf;

use super::{CliError, data};
use crate::accounts;
use crate::app::AppError;
use crate::partners::PartnerId;
use crate::store::{Actor, Role, Store, StoreError};

#[derive(clap::Args)]
pub struct UserArgs {
    #[command(subcommand)]
    command: UserCommand,
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// sqlite://PATH or postgres://… [default: sqlite://lookout.db].
    #[arg(long, global = true)]
    database: Option<String>,
}

#[derive(clap::Subcommand)]
enum UserCommand {
    /// Make a console account; prints its one-time password unless one is read from stdin.
    Create {
        #[arg(long)]
        email: String,
        /// admin, case_manager, or partner (with --partner).
        #[arg(long)]
        role: String,
        /// The partner a `partner` user belongs to: it sees only that partner's portal.
        #[arg(long)]
        partner: Option<String>,
        /// The name shown in the console [default: the part of the email before the @].
        #[arg(long)]
        name: Option<String>,
        /// Read the password from standard input instead of making one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Give an account a new password (its sessions end).
    ResetPassword {
        #[arg(long)]
        email: String,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the accounts.
    List,
}

pub fn run(args: UserArgs) -> Result<(), CliError> {
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

/// The password to set: read from stdin (first line), or a new one-time password to print.
fn password(from_stdin: bool) -> Result<(String, bool), CliError> {
    if !from_stdin {
        return Ok((accounts::one_time_password(), true));
    }
    let mut text = String::new();
    std::io::stdin()
        .read_to_string(&mut text)
        .map_err(|e| CliError::input(format!("password: cannot read standard input: {e}")))?;
    let line = text.lines().next().unwrap_or("").to_string();
    accounts::check_password(&line).map_err(|e| CliError::input(e.to_string()))?;
    Ok((line, false))
}

/// The role asked for, and the partner a `partner` user belongs to (required for it, refused for
/// the others).
fn role_and_partner(
    role: &str,
    partner: Option<&str>,
) -> Result<(Role, Option<PartnerId>), CliError> {
    let role =
        Role::parse(role).ok_or_else(|| CliError::input("role: admin, case_manager or partner"))?;
    match (role, partner) {
        (Role::Partner, Some(p)) => {
            let id = PartnerId::parse(p).map_err(|e| CliError::input(format!("partner: {e}")))?;
            Ok((role, Some(id)))
        }
        (Role::Partner, None) => Err(CliError::input(
            "partner: a partner user needs --partner ID",
        )),
        (_, Some(_)) => Err(CliError::input(
            "partner: only a partner user belongs to a partner (--role partner)",
        )),
        (_, None) => Ok((role, None)),
    }
}

fn hashed(password: &str) -> Result<String, CliError> {
    accounts::hash_password(password).map_err(|e| CliError::failure(e.to_string()))
}

async fn command(store: &Store, command: UserCommand) -> Result<(), CliError> {
    let now = chrono::Utc::now();
    match command {
        UserCommand::Create {
            email,
            role,
            partner,
            name,
            password_stdin,
        } => {
            let email =
                accounts::normalise_email(&email).map_err(|e| CliError::input(e.to_string()))?;
            let (role, partner) = role_and_partner(&role, partner.as_deref())?;
            let name = name.unwrap_or_else(|| email.split('@').next().unwrap_or("").to_string());
            let name = accounts::display_name(&name).map_err(|e| CliError::input(e.to_string()))?;
            let (password, made) = password(password_stdin)?;
            let hash = hashed(&password)?;
            let made_user = match &partner {
                Some(p) => {
                    store
                        .create_partner_user(&email, &name, p, &hash, &ACTOR, now)
                        .await
                }
                None => {
                    store
                        .create_user(&email, &name, role, &hash, &ACTOR, now)
                        .await
                }
            };
            let user = made_user.map_err(|e| match e {
                StoreError::AlreadyExists(_) => {
                    CliError::input(format!("email: {email} already has an account"))
                }
                StoreError::NotFound(_) => CliError::input(format!(
                    "partner: no partner {}",
                    partner.as_ref().map_or("", |p| p.as_str())
                )),
                e => CliError::failure(e.to_string()),
            })?;
            eprintln!("made {} account {} for {email}", role.as_str(), user.id);
            if made {
                eprintln!("one-time password (shown once; change it by a reset):");
                println!("{password}");
            }
            Ok(())
        }
        UserCommand::ResetPassword {
            email,
            password_stdin,
        } => {
            let email =
                accounts::normalise_email(&email).map_err(|e| CliError::input(e.to_string()))?;
            let (password, made) = password(password_stdin)?;
            let user = store
                .reset_password(&email, &hashed(&password)?, &ACTOR, now)
                .await
                .map_err(|e| match e {
                    StoreError::NotFound(_) => {
                        CliError::input(format!("email: no account for {email}"))
                    }
                    e => CliError::failure(e.to_string()),
                })?;
            eprintln!(
                "new password for account {}; its sessions have ended",
                user.id
            );
            if made {
                println!("{password}");
            }
            Ok(())
        }
        UserCommand::List => {
            for u in store
                .users()
                .await
                .map_err(|e| CliError::failure(e.to_string()))?
            {
                let state = if u.disabled_at.is_some() {
                    "disabled"
                } else {
                    "active"
                };
                let partner = u.partner_id.as_ref().map_or("", |p| p.as_str());
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    u.id,
                    u.email,
                    u.role.as_str(),
                    partner,
                    state
                );
            }
            Ok(())
        }
    }
}
