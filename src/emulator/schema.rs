//! The emulator's GraphQL schema: a strict subset of Railway's public schema
//! (`graphql/railway.schema.graphql`). Every type, field, argument, input field and enum value
//! here has Railway's name, type and nullability; only what the emulator implements is exposed.
//!
//! Resolvers are thin: queries read the [`Store`] through [`resolve`](super::resolve), mutations
//! hand their input to [`super::mutations`] inside one [`Store::write`] transaction.

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{
    Context, EmptySubscription, Enum, Error, InputObject, MaybeUndefined, Object, Result, Schema, SimpleObject, ID,
};
use serde::{Deserialize, Serialize};

use super::resolve::{self, Renderer, Scope};
use super::store::{self, Refusal, State, Store};

/// The schema the emulator serves.
pub type EmulatorSchema = Schema<Query, Mutation, EmptySubscription>;

/// Builds the schema around a store.
pub fn build(store: Arc<Store>) -> EmulatorSchema {
    Schema::build(Query, Mutation, EmptySubscription).data(store).finish()
}

/// Who sent a request, as the auth headers said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Caller {
    /// `Authorization: Bearer …` (or no token at all when the emulator requires none).
    Account,
    /// `Project-Access-Token: …`.
    ProjectToken,
}

/// The single workspace every emulated project belongs to.
pub const WORKSPACE_ID: &str = "00000000-0000-4000-8000-000000000001";
const WORKSPACE_NAME: &str = "Emulator";
const USER_ID: &str = "00000000-0000-4000-8000-000000000002";

// ---------------------------------------------------------------------------------------------
// Scalars

/// Railway's `EnvironmentVariables`: a JSON map of name to value (`null` for a sealed value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentVariables(pub BTreeMap<String, Option<String>>);
async_graphql::scalar!(EnvironmentVariables, "EnvironmentVariables");

/// Railway's `EnvironmentConfig`: an environment as JSON maps keyed by ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvironmentConfig(pub serde_json::Value);
async_graphql::scalar!(EnvironmentConfig, "EnvironmentConfig");

/// Railway's `DateTime`: an RFC 3339 timestamp.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DateTime(pub String);
async_graphql::scalar!(DateTime, "DateTime");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "RestartPolicyType", remote = "store::RestartPolicy")]
pub enum RestartPolicyType {
    Always,
    Never,
    OnFailure,
}

// ---------------------------------------------------------------------------------------------
// Connections

#[derive(Debug, Clone, SimpleObject)]
#[graphql(name = "PageInfo")]
pub struct PageInfo {
    end_cursor: Option<String>,
    has_next_page: bool,
    has_previous_page: bool,
    start_cursor: Option<String>,
}

/// Railway's pagination arguments (`after`, `before`, `first`, `last`), cursors being node ids.
#[derive(Debug, Clone, Default)]
pub struct Page {
    after: Option<String>,
    before: Option<String>,
    first: Option<i32>,
    last: Option<i32>,
}

impl Page {
    fn new(after: Option<String>, before: Option<String>, first: Option<i32>, last: Option<i32>) -> Self {
        Page { after, before, first, last }
    }

    /// Cuts `(cursor, node)` pairs to this page; returns them with the page's `PageInfo`.
    fn apply<T>(&self, items: Vec<(String, T)>) -> (Vec<(String, T)>, PageInfo) {
        let total = items.len();
        let mut start = 0;
        let mut end = total;
        if let Some(after) = &self.after {
            start = items.iter().position(|(cursor, _)| cursor == after).map_or(total, |i| i + 1);
        }
        if let Some(before) = &self.before {
            end = items.iter().position(|(cursor, _)| cursor == before).unwrap_or(total);
        }
        end = end.max(start);
        if let Some(first) = self.first {
            end = end.min(start + usize::try_from(first).unwrap_or(0));
        }
        if let Some(last) = self.last {
            start = start.max(end.saturating_sub(usize::try_from(last).unwrap_or(0)));
        }
        let page: Vec<_> = items.into_iter().skip(start).take(end - start).collect();
        let info = PageInfo {
            start_cursor: page.first().map(|(cursor, _)| cursor.clone()),
            end_cursor: page.last().map(|(cursor, _)| cursor.clone()),
            has_next_page: end < total,
            has_previous_page: start > 0,
        };
        (page, info)
    }
}

