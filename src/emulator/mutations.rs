//! What each direct mutation does to the [`State`], with Railway's behaviour: a new project gets
//! a `production` environment, a service created without an environment gets an instance in
//! every environment, a rename keeps ids, volumes and variables (and rewrites references under
//! [`RenamePolicy::Rewrite`]), `null` clears while an absent field leaves alone, a variable
//! write without `skipDeploys` deploys the instances it touches (deployments themselves are in
//! [`super::deployments`]). Patches are in [`super::patch`].
//!
//! Every function runs inside [`Store::write`](super::store::Store::write) on a draft copy, so a
//! refusal part-way changes nothing.

use std::collections::BTreeMap;

use async_graphql::MaybeUndefined;

use super::config::{DeployConfig, InstanceConfig, SourceConfig};
use super::schema::{
    EnvironmentCreateInput, ProjectCreateInput, ServiceCreateInput, ServiceInstanceUpdateInput, ServiceSourceInput,
    ServiceUpdateInput, VariableCollectionUpsertInput, VariableDeleteInput, VariableUpsertInput, VolumeCreateInput,
};
use super::store::{
    new_id, now, Environment, Instance, Project, Refusal, Service, State, Variable, Volume, VolumeInstance,
};
use super::types::{EnvironmentVariables, WORKSPACE_ID};
use super::RenamePolicy;
use crate::refs;

const DEFAULT_ENVIRONMENT: &str = "production";
const DEFAULT_BRANCH: &str = "main";

impl State {
    pub fn create_project(&mut self, input: ProjectCreateInput) -> Result<Project, Refusal> {
        if input.workspace_id.as_deref().is_some_and(|id| id != WORKSPACE_ID) {
            return Err(Refusal::new("Not Authorized"));
        }
        let name = match input.name {
            Some(name) => non_blank(name, "Project name")?,
            None => format!("project-{}", &new_id()[..8]),
        };
        let stamp = now();
        let project = Project {
            id: new_id(),
            name,
            description: input.description,
            created_at: stamp.clone(),
            updated_at: Some(stamp),
        };
        let environment_name = input.default_environment_name.unwrap_or_else(|| DEFAULT_ENVIRONMENT.to_string());
        self.projects.push(project.clone());
        self.add_environment(&project.id, environment_name)?;
        Ok(project)
    }

    fn add_environment(&mut self, project_id: &str, name: String) -> Result<Environment, Refusal> {
        let name = non_blank(name, "Environment name")?;
        if self.environments_of(project_id).any(|e| e.name == name) {
            return Err(Refusal::new(format!("Environment {name} already exists")));
        }
        let stamp = now();
        let environment = Environment {
            id: new_id(),
            project_id: project_id.to_string(),
            name,
            created_at: stamp.clone(),
            updated_at: Some(stamp),
            shared_variables: BTreeMap::new(),
            is_ephemeral: false,
            source_environment_id: None,
            private_network_disabled: None,
        };
        self.environments.push(environment.clone());
        self.touch_project(project_id);
        Ok(environment)
    }

    /// Creates an environment (`ephemeral` for a preview); with `sourceEnvironmentId` it copies
    /// that environment's service instances, variables (sealed ones excepted, as Railway does),
    /// shared variables and volume mounts, and deploys the copies that have a source unless
    /// `skipInitialDeploys`. Domains and TCP proxies are not copied (they are unique).
    /// `stageInitialChanges: true` stages the copy instead of committing it.
    pub fn create_environment(&mut self, input: EnvironmentCreateInput) -> Result<Environment, Refusal> {
        self.project(&input.project_id)?;
        let source = match &input.source_environment_id {
            Some(id) => Some(self.environment_of(&input.project_id, id)?.clone()),
            None => None,
        };
        let mut environment = self.add_environment(&input.project_id, input.name)?;
        {
            let stored = self.environment_mut(&environment.id)?;
            stored.is_ephemeral = input.ephemeral.unwrap_or(false);
            stored.source_environment_id = source.as_ref().map(|source| source.id.clone());
            environment = stored.clone();
        }
        let Some(source) = source else { return Ok(environment) };
        if input.stage_initial_changes.unwrap_or(false) {
            let copy = super::config::config_json(self, &source.id, true)?;
            self.stage_changes(&environment.id, super::patch::as_created(copy), false)?;
            return Ok(environment);
        }
        let unsealed = |variables: &BTreeMap<String, Variable>| {
            variables.iter().filter(|(_, v)| !v.sealed).map(|(k, v)| (k.clone(), v.clone())).collect()
        };
        let copies: Vec<Instance> = self
            .instances_in(&source.id)
            .map(|instance| {
                let mut copy = instance.copy_to(&environment.id);
                copy.variables = unsealed(&instance.variables);
                copy
            })
            .collect();
        let mounts: Vec<VolumeInstance> = self
            .volume_instances_in(&source.id)
            .map(|mount| VolumeInstance {
                id: new_id(),
                environment_id: environment.id.clone(),
                created_at: Some(now()),
                ..mount.clone()
            })
            .collect();
        let shared = unsealed(&source.shared_variables);
        self.environment_mut(&environment.id)?.shared_variables = shared;
        self.instances.extend(copies.iter().cloned());
        self.volume_instances.extend(mounts);
        if !input.skip_initial_deploys.unwrap_or(false) {
            for copy in copies.iter().filter(|copy| copy.config.source.is_some()) {
                self.deploy(&environment.id, &copy.service_id, "deploy")?;
            }
        }
        self.environment(&environment.id).cloned()
    }

