//! Typed wrappers, one per operation railform uses: plain Rust arguments in, ids out. Each is a
//! thin call to [`Client::send`]; none retries or decides anything on its own.

use std::collections::BTreeMap;
use std::fmt;

use super::client::Client;
use super::error::ApiError;
use super::operations::{self as ops, EnvironmentVariables};

/// An id with the name Railway gave it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdName {
    pub id: String,
    pub name: String,
}

/// A project just created, with the environment Railway created in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedProject {
    pub id: String,
    pub name: String,
    pub environments: Vec<IdName>,
}

/// Where a service's code comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServiceSource {
    /// A container image reference.
    Image(String),
    /// A GitHub repository (`owner/name`) and optionally the branch to deploy.
    Repo { repo: String, branch: Option<String> },
}

/// A service to create.
#[derive(Clone, PartialEq, Eq)]
pub struct NewService {
    pub project_id: String,
    pub name: String,
    pub source: Option<ServiceSource>,
    /// Only this environment; `None` creates the service in every environment.
    pub environment_id: Option<String>,
    /// Variables to create it with (values may be secrets).
    pub variables: BTreeMap<String, String>,
}

/// An environment to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEnvironment {
    pub project_id: String,
    pub name: String,
    /// Copy services, volumes and variables from this environment.
    pub source_environment_id: Option<String>,
    pub skip_initial_deploys: bool,
    /// An ephemeral (preview) environment.
    pub ephemeral: bool,
}

/// A volume to create and mount into a service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVolume {
    pub project_id: String,
    pub service_id: String,
    pub mount_path: String,
    /// Only this environment; `None` creates it in every environment.
    pub environment_id: Option<String>,
}

/// Debug output that names variables but never shows their values.
struct VariableNames<'a>(&'a BTreeMap<String, String>);

impl fmt::Debug for VariableNames<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.0.keys().map(|name| (name, "***"))).finish()
    }
}

impl fmt::Debug for NewService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("NewService")
            .field("project_id", &self.project_id)
            .field("name", &self.name)
            .field("source", &self.source)
            .field("environment_id", &self.environment_id)
            .field("variables", &VariableNames(&self.variables))
            .finish()
    }
}

fn to_environment_variables(variables: &BTreeMap<String, String>) -> EnvironmentVariables {
    variables.iter().map(|(name, value)| (name.clone(), Some(value.clone()))).collect()
}

/// Mutations answering `Boolean!` say `false` when Railway declined without an error.
fn require_true(operation: &'static str, answer: bool) -> Result<(), ApiError> {
    if answer {
        Ok(())
    } else {
        Err(ApiError::GraphQl { operation, messages: vec!["Railway answered false (nothing was done)".to_owned()] })
    }
}

impl Client {
    /// `variables(…)`: a service's variables, or the shared ones without `service_id`. With
    /// `unrendered`, references come back as raw `${{…}}` templates. Sealed values are `None`.
    pub async fn variables(
        &self,
        project_id: &str,
        environment_id: &str,
        service_id: Option<&str>,
        unrendered: bool,
    ) -> Result<EnvironmentVariables, ApiError> {
        let variables = ops::service_variables::Variables {
            project_id: project_id.to_owned(),
            environment_id: environment_id.to_owned(),
            service_id: service_id.map(str::to_owned),
            unrendered: Some(unrendered),
        };
        Ok(self.send::<ops::ServiceVariables>(variables).await?.variables)
    }

    /// `projectCreate`. Never retried after an ambiguous failure (see [`ApiError::Ambiguous`]).
    pub async fn create_project(&self, name: &str, workspace_id: Option<&str>) -> Result<CreatedProject, ApiError> {
        let input = ops::project_create::ProjectCreateInput {
            name: Some(name.to_owned()),
            workspace_id: workspace_id.map(str::to_owned),
            ..Default::default()
        };
        let project = self.send::<ops::ProjectCreate>(ops::project_create::Variables { input }).await?.project_create;
        let environments = project
            .environments
            .edges
            .into_iter()
            .map(|edge| IdName { id: edge.node.id, name: edge.node.name })
            .collect();
        Ok(CreatedProject { id: project.id, name: project.name, environments })
    }

    /// `environmentCreate`. Never retried after an ambiguous failure.
    pub async fn create_environment(&self, environment: &NewEnvironment) -> Result<IdName, ApiError> {
        let input = ops::environment_create::EnvironmentCreateInput {
            project_id: environment.project_id.clone(),
            name: environment.name.clone(),
            source_environment_id: environment.source_environment_id.clone(),
            skip_initial_deploys: environment.skip_initial_deploys.then_some(true),
            ephemeral: environment.ephemeral.then_some(true),
            ..Default::default()
        };
        let created = self.send::<ops::EnvironmentCreate>(ops::environment_create::Variables { input }).await?;
        Ok(IdName { id: created.environment_create.id, name: created.environment_create.name })
    }

