//! `railform import`: a live Railway environment written back as an environment file that
//! `plan` reports as `No changes.`.
//!
//! Two steps, the first pure: [`environment`] turns a [`LiveProject`] and an environment name
//! into an [`ImportedEnvironment`] (services with pinned ids, templates recognised, references in
//! `$<<…>>` form, secrets replaced by `preserve`/`from_env`), and [`write::to_toml`] prints it
//! with comments. [`read_project`] is the only I/O: it finds the project by id or by name.
//!
//! No secret value ever reaches an [`ImportedEnvironment`]: sealed values become
//! `{ preserve = true }`, and so do credential-looking ones (see [`credentials`]) by default —
//! Railway keeps the value and the file plans clean at once; with [`SecretsMode::FromEnv`] they
//! become `{ from_env = "…" }` instead, with the name of the environment variable to set.
//! [`base::layered`] splits several imported environments into a shared base and
//! per-environment files (`import --base FILE`).
//!
//! The file always validates and plans clean: a live reference railform can check (its service
//! and variable are in the file, and it is on no reference cycle) is written `$<<…>>`; anything
//! else that Railway's syntax could read (a literal `$<<`, a dangling or malformed `${{`) is
//! written with the `$$` escape, so railform leaves it alone and sends it back as it was.

pub mod base;
pub mod credentials;
pub mod templates;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use crate::config::model::RAILWAY_BUILTINS;
use crate::railway::Client;
use crate::refs::{self, graph::find_cycles, Target};
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
    /// The value looks like a credential: Railway keeps it, the file does not hold it.
    Credential(CredentialReason),
}

/// What import writes for a live value that looks like a credential.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SecretsMode {
    /// `{ preserve = true }`: Railway keeps the value; the file plans clean at once.
    #[default]
    Preserve,
    /// `{ from_env = "…" }`: railform manages the value, read from an environment variable.
    FromEnv,
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

    /// Addresses of the credential-looking values written as `{ preserve = true }`.
    pub fn preserved_credentials(&self) -> Vec<String> {
        self.variables()
            .filter(|(_, value)| matches!(value, ImportedValue::Preserve(PreserveReason::Credential(_))))
            .map(|(address, _)| address)
            .collect()
    }

    /// What the user must know before planning: the variables to export (names only), and the
    /// values left unmanaged.
    pub fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        let to_set = self.env_vars_to_set();
        if !to_set.is_empty() {
            let listed: Vec<String> = to_set.iter().map(|v| format!("  {}  (for {})", v.env_var, v.address)).collect();
            notes.push(format!(
                "import did not write {} value(s) that look like credentials; set these environment variables \
                 to the live values before `railform plan` (in CI: masked secrets):\n{}",
                to_set.len(),
                listed.join("\n")
            ));
        }
        let credentials = self.preserved_credentials();
        if !credentials.is_empty() {
            notes.push(format!(
                "{} value(s) that look like credentials written as `{{ preserve = true }}` (Railway keeps them; \
                 import with `--secrets from-env` to manage them from environment variables): {}",
                credentials.len(),
                credentials.join(", ")
            ));
        }
        let sealed = self.sealed();
        if !sealed.is_empty() {
            notes.push(format!(
                "{} sealed value(s) written as `{{ preserve = true }}` (Railway never returns them): {}",
                sealed.len(),
                sealed.join(", ")
            ));
        }
        notes
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

/// The environment named `environment_name` of `project`, ready to write, with credentials
/// written as `{ preserve = true }`. `templates_from` is the file it will be written to:
/// templates are looked up from there, as the loader will.
#[cfg(test)]
pub fn environment(
    project: &LiveProject,
    environment_name: &str,
    templates_from: &Path,
) -> Result<ImportedEnvironment, ImportError> {
    environment_with(project, environment_name, templates_from, SecretsMode::default())
}

/// [`environment`], with credentials written as `secrets` says.
pub fn environment_with(
    project: &LiveProject,
    environment_name: &str,
    templates_from: &Path,
    secrets: SecretsMode,
) -> Result<ImportedEnvironment, ImportError> {
    let Some(live) = project.environment_by_name(environment_name) else {
        return Err(ImportError::UnknownEnvironment {
            project: project.name.clone(),
            name: environment_name.to_string(),
            available: project.environments.iter().map(|e| e.name.clone()).collect(),
        });
    };
    let instances: Vec<(&str, &LiveInstance)> = project
        .services
        .iter()
        .filter_map(|service| Some((service.name.as_str(), live.instance(&service.id)?)))
        .collect();
    let checks = ReferenceChecks::new(&live.shared, &instances);
    let mut env_vars = EnvVarNames::default();
    let mut importer = Importer { environment: environment_name, secrets, checks: &checks, env_vars: &mut env_vars };
    let shared = live.shared.iter().map(|(name, value)| (name.clone(), importer.value(None, name, value))).collect();
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
            .map(|(name, value)| (name.clone(), importer.value(Some(&service.name), name, value)))
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

/// A variable's owner in one environment: a service by name, or `None` for the shared ones.
type Owner<'a> = Option<&'a str>;

/// Which live references the written file may keep as references: those the loader will find
/// declared (a live variable of a service in this environment, a shared variable, a Railway
/// built-in) and that lie on no reference cycle (the loader refuses cycles).
struct ReferenceChecks<'a> {
    shared: BTreeSet<&'a str>,
    services: BTreeMap<&'a str, BTreeSet<&'a str>>,
    /// Variables whose references are all written unchecked, to break the cycles.
    on_cycle: BTreeSet<(Owner<'a>, &'a str)>,
}