    pub fn rename_environment(&mut self, id: &str, name: String) -> Result<Environment, Refusal> {
        let name = non_blank(name, "Environment name")?;
        let project_id = self.environment(id)?.project_id.clone();
        if self.environments_of(&project_id).any(|e| e.name == name && e.id != id) {
            return Err(Refusal::new(format!("Environment {name} already exists")));
        }
        let environment = self.environment_mut(id)?;
        environment.name = name;
        let environment = environment.clone();
        self.touch_environment(id);
        Ok(environment)
    }

    /// Deletes an environment with everything in it: its service instances (and their
    /// variables), shared variables, volume instances (and volumes left with none), domains, TCP
    /// proxies and staged changes; its deployments stay on record. The only environment of a
    /// project is refused (a project always has one; Railway's behaviour here is not documented).
    pub fn delete_environment(&mut self, id: &str) -> Result<bool, Refusal> {
        let project_id = self.environment(id)?.project_id.clone();
        if self.environments_of(&project_id).count() == 1 {
            return Err(Refusal::new("Cannot delete the only environment of a project"));
        }
        self.environments.retain(|e| e.id != id);
        self.instances.retain(|i| i.environment_id != id);
        self.volume_instances.retain(|v| v.environment_id != id);
        self.service_domains.retain(|d| d.environment_id != id);
        self.custom_domains.retain(|d| d.environment_id != id);
        self.tcp_proxies.retain(|p| p.environment_id != id);
        self.staged.retain(|p| p.environment_id != id);
        self.drop_unmounted_volumes();
        self.touch_project(&project_id);
        Ok(true)
    }

    /// Volumes live as long as one of their instances does.
    pub fn drop_unmounted_volumes(&mut self) {
        let mounted: Vec<String> = self.volume_instances.iter().map(|v| v.volume_id.clone()).collect();
        self.volumes.retain(|v| mounted.contains(&v.id));
    }

    /// Creates a service with an instance in `environmentId`, or in every environment of the
    /// project without it. A new instance with a source is deployed.
    pub fn create_service(&mut self, input: ServiceCreateInput) -> Result<Service, Refusal> {
        self.project(&input.project_id)?;
        let environment_ids: Vec<String> = match &input.environment_id {
            Some(id) => vec![self.environment_of(&input.project_id, id)?.id.clone()],
            None => self.environments_of(&input.project_id).map(|e| e.id.clone()).collect(),
        };
        let source = match input.source {
            Some(source) => Some(source_from(source, input.branch.clone())?),
            None => None,
        };
        let name = match input.name {
            Some(name) => {
                let name = non_blank(name, "Service name")?;
                if self.services_of(&input.project_id).any(|s| s.name == name) {
                    return Err(Refusal::new(format!("Service {name} already exists in this project")));
                }
                name
            }
            None => self.unused_service_name(&input.project_id, default_service_name(source.as_ref())),
        };
        let variables = variables_from(input.variables.unwrap_or_default())?;
        let service = Service { id: new_id(), project_id: input.project_id, name, icon: input.icon, created_at: now() };
        self.services.push(service.clone());
        for environment_id in &environment_ids {
            let config = InstanceConfig { source: source.clone(), ..InstanceConfig::default() };
            let mut instance = Instance::new(&service.id, environment_id, config);
            instance.variables = variables.clone();
            self.instances.push(instance);
        }
        if source.is_some() {
            for environment_id in &environment_ids {
                self.deploy(environment_id, &service.id, "deploy")?;
            }
        }
        self.touch_project(&service.project_id);
        Ok(service)
    }

