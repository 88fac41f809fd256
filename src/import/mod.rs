//! `railform import`: a live Railway environment written back as an environment file that
//! `plan` reports as `No changes.`.
//!
//! Two steps, the first pure: [`environment`] turns a [`LiveProject`] and an environment name
//! into an [`ImportedEnvironment`] (services with pinned ids, templates recognised, references in
//! `$<<…>>` form, secrets replaced by `preserve`/`from_env`), and [`write::to_toml`] prints it
//! with comments. [`read_project`] is the only I/O: it finds the project by id or by name.
//!
//! No secret value ever reaches an [`ImportedEnvironment`]: sealed values become
//! `{ preserve = true }` and credential-looking ones (see [`credentials`]) `{ from_env = "…" }`,
//! with the name of the environment variable to set. [`base::layered`] splits several imported
//! environments into a shared base and per-environment files (`import --base FILE`).

pub mod base;
pub mod credentials;
pub mod templates;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::railway::Client;
use crate::refs;
use crate::state::{self, LiveInstance, LiveProject, LiveSource, LiveValue, ProjectSelector, StateError};
use credentials::CredentialReason;
use templates::{collapse, CollapseInput};

/// One environment of a project, as import will write it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedEnvironment {
    pub project_name: String,
    pub project_id: String,
    pub environment: String,
    pub shared: BTreeMap<String, ImportedValue>,
    /// Every service with an instance in the environment, by name.
    pub services: BTreeMap<String, ImportedService>,
}

/// A service's settings in the imported environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedService {
    /// The pinned id; `None` in a file whose base pins it.
    pub id: Option<String>,
    /// `None` in a file whose base says it.
    pub blueprint: Option<Blueprint>,
    pub variables: BTreeMap<String, ImportedValue>,
}

/// Where a service's image, volume and base variables come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Blueprint {
    /// `template = "…"` with `params = { version = "…" }`.
    Template { name: &'static str, version: Option<String> },
    /// Written out: the source (if any) and the volume mount (if any).
    Explicit { source: Option<LiveSource>, volume_mount: Option<String> },
}

/// A variable's value as written. Never holds a secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportedValue {
    /// Written as is, references in `$<<…>>` form.
    Literal(String),
    /// `{ preserve = true }`: the value exists live and is not managed.
    Preserve(PreserveReason),
    /// `{ from_env = "…" }`: import did not write the value; the user exports it.
    FromEnv { env_var: String, reason: CredentialReason },
}

/// Why a value is written as `{ preserve = true }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreserveReason {
    /// Railway never returns a sealed value.
    Sealed,
    /// The value holds text railform's files cannot express (a malformed `${{`).
    Unrepresentable,
}

/// Why an environment cannot be imported.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("project {project:?} has no environment {name:?} (it has: {})", available.join(", "))]
    UnknownEnvironment { project: String, name: String, available: Vec<String> },
}

/// An environment variable the user must export for `plan` to see the live value again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnvVarToSet {
    pub env_var: String,
    /// `ENV/SERVICE/VAR` or `ENV/shared/VAR`.
    pub address: String,
}

impl ImportedEnvironment {
    /// Every `from_env` variable of the file, in file order.
    pub fn env_vars_to_set(&self) -> Vec<EnvVarToSet> {
        self.variables()
            .filter_map(|(address, value)| match value {
                ImportedValue::FromEnv { env_var, .. } => Some(EnvVarToSet { env_var: env_var.clone(), address }),
                _ => None,
            })
            .collect()
    }

    /// Addresses of the sealed values written as `{ preserve = true }`.
    pub fn sealed(&self) -> Vec<String> {
        self.variables()
            .filter(|(_, value)| matches!(value, ImportedValue::Preserve(PreserveReason::Sealed)))
            .map(|(address, _)| address)
            .collect()
    }

    /// Every variable with its address (`ENV/shared/VAR`, `ENV/SERVICE/VAR`), in file order.
    fn variables(&self) -> impl Iterator<Item = (String, &ImportedValue)> {
        let shared = self.shared.iter().map(|(name, value)| ("shared", name, value));
        let services = self.services.iter().flat_map(|(service, imported)| {
            imported.variables.iter().map(move |(name, value)| (service.as_str(), name, value))
        });
        shared.chain(services).map(|(scope, name, value)| (format!("{}/{scope}/{name}", self.environment), value))
    }
}

