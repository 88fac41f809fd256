//! `railform graph`: services per environment and the references between them.

use clap::Args;

use super::{Outcome, PathArgs};
use crate::render::Printer;

#[derive(Debug, Args, Clone)]
pub struct GraphArgs {
    #[command(flatten)]
    pub paths: PathArgs,
}

pub fn run(_printer: &Printer, _args: &GraphArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("graph is not built yet")
}