    /// `environmentDelete`: the environment and everything in it.
    pub async fn delete_environment(&self, id: &str) -> Result<(), ApiError> {
        let variables = ops::environment_delete::Variables { id: id.to_owned() };
        let answer = self.send::<ops::EnvironmentDelete>(variables).await?.environment_delete;
        require_true(ops::environment_delete::OPERATION_NAME, answer)
    }

    /// `environmentRename`: the id stays.
    pub async fn rename_environment(&self, id: &str, name: &str) -> Result<(), ApiError> {
        let variables = ops::environment_rename::Variables {
            id: id.to_owned(),
            input: ops::environment_rename::EnvironmentRenameInput { name: name.to_owned() },
        };
        self.send::<ops::EnvironmentRename>(variables).await.map(drop)
    }

    /// `serviceCreate`. Never retried after an ambiguous failure.
    pub async fn create_service(&self, service: &NewService) -> Result<IdName, ApiError> {
        let (source, branch) = match &service.source {
            Some(ServiceSource::Image(image)) => {
                (Some(ops::service_create::ServiceSourceInput { image: Some(image.clone()), repo: None }), None)
            }
            Some(ServiceSource::Repo { repo, branch }) => (
                Some(ops::service_create::ServiceSourceInput { image: None, repo: Some(repo.clone()) }),
                branch.clone(),
            ),
            None => (None, None),
        };
        let input = ops::service_create::ServiceCreateInput {
            project_id: service.project_id.clone(),
            name: Some(service.name.clone()),
            source,
            branch,
            environment_id: service.environment_id.clone(),
            variables: (!service.variables.is_empty()).then(|| to_environment_variables(&service.variables)),
            ..Default::default()
        };
        let created = self.send::<ops::ServiceCreate>(ops::service_create::Variables { input }).await?;
        Ok(IdName { id: created.service_create.id, name: created.service_create.name })
    }

    /// `serviceUpdate` with a new name: project-wide; the id, volume and data stay.
    pub async fn rename_service(&self, id: &str, name: &str) -> Result<(), ApiError> {
        let variables = ops::service_update::Variables {
            id: id.to_owned(),
            input: ops::service_update::ServiceUpdateInput {
                name: Some(name.to_owned()),
                icon: None,
                tracing_enabled: None,
                auto_instrumentation_enabled: None,
            },
        };
        self.send::<ops::ServiceUpdate>(variables).await.map(drop)
    }

    /// `serviceDelete` in every environment.
    pub async fn delete_service(&self, id: &str) -> Result<(), ApiError> {
        let variables = ops::service_delete::Variables { id: id.to_owned(), environment_id: None };
        let answer = self.send::<ops::ServiceDelete>(variables).await?.service_delete;
        require_true(ops::service_delete::OPERATION_NAME, answer)
    }

    /// `environmentStageChanges(merge: true)`: stages `patch` (an EnvironmentConfig document)
    /// over what is already staged.
    pub async fn stage_changes(&self, environment_id: &str, patch: serde_json::Value) -> Result<(), ApiError> {
        let variables = ops::environment_stage_changes::Variables {
            environment_id: environment_id.to_owned(),
            input: patch,
            merge: Some(true),
        };
        self.send::<ops::EnvironmentStageChanges>(variables).await?;
        Ok(())
    }

    /// `environmentPatchCommitStaged`: commits what is staged, all at once.
    pub async fn commit_staged(&self, environment_id: &str, message: &str, skip_deploys: bool) -> Result<(), ApiError> {
        let variables = ops::environment_patch_commit_staged::Variables {
            environment_id: environment_id.to_owned(),
            commit_message: Some(message.to_owned()),
            skip_deploys: Some(skip_deploys),
        };
        self.send::<ops::EnvironmentPatchCommitStaged>(variables).await?;
        Ok(())
    }

    /// `serviceDomainCreate`: a generated domain for the instance; returns the domain name.
    pub async fn create_service_domain(
        &self,
        environment_id: &str,
        service_id: &str,
        port: Option<u16>,
    ) -> Result<String, ApiError> {
        let input = ops::service_domain_create::ServiceDomainCreateInput {
            environment_id: environment_id.to_owned(),
            service_id: service_id.to_owned(),
            target_port: port.map(i64::from),
        };
        Ok(self
            .send::<ops::ServiceDomainCreate>(ops::service_domain_create::Variables { input })
            .await?
            .service_domain_create
            .domain)
    }