/// Declares a Railway connection type and its edge type, both named as Railway names them.
macro_rules! connection {
    ($connection:ident, $edge:ident, $node:ty) => {
        #[derive(SimpleObject)]
        pub struct $connection {
            edges: Vec<$edge>,
            page_info: PageInfo,
        }

        #[derive(SimpleObject)]
        pub struct $edge {
            cursor: String,
            node: $node,
        }

        impl $connection {
            fn paged(page: &Page, nodes: impl IntoIterator<Item = (String, $node)>) -> Self {
                let (edges, page_info) = page.apply(nodes.into_iter().collect());
                let edges = edges.into_iter().map(|(cursor, node)| $edge { cursor, node }).collect();
                $connection { edges, page_info }
            }
        }
    };
}

connection!(QueryProjectsConnection, QueryProjectsConnectionEdge, Project);
connection!(QueryEnvironmentsConnection, QueryEnvironmentsConnectionEdge, Environment);
connection!(ProjectEnvironmentsConnection, ProjectEnvironmentsConnectionEdge, Environment);
connection!(ProjectServicesConnection, ProjectServicesConnectionEdge, Service);
connection!(ProjectVolumesConnection, ProjectVolumesConnectionEdge, Volume);
connection!(WorkspaceProjectsConnection, WorkspaceProjectsConnectionEdge, Project);
connection!(EnvironmentServiceInstancesConnection, EnvironmentServiceInstancesConnectionEdge, ServiceInstance);
connection!(EnvironmentVolumeInstancesConnection, EnvironmentVolumeInstancesConnectionEdge, VolumeInstance);
connection!(ServiceServiceInstancesConnection, ServiceServiceInstancesConnectionEdge, ServiceInstance);

// ---------------------------------------------------------------------------------------------
// Object types: each wraps a snapshot of its record and reads related records from the store.

fn store_of<'c>(ctx: &Context<'c>) -> Result<&'c Arc<Store>> {
    ctx.data::<Arc<Store>>()
}

fn read<T>(ctx: &Context<'_>, read: impl FnOnce(&State) -> Result<T, Refusal>) -> Result<T> {
    Ok(store_of(ctx)?.read(read)?)
}

/// Every project (the emulator has one workspace), as `(cursor, node)` pairs.
fn all_projects(ctx: &Context<'_>) -> Result<Vec<(String, Project)>> {
    read(ctx, |state| Ok(state.projects.iter().map(|p| (p.id.clone(), Project(p.clone()))).collect()))
}

pub struct Project(store::Project);

