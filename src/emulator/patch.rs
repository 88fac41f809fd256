//! Patches of Railway's EnvironmentConfig: merging one into what is staged, counting the
//! changes it holds, checking it, and applying it to an environment all at once (Railway's
//! `environmentStageChanges`, `environmentStagedChanges`, `environmentPatchCommitStaged`,
//! `environmentPatchCommit`).
//!
//! In a patch an entry set to `null` deletes (`variables.NAME`, `serviceDomains.<domain>`,
//! `tcpProxies."5432"`, `volumeMounts.<volumeId>`, a setting such as `deploy.startCommand`); an
//! absent key leaves things as they are; `isDeleted: true` removes a service or volume from the
//! environment and `isCreated: true` adds one (the emulator also adds a service that a patch
//! names and the environment lacks). Applying runs on the store's draft copy, so a patch that
//! fails part-way changes nothing.

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::config::{
    self, BuildConfig, DeployConfig, DomainEntry, InstanceConfig, MountEntry, SourceConfig, VariableEntry,
    VariableMeta, VolumeEntry,
};
use super::cron::Schedule;
use super::networking;
use super::store::{new_id, now, Instance, PatchStatus, Refusal, StagedPatch, State, Variable, VolumeInstance};
use crate::refs;

/// A config as a patch that adds everything in it to another environment: each service and
/// volume marked `isCreated: true`, as the official CLI duplicates an environment.
pub fn as_created(mut config: Value) -> Value {
    for section in ["services", "volumes"] {
        if let Some(Value::Object(entries)) = config.get_mut(section) {
            for entry in entries.values_mut() {
                if let Value::Object(entry) = entry {
                    entry.insert("isCreated".into(), Value::Bool(true));
                }
            }
        }
    }
    config
}

/// Keys of a service entry that are not merged as settings.
const SERVICE_KEYS: [&str; 5] = ["variables", "volumeMounts", "networking", "isDeleted", "isCreated"];

/// Merges `patch` into `staged` as `environmentStageChanges(merge: true)` does: objects key by
/// key, anything else (a `null` deletion marker included) replaces what was there.
pub fn merge_staged(staged: &mut Value, patch: Value) {
    match (staged, patch) {
        (Value::Object(staged), Value::Object(patch)) => {
            for (key, value) in patch {
                match staged.get_mut(&key) {
                    Some(existing) if existing.is_object() && value.is_object() => merge_staged(existing, value),
                    _ => {
                        staged.insert(key, value);
                    }
                }
            }
        }
        (staged, patch) => *staged = patch,
    }
}

/// Merges a settings patch into current settings: objects key by key, `null` deletes the key.
fn merge_settings(current: &mut Map<String, Value>, patch: &Map<String, Value>) {
    for (key, value) in patch {
        match value {
            Value::Null => {
                current.remove(key);
            }
            Value::Object(patch) => {
                let entry = current.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
                if !entry.is_object() {
                    *entry = Value::Object(Map::new());
                }
                if let Value::Object(entry) = entry {
                    merge_settings(entry, patch);
                }
            }
            other => {
                current.insert(key.clone(), other.clone());
            }
        }
    }
}

/// How many changes a patch holds, as `Environment.unmergedChangesCount` reports them: one per
/// variable, domain, proxy, mount or volume entry, one per setting, one per service added or
/// removed.
pub fn count_changes(patch: &Value) -> i32 {
    let Value::Object(top) = patch else { return 0 };
    let entries = |value: Option<&Value>| value.and_then(Value::as_object).map_or(0, |map| map.len() as i32);
    let mut count = entries(top.get("sharedVariables")) + entries(top.get("volumes")) + entries(top.get("buckets"));
    count += i32::from(top.contains_key("privateNetworkDisabled"));
    for service in top.get("services").and_then(Value::as_object).into_iter().flat_map(Map::values) {
        let Value::Object(service) = service else {
            count += 1;
            continue;
        };
        if service.get("isDeleted") == Some(&Value::Bool(true)) {
            count += 1;
            continue;
        }
        count += i32::from(service.get("isCreated") == Some(&Value::Bool(true)));
        count += entries(service.get("variables")) + entries(service.get("volumeMounts"));
        if let Some(Value::Object(networking)) = service.get("networking") {
            for (key, value) in networking {
                count += match key.as_str() {
                    "serviceDomains" | "customDomains" | "tcpProxies" => entries(Some(value)),
                    _ => 1,
                };
            }
        }
        count += service
            .iter()
            .filter(|(key, _)| !SERVICE_KEYS.contains(&key.as_str()))
            .map(|(_, v)| leaves(v))
            .sum::<i32>();
    }
    count
}

