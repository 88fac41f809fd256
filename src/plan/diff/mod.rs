//! The diff: desired model + live state → [`Plan`], with no I/O.
//!
//! Identity: a service is matched by its pinned `id`, else its name, else a `renamed_from`
//! name; environments by name, else `renamed_from`. Service names are project-wide in Railway,
//! so a rename is one change for the project, followed by a rewrite of every `${{Old.…}}`
//! reference in every environment — declared in the files or not. References to an old name
//! are rewritten even after the service itself was renamed, so a rerun after an interrupted
//! apply converges.

mod deploys;
mod drift;
mod identity;
mod previews;
mod rewrites;
mod settings;
mod variables;

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Action, Change, EnvironmentFingerprint, Fingerprint, Id, Kind, Operation, Plan, ProjectFingerprint, Unmanaged,
};
use crate::config::model::{Environment, Model, ProjectRef, Service};
use crate::config::secrets::Secrets;
use crate::secret::PlanKey;
use crate::state::{LiveEnvironment, LiveProject};
pub use previews::visible;

/// Choices that change what the diff produces.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Delete live variables the files do not declare, instead of reporting them.
    pub prune: bool,
    /// Keys the digests the plan keeps instead of values it must not hold.
    pub key: PlanKey,
}

/// Computes the plan for every project of `model`. `live[i]` is the live state of the i-th
/// project of [`Model::projects`] (`None`: it does not exist yet).
pub fn diff(model: &Model, live: &[Option<LiveProject>], secrets: &Secrets, options: &DiffOptions) -> Plan {
    let mut changes = Vec::new();
    let mut unmanaged = Vec::new();
    let mut warnings = Vec::new();
    let mut dns = Vec::new();
    let mut errors = Vec::new();
    let mut fingerprint = Fingerprint {
        paths: model.environments.iter().map(|e| e.file.clone()).collect(),
        prune: options.prune,
        key_id: options.key.id(),
        ..Fingerprint::default()
    };
    for (index, (project, environments)) in model.projects().into_iter().enumerate() {
        let live = live.get(index).and_then(Option::as_ref).map(|live| {
            let (visible, impossible) = visible(live, &environments);
            errors.extend(impossible);
            visible
        });
        let live = live.as_deref();
        let mut project_diff = ProjectDiff::new(project, live, secrets, options);
        project_diff.run(&environments);
        changes.extend(project_diff.changes);
        unmanaged.extend(project_diff.unmanaged);
        warnings.extend(project_diff.warnings);
        dns.extend(project_diff.dns);
        errors.extend(project_diff.errors);
        fingerprint.projects.push(project_fingerprint(project, live));
    }
    changes.sort_by_key(phase);
    let mut plan = Plan::new(changes, unmanaged, warnings, fingerprint);
    plan.errors = errors;
    plan.dns = dns;
    plan
}

fn project_fingerprint(project: &ProjectRef, live: Option<&LiveProject>) -> ProjectFingerprint {
    ProjectFingerprint {
        name: project.to_string(),
        id: live.map(|p| p.id.clone()),
        environments: live
            .map(|p| {
                p.environments
                    .iter()
                    .map(|e| EnvironmentFingerprint {
                        id: e.id.clone(),
                        name: e.name.clone(),
                        config_etag: e.config_etag.clone(),
                        unmerged_changes: e.unmerged_changes,
                    })
                    .collect()
            })
            .unwrap_or_default(),
        services: live.map(|p| p.services.iter().map(|s| (s.id.clone(), s.name.clone())).collect()).unwrap_or_default(),
    }
}

