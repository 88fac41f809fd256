//! `railform plan`: diff the files against Railway and show (or save) what would change.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use super::{CommandResult, GlobalArgs, Outcome, SourceArgs};
use crate::config;
use crate::ops::plan::{self, PlanSettings};
use crate::ops::session;
use crate::render::{self, Printer};

#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Save the plan to FILE for `apply --plan FILE` (it never holds a secret in clear).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when changes are pending or live objects are not in the files (drift), 0 when in sync.
    #[arg(long, alias = "detailed-exit-code")]
    pub detailed_exitcode: bool,
    /// How to show the plan: text for people, json for programs, markdown for a PR comment.
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Plan deletes of the live variables the files do not declare (apply then deletes them),
    /// instead of reporting them as drift.
    #[arg(long)]
    pub prune: bool,
    /// Show non-sensitive values (sensitive ones are always `(sensitive)`).
    #[arg(long)]
    pub show_values: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

pub fn run(printer: &Printer, global: &GlobalArgs, args: &PlanArgs) -> CommandResult {
    let settings = PlanSettings { sources: args.sources.sources(), prune: args.prune, out: args.out.clone() };
    let session = global.connect(printer)?;
    let planned = session::runtime()?.block_on(plan::run(&session, &settings))?;
    printer.verbose(&format!("{} API request(s) sent", session.client.requests_sent()));
    if let Some(out) = &args.out {
        printer.status(&format!(
            "plan saved to {} (apply it with `railform apply --plan {}`)",
            out.display(),
            out.display()
        ));
    }
    let plan = &planned.plan;
    let shown = match args.format {
        PlanFormat::Text => render::plan::text(plan, args.show_values, printer.color),
        PlanFormat::Json => render::plan::json(plan, args.show_values)?,
        PlanFormat::Markdown => {
            let first_file = planned.prepared.model.environments.first().map_or(Path::new(""), |e| Path::new(&e.file));
            render::plan::markdown(plan, args.show_values, &config::templates::local_folders(first_file))?
        }
    };
    printer.out(&shown);
    Ok(if args.detailed_exitcode && !plan.is_empty() { Outcome::Changes } else { Outcome::Success })
}
