//! Carrying out a plan: every change in plan order with Railway's own mutations, variable
//! writes of one service instance batched into one `variableCollectionUpsert` with
//! `skipDeploys: true`, then one deploy per changed instance. Progress goes through the
//! [`Progress`] trait; this module never prints.
//!
//! A create that may or may not have reached Railway ([`ApiError::Ambiguous`]) is never sent
//! again blindly: the project is re-read, and an object with that name is taken as created.
//!
//! [`lock`] keeps two applies in one working directory from running at once.

pub mod lock;
pub mod values;
pub mod verify;

use std::collections::BTreeMap;

use anyhow::{anyhow, Context};
use futures::StreamExt;

use crate::plan::{About, Action, Change, Id, Operation, Plan, Summary, WireValue};
use crate::railway::operations::service_instance_update::{ServiceInstanceUpdateInput, ServiceSourceInput};
use crate::railway::{ApiError, Client, NewEnvironment, NewService, NewVolume, VariableWrite};
use crate::state::{self, LiveProject, ProjectSelector};
use values::ValueSources;

/// Choices the user made on the command line.
#[derive(Debug, Clone, Copy)]
pub struct ApplyOptions {
    /// Deploy each changed instance once at the end (`--no-deploy` turns it off).
    pub deploy: bool,
}

/// Receives what apply is doing, for a progress display.
pub trait Progress {
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
}

impl Applied {
    fn record<'c>(&mut self, changes: impl IntoIterator<Item = &'c &'c Change>) {
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
    let mut executor = Executor { client, values, ids: BTreeMap::new(), applied: Applied::default() };
    let changes: Vec<&Change> =
        plan.changes.iter().filter(|change| options.deploy || change.action != Action::Deploy).collect();
    let total = changes.len();
    // Deploys come last and are independent of each other: they are sent a few at a time.
    let first_deploy = changes.iter().position(|c| c.action == Action::Deploy).unwrap_or(total);
    // Variable writes of one instance (or one environment's shared variables) go together.
    let mut batches: Vec<&[&Change]> = Vec::new();
    let mut index = 0;
    while index < first_deploy {
        let batch_end = (index + 1..first_deploy)
            .find(|&next| !same_variable_target(&changes[index].operation, &changes[next].operation))
            .unwrap_or(first_deploy);
        batches.push(&changes[index..batch_end]);
        index = batch_end;
    }
    let mut done = 0;
    let mut next = 0;
    while next < batches.len() {
        // Upserts to different instances are independent (nothing deploys before the end):
        // a run of them is sent a few at a time. Everything else goes one by one, in order.
        let run_end = (next..batches.len()).find(|&i| !is_upsert(batches[i])).unwrap_or(batches.len());
        let result = if run_end > next {
            executor.upserts(&batches[next..run_end], &mut done, total, progress).await
        } else {
            progress.step(done, total, batches[next][0]);
            let batch = batches[next];
            done += batch.len();
            match executor.run(batch).await {
                Ok(()) => {
                    executor.applied.record(batch);
                    Ok(())
                }
                Err(error) => Err(error.context(format!("applying {}", batch[0].address))),
            }
        };
        if let Err(error) = result {
            return Err(Interrupted { applied: executor.applied, error });
        }
        next = run_end.max(next + 1);
    }
    if let Err(error) = executor.deploy(&changes[first_deploy..], first_deploy, total, progress).await {
        return Err(Interrupted { applied: executor.applied, error });
    }
    progress.finished(total);
    Ok(executor.applied)
}

/// How many independent writes (variable upserts to different instances, deploys) are in flight
/// at once: a few, to stay within Railway's per-second limits.
const WRITES_IN_FLIGHT: usize = 4;

fn is_upsert(batch: &[&Change]) -> bool {
    batch.first().is_some_and(|change| matches!(change.operation, Operation::UpsertVariables { .. }))
}

/// True when both write variables of the same service (or shared variables) of the same
/// environment in the same way (both upserts, or both deletes), so they travel in one request.
fn same_variable_target(first: &Operation, second: &Operation) -> bool {
    match (first, second) {
        (
            Operation::UpsertVariables { project: p1, environment: e1, service: s1, .. },
            Operation::UpsertVariables { project: p2, environment: e2, service: s2, .. },
        )
        | (
            Operation::DeleteVariable { project: p1, environment: e1, service: s1, .. },
            Operation::DeleteVariable { project: p2, environment: e2, service: s2, .. },
        ) => p1 == p2 && e1 == e2 && s1 == s2,
        _ => false,
    }
}

