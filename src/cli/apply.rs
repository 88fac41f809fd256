//! `railform apply`: plan (or check a saved plan), confirm, carry it out, verify.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, ValueEnum};

use super::{CommandResult, GlobalArgs, Outcome, SourceArgs};
use crate::apply::rollout::Waiting;
use crate::ops::apply::{self, ApplyOutcome, ApplySettings};
use crate::ops::duration;
use crate::ops::{session, OpError};
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
    /// Follow every deployment until it succeeds or fails, a service's dependents after it
    /// (default on a terminal).
    #[arg(long, conflicts_with = "no_wait")]
    pub wait: bool,
    /// Start the deploys in dependency order and do not wait for them (default off a terminal).
    #[arg(long)]
    pub no_wait: bool,
    /// How long to wait for the deployments, as `90s`, `15m` or `1h`.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = duration::parse)]
    pub timeout: Duration,
    /// When a deployment fails, redeploy that service's previous successful deployment.
    #[arg(long)]
    pub rollback_on_failure: bool,
    /// text for people; json prints one document on stdout at the end (the changes made and
    /// every deployment with its final status), for CI to read.
    #[arg(long, value_enum, default_value_t = ApplyFormat::Text)]
    pub format: ApplyFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApplyFormat {
    Text,
    Json,
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
        waiting: Waiting {
            timeout: (args.wait || (!args.no_wait && std::io::stderr().is_terminal())).then_some(args.timeout),
            rollback_on_failure: args.rollback_on_failure,
        },
        confined_to: None,
    };
    if settings.review && !std::io::stdin().is_terminal() {
        return Err(anyhow::anyhow!("apply needs confirmation: run it on a terminal, or pass --yes (as in CI)").into());
    }
    let json = args.format == ApplyFormat::Json;
    let display = ApplyDisplay::new(printer, json);
    let result = session::runtime()?.block_on(apply::run(|| global.connect(printer), &settings, &display));
    let outcome = match result {
        Ok(outcome) => outcome,
        Err(error) => {
            if json {
                let failure = match &error {
                    OpError::Failed(error) => format!("{error:#}"),
                    OpError::Invalid(diagnostics) => {
                        format!("the files are invalid ({} problem(s), shown on stderr)", diagnostics.len())
                    }
                };
                printer.out(&display.json_document("failed", None, Some(&failure)));
            }
            return Err(error);
        }
    };
    match outcome {
        ApplyOutcome::NothingToDo => {
            if json {
                printer.out(&display.json_document("no_changes", None, None));
            }
        }
        ApplyOutcome::Cancelled => {
            printer.result("Apply cancelled; nothing was changed.");
            if json {
                printer.out(&display.json_document("cancelled", None, None));
            }
            return Ok(Outcome::Failure);
        }
        ApplyOutcome::Applied(applied) => {
            printer.result(&crate::render::progress::summary(&applied));
            printer.status("Verified: no reference dangles and Railway matches the files.");
            for waiting in &applied.dns {
                printer.result(&crate::render::printable(&waiting.line()));
            }
            if json {
                printer.out(&display.json_document("applied", Some(&applied), None));
            }
        }
    }
    Ok(Outcome::Success)
}
