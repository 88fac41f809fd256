//! The emulator's GraphQL schema: a strict subset of Railway's public schema
//! (`graphql/railway.schema.graphql`). Every type, field, argument, input field and enum value
//! here has Railway's name, type and nullability; only what the emulator implements is exposed.
//! This module holds the roots (`Query`, `Mutation`) and the mutation inputs; the object types
//! are in [`super::types`].
//!
//! Resolvers are thin: queries read the [`Store`], mutations hand their input to
//! [`super::mutations`] or [`super::patch`] inside one [`Store::write`] transaction.

use std::sync::Arc;

use async_graphql::{Context, EmptySubscription, Error, InputObject, MaybeUndefined, Object, Result, Schema};

use super::limits;
use super::networking::REGIONS;
use super::resolve::{Renderer, Scope};
use super::store::{Refusal, State, Store};
use super::types::{
    all_projects, environments_of, read, store_of, AllDomains, ApiTokenContext, ApiTokenWorkspace, ChangeSetPreview,
    CustomDomain, Deployment, DeploymentStatus, Environment, EnvironmentConfig, EnvironmentPatch, EnvironmentVariables,
    ExternalWorkspace, Json, Page, Project, ProjectToken, QueryDeploymentsConnection, QueryEnvironmentsConnection,
    QueryProjectsConnection, Region, RestartPolicyType, Service, ServiceDomain, ServiceInstance, TcpProxy, User,
    Volume, Workspace, EXPENSIVE, WORKSPACE_ID, WORKSPACE_NAME,
};

/// The schema the emulator serves.
pub type EmulatorSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema around a store, with the document budget of [`limits`].
pub fn build(store: Arc<Store>) -> EmulatorSchema {
    Schema::build(Query, Mutation, EmptySubscription)
        .data(store)
        .limit_depth(limits::MAX_DEPTH)
        .limit_complexity(limits::MAX_COMPLEXITY)
        .limit_recursive_depth(limits::MAX_DEPTH)
        .finish()
}

/// Who sent a request, as the auth headers said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// `Authorization: Bearer …` (or no token at all when the emulator requires none).
    Account,
    /// `Project-Access-Token: …`.
    ProjectToken,
}

// ---------------------------------------------------------------------------------------------
// Queries

fn caller(ctx: &Context<'_>) -> Caller {
    ctx.data_opt::<Caller>().copied().unwrap_or(Caller::Account)
}

fn not_authorized() -> Error {
    Error::new("Not Authorized")
}

pub struct Query;

#[Object(name = "Query")]
impl Query {
    async fn project(&self, ctx: &Context<'_>, id: String) -> Result<Project> {
        read(ctx, |state| state.project(&id).cloned()).map(Project)
    }

    #[allow(clippy::too_many_arguments)]
    async fn projects(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        include_deleted: Option<bool>,
        last: Option<i32>,
        user_id: Option<String>,
        workspace_id: Option<String>,
    ) -> Result<QueryProjectsConnection> {
        let _ = (include_deleted, user_id);
        if workspace_id.as_deref().is_some_and(|id| id != WORKSPACE_ID) {
            return Err(not_authorized());
        }
        let page = Page::new(after, before, first, last);
        Ok(QueryProjectsConnection::paged(&page, all_projects(ctx)?))
    }

    async fn environment(&self, ctx: &Context<'_>, id: String, project_id: Option<String>) -> Result<Environment> {
        let environment = read(ctx, |state| state.environment(&id).cloned())?;
        if project_id.is_some_and(|project_id| project_id != environment.project_id) {
            return Err(Error::new("Environment not found"));
        }
        Ok(Environment(environment))
    }

    #[allow(clippy::too_many_arguments)]
    async fn environments(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        is_ephemeral: Option<bool>,
        last: Option<i32>,
        project_id: String,
    ) -> Result<QueryEnvironmentsConnection> {
        let nodes = environments_of(ctx, &project_id, is_ephemeral)?;
        Ok(QueryEnvironmentsConnection::paged(&Page::new(after, before, first, last), nodes))
    }

    async fn service(&self, ctx: &Context<'_>, id: String) -> Result<Service> {
        read(ctx, |state| state.service(&id).cloned()).map(Service)
    }

