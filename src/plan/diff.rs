//! The diff: desired model + live state → [`Plan`], with no I/O.
//!
//! Identity: a service is matched by its pinned `id`, else its name, else a `renamed_from`
//! name; environments by name, else `renamed_from`. Service names are project-wide in Railway,
//! so a rename is one change for the project, followed by a rewrite of every `${{Old.…}}`
//! reference in every environment — declared in the files or not. References to an old name
//! are rewritten even after the service itself was renamed, so a rerun after an interrupted
//! apply converges.

use std::collections::{BTreeMap, BTreeSet};

use super::{
    Action, Change, Fingerprint, Id, Kind, Operation, Plan, ProjectFingerprint, SecretSource, Unmanaged, WireValue,
    MASK,
};
use crate::config::model::{Environment, Model, ProjectRef, Service, Source, Variable, VariableValue};
use crate::config::secrets::Secrets;
use crate::refs::{self, Target};
use crate::secret::sha256_hex;
use crate::state::{LiveEnvironment, LiveInstance, LiveProject, LiveSource, LiveValue};

/// Choices that change what the diff produces.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Delete live variables the files do not declare, instead of reporting them.
    pub prune: bool,
}

/// Computes the plan for every project of `model`. `live[i]` is the live state of the i-th
/// project of [`Model::projects`] (`None`: it does not exist yet).
pub fn diff(model: &Model, live: &[Option<LiveProject>], secrets: &Secrets, options: &DiffOptions) -> Plan {
    let mut changes = Vec::new();
    let mut unmanaged = Vec::new();
    let mut warnings = Vec::new();
    let mut fingerprint =
        Fingerprint { paths: model.environments.iter().map(|e| e.file.clone()).collect(), projects: Vec::new() };
    for (index, (project, environments)) in model.projects().into_iter().enumerate() {
        let live = live.get(index).and_then(Option::as_ref);
        let mut project_diff = ProjectDiff::new(project, live, secrets, options);
        project_diff.run(&environments);
        changes.extend(project_diff.changes);
        unmanaged.extend(project_diff.unmanaged);
        warnings.extend(project_diff.warnings);
        fingerprint.projects.push(project_fingerprint(project, live));
    }
    changes.sort_by_key(phase);
    Plan::new(changes, unmanaged, warnings, fingerprint)
}

fn project_fingerprint(project: &ProjectRef, live: Option<&LiveProject>) -> ProjectFingerprint {
    ProjectFingerprint {
        name: project.to_string(),
        id: live.map(|p| p.id.clone()),
        environments: live
            .map(|p| p.environments.iter().map(|e| (e.id.clone(), e.config_etag.clone())).collect())
            .unwrap_or_default(),
        services: live.map(|p| p.services.iter().map(|s| (s.id.clone(), s.name.clone())).collect()).unwrap_or_default(),
    }
}