#[Object(name = "Project")]
impl Project {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn description(&self) -> Option<&str> {
        self.0.description.as_deref()
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at.clone())
    }
    async fn workspace_id(&self) -> Option<String> {
        Some(WORKSPACE_ID.to_string())
    }
    async fn workspace(&self) -> Option<Workspace> {
        Some(Workspace)
    }
    async fn environments(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        is_ephemeral: Option<bool>,
        last: Option<i32>,
    ) -> Result<ProjectEnvironmentsConnection> {
        let nodes = environments_of(ctx, &self.0.id, is_ephemeral)?;
        Ok(ProjectEnvironmentsConnection::paged(&Page::new(after, before, first, last), nodes))
    }
    async fn services(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ProjectServicesConnection> {
        let nodes = read(ctx, |state| {
            Ok(state.services_of(&self.0.id).map(|s| (s.id.clone(), Service(s.clone()))).collect::<Vec<_>>())
        })?;
        Ok(ProjectServicesConnection::paged(&Page::new(after, before, first, last), nodes))
    }
    async fn volumes(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ProjectVolumesConnection> {
        let nodes = read(ctx, |state| {
            let volumes = state.volumes.iter().filter(|v| v.project_id == self.0.id);
            Ok(volumes.map(|v| (v.id.clone(), Volume(v.clone()))).collect::<Vec<_>>())
        })?;
        Ok(ProjectVolumesConnection::paged(&Page::new(after, before, first, last), nodes))
    }
}

fn environments_of(
    ctx: &Context<'_>,
    project_id: &str,
    is_ephemeral: Option<bool>,
) -> Result<Vec<(String, Environment)>> {
    if is_ephemeral == Some(true) {
        return Ok(Vec::new());
    }
    read(ctx, |state| {
        state.project(project_id)?;
        Ok(state.environments_of(project_id).map(|e| (e.id.clone(), Environment(e.clone()))).collect())
    })
}

pub struct Environment(store::Environment);

#[Object(name = "Environment")]
impl Environment {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn project_id(&self) -> &str {
        &self.0.project_id
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at.clone())
    }
    async fn is_ephemeral(&self) -> bool {
        false
    }
    /// The environment as JSON keyed by ids; values only with `decryptVariables: true`.
    async fn config(&self, ctx: &Context<'_>, decrypt_variables: Option<bool>) -> Result<EnvironmentConfig> {
        let decrypt = decrypt_variables.unwrap_or(false);
        read(ctx, |state| resolve::config_json(state, &self.0.id, decrypt)).map(EnvironmentConfig)
    }
    /// Changes exactly when the environment's config or its services' names change.
    async fn config_etag(&self, ctx: &Context<'_>) -> Result<String> {
        read(ctx, |state| resolve::config_etag(state, &self.0.id))
    }
    async fn service_instances(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<EnvironmentServiceInstancesConnection> {
        let nodes = read(ctx, |state| Ok(instance_nodes(state, state.instances_in(&self.0.id))))?;
        Ok(EnvironmentServiceInstancesConnection::paged(&Page::new(after, before, first, last), nodes))
    }
    async fn volume_instances(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<EnvironmentVolumeInstancesConnection> {
        let nodes = read(ctx, |state| {
            let mounts = state.volume_instances_in(&self.0.id);
            Ok(mounts.map(|m| (m.id.clone(), VolumeInstance(m.clone()))).collect::<Vec<_>>())
        })?;
        Ok(EnvironmentVolumeInstancesConnection::paged(&Page::new(after, before, first, last), nodes))
    }
}

fn instance_nodes<'s>(
    state: &'s State,
    instances: impl Iterator<Item = &'s store::Instance>,
) -> Vec<(String, ServiceInstance)> {
    instances
        .filter_map(|instance| {
            let service = state.service(&instance.service_id).ok()?;
            Some((
                instance.id.clone(),
                ServiceInstance { instance: instance.clone(), service_name: service.name.clone() },
            ))
        })
        .collect()
}

pub struct Service(store::Service);

#[Object(name = "Service")]
impl Service {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn icon(&self) -> Option<&str> {
        self.0.icon.as_deref()
    }
    async fn project_id(&self) -> &str {
        &self.0.project_id
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at.clone())
    }
    async fn project(&self, ctx: &Context<'_>) -> Result<Project> {
        read(ctx, |state| state.project(&self.0.project_id).cloned()).map(Project)
    }
    async fn service_instances(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<ServiceServiceInstancesConnection> {
        let nodes =
            read(ctx, |state| Ok(instance_nodes(state, state.instances.iter().filter(|i| i.service_id == self.0.id))))?;
        Ok(ServiceServiceInstancesConnection::paged(&Page::new(after, before, first, last), nodes))
    }
}

pub struct ServiceInstance {
    instance: store::Instance,
    service_name: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ServiceSource")]
pub struct ServiceSource {
    image: Option<String>,
    repo: Option<String>,
}

#[Object(name = "ServiceInstance")]
impl ServiceInstance {
    async fn id(&self) -> ID {
        ID(self.instance.id.clone())
    }
    async fn service_id(&self) -> &str {
        &self.instance.service_id
    }
    async fn service_name(&self) -> &str {
        &self.service_name
    }
    async fn environment_id(&self) -> &str {
        &self.instance.environment_id
    }
    async fn source(&self) -> Option<ServiceSource> {
        self.instance.source.as_ref().map(|source| match source {
            store::Source::Image { image } => ServiceSource { image: Some(image.clone()), repo: None },
            store::Source::Repo { repo, .. } => ServiceSource { image: None, repo: Some(repo.clone()) },
        })
    }
    async fn start_command(&self) -> Option<&str> {
        self.instance.settings.start_command.as_deref()
    }
    async fn healthcheck_path(&self) -> Option<&str> {
        self.instance.settings.healthcheck_path.as_deref()
    }
    async fn num_replicas(&self) -> Option<i32> {
        self.instance.settings.num_replicas
    }
    async fn cron_schedule(&self) -> Option<&str> {
        self.instance.settings.cron_schedule.as_deref()
    }
    async fn root_directory(&self) -> Option<&str> {
        self.instance.settings.root_directory.as_deref()
    }
    async fn restart_policy_type(&self) -> RestartPolicyType {
        self.instance.settings.restart_policy_type.into()
    }
    async fn service(&self, ctx: &Context<'_>) -> Result<Service> {
        read(ctx, |state| state.service(&self.instance.service_id).cloned()).map(Service)
    }
}

pub struct Volume(store::Volume);

#[Object(name = "Volume")]
impl Volume {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn name(&self) -> &str {
        &self.0.name
    }
    async fn project_id(&self) -> &str {
        &self.0.project_id
    }
    async fn created_at(&self) -> DateTime {
        DateTime(self.0.created_at.clone())
    }
    async fn project(&self, ctx: &Context<'_>) -> Result<Project> {
        read(ctx, |state| state.project(&self.0.project_id).cloned()).map(Project)
    }
}

pub struct VolumeInstance(store::VolumeInstance);

#[Object(name = "VolumeInstance")]
impl VolumeInstance {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn mount_path(&self) -> &str {
        &self.0.mount_path
    }
    async fn environment_id(&self) -> &str {
        &self.0.environment_id
    }
    async fn service_id(&self) -> Option<&str> {
        Some(&self.0.service_id)
    }
    async fn volume_id(&self) -> &str {
        &self.0.volume_id
    }
    async fn volume(&self, ctx: &Context<'_>) -> Result<Volume> {
        read(ctx, |state| state.volume(&self.0.volume_id).cloned()).map(Volume)
    }
    async fn service(&self, ctx: &Context<'_>) -> Result<Service> {
        read(ctx, |state| state.service(&self.0.service_id).cloned()).map(Service)
    }
    async fn environment(&self, ctx: &Context<'_>) -> Result<Environment> {
        read(ctx, |state| state.environment(&self.0.environment_id).cloned()).map(Environment)
    }
}

/// What a project token is bound to.
pub struct ProjectToken {
    project: store::Project,
    environment: store::Environment,
}

#[Object(name = "ProjectToken")]
impl ProjectToken {
    async fn id(&self) -> ID {
        ID(format!("{}:{}", self.project.id, self.environment.id))
    }
    async fn name(&self) -> &str {
        "emulator"
    }
    async fn project_id(&self) -> &str {
        &self.project.id
    }
    async fn environment_id(&self) -> &str {
        &self.environment.id
    }
    async fn project(&self) -> Project {
        Project(self.project.clone())
    }
    async fn environment(&self) -> Environment {
        Environment(self.environment.clone())
    }
}

pub struct User;

#[Object(name = "User")]
impl User {
    async fn id(&self) -> ID {
        ID(USER_ID.to_string())
    }
    async fn name(&self) -> Option<&str> {
        Some("Emulator User")
    }
    async fn email(&self) -> &str {
        "emulator@railform.invalid"
    }
    async fn workspaces(&self) -> Vec<Workspace> {
        vec![Workspace]
    }
}

pub struct Workspace;

#[Object(name = "Workspace")]
impl Workspace {
    async fn id(&self) -> ID {
        ID(WORKSPACE_ID.to_string())
    }
    async fn name(&self) -> &str {
        WORKSPACE_NAME
    }
    async fn projects(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<WorkspaceProjectsConnection> {
        let page = Page::new(after, before, first, last);
        Ok(WorkspaceProjectsConnection::paged(&page, all_projects(ctx)?))
    }
}

#[derive(SimpleObject)]
#[graphql(name = "ApiTokenWorkspace")]
pub struct ApiTokenWorkspace {
    id: String,
    name: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ApiTokenContext")]
pub struct ApiTokenContext {
    workspaces: Vec<ApiTokenWorkspace>,
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
            Ok(ServiceInstance { instance: instance.clone(), service_name: service.name.clone() })
        })
    }

    /// A service's variables (or, without `serviceId`, the shared ones): rendered, or raw with
    /// `unrendered: true`; sealed values are `null`.
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

    /// What a deployment of the service sees: its variables rendered, plus Railway's built-ins.
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
            let variables = Renderer::new(state, &environment_id)?.deployment_variables(&service_id);
            Ok(EnvironmentVariables(variables.into_iter().map(|(name, value)| (name, Some(value))).collect()))
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
    pub name: String,
    pub project_id: String,
    pub skip_initial_deploys: Option<bool>,
    pub source_environment_id: Option<String>,
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
        write(ctx, |state, _| state.deploy(&environment_id, &service_id)).map(|_| true)
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
        write(ctx, |state, _| state.deploy(&environment_id, &service_id))
    }
}