    async fn service_instance(
        &self,
        ctx: &Context<'_>,
        environment_id: String,
        service_id: String,
    ) -> Result<ServiceInstance> {
        read(ctx, |state| {
            let instance = state.instance(&environment_id, &service_id)?;
            let service = state.service(&service_id)?;
            Ok(ServiceInstance::new(instance.clone(), service.name.clone()))
        })
    }

    /// A service's variables (or, without `serviceId`, the shared ones): rendered, or raw with
    /// `unrendered: true`; sealed values are `null`.
    #[graphql(complexity = "EXPENSIVE")]
    async fn variables(
        &self,
        ctx: &Context<'_>,
        environment_id: String,
        project_id: String,
        service_id: Option<String>,
        unrendered: Option<bool>,
    ) -> Result<EnvironmentVariables> {
        read(ctx, |state| {
            state.environment_of(&project_id, &environment_id)?;
            let scope = match &service_id {
                Some(service_id) => {
                    state.instance(&environment_id, service_id)?;
                    Scope::Service(service_id)
                }
                None => Scope::Shared,
            };
            let renderer = Renderer::new(state, &environment_id)?;
            Ok(EnvironmentVariables(renderer.api_variables(scope, unrendered.unwrap_or(false))))
        })
    }

    /// What a deployment of the service sees: its variables rendered, plus Railway's built-ins;
    /// sealed values are `null`.
    #[graphql(complexity = "EXPENSIVE")]
    async fn variables_for_service_deployment(
        &self,
        ctx: &Context<'_>,
        environment_id: String,
        project_id: String,
        service_id: String,
    ) -> Result<EnvironmentVariables> {
        read(ctx, |state| {
            state.environment_of(&project_id, &environment_id)?;
            state.instance(&environment_id, &service_id)?;
            let variables = Renderer::new(state, &environment_id)?.api_deployment_variables(&service_id);
            Ok(EnvironmentVariables(variables))
        })
    }

    /// The project and environment of the project token the request carries: the first
    /// project and its first environment (the emulator has one project token per project).
    async fn project_token(&self, ctx: &Context<'_>) -> Result<ProjectToken> {
        if caller(ctx) != Caller::ProjectToken {
            return Err(Error::new("Project Token not found"));
        }
        read(ctx, |state| {
            let not_found = || Refusal::new("Project Token not found");
            let project = state.projects.first().ok_or_else(not_found)?;
            let environment = state.environments_of(&project.id).next().ok_or_else(not_found)?;
            Ok(ProjectToken { project: project.clone(), environment: environment.clone() })
        })
    }

    async fn me(&self, ctx: &Context<'_>) -> Result<User> {
        match caller(ctx) {
            Caller::Account => Ok(User),
            Caller::ProjectToken => Err(not_authorized()),
        }
    }

    async fn workspace(&self, ctx: &Context<'_>, workspace_id: String) -> Result<Workspace> {
        if caller(ctx) == Caller::ProjectToken || workspace_id != WORKSPACE_ID {
            return Err(not_authorized());
        }
        Ok(Workspace)
    }

    async fn api_token(&self, ctx: &Context<'_>) -> Result<ApiTokenContext> {
        if caller(ctx) == Caller::ProjectToken {
            return Err(not_authorized());
        }
        let workspace = ApiTokenWorkspace { id: WORKSPACE_ID.into(), name: WORKSPACE_NAME.into() };
        Ok(ApiTokenContext { workspaces: vec![workspace] })
    }

    /// Workspaces the user reaches as an outside collaborator: none (the emulator's user is a
    /// member of its one workspace).
    async fn external_workspaces(
        &self,
        ctx: &Context<'_>,
        project_id: Option<String>,
    ) -> Result<Vec<ExternalWorkspace>> {
        let _ = project_id;
        match caller(ctx) {
            Caller::Account => Ok(Vec::new()),
            Caller::ProjectToken => Err(not_authorized()),
        }
    }

    /// The user's favourite projects of a workspace: none.
    async fn project_favorites(&self, ctx: &Context<'_>, workspace_id: String) -> Result<Vec<String>> {
        if caller(ctx) == Caller::ProjectToken || workspace_id != WORKSPACE_ID {
            return Err(not_authorized());
        }
        Ok(Vec::new())
    }

    /// The regions instances can run in.
    async fn regions(&self, project_id: Option<String>) -> Vec<Region> {
        let _ = project_id;
        REGIONS.iter().copied().map(Region).collect()
    }

    async fn deployment(&self, ctx: &Context<'_>, id: String) -> Result<Deployment> {
        read(ctx, |state| Deployment::by_id(state, &id))
    }

