//! One service instance (or an environment's shared variables) against the files: instance,
//! source and volume creates, then each variable in its five forms (secrets compared without
//! being shown), and live variables the files do not declare (drift, or deletes with `--prune`).

use std::collections::{BTreeMap, BTreeSet};

use super::rewrites::{apply_renames, reference_summary, rewrite_reason};
use super::{EnvironmentMatch, ProjectDiff, Rename, VariableTarget};
use crate::config::model::{Environment, Service, Source, Variable, VariableValue};
use crate::import::credentials::credential_reason;
use crate::plan::{Action, Change, Id, Kind, Operation, PatchEntry, SecretSource, Unmanaged, WireValue, MASK};
use crate::refs;
use crate::state::{LiveInstance, LiveSource, LiveValue};

impl<'m, 'l> ProjectDiff<'m, 'l> {
    pub(super) fn diff_shared(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        desired: &'m Environment,
        renames: &[Rename],
    ) {
        let empty = BTreeMap::new();
        let live = environment.live.map(|e| &e.shared).unwrap_or(&empty);
        let target = VariableTarget { environment, service: None, service_id: None };
        // Instances that read a changed shared variable are redeployed by `deploy_dependents`.
        self.diff_variables(&target, &desired.shared, live, renames);
    }

    pub(super) fn diff_instance(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        service: &'m Service,
        service_id: &Id,
        renames: &[Rename],
    ) {
        let env_name = &environment.name;
        let address = format!("{env_name}/{}", service.name);
        let live_instance: Option<&LiveInstance> = match (service_id, environment.live) {
            (Id::Live(id), Some(live)) => live.instances.get(id),
            _ => None,
        };
        // A service this plan creates gets an instance in every environment that declares it
        // (this one included: it is being diffed here).
        let created_by_service_create = matches!(service_id, Id::New(_));
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
            if !source_matches(desired, live_source) {
                let (image, repo, branch) = match desired {
                    Source::Image(image) => (Some(image.clone()), None, None),
                    Source::Repo { repo, branch } => (None, Some(repo.clone()), branch.clone()),
                };
                let action = if live_source.is_some() { Action::Update } else { Action::Create };
                let operation = Operation::Patch {
                    environment: environment.id.clone(),
                    service: Some(service_id.clone()),
                    entry: PatchEntry::Source { image, repo, branch },
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
                    key: self.volume_key(&environment.name, &service.name),
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
        changed |= self.diff_settings(environment, service, service_id, live_instance);
        let empty = BTreeMap::new();
        let live_variables = live_instance.map(|i| &i.variables).unwrap_or(&empty);
        let target = VariableTarget { environment, service: Some(service), service_id: Some(service_id) };
        let changed_variables = self.diff_variables(&target, &service.variables, live_variables, renames);
        // A rename changes what a new deployment sees (`RAILWAY_SERVICE_NAME`,
        // `RAILWAY_ENVIRONMENT_NAME`), so a running instance of a renamed service, or in a
        // renamed environment, is deployed again.
        let renamed_service = match service_id {
            Id::Live(id) => self.live_names.get(id.as_str()).is_some_and(|live_name| *live_name != service.name),
            Id::New(_) => false,
        };
        let renamed = renamed_service || environment.live.is_some_and(|live| live.name != environment.name);
        let running = live_instance
            .and_then(|live| live.deployments.as_ref())
            .is_none_or(|deployments| deployments.latest.is_some());
        if changed || !changed_variables.is_empty() || live_instance.is_none() || (renamed && running) {
            self.mark_deploy(environment, &service.name, service_id.clone());
        } else if let Some(live) = live_instance {
            self.mark_pending_deploy(environment, &service.name, service_id, live);
        }
    }

    /// Diffs one set of variables (a service's, or the shared ones when `target.service` is
    /// `None`). Returns the names that change.
    pub(super) fn diff_variables(
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
                let operation = Operation::Patch {
                    environment: target.environment.id.clone(),
                    service: target.service_id.cloned(),
                    entry: PatchEntry::DeleteVariable { name: name.clone() },
                };
                let reason = "not declared in the file (--prune)".to_string();
                let change = target.change(&self.project_name, Action::Delete, name, reason, operation);
                self.changes.push(change);
                changed.insert(name.clone());
                continue;
            }
            self.unmanaged.push(Unmanaged {
                project: self.project_name.clone(),
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

    pub(super) fn diff_variable(
        &self,
        target: &VariableTarget<'_, 'm, 'l>,
        name: &str,
        variable: &Variable,
        live: Option<&LiveValue>,
        renames: &[Rename],
    ) -> Option<Change> {
        let address = target.address(name);
        let mut sensitive = variable.value.is_sensitive();
        let upsert = |value: WireValue| Operation::Patch {
            environment: target.environment.id.clone(),
            service: target.service_id.cloned(),
            entry: PatchEntry::Variable { name: name.to_string(), value },
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
            (VariableValue::FromEnv { name: env_name, .. }, live) => {
                let secret = self.secrets.get(env_name)?;
                let live_value = match live {
                    Some(LiveValue::Value(value)) => Some(value),
                    _ => None,
                };
                if live_value.is_some_and(|value| value == secret.expose()) {
                    return None;
                }
                let wire = WireValue::Secret(SecretSource::Env {
                    name: env_name.clone(),
                    digest: self.options.key.digest_secret(secret),
                });
                let (action, reason) = match live_value {
                    None => (Action::Create, format!("from ${env_name}")),
                    Some(_) => (Action::Update, format!("${env_name} holds a different value")),
                };
                (action, reason, wire, live_value.map(|_| MASK.to_string()), Some(MASK.to_string()))
            }
            (VariableValue::Literal { value, sensitive: declared_sensitive }, live) => {
                let desired_wire = refs::to_railway_syntax(value);
                let live_value = match live {
                    Some(LiveValue::Value(value)) => Some(value.as_str()),
                    _ => None,
                };
                if live_value.is_some_and(|live| refs::same_meaning(live, &desired_wire)) {
                    return None;
                }
                let wire = if *declared_sensitive {
                    WireValue::Secret(SecretSource::File {
                        file: target.environment.desired.map(|e| e.file.clone()).unwrap_or_default(),
                        address: address.clone(),
                        digest: self.options.key.digest(&desired_wire),
                    })
                } else {
                    WireValue::Plain(desired_wire.clone())
                };
                let rewritten = live_value.map(|value| apply_renames(value, renames));
                let (action, reason) = match (live_value, rewritten) {
                    (None, _) => (Action::Create, "declared in the file, missing in Railway".to_string()),
                    (Some(_), Some(Some(rewritten))) if refs::same_meaning(&rewritten, &desired_wire) => {
                        (Action::Rewrite, rewrite_reason(live_value.unwrap_or_default(), renames))
                    }
                    (Some(_), _) => (Action::Update, "the live value differs from the file".to_string()),
                };
                // Sensitive when either side is: a plain value in the file replacing a live secret
                // (a generated password, a token) must not print the secret as `before`.
                sensitive |= live_value.is_some_and(|live| credential_reason(name, live).is_some());
                let shown = |text: &str| if sensitive { MASK.to_string() } else { text.to_string() };
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
}

fn source_matches(desired: &Source, live: Option<&LiveSource>) -> bool {
    match (desired, live) {
        (Source::Image(want), Some(LiveSource::Image { image: have })) => want == have,
        // A branch the file does not name is not managed.
        (Source::Repo { repo, branch }, Some(LiveSource::Repo { repo: live_repo, branch: live_branch })) => {
            repo == live_repo && (branch.is_none() || branch == live_branch)
        }
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