fn leaves(value: &Value) -> i32 {
    match value {
        Value::Object(map) if !map.is_empty() => map.values().map(leaves).sum(),
        _ => 1,
    }
}

/// Decodes one part of a patch, saying where it went wrong.
fn decode<T: DeserializeOwned>(value: Value, path: &str) -> Result<T, Refusal> {
    serde_json::from_value(value).map_err(|error| Refusal::new(format!("{path}: {error}")))
}

fn object<'v>(value: &'v Value, path: &str) -> Result<&'v Map<String, Value>, Refusal> {
    value.as_object().ok_or_else(|| Refusal::new(format!("{path}: expected an object")))
}

/// What applying a patch touched: the services to deploy afterwards (unless told not to).
#[derive(Debug, Default)]
pub struct Applied {
    pub deploy: Vec<String>,
}

impl State {
    /// Applies an EnvironmentConfig patch to one environment. Every part is checked; the first
    /// problem refuses the whole patch (the caller's draft is then dropped).
    pub fn apply_patch(&mut self, environment_id: &str, patch: &Value) -> Result<Applied, Refusal> {
        let project_id = self.environment(environment_id)?.project_id.clone();
        let top = object(patch, "patch")?;
        let mut applied = Applied::default();
        for key in top.keys() {
            if !["services", "sharedVariables", "volumes", "buckets", "privateNetworkDisabled"].contains(&key.as_str())
            {
                return Err(Refusal::new(format!("{key}: not a key of EnvironmentConfig")));
            }
        }
        if let Some(buckets) = top.get("buckets").filter(|b| !b.is_null()) {
            if !object(buckets, "buckets")?.is_empty() {
                return Err(Refusal::new("buckets: the emulator has no buckets"));
            }
        }
        if let Some(services) = top.get("services").filter(|s| !s.is_null()) {
            for (service_id, entry) in object(services, "services")? {
                let path = format!("services.{service_id}");
                let service = self.service(service_id).map_err(|refusal| Refusal::new(format!("{path}: {refusal}")))?;
                if service.project_id != project_id {
                    return Err(Refusal::new(format!("{path}: Service not found in project")));
                }
                if self.apply_service(environment_id, service_id, entry, &path)? {
                    applied.deploy.push(service_id.clone());
                }
            }
        }
        if let Some(volumes) = top.get("volumes").filter(|v| !v.is_null()) {
            for (volume_id, entry) in object(volumes, "volumes")? {
                self.apply_volume(&project_id, environment_id, volume_id, entry, &format!("volumes.{volume_id}"))?;
            }
        }
        if let Some(shared) = top.get("sharedVariables").filter(|s| !s.is_null()) {
            let environment = self.environment_mut(environment_id)?;
            apply_variables(&mut environment.shared_variables, shared, "sharedVariables")?;
            applied.deploy = self.instances_in(environment_id).map(|i| i.service_id.clone()).collect();
        }
        match top.get("privateNetworkDisabled") {
            None => {}
            Some(Value::Null) => self.environment_mut(environment_id)?.private_network_disabled = None,
            Some(Value::Bool(disabled)) => {
                self.environment_mut(environment_id)?.private_network_disabled = Some(*disabled)
            }
            Some(_) => return Err(Refusal::new("privateNetworkDisabled: expected a boolean")),
        }
        self.drop_unmounted_volumes();
        applied.deploy.dedup();
        if !top.is_empty() {
            self.touch_environment(environment_id);
        }
        Ok(applied)
    }