    /// Deployments matching `input`, newest first.
    #[allow(clippy::too_many_arguments)]
    async fn deployments(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        input: DeploymentListInput,
        last: Option<i32>,
    ) -> Result<QueryDeploymentsConnection> {
        let nodes = read(ctx, |state| {
            let now = super::store::clock_ms();
            let candidates = state.deployments.iter().enumerate().rev().filter(|(_, d)| input.matches_record(d));
            let views = candidates.map(|(index, d)| (d.id.clone(), Deployment::of(state, index, now)));
            Ok(views.filter(|(_, view)| input.matches_status(view.status())).collect::<Vec<_>>())
        })?;
        Ok(QueryDeploymentsConnection::paged(&Page::new(after, before, first, last), nodes))
    }

    /// The domains of one service instance.
    async fn domains(
        &self,
        ctx: &Context<'_>,
        environment_id: String,
        project_id: String,
        service_id: String,
    ) -> Result<AllDomains> {
        read(ctx, |state| {
            state.environment_of(&project_id, &environment_id)?;
            state.instance(&environment_id, &service_id)?;
            Ok(AllDomains::of(state, &environment_id, &service_id))
        })
    }

    async fn tcp_proxies(
        &self,
        ctx: &Context<'_>,
        environment_id: String,
        service_id: String,
    ) -> Result<Vec<TcpProxy>> {
        read(ctx, |state| {
            state.instance(&environment_id, &service_id)?;
            Ok(state.tcp_proxies_of(&environment_id, &service_id).cloned().map(TcpProxy::from).collect())
        })
    }

    /// What is staged in the environment (an empty `STAGED` patch when nothing is).
    async fn environment_staged_changes(&self, ctx: &Context<'_>, environment_id: String) -> Result<EnvironmentPatch> {
        read(ctx, |state| {
            let environment = state.environment(&environment_id)?;
            Ok(state.staged_patch(&environment_id).cloned().unwrap_or_else(|| empty_patch(environment)))
        })
        .map(EnvironmentPatch)
    }
}

/// The patch an environment with nothing staged shows: empty, with an id derived from the
/// environment's (so that reading it twice gives the same answer).
fn empty_patch(environment: &super::store::Environment) -> super::store::StagedPatch {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("staged/{}", environment.id));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    let stamp = environment.updated_at.clone().unwrap_or_else(|| environment.created_at.clone());
    super::store::StagedPatch {
        id: super::store::uuid_from(bytes),
        environment_id: environment.id.clone(),
        patch: serde_json::Value::Object(serde_json::Map::new()),
        status: super::store::PatchStatus::Staged,
        created_at: stamp.clone(),
        updated_at: stamp,
        last_applied_error: None,
        message: None,
    }
}

// ---------------------------------------------------------------------------------------------
// Mutation inputs (Railway's names; only the fields the emulator acts on)

#[derive(Debug, InputObject)]
pub struct ProjectCreateInput {
    pub default_environment_name: Option<String>,
    pub description: Option<String>,
    pub name: Option<String>,
    pub workspace_id: Option<String>,
}

#[derive(Debug, InputObject)]
pub struct EnvironmentCreateInput {
    /// The emulator always applies at once, so waiting or not makes no difference.
    pub apply_changes_in_background: Option<bool>,
    pub ephemeral: Option<bool>,
    pub name: String,
    pub project_id: String,
    pub skip_initial_deploys: Option<bool>,
    pub source_environment_id: Option<String>,
    pub stage_initial_changes: Option<bool>,
}

#[derive(Debug, InputObject)]
pub struct EnvironmentRenameInput {
    pub name: String,
}

#[derive(Debug, Clone, InputObject)]
pub struct ServiceSourceInput {
    pub image: Option<String>,
    pub repo: Option<String>,
}

#[derive(Debug, InputObject)]
pub struct ServiceCreateInput {
    pub branch: Option<String>,
    pub environment_id: Option<String>,
    pub icon: Option<String>,
    pub name: Option<String>,
    pub project_id: String,
    pub source: Option<ServiceSourceInput>,
    pub variables: Option<EnvironmentVariables>,
}

#[derive(Debug, InputObject)]
pub struct ServiceUpdateInput {
    pub icon: MaybeUndefined<String>,
    pub name: MaybeUndefined<String>,
}

