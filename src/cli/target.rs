use super::CliError;

#[derive(clap::Args)]
pub struct TargetArgs {}

pub fn run(_args: TargetArgs) -> Result<(), CliError> {
    Err(CliError::failure("lookout target: not built yet"))
}