/// The order `apply` runs changes in: the project, environments, services (with instances and
/// volumes), service renames, then each environment's patch (variables, sources, settings and
/// the reference rewrites of the renames), service deletes, deploys. Sorting is stable, so a
/// patch's entries stay in plan order.
fn phase(change: &Change) -> u8 {
    match &change.operation {
        Operation::CreateProject { .. } => 0,
        Operation::CreateEnvironment { .. } | Operation::RenameEnvironment { .. } => 1,
        Operation::CreateService { .. } | Operation::CreateInstance { .. } | Operation::CreateVolume { .. } => 2,
        // After the patches: the instance exists with its settings when its domain is made.
        Operation::CreateServiceDomain { .. } => 5,
        Operation::RenameService { .. } => 3,
        Operation::Patch { .. } => 4,
        Operation::DeleteService { .. } => 5,
        Operation::Deploy { .. } => 6,
    }
}

/// One desired service across the environment files of a project.
struct DesiredService<'m> {
    name: &'m str,
    pinned_id: Option<&'m str>,
    renamed_from: BTreeSet<&'m str>,
    /// (environment index, declaration) for every file that declares it.
    declarations: Vec<(usize, &'m Service)>,
}

impl EnvironmentMatch<'_, '_> {
    /// The file that describes this environment (empty for an unfiled one).
    fn desired_file(&self) -> &str {
        self.desired.map_or("", |e| e.file.as_str())
    }
}

/// An environment of the project: desired (from a file) and/or live.
struct EnvironmentMatch<'m, 'l> {
    name: String,
    /// `None` for a live environment that no file describes.
    desired: Option<&'m Environment>,
    id: Id,
    live: Option<&'l LiveEnvironment>,
}

/// A rename of a service: every reference to `old` must become `new`.
#[derive(Debug, Clone)]
struct Rename {
    old: String,
    new: String,
}

struct ProjectDiff<'m, 'l> {
    project: &'m ProjectRef,
    project_name: String,
    live: Option<&'l LiveProject>,
    secrets: &'m Secrets,
    options: &'m DiffOptions,
    project_id: Id,
    changes: Vec<Change>,
    unmanaged: Vec<Unmanaged>,
    warnings: Vec<String>,
    /// Declared custom domains still waiting for DNS.
    dns: Vec<crate::plan::dns::WaitingDomain>,
    /// Instances (environment name, service name) that need a deploy.
    /// With the reason of a deploy no change of this plan asks for (a pending deploy).
    to_deploy: BTreeMap<(String, String), (Id, Id, Option<String>)>,
    /// Live services the files mark `delete = true`: declared, so never unmanaged.
    tombstoned: BTreeSet<String>,
    /// What makes the plan impossible (a pinned id that matches nothing…).
    errors: Vec<String>,
    /// Live service id → name, looked up for every instance (a map, so that a project of many
    /// services plans in linear time).
    live_names: std::collections::HashMap<&'l str, &'l str>,
}

impl<'m, 'l> ProjectDiff<'m, 'l> {
    fn new(
        project: &'m ProjectRef,
        live: Option<&'l LiveProject>,
        secrets: &'m Secrets,
        options: &'m DiffOptions,
    ) -> Self {
        let project_name = live.map(|p| p.name.clone()).or_else(|| project.name.clone()).unwrap_or_default();
        ProjectDiff {
            project,
            project_name,
            live,
            secrets,
            options,
            project_id: match live {
                Some(p) => Id::Live(p.id.clone()),
                None => Id::New(format!("{project}/project")),
            },
            changes: Vec::new(),
            unmanaged: Vec::new(),
            warnings: Vec::new(),
            dns: Vec::new(),
            to_deploy: BTreeMap::new(),
            tombstoned: BTreeSet::new(),
            errors: Vec::new(),
            live_names: live
                .map(|p| p.services.iter().map(|s| (s.id.as_str(), s.name.as_str())).collect())
                .unwrap_or_default(),
        }
    }