#[derive(Debug, InputObject)]
pub struct ServiceInstanceUpdateInput {
    pub cron_schedule: MaybeUndefined<String>,
    pub healthcheck_path: MaybeUndefined<String>,
    pub num_replicas: MaybeUndefined<i32>,
    pub restart_policy_type: MaybeUndefined<RestartPolicyType>,
    pub root_directory: MaybeUndefined<String>,
    pub source: MaybeUndefined<ServiceSourceInput>,
    pub start_command: MaybeUndefined<String>,
}

#[derive(Debug, InputObject)]
pub struct VariableUpsertInput {
    pub environment_id: String,
    pub name: String,
    pub project_id: String,
    pub service_id: Option<String>,
    #[graphql(default_with = "Some(false)")]
    pub skip_deploys: Option<bool>,
    pub value: String,
}

#[derive(Debug, InputObject)]
pub struct VariableCollectionUpsertInput {
    pub environment_id: String,
    pub project_id: String,
    #[graphql(default_with = "Some(false)")]
    pub replace: Option<bool>,
    pub service_id: Option<String>,
    #[graphql(default_with = "Some(false)")]
    pub skip_deploys: Option<bool>,
    pub variables: EnvironmentVariables,
}

#[derive(Debug, InputObject)]
pub struct VariableDeleteInput {
    pub environment_id: String,
    pub name: String,
    pub project_id: String,
    pub service_id: Option<String>,
}

#[derive(Debug, InputObject)]
pub struct DeploymentStatusInput {
    #[graphql(name = "in")]
    pub within: Option<Vec<DeploymentStatus>>,
    pub not_in: Option<Vec<DeploymentStatus>>,
}

#[derive(Debug, InputObject)]
pub struct DeploymentListInput {
    pub environment_id: Option<String>,
    /// Replaced (`REMOVED`) deployments are listed either way.
    pub include_deleted: Option<bool>,
    pub project_id: Option<String>,
    pub service_id: Option<String>,
    pub status: Option<DeploymentStatusInput>,
}

impl DeploymentListInput {
    fn matches_record(&self, deployment: &super::store::Deployment) -> bool {
        let same = |wanted: &Option<String>, actual: &str| wanted.as_deref().is_none_or(|wanted| wanted == actual);
        same(&self.environment_id, &deployment.environment_id)
            && same(&self.project_id, &deployment.project_id)
            && same(&self.service_id, &deployment.service_id)
    }

    fn matches_status(&self, status: super::store::DeploymentState) -> bool {
        let status = DeploymentStatus::from(status);
        self.status.as_ref().is_none_or(|filter| {
            filter.within.as_ref().is_none_or(|within| within.contains(&status))
                && filter.not_in.as_ref().is_none_or(|not_in| !not_in.contains(&status))
        })
    }
}

#[derive(Debug, InputObject)]
pub struct ServiceDomainCreateInput {
    pub environment_id: String,
    pub service_id: String,
    pub target_port: Option<i32>,
}

#[derive(Debug, InputObject)]
pub struct CustomDomainCreateInput {
    pub domain: String,
    pub environment_id: String,
    pub project_id: String,
    pub service_id: String,
    pub target_port: Option<i32>,
}

/// The official CLI's telemetry event; accepted and dropped.
#[derive(Debug, InputObject)]
#[allow(dead_code)]
pub struct CliEventTrackInput {
    pub agent_session_id: Option<String>,
    pub arch: String,
    pub caller: Option<String>,
    pub cli_version: String,
    pub command: String,
    pub duration_ms: i32,
    pub environment_id: Option<String>,
    pub error_class: Option<String>,
    pub error_message: Option<String>,
    pub install_request_id: Option<String>,
    pub is_ci: bool,
    pub os: String,
    pub project_id: Option<String>,
    pub service_id: Option<String>,
    pub session_id: Option<String>,
    pub sub_command: Option<String>,
    pub success: bool,
    pub workspace_id: Option<String>,
}

#[derive(Debug, InputObject)]
pub struct VolumeCreateInput {
    pub environment_id: Option<String>,
    pub mount_path: String,
    pub project_id: String,
    pub service_id: Option<String>,
}

// ---------------------------------------------------------------------------------------------
// Mutations

fn write<T>(ctx: &Context<'_>, change: impl FnOnce(&mut State, &Store) -> Result<T, Refusal>) -> Result<T> {
    let store = store_of(ctx)?;
    Ok(store.write(|state| change(state, store))?)
}

