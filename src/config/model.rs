//! The validated desired state: what the rest of railform trusts. Built only by
//! [`crate::config::load`]; every name, reference and rename in it has been checked.

use std::collections::BTreeMap;
use std::fmt;

pub use super::settings::Settings;
use crate::diag::Location;

/// Every environment file that was read, in a stable order (by project, then environment name).
#[derive(Debug, Clone, Default)]
pub struct Model {
    /// The permanent environments: what `plan` and `apply` work on.
    pub environments: Vec<Environment>,
    /// Preview files (`environment = { preview = true }`), at most one per project: templates
    /// for `preview up`, never planned as environments of their own.
    pub previews: Vec<Environment>,
}

impl Model {
    /// The projects the environments belong to, each with its environments, in file order.
    pub fn projects(&self) -> Vec<(&ProjectRef, Vec<&Environment>)> {
        by_project(self.environments.iter())
    }

    /// Every file's environment, previews included (what validation checks).
    pub fn every_environment(&self) -> impl Iterator<Item = &Environment> {
        self.environments.iter().chain(&self.previews)
    }
}

/// `environments` grouped by project, in order of first appearance.
pub fn by_project<'m>(
    environments: impl Iterator<Item = &'m Environment>,
) -> Vec<(&'m ProjectRef, Vec<&'m Environment>)> {
    let mut projects: Vec<(&ProjectRef, Vec<&Environment>)> = Vec::new();
    for environment in environments {
        match projects.iter_mut().find(|(project, _)| project.same_as(&environment.project)) {
            Some((_, environments)) => environments.push(environment),
            None => projects.push((&environment.project, vec![environment])),
        }
    }
    projects
}

/// How an environment file names its Railway project: by name, by pinned id, or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProjectRef {
    pub name: Option<String>,
    pub id: Option<String>,
}

impl ProjectRef {
    /// True when both refer to the same project (same id, else same name).
    pub fn same_as(&self, other: &ProjectRef) -> bool {
        match (&self.id, &other.id) {
            (Some(a), Some(b)) => a == b,
            _ => self.name.is_some() && self.name == other.name,
        }
    }
}

impl fmt::Display for ProjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (&self.name, &self.id) {
            (Some(name), _) => f.write_str(name),
            (None, Some(id)) => write!(f, "project {id}"),
            (None, None) => f.write_str("(unnamed project)"),
        }
    }
}

/// One environment file, with `extends` merged and templates expanded.
#[derive(Debug, Clone)]
pub struct Environment {
    pub name: String,
    pub renamed_from: Vec<String>,
    pub project: ProjectRef,
    /// The file that declared it, as the user named it.
    pub file: String,
    pub shared: BTreeMap<String, Variable>,
    pub services: BTreeMap<String, Service>,
    /// Where the environment is named (its `environment` key).
    pub at: Location,
    /// Set for a preview file: the template of `preview up`'s ephemeral environments.
    pub preview: Option<Preview>,
}

/// What a preview file says beyond an environment's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// The environment of the file it extends (usually staging): what a new preview is copied
    /// from when `preview up` has no `--base`.
    pub base: Option<String>,
}

/// The name a preview file's environment has until `preview up NAME` names it.
pub const PREVIEW_PLACEHOLDER: &str = "preview";

/// A service in one environment.
#[derive(Debug, Clone)]
pub struct Service {
    pub name: String,
    /// A pinned Railway service id (written by `import`).
    pub id: Option<String>,
    /// Earlier names: a live service with one of them is renamed to `name`.
    pub renamed_from: Vec<String>,
    /// Where `renamed_from` is written (in the environment file or a base it extends).
    pub renamed_from_at: Option<Location>,
    /// The template the service was expanded from, if any (`postgres`, `redis`…).
    pub template: Option<String>,
    pub source: Option<Source>,
    pub volume: Option<Volume>,
    /// `protect` as written: `None` means protected exactly when the service has a volume
    /// (declared or live); see [`Service::is_protected`].
    pub protect: Option<bool>,
    /// An explicit tombstone: the only way railform deletes a service.
    pub delete: bool,
    /// Globs of live variable names railform never reports or prunes.
    pub ignore: Vec<String>,
    pub variables: BTreeMap<String, Variable>,
    /// Build, deploy, networking and volume settings (§2.1); only what the files write.
    pub settings: Settings,
    /// Where each custom domain of `settings.networking` is written.
    pub custom_domains_at: BTreeMap<String, Location>,
    pub at: Location,
}

