//! `apply`: take the apply lock, plan (or check a saved plan against a fresh one), let a person
//! review it, carry it out, then verify: re-read Railway, no reference may dangle, and a new
//! plan must be empty.

use std::path::PathBuf;

use super::plan::{make_plan, session_key};
use super::prepare::{prepare, Prepared, Sources};
use super::saved;
use super::session::Session;
use super::OpResult;
use crate::apply::lock::{lock_path, ApplyLock};
use crate::apply::rollout::Waiting;
use crate::apply::{self, values::ValueSources, verify, Applied, ApplyOptions, Progress};
use crate::plan::{diff, Action, Operation, Plan};
use crate::state::LiveProject;

/// What `apply` was asked.
#[derive(Debug, Clone, Default)]
pub struct ApplySettings {
    pub sources: Sources,
    /// Apply this saved plan (it must equal a fresh plan).
    pub saved_plan: Option<PathBuf>,
    pub prune: bool,
    pub allow_destroy: bool,
    /// Start the deploys at the end (`--no-deploy` turns it off).
    pub deploy: bool,
    /// Ask before changing anything (not with `--yes`, nor for a saved plan: it was reviewed
    /// when it was made).
    pub review: bool,
    /// What the lock is taken on: the endpoint, or the emulator's state file.
    pub target: String,
    /// Whether and how long to follow the deployments.
    pub waiting: Waiting,
    /// `preview up`: every change must be inside this environment; a plan that reaches past it
    /// (a service created, renamed or deleted project-wide, another environment rewritten) is
    /// refused with nothing changed.
    pub confined_to: Option<String>,
}

/// What a person sees and answers while `apply` runs.
pub trait ApplyHooks: Progress {
    /// The plan about to be carried out (shown before asking, and without `review` too).
    fn planned(&self, plan: &Plan);
    /// Asks whether to go on; `false` cancels with nothing changed.
    fn confirm(&self, plan: &Plan) -> anyhow::Result<bool>;
    /// The apply stopped part-way: what it had done (the error follows).
    fn stopped(&self, applied: &Applied);
}

/// How an apply ended, when it did not fail.
#[derive(Debug)]
pub enum ApplyOutcome {
    /// The plan had nothing to change.
    NothingToDo,
    /// The person said no; nothing was changed.
    Cancelled,
    /// Everything was carried out and verified.
    Applied(Applied),
}

/// Runs an apply. Nothing is written before the plan is final, reviewed and allowed.
pub async fn run(
    connect: impl FnOnce() -> anyhow::Result<Session>,
    settings: &ApplySettings,
    hooks: &dyn ApplyHooks,
) -> OpResult<ApplyOutcome> {
    let prepared = prepare(&settings.sources)?;
    // Held until the run ends, verification included; taken before `--emulator` opens its state.
    let _locks = lock_projects(&prepared, &settings.target)?;
    let session = connect()?;
    apply_prepared(&session, &prepared, settings, hooks).await
}

/// Plans `prepared` against what `session` reads and carries the plan out, as [`run`] does once
/// the files are read and the apply lock is held.
pub async fn apply_prepared(
    session: &Session,
    prepared: &Prepared,
    settings: &ApplySettings,
    hooks: &dyn ApplyHooks,
) -> OpResult<ApplyOutcome> {
    let prune = settings.prune;
    let plan = match &settings.saved_plan {
        Some(path) => {
            let saved = saved::load(path)?;
            let current = make_plan(session, prepared, &settings.sources.paths, saved.fingerprint.prune).await?;
            if let Some(why) = saved::refusal(&saved, &current) {
                return Err(anyhow::anyhow!(
                    "the saved plan {} cannot be applied, {why}. Nothing was changed; make a new plan",
                    path.display()
                )
                .into());
            }
            // The fresh plan is carried out: equal to the saved one, and never read from a file.
            current
        }
        None => make_plan(session, prepared, &settings.sources.paths, prune).await?,
    };
    if let Some(environment) = &settings.confined_to {
        confine(&plan, environment, false)?;
    }
    hooks.planned(&plan);
    if plan.changes.is_empty() || (!settings.deploy && plan.changes.iter().all(|c| c.action == Action::Deploy)) {
        return Ok(ApplyOutcome::NothingToDo);
    }
    let deletes: Vec<&str> = plan
        .changes
        .iter()
        .filter(|c| matches!(c.operation, Operation::DeleteService { .. }))
        .map(|c| c.address.as_str())
        .collect();
    if !deletes.is_empty() && !settings.allow_destroy {
        return Err(anyhow::anyhow!(
            "the plan deletes service(s) {}: run again with --allow-destroy to allow it. Nothing was changed",
            deletes.join(", ")
        )
        .into());
    }
    if settings.review && !hooks.confirm(&plan)? {
        return Ok(ApplyOutcome::Cancelled);
    }
    let key = session_key(session);
    let values = ValueSources { model: &prepared.model, secrets: &prepared.secrets, key: &key };
    let options = ApplyOptions { deploy: settings.deploy, waiting: settings.waiting };
    let applied = match apply::execute(&plan, &session.client, &values, options, hooks).await {
        Ok(applied) => applied,
        Err(interrupted) => {
            hooks.stopped(&interrupted.applied);
            return Err(interrupted.error.context("apply stopped part-way; run it again to finish").into());
        }
    };
    let live = verify_after(session, prepared, plan.fingerprint.prune).await?;
    let mut applied = applied;
    applied.dns = crate::plan::dns::waiting_in(&prepared.model, &live);
    Ok(ApplyOutcome::Applied(applied))
}