pub struct Mutation;

#[Object(name = "Mutation")]
impl Mutation {
    async fn project_create(&self, ctx: &Context<'_>, input: ProjectCreateInput) -> Result<Project> {
        write(ctx, |state, _| state.create_project(input)).map(Project)
    }

    async fn environment_create(&self, ctx: &Context<'_>, input: EnvironmentCreateInput) -> Result<Environment> {
        write(ctx, |state, _| state.create_environment(input)).map(Environment)
    }

    async fn environment_rename(
        &self,
        ctx: &Context<'_>,
        id: String,
        input: EnvironmentRenameInput,
    ) -> Result<Environment> {
        write(ctx, |state, _| state.rename_environment(&id, input.name)).map(Environment)
    }

    async fn environment_delete(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        write(ctx, |state, _| state.delete_environment(&id))
    }

    async fn service_create(&self, ctx: &Context<'_>, input: ServiceCreateInput) -> Result<Service> {
        write(ctx, |state, _| state.create_service(input)).map(Service)
    }

    async fn service_update(&self, ctx: &Context<'_>, id: String, input: ServiceUpdateInput) -> Result<Service> {
        write(ctx, |state, store| state.update_service(&id, input, store.rename_policy)).map(Service)
    }

    async fn service_delete(&self, ctx: &Context<'_>, environment_id: Option<String>, id: String) -> Result<bool> {
        write(ctx, |state, _| state.delete_service(&id, environment_id.as_deref()))
    }

    async fn variable_upsert(&self, ctx: &Context<'_>, input: VariableUpsertInput) -> Result<bool> {
        write(ctx, |state, _| state.upsert_variable(input))
    }

    async fn variable_collection_upsert(
        &self,
        ctx: &Context<'_>,
        input: VariableCollectionUpsertInput,
    ) -> Result<bool> {
        write(ctx, |state, _| state.upsert_variables(input))
    }

    async fn variable_delete(&self, ctx: &Context<'_>, input: VariableDeleteInput) -> Result<bool> {
        write(ctx, |state, _| state.delete_variable(input))
    }

    async fn volume_create(&self, ctx: &Context<'_>, input: VolumeCreateInput) -> Result<Volume> {
        write(ctx, |state, _| state.create_volume(input)).map(Volume)
    }

    async fn service_instance_update(
        &self,
        ctx: &Context<'_>,
        environment_id: Option<String>,
        input: ServiceInstanceUpdateInput,
        service_id: String,
    ) -> Result<bool> {
        write(ctx, |state, _| state.update_instances(&service_id, environment_id.as_deref(), input))
    }

    async fn service_instance_redeploy(
        &self,
        ctx: &Context<'_>,
        environment_id: String,
        service_id: String,
    ) -> Result<bool> {
        write(ctx, |state, _| state.deploy(&environment_id, &service_id, "redeploy")).map(|_| true)
    }

    /// Deploys the instance; returns the new deployment's id.
    async fn service_instance_deploy_v2(
        &self,
        ctx: &Context<'_>,
        commit_sha: Option<String>,
        environment_id: String,
        service_id: String,
    ) -> Result<String> {
        let _ = commit_sha;
        write(ctx, |state, _| state.deploy(&environment_id, &service_id, "deploy"))
    }

    /// Deploys the deployment's instance again (settings and variables as they are now).
    async fn deployment_redeploy(
        &self,
        ctx: &Context<'_>,
        id: String,
        use_previous_image_tag: Option<bool>,
    ) -> Result<Deployment> {
        let _ = use_previous_image_tag;
        write(ctx, |state, _| {
            let new = state.redeploy(&id)?;
            Deployment::by_id(state, &new)
        })
    }

    /// A new deployment runs what a successful deployment ran (its variables, settings and
    /// replicas) and becomes the active one.
    async fn deployment_rollback(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        write(ctx, |state, _| state.roll_back(&id)).map(|_| true)
    }

    async fn deployment_restart(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        write(ctx, |state, _| state.restart(&id))
    }

    async fn deployment_remove(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        write(ctx, |state, _| state.remove_deployment(&id))
    }