    /// Applies one `services.<id>` entry; true when the instance is there afterwards (and so
    /// is deployed on commit).
    fn apply_service(
        &mut self,
        environment_id: &str,
        service_id: &str,
        entry: &Value,
        path: &str,
    ) -> Result<bool, Refusal> {
        let deleted = match entry {
            Value::Null => true,
            Value::Object(map) => match map.get("isDeleted") {
                None | Some(Value::Null) | Some(Value::Bool(false)) => false,
                Some(Value::Bool(true)) => true,
                Some(_) => return Err(Refusal::new(format!("{path}.isDeleted: expected a boolean"))),
            },
            _ => return Err(Refusal::new(format!("{path}: expected an object"))),
        };
        if deleted {
            self.remove_instance(environment_id, service_id);
            return Ok(false);
        }
        let entry = object(entry, path)?;
        let created = match entry.get("isCreated") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(created)) => *created,
            Some(_) => return Err(Refusal::new(format!("{path}.isCreated: expected a boolean"))),
        };
        if self.instance(environment_id, service_id).is_err() {
            self.instances.push(Instance::new(service_id, environment_id, InstanceConfig::default()));
        }
        let settings: Map<String, Value> = entry
            .iter()
            .filter(|(key, _)| !SERVICE_KEYS.contains(&key.as_str()))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if !settings.is_empty() {
            let instance = self.instance_mut(environment_id, service_id)?;
            let mut current = match serde_json::to_value(&instance.config) {
                Ok(Value::Object(map)) => map,
                _ => Map::new(),
            };
            merge_settings(&mut current, &settings);
            let config = decode_settings(current, path)?;
            check_settings(&config, path)?;
            instance.config = config;
        }
        if let Some(variables) = entry.get("variables").filter(|v| !v.is_null()) {
            let instance = self.instance_mut(environment_id, service_id)?;
            apply_variables(&mut instance.variables, variables, &format!("{path}.variables"))?;
        }
        if let Some(networking) = entry.get("networking").filter(|v| !v.is_null()) {
            self.apply_networking(environment_id, service_id, networking, created, &format!("{path}.networking"))?;
        }
        if let Some(mounts) = entry.get("volumeMounts").filter(|v| !v.is_null()) {
            for (volume_id, mount) in object(mounts, &format!("{path}.volumeMounts"))? {
                let path = format!("{path}.volumeMounts.{volume_id}");
                self.apply_mount(environment_id, service_id, volume_id, mount, &path)?;
            }
        }
        Ok(true)
    }

    /// Removes a service's instance from one environment, with its mounts, domains and proxies.
    pub fn remove_instance(&mut self, environment_id: &str, service_id: &str) {
        let here = |e: &str, s: &str| e == environment_id && s == service_id;
        self.instances.retain(|i| !here(&i.environment_id, &i.service_id));
        self.volume_instances.retain(|v| !here(&v.environment_id, &v.service_id));
        self.service_domains.retain(|d| !here(&d.environment_id, &d.service_id));
        self.custom_domains.retain(|d| !here(&d.environment_id, &d.service_id));
        self.tcp_proxies.retain(|p| !here(&p.environment_id, &p.service_id));
    }

    /// Applies `networking`. For a service the patch adds (`created`), as when an environment is
    /// duplicated, a service domain someone else holds is replaced by a new generated one, and
    /// a custom domain someone else holds is left out: domains are unique.
    fn apply_networking(
        &mut self,
        environment_id: &str,
        service_id: &str,
        networking: &Value,
        created: bool,
        path: &str,
    ) -> Result<(), Refusal> {
        for (key, value) in object(networking, path)? {
            let path = format!("{path}.{key}");
            if value.is_null() && key != "privateNetworkEndpoint" {
                continue;
            }
            match key.as_str() {
                "serviceDomains" | "customDomains" => {
                    let custom = key == "customDomains";
                    for (domain, entry) in object(value, &path)? {
                        let path = format!("{path}.{domain}");
                        let port = match entry {
                            Value::Null => None,
                            entry => Some(decode::<DomainEntry>(entry.clone(), &path)?.port),
                        };
                        let change = match port {
                            None => networking::DomainChange::Remove,
                            Some(port) => networking::DomainChange::Set(port),
                        };
                        if created && port.is_some() && self.domain_held_elsewhere(environment_id, service_id, domain) {
                            if let (false, Some(port)) = (custom, port) {
                                self.create_service_domain(environment_id, service_id, port)?;
                            }
                            continue;
                        }
                        let result = if custom {
                            self.set_custom_domain(environment_id, service_id, domain, change)
                        } else {
                            self.set_service_domain(environment_id, service_id, domain, change)
                        };
                        result.map_err(|refusal| Refusal::new(format!("{path}: {refusal}")))?;
                    }
                }
                "tcpProxies" => {
                    for (port, entry) in object(value, &path)? {
                        let path = format!("{path}.{port}");
                        let port: i64 =
                            port.parse().ok().filter(|port| (1..=65_535).contains(port)).ok_or_else(|| {
                                Refusal::new(format!("{path}: a TCP proxy is keyed by a port from 1 to 65535"))
                            })?;
                        match entry {
                            Value::Null => self.tcp_proxies.retain(|p| {
                                !(p.environment_id == environment_id
                                    && p.service_id == service_id
                                    && p.application_port == port)
                            }),
                            Value::Object(map) if map.is_empty() => {
                                self.add_tcp_proxy(environment_id, service_id, port)?
                            }
                            _ => return Err(Refusal::new(format!("{path}: expected {{}} or null"))),
                        }
                    }
                }
                "privateNetworkEndpoint" => {
                    let endpoint = match value {
                        Value::Null => None,
                        Value::String(endpoint) if networking::is_dns_label(endpoint) => Some(endpoint.clone()),
                        _ => return Err(Refusal::new(format!("{path}: expected a DNS label (a-z, 0-9, -)"))),
                    };
                    self.instance_mut(environment_id, service_id)?.private_network_endpoint = endpoint;
                }
                _ => return Err(Refusal::new(format!("{path}: not a key of networking"))),
            }
        }
        Ok(())
    }

    fn apply_mount(
        &mut self,
        environment_id: &str,
        service_id: &str,
        volume_id: &str,
        mount: &Value,
        path: &str,
    ) -> Result<(), Refusal> {
        let here = |v: &VolumeInstance| v.environment_id == environment_id && v.volume_id == volume_id;
        if mount.is_null() {
            self.volume_instances.retain(|v| !(here(v) && v.service_id == service_id));
            return Ok(());
        }
        let entry: MountEntry = decode(mount.clone(), path)?;
        if let Some(mount_path) = &entry.mount_path {
            if !mount_path.starts_with('/') {
                return Err(Refusal::new(format!("{path}.mountPath: must be an absolute path")));
            }
        }
        let schedules = entry.backup_schedules.map(|kinds| check_backup_schedules(kinds, path)).transpose()?;
        if let Some(existing) = self.volume_instances.iter_mut().find(|v| here(v)) {
            if existing.service_id != service_id {
                return Err(Refusal::new(format!("{path}: the volume is mounted by another service here")));
            }
            if let Some(mount_path) = entry.mount_path {
                existing.mount_path = mount_path;
            }
            if let Some(schedules) = schedules {
                existing.backup_schedules = schedules;
            }
            return Ok(());
        }
        let volume = self.volume(volume_id).map_err(|refusal| Refusal::new(format!("{path}: {refusal}")))?;
        let project_id = self.environment(environment_id)?.project_id.clone();
        if volume.project_id != project_id {
            return Err(Refusal::new(format!("{path}: Volume not found in project")));
        }
        if self.volume_instance_of(environment_id, service_id).is_some() {
            return Err(Refusal::new(format!("{path}: Service already has a volume")));
        }
        let mount_path =
            entry.mount_path.ok_or_else(|| Refusal::new(format!("{path}.mountPath: a new mount needs a mountPath")))?;
        self.volume_instances.push(VolumeInstance {
            id: new_id(),
            volume_id: volume_id.to_string(),
            environment_id: environment_id.to_string(),
            service_id: service_id.to_string(),
            mount_path,
            created_at: Some(now()),
            backup_schedules: schedules.unwrap_or_default(),
            size_mb: None,
            region: None,
            allow_online_resize: None,
        });
        Ok(())
    }

    fn apply_volume(
        &mut self,
        project_id: &str,
        environment_id: &str,
        volume_id: &str,
        entry: &Value,
        path: &str,
    ) -> Result<(), Refusal> {
        let volume = self.volume(volume_id).map_err(|refusal| Refusal::new(format!("{path}: {refusal}")))?;
        if volume.project_id != project_id {
            return Err(Refusal::new(format!("{path}: Volume not found in project")));
        }
        let here = |v: &VolumeInstance| v.environment_id == environment_id && v.volume_id == volume_id;
        let entry: VolumeEntry = match entry {
            Value::Null => VolumeEntry { is_deleted: Some(true), ..VolumeEntry::default() },
            entry => decode(entry.clone(), path)?,
        };
        if entry.is_deleted == Some(true) {
            self.volume_instances.retain(|v| !here(v));
            return Ok(());
        }
        let Some(instance) = self.volume_instances.iter_mut().find(|v| here(v)) else {
            return Err(Refusal::new(format!(
                "{path}: the volume is not mounted in this environment (mount it with services.<serviceId>.volumeMounts.{volume_id})"
            )));
        };
        if let Some(size) = entry.size_mb {
            if size < instance.size_mb.unwrap_or(config::DEFAULT_VOLUME_SIZE_MB) && entry.is_created != Some(true) {
                return Err(Refusal::new(format!("{path}.sizeMB: a volume can grow, not shrink")));
            }
            instance.size_mb = Some(size);
        }
        if let Some(region) = entry.region {
            if !networking::REGIONS.iter().any(|known| known.id == region) {
                return Err(Refusal::new(format!("{path}.region: unknown region {region}")));
            }
            instance.region = Some(region);
        }
        if let Some(resize) = entry.allow_online_resize {
            instance.allow_online_resize = Some(resize);
        }
        Ok(())
    }

    /// Stages `input` in the environment (merged into what is staged with `merge`), after
    /// checking that it would apply. The staged patch is returned.
    pub fn stage_changes(&mut self, environment_id: &str, input: Value, merge: bool) -> Result<StagedPatch, Refusal> {
        self.environment(environment_id)?;
        object(&input, "input")?;
        let existing = self.staged_patch(environment_id).cloned();
        let mut patch = match (&existing, merge) {
            (Some(existing), true) => existing.patch.clone(),
            _ => Value::Object(Map::new()),
        };
        merge_staged(&mut patch, input);
        self.clone().apply_patch(environment_id, &patch)?;
        let stamp = now();
        let staged = StagedPatch {
            id: existing.as_ref().map_or_else(new_id, |e| e.id.clone()),
            environment_id: environment_id.to_string(),
            patch,
            status: PatchStatus::Staged,
            created_at: existing.as_ref().map_or_else(|| stamp.clone(), |e| e.created_at.clone()),
            updated_at: stamp,
            last_applied_error: None,
            message: None,
        };
        self.staged.retain(|p| p.environment_id != environment_id);
        self.staged.push(staged.clone());
        Ok(staged)
    }

    /// Commits what is staged: applied all at once, then the touched instances deploy unless
    /// `skip_deploys`. Returns the committed patch's id.
    pub fn commit_staged(
        &mut self,
        environment_id: &str,
        message: Option<String>,
        skip_deploys: bool,
    ) -> Result<String, Refusal> {
        self.environment(environment_id)?;
        let staged =
            self.staged_patch(environment_id).cloned().ok_or_else(|| Refusal::new("No staged changes to commit"))?;
        self.commit(environment_id, &staged.patch, skip_deploys)?;
        self.staged.retain(|p| p.environment_id != environment_id);
        let _ = message;
        Ok(staged.id)
    }

    /// Records why committing the staged patch failed (`EnvironmentPatch.lastAppliedError`).
    pub fn record_commit_error(&mut self, environment_id: &str, error: &Refusal) {
        if let Some(staged) = self.staged.iter_mut().find(|p| p.environment_id == environment_id) {
            staged.last_applied_error = Some(error.0.clone());
            staged.updated_at = now();
        }
    }

    /// Applies `patch` and deploys what it touched unless `skip_deploys`.
    pub fn commit(&mut self, environment_id: &str, patch: &Value, skip_deploys: bool) -> Result<(), Refusal> {
        let applied = self.apply_patch(environment_id, patch)?;
        if !skip_deploys {
            for service_id in applied.deploy {
                if self.instance(environment_id, &service_id).is_ok() {
                    self.deploy(environment_id, &service_id, "deploy")?;
                }
            }
        }
        Ok(())
    }
}

