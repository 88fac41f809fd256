//! `preview up|down|list|prune`: ephemeral environments for pull requests. `up` copies the base
//! environment into a new ephemeral one (or finds it) and applies the project's preview file to
//! it through the same plan and apply as `apply`, confined to that environment. `down` and
//! `prune` only ever delete an environment Railway itself marks ephemeral.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;

use super::apply::{apply_prepared, confine, lock_projects, ApplyHooks, ApplyOutcome, ApplySettings};
use super::plan::make_plan;
use super::prepare::{prepare_with, Sources};
use super::session::{selector, Session};
use super::{OpError, OpResult};
use crate::apply::create_or_find;
use crate::apply::rollout::Waiting;
use crate::config::model::{Environment, Model, ProjectRef};
use crate::config::names::{self, NameKind};
use crate::railway::NewEnvironment;
use crate::state::{self, LiveEnvironment, LiveProject, ProjectSelector};

/// What `preview up` was asked.
#[derive(Debug, Clone)]
pub struct UpSettings {
    pub sources: Sources,
    /// The ephemeral environment's name (`pr-42`).
    pub name: String,
    /// Copy a new preview from this environment instead of the preview file's base.
    pub base: Option<String>,
    /// What the apply lock is taken on (see `ApplySettings::target`).
    pub target: String,
    pub waiting: Waiting,
}

/// What a person sees while `preview up` runs, beyond an apply's progress.
pub trait UpHooks: ApplyHooks {
    /// A new ephemeral environment is being created as a copy of `base`.
    fn creating(&self, name: &str, base: &str);
}

/// Asked before `down` or `prune` deletes anything.
pub trait DeleteHooks {
    /// `false` cancels with nothing deleted.
    fn confirm_delete(&self, environments: &[&Preview]) -> anyhow::Result<bool>;
}

/// An ephemeral environment and where its services answer.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Preview {
    pub project: String,
    pub name: String,
    pub id: String,
    /// When Railway created it (ISO 8601).
    pub created_at: String,
    /// How old it is, in seconds (`None` when Railway's timestamp cannot be read).
    pub age_seconds: Option<u64>,
    /// The environment it was copied from.
    pub source: Option<String>,
    /// Its services, in name order.
    pub services: Vec<ServiceUrls>,
}

/// A service of a preview and its public URLs.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ServiceUrls {
    pub service: String,
    /// `https://…` for each generated and custom domain.
    pub urls: Vec<String>,
}

/// How `preview up` ended.
#[derive(Debug)]
pub struct UpResult {
    pub preview: Preview,
    /// True when this run created the environment.
    pub created: bool,
    pub outcome: ApplyOutcome,
}

/// Creates (or finds) the ephemeral environment `settings.name` and applies the preview file to it.
pub async fn up(
    connect: impl FnOnce() -> anyhow::Result<Session>,
    settings: &UpSettings,
    hooks: &dyn UpHooks,
) -> OpResult<UpResult> {
    let name = settings.name.as_str();
    if let Err(problem) = names::check_name(NameKind::Environment, name) {
        return Err(anyhow::anyhow!("{}: {}", problem.message, problem.hint).into());
    }
    let prepared = prepare_with(&settings.sources, |paths| {
        let model = crate::config::load_with(paths, Some(name)).map_err(|d| OpError::Invalid(d.0))?;
        let preview = the_preview(model, paths)?;
        Ok(Model { environments: vec![preview], previews: Vec::new() })
    })?;
    let _locks = lock_projects(&prepared, &settings.target)?;
    let session = connect()?;
    let preview = &prepared.model.environments[0];
    let live = session.read_live(&prepared.model).await?.pop().flatten().ok_or_else(|| {
        anyhow::anyhow!(
            "project {} does not exist in Railway: apply its permanent environments first (`railform apply`)",
            preview.project
        )
    })?;
    check_spelling(&live, name)?;
    let (id, created) = match live.environment_by_name(name) {
        Some(existing) if existing.ephemeral.is_some() => (existing.id.clone(), false),
        Some(_) => {
            return Err(anyhow::anyhow!(
                "environment `{name}` is a permanent environment, not a preview: `railform preview` only changes \
                 ephemeral environments. Choose another name (pr-<number>)"
            )
            .into())
        }
        None => {
            // What the preview would change, checked before anything is created.
            let plan = make_plan(&session, &prepared, &settings.sources.paths, false).await?;
            confine(&plan, name, true)?;
            (create(&session, &live, preview, settings, hooks).await?, true)
        }
    };
    let apply_settings = ApplySettings {
        sources: settings.sources.clone(),
        deploy: true,
        target: settings.target.clone(),
        waiting: settings.waiting,
        confined_to: Some(name.to_string()),
        ..ApplySettings::default()
    };
    let outcome = apply_prepared(&session, &prepared, &apply_settings, hooks).await?;
    let environment = state::read_environment(&session.client, &id)
        .await
        .with_context(|| format!("reading preview {name} after applying it"))?;
    Ok(UpResult { preview: describe(&live, &environment), created, outcome })
}