    /// `base`, or `base-xxxx` when a service of the project already has that name (as Railway
    /// names a second `Postgres` `Postgres-OG9n`).
    pub(super) fn unused_service_name(&self, project_id: &str, base: String) -> String {
        let mut name = base.clone();
        while self.services_of(project_id).any(|s| s.name == name) {
            name = format!("{base}-{}", &new_id()[..4]);
        }
        name
    }

    /// Renames a service (same id, volume, variables) and/or sets its icon. Under
    /// [`RenamePolicy::Rewrite`], every `${{Old.VAR}}` in the project becomes `${{New.VAR}}`.
    pub fn update_service(
        &mut self,
        id: &str,
        input: ServiceUpdateInput,
        policy: RenamePolicy,
    ) -> Result<Service, Refusal> {
        let service = self.service(id)?.clone();
        let new_name = match input.name {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => return Err(Refusal::new("Service name cannot be null")),
            MaybeUndefined::Value(name) => Some(non_blank(name, "Service name")?),
        };
        if let Some(name) = &new_name {
            if self.services_of(&service.project_id).any(|s| s.name == *name && s.id != id) {
                return Err(Refusal::new(format!("Service {name} already exists in this project")));
            }
            if policy == RenamePolicy::Rewrite && *name != service.name {
                self.rewrite_references(&service.project_id, &service.name, name);
            }
        }
        let stored = self.services.iter_mut().find(|s| s.id == id).ok_or_else(|| Refusal::new("Service not found"))?;
        if let Some(name) = new_name {
            stored.name = name;
        }
        input.icon.update_to(&mut stored.icon);
        let stored = stored.clone();
        self.touch_project(&stored.project_id);
        Ok(stored)
    }

    fn rewrite_references(&mut self, project_id: &str, old: &str, new: &str) {
        let environment_ids: Vec<String> = self.environments_of(project_id).map(|e| e.id.clone()).collect();
        let rewrite_all = |variables: &mut BTreeMap<String, Variable>| {
            for variable in variables.values_mut() {
                if let Some(rewritten) = refs::rewrite_service(&variable.value, old, new) {
                    variable.value = rewritten;
                }
            }
        };
        for environment in self.environments.iter_mut().filter(|e| e.project_id == project_id) {
            rewrite_all(&mut environment.shared_variables);
        }
        for instance in self.instances.iter_mut().filter(|i| environment_ids.contains(&i.environment_id)) {
            rewrite_all(&mut instance.variables);
        }
    }

    /// Deletes a service's instance in one environment, or the whole service without one.
    pub fn delete_service(&mut self, id: &str, environment_id: Option<&str>) -> Result<bool, Refusal> {
        let project_id = self.service(id)?.project_id.clone();
        match environment_id {
            Some(environment_id) => {
                self.instance(environment_id, id)?;
                self.remove_instance(environment_id, id);
            }
            None => {
                let environment_ids: Vec<String> =
                    self.instances.iter().filter(|i| i.service_id == id).map(|i| i.environment_id.clone()).collect();
                for environment_id in environment_ids {
                    self.remove_instance(&environment_id, id);
                }
                self.services.retain(|s| s.id != id);
            }
        }
        self.drop_unmounted_volumes();
        self.touch_project(&project_id);
        Ok(true)
    }

    fn variables_mut(
        &mut self,
        project_id: &str,
        environment_id: &str,
        service_id: Option<&str>,
    ) -> Result<&mut BTreeMap<String, Variable>, Refusal> {
        self.environment_of(project_id, environment_id)?;
        match service_id {
            Some(service_id) => Ok(&mut self.instance_mut(environment_id, service_id)?.variables),
            None => Ok(&mut self.environment_mut(environment_id)?.shared_variables),
        }
    }

    /// Deploys what a variable write affected: the service's instance, or every instance of
    /// the environment for a shared variable.
    fn deploy_after_variable_write(&mut self, environment_id: &str, service_id: Option<&str>) -> Result<(), Refusal> {
        let service_ids: Vec<String> = match service_id {
            Some(service_id) => vec![service_id.to_string()],
            None => self.instances_in(environment_id).map(|i| i.service_id.clone()).collect(),
        };
        for service_id in service_ids {
            self.deploy(environment_id, &service_id, "deploy")?;
        }
        self.touch_environment(environment_id);
        Ok(())
    }

