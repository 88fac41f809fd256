//! Carrying out a plan: the project-wide changes in plan order with Railway's own mutations
//! (project, environment and service creates, renames), then each environment's changes as one
//! staged patch and one commit with `skipDeploys` ([`patch`]), service deletes, and one deploy
//! per changed instance. Progress goes through the [`Progress`] trait; this module never prints.
//!
//! A create that may or may not have reached Railway ([`ApiError::Ambiguous`]) is never sent
//! again blindly: the project is re-read, and an object with that name is taken as created.
//!
//! [`lock`] keeps two applies in one working directory from running at once.

pub mod lock;
pub mod patch;
pub mod rollout;
pub mod values;
pub mod verify;

use std::collections::BTreeMap;

use anyhow::{anyhow, Context};
use futures::StreamExt;

use crate::plan::{About, Action, Change, Id, Operation, PatchEntry, Plan, Summary};
use crate::railway::operations::service_instance_update::ServiceInstanceUpdateInput;
use crate::railway::{ApiError, Client, NewEnvironment, NewService, NewVolume};
use crate::state::{self, LiveProject, ProjectSelector};
use values::ValueSources;

/// Choices the user made on the command line.
#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// Deploy each changed instance once at the end (`--no-deploy` turns it off).
    pub deploy: bool,
    /// Follow the deployments (`--wait`, `--timeout`, `--rollback-on-failure`).
    pub waiting: rollout::Waiting,
}

/// Receives what apply is doing, for a progress display.
pub trait Progress: rollout::RolloutProgress {
    /// Apply is about to send `change` (the `index`-th of `total`).
    fn step(&self, index: usize, total: usize, change: &Change);
    /// Every change was sent.
    fn finished(&self, total: usize);
}

/// What an apply did, also when it stopped part-way.
#[derive(Debug, Clone, Default)]
pub struct Applied {
    /// The changes carried out (deploys started included), in order.
    pub done: Vec<About>,
    /// Every deployment the rollout started, with how it ended.
    pub deployments: Vec<rollout::Deployed>,
    /// Declared custom domains still waiting for their DNS records once the apply is verified.
    pub dns: Vec<crate::plan::dns::WaitingDomain>,
}

impl Applied {
    pub(crate) fn record<'c>(&mut self, changes: impl IntoIterator<Item = &'c &'c Change>) {
        self.done.extend(changes.into_iter().map(|change| change.about.clone()));
    }

    /// Counted as a plan's summary counts them.
    pub fn summary(&self) -> Summary {
        let count = |actions: &[Action]| self.done.iter().filter(|c| actions.contains(&c.action)).count();
        Summary {
            add: count(&[Action::Create]),
            change: count(&[Action::Update, Action::Rewrite]),
            destroy: count(&[Action::Delete]),
            rename: count(&[Action::Rename]),
            deploy: count(&[Action::Deploy]),
            unmanaged: 0,
        }
    }
}

/// An apply that stopped: what it had done, and why it stopped.
#[derive(Debug)]
pub struct Interrupted {
    pub applied: Applied,
    pub error: anyhow::Error,
}

/// Carries out `plan`. On failure, returns what had been done so far: rerunning `apply` plans
/// only what is left, so it converges.
pub async fn execute(
    plan: &Plan,
    client: &Client,
    values: &ValueSources<'_>,
    options: ApplyOptions,
    progress: &dyn Progress,
) -> Result<Applied, Interrupted> {
    let mut executor =
        Executor { client, values, waiting: options.waiting, ids: BTreeMap::new(), applied: Applied::default() };
    let changes: Vec<&Change> =
        plan.changes.iter().filter(|change| options.deploy || change.action != Action::Deploy).collect();
    let total = changes.len();
    let is_patch = |change: &&Change| matches!(change.operation, Operation::Patch { .. });
    let is_deploy = |change: &&Change| matches!(change.operation, Operation::Deploy { .. });
    // Changes are sorted by phase: direct changes, the patches, direct deletes, deploys.
    let first_deploy = changes.iter().position(is_deploy).unwrap_or(total);
    let first_patch = changes[..first_deploy].iter().position(is_patch).unwrap_or(first_deploy);
    let after_patches =
        changes[first_patch..first_deploy].iter().position(|c| !is_patch(c)).map_or(first_deploy, |i| first_patch + i);
    let mut done = 0;
    if let Err(error) = executor.check_staged(plan, &changes[first_patch..after_patches]).await {
        return Err(Interrupted { applied: executor.applied, error });
    }
    let steps = [
        Step::Direct(&changes[..first_patch]),
        Step::Patches(&changes[first_patch..after_patches]),
        Step::Direct(&changes[after_patches..first_deploy]),
        Step::Deploys(&changes[first_deploy..]),
    ];
    for step in steps {
        let result = match step {
            Step::Direct(direct) => executor.direct(direct, &mut done, total, progress).await,
            Step::Patches(patches) => executor.patches(patches, &mut done, total, progress).await,
            Step::Deploys(deploys) => executor.deploy(deploys, done, total, progress).await,
        };
        if let Err(error) = result {
            return Err(Interrupted { applied: executor.applied, error });
        }
    }
    progress.finished(total);
    Ok(executor.applied)
}

