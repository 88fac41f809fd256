//! The GraphQL object types, enums and scalars the emulator serves, each named and typed as in
//! Railway's schema (`graphql/railway.schema.graphql`), with only the fields the emulator can
//! answer truthfully. Each object wraps a snapshot of its record and reads related records from
//! the [`Store`].

use std::collections::BTreeMap;
use std::sync::Arc;

use async_graphql::{ComplexObject, Context, Enum, Object, Result, SimpleObject, ID};
use serde::{Deserialize, Serialize};

use super::config::{self, DEFAULT_REGION, DEFAULT_VOLUME_SIZE_MB};
use super::cron::Schedule;
use super::networking::{self, Region as KnownRegion};
use super::patch;
use super::store::{self, DeploymentState, Refusal, State, Store};

/// The single workspace every emulated project belongs to.
pub const WORKSPACE_ID: &str = "00000000-0000-4000-8000-000000000001";
pub const WORKSPACE_NAME: &str = "Emulator";
const USER_ID: &str = "00000000-0000-4000-8000-000000000002";

/// The cost a field adds to a document's complexity when it can answer a large value (a whole
/// config, a variable map): a document may ask for a few of them, not thousands.
pub const EXPENSIVE: usize = 50;

pub(super) fn store_of<'c>(ctx: &Context<'c>) -> Result<&'c Arc<Store>> {
    ctx.data::<Arc<Store>>()
}

pub(super) fn read<T>(ctx: &Context<'_>, read: impl FnOnce(&State) -> Result<T, Refusal>) -> Result<T> {
    Ok(store_of(ctx)?.read(read)?)
}

// ---------------------------------------------------------------------------------------------
// Scalars

/// Railway's `EnvironmentVariables`: a JSON map of name to value (`null` for a sealed value).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentVariables(pub BTreeMap<String, Option<String>>);
async_graphql::scalar!(EnvironmentVariables, "EnvironmentVariables");

/// Railway's `EnvironmentConfig`: an environment (or a patch of one) as JSON maps keyed by ids.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EnvironmentConfig(pub serde_json::Value);
async_graphql::scalar!(EnvironmentConfig, "EnvironmentConfig");

/// Railway's `DeploymentMeta`: what a deployment ran and why.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeploymentMeta(pub serde_json::Value);
async_graphql::scalar!(DeploymentMeta, "DeploymentMeta");

/// Railway's `JSON`: any JSON value.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Json(pub serde_json::Value);
async_graphql::scalar!(Json, "JSON");

/// Railway's `DateTime`: an RFC 3339 timestamp.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DateTime(pub String);
async_graphql::scalar!(DateTime, "DateTime");

fn date(stamp: &str) -> DateTime {
    DateTime(stamp.to_string())
}

// ---------------------------------------------------------------------------------------------
// Enums

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "RestartPolicyType")]
pub enum RestartPolicyType {
    Always,
    Never,
    OnFailure,
}

impl RestartPolicyType {
    /// The EnvironmentConfig spelling (`deploy.restartPolicyType`).
    pub fn as_str(self) -> &'static str {
        match self {
            RestartPolicyType::Always => "ALWAYS",
            RestartPolicyType::Never => "NEVER",
            RestartPolicyType::OnFailure => "ON_FAILURE",
        }
    }

    fn from_config(value: Option<&str>) -> Self {
        match value {
            Some("ALWAYS") => RestartPolicyType::Always,
            Some("NEVER") => RestartPolicyType::Never,
            _ => RestartPolicyType::OnFailure,
        }
    }
}

/// Every one of Railway's deployment statuses (clients filter on any of them); the emulator's
/// deployments go `INITIALIZING` → `BUILDING` → `DEPLOYING` → `SUCCESS` | `FAILED` | `CRASHED`,
/// and `REMOVED` once replaced or removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "DeploymentStatus")]
pub enum DeploymentStatus {
    Building,
    Crashed,
    Deploying,
    Failed,
    Initializing,
    NeedsApproval,
    Queued,
    Removed,
    Removing,
    Skipped,
    Sleeping,
    Success,
    Waiting,
}

impl From<DeploymentState> for DeploymentStatus {
    fn from(state: DeploymentState) -> Self {
        match state {
            DeploymentState::Initializing => DeploymentStatus::Initializing,
            DeploymentState::Building => DeploymentStatus::Building,
            DeploymentState::Deploying => DeploymentStatus::Deploying,
            DeploymentState::Success => DeploymentStatus::Success,
            DeploymentState::Failed => DeploymentStatus::Failed,
            DeploymentState::Crashed => DeploymentStatus::Crashed,
            DeploymentState::Removed => DeploymentStatus::Removed,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "DeploymentInstanceStatus")]
pub enum DeploymentInstanceStatus {
    Crashed,
    Removed,
    Running,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "EnvironmentPatchStatus", remote = "store::PatchStatus")]
