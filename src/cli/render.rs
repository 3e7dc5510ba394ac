use super::CliError;

#[derive(clap::Args)]
pub struct RenderArgs {}

pub fn run(_args: RenderArgs) -> Result<(), CliError> {
    Err(CliError::failure("lookout render: not built yet"))
}
