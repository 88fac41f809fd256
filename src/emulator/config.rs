//! Railway's `EnvironmentConfig`: the typed settings of a service instance (`source`, `build`,
//! `deploy`… as the official CLI 5.71.0 spells them, camelCase, every field optional), and the
//! whole environment rendered as that JSON document (`environment.config`) with its
//! `configEtag`.
//!
//! ```json
//! {"services": {"<serviceId>": {"source": {…}, "build": {…}, "deploy": {…},
//!                               "networking": {"serviceDomains": {"<domain>": {"port": 8080}},
//!                                              "customDomains": {…}, "tcpProxies": {"5432": {}}},
//!                               "variables": {"NAME": {"value": "raw ${{…}}"}},
//!                               "volumeMounts": {"<volumeId>": {"mountPath": "/data"}}}},
//!  "sharedVariables": {"NAME": {"value": "…"}},
//!  "volumes": {"<volumeId>": {"sizeMB": 50000, "region": "us-west2"}}}
//! ```
//!
//! Only what was set is written: a setting nobody set is absent, not a default.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

use super::store::{Environment, Refusal, State, Variable};

/// Declares a settings struct whose every field is optional, absent from the JSON when unset,
/// and refused when the JSON holds a key it does not know.
macro_rules! sparse {
    ($(#[$meta:meta])* pub struct $name:ident { $($(#[$field_meta:meta])* pub $field:ident : $ty:ty,)* }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
        #[serde(rename_all = "camelCase", deny_unknown_fields)]
        pub struct $name {
            $($(#[$field_meta])* #[serde(default, skip_serializing_if = "Option::is_none")] pub $field: Option<$ty>,)*
        }

        impl $name {
            #[allow(dead_code)]
            pub fn is_empty(&self) -> bool {
                *self == Self::default()
            }
        }
    };
}

sparse! {
    /// `services.<id>.source`.
    pub struct SourceConfig {
        pub image: String,
        pub repo: String,
        pub branch: String,
        pub commit_sha: String,
        pub upstream_url: String,
        pub root_directory: String,
        pub check_suites: bool,
        pub auto_updates: AutoUpdates,
    }
}

sparse! {
    /// `source.autoUpdates` (image auto-updates).
    pub struct AutoUpdates {
        /// `disabled`, `patch` or `minor`.
        #[serde(rename = "type")]
        pub kind: String,
        pub schedule: Vec<AutoUpdateWindow>,
    }
}

sparse! {
    pub struct AutoUpdateWindow {
        pub day: i64,
        pub start_hour: i64,
        pub end_hour: i64,
    }
}

sparse! {
    /// `services.<id>.build`.
    pub struct BuildConfig {
        /// `RAILPACK`, `DOCKERFILE` or `NIXPACKS`.
        pub builder: String,
        pub build_command: String,
        /// `V2` or `V3`.
        pub build_environment: String,
        pub dockerfile_path: String,
        pub watch_patterns: Vec<String>,
        pub nixpacks_config_path: String,
        pub nixpacks_plan: Value,
        pub nixpacks_version: String,
        pub railpack_version: String,
    }
}

sparse! {
    /// `services.<id>.deploy`.
    pub struct DeployConfig {
        pub start_command: String,
        /// A string or a list of strings.
        pub pre_deploy_command: Value,
        pub pre_deploy_timeout_seconds: i64,
        pub healthcheck_path: String,
        pub healthcheck_timeout: i64,
        pub ipv6_egress_enabled: bool,
        pub num_replicas: i64,
        pub multi_region_config: BTreeMap<String, RegionReplicas>,
        pub cron_schedule: String,
        /// `ON_FAILURE`, `ALWAYS` or `NEVER`.
        pub restart_policy_type: String,
        pub restart_policy_max_retries: i64,
        pub sleep_application: bool,
        pub registry_credentials: RegistryCredentials,
        pub limit_override: LimitOverride,
        pub required_mount_path: String,
        pub overlap_seconds: i64,
        pub draining_seconds: i64,
    }
}

sparse! {
    /// `deploy.multiRegionConfig.<region>`.
    pub struct RegionReplicas {
        pub num_replicas: i64,
    }
}

sparse! {
    pub struct RegistryCredentials {
        pub username: String,
        pub password: String,
    }
}

sparse! {
    pub struct LimitOverride {
        pub containers: ContainerLimits,
    }
}

sparse! {
    pub struct ContainerLimits {
        pub cpu: f64,
        pub memory_bytes: i64,
        pub disk_bytes: i64,
    }
}

sparse! {
    /// What a service entry of EnvironmentConfig holds besides its variables, networking and
    /// volume mounts: merged field by field by a patch.
    pub struct InstanceConfig {
        pub source: SourceConfig,
        pub build: BuildConfig,
        pub deploy: DeployConfig,
        /// The `railway.toml`/`railway.json` path the instance reads, if any.
        pub config_file: String,
        pub parent_service_id: String,
        pub cluster_role: String,
        pub group_id: String,
        pub ha_template_code: String,
        pub reverts_to_template_code: String,
        pub ha_active_variable: String,
        pub cluster_wiring: Value,
    }
}

sparse! {
    /// A variable's attributes besides its value and seal.
    pub struct VariableMeta {
        pub default_value: String,
        pub description: String,
        pub is_optional: bool,
        pub generator: String,
    }
}

sparse! {
    /// A variable entry of a config or a patch.
    pub struct VariableEntry {
        pub value: String,
        pub default_value: String,
        pub description: String,
        pub is_optional: bool,
        pub is_sealed: bool,
        pub generator: String,
    }
}

sparse! {
    /// `volumes.<volumeId>` (the volume's instance in this environment).
    pub struct VolumeEntry {
        #[serde(rename = "sizeMB")]
        pub size_mb: i64,
        pub region: String,
        pub alerts: Value,
        pub is_deleted: bool,
        pub is_created: bool,
        pub allow_online_resize: bool,
    }
}

sparse! {
    /// `services.<id>.volumeMounts.<volumeId>`.
    pub struct MountEntry {
        pub mount_path: String,
        /// `DAILY`, `WEEKLY`, `MONTHLY`.
        pub backup_schedules: Vec<String>,
    }
}

sparse! {
    /// `networking.serviceDomains.<domain>` and `networking.customDomains.<domain>`.
    pub struct DomainEntry {
        pub port: i64,
    }
}

/// The size Railway gives a new volume here, in MB (a Pro workspace's default).
pub const DEFAULT_VOLUME_SIZE_MB: i64 = 50_000;

/// The region instances run in when nothing says otherwise.
pub const DEFAULT_REGION: &str = "us-west2";

/// How much of the variable values a config shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// Keys only (`decryptVariables` not true).
    Names,
    /// Values of non-sealed variables (`decryptVariables: true`).
    Values,
    /// Sealed values too: only for computing the etag, never shown.
    Everything,
}

/// A variable as a config shows it.
pub fn variable_entry(variable: &Variable, reveal: Reveal) -> VariableEntry {
    let shown = match reveal {
        Reveal::Names => false,
        Reveal::Values => !variable.sealed,
        Reveal::Everything => true,
    };
    VariableEntry {
        value: shown.then(|| variable.value.clone()),
        default_value: variable.meta.default_value.clone(),
        description: variable.meta.description.clone(),
        is_optional: variable.meta.is_optional,
        is_sealed: variable.sealed.then_some(true),
        generator: variable.meta.generator.clone(),
    }
}

fn variables_json(variables: &BTreeMap<String, Variable>, reveal: Reveal) -> Value {
    let entries = variables.iter().map(|(name, variable)| (name.clone(), to_json(&variable_entry(variable, reveal))));
    Value::Object(entries.collect())
}

fn to_json<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

/// The JSON of one object key by key, leaving out keys whose value is an empty object.
fn object(entries: impl IntoIterator<Item = (&'static str, Value)>) -> Value {
    let map: Map<String, Value> = entries
        .into_iter()
        .filter(|(_, value)| !matches!(value, Value::Object(map) if map.is_empty()))
        .map(|(key, value)| (key.to_string(), value))
        .collect();
    Value::Object(map)
}

/// The service entry of one instance, as `environment.config` shows it.
pub fn service_json(state: &State, environment_id: &str, service_id: &str, reveal: Reveal) -> Result<Value, Refusal> {
    let instance = state.instance(environment_id, service_id)?;
    let mut config = instance.config.clone();
    if reveal == Reveal::Names {
        if let Some(credentials) = config.deploy.as_mut().and_then(|deploy| deploy.registry_credentials.as_mut()) {
            credentials.password = None;
        }
    }
    let mut entry = match to_json(&config) {
        Value::Object(map) => map,
        _ => Map::new(),
    };
    let domains = |entries: Vec<(String, Option<i64>)>| {
        let map = entries.into_iter().map(|(domain, port)| (domain, to_json(&DomainEntry { port })));
        Value::Object(map.collect())
    };
    let mut networking = Map::new();
    let service_domains =
        state.service_domains_of(environment_id, service_id).map(|d| (d.domain.clone(), d.target_port));
    let custom_domains = state.custom_domains_of(environment_id, service_id).map(|d| (d.domain.clone(), d.target_port));
    let proxies = state
        .tcp_proxies_of(environment_id, service_id)
        .map(|p| (p.application_port.to_string(), Value::Object(Map::new())));
    for (key, value) in [
        ("serviceDomains", domains(service_domains.collect())),
        ("customDomains", domains(custom_domains.collect())),
        ("tcpProxies", Value::Object(proxies.collect())),
    ] {
        if value.as_object().is_some_and(|map| !map.is_empty()) {
            networking.insert(key.to_string(), value);
        }
    }
    if let Some(endpoint) = &instance.private_network_endpoint {
        networking.insert("privateNetworkEndpoint".into(), Value::String(endpoint.clone()));
    }
    if !networking.is_empty() {
        entry.insert("networking".into(), Value::Object(networking));
    }
    let variables = variables_json(&instance.variables, reveal);
    if variables.as_object().is_some_and(|map| !map.is_empty()) {
        entry.insert("variables".into(), variables);
    }
    let mounts: Map<String, Value> = state
        .volume_instances
        .iter()
        .filter(|mount| mount.environment_id == environment_id && mount.service_id == service_id)
        .map(|mount| {
            let schedules = (!mount.backup_schedules.is_empty()).then(|| mount.backup_schedules.clone());
            let entry = MountEntry { mount_path: Some(mount.mount_path.clone()), backup_schedules: schedules };
            (mount.volume_id.clone(), to_json(&entry))
        })
        .collect();
    if !mounts.is_empty() {
        entry.insert("volumeMounts".into(), Value::Object(mounts));
    }
    Ok(Value::Object(entry))
}

fn config(state: &State, environment: &Environment, reveal: Reveal) -> Result<Value, Refusal> {
    let mut services = Map::new();
    for instance in state.instances_in(&environment.id) {
        services
            .insert(instance.service_id.clone(), service_json(state, &environment.id, &instance.service_id, reveal)?);
    }
    let volumes: Map<String, Value> = state
        .volume_instances_in(&environment.id)
        .map(|mount| {
            let entry = VolumeEntry {
                size_mb: Some(mount.size_mb.unwrap_or(DEFAULT_VOLUME_SIZE_MB)),
                region: Some(mount.region.clone().unwrap_or_else(|| DEFAULT_REGION.to_string())),
                allow_online_resize: mount.allow_online_resize,
                ..VolumeEntry::default()
            };
            (mount.volume_id.clone(), to_json(&entry))
        })
        .collect();
    let mut document = object([
        ("services", Value::Object(services)),
        ("sharedVariables", variables_json(&environment.shared_variables, reveal)),
        ("volumes", Value::Object(volumes)),
    ]);
    if let (Some(disabled), Value::Object(map)) = (environment.private_network_disabled, &mut document) {
        map.insert("privateNetworkDisabled".into(), Value::Bool(disabled));
    }
    Ok(document)
}

/// `environment.config(decryptVariables)`: the environment as JSON maps keyed by ids.
pub fn config_json(state: &State, environment_id: &str, decrypt: bool) -> Result<Value, Refusal> {
    let environment = state.environment(environment_id)?;
    config(state, environment, if decrypt { Reveal::Values } else { Reveal::Names })
}

/// `environment.configEtag`: a hash of everything in the environment a plan depends on (the
/// config with every value, sealed ones included, and the names of its services), so it changes
/// exactly when one of those does.
pub fn config_etag(state: &State, environment_id: &str) -> Result<String, Refusal> {
    let environment = state.environment(environment_id)?;
    let service_names: BTreeMap<&str, &str> = state
        .instances_in(environment_id)
        .filter_map(|i| state.service(&i.service_id).ok())
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let input = serde_json::json!({
        "config": config(state, environment, Reveal::Everything)?,
        "serviceNames": service_names,
    });
    let digest = Sha256::digest(input.to_string());
    Ok(digest.iter().take(16).map(|b| format!("{b:02x}")).collect())
}

/// Masks a patch's variable values (for reading staged changes without `decryptVariables`).
pub fn hide_values(patch: &Value) -> Value {
    let mut patch = patch.clone();
    let hide = |variables: Option<&mut Value>| {
        if let Some(Value::Object(variables)) = variables {
            for entry in variables.values_mut() {
                if let Value::Object(entry) = entry {
                    entry.remove("value");
                }
            }
        }
    };
    hide(patch.get_mut("sharedVariables"));
    if let Some(Value::Object(services)) = patch.get_mut("services") {
        for service in services.values_mut() {
            hide(service.get_mut("variables"));
            if let Some(Value::Object(credentials)) =
                service.get_mut("deploy").and_then(|deploy| deploy.get_mut("registryCredentials"))
            {
                credentials.remove("password");
            }
        }
    }
    patch
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::fixture;

    #[test]
    fn etag_changes_with_the_environment_and_only_then() {
        let mut state = fixture(&[("api", "A", "1")]);
        let before = config_etag(&state, "e").unwrap();
        assert_eq!(before, config_etag(&state, "e").unwrap());
        state.instance_mut("e", "api").unwrap().variables.insert("A".into(), Variable::new("2"));
        let after_value = config_etag(&state, "e").unwrap();
        assert_ne!(before, after_value);
        state.services[0].name = "web".into();
        let after_rename = config_etag(&state, "e").unwrap();
        assert_ne!(after_value, after_rename);
        state.instance_mut("e", "api").unwrap().config.deploy =
            Some(DeployConfig { num_replicas: Some(2), ..DeployConfig::default() });
        assert_ne!(after_rename, config_etag(&state, "e").unwrap());
    }

    #[test]
    fn config_hides_values_unless_decrypted_and_always_hides_sealed_ones() {
        let mut state = fixture(&[("api", "A", "1")]);
        let sealed = Variable { sealed: true, ..Variable::new("s") };
        state.instance_mut("e", "api").unwrap().variables.insert("S".into(), sealed);
        let hidden = config_json(&state, "e", false).unwrap();
        assert_eq!(hidden["services"]["api"]["variables"], serde_json::json!({"A": {}, "S": {"isSealed": true}}));
        let shown = config_json(&state, "e", true).unwrap();
        assert_eq!(shown["services"]["api"]["variables"]["A"]["value"], "1");
        assert_eq!(shown["services"]["api"]["variables"]["S"], serde_json::json!({"isSealed": true}));
        assert_eq!(shown["sharedVariables"]["REGION"]["value"], "eu");
        assert_eq!(shown["services"]["Postgres DB"], serde_json::json!({}));
    }

    #[test]
    fn settings_serialize_sparsely_and_refuse_unknown_keys() {
        let deploy = DeployConfig { start_command: Some("run".into()), ..DeployConfig::default() };
        assert_eq!(to_json(&deploy), serde_json::json!({"startCommand": "run"}));
        let unknown = serde_json::from_value::<DeployConfig>(serde_json::json!({"startComand": "run"}));
        assert!(unknown.unwrap_err().to_string().contains("unknown field `startComand`"));
        let volume: VolumeEntry = serde_json::from_value(serde_json::json!({"sizeMB": 5})).unwrap();
        assert_eq!(volume.size_mb, Some(5));
    }

    #[test]
    fn hidden_patches_keep_keys_and_drop_values() {
        let patch = serde_json::json!({"sharedVariables": {"A": {"value": "1"}, "B": null},
                                       "services": {"s": {"variables": {"C": {"value": "2", "isSealed": true}}}}});
        let hidden = hide_values(&patch);
        assert_eq!(hidden["sharedVariables"], serde_json::json!({"A": {}, "B": null}));
        assert_eq!(hidden["services"]["s"]["variables"]["C"], serde_json::json!({"isSealed": true}));
    }
}