impl<'a> ReferenceChecks<'a> {
    fn new(shared: &'a BTreeMap<String, LiveValue>, instances: &[(&'a str, &'a LiveInstance)]) -> Self {
        let mut checks = ReferenceChecks {
            shared: shared.keys().map(String::as_str).collect(),
            services: instances
                .iter()
                .map(|(service, instance)| (*service, instance.variables.keys().map(String::as_str).collect()))
                .collect(),
            on_cycle: BTreeSet::new(),
        };
        let values: Vec<(Owner<'a>, &'a str, &'a str)> = shared
            .iter()
            .map(|(name, value)| (None, name, value))
            .chain(instances.iter().flat_map(|(service, instance)| {
                instance.variables.iter().map(move |(name, value)| (Some(*service), name, value))
            }))
            .filter_map(|(owner, name, value)| match value {
                LiveValue::Value(text) => Some((owner, name.as_str(), text.as_str())),
                LiveValue::Sealed => None,
            })
            .collect();
        // Break every cycle by leaving one variable on it unchecked, until none is left.
        loop {
            let mut edges: BTreeMap<(Owner<'a>, &'a str), Vec<(Owner<'a>, &'a str)>> = BTreeMap::new();
            for (owner, name, text) in &values {
                if checks.on_cycle.contains(&(*owner, *name)) {
                    continue;
                }
                let targets = refs::parse_railway(text)
                    .into_iter()
                    .filter_map(|reference| checks.declared_target(*owner, &reference.target))
                    .collect();
                edges.insert((*owner, *name), targets);
            }
            let cycles = find_cycles(&edges);
            if cycles.is_empty() {
                break;
            }
            checks.on_cycle.extend(cycles.iter().map(|cycle| cycle[0]));
        }
        checks
    }

    /// The declared variable `target` reads from `owner`, if any (built-ins are not variables).
    fn declared_target(&self, owner: Owner<'_>, target: &Target) -> Option<(Owner<'a>, &'a str)> {
        let (scope, names) = match target {
            Target::Shared { .. } => (None, &self.shared),
            Target::Local { .. } => {
                let (service, names) = self.services.get_key_value(owner?)?;
                (Some(*service), names)
            }
            Target::Service { service, .. } => {
                let (service, names) = self.services.get_key_value(service.as_str())?;
                (Some(*service), names)
            }
        };
        Some((scope, *names.get(target.var())?))
    }

    /// True when the file may keep this reference of `owner`'s variable `name` as a reference.
    fn checkable(&self, owner: Owner<'_>, name: &str, target: &Target) -> bool {
        if self.on_cycle.iter().any(|(o, n)| *o == owner && *n == name) {
            return false;
        }
        let builtin = RAILWAY_BUILTINS.contains(&target.var());
        match target {
            Target::Local { .. } => {
                owner.is_some_and(|service| self.services.contains_key(service))
                    && (builtin || self.declared_target(owner, target).is_some())
            }
            Target::Service { service, .. } => {
                self.services.contains_key(service.as_str())
                    && (builtin || self.declared_target(owner, target).is_some())
            }
            Target::Shared { .. } => self.declared_target(owner, target).is_some(),
        }
    }
}

/// Turns live values into what the file holds.
struct Importer<'i, 'a> {
    environment: &'i str,
    secrets: SecretsMode,
    checks: &'i ReferenceChecks<'a>,
    env_vars: &'i mut EnvVarNames,
}

impl Importer<'_, '_> {
    /// One live value as written: sealed → preserve, credential → preserve or from_env, else
    /// the value in file syntax.
    fn value(&mut self, owner: Owner<'_>, name: &str, value: &LiveValue) -> ImportedValue {
        let LiveValue::Value(text) = value else { return ImportedValue::Preserve(PreserveReason::Sealed) };
        if let Some(reason) = credentials::credential_reason(name, text) {
            return match self.secrets {
                SecretsMode::Preserve => ImportedValue::Preserve(PreserveReason::Credential(reason)),
                SecretsMode::FromEnv => ImportedValue::FromEnv {
                    env_var: self.env_vars.claim(self.environment, owner.unwrap_or("shared"), name),
                    reason,
                },
            };
        }
        ImportedValue::Literal(refs::to_file_syntax(text, |target| self.checks.checkable(owner, name, target)))
    }
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
            settings: serde_json::Value::Null,
            deployments: None,
            dns_records: Default::default(),
        };
        let dev = LiveEnvironment {
            id: "env-dev".into(),
            name: "dev".into(),
            config_etag: "etag".into(),
            unmerged_changes: 0,
            shared: BTreeMap::from([("LOG_LEVEL".into(), LiveValue::Value("debug".into()))]),
            instances: BTreeMap::from([
                ("svc-db".into(), templates::tests::railway_postgres("16")),
                ("svc-api".into(), api),
            ]),
            ephemeral: None,
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
        assert_eq!(api["JWT_SECRET"], ImportedValue::Preserve(PreserveReason::Credential(CredentialReason::Name)));
        assert_eq!(api["SEALED"], ImportedValue::Preserve(PreserveReason::Sealed));
        assert!(imported.env_vars_to_set().is_empty());
        assert_eq!(imported.preserved_credentials(), ["dev/api/JWT_SECRET"]);
        assert_eq!(imported.sealed(), ["dev/api/SEALED"]);
        assert!(!format!("{imported:?}").contains("hunter2"));
        assert!(!write::to_toml(&imported).contains("hunter2"));

        let from_env = environment_with(&project(), "dev", Path::new("dev.toml"), SecretsMode::FromEnv).unwrap();
        assert_eq!(
            from_env.services["api"].variables["JWT_SECRET"],
            ImportedValue::FromEnv { env_var: "DEV_API_JWT_SECRET".into(), reason: CredentialReason::Name }
        );
        assert_eq!(from_env.env_vars_to_set()[0].address, "dev/api/JWT_SECRET");
        assert!(!write::to_toml(&from_env).contains("hunter2"));
    }

