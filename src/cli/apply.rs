//! `railform apply`: plan (or load a saved plan), confirm, carry it out, verify.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use clap::Args;

use super::plan::{load_saved, make_plan, prepare, Prepared};
use super::{GlobalArgs, Outcome, PathArgs};
use crate::apply::lock::{ApplyLock, LOCK_FILE};
use crate::apply::{self, values::ValueSources, verify, ApplyOptions};
use crate::plan::{diff, Action, Operation, Plan};
use crate::render::{self, progress::ProgressDisplay, Printer};
use crate::session::{self, Session};

#[derive(Debug, Args, Clone)]
pub struct ApplyArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// Apply exactly this saved plan (`plan --out FILE`); refused if Railway changed since.
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

pub fn run(printer: &Printer, global: &GlobalArgs, args: &ApplyArgs) -> anyhow::Result<Outcome> {
    let Some(prepared) = prepare(printer, &args.paths.paths)? else { return Ok(Outcome::Failure) };
    // Held until the run ends, verification included; taken before `--emulator` opens its state.
    let _lock = ApplyLock::acquire(Path::new(LOCK_FILE))?;
    let session = Session::connect(global, printer)?;
    session::runtime()?.block_on(apply(printer, &session, &prepared, args))
}

async fn apply(printer: &Printer, session: &Session, prepared: &Prepared, args: &ApplyArgs) -> anyhow::Result<Outcome> {
    let plan = match &args.plan {
        Some(path) => {
            let saved = load_saved(path)?;
            let current = make_plan(session, prepared, args.prune).await?;
            if let Some(moved) = stale(&saved, &current) {
                anyhow::bail!(
                    "the saved plan {} is stale: {moved}. Nothing was changed; make a new plan",
                    path.display()
                );
            }
            let values = ValueSources { model: &prepared.model, secrets: &prepared.secrets };
            if let Err(error) = values.check(&saved) {
                anyhow::bail!("the saved plan {} is stale: {error}. Nothing was changed", path.display());
            }
            saved
        }
        None => make_plan(session, prepared, args.prune).await?,
    };
    printer.out(&render::plan::text(&plan, false, printer.color));
    if plan.changes.iter().all(|change| change.action == Action::Deploy) {
        return Ok(Outcome::Success);
    }
    let deletes: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.operation, Operation::DeleteService { .. }))
        .map(|c| c.address.as_str())
        .collect();
    if !deletes.is_empty() && !args.allow_destroy {
        anyhow::bail!(
            "the plan deletes service(s) {}: run again with --allow-destroy to allow it. Nothing was changed",
            deletes.join(", ")
        );
    }
    if !args.yes && !confirm(printer)? {
        printer.status("Apply cancelled; nothing was changed.");
        return Ok(Outcome::Failure);
    }
    let values = ValueSources { model: &prepared.model, secrets: &prepared.secrets };
    let progress = ProgressDisplay::new(printer);
    let options = ApplyOptions { deploy: !args.no_deploy };
    let applied = match apply::execute(&plan, &session.client, &values, options, &progress).await {
        Ok(applied) => applied,
        Err(interrupted) => {
            printer.status(&render::progress::interrupted(&interrupted.applied));
            return Err(interrupted.error.context("apply stopped part-way; run it again to finish"));
        }
    };
    printer.status(&render::progress::summary(&applied));
    verify_after(printer, session, prepared, args).await
}

/// Re-reads Railway: no reference may dangle, and a new plan must be empty.
async fn verify_after(
    printer: &Printer,
    session: &Session,
    prepared: &Prepared,
    args: &ApplyArgs,
) -> anyhow::Result<Outcome> {
    let live = session.read_live(&prepared.model).await?;
    let dangling: Vec<verify::Dangling> = live.iter().flatten().flat_map(verify::dangling_references).collect();
    let replan = diff::diff(&prepared.model, &live, &prepared.secrets, &diff::DiffOptions { prune: args.prune });
    let left: Vec<String> = replan
        .changes
        .iter()
        .filter(|c| c.action != Action::Deploy)
        .map(|c| format!("{} ({:?})", c.address, c.action))
        .collect();
    if dangling.is_empty() && left.is_empty() {
        printer.status("Verified: no reference dangles and Railway matches the files.");
        return Ok(Outcome::Success);
    }
    let mut problems = Vec::new();
    problems.extend(dangling.iter().map(|d| format!("{} refers to {}, which does not exist", d.address, d.reference)));
    problems.extend(left.iter().map(|change| format!("still to change: {change}")));
    anyhow::bail!("verification after apply failed:\n  {}", problems.join("\n  "))
}

/// Why a saved plan no longer matches Railway, or `None` when it still does.
fn stale(saved: &Plan, current: &Plan) -> Option<String> {
    let canonical = |paths: &[String]| -> Vec<std::path::PathBuf> {
        paths.iter().map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.into())).collect()
    };
    if canonical(&saved.fingerprint.paths) != canonical(&current.fingerprint.paths) {
        return Some("it was made from other environment files".to_string());
    }
    for (before, now) in saved.fingerprint.projects.iter().zip(&current.fingerprint.projects) {
        if before.id != now.id {
            return Some(format!("project {} was created or replaced", now.name));
        }
        for (id, etag) in &before.environments {
            match now.environments.get(id) {
                Some(current_etag) if current_etag == etag => {}
                Some(_) => return Some(format!("environment {id} of project {} changed (configEtag)", now.name)),
                None => return Some(format!("environment {id} of project {} is gone", now.name)),
            }
        }
        if before.environments.len() != now.environments.len() {
            return Some(format!("environments were added to project {}", now.name));
        }
        if before.services != now.services {
            return Some(format!("services of project {} were created, renamed or deleted", now.name));
        }
    }
    if saved.fingerprint.projects.len() != current.fingerprint.projects.len() {
        return Some("the files name other projects".to_string());
    }
    None
}

fn confirm(printer: &Printer) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        anyhow::bail!("apply needs confirmation: run it on a terminal, or pass --yes (as in CI)");
    }
    Ok(printer.ask("Apply these changes? Only 'yes' will be accepted: ")? == "yes")
}