    /// The latest deployment (id and status, in Railway's words: `SUCCESS`, `FAILED`…) of every
    /// service instance of an environment, by service id; `None` for an instance never deployed.
    pub async fn latest_deployments(
        &self,
        environment_id: &str,
    ) -> Result<BTreeMap<String, Option<(String, String)>>, ApiError> {
        let variables = ops::environment_deployments::Variables { id: environment_id.to_owned() };
        let environment = self.send::<ops::EnvironmentDeployments>(variables).await?.environment;
        Ok(environment
            .service_instances
            .edges
            .into_iter()
            .map(|edge| {
                let deployment = edge.node.latest_deployment.map(|d| {
                    let status = serde_json::to_value(&d.status).ok().and_then(|v| v.as_str().map(str::to_owned));
                    (d.id, status.unwrap_or_else(|| "UNKNOWN".to_owned()))
                });
                (edge.node.service_id, deployment)
            })
            .collect())
    }

    /// `deploymentRollback`: deploys again what deployment `id` ran.
    pub async fn rollback(&self, deployment_id: &str) -> Result<(), ApiError> {
        let variables = ops::deployment_rollback::Variables { id: deployment_id.to_owned() };
        let answer = self.send::<ops::DeploymentRollback>(variables).await?.deployment_rollback;
        require_true(ops::deployment_rollback::OPERATION_NAME, answer)
    }

    /// `environmentStagedChanges`: the patch staged now (`{}` when nothing is), decrypted.
    pub async fn staged_changes(&self, environment_id: &str) -> Result<serde_json::Value, ApiError> {
        let variables = ops::environment_staged_changes::Variables { environment_id: environment_id.to_owned() };
        Ok(self.send::<ops::EnvironmentStagedChanges>(variables).await?.environment_staged_changes.patch)
    }

    /// One environment's whole config (variables decrypted), as a plan reads it.
    pub async fn environment_config(&self, environment_id: &str) -> Result<serde_json::Value, ApiError> {
        let variables = ops::environment_state::Variables { id: environment_id.to_owned() };
        let config = self.send::<ops::EnvironmentState>(variables).await?.environment.config;
        serde_json::from_str(config.get()).map_err(|error| ApiError::Decode {
            operation: "EnvironmentState",
            detail: format!("its config is not JSON: {error}"),
        })
    }

    /// `volumeCreate`, mounted into the service. Never retried after an ambiguous failure.
    pub async fn create_volume(&self, volume: &NewVolume) -> Result<IdName, ApiError> {
        let input = ops::volume_create::VolumeCreateInput {
            project_id: volume.project_id.clone(),
            service_id: Some(volume.service_id.clone()),
            mount_path: volume.mount_path.clone(),
            environment_id: volume.environment_id.clone(),
            region: None,
        };
        let created = self.send::<ops::VolumeCreate>(ops::volume_create::Variables { input }).await?;
        Ok(IdName { id: created.volume_create.id, name: created.volume_create.name })
    }

    /// `serviceInstanceUpdate` in one environment; fields left `None` stay as they are.
    pub async fn update_service_instance(
        &self,
        service_id: &str,
        environment_id: &str,
        input: ops::service_instance_update::ServiceInstanceUpdateInput,
    ) -> Result<(), ApiError> {
        let variables = ops::service_instance_update::Variables {
            service_id: service_id.to_owned(),
            environment_id: Some(environment_id.to_owned()),
            input,
        };
        let answer = self.send::<ops::ServiceInstanceUpdate>(variables).await?.service_instance_update;
        require_true(ops::service_instance_update::OPERATION_NAME, answer)
    }

    /// `serviceInstanceDeployV2`: deploys the current source; returns the deployment id.
    pub async fn deploy_service_instance(&self, environment_id: &str, service_id: &str) -> Result<String, ApiError> {
        let variables = ops::service_instance_deploy_v2::Variables {
            environment_id: environment_id.to_owned(),
            service_id: service_id.to_owned(),
        };
        Ok(self.send::<ops::ServiceInstanceDeployV2>(variables).await?.service_instance_deploy_v2)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_new_services_names_variables_but_hides_values() {
        let write = NewService {
            project_id: "p".into(),
            name: "api".into(),
            source: None,
            environment_id: None,
            variables: BTreeMap::from([("API_KEY".to_owned(), "hunter2".to_owned())]),
        };
        let shown = format!("{write:?}");
        assert!(shown.contains("API_KEY") && !shown.contains("hunter2"), "{shown}");
    }
}