struct Executor<'a> {
    client: &'a Client,
    values: &'a ValueSources<'a>,
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

    /// Sends the deploys (`index` of `total` is the first one's place), [`WRITES_IN_FLIGHT`] at
    /// a time. Every deploy is tried; the first failure is returned after the others finished.
    async fn deploy(
        &mut self,
        deploys: &[&Change],
        index: usize,
        total: usize,
        progress: &dyn Progress,
    ) -> anyhow::Result<()> {
        let mut targets = Vec::with_capacity(deploys.len());
        for change in deploys {
            let Operation::Deploy { service, environment } = &change.operation else {
                anyhow::bail!("{} is not a deploy", change.address);
            };
            targets.push((*change, self.id(environment)?, self.id(service)?));
        }
        let client = self.client;
        let mut sent = futures::stream::iter(targets)
            .map(|(change, environment, service)| async move {
                let result = client.deploy_service_instance(&environment, &service).await;
                (change, result)
            })
            .buffer_unordered(WRITES_IN_FLIGHT);
        let mut first_error = None;
        let mut done = index;
        while let Some((change, result)) = sent.next().await {
            progress.step(done, total, change);
            done += 1;
            match result {
                Ok(_) => {
                    self.applied.record([&change]);
                }
                Err(error) => {
                    if first_error.is_none() {
                        first_error = Some(anyhow::Error::new(error).context(format!("deploying {}", change.address)));
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// One `variableCollectionUpsert` with every variable of `batch` (one instance, or one
    /// environment's shared variables), always with `skipDeploys`.
    async fn upsert(&self, batch: &[&Change]) -> anyhow::Result<()> {
        let Some(Change { operation: Operation::UpsertVariables { project, environment, service, .. }, .. }) =
            batch.first().copied()
        else {
            anyhow::bail!("not a variable write");
        };
        let (project_id, environment_id) = (self.id(project)?, self.id(environment)?);
        let service_id = service.as_ref().map(|s| self.id(s)).transpose()?;
        let writes: Vec<(&Change, &String, &WireValue)> = batch
            .iter()
            .flat_map(|change| match &change.operation {
                Operation::UpsertVariables { variables, .. } => {
                    variables.iter().map(|(name, wire)| (*change, name, wire)).collect()
                }
                _ => Vec::new(),
            })
            .collect();
        // Rewrites of values the files do not hold need the live values (one read).
        let live = if writes.iter().any(|(_, _, wire)| matches!(wire, WireValue::Rewrite { .. })) {
            self.client.variables(&project_id, &environment_id, service_id.as_deref(), true).await?
        } else {
            Default::default()
        };
        let mut variables = BTreeMap::new();
        for (change, name, wire) in writes {
            let current = live.get(name).and_then(Option::as_deref);
            let value = self.values.resolve(name, wire, current).with_context(|| change.address.clone())?;
            if let Some(value) = value {
                variables.insert(name.clone(), value.expose().to_string());
            }
        }
        if variables.is_empty() {
            return Ok(());
        }
        let write =
            VariableWrite { project_id, environment_id, service_id, variables, replace: false, skip_deploys: true };
        self.client.upsert_variables(&write).await?;
        Ok(())
    }

    /// Sends several upsert batches, each to its own instance, a few at a time. Every batch is
    /// tried; the first failure is returned after the others finished.
    async fn upserts(
        &mut self,
        batches: &[&[&Change]],
        done: &mut usize,
        total: usize,
        progress: &dyn Progress,
    ) -> anyhow::Result<()> {
        let this = &*self;
        let results: Vec<(&[&Change], anyhow::Result<()>)> = futures::stream::iter(batches.iter().copied())
            .map(|batch| async move { (batch, this.upsert(batch).await) })
            .buffer_unordered(WRITES_IN_FLIGHT)
            .collect()
            .await;
        let mut first_error = None;
        for (batch, result) in results {
            progress.step(*done, total, batch[0]);
            *done += batch.len();
            match result {
                Ok(()) => self.applied.record(batch),
                Err(error) => {
                    if first_error.is_none() {
                        first_error = Some(error.context(format!("applying {}", batch[0].address)));
                    }
                }
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Runs one change, or one batch of variable deletes to the same target.
    async fn run(&mut self, batch: &[&Change]) -> anyhow::Result<()> {
        let Some(first) = batch.first() else { return Ok(()) };
        match &first.operation {
            Operation::DeleteVariable { project, environment, service, .. } => {
                let names: Vec<&str> = batch
                    .iter()
                    .filter_map(|change| match &change.operation {
                        Operation::DeleteVariable { name, .. } => Some(name.as_str()),
                        _ => None,
                    })
                    .collect();
                let service_id = service.as_ref().map(|s| self.id(s)).transpose()?;
                self.delete_variables(&self.id(project)?, &self.id(environment)?, service_id.as_deref(), &names)
                    .await?;
            }
            operation => self.run_one(operation).await?,
        }
        Ok(())
    }

    /// Deletes variables without deploying: `variableDelete` has no `skipDeploys` and would
    /// deploy at once, so the variables to keep are re-read and written back with
    /// `replace: true, skipDeploys: true`. A sealed value cannot be written back; when one is
    /// kept, each variable is deleted with `variableDelete` instead (and that deploys).
    async fn delete_variables(
        &self,
        project_id: &str,
        environment_id: &str,
        service_id: Option<&str>,
        names: &[&str],
    ) -> anyhow::Result<()> {
        let live = self.client.variables(project_id, environment_id, service_id, true).await?;
        let kept: Option<BTreeMap<String, String>> = live
            .into_iter()
            .filter(|(name, _)| !names.contains(&name.as_str()))
            .map(|(name, value)| value.map(|value| (name, value)))
            .collect();
        match kept {
            Some(variables) => {
                let write = VariableWrite {
                    project_id: project_id.to_string(),
                    environment_id: environment_id.to_string(),
                    service_id: service_id.map(str::to_string),
                    variables,
                    replace: true,
                    skip_deploys: true,
                };
                self.client.upsert_variables(&write).await?;
            }
            None => {
                for name in names {
                    self.client.delete_variable(project_id, environment_id, service_id, name).await?;
                }
            }
        }
        Ok(())
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
            Operation::UpdateSource { service, environment, image, repo } => {
                let input = ServiceInstanceUpdateInput {
                    source: Some(ServiceSourceInput { image: image.clone(), repo: repo.clone() }),
                    ..ServiceInstanceUpdateInput::default()
                };
                client.update_service_instance(&self.id(service)?, &self.id(environment)?, input).await?;
            }
            Operation::CreateVolume { project, service, environment, mount } => {
                let new = NewVolume {
                    project_id: self.id(project)?,
                    service_id: self.id(service)?,
                    mount_path: mount.clone(),
                    environment_id: Some(self.id(environment)?),
                };
                let environment_id = new.environment_id.clone().unwrap_or_default();
                create_or_find(
                    client,
                    client.create_volume(&new),
                    &ProjectSelector::Id(new.project_id.clone()),
                    |_| (),
                    |project| {
                        let mounted = project
                            .environment(&environment_id)
                            .and_then(|e| e.instance(&new.service_id))
                            .is_some_and(|i| i.volume_mounts.iter().any(|m| m.mount_path == *mount));
                        mounted.then_some(())
                    },
                    &format!("the volume at {mount}"),
                )
                .await?;
            }
            Operation::RenameService { service, name } => client.rename_service(&self.id(service)?, name).await?,
            Operation::DeleteService { service } => client.delete_service(&self.id(service)?).await?,
            Operation::UpsertVariables { .. } | Operation::DeleteVariable { .. } | Operation::Deploy { .. } => {
                anyhow::bail!("variable writes and deploys go through their batched paths")
            }
        }
        Ok(())
    }
}

/// Sends a create. When its answer was lost ([`ApiError::Ambiguous`]: it may or may not have
/// happened), the project is re-read and `find` looks for what it would have made; a create is
/// never sent twice. `what` names the object in errors.
async fn create_or_find<C, T>(
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