pub enum EnvironmentPatchStatus {
    Applying,
    Committed,
    Staged,
}

/// Railway's `ServiceDomainSyncStatus`, `CustomDomainSyncStatus` and `TCPProxySyncStatus`
/// share these values; the emulator's are always `ACTIVE`.
macro_rules! sync_status {
    ($name:ident, $graphql:literal) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
        #[graphql(name = $graphql)]
        pub enum $name {
            Active,
        }
    };
}
sync_status!(ServiceDomainSyncStatus, "ServiceDomainSyncStatus");
sync_status!(CustomDomainSyncStatus, "CustomDomainSyncStatus");
sync_status!(TcpProxySyncStatus, "TCPProxySyncStatus");

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "VolumeState")]
pub enum VolumeState {
    Ready,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "DNSRecordType")]
pub enum DnsRecordType {
    #[graphql(name = "DNS_RECORD_TYPE_CNAME")]
    Cname,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "DNSRecordStatus")]
pub enum DnsRecordStatus {
    #[graphql(name = "DNS_RECORD_STATUS_REQUIRES_UPDATE")]
    RequiresUpdate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "DNSRecordPurpose")]
pub enum DnsRecordPurpose {
    #[graphql(name = "DNS_RECORD_PURPOSE_TRAFFIC_ROUTE")]
    TrafficRoute,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "CertificateStatus")]
pub enum CertificateStatus {
    #[graphql(name = "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP")]
    ValidatingOwnership,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "CertificateStatusDetailed")]
pub enum CertificateStatusDetailed {
    #[graphql(name = "CERTIFICATE_STATUS_TYPE_DETAILED_UNSPECIFIED")]
    Unspecified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "CertificateErrorType")]
pub enum CertificateErrorType {
    #[graphql(name = "CERTIFICATE_ERROR_TYPE_UNSPECIFIED")]
    Unspecified,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "KeyType")]
pub enum KeyType {
    #[graphql(name = "KEY_TYPE_ECDSA")]
    Ecdsa,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[graphql(name = "CDNProvider")]
pub enum CdnProvider {
    #[graphql(name = "DETECTED_CDN_PROVIDER_UNSPECIFIED")]
    Unspecified,
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
    pub fn new(after: Option<String>, before: Option<String>, first: Option<i32>, last: Option<i32>) -> Self {
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
            pub fn paged(page: &Page, nodes: impl IntoIterator<Item = (String, $node)>) -> Self {
                let (edges, page_info) = page.apply(nodes.into_iter().collect());
                let edges = edges.into_iter().map(|(cursor, node)| $edge { cursor, node }).collect();
                $connection { edges, page_info }
            }
        }
    };
}

connection!(QueryProjectsConnection, QueryProjectsConnectionEdge, Project);
connection!(QueryEnvironmentsConnection, QueryEnvironmentsConnectionEdge, Environment);
connection!(QueryDeploymentsConnection, QueryDeploymentsConnectionEdge, Deployment);
connection!(ProjectEnvironmentsConnection, ProjectEnvironmentsConnectionEdge, Environment);
connection!(ProjectServicesConnection, ProjectServicesConnectionEdge, Service);
connection!(ProjectVolumesConnection, ProjectVolumesConnectionEdge, Volume);
connection!(ProjectBucketsConnection, ProjectBucketsConnectionEdge, Bucket);
connection!(WorkspaceProjectsConnection, WorkspaceProjectsConnectionEdge, Project);
connection!(EnvironmentServiceInstancesConnection, EnvironmentServiceInstancesConnectionEdge, ServiceInstance);
connection!(EnvironmentVolumeInstancesConnection, EnvironmentVolumeInstancesConnectionEdge, VolumeInstance);
connection!(EnvironmentDeploymentsConnection, EnvironmentDeploymentsConnectionEdge, Deployment);
connection!(EnvironmentVariablesConnection, EnvironmentVariablesConnectionEdge, Variable);
connection!(ServiceServiceInstancesConnection, ServiceServiceInstancesConnectionEdge, ServiceInstance);

// ---------------------------------------------------------------------------------------------
// Workspaces, users, tokens