/// Decodes merged settings, each part on its own first so that an error names the part.
fn decode_settings(settings: Map<String, Value>, path: &str) -> Result<InstanceConfig, Refusal> {
    for (key, value) in &settings {
        let path = format!("{path}.{key}");
        match key.as_str() {
            "source" => drop(decode::<SourceConfig>(value.clone(), &path)?),
            "build" => drop(decode::<BuildConfig>(value.clone(), &path)?),
            "deploy" => drop(decode::<DeployConfig>(value.clone(), &path)?),
            _ => {}
        }
    }
    decode(Value::Object(settings), path)
}

/// Applies a map of variable entries: `null` deletes, an entry sets.
fn apply_variables(variables: &mut BTreeMap<String, Variable>, patch: &Value, path: &str) -> Result<(), Refusal> {
    for (name, entry) in object(patch, path)? {
        let path = format!("{path}.{name}");
        if !refs::is_variable_name(name) {
            return Err(Refusal::new(format!("{path}: Invalid variable name: {name}")));
        }
        if entry.is_null() {
            variables.remove(name);
            continue;
        }
        let entry: VariableEntry = decode(entry.clone(), &path)?;
        let meta = VariableMeta {
            default_value: entry.default_value,
            description: entry.description,
            is_optional: entry.is_optional,
            generator: entry.generator,
        };
        match variables.get_mut(name) {
            Some(variable) => {
                if entry.is_sealed == Some(false) && variable.sealed {
                    return Err(Refusal::new(format!("{path}: a sealed variable cannot be unsealed")));
                }
                if let Some(value) = entry.value {
                    variable.value = value;
                }
                variable.sealed |= entry.is_sealed == Some(true);
                if !meta.is_empty() {
                    variable.meta = meta;
                }
            }
            None => match entry.value {
                Some(value) => {
                    variables.insert(
                        name.clone(),
                        Variable { sealed: entry.is_sealed == Some(true), meta, ..Variable::new(value) },
                    );
                }
                // A sealed variable shown without its value (a copied config) is not copied,
                // as Railway does not copy sealed variables into other environments.
                None if entry.is_sealed == Some(true) => {}
                None => return Err(Refusal::new(format!("{path}: a new variable needs a value"))),
            },
        }
    }
    Ok(())
}

