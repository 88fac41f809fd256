//! The GraphQL operations railform sends: one `graphql/*.graphql` document per operation, each
//! checked against `graphql/railway.schema.graphql` at compile time, plus what [`Client::send`]
//! needs to know about each one (whether it creates something).
//!
//! Generated input structs skip `None` fields when serialised: Railway reads an explicit `null`
//! as "clear this field", so unset optional fields must be absent, never `null`.
//!
//! [`Client::send`]: super::Client::send

use graphql_client::GraphQLQuery;

/// Railway's `EnvironmentConfig` scalar: a JSON document (see [`crate::state`] for its shape).
pub type EnvironmentConfig = serde_json::Value;
/// Railway's `EnvironmentVariables` scalar: variable name → value (`null` when sealed).
pub type EnvironmentVariables = std::collections::BTreeMap<String, Option<String>>;
/// Railway's `JSON` scalar.
#[allow(clippy::upper_case_acronyms)]
pub type JSON = serde_json::Value;
/// Railway's `DateTime` scalar, kept as the ISO 8601 text the API sends.
pub type DateTime = String;

/// What sending an operation can do to Railway, which decides how a failure may be retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// Reads nothing but state: always safe to send again.
    Read,
    /// A write that gives the same result when repeated (upsert, rename, delete, deploy).
    IdempotentWrite,
    /// A write that creates something: sending it twice may create it twice.
    Create,
}

/// A GraphQL operation railform sends, with its [`Effect`].
pub trait Operation: GraphQLQuery {
    const EFFECT: Effect;
}

/// Declares one operation: its derive (document checked against the schema) and its [`Effect`].
macro_rules! operation {
    ($(#[$doc:meta])* $name:ident = $document:literal, $effect:ident) => {
        $(#[$doc])*
        #[derive(GraphQLQuery)]
        #[graphql(
            schema_path = "graphql/railway.schema.graphql",
            query_path = $document,
            response_derives = "Debug, Clone, Serialize",
            variables_derives = "Default",
            skip_serializing_none
        )]
        pub struct $name;

        impl Operation for $name {
            const EFFECT: Effect = Effect::$effect;
        }
    };
}

pub use whole_configs::{environment_state, project_state, EnvironmentState, ProjectState};

/// The reads that answer whole configs: there the `EnvironmentConfig` scalar is kept as its
/// JSON text, which [`crate::state`] parses straight into its own types. A `serde_json::Value`
/// costs about 700 bytes per variable: a plan of 5 × 1000 × 50 would hold 200 MiB of it.
mod whole_configs {
    use super::{DateTime, Effect, GraphQLQuery, Operation};

    /// Railway's `EnvironmentConfig` scalar, as the JSON text it was sent in.
    pub type EnvironmentConfig = Box<serde_json::value::RawValue>;

    operation!(
        /// A whole project in one request: services, and every environment's config and etag.
        ProjectState = "graphql/project_state.graphql", Read
    );
    operation!(
        /// One environment's config (decrypted) and config etag.
        EnvironmentState = "graphql/environment_state.graphql", Read
    );
}

operation!(
    /// A project with its environments and services, by id.
    ProjectById = "graphql/project_by_id.graphql", Read
);
operation!(
    /// Every project an account token sees, across its workspaces.
    MyProjects = "graphql/my_projects.graphql", Read
);
operation!(
    /// The project and environment a project token is scoped to.
    ProjectTokenScope = "graphql/project_token_scope.graphql", Read
);
operation!(
    /// The workspaces of a workspace token.
    ApiTokenWorkspaces = "graphql/api_token_workspaces.graphql", Read
);
operation!(
    /// The projects of one workspace.
    WorkspaceProjects = "graphql/workspace_projects.graphql", Read
);
operation!(
    /// `variables(…)`: a service's (or the shared) variables, optionally unrendered.
    ServiceVariables = "graphql/service_variables.graphql", Read
);
operation!(
    /// `projectCreate`.
    ProjectCreate = "graphql/project_create.graphql", Create
);
operation!(
    /// `environmentCreate`.
    EnvironmentCreate = "graphql/environment_create.graphql", Create
);
operation!(
    /// `environmentDelete`: deleting what is gone already fails, so a repeat changes nothing.
    EnvironmentDelete = "graphql/environment_delete.graphql", IdempotentWrite
);
operation!(
    /// `environmentRename`.
    EnvironmentRename = "graphql/environment_rename.graphql", IdempotentWrite
);
operation!(
    /// `serviceCreate`.
    ServiceCreate = "graphql/service_create.graphql", Create
);
operation!(
    /// `serviceUpdate` (railform renames with it).
    ServiceUpdate = "graphql/service_update.graphql", IdempotentWrite
);
operation!(
    /// `serviceDelete`.
    ServiceDelete = "graphql/service_delete.graphql", IdempotentWrite
);
operation!(
    /// `environmentStageChanges`: staging the same patch twice stages it once.
    EnvironmentStageChanges = "graphql/environment_stage_changes.graphql", IdempotentWrite
);
operation!(
    /// `environmentPatchCommitStaged`. Never repeated blindly: a lost answer is checked by
    /// reading what is still staged.
    EnvironmentPatchCommitStaged = "graphql/environment_patch_commit_staged.graphql", Create
);
operation!(
    /// `serviceDomainCreate`: a second call makes a second domain, so it is never repeated blindly.
    ServiceDomainCreate = "graphql/service_domain_create.graphql", Create
);
operation!(
    /// The latest deployment of every instance of an environment.
    EnvironmentDeployments = "graphql/environment_deployments.graphql", Read
);
operation!(
    /// `deploymentRollback`: redeploys an earlier deployment; repeating it redeploys it again.
    DeploymentRollback = "graphql/deployment_rollback.graphql", IdempotentWrite
);
operation!(
    /// `environmentStagedChanges`.
    EnvironmentStagedChanges = "graphql/environment_staged_changes.graphql", Read
);
operation!(
    /// `volumeCreate`.
    VolumeCreate = "graphql/volume_create.graphql", Create
);
operation!(
    /// `serviceInstanceUpdate`.
    ServiceInstanceUpdate = "graphql/service_instance_update.graphql", IdempotentWrite
);
operation!(
    /// `serviceInstanceDeployV2`: starts a deployment. Sent twice it starts two, so it is never
    /// retried blindly: a lost answer is [`ApiError::Ambiguous`](super::ApiError::Ambiguous) and
    /// the rollout reads the latest deployment before sending it again.
    ServiceInstanceDeployV2 = "graphql/service_instance_deploy.graphql", Create
);