/// Every project (the emulator has one workspace), as `(cursor, node)` pairs.
pub fn all_projects(ctx: &Context<'_>) -> Result<Vec<(String, Project)>> {
    read(ctx, |state| Ok(state.projects.iter().map(|p| (p.id.clone(), Project(p.clone()))).collect()))
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
    /// Deprecated by Railway ("Teams are being removed"); a workspace made today has none.
    async fn team(&self) -> Option<Team> {
        None
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
#[graphql(name = "Team")]
pub struct Team {
    id: ID,
    name: String,
}

/// A workspace the user reaches as an outside collaborator (the emulator's user has none).
#[derive(SimpleObject)]
#[graphql(name = "ExternalWorkspace")]
pub struct ExternalWorkspace {
    id: String,
    name: String,
    team_id: Option<String>,
    projects: Vec<Project>,
}

#[derive(SimpleObject)]
#[graphql(name = "ApiTokenWorkspace")]
pub struct ApiTokenWorkspace {
    pub id: String,
    pub name: String,
}

#[derive(SimpleObject)]
#[graphql(name = "ApiTokenContext")]
pub struct ApiTokenContext {
    pub workspaces: Vec<ApiTokenWorkspace>,
}

/// What a project token is bound to.
pub struct ProjectToken {
    pub project: store::Project,
    pub environment: store::Environment,
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

#[derive(SimpleObject)]
#[graphql(name = "RegionDeprecationInfo")]
pub struct RegionDeprecationInfo {
    is_deprecated: bool,
    replacement_region: String,
}

#[derive(SimpleObject)]
#[graphql(name = "RegionDeploymentConstraints")]
pub struct RegionDeploymentConstraints {
    deprecation_info: Option<RegionDeprecationInfo>,
}

pub struct Region(pub KnownRegion);

#[Object(name = "Region")]
impl Region {
    async fn id(&self) -> Option<&str> {
        Some(self.0.id)
    }
    async fn name(&self) -> &str {
        self.0.id
    }
    async fn region(&self) -> Option<&str> {
        Some(self.0.region)
    }
    async fn location(&self) -> &str {
        self.0.location
    }
    async fn country(&self) -> &str {
        self.0.country
    }
    async fn workspace_id(&self) -> Option<&str> {
        None
    }
    async fn deployment_constraints(&self) -> Option<RegionDeploymentConstraints> {
        None
    }
}

// ---------------------------------------------------------------------------------------------
// Projects, environments, services

pub struct Project(pub store::Project);

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
        date(&self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        date(self.0.updated_at.as_deref().unwrap_or(&self.0.created_at))
    }
    /// Deleted projects are gone from the emulator, so this is always null.
    async fn deleted_at(&self) -> Option<DateTime> {
        None
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
    /// The emulator has no buckets, so a project's bucket list is empty.
    async fn buckets(
        &self,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> ProjectBucketsConnection {
        ProjectBucketsConnection::paged(&Page::new(after, before, first, last), Vec::new())
    }
}

/// Railway's object-storage bucket; the emulator never has one.
#[derive(SimpleObject)]
#[graphql(name = "Bucket")]
pub struct Bucket {
    id: ID,
    name: String,
    group_id: Option<String>,
    project_id: String,
    created_at: DateTime,
    updated_at: DateTime,
}

/// A project's environments; ephemeral ones only with `is_ephemeral: Some(true)`, permanent
/// ones only with `Some(false)`, all of them without it.
pub fn environments_of(
    ctx: &Context<'_>,
    project_id: &str,
    is_ephemeral: Option<bool>,
) -> Result<Vec<(String, Environment)>> {
    read(ctx, |state| {
        state.project(project_id)?;
        Ok(state
            .environments_of(project_id)
            .filter(|e| is_ephemeral.is_none_or(|wanted| e.is_ephemeral == wanted))
            .map(|e| (e.id.clone(), Environment(e.clone())))
            .collect())
    })
}

#[derive(SimpleObject, Default)]
#[graphql(name = "EnvironmentMeta")]
pub struct EnvironmentMeta {
    base_branch: Option<String>,
    branch: Option<String>,
    pr_number: Option<i32>,
    pr_repo: Option<String>,
    pr_title: Option<String>,
}

pub struct Environment(pub store::Environment);

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
        date(&self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        date(self.0.updated_at.as_deref().unwrap_or(&self.0.created_at))
    }
    /// Deleted environments are gone from the emulator, so this is always null.
    async fn deleted_at(&self) -> Option<DateTime> {
        None
    }
    /// The emulator has no per-environment permissions: every caller can access every one.
    async fn can_access(&self) -> bool {
        true
    }
    async fn is_ephemeral(&self) -> bool {
        self.0.is_ephemeral
    }
    /// Pull-request data; the emulator's environments come from no pull request.
    async fn meta(&self) -> Option<EnvironmentMeta> {
        None
    }
    async fn source_environment(&self, ctx: &Context<'_>) -> Result<Option<Environment>> {
        let Some(source) = &self.0.source_environment_id else { return Ok(None) };
        read(ctx, |state| Ok(state.environment(source).ok().cloned().map(Environment)))
    }
    /// How many changes are staged and not committed.
    async fn unmerged_changes_count(&self, ctx: &Context<'_>) -> Result<Option<i32>> {
        read(ctx, |state| Ok(Some(state.staged_patch(&self.0.id).map_or(0, |p| patch::count_changes(&p.patch)))))
    }
    /// The canvas group of each grouped resource, by resource id: the emulator has no groups.
    async fn canvas_group_refs(&self) -> Json {
        Json(serde_json::Value::Object(serde_json::Map::new()))
    }
    /// The environment as JSON keyed by ids; values only with `decryptVariables: true`.
    #[graphql(complexity = "EXPENSIVE")]
    async fn config(&self, ctx: &Context<'_>, decrypt_variables: Option<bool>) -> Result<EnvironmentConfig> {
        if let Some(budget) = ctx.data_opt::<Arc<super::limits::ConfigBudget>>() {
            budget.take().map_err(async_graphql::Error::new)?;
        }
        let decrypt = decrypt_variables.unwrap_or(false);
        read(ctx, |state| config::config_json(state, &self.0.id, decrypt)).map(EnvironmentConfig)
    }
    /// Changes exactly when the environment's config or its services' names change.
    async fn config_etag(&self, ctx: &Context<'_>) -> Result<String> {
        read(ctx, |state| config::config_etag(state, &self.0.id))
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
    /// Every variable of the environment (shared ones first, then each instance's), with when
    /// it was created and last changed; no values.
    async fn variables(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<EnvironmentVariablesConnection> {
        let nodes = read(ctx, |state| Ok(variable_nodes(state, state.environment(&self.0.id)?)))?;
        Ok(EnvironmentVariablesConnection::paged(&Page::new(after, before, first, last), nodes))
    }
    /// The environment's deployments, newest first.
    async fn deployments(
        &self,
        ctx: &Context<'_>,
        after: Option<String>,
        before: Option<String>,
        first: Option<i32>,
        last: Option<i32>,
    ) -> Result<EnvironmentDeploymentsConnection> {
        let nodes = read(ctx, |state| {
            let now = store::clock_ms();
            let here = state.deployments.iter().enumerate().rev().filter(|(_, d)| d.environment_id == self.0.id);
            Ok(here.map(|(index, d)| (d.id.clone(), Deployment::of(state, index, now))).collect::<Vec<_>>())
        })?;
        Ok(EnvironmentDeploymentsConnection::paged(&Page::new(after, before, first, last), nodes))
    }
}

/// The variables of one environment as `Variable` nodes: its shared variables (`serviceId`
/// null), then each service instance's, by name.
fn variable_nodes(state: &State, environment: &store::Environment) -> Vec<(String, Variable)> {
    let mut nodes = Vec::new();
    let mut add = |service_id: Option<&str>, variables: &BTreeMap<String, store::Variable>, fallback: &str| {
        for (name, variable) in variables {
            let node = Variable::new(&environment.id, service_id, name, variable, fallback);
            nodes.push((node.id.0.clone(), node));
        }
    };
    add(None, &environment.shared_variables, &environment.created_at);
    for instance in state.instances_in(&environment.id) {
        let created = instance.created_at.as_deref().unwrap_or(&environment.created_at);
        add(Some(&instance.service_id), &instance.variables, created);
    }
    nodes
}

/// One variable of an environment (its value is read with `variables(…)`).
#[derive(SimpleObject)]
#[graphql(name = "Variable")]
pub struct Variable {
    id: ID,
    name: String,
    environment_id: Option<String>,
    /// Null for a shared variable.
    service_id: Option<String>,
    is_sealed: bool,
    created_at: DateTime,
    /// When its value (or seal, or metadata) last changed.
    updated_at: DateTime,
}

impl Variable {
    fn new(
        environment_id: &str,
        service_id: Option<&str>,
        name: &str,
        variable: &store::Variable,
        fallback_created: &str,
    ) -> Self {
        use sha2::{Digest, Sha256};
        let digest = Sha256::digest(format!("variable/{environment_id}/{}/{name}", service_id.unwrap_or("shared")));
        let mut bytes = [0u8; 16];
        bytes.copy_from_slice(&digest[..16]);
        let created = variable.created_at.as_deref().unwrap_or(fallback_created);
        Variable {
            id: ID(store::uuid_from(bytes)),
            name: name.to_string(),
            environment_id: Some(environment_id.to_string()),
            service_id: service_id.map(str::to_string),
            is_sealed: variable.sealed,
            created_at: date(created),
            updated_at: date(variable.updated_at.as_deref().unwrap_or(created)),
        }
    }
}

pub fn instance_nodes<'s>(
    state: &'s State,
    instances: impl Iterator<Item = &'s store::Instance>,
) -> Vec<(String, ServiceInstance)> {
    instances
        .filter_map(|instance| {
            let service = state.service(&instance.service_id).ok()?;
            Some((instance.id.clone(), ServiceInstance::new(instance.clone(), service.name.clone())))
        })
        .collect()
}

pub struct Service(pub store::Service);

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
        date(&self.0.created_at)
    }
    /// The template service it was deployed from: services created through the API have none.
    async fn template_service_id(&self) -> Option<&str> {
        None
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

impl ServiceInstance {
    pub fn new(instance: store::Instance, service_name: String) -> Self {
        ServiceInstance { instance, service_name }
    }

    fn deploy(&self) -> Option<&config::DeployConfig> {
        self.instance.config.deploy.as_ref()
    }
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
    async fn created_at(&self) -> DateTime {
        date(self.instance.created_at.as_deref().unwrap_or_default())
    }
    async fn deleted_at(&self) -> Option<DateTime> {
        None
    }
    async fn source(&self) -> Option<ServiceSource> {
        let source = self.instance.config.source.as_ref()?;
        if source.image.is_none() && source.repo.is_none() {
            return None;
        }
        Some(ServiceSource { image: source.image.clone(), repo: source.repo.clone() })
    }
    async fn start_command(&self) -> Option<&str> {
        self.deploy()?.start_command.as_deref()
    }
    async fn healthcheck_path(&self) -> Option<&str> {
        self.deploy()?.healthcheck_path.as_deref()
    }
    async fn healthcheck_timeout(&self) -> Option<i32> {
        self.deploy()?.healthcheck_timeout.and_then(|t| i32::try_from(t).ok())
    }
    async fn num_replicas(&self) -> Option<i32> {
        self.deploy()?.num_replicas.and_then(|n| i32::try_from(n).ok())
    }
    async fn cron_schedule(&self) -> Option<&str> {
        self.deploy()?.cron_schedule.as_deref()
    }
    /// The next time the cron schedule runs, in UTC.
    async fn next_cron_run_at(&self) -> Option<DateTime> {
        let schedule = Schedule::parse(self.deploy()?.cron_schedule.as_deref()?).ok()?;
        let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok()?.as_secs();
        schedule.next_after(now).map(DateTime)
    }
    async fn root_directory(&self) -> Option<&str> {
        self.instance.config.source.as_ref()?.root_directory.as_deref()
    }
    async fn restart_policy_type(&self) -> RestartPolicyType {
        RestartPolicyType::from_config(self.deploy().and_then(|d| d.restart_policy_type.as_deref()))
    }
    /// Railway's default is 10 retries.
    async fn restart_policy_max_retries(&self) -> i32 {
        self.deploy().and_then(|d| d.restart_policy_max_retries).and_then(|n| i32::try_from(n).ok()).unwrap_or(10)
    }
    async fn sleep_application(&self) -> Option<bool> {
        self.deploy()?.sleep_application
    }
    async fn draining_seconds(&self) -> Option<i32> {
        self.deploy()?.draining_seconds.and_then(|n| i32::try_from(n).ok())
    }
    async fn overlap_seconds(&self) -> Option<i32> {
        self.deploy()?.overlap_seconds.and_then(|n| i32::try_from(n).ok())
    }
    async fn build_command(&self) -> Option<&str> {
        self.instance.config.build.as_ref()?.build_command.as_deref()
    }
    async fn dockerfile_path(&self) -> Option<&str> {
        self.instance.config.build.as_ref()?.dockerfile_path.as_deref()
    }
    async fn watch_patterns(&self) -> Vec<String> {
        self.instance.config.build.as_ref().and_then(|b| b.watch_patterns.clone()).unwrap_or_default()
    }
    async fn railway_config_file(&self) -> Option<&str> {
        self.instance.config.config_file.as_deref()
    }
    /// The first region of `multiRegionConfig`, or the default one.
    async fn region(&self) -> Option<String> {
        let configured =
            self.deploy().and_then(|d| d.multi_region_config.as_ref()).and_then(|r| r.keys().next().cloned());
        Some(configured.unwrap_or_else(|| DEFAULT_REGION.to_string()))
    }
    /// The emulator traces nothing.
    async fn tracing_enabled(&self) -> bool {
        false
    }
    async fn auto_instrumentation_enabled(&self) -> bool {
        false
    }
    async fn service(&self, ctx: &Context<'_>) -> Result<Service> {
        read(ctx, |state| state.service(&self.instance.service_id).cloned()).map(Service)
    }
    /// The instance's most recent deployment, whatever its status (in progress, failed…).
    async fn latest_deployment(&self, ctx: &Context<'_>) -> Result<Option<Deployment>> {
        let (environment, service) = (&self.instance.environment_id, &self.instance.service_id);
        read(ctx, |state| {
            let latest = state.deployment_indexes_of(environment, service).next_back();
            Ok(latest.map(|index| Deployment::of(state, index, store::clock_ms())))
        })
    }
    /// The deployments running now (`SUCCESS`; one per instance at most).
    async fn active_deployments(&self, ctx: &Context<'_>) -> Result<Vec<Deployment>> {
        let (environment, service) = (&self.instance.environment_id, &self.instance.service_id);
        read(ctx, |state| {
            let now = store::clock_ms();
            let views =
                state.deployment_indexes_of(environment, service).map(|index| Deployment::of(state, index, now));
            Ok(views.filter(|view| view.status == DeploymentState::Success).collect())
        })
    }
    /// When a committed change last changed what a new deployment of this instance would run:
    /// its settings, variables, networking or volume, or the rendered value of a variable it
    /// references (a shared variable, another service's). A deployment created after it runs
    /// the instance as it is.
    async fn updated_at(&self) -> DateTime {
        let instance = &self.instance;
        date(instance.updated_at.as_deref().or(instance.created_at.as_deref()).unwrap_or_default())
    }
    async fn domains(&self, ctx: &Context<'_>) -> Result<AllDomains> {
        read(ctx, |state| Ok(AllDomains::of(state, &self.instance.environment_id, &self.instance.service_id)))
    }
}

// ---------------------------------------------------------------------------------------------
// Deployments

#[derive(SimpleObject)]
#[graphql(name = "DeploymentDeploymentInstance")]
pub struct DeploymentDeploymentInstance {
    id: String,
    status: DeploymentInstanceStatus,
}

/// A deployment as read at one moment: its record and its status then.
pub struct Deployment {
    record: store::Deployment,
    status: DeploymentState,
    status_since_ms: u64,
    can_rollback: bool,
}

impl Deployment {
    /// The deployment at `index` of [`State::deployments`], as of `now` (ms since 1970).
    pub fn of(state: &State, index: usize, now: u64) -> Self {
        let at = state.deployment_status(index, now);
        Deployment {
            record: state.deployments[index].clone(),
            status: at.status,
            status_since_ms: at.since_ms,
            can_rollback: state.deployment_can_roll_back(index, now),
        }
    }

    /// The deployment `id`, as of now.
    pub fn by_id(state: &State, id: &str) -> Result<Self, Refusal> {
        Ok(Deployment::of(state, state.deployment_index(id)?, store::clock_ms()))
    }

    pub fn status(&self) -> DeploymentState {
        self.status
    }
}

#[Object(name = "Deployment")]
impl Deployment {
    async fn id(&self) -> ID {
        ID(self.record.id.clone())
    }
    /// Computed from the time: `INITIALIZING`, `BUILDING`, `DEPLOYING` for a third of
    /// `--deploy-seconds` each, then `SUCCESS`, `FAILED` or `CRASHED`; `REMOVED` once replaced.
    #[graphql(name = "status")]
    async fn graphql_status(&self) -> DeploymentStatus {
        self.status.into()
    }
    async fn created_at(&self) -> DateTime {
        date(&self.record.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        let since = store::timestamp_ms(self.status_since_ms);
        date(if since > self.record.updated_at { &since } else { &self.record.updated_at })
    }
    async fn status_updated_at(&self) -> Option<DateTime> {
        Some(DateTime(store::timestamp_ms(self.status_since_ms.max(self.record.started_ms))))
    }
    async fn project_id(&self) -> &str {
        &self.record.project_id
    }
    async fn environment_id(&self) -> &str {
        &self.record.environment_id
    }
    async fn service_id(&self) -> Option<&str> {
        Some(&self.record.service_id)
    }
    async fn environment(&self, ctx: &Context<'_>) -> Result<Environment> {
        read(ctx, |state| state.environment(&self.record.environment_id).cloned()).map(Environment)
    }
    async fn service(&self, ctx: &Context<'_>) -> Result<Service> {
        read(ctx, |state| state.service(&self.record.service_id).cloned()).map(Service)
    }
    async fn meta(&self) -> Option<DeploymentMeta> {
        (!self.record.meta.is_null()).then(|| DeploymentMeta(self.record.meta.clone()))
    }
    /// Only uploads (`railway up`) have snapshots; the emulator's deployments have none.
    async fn snapshot_id(&self) -> Option<String> {
        None
    }
    async fn can_redeploy(&self) -> bool {
        true
    }
    /// It ran successfully and a later deployment of the instance exists.
    async fn can_rollback(&self) -> bool {
        self.can_rollback
    }
    /// Nothing of it runs: it ended other than `SUCCESS`, or was replaced.
    async fn deployment_stopped(&self) -> bool {
        matches!(self.status, DeploymentState::Failed | DeploymentState::Crashed | DeploymentState::Removed)
    }
    /// One running instance per replica while the deployment is active (crashed ones while it
    /// has crashed).
    async fn instances(&self) -> Vec<DeploymentDeploymentInstance> {
        let status = match self.status {
            DeploymentState::Success => DeploymentInstanceStatus::Running,
            DeploymentState::Crashed => DeploymentInstanceStatus::Crashed,
            _ => return Vec::new(),
        };
        (0..self.record.replicas.max(0))
            .map(|replica| DeploymentDeploymentInstance { id: format!("{}-{replica}", self.record.id), status })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Domains and TCP proxies

pub struct ServiceDomain {
    record: store::ServiceDomain,
    project_id: String,
}

#[Object(name = "ServiceDomain")]
impl ServiceDomain {
    async fn id(&self) -> ID {
        ID(self.record.id.clone())
    }
    async fn domain(&self) -> &str {
        &self.record.domain
    }
    async fn suffix(&self) -> Option<&str> {
        Some(networking::SERVICE_DOMAIN_SUFFIX)
    }
    async fn environment_id(&self) -> &str {
        &self.record.environment_id
    }
    async fn service_id(&self) -> &str {
        &self.record.service_id
    }
    async fn project_id(&self) -> Option<&str> {
        Some(&self.project_id)
    }
    async fn target_port(&self) -> Option<i32> {
        self.record.target_port.and_then(|port| i32::try_from(port).ok())
    }
    async fn sync_status(&self) -> ServiceDomainSyncStatus {
        ServiceDomainSyncStatus::Active
    }
    async fn created_at(&self) -> Option<DateTime> {
        Some(date(&self.record.created_at))
    }
    async fn updated_at(&self) -> Option<DateTime> {
        Some(date(&self.record.updated_at))
    }
    async fn deleted_at(&self) -> Option<DateTime> {
        None
    }
}

impl ServiceDomain {
    pub fn of(state: &State, record: store::ServiceDomain) -> Self {
        let project_id = state.environment(&record.environment_id).map(|e| e.project_id.clone()).unwrap_or_default();
        ServiceDomain { record, project_id }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "DNSRecords")]
pub struct DnsRecords {
    current_value: String,
    fqdn: String,
    hostlabel: String,
    purpose: DnsRecordPurpose,
    record_type: DnsRecordType,
    required_value: String,
    status: DnsRecordStatus,
    zone: String,
}

#[derive(SimpleObject)]
#[graphql(name = "CertificatePublicData")]
pub struct CertificatePublicData {
    domain_names: Vec<String>,
    expires_at: Option<DateTime>,
    fingerprint_sha256: String,
    issued_at: Option<DateTime>,
    key_type: KeyType,
}

/// A custom domain's status: its DNS records are not in place (the emulator sees no DNS), so
/// it waits for ownership to be shown and has no certificate yet.
#[derive(SimpleObject)]
#[graphql(name = "CustomDomainStatus")]
pub struct CustomDomainStatus {
    cdn_provider: Option<CdnProvider>,
    certificate_error_message: Option<String>,
    certificate_error_type: Option<CertificateErrorType>,
    certificate_retryable: Option<bool>,
    certificate_status: CertificateStatus,
    certificate_status_detailed: Option<CertificateStatusDetailed>,
    certificates: Option<Vec<CertificatePublicData>>,
    dns_records: Vec<DnsRecords>,
    verification_dns_host: Option<String>,
    verification_token: Option<String>,
    verified: bool,
}

#[derive(SimpleObject)]
#[graphql(name = "CustomDomain", complex)]
pub struct CustomDomain {
    id: ID,
    domain: String,
    environment_id: String,
    project_id: Option<String>,
    service_id: String,
    target_port: Option<i32>,
    sync_status: CustomDomainSyncStatus,
    created_at: Option<DateTime>,
    updated_at: Option<DateTime>,
    deleted_at: Option<DateTime>,
    is_railway_domain: bool,
    #[graphql(skip)]
    record: store::CustomDomain,
}

#[ComplexObject]
impl CustomDomain {
    async fn status(&self) -> CustomDomainStatus {
        let dns_records = networking::dns_records(&self.record)
            .into_iter()
            .map(|record| DnsRecords {
                current_value: String::new(),
                fqdn: record.fqdn,
                hostlabel: record.hostlabel,
                purpose: DnsRecordPurpose::TrafficRoute,
                record_type: DnsRecordType::Cname,
                required_value: record.required_value,
                status: DnsRecordStatus::RequiresUpdate,
                zone: record.zone,
            })
            .collect();
        CustomDomainStatus {
            cdn_provider: None,
            certificate_error_message: None,
            certificate_error_type: None,
            certificate_retryable: None,
            certificate_status: CertificateStatus::ValidatingOwnership,
            certificate_status_detailed: None,
            certificates: Some(Vec::new()),
            dns_records,
            verification_dns_host: None,
            verification_token: None,
            verified: false,
        }
    }
}

impl CustomDomain {
    pub fn of(state: &State, record: store::CustomDomain) -> Self {
        let project_id = state.environment(&record.environment_id).ok().map(|e| e.project_id.clone());
        CustomDomain {
            id: ID(record.id.clone()),
            domain: record.domain.clone(),
            environment_id: record.environment_id.clone(),
            project_id,
            service_id: record.service_id.clone(),
            target_port: record.target_port.and_then(|port| i32::try_from(port).ok()),
            sync_status: CustomDomainSyncStatus::Active,
            created_at: Some(date(&record.created_at)),
            updated_at: Some(date(&record.updated_at)),
            deleted_at: None,
            is_railway_domain: false,
            record,
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "AllDomains")]
pub struct AllDomains {
    custom_domains: Vec<CustomDomain>,
    service_domains: Vec<ServiceDomain>,
}

impl AllDomains {
    pub fn of(state: &State, environment_id: &str, service_id: &str) -> Self {
        AllDomains {
            custom_domains: state
                .custom_domains_of(environment_id, service_id)
                .map(|d| CustomDomain::of(state, d.clone()))
                .collect(),
            service_domains: state
                .service_domains_of(environment_id, service_id)
                .map(|d| ServiceDomain::of(state, d.clone()))
                .collect(),
        }
    }
}

#[derive(SimpleObject)]
#[graphql(name = "TCPProxy")]
pub struct TcpProxy {
    id: ID,
    application_port: i32,
    proxy_port: i32,
    domain: String,
    environment_id: String,
    service_id: String,
    sync_status: TcpProxySyncStatus,
    created_at: Option<DateTime>,
    updated_at: Option<DateTime>,
    deleted_at: Option<DateTime>,
}

impl From<store::TcpProxy> for TcpProxy {
    fn from(record: store::TcpProxy) -> Self {
        TcpProxy {
            id: ID(record.id),
            application_port: i32::try_from(record.application_port).unwrap_or_default(),
            proxy_port: i32::try_from(record.proxy_port).unwrap_or_default(),
            domain: record.domain,
            environment_id: record.environment_id,
            service_id: record.service_id,
            sync_status: TcpProxySyncStatus::Active,
            created_at: Some(date(&record.created_at)),
            updated_at: Some(date(&record.updated_at)),
            deleted_at: None,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Volumes

pub struct Volume(pub store::Volume);

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
        date(&self.0.created_at)
    }
    async fn project(&self, ctx: &Context<'_>) -> Result<Project> {
        read(ctx, |state| state.project(&self.0.project_id).cloned()).map(Project)
    }
}

pub struct VolumeInstance(pub store::VolumeInstance);

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
    async fn created_at(&self) -> DateTime {
        date(self.0.created_at.as_deref().unwrap_or_default())
    }
    #[graphql(name = "sizeMB")]
    async fn size_mb(&self) -> i32 {
        i32::try_from(self.0.size_mb.unwrap_or(DEFAULT_VOLUME_SIZE_MB)).unwrap_or(i32::MAX)
    }
    /// Nothing runs in the emulator, so nothing is written to a volume.
    #[graphql(name = "currentSizeMB")]
    async fn current_size_mb(&self) -> f64 {
        0.0
    }
    async fn state(&self) -> Option<VolumeState> {
        Some(VolumeState::Ready)
    }
    async fn region(&self) -> Option<String> {
        Some(self.0.region.clone().unwrap_or_else(|| DEFAULT_REGION.to_string()))
    }
    async fn deleted_at(&self) -> Option<DateTime> {
        None
    }
    async fn is_pending_deletion(&self) -> bool {
        false
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

// ---------------------------------------------------------------------------------------------
// Staged changes and change sets

/// What `environmentPreviewChangeSet` answers.
#[derive(SimpleObject)]
#[graphql(name = "ChangeSetPreview")]
pub struct ChangeSetPreview {
    pub change_set: Json,
    pub diagnostics: Json,
    pub effects: Json,
}

pub struct EnvironmentPatch(pub store::StagedPatch);

#[Object(name = "EnvironmentPatch")]
impl EnvironmentPatch {
    async fn id(&self) -> ID {
        ID(self.0.id.clone())
    }
    async fn environment_id(&self) -> &str {
        &self.0.environment_id
    }
    async fn environment(&self, ctx: &Context<'_>) -> Result<Environment> {
        read(ctx, |state| state.environment(&self.0.environment_id).cloned()).map(Environment)
    }
    async fn status(&self) -> EnvironmentPatchStatus {
        self.0.status.into()
    }
    /// The staged patch; variable values only with `decryptVariables: true`.
    #[graphql(complexity = "EXPENSIVE")]
    async fn patch(&self, decrypt_variables: Option<bool>) -> EnvironmentConfig {
        match decrypt_variables {
            Some(true) => EnvironmentConfig(self.0.patch.clone()),
            _ => EnvironmentConfig(config::hide_values(&self.0.patch)),
        }
    }
    async fn created_at(&self) -> DateTime {
        date(&self.0.created_at)
    }
    async fn updated_at(&self) -> DateTime {
        date(&self.0.updated_at)
    }
    async fn last_applied_error(&self) -> Option<&str> {
        self.0.last_applied_error.as_deref()
    }
    async fn message(&self) -> Option<&str> {
        self.0.message.as_deref()
    }
    async fn applied_at(&self) -> Option<DateTime> {
        None
    }
}