fn one_of(value: &Option<String>, allowed: &[&str], path: &str) -> Result<(), Refusal> {
    match value {
        Some(value) if !allowed.contains(&value.as_str()) => {
            Err(Refusal::new(format!("{path}: {value} is not one of {}", allowed.join(", "))))
        }
        _ => Ok(()),
    }
}

fn at_least(value: Option<i64>, minimum: i64, path: &str) -> Result<(), Refusal> {
    match value {
        Some(value) if value < minimum => Err(Refusal::new(format!("{path}: must be at least {minimum}"))),
        _ => Ok(()),
    }
}

/// The checks Railway's schema makes of a service's settings that the emulator knows of.
fn check_settings(config: &InstanceConfig, path: &str) -> Result<(), Refusal> {
    if let Some(source) = &config.source {
        check_source(source, &format!("{path}.source"))?;
    }
    if let Some(build) = &config.build {
        check_build(build, &format!("{path}.build"))?;
    }
    if let Some(deploy) = &config.deploy {
        check_deploy(deploy, &format!("{path}.deploy"))?;
    }
    Ok(())
}

fn check_source(source: &SourceConfig, path: &str) -> Result<(), Refusal> {
    if source.image.is_some() && source.repo.is_some() {
        return Err(Refusal::new(format!("{path}: a source has an image or a repo, not both")));
    }
    for (name, value) in [("image", &source.image), ("repo", &source.repo), ("branch", &source.branch)] {
        if value.as_deref().is_some_and(|value| value.trim().is_empty()) {
            return Err(Refusal::new(format!("{path}.{name}: cannot be empty")));
        }
    }
    Ok(())
}