    fn run(&mut self, environments: &[&'m Environment]) {
        if self.live.is_none() {
            let name = self.project.name.clone().unwrap_or_default();
            if self.project.name.is_none() {
                self.warnings.push(format!(
                    "project {} does not exist and has no name to create it with: set `project = \"NAME\"`",
                    self.project
                ));
                return;
            }
            let operation = Operation::CreateProject { key: self.key("project"), name: name.clone() };
            self.add(
                Change::new(&self.project_name, format!("project:{name}"), Action::Create, Kind::Project, operation)
                    .because("the project does not exist yet"),
            );
        }
        let matched = self.match_environments(environments);
        let services = desired_services(environments);
        let (service_ids, renames) = self.match_services(&services, &matched);
        for environment in &matched {
            let Some(desired) = environment.desired else { continue };
            self.diff_shared(environment, desired, &renames);
            for service in desired.services.values().filter(|s| !s.delete) {
                let Some(service_id) = service_ids.get(service.name.as_str()) else { continue };
                self.diff_instance(environment, service, service_id, &renames);
            }
            self.report_undeclared_instances(environment, desired, &service_ids, &renames);
        }
        self.rewrite_unfiled_environments(&matched, &renames);
        self.report_unmanaged_services(&service_ids, &matched);
        for environment in &matched {
            self.deploy_dependents(environment, &service_ids, &renames);
            self.warn_of_staged_changes(environment);
        }
        self.plan_deploys(&matched, &renames);
    }

    /// The name a live service will have after this plan's renames.
    pub(super) fn service_name(&self, service_id: &str, renames: &[Rename]) -> String {
        match self.live_names.get(service_id).copied() {
            Some(name) => renames.iter().find(|r| r.old == name).map_or(name, |r| r.new.as_str()).to_string(),
            None => service_id.to_string(),
        }
    }

    /// Someone's pending work in an environment this plan patches: apply refuses to commit over
    /// it (see `apply::patch`), so the plan says so first.
    fn warn_of_staged_changes(&mut self, environment: &EnvironmentMatch<'m, 'l>) {
        let Some(live) = environment.live.filter(|live| live.unmerged_changes > 0) else { return };
        let patched = self
            .changes
            .iter()
            .any(|c| matches!(&c.operation, Operation::Patch { environment: Id::Live(id), .. } if *id == live.id));
        if patched {
            self.warnings.push(format!(
                "environment {} holds {} staged change(s) not committed yet: apply will refuse to commit over \
                 changes it did not stage; commit or discard them in Railway first",
                environment.name, live.unmerged_changes
            ));
        }
    }

    /// The key of the volume this plan creates for `service` in `environment`.
    pub(super) fn volume_key(&self, environment: &str, service: &str) -> String {
        self.key(&format!("volume:{environment}/{service}"))
    }

    /// The key of something this plan creates: scoped to the project, so two new projects
    /// that both have a `dev` or an `api` never share one.
    fn key(&self, what: &str) -> String {
        format!("{}/{what}", self.project)
    }

    pub(super) fn add(&mut self, change: Change) {
        self.changes.push(change);
    }
}

/// Where a set of variables lives: an environment, and a service or the shared variables.
struct VariableTarget<'a, 'm, 'l> {
    environment: &'a EnvironmentMatch<'m, 'l>,
    service: Option<&'m Service>,
    service_id: Option<&'a Id>,
}

impl VariableTarget<'_, '_, '_> {
    fn address(&self, name: &str) -> String {
        let owner = self.service.map_or("shared", |s| s.name.as_str());
        format!("{}/{owner}/{name}", self.environment.name)
    }

    fn kind(&self) -> Kind {
        if self.service.is_some() {
            Kind::Variable
        } else {
            Kind::SharedVariable
        }
    }

    fn change(&self, project: &str, action: Action, name: &str, reason: String, operation: Operation) -> Change {
        // Every rewrite is a reference change, whether the variable is declared or not.
        let kind = if action == Action::Rewrite { Kind::Reference } else { self.kind() };
        let change = Change::new(project, self.address(name), action, kind, operation)
            .in_environment(&self.environment.name)
            .named(name)
            .because(reason);
        match self.service {
            Some(service) => change.of_service(&service.name),
            None => change,
        }
    }
}