impl Service {
    /// True when railform must never delete this service. `live_volume`: the live service has one.
    pub fn is_protected(&self, live_volume: bool) -> bool {
        self.protect.unwrap_or(self.volume.is_some() || live_volume)
    }

    /// True when railform must leave live variable `name` alone.
    pub fn ignores(&self, name: &str) -> bool {
        self.ignore
            .iter()
            .any(|glob| globset::Glob::new(glob).map(|g| g.compile_matcher().is_match(name)).unwrap_or(false))
    }
}

/// Where a service's code comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    Image(String),
    Repo { repo: String, branch: Option<String> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Volume {
    pub mount: String,
}

/// A declared variable and where it was written.
#[derive(Debug, Clone)]
pub struct Variable {
    pub value: VariableValue,
    pub at: Location,
}

/// The five forms a variable can take in a file. `Debug` masks sensitive literals.
#[derive(Clone, PartialEq, Eq)]
pub enum VariableValue {
    /// A literal, possibly with references (kept as written; `$<<…>>` or `${{…}}`).
    Literal { value: String, sensitive: bool },
    /// Read from the process environment when planning; always sensitive.
    /// `allow_empty`: an empty value is what is meant (without it, empty is an error like unset).
    FromEnv { name: String, allow_empty: bool },
    /// Generated once when first created, never rotated, compared by presence only.
    Generate { length: usize, alphabet: String },
    /// Must exist live; its value is not managed.
    Preserve,
}

impl fmt::Debug for VariableValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VariableValue::Literal { sensitive: true, .. } => f.write_str("Literal(***)"),
            VariableValue::Literal { value, .. } => f.debug_tuple("Literal").field(value).finish(),
            VariableValue::FromEnv { name, allow_empty } => {
                f.debug_struct("FromEnv").field("name", name).field("allow_empty", allow_empty).finish()
            }
            VariableValue::Generate { length, alphabet } => {
                f.debug_struct("Generate").field("length", length).field("alphabet", alphabet).finish()
            }
            VariableValue::Preserve => f.write_str("Preserve"),
        }
    }
}

impl VariableValue {
    /// True when the value must never be printed.
    pub fn is_sensitive(&self) -> bool {
        match self {
            VariableValue::Literal { sensitive, .. } => *sensitive,
            VariableValue::FromEnv { .. } | VariableValue::Generate { .. } | VariableValue::Preserve => true,
        }
    }

    /// The literal text, when the value is written in the file (references included).
    pub fn literal(&self) -> Option<&str> {
        match self {
            VariableValue::Literal { value, .. } => Some(value),
            _ => None,
        }
    }
}

/// Variables Railway provides to every service, which references may name without declaring.
pub const RAILWAY_BUILTINS: &[&str] = &[
    "RAILWAY_PRIVATE_DOMAIN",
    "RAILWAY_PUBLIC_DOMAIN",
    "RAILWAY_STATIC_URL",
    "RAILWAY_TCP_PROXY_DOMAIN",
    "RAILWAY_TCP_PROXY_PORT",
    "RAILWAY_TCP_APPLICATION_PORT",
    "RAILWAY_PROJECT_NAME",
    "RAILWAY_PROJECT_ID",
    "RAILWAY_ENVIRONMENT_NAME",
    "RAILWAY_ENVIRONMENT_ID",
    "RAILWAY_ENVIRONMENT",
    "RAILWAY_SERVICE_NAME",
    "RAILWAY_SERVICE_ID",
    "RAILWAY_VOLUME_NAME",
    "RAILWAY_VOLUME_MOUNT_PATH",
    "RAILWAY_DEPLOYMENT_ID",
    "RAILWAY_REPLICA_ID",
    "RAILWAY_REPLICA_REGION",
    "RAILWAY_GIT_COMMIT_SHA",
    "RAILWAY_GIT_BRANCH",
    "RAILWAY_GIT_REPO_NAME",
    "RAILWAY_GIT_REPO_OWNER",
    "RAILWAY_GIT_AUTHOR",
    "RAILWAY_GIT_COMMIT_MESSAGE",
    "PORT",
];