fn check_build(build: &BuildConfig, path: &str) -> Result<(), Refusal> {
    one_of(&build.builder, &["RAILPACK", "DOCKERFILE", "NIXPACKS"], &format!("{path}.builder"))?;
    one_of(&build.build_environment, &["V2", "V3"], &format!("{path}.buildEnvironment"))
}

fn check_deploy(deploy: &DeployConfig, path: &str) -> Result<(), Refusal> {
    one_of(&deploy.restart_policy_type, &["ON_FAILURE", "ALWAYS", "NEVER"], &format!("{path}.restartPolicyType"))?;
    at_least(deploy.num_replicas, 0, &format!("{path}.numReplicas"))?;
    at_least(deploy.restart_policy_max_retries, 0, &format!("{path}.restartPolicyMaxRetries"))?;
    at_least(deploy.healthcheck_timeout, 1, &format!("{path}.healthcheckTimeout"))?;
    at_least(deploy.pre_deploy_timeout_seconds, 1, &format!("{path}.preDeployTimeoutSeconds"))?;
    at_least(deploy.overlap_seconds, 0, &format!("{path}.overlapSeconds"))?;
    at_least(deploy.draining_seconds, 0, &format!("{path}.drainingSeconds"))?;
    if let Some(healthcheck) = &deploy.healthcheck_path {
        if !healthcheck.starts_with('/') {
            return Err(Refusal::new(format!("{path}.healthcheckPath: must start with /")));
        }
    }
    if let Some(schedule) = &deploy.cron_schedule {
        Schedule::parse(schedule).map_err(|problem| Refusal::new(format!("{path}.cronSchedule: {problem}")))?;
    }
    match &deploy.pre_deploy_command {
        None | Some(Value::String(_)) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {}
        Some(_) => {
            return Err(Refusal::new(format!("{path}.preDeployCommand: expected a string or a list of strings")))
        }
    }
    for (region, replicas) in deploy.multi_region_config.iter().flatten() {
        let path = format!("{path}.multiRegionConfig.{region}");
        if !networking::REGIONS.iter().any(|known| known.id == region) {
            return Err(Refusal::new(format!("{path}: unknown region")));
        }
        at_least(replicas.num_replicas, 0, &format!("{path}.numReplicas"))?;
    }
    Ok(())
}