/// Every desired service of a project, across its environment files, in name order.
fn desired_services<'m>(environments: &[&'m Environment]) -> Vec<DesiredService<'m>> {
    let mut services: BTreeMap<&'m str, DesiredService<'m>> = BTreeMap::new();
    for (index, environment) in environments.iter().enumerate() {
        for service in environment.services.values() {
            let entry = services.entry(&service.name).or_insert_with(|| DesiredService {
                name: &service.name,
                pinned_id: None,
                renamed_from: BTreeSet::new(),
                declarations: Vec::new(),
            });
            entry.pinned_id = entry.pinned_id.or(service.id.as_deref());
            entry.renamed_from.extend(service.renamed_from.iter().map(String::as_str));
            entry.declarations.push((index, service));
        }
    }
    services.into_values().collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;
    use crate::plan::{PatchEntry, WireValue, MASK};
    use crate::secret::PlanKey;
    use crate::state::{LiveInstance, LiveService, LiveValue::Value};

    pub(super) fn model(files: &[(&str, &str)]) -> Model {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        config::load(&[dir.path().to_path_buf()]).unwrap()
    }

    fn instance(variables: &[(&str, &str)]) -> LiveInstance {
        LiveInstance {
            source: None,
            volume_mounts: Vec::new(),
            variables: variables.iter().map(|(k, v)| (k.to_string(), Value(v.to_string()))).collect(),
            settings: serde_json::Value::Null,
            deployments: None,
            dns_records: Default::default(),
        }
    }

    fn environment(id: &str, name: &str, instances: Vec<(&str, LiveInstance)>) -> LiveEnvironment {
        LiveEnvironment {
            id: id.into(),
            name: name.into(),
            config_etag: format!("etag-{id}"),
            unmerged_changes: 0,
            shared: BTreeMap::new(),
            instances: instances.into_iter().map(|(id, i)| (id.to_string(), i)).collect(),
            ephemeral: None,
        }
    }

    pub(super) fn seeded_project(db_name: &str) -> LiveProject {
        let api = || instance(&[("DATABASE_URL", &format!("${{{{{db_name}.DATABASE_URL}}}}"))]);
        LiveProject {
            id: "p1".into(),
            name: "platform".into(),
            services: vec![
                LiveService { id: "s-db".into(), name: db_name.into() },
                LiveService { id: "s-api".into(), name: "platform-api".into() },
            ],
            environments: vec![
                environment("e-dev", "dev", vec![("s-db", instance(&[])), ("s-api", api())]),
                environment("e-staging", "staging", vec![("s-db", instance(&[])), ("s-api", api())]),
            ],
        }
    }

    const DEV: &str = r#"