/// The one preview file of the files read.
fn the_preview(mut model: Model, paths: &[PathBuf]) -> OpResult<Environment> {
    let shown: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
    match model.previews.len() {
        1 => Ok(model.previews.remove(0)),
        0 => Err(anyhow::anyhow!(
            "no preview file in {}: add an environment file with `environment = {{ preview = true }}` (usually \
             `extends = \"staging.toml\"`, overriding what a preview does differently)",
            shown.join(", ")
        )
        .into()),
        _ => {
            let files: Vec<&str> = model.previews.iter().map(|p| p.file.as_str()).collect();
            Err(anyhow::anyhow!(
                "{} preview files were found ({}): pass the one to use as PATH",
                files.len(),
                files.join(", ")
            )
            .into())
        }
    }
}

/// Creates the preview as a copy of its base, deploys skipped: the apply that follows deploys
/// every service once, in dependency order.
async fn create(
    session: &Session,
    live: &LiveProject,
    preview: &Environment,
    settings: &UpSettings,
    hooks: &dyn UpHooks,
) -> anyhow::Result<String> {
    let name = settings.name.as_str();
    let base_name = settings.base.clone().or_else(|| preview.preview.as_ref().and_then(|p| p.base.clone()));
    let Some(base_name) = base_name else {
        anyhow::bail!(
            "{} extends no environment file, so a new preview has nothing to be copied from: pass --base ENV \
             (for instance --base staging)",
            preview.file
        );
    };
    let Some(base) = live.environment_by_name(&base_name) else {
        let known: Vec<&str> = live.environments.iter().map(|e| e.name.as_str()).collect();
        anyhow::bail!(
            "the preview's base environment `{base_name}` does not exist in project {} (it has: {}); apply it first \
             or pass --base ENV",
            live.name,
            known.join(", ")
        );
    };
    hooks.creating(name, &base.name);
    let new = NewEnvironment {
        project_id: live.id.clone(),
        name: name.to_string(),
        source_environment_id: Some(base.id.clone()),
        skip_initial_deploys: true,
        ephemeral: true,
    };
    create_or_find(
        &session.client,
        session.client.create_environment(&new),
        &ProjectSelector::Id(live.id.clone()),
        |created| created.id,
        |project| project.environment_by_name(name).filter(|e| e.ephemeral.is_some()).map(|e| e.id.clone()),
        &format!("preview environment {name}"),
    )
    .await
}

/// Refuses a name that differs from an existing environment's only in case or spaces
/// (`Production`, ` production`): never a near-miss of a permanent environment.
fn check_spelling(live: &LiveProject, name: &str) -> anyhow::Result<()> {
    let folded = fold(name);
    let near = live.environments.iter().find(|e| e.name != name && fold(&e.name) == folded);
    match near {
        Some(near) => anyhow::bail!(
            "`{name}` is not an environment of project {}, but `{}` is: railform does not guess between names that \
             differ only in case or spaces. Nothing was changed",
            live.name,
            near.name
        ),
        None => Ok(()),
    }
}

fn fold(name: &str) -> String {
    name.split_whitespace().collect::<String>().to_lowercase()
}

/// What `down`, `list` and `prune` work on: the files' project.
#[derive(Debug, Clone)]
pub struct ProjectSettings {
    pub paths: Vec<PathBuf>,
}

/// How `preview down` ended.
#[derive(Debug)]
pub enum DownOutcome {
    Deleted(Preview),
    /// No environment has that name: nothing to delete.
    Missing {
        project: String,
    },
    Cancelled,
}

/// Deletes the ephemeral environment `name`; any other environment is refused, untouched.
pub async fn down(
    session: &Session,
    project: &ProjectSettings,
    name: &str,
    hooks: &dyn DeleteHooks,
) -> OpResult<DownOutcome> {
    let live = read_project(session, project).await?;
    check_spelling(&live, name)?;
    let Some(environment) = live.environment_by_name(name) else {
        return Ok(DownOutcome::Missing { project: live.name.clone() });
    };
    if environment.ephemeral.is_none() {
        return Err(anyhow::anyhow!(
            "environment `{name}` of project {} is not a preview (Railway does not mark it ephemeral): `preview \
             down` deletes only ephemeral environments. Nothing was changed",
            live.name
        )
        .into());
    }
    let preview = describe(&live, environment);
    if !hooks.confirm_delete(&[&preview])? {
        return Ok(DownOutcome::Cancelled);
    }
    delete(session, environment).await?;
    Ok(DownOutcome::Deleted(preview))
}