    pub fn upsert_variable(&mut self, input: VariableUpsertInput) -> Result<bool, Refusal> {
        let name = variable_name(input.name)?;
        let service_id = input.service_id.as_deref();
        let variables = self.variables_mut(&input.project_id, &input.environment_id, service_id)?;
        set_variable(variables, name, input.value);
        if !input.skip_deploys.unwrap_or(false) {
            self.deploy_after_variable_write(&input.environment_id, service_id)?;
        }
        self.touch_environment(&input.environment_id);
        Ok(true)
    }

    /// Sets many variables at once; with `replace: true` every variable not sent is deleted.
    pub fn upsert_variables(&mut self, input: VariableCollectionUpsertInput) -> Result<bool, Refusal> {
        let sent = variables_from(input.variables)?;
        let service_id = input.service_id.as_deref();
        let variables = self.variables_mut(&input.project_id, &input.environment_id, service_id)?;
        if input.replace.unwrap_or(false) {
            variables.retain(|name, _| sent.contains_key(name));
        }
        for (name, variable) in sent {
            set_variable(variables, name, variable.value);
        }
        if !input.skip_deploys.unwrap_or(false) {
            self.deploy_after_variable_write(&input.environment_id, service_id)?;
        }
        self.touch_environment(&input.environment_id);
        Ok(true)
    }

    pub fn delete_variable(&mut self, input: VariableDeleteInput) -> Result<bool, Refusal> {
        let service_id = input.service_id.as_deref();
        let variables = self.variables_mut(&input.project_id, &input.environment_id, service_id)?;
        if variables.remove(&input.name).is_none() {
            return Err(Refusal::new(format!("Variable {} not found", input.name)));
        }
        self.deploy_after_variable_write(&input.environment_id, service_id)?;
        Ok(true)
    }

    /// Marks a variable sealed: the API never shows its value again; deployments still see it.
    pub fn seal_variable(&mut self, environment_id: &str, service_id: Option<&str>, name: &str) -> Result<(), Refusal> {
        let project_id = self.environment(environment_id)?.project_id.clone();
        let variables = self.variables_mut(&project_id, environment_id, service_id)?;
        let variable = variables.get_mut(name).ok_or_else(|| Refusal::new(format!("Variable {name} not found")))?;
        variable.sealed = true;
        Ok(())
    }

    /// Creates a volume mounted into the service's instance in `environmentId`, or in every
    /// environment where the service has an instance.
    pub fn create_volume(&mut self, input: VolumeCreateInput) -> Result<Volume, Refusal> {
        self.project(&input.project_id)?;
        if !input.mount_path.starts_with('/') {
            return Err(Refusal::new("Mount path must be absolute"));
        }
        let service_id = input.service_id.ok_or_else(|| Refusal::new("A volume needs a serviceId"))?;
        let service = self.service(&service_id)?.clone();
        if service.project_id != input.project_id {
            return Err(Refusal::new("Service not found in project"));
        }
        let environment_ids: Vec<String> = match &input.environment_id {
            Some(id) => vec![self.instance(id, &service_id)?.environment_id.clone()],
            None => {
                self.instances.iter().filter(|i| i.service_id == service_id).map(|i| i.environment_id.clone()).collect()
            }
        };
        if environment_ids.iter().any(|environment_id| self.volume_instance_of(environment_id, &service_id).is_some()) {
            return Err(Refusal::new("Service already has a volume"));
        }
        let volume = Volume {
            id: new_id(),
            project_id: input.project_id,
            name: format!("{}-volume", super::resolve::slug(&service.name)),
            created_at: now(),
        };
        self.volumes.push(volume.clone());
        for environment_id in environment_ids {
            self.volume_instances.push(VolumeInstance {
                id: new_id(),
                volume_id: volume.id.clone(),
                environment_id: environment_id.clone(),
                service_id: service_id.clone(),
                mount_path: input.mount_path.clone(),
                created_at: Some(now()),
                backup_schedules: Vec::new(),
                size_mb: None,
                region: None,
                allow_online_resize: None,
            });
            self.touch_environment(&environment_id);
        }
        Ok(volume)
    }