project = "platform"
environment = "dev"
[services.platform-db]
renamed_from = ["Postgres-OG9n"]
variables = { DATABASE_URL = { preserve = true } }
[services.platform-api.variables]
DATABASE_URL = "$<<platform-db.DATABASE_URL>>"
"#;

    pub(super) fn actions(plan: &Plan) -> Vec<String> {
        plan.changes.iter().map(|c| format!("{:?} {}", c.action, c.address)).collect()
    }

    #[test]
    fn a_rename_keeps_the_service_and_rewrites_references_in_every_environment() {
        let model = model(&[("dev.toml", DEV)]);
        let plan = diff(&model, &[Some(seeded_project("Postgres-OG9n"))], &Secrets::default(), &DiffOptions::default());
        assert_eq!(
            actions(&plan),
            [
                "Rename platform-db",
                "Rewrite dev/platform-api/DATABASE_URL",
                "Rewrite staging/platform-api/DATABASE_URL",
                "Deploy dev/platform-api",
                // The renamed service itself: a new deployment sees its new RAILWAY_SERVICE_NAME.
                "Deploy dev/platform-db",
                "Deploy staging/platform-api",
            ]
        );
        assert!(
            matches!(&plan.changes[0].operation, Operation::RenameService { service: Id::Live(id), name } if id == "s-db" && name == "platform-db")
        );
        let Operation::Patch { entry: PatchEntry::Variable { name, value }, environment, .. } =
            &plan.changes[2].operation
        else {
            panic!("{:?}", plan.changes[2].operation)
        };
        assert_eq!(environment, &Id::Live("e-staging".into()));
        assert_eq!(name, "DATABASE_URL");
        // Staging has no file: its value is not railform's, so the plan keeps only a hash of it.
        let renames = vec![("Postgres-OG9n".to_string(), "platform-db".to_string())];
        let key = PlanKey::default();
        let digest = key.digest("${{Postgres-OG9n.DATABASE_URL}}");
        let digest_after = key.digest("${{platform-db.DATABASE_URL}}");
        assert_eq!(value, &WireValue::Rewrite { renames, digest, digest_after });
        assert_eq!(plan.summary.line(), "Plan: 0 to add, 2 to change, 0 to destroy, 1 to rename.");
    }

    #[test]
    fn references_to_an_old_name_are_rewritten_after_the_rename_itself_happened() {
        let mut live = seeded_project("platform-db");
        // An interrupted apply: renamed, dev rewritten, staging not yet.
        live.environments[0]
            .instances
            .insert("s-api".into(), instance(&[("DATABASE_URL", "${{platform-db.DATABASE_URL}}")]));
        live.environments[1]
            .instances
            .insert("s-api".into(), instance(&[("DATABASE_URL", "x ${{Postgres-OG9n.DATABASE_URL}}")]));
        let plan = diff(&model(&[("dev.toml", DEV)]), &[Some(live)], &Secrets::default(), &DiffOptions::default());
        assert_eq!(actions(&plan), ["Rewrite staging/platform-api/DATABASE_URL", "Deploy staging/platform-api"]);
        let Operation::Patch { entry: PatchEntry::Variable { value, .. }, .. } = &plan.changes[0].operation else {
            panic!()
        };
        assert!(matches!(value, WireValue::Rewrite { digest, .. }
            if *digest == PlanKey::default().digest("x ${{Postgres-OG9n.DATABASE_URL}}")));
        // Only the references are shown for a value railform does not manage.
        assert_eq!(plan.changes[0].before.as_deref(), Some("${{Postgres-OG9n.DATABASE_URL}}"));
    }

    #[test]
    fn a_converged_project_plans_nothing() {
        let mut live = seeded_project("platform-db");
        live.environments.truncate(1);
        let plan = diff(&model(&[("dev.toml", DEV)]), &[Some(live)], &Secrets::default(), &DiffOptions::default());
        assert!(plan.is_empty(), "{:?}", actions(&plan));
        assert_eq!(plan.summary.line(), "No changes.");
    }

    #[test]
    fn secrets_are_compared_but_never_shown_or_saved() {
        let dev = format!(
            "{DEV}JWT = {{ from_env = \"JWT_ENV\" }}\nKEY = {{ value = \"literal-secret-42\", sensitive = true }}\nGEN = {{ generate = \"secret\" }}\n"
        );
        let model = model(&[("dev.toml", &dev)]);
        let secrets = Secrets::resolve(&model, |_| Some("env-secret-17".to_string())).unwrap();
        let mut live = seeded_project("platform-db");
        live.environments.truncate(1);
        live.environments[0]
            .instances
            .get_mut("s-api")
            .unwrap()
            .variables
            .insert("JWT".into(), Value("old-secret-99".into()));
        let plan = diff(&model, &[Some(live)], &secrets, &DiffOptions::default());
        assert_eq!(
            actions(&plan),
            [
                "Create dev/platform-api/GEN",
                "Update dev/platform-api/JWT",
                "Create dev/platform-api/KEY",
                "Deploy dev/platform-api"
            ]
        );
        let saved = serde_json::to_string(&plan).unwrap();
        for secret in ["env-secret-17", "literal-secret-42", "old-secret-99"] {
            assert!(!saved.contains(secret), "{secret} leaked into {saved}");
        }
        assert!(plan.changes[..3].iter().all(|c| c.sensitive));
        assert_eq!(plan.changes[1].before.as_deref(), Some(MASK));

        // The same secret live: nothing to do.
        let mut live = seeded_project("platform-db");
        live.environments.truncate(1);
        let api = live.environments[0].instances.get_mut("s-api").unwrap();
        api.variables.insert("JWT".into(), Value("env-secret-17".into()));
        api.variables.insert("KEY".into(), Value("literal-secret-42".into()));
        api.variables.insert("GEN".into(), Value("whatever-was-generated".into()));
        assert!(diff(&model, &[Some(live)], &secrets, &DiffOptions::default()).is_empty());
    }

    #[test]
    fn undeclared_live_variables_are_drift_unless_pruned_or_ignored() {
        let dev = DEV.replace(
            "[services.platform-api.variables]",
            "[services.platform-api]\nignore = [\"RAILWAY_*\"]\n[services.platform-api.variables]",
        );
        let model = model(&[("dev.toml", &dev)]);
        let mut live = seeded_project("platform-db");
        live.environments.truncate(1);
        let api = live.environments[0].instances.get_mut("s-api").unwrap();
        api.variables.insert("HAND_EDIT".into(), Value("1".into()));
        api.variables.insert("RAILWAY_DOCKERFILE_PATH".into(), Value("x".into()));
        let plan = diff(&model, &[Some(live.clone())], &Secrets::default(), &DiffOptions::default());
        assert!(plan.changes.is_empty());
        assert_eq!(
            plan.unmanaged.iter().map(|u| u.address.as_str()).collect::<Vec<_>>(),
            ["dev/platform-api/HAND_EDIT"]
        );
        assert!(!plan.is_empty(), "drift is not an empty plan");
        let pruned =
            diff(&model, &[Some(live)], &Secrets::default(), &DiffOptions { prune: true, ..DiffOptions::default() });
        assert_eq!(actions(&pruned), ["Delete dev/platform-api/HAND_EDIT", "Deploy dev/platform-api"]);
    }

    #[test]
    fn instances_reading_a_changed_variable_are_redeployed_too() {
        let files = [(
            "dev.toml",
            "project = \"platform\"\nenvironment = \"dev\"\n[shared]\nLEVEL = \"info\"\n\
             [services.api.variables]\nPORT = \"8080\"\n\
             [services.worker.variables]\nAPI = \"http://x:$<<api.PORT>>\"\nHOP = \"$<<API>>\"\n\
             [services.cron.variables]\nLEVEL = \"$<<shared.LEVEL>>\"\n",
        )];
        let live = LiveProject {
            id: "p1".into(),
            name: "platform".into(),
            services: ["api", "worker", "cron"]
                .iter()
                .map(|n| LiveService { id: format!("s-{n}"), name: n.to_string() })
                .collect(),
            environments: vec![LiveEnvironment {
                shared: BTreeMap::from([("LEVEL".to_string(), Value("info".into()))]),
                ..environment(
                    "e-dev",
                    "dev",
                    vec![
                        ("s-api", instance(&[("PORT", "8000")])),
                        ("s-worker", instance(&[("API", "http://x:${{api.PORT}}"), ("HOP", "${{API}}")])),
                        ("s-cron", instance(&[("LEVEL", "${{shared.LEVEL}}")])),
                    ],
                )
            }],
        };
        let plan = diff(&model(&files), &[Some(live)], &Secrets::default(), &DiffOptions::default());
        assert_eq!(actions(&plan), ["Update dev/api/PORT", "Deploy dev/api", "Deploy dev/worker"]);
    }

    #[test]
    fn a_missing_project_is_created_with_its_environments_and_services() {
        let files = [
            ("base.toml", "project = \"platform\"\n[services.db]\ntemplate = \"postgres\"\n[services.api]\nimage = \"a:1\"\n[services.api.variables]\nURL = \"$<<db.DATABASE_URL>>\"\n"),
            ("prod.toml", "extends = \"base.toml\"\nenvironment = { name = \"prod\", renamed_from = [\"production\"] }\n"),
            ("dev.toml", "extends = \"base.toml\"\nenvironment = \"dev\"\n"),
        ];
        let plan = diff(&model(&files), &[None], &Secrets::default(), &DiffOptions::default());
        let got = actions(&plan);
        assert_eq!(&got[..5], ["Create project:platform", "Create dev", "Rename prod", "Create api", "Create db"]);
        assert!(got.contains(&"Create dev/db/volume".to_string()));
        assert!(got.contains(&"Create prod/api/source".to_string()));
        assert_eq!(got.iter().filter(|a| a.starts_with("Deploy")).count(), 4);
        assert!(
            matches!(&plan.changes[2].operation, Operation::RenameEnvironment { environment: Id::New(key), .. } if key.ends_with("/project/production"))
        );
    }
}