    /// Previews an IaC change set without side effects (see [`super::changeset`]).
    async fn environment_preview_change_set(
        &self,
        ctx: &Context<'_>,
        environment_id: String,
        input: Json,
    ) -> Result<ChangeSetPreview> {
        let preview = read(ctx, |state| super::changeset::preview(state, &environment_id, &input.0))?;
        Ok(ChangeSetPreview {
            change_set: Json(preview["changeSet"].clone()),
            diagnostics: Json(preview["diagnostics"].clone()),
            effects: Json(preview["effects"].clone()),
        })
    }

    /// Sets what is staged in the environment (merged into what is staged with `merge: true`),
    /// after checking that it would apply.
    async fn environment_stage_changes(
        &self,
        ctx: &Context<'_>,
        environment_id: String,
        input: EnvironmentConfig,
        merge: Option<bool>,
    ) -> Result<EnvironmentPatch> {
        write(ctx, |state, _| state.stage_changes(&environment_id, input.0, merge.unwrap_or(false)))
            .map(EnvironmentPatch)
    }

    /// Commits what is staged, all at once; the touched instances deploy unless `skipDeploys`.
    /// A refused commit changes nothing and leaves its reason in `lastAppliedError`.
    async fn environment_patch_commit_staged(
        &self,
        ctx: &Context<'_>,
        commit_message: Option<String>,
        environment_id: String,
        skip_deploys: Option<bool>,
    ) -> Result<String> {
        let store = store_of(ctx)?;
        let committed =
            store.write(|state| state.commit_staged(&environment_id, commit_message, skip_deploys.unwrap_or(false)));
        if let Err(refusal) = &committed {
            let _ = store.write(|state| {
                state.record_commit_error(&environment_id, refusal);
                Ok(())
            });
        }
        Ok(committed?)
    }

    /// Commits a patch directly, all at once; the touched instances deploy.
    async fn environment_patch_commit(
        &self,
        ctx: &Context<'_>,
        commit_message: Option<String>,
        environment_id: String,
        patch: Option<EnvironmentConfig>,
    ) -> Result<String> {
        let _ = commit_message;
        let patch = patch.map_or_else(|| serde_json::Value::Object(serde_json::Map::new()), |patch| patch.0);
        write(ctx, |state, _| {
            state.commit(&environment_id, &patch, false)?;
            Ok(super::store::new_id())
        })
    }

    /// A new `*.up.railway.app` domain for the instance.
    async fn service_domain_create(&self, ctx: &Context<'_>, input: ServiceDomainCreateInput) -> Result<ServiceDomain> {
        write(ctx, |state, _| {
            let domain = state.create_service_domain(
                &input.environment_id,
                &input.service_id,
                input.target_port.map(i64::from),
            )?;
            Ok(ServiceDomain::of(state, domain))
        })
    }

    async fn service_domain_delete(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        write(ctx, |state, _| state.delete_service_domain(&id))
    }

    /// Adds a custom domain; its `status.dnsRecords` say what DNS records to create.
    async fn custom_domain_create(&self, ctx: &Context<'_>, input: CustomDomainCreateInput) -> Result<CustomDomain> {
        write(ctx, |state, _| {
            state.environment_of(&input.project_id, &input.environment_id)?;
            state.instance(&input.environment_id, &input.service_id)?;
            if state.custom_domains.iter().any(|d| d.domain == input.domain)
                || state.service_domains.iter().any(|d| d.domain == input.domain)
            {
                return Err(Refusal::new(format!("Domain {} is already in use", input.domain)));
            }
            let port = input.target_port.map(i64::from);
            let change = super::networking::DomainChange::Set(port);
            state.set_custom_domain(&input.environment_id, &input.service_id, &input.domain, change)?;
            state.touch_environment(&input.environment_id);
            let created = state.custom_domains.iter().rev().find(|d| d.domain == input.domain).cloned();
            created.map(|record| CustomDomain::of(state, record)).ok_or_else(|| Refusal::new("Custom domain not found"))
        })
    }

    async fn custom_domain_delete(&self, ctx: &Context<'_>, id: String) -> Result<bool> {
        write(ctx, |state, _| {
            let domain = state.custom_domains.iter().find(|d| d.id == id).cloned();
            let domain = domain.ok_or_else(|| Refusal::new("Custom domain not found"))?;
            state.custom_domains.retain(|d| d.id != id);
            state.touch_environment(&domain.environment_id);
            Ok(true)
        })
    }

    /// The official CLI's telemetry: accepted, not stored, nothing written.
    async fn cli_event_track(&self, input: CliEventTrackInput) -> bool {
        let _ = input;
        true
    }
}