/// Every ephemeral environment of the files' project, oldest first.
pub async fn list(session: &Session, project: &ProjectSettings) -> OpResult<Vec<Preview>> {
    let live = read_project(session, project).await?;
    Ok(previews_of(&live))
}

/// What `prune` did.
#[derive(Debug)]
pub struct Pruned {
    pub deleted: Vec<Preview>,
    /// Previews whose creation time Railway sent in a form railform cannot read: kept.
    pub undated: Vec<String>,
    pub cancelled: bool,
}

/// Deletes every ephemeral environment older than `older_than`.
pub async fn prune(
    session: &Session,
    project: &ProjectSettings,
    older_than: Duration,
    hooks: &dyn DeleteHooks,
) -> OpResult<Pruned> {
    let live = read_project(session, project).await?;
    let previews = previews_of(&live);
    let undated = previews.iter().filter(|p| p.age_seconds.is_none()).map(|p| p.name.clone()).collect();
    let stale: Vec<&Preview> =
        previews.iter().filter(|p| p.age_seconds.is_some_and(|age| age > older_than.as_secs())).collect();
    if stale.is_empty() {
        return Ok(Pruned { deleted: Vec::new(), undated, cancelled: false });
    }
    if !hooks.confirm_delete(&stale)? {
        return Ok(Pruned { deleted: Vec::new(), undated, cancelled: true });
    }
    let mut deleted = Vec::new();
    for preview in stale {
        let environment = live.environment(&preview.id).context("a listed preview vanished from the read")?;
        delete(session, environment).await.with_context(|| match deleted.len() {
            0 => "nothing was deleted".to_string(),
            n => format!("{n} preview(s) were deleted before this one"),
        })?;
        deleted.push(preview.clone());
    }
    Ok(Pruned { deleted, undated, cancelled: false })
}

/// The one way railform deletes an environment: only one Railway marks ephemeral.
async fn delete(session: &Session, environment: &LiveEnvironment) -> anyhow::Result<()> {
    anyhow::ensure!(
        environment.ephemeral.is_some(),
        "refusing to delete environment `{}`: it is not ephemeral",
        environment.name
    );
    session
        .client
        .delete_environment(&environment.id)
        .await
        .with_context(|| format!("deleting preview environment {}", environment.name))
}

/// Reads the project the files name (the preview file's, else the only one).
async fn read_project(session: &Session, settings: &ProjectSettings) -> anyhow::Result<LiveProject> {
    let model = crate::config::load(&settings.paths).map_err(|diagnostics| {
        let first = diagnostics.0.first().map(|d| d.message.clone()).unwrap_or_default();
        anyhow::anyhow!("the files do not validate (run `railform validate`): {first}")
    })?;
    let project = the_project(&model)?;
    let selector = selector(project)?;
    state::read(&session.client, &selector)
        .await
        .with_context(|| format!("reading project {project} from Railway"))?
        .ok_or_else(|| anyhow::anyhow!("project {project} does not exist in Railway (or the token cannot see it)"))
}

fn the_project(model: &Model) -> anyhow::Result<&ProjectRef> {
    if let Some(preview) = model.previews.first() {
        return Ok(&preview.project);
    }
    let projects = model.projects();
    match projects.as_slice() {
        [(project, _)] => Ok(project),
        _ => anyhow::bail!(
            "the files name {} projects and no preview file: pass the preview file (or one project's files) as PATH",
            projects.len()
        ),
    }
}

/// The ephemeral environments of `live`, oldest first.
fn previews_of(live: &LiveProject) -> Vec<Preview> {
    let mut previews: Vec<Preview> =
        live.environments.iter().filter(|e| e.ephemeral.is_some()).map(|e| describe(live, e)).collect();
    previews.sort_by(|a, b| (&a.created_at, &a.name).cmp(&(&b.created_at, &b.name)));
    previews
}

/// A preview as the commands show it: age, source and each service's URLs.
fn describe(live: &LiveProject, environment: &LiveEnvironment) -> Preview {
    let created_at = environment.ephemeral.as_ref().map(|e| e.created_at.clone()).unwrap_or_default();
    let age_seconds = crate::clock::parse_timestamp_ms(&created_at)
        .map(|created| crate::clock::wall_ms().saturating_sub(created) / 1000);
    let mut services: Vec<ServiceUrls> = environment
        .instances
        .iter()
        .map(|(id, instance)| ServiceUrls {
            service: live.service(id).map_or_else(|| id.clone(), |s| s.name.clone()),
            urls: instance.domains().into_iter().map(|domain| format!("https://{domain}")).collect(),
        })
        .collect();
    services.sort_by(|a, b| a.service.cmp(&b.service));
    Preview {
        project: live.name.clone(),
        name: environment.name.clone(),
        id: environment.id.clone(),
        created_at,
        age_seconds,
        source: environment.ephemeral.as_ref().and_then(|e| e.source.clone()),
        services,
    }
}