/// Refuses a plan with a change outside `environment`. `creating`: the plan may create that
/// environment (the check `preview up` makes before it creates one).
pub(super) fn confine(plan: &Plan, environment: &str, creating: bool) -> anyhow::Result<()> {
    let outside: Vec<&str> = plan
        .changes
        .iter()
        .filter(|change| match &change.operation {
            Operation::CreateEnvironment { name, .. } => !(creating && name == environment),
            Operation::CreateProject { .. }
            | Operation::RenameEnvironment { .. }
            | Operation::CreateService { .. }
            | Operation::RenameService { .. }
            | Operation::DeleteService { .. } => true,
            _ => change.environment.as_deref() != Some(environment),
        })
        .map(|change| change.address.as_str())
        .collect();
    if outside.is_empty() {
        return Ok(());
    }
    anyhow::bail!(
        "the preview's plan reaches past environment {environment}: {}. A preview only changes its own \
         environment and never creates, renames or deletes a project-wide service: apply the permanent \
         environments first (`railform apply`). Nothing was changed",
        outside.join(", ")
    )
}

/// One lock per project the files name, taken in a stable order so two applies of overlapping
/// projects never wait on each other crosswise.
pub(super) fn lock_projects(prepared: &Prepared, target: &str) -> anyhow::Result<Vec<ApplyLock>> {
    let mut projects: Vec<String> = prepared
        .model
        .projects()
        .iter()
        .map(|(project, _)| project.id.clone().or_else(|| project.name.clone()).unwrap_or_default())
        .collect();
    projects.sort();
    projects.dedup();
    projects
        .iter()
        .map(|project| ApplyLock::acquire(&lock_path(target, project), &format!("project {project}")))
        .collect()
}

/// Re-reads Railway: no reference may dangle, and a new plan must be empty. Returns what it read.
async fn verify_after(session: &Session, prepared: &Prepared, prune: bool) -> anyhow::Result<Vec<Option<LiveProject>>> {
    let live = session.read_live(&prepared.model).await?;
    let unchecked = verify::unchecked_references(&prepared.model);
    // Only what the plan saw: a preview's references are its own `preview up`'s business.
    let projects = prepared.model.projects();
    let dangling: Vec<verify::Dangling> = live
        .iter()
        .zip(&projects)
        .filter_map(|(live, (_, environments))| live.as_ref().map(|live| diff::visible(live, environments).0))
        .flat_map(|live| verify::dangling_references(&live))
        .filter(|d| !unchecked.contains(d))
        .collect();
    let options = diff::DiffOptions { prune, key: session_key(session) };
    let replan = diff::diff(&prepared.model, &live, &prepared.secrets, &options);
    let left: Vec<String> = replan
        .changes
        .iter()
        .filter(|c| c.action != Action::Deploy)
        .map(|c| format!("{} ({:?})", c.address, c.action))
        .collect();
    if dangling.is_empty() && left.is_empty() {
        return Ok(live);
    }
    let mut problems = Vec::new();
    problems.extend(dangling.iter().map(|d| format!("{} refers to {}, which does not exist", d.address, d.reference)));
    problems.extend(left.iter().map(|change| format!("still to change: {change}")));
    anyhow::bail!("verification after apply failed:\n  {}", problems.join("\n  "))
}
