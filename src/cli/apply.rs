//! `railform apply`: plan (or check a saved plan), confirm, carry it out, verify.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Args;

use super::{CommandResult, GlobalArgs, Outcome, SourceArgs};
use crate::ops::apply::{self, ApplyOutcome, ApplySettings};
use crate::ops::session;
use crate::render::{progress::ApplyDisplay, Printer};

#[derive(Debug, Args, Clone)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Apply this saved plan (`plan --out FILE`) without asking: it is refused, changing
    /// nothing, unless planning again now gives exactly the same plan.
    #[arg(long, value_name = "FILE")]
    pub plan: Option<PathBuf>,
    /// Do not ask for confirmation (for CI).
    #[arg(long)]
    pub yes: bool,
    /// Delete live variables the files do not declare.
    #[arg(long)]
    pub prune: bool,
    /// Allow deleting services marked `delete = true` (never a protected one).
    #[arg(long)]
    pub allow_destroy: bool,
    /// Write everything but start no deploy.
    #[arg(long)]
    pub no_deploy: bool,
}

pub fn run(printer: &Printer, global: &GlobalArgs, args: &ApplyArgs) -> CommandResult {
    let settings = ApplySettings {
        sources: args.sources.sources(),
        saved_plan: args.plan.clone(),
        prune: args.prune,
        allow_destroy: args.allow_destroy,
        deploy: !args.no_deploy,
        review: !args.yes && args.plan.is_none(),
        target: global.lock_target(),
    };
    if settings.review && !std::io::stdin().is_terminal() {
        return Err(anyhow::anyhow!("apply needs confirmation: run it on a terminal, or pass --yes (as in CI)").into());
    }
    let display = ApplyDisplay::new(printer);
    let outcome = session::runtime()?.block_on(apply::run(|| global.connect(printer), &settings, &display))?;
    match outcome {
        ApplyOutcome::NothingToDo => {}
        ApplyOutcome::Cancelled => {
            printer.result("Apply cancelled; nothing was changed.");
            return Ok(Outcome::Failure);
        }
        ApplyOutcome::Applied(applied) => {
            printer.result(&crate::render::progress::summary(&applied));
            printer.status("Verified: no reference dangles and Railway matches the files.");
        }
    }
    Ok(Outcome::Success)
}