/// Finds a project by `name_or_id`: a live project with that id, else one with that name.
pub async fn read_project(client: &Client, name_or_id: &str) -> Result<Option<LiveProject>, StateError> {
    match state::read(client, &ProjectSelector::Id(name_or_id.to_string())).await {
        Ok(Some(project)) => return Ok(Some(project)),
        // A project token scoped to another project, or no such id: try it as a name.
        Ok(None) | Err(StateError::OutsideTokenScope { .. }) => {}
        Err(error) => return Err(error),
    }
    state::read(client, &ProjectSelector::Name(name_or_id.to_string())).await
}

/// The environment named `environment_name` of `project`, ready to write. `templates_from` is
/// the file it will be written to: templates are looked up from there, as the loader will.
pub fn environment(
    project: &LiveProject,
    environment_name: &str,
    templates_from: &Path,
) -> Result<ImportedEnvironment, ImportError> {
    let Some(live) = project.environment_by_name(environment_name) else {
        return Err(ImportError::UnknownEnvironment {
            project: project.name.clone(),
            name: environment_name.to_string(),
            available: project.environments.iter().map(|e| e.name.clone()).collect(),
        });
    };
    let mut env_vars = EnvVarNames::default();
    let shared = live
        .shared
        .iter()
        .map(|(name, value)| (name.clone(), import_value(environment_name, "shared", name, value, &mut env_vars)))
        .collect();
    let mut services = BTreeMap::new();
    for service in &project.services {
        let Some(instance) = live.instance(&service.id) else { continue };
        let collapsed = collapse(&CollapseInput {
            service: &service.name,
            environment: environment_name,
            instance,
            templates_from,
        });
        let (blueprint, written): (Blueprint, BTreeSet<&String>) = match collapsed {
            Some(collapsed) => {
                let written = instance.variables.keys().filter(|name| collapsed.overrides.contains(*name)).collect();
                (Blueprint::Template { name: collapsed.template, version: collapsed.version }, written)
            }
            None => (explicit(instance), instance.variables.keys().collect()),
        };
        let variables = written
            .into_iter()
            .filter_map(|name| Some((name, instance.variables.get(name)?)))
            .map(|(name, value)| {
                (name.clone(), import_value(environment_name, &service.name, name, value, &mut env_vars))
            })
            .collect();
        services.insert(
            service.name.clone(),
            ImportedService { id: Some(service.id.clone()), blueprint: Some(blueprint), variables },
        );
    }
    Ok(ImportedEnvironment {
        project_name: project.name.clone(),
        project_id: project.id.clone(),
        environment: environment_name.to_string(),
        shared,
        services,
    })
}

fn explicit(instance: &LiveInstance) -> Blueprint {
    Blueprint::Explicit {
        source: instance.source.clone(),
        volume_mount: instance.volume_mounts.first().map(|mount| mount.mount_path.clone()),
    }
}

/// One live value as written: sealed → preserve, credential → from_env, else the literal.
fn import_value(
    environment: &str,
    scope: &str,
    name: &str,
    value: &LiveValue,
    env_vars: &mut EnvVarNames,
) -> ImportedValue {
    let LiveValue::Value(text) = value else { return ImportedValue::Preserve(PreserveReason::Sealed) };
    if let Some(reason) = credentials::credential_reason(name, text) {
        return ImportedValue::FromEnv { env_var: env_vars.claim(environment, scope, name), reason };
    }
    let written = refs::to_railform_syntax(text);
    if refs::parse(&written).is_err() {
        return ImportedValue::Preserve(PreserveReason::Unrepresentable);
    }
    ImportedValue::Literal(written)
}

/// Names for `from_env` variables: `<ENV>_<SERVICE>_<VAR>` in upper snake case, unique in a file.
#[derive(Default)]
struct EnvVarNames {
    taken: BTreeSet<String>,
}

impl EnvVarNames {
    fn claim(&mut self, environment: &str, scope: &str, variable: &str) -> String {
        let base = upper_snake(&format!("{environment}_{scope}_{variable}"));
        let mut candidate = base.clone();
        let mut counter = 2;
        while !self.taken.insert(candidate.clone()) {
            candidate = format!("{base}_{counter}");
            counter += 1;
        }
        candidate
    }
}

