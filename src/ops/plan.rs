//! `plan`: prepare the files, read the live state, diff; save the plan when asked.

use std::path::PathBuf;

use super::prepare::{prepare, Prepared, Sources};
use super::saved;
use super::session::Session;
use super::OpResult;
use crate::plan::{diff, Plan};
use crate::secret::PlanKey;

/// What `plan` was asked.
#[derive(Debug, Clone, Default)]
pub struct PlanSettings {
    pub sources: Sources,
    /// Turn undeclared live variables into deletes.
    pub prune: bool,
    /// Save the plan there, for `apply --plan`.
    pub out: Option<PathBuf>,
}

/// A plan and what it was made from.
pub struct Planned {
    pub prepared: Prepared,
    pub plan: Plan,
}

/// Plans the files of `settings` against what `session` reads, and saves the plan if asked.
pub async fn run(session: &Session, settings: &PlanSettings) -> OpResult<Planned> {
    let prepared = prepare(&settings.sources)?;
    let plan = make_plan(session, &prepared, &settings.sources.paths, settings.prune).await?;
    if let Some(out) = &settings.out {
        saved::save(&plan, out)?;
    }
    Ok(Planned { prepared, plan })
}

/// Reads the live state and diffs the files against it. The plan's digests are keyed by the
/// session's token, and its fingerprint holds the digest of every file under `paths`.
pub async fn make_plan(session: &Session, prepared: &Prepared, paths: &[PathBuf], prune: bool) -> anyhow::Result<Plan> {
    let key = session_key(session);
    let live = session.read_live(&prepared.model).await?;
    let mut plan =
        diff::diff(&prepared.model, &live, &prepared.secrets, &diff::DiffOptions { prune, key: key.clone() });
    if !plan.errors.is_empty() {
        anyhow::bail!("the files cannot be planned against Railway:\n  {}", plan.errors.join("\n  "));
    }
    plan.fingerprint.files = saved::files_digest(paths, &key)?;
    Ok(plan)
}

/// The key of a session's plan digests: derived from the token it sends.
pub fn session_key(session: &Session) -> PlanKey {
    PlanKey::for_token(session.client.token().map(|token| token.expose()))
}
