use super::CliError;

#[derive(clap::Args)]
pub struct ServeArgs {}

pub fn run(_args: ServeArgs) -> Result<(), CliError> {
    Err(CliError::failure("lookout serve: not built yet"))
}