/// A run of changes carried out the same way.
enum Step<'c> {
    /// One by one, in order.
    Direct(&'c [&'c Change]),
    /// One patch per environment, environments a few at a time.
    Patches(&'c [&'c Change]),
    /// A few at a time.
    Deploys(&'c [&'c Change]),
}

/// How many independent writes (patches of different environments, deploys) are in flight at
/// once: a few, to stay within Railway's per-second limits.
const WRITES_IN_FLIGHT: usize = 4;

struct Executor<'a> {
    client: &'a Client,
    values: &'a ValueSources<'a>,
    waiting: rollout::Waiting,
    /// Ids of what this apply created, by the plan's keys.
    ids: BTreeMap<String, String>,
    applied: Applied,
}

impl Executor<'_> {
    fn id(&self, id: &Id) -> anyhow::Result<String> {
        match id {
            Id::Live(id) => Ok(id.clone()),
            Id::New(key) => self
                .ids
                .get(key)
                .cloned()
                .ok_or_else(|| anyhow!("{key} should have been created earlier in this apply")),
        }
    }

    /// The rollout (see [`rollout`]): deploys in dependency order, followed with `--wait`.
    /// A deploy Railway did not accept, or a deployment that failed, is an error naming
    /// environment, service, status and deployment id, once every other deploy has ended.
    async fn deploy(
        &mut self,
        deploys: &[&Change],
        index: usize,
        total: usize,
        progress: &dyn Progress,
    ) -> anyhow::Result<()> {
        if deploys.is_empty() {
            return Ok(());
        }
        progress.step(index, total, deploys[0]);
        let ids = |id: &Id| self.id(id);
        let deployed = rollout::run(self.client, deploys, &ids, self.waiting, progress).await?;
        let failed: Vec<String> = deployed
            .iter()
            .filter(|d| d.failed())
            .map(|d| {
                let id = d.deployment_id.as_deref().map_or(String::new(), |id| format!(" (deployment {id})"));
                let back = d.rolled_back_to.as_deref().map_or(String::new(), |id| format!(", rolled back to {id}"));
                format!("environment {}, service {}: {}{id}{back}", d.environment, d.service, d.status)
            })
            .collect();
        for change in deploys {
            if deployed.iter().any(|d| d.address == change.address && !d.failed()) {
                self.applied.record([change]);
            }
        }
        self.applied.deployments = deployed;
        if failed.is_empty() {
            Ok(())
        } else {
            Err(anyhow::anyhow!("{} deployment(s) did not succeed:\n  {}", failed.len(), failed.join("\n  ")))
        }
    }

    /// Changes that go one by one, in plan order.
    async fn direct(
        &mut self,
        changes: &[&Change],
        done: &mut usize,
        total: usize,
        progress: &dyn Progress,
    ) -> anyhow::Result<()> {
        for change in changes {
            progress.step(*done, total, change);
            *done += 1;
            self.run_one(&change.operation).await.with_context(|| format!("applying {}", change.address))?;
            self.applied.record([change]);
        }
        Ok(())
    }

    /// Every environment's patch: built, staged and committed, a few environments at a time.
    /// Every environment is tried; the first failure is returned after the others finished.
    async fn patches(
        &mut self,
        changes: &[&Change],
        done: &mut usize,
        total: usize,
        progress: &dyn Progress,
    ) -> anyhow::Result<()> {
        let mut environments: Vec<(String, Vec<&Change>)> = Vec::new();
        for change in changes {
            let Operation::Patch { environment, .. } = &change.operation else { continue };
            let id = self.id(environment)?;
            match environments.iter_mut().find(|(known, _)| *known == id) {
                Some((_, list)) => list.push(change),
                None => environments.push((id, vec![change])),
            }
        }
        let this = &*self;
        let results: Vec<(&Vec<&Change>, anyhow::Result<()>)> = futures::stream::iter(environments.iter())
            .map(|(environment_id, changes)| async move { (changes, this.patch(environment_id, changes).await) })
            .buffer_unordered(WRITES_IN_FLIGHT)
            .collect()
            .await;
        let mut first_error = None;
        for (changes, result) in results {
            progress.step(*done, total, changes[0]);
            *done += changes.len();
            match result {
                Ok(()) => self.applied.record(changes.iter()),
                Err(error) => {
                    if first_error.is_none() {
                        let environment = changes[0].environment.clone().unwrap_or_default();
                        first_error = Some(error.context(format!("applying the changes of environment {environment}")));
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Before anything is written: every environment the plan saw holding staged changes is
    /// read, and what is staged must all be part of what this apply writes there. Changes to
    /// objects this apply creates are left out of the comparison (nothing can be staged for them).
    async fn check_staged(&self, plan: &Plan, changes: &[&Change]) -> anyhow::Result<()> {
        for environment in plan.fingerprint.projects.iter().flat_map(|p| &p.environments) {
            if environment.unmerged_changes == 0 {
                continue;
            }
            let ours: Vec<&Change> = changes
                .iter()
                .copied()
                .filter(|c| {
                    matches!(&c.operation, Operation::Patch { environment: Id::Live(id), service, entry }
                    if *id == environment.id && !matches!(service, Some(Id::New(_)))
                        && !matches!(entry, PatchEntry::VolumeBackups { volume: Id::New(_), .. }))
                })
                .collect();
            if ours.is_empty() {
                continue;
            }
            let live_config = if ours.iter().any(|c| patch::needs_live_values(c)) {
                Some(self.client.environment_config(&environment.id).await?)
            } else {
                None
            };
            let ids = |id: &Id| self.id(id);
            let provisional = patch::build(&environment.id, &ours, &ids, self.values, live_config.as_ref())?;
            patch::check_staged(self.client, &provisional, &environment.name).await?;
        }
        Ok(())
    }

    /// One environment's patch: the live config is read first only when a value must be
    /// rewritten; then one stage and one commit.
    async fn patch(&self, environment_id: &str, changes: &[&Change]) -> anyhow::Result<()> {
        let live_config = if changes.iter().any(|c| patch::needs_live_values(c)) {
            Some(self.client.environment_config(environment_id).await?)
        } else {
            None
        };
        let ids = |id: &Id| self.id(id);
        let built = patch::build(environment_id, changes, &ids, self.values, live_config.as_ref())?;
        if built.is_empty() {
            return Ok(());
        }
        let message = format!("railform apply: {} change(s)", changes.len());
        patch::commit(self.client, &built, &message).await
    }

    async fn run_one(&mut self, operation: &Operation) -> anyhow::Result<()> {
        let client = self.client;
        match operation {
            Operation::CreateProject { key, name } => {
                let (id, environments) = create_or_find(
                    client,
                    client.create_project(name, None),
                    &ProjectSelector::Name(name.clone()),
                    |created| (created.id, created.environments),
                    |project| {
                        let environments = project
                            .environments
                            .iter()
                            .map(|e| crate::railway::IdName { id: e.id.clone(), name: e.name.clone() })
                            .collect();
                        Some((project.id.clone(), environments))
                    },
                    &format!("project {name}"),
                )
                .await?;
                if let Some(production) = environments.iter().find(|e| e.name == "production").or(environments.first())
                {
                    self.ids.insert(format!("{key}/production"), production.id.clone());
                }
                self.ids.insert(key.clone(), id);
            }
            Operation::CreateEnvironment { key, project, name } => {
                let project_id = self.id(project)?;
                let new = NewEnvironment {
                    project_id: project_id.clone(),
                    name: name.clone(),
                    source_environment_id: None,
                    skip_initial_deploys: true,
                    ephemeral: false,
                };
                let id = create_or_find(
                    client,
                    client.create_environment(&new),
                    &ProjectSelector::Id(project_id),
                    |created| created.id,
                    |project| project.environment_by_name(name).map(|e| e.id.clone()),
                    &format!("environment {name}"),
                )
                .await?;
                self.ids.insert(key.clone(), id);
            }
            Operation::RenameEnvironment { environment, name } => {
                client.rename_environment(&self.id(environment)?, name).await?;
            }
            Operation::CreateService { key, project, name, environments } => {
                let project_id = self.id(project)?;
                // Only some environments: create it in the first, then add it to the others.
                let listed: Vec<String> =
                    environments.iter().flatten().map(|e| self.id(e)).collect::<Result<_, _>>()?;
                let environment_id = listed.first().cloned();
                let new = NewService {
                    project_id: project_id.clone(),
                    name: name.clone(),
                    source: None,
                    environment_id,
                    variables: BTreeMap::new(),
                };
                let id = create_or_find(
                    client,
                    client.create_service(&new),
                    &ProjectSelector::Id(project_id),
                    |created| created.id,
                    |project| project.service_by_name(name).map(|s| s.id.clone()),
                    &format!("service {name}"),
                )
                .await?;
                for environment_id in listed.iter().skip(1) {
                    client.update_service_instance(&id, environment_id, ServiceInstanceUpdateInput::default()).await?;
                }
                self.ids.insert(key.clone(), id);
            }
            Operation::CreateInstance { service, environment } => {
                client
                    .update_service_instance(
                        &self.id(service)?,
                        &self.id(environment)?,
                        ServiceInstanceUpdateInput::default(),
                    )
                    .await?;
            }
            Operation::CreateVolume { key, project, service, environment, mount } => {
                let new = NewVolume {
                    project_id: self.id(project)?,
                    service_id: self.id(service)?,
                    mount_path: mount.clone(),
                    environment_id: Some(self.id(environment)?),
                };
                let environment_id = new.environment_id.clone().unwrap_or_default();
                let volume_id = create_or_find(
                    client,
                    client.create_volume(&new),
                    &ProjectSelector::Id(new.project_id.clone()),
                    |created| created.id,
                    |project| {
                        let mount = project
                            .environment(&environment_id)
                            .and_then(|e| e.instance(&new.service_id))
                            .and_then(|i| i.volume_mounts.iter().find(|m| m.mount_path == *mount));
                        mount.map(|m| m.volume_id.clone())
                    },
                    &format!("the volume at {mount}"),
                )
                .await?;
                self.ids.insert(key.clone(), volume_id);
            }
            Operation::CreateServiceDomain { service, environment, port } => {
                let (service_id, environment_id) = (self.id(service)?, self.id(environment)?);
                match client.create_service_domain(&environment_id, &service_id, *port).await {
                    Ok(_) => {}
                    Err(lost @ ApiError::Ambiguous { .. }) => {
                        // The answer was lost: the domain exists if the instance has one now.
                        let config = client.environment_config(&environment_id).await?;
                        let domains = config.pointer(&format!("/services/{service_id}/networking/serviceDomains"));
                        if domains.and_then(serde_json::Value::as_object).is_none_or(|d| d.is_empty()) {
                            return Err(anyhow::Error::new(lost).context(
                                "creating the domain: the answer was lost and it does not exist; run apply again",
                            ));
                        }
                    }
                    Err(error) => return Err(error.into()),
                }
            }
            Operation::RenameService { service, name } => client.rename_service(&self.id(service)?, name).await?,
            Operation::DeleteService { service } => client.delete_service(&self.id(service)?).await?,
            Operation::Patch { .. } | Operation::Deploy { .. } => {
                anyhow::bail!("patches and deploys go through their own paths")
            }
        }
        Ok(())
    }
}

/// Sends a create. When its answer was lost ([`ApiError::Ambiguous`]: it may or may not have
/// happened), the project is re-read and `find` looks for what it would have made; a create is
/// never sent twice. `what` names the object in errors.
pub(crate) async fn create_or_find<C, T>(
    client: &Client,
    create: impl std::future::Future<Output = Result<C, ApiError>>,
    project: &ProjectSelector,
    created: impl FnOnce(C) -> T,
    find: impl FnOnce(&LiveProject) -> Option<T>,
    what: &str,
) -> anyhow::Result<T> {
    match create.await {
        Ok(answer) => Ok(created(answer)),
        Err(cause @ ApiError::Ambiguous { .. }) => {
            let live = match state::read(client, project).await {
                Ok(Some(live)) => live,
                Ok(None) => {
                    return Err(anyhow::Error::new(cause).context(format!(
                        "creating {what}: the answer was lost and the project is not there; run apply again"
                    )))
                }
                Err(error) => return Err(anyhow::Error::new(error).context(format!("re-reading after: {cause}"))),
            };
            find(&live).ok_or_else(|| {
                anyhow::Error::new(cause)
                    .context(format!("creating {what}: the answer was lost and it does not exist; run apply again"))
            })
        }
        Err(error) => Err(error.into()),
    }
}