#[cfg(test)]
mod settings_tests {
    use serde_json::json;

    use super::tests::{actions, model, seeded_project};
    use super::*;
    use crate::config::settings::{CustomDomain, Deploy, Networking, RestartPolicy, Settings};
    use crate::plan::PatchEntry;

    #[test]
    fn settings_are_diffed_leaf_by_leaf_and_networking_by_domain_and_port() {
        let mut model =
            model(&[("dev.toml", "project = \"platform\"\nenvironment = \"dev\"\n[services.platform-api]\n")]);
        let api = model.environments[0].services.get_mut("platform-api").unwrap();
        api.settings = Settings {
            deploy: Deploy {
                start_command: Some("node server.js".into()),
                restart_policy: Some(RestartPolicy::OnFailure),
                replicas: Some(2),
                ..Deploy::default()
            },
            networking: Some(Networking {
                railway_domain: None,
                custom_domains: vec![CustomDomain { domain: "api.acme.com".into(), port: Some(8000) }],
                tcp_proxy: vec![],
            }),
            ..Settings::default()
        };
        let mut live = seeded_project("platform-db");
        let instance = live.environments[0].instances.get_mut("s-api").unwrap();
        instance.settings = json!({
            "deploy": {"startCommand": "node server.js", "restartPolicyType": "ALWAYS", "numReplicas": 2.0},
            "networking": {"tcpProxies": {"8080": {}}},
        });
        let plan = diff(&model, &[Some(live.clone())], &Secrets::default(), &DiffOptions::default());
        assert_eq!(
            actions(&plan),
            [
                "Update dev/platform-api/deploy.restart_policy",
                "Create dev/platform-api/networking.custom_domains[api.acme.com]",
                "Deploy dev/platform-api"
            ]
        );
        assert_eq!(plan.changes[0].before.as_deref(), Some("ALWAYS"));
        assert_eq!(plan.changes[0].after.as_deref(), Some("ON_FAILURE"));
        assert!(matches!(&plan.changes[1].operation,
            Operation::Patch { entry: PatchEntry::Setting { path, value }, .. }
                if path.join(".") == "networking.customDomains.api.acme.com" && *value == json!({"port": 8000})));
        let proxies: Vec<&str> =
            plan.unmanaged.iter().filter(|u| u.kind == Kind::Setting).map(|u| u.address.as_str()).collect();
        assert_eq!(proxies, ["dev/platform-api/networking.tcp_proxy[8080]"]);

        let pruned =
            diff(&model, &[Some(live)], &Secrets::default(), &DiffOptions { prune: true, ..DiffOptions::default() });
        assert!(pruned
            .changes
            .iter()
            .any(|c| c.address == "dev/platform-api/networking.tcp_proxy[8080]" && c.action == Action::Delete));
    }
}