/// The order `apply` runs changes in: environments, services, renames with their reference
/// rewrites, variables, deletes, deploys. Sorting is stable, so changes of one instance stay
/// together (apply sends them as one write).
fn phase(change: &Change) -> u8 {
    if change.action == Action::Rewrite {
        return 3;
    }
    match &change.operation {
        Operation::CreateProject { .. } => 0,
        Operation::CreateEnvironment { .. } | Operation::RenameEnvironment { .. } => 1,
        Operation::CreateService { .. }
        | Operation::CreateInstance { .. }
        | Operation::UpdateSource { .. }
        | Operation::CreateVolume { .. } => 2,
        Operation::RenameService { .. } => 3,
        Operation::UpsertVariables { .. } => 4,
        Operation::DeleteVariable { .. } | Operation::DeleteService { .. } => 5,
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
    /// Instances (environment name, service name) that need a deploy.
    to_deploy: BTreeMap<(String, String), (Id, Id)>,
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
                None => Id::New("project".to_string()),
            },
            changes: Vec::new(),
            unmanaged: Vec::new(),
            warnings: Vec::new(),
            to_deploy: BTreeMap::new(),
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
            let operation = Operation::CreateProject { key: "project".to_string(), name: name.clone() };
            self.add(
                Change::new(&self.project_name, format!("project:{name}"), Action::Create, Kind::Project, operation)
                    .because("the project does not exist yet"),
            );
        }
        let matched = self.match_environments(environments);
        let services = desired_services(environments);
        let (service_ids, renames) = self.match_services(&services, &matched);
        for (index, environment) in matched.iter().enumerate() {
            let Some(desired) = environment.desired else { continue };
            self.diff_shared(environment, desired, &renames);
            for service in desired.services.values().filter(|s| !s.delete) {
                let Some(service_id) = service_ids.get(service.name.as_str()) else { continue };
                self.diff_instance(environment, index, service, service_id, &renames, &services);
            }
            self.report_undeclared_instances(environment, desired, &service_ids, &renames);
        }
        self.rewrite_unfiled_environments(&matched, &renames);
        self.report_unmanaged_services(&service_ids);
        for environment in &matched {
            self.deploy_dependents(environment, &service_ids, &renames);
        }
        self.plan_deploys();
    }

    /// Matches each desired environment to a live one by name, else by an earlier name.
    fn match_environments(&mut self, environments: &[&'m Environment]) -> Vec<EnvironmentMatch<'m, 'l>> {
        let live_environments: &'l [LiveEnvironment] = self.live.map(|p| p.environments.as_slice()).unwrap_or(&[]);
        let mut default_environment_taken = false;
        let mut matched = Vec::new();
        for desired in environments {
            let by_name = live_environments.iter().find(|e| e.name == desired.name);
            let by_old_name =
                || desired.renamed_from.iter().find_map(|old| live_environments.iter().find(|e| &e.name == old));
            let (id, live) = match (by_name, by_name.is_none().then(by_old_name).flatten()) {
                (Some(live), _) => (Id::Live(live.id.clone()), Some(live)),
                (None, Some(live)) => {
                    let operation = Operation::RenameEnvironment {
                        environment: Id::Live(live.id.clone()),
                        name: desired.name.clone(),
                    };
                    self.add(
                        Change::new(&self.project_name, &desired.name, Action::Rename, Kind::Environment, operation)
                            .in_environment(&desired.name)
                            .named(&desired.name)
                            .because(format!("renamed from `{}`", live.name))
                            .values(Some(live.name.clone()), Some(desired.name.clone())),
                    );
                    (Id::Live(live.id.clone()), Some(live))
                }
                (None, None) => {
                    // A project railform creates starts with an environment `production`.
                    let is_default =
                        desired.name == "production" || desired.renamed_from.iter().any(|n| n == "production");
                    if self.live.is_none() && is_default && !default_environment_taken {
                        default_environment_taken = true;
                        let id = Id::New("project/production".to_string());
                        if desired.name != "production" {
                            let operation =
                                Operation::RenameEnvironment { environment: id.clone(), name: desired.name.clone() };
                            self.add(
                                Change::new(
                                    &self.project_name,
                                    &desired.name,
                                    Action::Rename,
                                    Kind::Environment,
                                    operation,
                                )
                                .in_environment(&desired.name)
                                .named(&desired.name)
                                .because("a new project's first environment is `production`")
                                .values(Some("production".to_string()), Some(desired.name.clone())),
                            );
                        }
                        (id, None)
                    } else {
                        let key = format!("environment:{}", desired.name);
                        let operation = Operation::CreateEnvironment {
                            key: key.clone(),
                            project: self.project_id.clone(),
                            name: desired.name.clone(),
                        };
                        self.add(
                            Change::new(
                                &self.project_name,
                                &desired.name,
                                Action::Create,
                                Kind::Environment,
                                operation,
                            )
                            .in_environment(&desired.name)
                            .because("declared in the files, missing in Railway"),
                        );
                        (Id::New(key), None)
                    }
                }
            };
            matched.push(EnvironmentMatch { name: desired.name.clone(), desired: Some(desired), id, live });
        }
        matched
    }

    /// Matches desired services to live ones; plans creates, renames and tombstone deletes.
    /// Returns the id of every service that will exist, by desired name, and the renames whose
    /// references must be rewritten.
    fn match_services(
        &mut self,
        services: &[DesiredService<'m>],
        environments: &[EnvironmentMatch<'m, 'l>],
    ) -> (BTreeMap<&'m str, Id>, Vec<Rename>) {
        let live_services = self.live.map(|p| p.services.as_slice()).unwrap_or(&[]);
        let mut ids = BTreeMap::new();
        let mut renames = Vec::new();
        for service in services {
            let by_id = service.pinned_id.and_then(|id| live_services.iter().find(|s| s.id == id));
            let by_name = || live_services.iter().find(|s| s.name == service.name);
            let by_old_name =
                || service.renamed_from.iter().find_map(|old| live_services.iter().find(|s| s.name == *old));
            let live = by_id.or_else(by_name).or_else(by_old_name);
            let tombstone = service.declarations.iter().all(|(_, declared)| declared.delete);
            if tombstone {
                if let Some(live) = live {
                    self.plan_delete(service, &live.id, environments);
                }
                continue;
            }
            let id = match live {
                Some(live) => {
                    if live.name != service.name {
                        let operation = Operation::RenameService {
                            service: Id::Live(live.id.clone()),
                            name: service.name.to_string(),
                        };
                        self.add(
                            Change::new(&self.project_name, service.name, Action::Rename, Kind::Service, operation)
                                .of_service(service.name)
                                .named(service.name)
                                .because("renamed_from: the service keeps its id, volume and data")
                                .values(Some(live.name.clone()), Some(service.name.to_string())),
                        );
                        renames.push(Rename { old: live.name.clone(), new: service.name.to_string() });
                    }
                    Id::Live(live.id.clone())
                }
                None => {
                    let key = format!("service:{}", service.name);
                    let in_environments: Vec<Id> = service
                        .declarations
                        .iter()
                        .filter(|(_, declared)| !declared.delete)
                        .map(|(index, _)| environments[*index].id.clone())
                        .collect();
                    let reason =
                        format!("declared in {} environment file(s), missing in Railway", in_environments.len());
                    // Railway creates a service in every environment unless told one: fine when
                    // every environment of the project declares it.
                    let unfiled = match self.live {
                        Some(live) => {
                            live.environments.len() > environments.iter().filter(|e| e.live.is_some()).count()
                        }
                        // A new project starts with `production`: unfiled unless a file claims it.
                        None => !environments.iter().any(|e| e.id == Id::New("project/production".to_string())),
                    };
                    let everywhere = in_environments.len() == environments.len() && !unfiled;
                    let operation = Operation::CreateService {
                        key: key.clone(),
                        project: self.project_id.clone(),
                        name: service.name.to_string(),
                        environments: (!everywhere).then_some(in_environments),
                    };
                    self.add(
                        Change::new(&self.project_name, service.name, Action::Create, Kind::Service, operation)
                            .of_service(service.name)
                            .because(reason),
                    );
                    Id::New(key)
                }
            };
            // References still naming an earlier name are rewritten, even after the rename
            // itself happened (an interrupted apply), as long as no other live service has it.
            for old in &service.renamed_from {
                let taken = live_services.iter().any(|s| s.name == *old && Id::Live(s.id.clone()) != id);
                let already = renames.iter().any(|r| r.old == *old);
                if !taken && !already {
                    renames.push(Rename { old: old.to_string(), new: service.name.to_string() });
                }
            }
            ids.insert(service.name, id);
        }
        (ids, renames)
    }

    fn plan_delete(&mut self, service: &DesiredService<'m>, live_id: &str, environments: &[EnvironmentMatch<'m, 'l>]) {
        let live_volume = environments
            .iter()
            .filter_map(|e| e.live)
            .any(|e| e.instances.get(live_id).is_some_and(|i| !i.volume_mounts.is_empty()));
        let protected = service.declarations.iter().any(|(_, declared)| declared.is_protected(live_volume));
        if protected {
            self.warnings.push(format!(
                "service `{}` is marked `delete = true` but is protected (it has a volume): \
                 set `protect = false` and run apply with --allow-destroy to delete it",
                service.name
            ));
            return;
        }
        let operation = Operation::DeleteService { service: Id::Live(live_id.to_string()) };
        self.add(
            Change::new(&self.project_name, service.name, Action::Delete, Kind::Service, operation)
                .of_service(service.name)
                .because("marked `delete = true` (needs --allow-destroy)"),
        );
    }

    fn diff_shared(&mut self, environment: &EnvironmentMatch<'m, 'l>, desired: &'m Environment, renames: &[Rename]) {
        let empty = BTreeMap::new();
        let live = environment.live.map(|e| &e.shared).unwrap_or(&empty);
        let target = VariableTarget { environment, service: None, service_id: None };
        // Instances that read a changed shared variable are redeployed by `deploy_dependents`.
        self.diff_variables(&target, &desired.shared, live, renames);
    }

    fn diff_instance(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        environment_index: usize,
        service: &'m Service,
        service_id: &Id,
        renames: &[Rename],
        services: &[DesiredService<'m>],
    ) {
        let env_name = &environment.name;
        let address = format!("{env_name}/{}", service.name);
        let live_instance: Option<&LiveInstance> = match (service_id, environment.live) {
            (Id::Live(id), Some(live)) => live.instances.get(id),
            _ => None,
        };
        let created_by_service_create = matches!(service_id, Id::New(_))
            && services
                .iter()
                .any(|s| s.name == service.name && s.declarations.iter().any(|(i, _)| *i == environment_index));
        if live_instance.is_none() && !created_by_service_create {
            let operation =
                Operation::CreateInstance { service: service_id.clone(), environment: environment.id.clone() };
            self.add(
                Change::new(&self.project_name, &address, Action::Create, Kind::Service, operation)
                    .in_environment(env_name)
                    .of_service(&service.name)
                    .because(format!("service `{}` has no instance in `{env_name}` yet", service.name)),
            );
        }
        let mut changed = false;
        // Source: only managed when declared.
        if let Some(desired) = &service.source {
            let live_source = live_instance.and_then(|i| i.source.as_ref());
            if let (Source::Repo { branch: Some(want), .. }, Some(LiveSource::Repo { branch: Some(have), .. })) =
                (desired, live_source)
            {
                if want != have {
                    self.warnings.push(format!(
                        "{address}: the file says branch `{want}`, Railway deploys `{have}`; railform cannot \
                         change a repository's branch yet (Railway's serviceInstanceUpdate has no branch): \
                         change it in Railway's dashboard"
                    ));
                }
            }
            if !source_matches(desired, live_source) {
                let (image, repo, branch) = match desired {
                    Source::Image(image) => (Some(image.clone()), None, None),
                    Source::Repo { repo, branch } => (None, Some(repo.clone()), branch.clone()),
                };
                let action = if live_source.is_some() { Action::Update } else { Action::Create };
                let operation = Operation::UpdateSource {
                    service: service_id.clone(),
                    environment: environment.id.clone(),
                    image,
                    repo,
                    branch,
                };
                self.add(
                    Change::new(&self.project_name, format!("{address}/source"), action, Kind::Source, operation)
                        .in_environment(env_name)
                        .of_service(&service.name)
                        .because(match live_source {
                            Some(_) => "the deployed source differs from the file",
                            None => "what the service deploys",
                        })
                        .values(live_source.map(describe_source), Some(describe_source_model(desired))),
                );
                changed = true;
            }
        }
        if let Some(volume) = &service.volume {
            let mounts = live_instance.map(|i| i.volume_mounts.as_slice()).unwrap_or(&[]);
            if mounts.is_empty() {
                let operation = Operation::CreateVolume {
                    project: self.project_id.clone(),
                    service: service_id.clone(),
                    environment: environment.id.clone(),
                    mount: volume.mount.clone(),
                };
                self.add(
                    Change::new(
                        &self.project_name,
                        format!("{address}/volume"),
                        Action::Create,
                        Kind::Volume,
                        operation,
                    )
                    .in_environment(env_name)
                    .of_service(&service.name)
                    .because(format!("a volume mounted at {}", volume.mount))
                    .values(None, Some(volume.mount.clone())),
                );
                changed = true;
            } else if !mounts.iter().any(|m| m.mount_path == volume.mount) {
                let live_paths: Vec<&str> = mounts.iter().map(|m| m.mount_path.as_str()).collect();
                self.warnings.push(format!(
                    "{address}: the live volume is mounted at {} but the file says {}; railform does not move volumes",
                    live_paths.join(", "),
                    volume.mount
                ));
            }
        }
        let empty = BTreeMap::new();
        let live_variables = live_instance.map(|i| &i.variables).unwrap_or(&empty);
        let target = VariableTarget { environment, service: Some(service), service_id: Some(service_id) };
        let changed_variables = self.diff_variables(&target, &service.variables, live_variables, renames);
        if changed || !changed_variables.is_empty() || live_instance.is_none() {
            self.mark_deploy(environment, &service.name, service_id.clone());
        }
    }

    /// Diffs one set of variables (a service's, or the shared ones when `target.service` is
    /// `None`). Returns the names that change.
    fn diff_variables(
        &mut self,
        target: &VariableTarget<'_, 'm, 'l>,
        desired: &'m BTreeMap<String, Variable>,
        live: &BTreeMap<String, LiveValue>,
        renames: &[Rename],
    ) -> BTreeSet<String> {
        let mut changed = BTreeSet::new();
        for (name, variable) in desired {
            if variable.value == VariableValue::Preserve
                && !live.contains_key(name)
                && target.environment.live.is_some()
            {
                self.warnings.push(format!(
                    "{}: declared `{{ preserve = true }}` but missing in Railway; railform cannot create it",
                    target.address(name)
                ));
            }
            if let Some(change) = self.diff_variable(target, name, variable, live.get(name), renames) {
                self.changes.push(change);
                changed.insert(name.clone());
            }
        }
        for (name, value) in live {
            if desired.contains_key(name) || target.service.is_some_and(|s| s.ignores(name)) {
                continue;
            }
            let address = target.address(name);
            if self.options.prune {
                let operation = Operation::DeleteVariable {
                    project: self.project_id.clone(),
                    environment: target.environment.id.clone(),
                    service: target.service_id.cloned(),
                    name: name.clone(),
                };
                let reason = "not declared in the file (--prune)".to_string();
                let change = target.change(&self.project_name, Action::Delete, name, reason, operation);
                self.changes.push(change);
                changed.insert(name.clone());
                continue;
            }
            self.unmanaged.push(Unmanaged {
                address,
                kind: target.kind(),
                environment: Some(target.environment.name.clone()),
                service: target.service.map(|s| s.name.clone()),
                name: name.clone(),
            });
            if let Some(change) = self.rewrite_live_value(target, name, value, renames) {
                self.changes.push(change);
                changed.insert(name.clone());
            }
        }
        changed
    }

    fn diff_variable(
        &self,
        target: &VariableTarget<'_, 'm, 'l>,
        name: &str,
        variable: &Variable,
        live: Option<&LiveValue>,
        renames: &[Rename],
    ) -> Option<Change> {
        let address = target.address(name);
        let sensitive = variable.value.is_sensitive();
        let upsert = |value: WireValue| Operation::UpsertVariables {
            project: self.project_id.clone(),
            environment: target.environment.id.clone(),
            service: target.service_id.cloned(),
            variables: BTreeMap::from([(name.to_string(), value)]),
        };
        let (action, reason, wire, before, after) = match (&variable.value, live) {
            (VariableValue::Preserve, _) | (VariableValue::Generate { .. }, Some(_)) => return None,
            // A sealed value cannot be read back: railform compares it by presence only.
            (_, Some(LiveValue::Sealed)) => return None,
            (VariableValue::Generate { length, alphabet }, None) => (
                Action::Create,
                "generated once, never rotated".to_string(),
                WireValue::Secret(SecretSource::Generate { length: *length, alphabet: alphabet.clone() }),
                None,
                Some(MASK.to_string()),
            ),
            (VariableValue::FromEnv { name: env_name }, live) => {
                let secret = self.secrets.get(env_name)?;
                let live_value = match live {
                    Some(LiveValue::Value(value)) => Some(value),
                    _ => None,
                };
                if live_value.is_some_and(|value| value == secret.expose()) {
                    return None;
                }
                let wire = WireValue::Secret(SecretSource::Env { name: env_name.clone(), sha256: secret.sha256() });
                let (action, reason) = match live_value {
                    None => (Action::Create, format!("from ${env_name}")),
                    Some(_) => (Action::Update, format!("${env_name} holds a different value")),
                };
                (action, reason, wire, live_value.map(|_| MASK.to_string()), Some(MASK.to_string()))
            }
            (VariableValue::Literal { value, sensitive }, live) => {
                let desired_wire = refs::to_railway_syntax(value);
                let live_value = match live {
                    Some(LiveValue::Value(value)) => Some(value.as_str()),
                    _ => None,
                };
                if live_value == Some(desired_wire.as_str()) {
                    return None;
                }
                let wire = if *sensitive {
                    WireValue::Secret(SecretSource::File {
                        address: address.clone(),
                        sha256: sha256_hex(&desired_wire),
                    })
                } else {
                    WireValue::Plain(desired_wire.clone())
                };
                let rewritten = live_value.map(|value| apply_renames(value, renames));
                let (action, reason) = match (live_value, rewritten) {
                    (None, _) => (Action::Create, "declared in the file, missing in Railway".to_string()),
                    (Some(_), Some(Some(rewritten))) if rewritten == desired_wire => {
                        (Action::Rewrite, rewrite_reason(live_value.unwrap_or_default(), renames))
                    }
                    (Some(_), _) => (Action::Update, "the live value differs from the file".to_string()),
                };
                let shown = |text: &str| if *sensitive { MASK.to_string() } else { text.to_string() };
                let (before, after) = match (action, live_value) {
                    // A rewrite changes only references: show those, not the whole value.
                    (Action::Rewrite, Some(live_value)) => {
                        let (before, after) = reference_summary(live_value, renames);
                        (Some(before), Some(after))
                    }
                    _ => (live_value.map(shown), Some(shown(&desired_wire))),
                };
                (action, reason, wire, before, after)
            }
        };
        let change = target.change(&self.project_name, action, name, reason, upsert(wire));
        Some(change.sensitive(sensitive).values(before, after))
    }

    /// A rewrite of a live value that railform does not manage but that names a renamed service.
    fn rewrite_live_value(
        &self,
        target: &VariableTarget<'_, 'm, 'l>,
        name: &str,
        value: &LiveValue,
        renames: &[Rename],
    ) -> Option<Change> {
        let owner = target.service.map(|s| s.name.as_str()).zip(target.service_id);
        self.rewrite_change(target.environment, owner, name, value, renames)
    }

    /// The rewrite of one live value that names a renamed service, or `None` when it names none.
    /// `owner` is the service (name, id) holding it; `None` for a shared variable.
    fn rewrite_change(
        &self,
        environment: &EnvironmentMatch<'_, '_>,
        owner: Option<(&str, &Id)>,
        name: &str,
        value: &LiveValue,
        renames: &[Rename],
    ) -> Option<Change> {
        let LiveValue::Value(text) = value else { return None };
        let rewritten = apply_renames(text, renames)?;
        let owner_name = owner.map_or("shared", |(service, _)| service);
        let wire = WireValue::Rewrite {
            renames: renames.iter().map(|r| (r.old.clone(), r.new.clone())).collect(),
            sha256: sha256_hex(text),
            sha256_after: sha256_hex(&rewritten),
        };
        let operation = Operation::UpsertVariables {
            project: self.project_id.clone(),
            environment: environment.id.clone(),
            service: owner.map(|(_, id)| id.clone()),
            variables: BTreeMap::from([(name.to_string(), wire)]),
        };
        // The live value may not be declared, so it may hold a secret: show only the references.
        let (before, after) = reference_summary(text, renames);
        let address = format!("{}/{owner_name}/{name}", environment.name);
        let mut change = Change::new(&self.project_name, address, Action::Rewrite, Kind::Reference, operation)
            .in_environment(&environment.name)
            .named(name)
            .because(rewrite_reason(text, renames))
            .values(Some(before), Some(after));
        if let Some((service, _)) = owner {
            change = change.of_service(service);
        }
        Some(change)
    }

    /// Live instances in a filed environment whose service the file does not declare: reported,
    /// never deleted; their references to renamed services are still rewritten.
    fn report_undeclared_instances(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        desired: &'m Environment,
        service_ids: &BTreeMap<&'m str, Id>,
        renames: &[Rename],
    ) {
        let Some(live) = environment.live else { return };
        let declared_ids: BTreeSet<&str> = desired
            .services
            .values()
            .filter_map(|s| match service_ids.get(s.name.as_str()) {
                Some(Id::Live(id)) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        for (service_id, instance) in &live.instances {
            if declared_ids.contains(service_id.as_str()) {
                continue;
            }
            let name = self.service_name(service_id, renames);
            let deleted = desired.services.get(&name).is_some_and(|s| s.delete);
            if deleted {
                continue;
            }
            self.unmanaged.push(Unmanaged {
                address: format!("{}/{name}", environment.name),
                kind: Kind::Service,
                environment: Some(environment.name.clone()),
                service: Some(name.clone()),
                name: name.clone(),
            });
            self.rewrite_instance(environment, service_id, &name, instance, renames);
        }
    }

    /// Live environments that no file describes: only their references to renamed services
    /// are rewritten (a rename is project-wide).
    fn rewrite_unfiled_environments(&mut self, matched: &[EnvironmentMatch<'m, 'l>], renames: &[Rename]) {
        if renames.is_empty() {
            return;
        }
        let Some(live) = self.live else { return };
        for environment in &live.environments {
            if matched.iter().any(|m| m.live.is_some_and(|l| l.id == environment.id)) {
                continue;
            }
            let unfiled = EnvironmentMatch {
                name: environment.name.clone(),
                desired: None,
                id: Id::Live(environment.id.clone()),
                live: Some(environment),
            };
            let target = VariableTarget { environment: &unfiled, service: None, service_id: None };
            for (name, value) in &environment.shared {
                if let Some(change) = self.rewrite_live_value(&target, name, value, renames) {
                    self.changes.push(change);
                }
            }
            for (service_id, instance) in &environment.instances {
                let name = self.service_name(service_id, renames);
                self.rewrite_instance(&unfiled, service_id, &name, instance, renames);
            }
        }
    }

    fn rewrite_instance(
        &mut self,
        environment: &EnvironmentMatch<'_, 'l>,
        service_id: &str,
        service_name: &str,
        instance: &LiveInstance,
        renames: &[Rename],
    ) {
        let id = Id::Live(service_id.to_string());
        let mut rewrote = false;
        for (name, value) in &instance.variables {
            let owner = Some((service_name, &id));
            if let Some(change) = self.rewrite_change(environment, owner, name, value, renames) {
                self.changes.push(change);
                rewrote = true;
            }
        }
        if rewrote {
            self.to_deploy.insert((environment.name.clone(), service_name.to_string()), (id, environment.id.clone()));
        }
    }

    fn report_unmanaged_services(&mut self, service_ids: &BTreeMap<&'m str, Id>) {
        let Some(live) = self.live else { return };
        let managed: BTreeSet<&str> = service_ids
            .values()
            .filter_map(|id| match id {
                Id::Live(id) => Some(id.as_str()),
                Id::New(_) => None,
            })
            .collect();
        let deleted: BTreeSet<&str> = self
            .changes
            .iter()
            .filter_map(|c| match &c.operation {
                Operation::DeleteService { service: Id::Live(id) } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let mut found = Vec::new();
        for service in &live.services {
            if !managed.contains(service.id.as_str()) && !deleted.contains(service.id.as_str()) {
                found.push(Unmanaged {
                    address: service.name.clone(),
                    kind: Kind::Service,
                    environment: None,
                    service: Some(service.name.clone()),
                    name: service.name.clone(),
                });
            }
        }
        // An instance already reported per environment is enough; the project-wide line is
        // for services with no instance in a filed environment.
        for entry in found {
            if !self.unmanaged.iter().any(|u| u.kind == Kind::Service && u.service == entry.service) {
                self.unmanaged.push(entry);
            }
        }
    }

    fn plan_deploys(&mut self) {
        for ((environment, service), (service_id, environment_id)) in std::mem::take(&mut self.to_deploy) {
            let operation = Operation::Deploy { service: service_id, environment: environment_id };
            let address = format!("{environment}/{service}");
            self.add(
                Change::new(&self.project_name, address, Action::Deploy, Kind::Deployment, operation)
                    .in_environment(&environment)
                    .of_service(&service)
                    .because("one deploy after all its changes"),
            );
        }
    }

    fn mark_deploy(&mut self, environment: &EnvironmentMatch<'_, '_>, service: &str, id: Id) {
        self.to_deploy.insert((environment.name.clone(), service.to_string()), (id, environment.id.clone()));
    }

    /// Railway resolves references when it deploys, so an instance whose variables refer,
    /// directly or through other variables, to a variable this plan changes is redeployed too.
    fn deploy_dependents(
        &mut self,
        environment: &EnvironmentMatch<'_, '_>,
        service_ids: &BTreeMap<&'m str, Id>,
        renames: &[Rename],
    ) {
        // (service or None for shared, variable) → its text once the plan is applied: the
        // files' value where declared, else the live one.
        let mut values: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
        let mut ids: BTreeMap<String, Id> =
            service_ids.iter().map(|(name, id)| (name.to_string(), id.clone())).collect();
        if let Some(live) = environment.live {
            for (name, value) in &live.shared {
                if let LiveValue::Value(text) = value {
                    values.insert((None, name.clone()), text.clone());
                }
            }
            for (service_id, instance) in &live.instances {
                let service = self.service_name(service_id, renames);
                ids.entry(service.clone()).or_insert_with(|| Id::Live(service_id.clone()));
                for (name, value) in &instance.variables {
                    if let LiveValue::Value(text) = value {
                        values.insert((Some(service.clone()), name.clone()), text.clone());
                    }
                }
            }
        }
        if let Some(desired) = environment.desired {
            let declared = desired.shared.iter().map(|(name, v)| (None, name, v)).chain(
                desired
                    .services
                    .values()
                    .filter(|s| !s.delete)
                    .flat_map(|s| s.variables.iter().map(move |(name, v)| (Some(s.name.clone()), name, v))),
            );
            for (owner, name, variable) in declared {
                if let Some(text) = variable.value.literal() {
                    values.insert((owner, name.clone()), text.to_string());
                }
            }
        }
        let mut changed: BTreeSet<(Option<String>, String)> = self
            .changes
            .iter()
            .filter(|c| c.environment.as_deref() == Some(environment.name.as_str()))
            .filter(|c| matches!(c.kind, Kind::Variable | Kind::SharedVariable | Kind::Reference))
            .filter_map(|c| Some((c.service.clone(), c.name.clone()?)))
            .collect();
        let new_name = |service: &str| -> String {
            renames.iter().find(|r| r.old == service).map_or(service, |r| r.new.as_str()).to_string()
        };
        loop {
            let reads_changed = |(owner, text): (&Option<String>, &String)| {
                refs::parse_lenient(text).iter().any(|reference| {
                    let target = match &reference.target {
                        Target::Service { service, var } => (Some(new_name(service)), var.clone()),
                        Target::Shared { var } => (None, var.clone()),
                        Target::Local { var } => (owner.clone(), var.clone()),
                    };
                    changed.contains(&target)
                })
            };
            let newly: Vec<(Option<String>, String)> = values
                .iter()
                .filter(|(key, text)| !changed.contains(*key) && reads_changed((&key.0, text)))
                .map(|(key, _)| key.clone())
                .collect();
            if newly.is_empty() {
                break;
            }
            changed.extend(newly);
        }
        for service in changed.into_iter().filter_map(|(owner, _)| owner) {
            if let Some(id) = ids.get(&service) {
                self.mark_deploy(environment, &service, id.clone());
            }
        }
    }

    /// The name a live service will have after this plan's renames.
    fn service_name(&self, service_id: &str, renames: &[Rename]) -> String {
        let live_name = self.live.and_then(|p| p.services.iter().find(|s| s.id == service_id)).map(|s| s.name.as_str());
        match live_name {
            Some(name) => renames.iter().find(|r| r.old == name).map_or(name, |r| r.new.as_str()).to_string(),
            None => service_id.to_string(),
        }
    }

    fn add(&mut self, change: Change) {
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

/// `text` with every reference to a renamed service pointing at the new name, or `None` when
/// nothing in it refers to a renamed service.
fn apply_renames(text: &str, renames: &[Rename]) -> Option<String> {
    refs::rewrite_services(text, renames.iter().map(|r| (r.old.as_str(), r.new.as_str())))
}

fn rewrite_reason(text: &str, renames: &[Rename]) -> String {
    let named: Vec<String> = renames
        .iter()
        .filter(|r| refs::rewrite_service(text, &r.old, &r.new).is_some())
        .map(|r| format!("`{}` is now `{}`", r.old, r.new))
        .collect();
    format!("reference rewrite: {}", named.join(", "))
}

/// The references of `text` that a rename changes, before and after (never the rest of the
/// value, which may be a secret).
fn reference_summary(text: &str, renames: &[Rename]) -> (String, String) {
    let mut before = Vec::new();
    let mut after = Vec::new();
    for reference in refs::parse_railway(text) {
        if let Target::Service { service, var } = &reference.target {
            if let Some(rename) = renames.iter().find(|r| &r.old == service) {
                before.push(format!("${{{{{service}.{var}}}}}"));
                after.push(format!("${{{{{}.{var}}}}}", rename.new));
            }
        }
    }
    (before.join(" "), after.join(" "))
}

fn source_matches(desired: &Source, live: Option<&LiveSource>) -> bool {
    match (desired, live) {
        (Source::Image(want), Some(LiveSource::Image { image: have })) => want == have,
        // The branch is not compared: railform cannot set it (see the warning in diff_instance).
        (Source::Repo { repo, .. }, Some(LiveSource::Repo { repo: live_repo, .. })) => repo == live_repo,
        _ => false,
    }
}

fn describe_source(source: &LiveSource) -> String {
    match source {
        LiveSource::Image { image } => image.clone(),
        LiveSource::Repo { repo, branch } => format!("{repo}@{}", branch.as_deref().unwrap_or("(default branch)")),
    }
}

fn describe_source_model(source: &Source) -> String {
    match source {
        Source::Image(image) => image.clone(),
        Source::Repo { repo, branch } => format!("{repo}@{}", branch.as_deref().unwrap_or("(default branch)")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config;
    use crate::state::{LiveService, LiveValue::Value};

    fn model(files: &[(&str, &str)]) -> Model {
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
        }
    }

    fn environment(id: &str, name: &str, instances: Vec<(&str, LiveInstance)>) -> LiveEnvironment {
        LiveEnvironment {
            id: id.into(),
            name: name.into(),
            config_etag: format!("etag-{id}"),
            shared: BTreeMap::new(),
            instances: instances.into_iter().map(|(id, i)| (id.to_string(), i)).collect(),
        }
    }

    fn seeded_project(db_name: &str) -> LiveProject {
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

    fn actions(plan: &Plan) -> Vec<String> {
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
                "Deploy staging/platform-api",
            ]
        );
        assert!(
            matches!(&plan.changes[0].operation, Operation::RenameService { service: Id::Live(id), name } if id == "s-db" && name == "platform-db")
        );
        let Operation::UpsertVariables { variables, environment, .. } = &plan.changes[2].operation else { panic!() };
        assert_eq!(environment, &Id::Live("e-staging".into()));
        // Staging has no file: its value is not railform's, so the plan keeps only a hash of it.
        let renames = vec![("Postgres-OG9n".to_string(), "platform-db".to_string())];
        let sha256 = sha256_hex("${{Postgres-OG9n.DATABASE_URL}}");
        let sha256_after = sha256_hex("${{platform-db.DATABASE_URL}}");
        assert_eq!(variables["DATABASE_URL"], WireValue::Rewrite { renames, sha256, sha256_after });
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
        let Operation::UpsertVariables { variables, .. } = &plan.changes[0].operation else { panic!() };
        assert!(matches!(&variables["DATABASE_URL"], WireValue::Rewrite { sha256, .. }
            if *sha256 == sha256_hex("x ${{Postgres-OG9n.DATABASE_URL}}")));
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
        let pruned = diff(&model, &[Some(live)], &Secrets::default(), &DiffOptions { prune: true });
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
            matches!(&plan.changes[2].operation, Operation::RenameEnvironment { environment: Id::New(key), .. } if key == "project/production")
        );
    }
}
