//! Live state: reads a Railway project through the [`railway`](crate::railway) client and
//! normalises it into [`LiveProject`], the shape the planner compares the files against. This is
//! the only place that maps GraphQL answers into railform's model.
//!
//! Cost: one request reads a project whose id is known (a pinned `project_id`) with every
//! environment's config; a project known by name takes one more to find it: at most 2 requests,
//! whatever the number of environments, services and variables. Should Railway refuse the whole
//! project in one document (too large or complex), the environments are read one request each,
//! concurrently (1 + E). A workspace token, which Railway's `me` refuses, needs a few more
//! requests to find a project by name.

mod config;
mod live;

use std::collections::BTreeMap;

use futures::future::try_join_all;

use crate::railway::operations::{self as ops};
use crate::railway::{ApiError, Client, RequestEvent, Token};

pub use config::{parse as parse_config, ConfigShapeError, ParsedConfig};
pub use live::{
    DeploymentState, DnsRecord, Ephemeral, LatestDeployment, LiveEnvironment, LiveInstance, LiveProject, LiveService,
    LiveSource, LiveValue, LiveVolumeMount,
};

/// Which project to read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProjectSelector {
    /// A pinned `project_id`.
    Id(String),
    /// The project's name (`project = "…"`).
    Name(String),
}

/// Why the live state could not be read.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    #[error(transparent)]
    Api(#[from] ApiError),

    #[error("environment {environment:?}: its config is not in the expected shape at {}: {}", shape.path, shape.detail)]
    MalformedConfig { environment: String, shape: ConfigShapeError },

    #[error("{} projects are named {name:?} (ids: {}); pin one with `project_id = \"…\"`", ids.len(), ids.join(", "))]
    AmbiguousName { name: String, ids: Vec<String> },

    #[error(
        "Railway returned only the first page of {what}; railform does not plan on a partial view \
         (it could create duplicates): pin the project with `project_id = \"…\"`"
    )]
    Truncated { what: String },

    #[error(
        "the project token in RAILWAY_TOKEN belongs to project {token_project:?}, not {wanted}; \
         use that project's token, or an account token in RAILWAY_API_TOKEN"
    )]
    OutsideTokenScope { wanted: String, token_project: String },
}

/// A [`LiveEnvironment`] from an environment node of `ProjectState` or `EnvironmentState`: the
/// same selection, generated as two types (graphql_client has no cross-file fragments), so it is
/// read by one macro rather than two copies. Returns early with a [`StateError`].
macro_rules! live_environment_of {
    ($environment:expr) => {{
        let environment = $environment;
        let mut live = live_environment(environment.id, environment.name, environment.config_etag, environment.config)?;
        live.unmerged_changes = unmerged(environment.unmerged_changes_count);
        live.ephemeral = environment.is_ephemeral.then(|| Ephemeral {
            created_at: environment.created_at.clone(),
            source: environment.source_environment.as_ref().map(|source| source.name.clone()),
        });
        let instances = environment.service_instances.edges.into_iter().map(|edge| {
            let node = edge.node;
            let latest = node.latest_deployment.map(|d| latest_deployment(d.id, &d.status, d.created_at));
            (node.service_id, latest, node.updated_at, dns_records(&node.domains))
        });
        attach_instances(&mut live, instances);
        live
    }};
}