fn check_backup_schedules(kinds: Vec<String>, path: &str) -> Result<Vec<String>, Refusal> {
    for kind in &kinds {
        one_of(&Some(kind.clone()), &["DAILY", "WEEKLY", "MONTHLY"], &format!("{path}.backupSchedules"))?;
    }
    let mut kinds = kinds;
    kinds.dedup();
    Ok(kinds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::fixture;
    use serde_json::json;

    #[test]
    fn staged_merges_keep_deletion_markers_and_settings_merges_apply_them() {
        let mut staged = json!({"services": {"a": {"variables": {"X": {"value": "1"}, "Y": null}}}});
        merge_staged(&mut staged, json!({"services": {"a": {"variables": {"X": null, "Z": {"value": "3"}}}}}));
        assert_eq!(staged, json!({"services": {"a": {"variables": {"X": null, "Y": null, "Z": {"value": "3"}}}}}));

        let mut current = json!({"deploy": {"startCommand": "run", "numReplicas": 2}}).as_object().unwrap().clone();
        merge_settings(
            &mut current,
            json!({"deploy": {"startCommand": null}, "build": {"builder": "DOCKERFILE"}}).as_object().unwrap(),
        );
        assert_eq!(Value::Object(current), json!({"deploy": {"numReplicas": 2}, "build": {"builder": "DOCKERFILE"}}));
    }

    #[test]
    fn changes_are_counted_per_entry_and_setting() {
        let patch = json!({
            "sharedVariables": {"A": {"value": "1"}, "B": null},
            "services": {
                "s": {"variables": {"C": {"value": "2"}}, "deploy": {"startCommand": "x", "multiRegionConfig": {"us-west2": {"numReplicas": 2}}},
                      "networking": {"tcpProxies": {"5432": {}}, "serviceDomains": {"a.up.railway.app": {"port": 80}}}},
                "t": {"isDeleted": true, "variables": {"D": {"value": "4"}}}
            }
        });
        assert_eq!(count_changes(&patch), 2 + 1 + 2 + 2 + 1);
        assert_eq!(count_changes(&json!({})), 0);
    }

    #[test]
    fn a_patch_applies_whole_or_is_refused_naming_the_field() {
        let mut state = fixture(&[("api", "OLD", "1")]);
        let applied = state
            .apply_patch(
                "e",
                &json!({"services": {"api": {"variables": {"OLD": null, "NEW": {"value": "2"}},
                                              "deploy": {"startCommand": "serve", "cronSchedule": "*/5 * * * *"}}},
                        "sharedVariables": {"REGION": null}}),
            )
            .unwrap();
        assert_eq!(applied.deploy, ["api", "Postgres DB"], "a shared variable touches every instance");
        let api = state.instance("e", "api").unwrap();
        assert_eq!(api.variables.keys().collect::<Vec<_>>(), ["NEW"]);
        assert_eq!(api.config.deploy.as_ref().unwrap().start_command.as_deref(), Some("serve"));
        assert!(state.environment("e").unwrap().shared_variables.is_empty());

        for (patch, expected) in [
            (
                json!({"services": {"api": {"deploy": {"numReplicas": -1}}}}),
                "services.api.deploy.numReplicas: must be at least 0",
            ),
            (
                json!({"services": {"api": {"deploy": {"startComand": "x"}}}}),
                "services.api.deploy: unknown field `startComand`",
            ),
            (
                json!({"services": {"api": {"deploy": {"cronSchedule": "* *"}}}}),
                "services.api.deploy.cronSchedule: a cron schedule has 5 fields",
            ),
            (
                json!({"services": {"api": {"variables": {"1X": {"value": "v"}}}}}),
                "services.api.variables.1X: Invalid variable name",
            ),
            (json!({"services": {"nope": {}}}), "services.nope: Service not found"),
            (
                json!({"services": {"api": {"networking": {"tcpProxies": {"http": {}}}}}}),
                "services.api.networking.tcpProxies.http",
            ),
            (json!({"volumes": {"v": {"sizeMB": 1}}}), "volumes.v: Volume not found"),
            (json!({"nonsense": 1}), "nonsense: not a key of EnvironmentConfig"),
        ] {
            let mut draft = state.clone();
            let error = draft.apply_patch("e", &patch).unwrap_err().0;
            assert!(error.starts_with(expected), "{patch}: {error}");
        }
    }
}
