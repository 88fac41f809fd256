//! `railform status`: each declared service's latest deployment, its age and public URL.

use clap::{Args, ValueEnum};

use super::{CommandResult, GlobalArgs, Outcome, PathArgs};
use crate::ops::{session, status};
use crate::render::{self, Printer};

#[derive(Debug, Args, Clone)]
pub struct StatusArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// text for people, json for programs.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    Text,
    Json,
}

pub fn run(printer: &Printer, global: &GlobalArgs, args: &StatusArgs) -> CommandResult {
    let session = global.connect(printer)?;
    let report = session::runtime()?.block_on(status::run(&session, &args.paths.paths))?;
    printer.verbose(&format!("{} API request(s) sent", session.client.requests_sent()));
    printer.out(&match args.format {
        StatusFormat::Text => render::status::text(&report, crate::clock::wall_ms()),
        StatusFormat::Json => render::status::json(&report)?,
    });
    Ok(Outcome::Success)
}