/// Reads the selected project and every environment's config. A project that does not exist is
/// `Ok(None)`: the plan will create it.
pub async fn read(client: &Client, selector: &ProjectSelector) -> Result<Option<LiveProject>, StateError> {
    let id = match (selector, client.token()) {
        (ProjectSelector::Id(id), Some(Token::Api(_)) | None) => id.clone(),
        _ => match find_project(client, selector).await? {
            Some(outline) => outline.id,
            None => return Ok(None),
        },
    };
    match client.send::<ops::ProjectState>(ops::project_state::Variables { id: id.clone() }).await {
        Ok(data) => whole_project(data.project).map(Some),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) if error.is_refused_as_too_large() => {
            client.report(&RequestEvent::FellBack {
                operation: "ProjectState",
                instead: "one EnvironmentState request per environment",
                reason: error.to_string(),
            });
            match project_by_id(client, &id).await? {
                Some(outline) => read_per_environment(client, outline).await.map(Some),
                None => Ok(None),
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// A project read in one request.
fn whole_project(project: ops::project_state::ProjectStateProject) -> Result<LiveProject, StateError> {
    if project.environments.page_info.has_next_page || project.services.page_info.has_next_page {
        return Err(StateError::Truncated {
            what: format!("the environments and services of project {}", project.name),
        });
    }
    let mut environments = Vec::with_capacity(project.environments.edges.len());
    for edge in project.environments.edges {
        environments.push(live_environment_of!(edge.node));
    }
    let services = project.services.edges.into_iter().map(|edge| Named { id: edge.node.id, name: edge.node.name });
    Ok(assemble(project.id, project.name, services, environments))
}

/// A project read one environment per request, concurrently.
async fn read_per_environment(client: &Client, outline: ProjectOutline) -> Result<LiveProject, StateError> {
    let environments = try_join_all(outline.environments.iter().map(|env| read_environment(client, &env.id))).await?;
    Ok(assemble(outline.id, outline.name, outline.services, environments))
}

/// A [`LiveProject`] with its services and environments in name order.
fn assemble(
    id: String,
    name: String,
    services: impl IntoIterator<Item = Named>,
    mut environments: Vec<LiveEnvironment>,
) -> LiveProject {
    environments.sort_by(|a, b| a.name.cmp(&b.name));
    let mut services: Vec<LiveService> =
        services.into_iter().map(|service| LiveService { id: service.id, name: service.name }).collect();
    services.sort_by(|a, b| a.name.cmp(&b.name));
    LiveProject { id, name, services, environments }
}

/// Reads one environment: its config (variables decrypted) and config etag.
pub async fn read_environment(client: &Client, environment_id: &str) -> Result<LiveEnvironment, StateError> {
    let variables = ops::environment_state::Variables { id: environment_id.to_owned() };
    let environment = client.send::<ops::EnvironmentState>(variables).await?.environment;
    Ok(live_environment_of!(environment))
}

/// A deployment as read; the status in Railway's words (`UNKNOWN` if it cannot be spelled).
fn latest_deployment(id: String, status: &impl serde::Serialize, created_at: String) -> LatestDeployment {
    let status = serde_json::to_value(status).ok().and_then(|v| v.as_str().map(str::to_owned));
    LatestDeployment { id, status: status.unwrap_or_else(|| "UNKNOWN".to_owned()), created_at }
}

/// Gives each configured instance of `live` its latest deployment, last change and the DNS
/// records of its custom domains.
fn attach_instances(
    live: &mut LiveEnvironment,
    instances: impl IntoIterator<Item = (String, Option<LatestDeployment>, String, BTreeMap<String, Vec<DnsRecord>>)>,
) {
    for (service_id, latest, changed_at, dns_records) in instances {
        if let Some(instance) = live.instances.get_mut(&service_id) {
            instance.deployments = Some(DeploymentState { latest, changed_at });
            instance.dns_records = dns_records;
        }
    }
}

/// The DNS records of an instance's custom domains, from the `domains` selection of either
/// document (read through its JSON shape, which both share).
fn dns_records(domains: &impl serde::Serialize) -> BTreeMap<String, Vec<DnsRecord>> {
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Domains {
        custom_domains: Vec<Custom>,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Custom {
        domain: String,
        status: Status,
    }
    #[derive(serde::Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Status {
        dns_records: Vec<DnsRecord>,
    }
    serde_json::to_value(domains)
        .ok()
        .and_then(|value| serde_json::from_value::<Domains>(value).ok())
        .map(|domains| domains.custom_domains.into_iter().map(|d| (d.domain, d.status.dns_records)).collect())
        .unwrap_or_default()
}

fn unmerged(count: Option<i64>) -> u32 {
    count.map_or(0, |count| u32::try_from(count.max(0)).unwrap_or(u32::MAX))
}

/// An environment from its config's JSON text, which is dropped once parsed.
fn live_environment(
    id: String,
    name: String,
    config_etag: String,
    config: Box<serde_json::value::RawValue>,
) -> Result<LiveEnvironment, StateError> {
    let parsed = config::parse_text(config.get())
        .map_err(|shape| StateError::MalformedConfig { environment: name.clone(), shape })?;
    drop(config);
    Ok(LiveEnvironment {
        id,
        name,
        config_etag,
        unmerged_changes: 0,
        shared: parsed.shared,
        instances: parsed.instances,
        ephemeral: None,
    })
}

/// An id and a name, as listed in a project outline.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Named {
    id: String,
    name: String,
}

/// A project with the ids and names of its environments and services: what one request finds.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProjectOutline {
    id: String,
    name: String,
    environments: Vec<Named>,
    services: Vec<Named>,
}

/// Builds a [`ProjectOutline`] from any of the generated project types, which share their
/// field names but are distinct types (one per operation). A list Railway cut to its first page
/// is an error: planning on a partial view could create duplicates.
macro_rules! outline {
    ($project:expr) => {{
        let project = $project;
        if project.environments.page_info.has_next_page || project.services.page_info.has_next_page {
            return Err(StateError::Truncated {
                what: format!("the environments and services of project {}", project.name),
            });
        }
        ProjectOutline {
            id: project.id,
            name: project.name,
            environments: project
                .environments
                .edges
                .into_iter()
                .map(|edge| Named { id: edge.node.id, name: edge.node.name })
                .collect(),
            services: project
                .services
                .edges
                .into_iter()
                .map(|edge| Named { id: edge.node.id, name: edge.node.name })
                .collect(),
        }
    }};
}

/// Finds the project in one request (account or project token) and lists its environments and
/// services.
async fn find_project(client: &Client, selector: &ProjectSelector) -> Result<Option<ProjectOutline>, StateError> {
    if let Some(Token::Project(_)) = client.token() {
        return project_of_project_token(client, selector).await;
    }
    match selector {
        ProjectSelector::Id(id) => project_by_id(client, id).await,
        ProjectSelector::Name(name) => project_by_name(client, name).await,
    }
}

async fn project_by_id(client: &Client, id: &str) -> Result<Option<ProjectOutline>, StateError> {
    match client.send::<ops::ProjectById>(ops::project_by_id::Variables { id: id.to_owned() }).await {
        Ok(data) => Ok(Some(outline!(data.project))),
        Err(error) if error.is_not_found() => Ok(None),
        Err(error) => Err(error.into()),
    }
}

/// A project token is scoped to one project: read it, and check it is the one asked for.
async fn project_of_project_token(
    client: &Client,
    selector: &ProjectSelector,
) -> Result<Option<ProjectOutline>, StateError> {
    let scope = client.send::<ops::ProjectTokenScope>(ops::project_token_scope::Variables {}).await?.project_token;
    let project = outline!(scope.project);
    let (matches, wanted) = match selector {
        ProjectSelector::Id(id) => (project.id == *id, format!("project id {id:?}")),
        ProjectSelector::Name(name) => (project.name == *name, format!("project {name:?}")),
    };
    if matches {
        Ok(Some(project))
    } else {
        Err(StateError::OutsideTokenScope { wanted, token_project: project.name })
    }
}

/// With an account token, `me` lists every workspace's projects in one request. A workspace
/// token is refused by `me`; its workspaces are then listed and searched.
async fn project_by_name(client: &Client, name: &str) -> Result<Option<ProjectOutline>, StateError> {
    let candidates = match client.send::<ops::MyProjects>(ops::my_projects::Variables {}).await {
        Ok(data) => {
            let mut projects = Vec::new();
            for workspace in data.me.workspaces {
                if workspace.projects.page_info.has_next_page {
                    return Err(StateError::Truncated {
                        what: format!("the projects of workspace {}", workspace.name),
                    });
                }
                for edge in workspace.projects.edges {
                    projects.push(outline!(edge.node));
                }
            }
            projects
        }
        Err(error) if error.is_not_authorized() && matches!(client.token(), Some(Token::Api(_))) => {
            projects_of_workspace_token(client).await?
        }
        Err(error) => return Err(error.into()),
    };
    let mut matching: Vec<ProjectOutline> = candidates.into_iter().filter(|project| project.name == name).collect();
    match matching.len() {
        0 => Ok(None),
        1 => Ok(matching.pop()),
        _ => Err(StateError::AmbiguousName {
            name: name.to_owned(),
            ids: matching.into_iter().map(|project| project.id).collect(),
        }),
    }
}

async fn projects_of_workspace_token(client: &Client) -> Result<Vec<ProjectOutline>, StateError> {
    let workspaces =
        client.send::<ops::ApiTokenWorkspaces>(ops::api_token_workspaces::Variables {}).await?.api_token.workspaces;
    let listings = try_join_all(workspaces.into_iter().map(|workspace| {
        client.send::<ops::WorkspaceProjects>(ops::workspace_projects::Variables { workspace_id: workspace.id })
    }))
    .await?;
    let mut projects = Vec::new();
    for listing in listings {
        if listing.workspace.projects.page_info.has_next_page {
            return Err(StateError::Truncated {
                what: format!("the projects of workspace {}", listing.workspace.name),
            });
        }
        for edge in listing.workspace.projects.edges {
            projects.push(outline!(edge.node));
        }
    }
    Ok(projects)
}