/// `platform-api.JWT secret` → `PLATFORM_API_JWT_SECRET`.
fn upper_snake(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') {
            out.push('_');
        }
    }
    let trimmed = out.trim_matches('_');
    match trimmed.chars().next() {
        Some(first) if first.is_ascii_digit() => format!("_{trimmed}"),
        _ => trimmed.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{LiveEnvironment, LiveService};

    fn project() -> LiveProject {
        let api = LiveInstance {
            source: Some(LiveSource::Image { image: "ghcr.io/acme/api:1".into() }),
            volume_mounts: Vec::new(),
            variables: BTreeMap::from([
                ("DATABASE_URL".into(), LiveValue::Value("${{Postgres.DATABASE_URL}}".into())),
                ("JWT_SECRET".into(), LiveValue::Value("hunter2".into())),
                ("SEALED".into(), LiveValue::Sealed),
            ]),
        };
        let dev = LiveEnvironment {
            id: "env-dev".into(),
            name: "dev".into(),
            config_etag: "etag".into(),
            shared: BTreeMap::from([("LOG_LEVEL".into(), LiveValue::Value("debug".into()))]),
            instances: BTreeMap::from([
                ("svc-db".into(), templates::tests::railway_postgres("16")),
                ("svc-api".into(), api),
            ]),
        };
        LiveProject {
            id: "prj".into(),
            name: "platform".into(),
            services: vec![
                LiveService { id: "svc-db".into(), name: "Postgres".into() },
                LiveService { id: "svc-api".into(), name: "api".into() },
                LiveService { id: "svc-elsewhere".into(), name: "only-in-prod".into() },
            ],
            environments: vec![dev],
        }
    }

    #[test]
    fn an_environment_is_imported_with_templates_references_and_no_secret() {
        let imported = environment(&project(), "dev", Path::new("/nonexistent/environments/dev.toml")).unwrap();
        assert_eq!(imported.services.keys().collect::<Vec<_>>(), ["Postgres", "api"]);
        let db = &imported.services["Postgres"];
        assert_eq!(db.blueprint, Some(Blueprint::Template { name: "postgres", version: Some("16".into()) }));
        assert!(db.variables.is_empty());
        let api = &imported.services["api"].variables;
        assert_eq!(api["DATABASE_URL"], ImportedValue::Literal("$<<Postgres.DATABASE_URL>>".into()));
        assert_eq!(
            api["JWT_SECRET"],
            ImportedValue::FromEnv { env_var: "DEV_API_JWT_SECRET".into(), reason: CredentialReason::Name }
        );
        assert_eq!(api["SEALED"], ImportedValue::Preserve(PreserveReason::Sealed));
        assert_eq!(imported.env_vars_to_set()[0].address, "dev/api/JWT_SECRET");
        assert_eq!(imported.sealed(), ["dev/api/SEALED"]);
        assert!(!format!("{imported:?}").contains("hunter2"));
        assert!(!write::to_toml(&imported).contains("hunter2"));
    }

    #[test]
    fn an_unknown_environment_lists_the_ones_that_exist() {
        let error = environment(&project(), "qa", Path::new("dev.toml")).unwrap_err();
        assert_eq!(error.to_string(), "project \"platform\" has no environment \"qa\" (it has: dev)");
    }

    #[test]
    fn references_are_written_in_railforms_syntax_and_everything_else_is_kept() {
        assert_eq!(
            refs::to_railform_syntax(
                "postgresql://${{PGUSER}}:${{ Postgres-OG9n.PW }}@${{shared.HOST}}/x ${{ unclosed"
            ),
            "postgresql://$<<PGUSER>>:$<< Postgres-OG9n.PW >>@$<<shared.HOST>>/x ${{ unclosed"
        );
        let text = "a ${{B.C}} d";
        assert_eq!(refs::to_railway_syntax(&refs::to_railform_syntax(text)), text);
    }

    #[test]
    fn env_var_names_are_upper_snake_and_unique() {
        let mut names = EnvVarNames::default();
        assert_eq!(names.claim("dev", "platform-api", "JWT_SECRET"), "DEV_PLATFORM_API_JWT_SECRET");
        assert_eq!(names.claim("dev", "platform_api", "JWT_SECRET"), "DEV_PLATFORM_API_JWT_SECRET_2");
        assert_eq!(names.claim("2024 env", "My Service", "key"), "_2024_ENV_MY_SERVICE_KEY");
    }
}