    /// Changes the settings of the service's instance in `environmentId` (or in every
    /// environment): a `null` field clears, an absent one stays. Does not deploy. Each input
    /// field is the EnvironmentConfig setting of the same name (`startCommand` is
    /// `deploy.startCommand`, `rootDirectory` is `source.rootDirectory`…).
    ///
    /// An environment of the service's project where the service has no instance yet gets one
    /// (no source, no variables): the emulator's answer to "how does an existing service join a
    /// new environment", which Railway's documentation does not spell out.
    pub fn update_instances(
        &mut self,
        service_id: &str,
        environment_id: Option<&str>,
        input: ServiceInstanceUpdateInput,
    ) -> Result<bool, Refusal> {
        let project_id = self.service(service_id)?.project_id.clone();
        if let Some(environment_id) = environment_id {
            self.environment_of(&project_id, environment_id)?;
            if self.instance(environment_id, service_id).is_err() {
                self.instances.push(Instance::new(service_id, environment_id, InstanceConfig::default()));
            }
        }
        let touched: Vec<String> = self
            .instances
            .iter_mut()
            .filter(|i| i.service_id == service_id && environment_id.is_none_or(|id| i.environment_id == id))
            .map(|instance| update_instance(instance, &input).map(|()| instance.environment_id.clone()))
            .collect::<Result<_, _>>()?;
        for environment_id in touched {
            self.touch_environment(&environment_id);
        }
        Ok(true)
    }
}

/// Applies one `serviceInstanceUpdate` input to one instance.
fn update_instance(instance: &mut Instance, input: &ServiceInstanceUpdateInput) -> Result<(), Refusal> {
    let config = &mut instance.config;
    let deploy = config.deploy.get_or_insert_with(DeployConfig::default);
    input.cron_schedule.clone().update_to(&mut deploy.cron_schedule);
    input.healthcheck_path.clone().update_to(&mut deploy.healthcheck_path);
    input.num_replicas.map_value(i64::from).update_to(&mut deploy.num_replicas);
    input.start_command.clone().update_to(&mut deploy.start_command);
    input
        .restart_policy_type
        .map_value(|policy| policy.as_str().to_string())
        .update_to(&mut deploy.restart_policy_type);
    if deploy.is_empty() {
        config.deploy = None;
    }
    let source = config.source.get_or_insert_with(SourceConfig::default);
    input.root_directory.clone().update_to(&mut source.root_directory);
    match &input.source {
        MaybeUndefined::Undefined => {}
        MaybeUndefined::Null => {
            source.image = None;
            source.repo = None;
            source.branch = None;
        }
        MaybeUndefined::Value(new) => {
            let branch = source.branch.clone();
            let new = source_from(new.clone(), branch)?;
            source.image = new.image;
            source.repo = new.repo;
            source.branch = new.branch;
        }
    }
    if source.is_empty() {
        config.source = None;
    }
    Ok(())
}

fn non_blank(name: String, what: &str) -> Result<String, Refusal> {
    if name.trim().is_empty() {
        return Err(Refusal::new(format!("{what} cannot be empty")));
    }
    Ok(name)
}

fn variable_name(name: String) -> Result<String, Refusal> {
    if !refs::is_variable_name(&name) {
        return Err(Refusal::new(format!("Invalid variable name: {name}")));
    }
    Ok(name)
}

/// Sets a value, keeping a sealed variable sealed.
fn set_variable(variables: &mut BTreeMap<String, Variable>, name: String, value: String) {
    match variables.get_mut(&name) {
        Some(variable) => variable.value = value,
        None => {
            variables.insert(name, Variable::new(value));
        }
    }
}

fn variables_from(input: EnvironmentVariables) -> Result<BTreeMap<String, Variable>, Refusal> {
    input
        .0
        .into_iter()
        .map(|(name, value)| {
            let value = value.ok_or_else(|| Refusal::new(format!("Variable {name} has no value")))?;
            Ok((variable_name(name)?, Variable::new(value)))
        })
        .collect()
}

fn source_from(input: ServiceSourceInput, branch: Option<String>) -> Result<SourceConfig, Refusal> {
    match (input.image, input.repo) {
        (Some(image), None) => Ok(SourceConfig { image: Some(non_blank(image, "Image")?), ..SourceConfig::default() }),
        (None, Some(repo)) => Ok(SourceConfig {
            repo: Some(non_blank(repo, "Repo")?),
            branch: Some(branch.unwrap_or_else(|| DEFAULT_BRANCH.into())),
            ..SourceConfig::default()
        }),
        _ => Err(Refusal::new("A source needs exactly one of image or repo")),
    }
}

/// Railway's default service name: the image or repository name, without owner or tag.
fn default_service_name(source: Option<&SourceConfig>) -> String {
    let path = match source.map(|source| (&source.image, &source.repo)) {
        Some((Some(image), _)) => image.split(['@', ':']).next().unwrap_or(image),
        Some((None, Some(repo))) => repo.as_str(),
        _ => return "service".to_string(),
    };
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.is_empty() {
        "service".to_string()
    } else {
        name.to_string()
    }
}