    #[test]
    fn references_railform_cannot_check_are_written_so_that_railform_leaves_them_alone() {
        let mut project = project();
        let dev = &mut project.environments[0];
        let literal = |text: &str| LiveValue::Value(text.to_string());
        dev.shared.insert("LOCAL".into(), literal("${{PORT}}"));
        let api = dev.instances.get_mut("svc-api").unwrap();
        for (name, value) in [
            ("LITERAL", "$<<not.a.ref>>"),
            ("DANGLING", "${{nosuch.X}} and ${{Postgres.NOPE}}"),
            ("UNCLOSED", "${{ unclosed"),
            ("BUILTIN", "${{RAILWAY_PRIVATE_DOMAIN}}:${{Postgres.RAILWAY_PRIVATE_DOMAIN}}"),
            ("A", "${{B}}"),
            ("B", "${{A}}"),
        ] {
            api.variables.insert(name.into(), literal(value));
        }
        let imported = environment(&project, "dev", Path::new("dev.toml")).unwrap();
        let written = |name: &str| match &imported.services["api"].variables[name] {
            ImportedValue::Literal(text) => text.clone(),
            other => panic!("{name} is {other:?}"),
        };
        assert_eq!(written("LITERAL"), "$$<<not.a.ref>>");
        assert_eq!(written("DANGLING"), "$${{nosuch.X}} and $${{Postgres.NOPE}}");
        assert_eq!(written("UNCLOSED"), "$${{ unclosed");
        assert_eq!(written("BUILTIN"), "$<<RAILWAY_PRIVATE_DOMAIN>>:$<<Postgres.RAILWAY_PRIVATE_DOMAIN>>");
        assert_eq!([written("A"), written("B")], ["$${{B}}", "$<<A>>"], "one variable of the cycle is unchecked");
        assert_eq!(imported.shared["LOCAL"], ImportedValue::Literal("$${{PORT}}".into()), "no service to refer to");
        let text = write::to_toml(&imported);
        assert!(text.contains("is kept as Railway has it, unchecked"), "{text}");
    }

    #[test]
    fn an_unknown_environment_lists_the_ones_that_exist() {
        let error = environment(&project(), "qa", Path::new("dev.toml")).unwrap_err();
        assert_eq!(error.to_string(), "project \"platform\" has no environment \"qa\" (it has: dev)");
    }

    #[test]
    fn env_var_names_are_upper_snake_and_unique() {
        let mut names = EnvVarNames::default();
        assert_eq!(names.claim("dev", "platform-api", "JWT_SECRET"), "DEV_PLATFORM_API_JWT_SECRET");
        assert_eq!(names.claim("dev", "platform_api", "JWT_SECRET"), "DEV_PLATFORM_API_JWT_SECRET_2");
        assert_eq!(names.claim("2024 env", "My Service", "key"), "_2024_ENV_MY_SERVICE_KEY");
    }
}
