//! The whole service, per environment (SPEC §2.1): build, deploy, networking and volume settings
//! as the files declare them, in railform's names. A setting a file does not write is `None` (or
//! empty) and is not managed: railform neither reports nor changes it.
//!
//! [`Settings::leaves`] is the one mapping from railform's names to Railway's EnvironmentConfig
//! (`deploy.start_command` → `deploy.startCommand`, `restart_policy = "on_failure"` →
//! `restartPolicyType: "ON_FAILURE"`): the diff compares each leaf with the live config at the
//! same path, and apply writes the same leaves into the environment's patch.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use super::model::VariableValue;
use crate::diag::Location;

/// Everything §2.1 lets a file say about a service besides its source, volume mount and
/// variables.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Settings {
    /// `root_directory`: the folder of a monorepo the service builds from.
    pub root_directory: Option<String>,
    pub build: Build,
    pub deploy: Deploy,
    /// `Some` when the service has a `[networking]` table: then domains and TCP proxies it does
    /// not declare are unmanaged (drift).
    pub networking: Option<Networking>,
    /// `volume.backups`: backup schedules of the service's volume.
    pub volume_backups: Option<Vec<BackupSchedule>>,
    /// `registry_credentials`: how Railway pulls a private image (`deploy.registryCredentials`
    /// in Railway's EnvironmentConfig). Not a [`Leaf`]: the password is a secret, resolved when
    /// planning like a `from_env` variable. Image services only.
    pub registry_credentials: Option<RegistryCredentials>,
}

/// `registry_credentials = { username = "…", password = { from_env = "…" } }`. `Debug` never
/// shows the password, whatever its form; equality ignores where it was written.
#[derive(Clone)]
pub struct RegistryCredentials {
    pub username: String,
    /// Any variable form but `generate`; a plain string is treated as sensitive.
    pub password: VariableValue,
    /// Where the password is written (for a `from_env` that is not set).
    pub password_at: Option<Location>,
}

impl PartialEq for RegistryCredentials {
    fn eq(&self, other: &Self) -> bool {
        self.username == other.username && self.password == other.password
    }
}

impl std::fmt::Debug for RegistryCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let password = match &self.password {
            VariableValue::FromEnv { name, .. } => format!("from_env({name})"),
            VariableValue::Preserve => "preserve".to_string(),
            _ => "***".to_string(),
        };
        f.debug_struct("RegistryCredentials").field("username", &self.username).field("password", &password).finish()
    }
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Build {
    pub builder: Option<Builder>,
    pub dockerfile_path: Option<String>,
    pub build_command: Option<String>,
    pub watch_patterns: Option<Vec<String>>,
    pub railpack_version: Option<String>,
    pub nixpacks_config_path: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Builder {
    Railpack,
    Dockerfile,
    Nixpacks,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Deploy {
    pub start_command: Option<String>,
    /// A string in the file is a list of one.
    pub pre_deploy_command: Option<Vec<String>>,
    pub pre_deploy_timeout: Option<u64>,
    pub healthcheck_path: Option<String>,
    pub healthcheck_timeout: Option<u64>,
    pub restart_policy: Option<RestartPolicy>,
    pub restart_max_retries: Option<u64>,
    pub replicas: Option<u64>,
    /// Region → replicas (multi-region).
    pub regions: Option<BTreeMap<String, u64>>,
    pub cron_schedule: Option<String>,
    pub sleep_when_idle: Option<bool>,
    pub draining_seconds: Option<u64>,
    pub overlap_seconds: Option<u64>,
    pub limits: Option<Limits>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RestartPolicy {
    Always,
    OnFailure,
    Never,
}

#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Limits {
    pub vcpus: Option<f64>,
    pub memory_gb: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Networking {
    /// `railway_domain`: a generated `*.up.railway.app` domain; `Some(None)` lets Railway pick
    /// the port (`railway_domain = true`).
    pub railway_domain: Option<Option<u16>>,
    pub custom_domains: Vec<CustomDomain>,
    /// Application ports exposed through Railway's TCP proxy.
    pub tcp_proxy: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomDomain {
    pub domain: String,
    pub port: Option<u16>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BackupSchedule {
    Daily,
    Weekly,
    Monthly,
}

/// One managed setting: railform's name for it (the end of its plan address), the path of the
/// same value in the service's entry of Railway's EnvironmentConfig, and the value there.
#[derive(Debug, Clone, PartialEq)]
pub struct Leaf {
    /// `deploy.start_command`, `build.watch_patterns`, `root_directory`…
    pub name: String,
    /// `["deploy", "startCommand"]`, `["source", "rootDirectory"]`…
    pub path: Vec<String>,
    pub value: Value,
}

impl Settings {
    /// Every setting the files write, as EnvironmentConfig leaves of the service's entry.
    /// Networking and volume backups are not leaves (they are keyed by domains, ports and
    /// volume ids): see [`Networking`] and [`Settings::volume_backups`].
    pub fn leaves(&self) -> Vec<Leaf> {
        let mut leaves = Vec::new();
        let mut add = |name: &str, path: &[&str], value: Option<Value>| {
            if let Some(value) = value {
                leaves.push(Leaf { name: name.to_string(), path: path.iter().map(|p| p.to_string()).collect(), value });
            }
        };
        let text = |value: &Option<String>| value.as_ref().map(|v| json!(v));
        let number = |value: &Option<u64>| value.map(|v| json!(v));
        add("root_directory", &["source", "rootDirectory"], text(&self.root_directory));
        let build = &self.build;
        add("build.builder", &["build", "builder"], build.builder.map(|b| json!(b.railway_name())));
        add("build.dockerfile_path", &["build", "dockerfilePath"], text(&build.dockerfile_path));
        add("build.build_command", &["build", "buildCommand"], text(&build.build_command));
        add("build.watch_patterns", &["build", "watchPatterns"], build.watch_patterns.as_ref().map(|w| json!(w)));
        add("build.railpack_version", &["build", "railpackVersion"], text(&build.railpack_version));
        add("build.nixpacks_config_path", &["build", "nixpacksConfigPath"], text(&build.nixpacks_config_path));
        let deploy = &self.deploy;
        add("deploy.start_command", &["deploy", "startCommand"], text(&deploy.start_command));
        add(
            "deploy.pre_deploy_command",
            &["deploy", "preDeployCommand"],
            deploy.pre_deploy_command.as_ref().map(|c| json!(c)),
        );
        add("deploy.pre_deploy_timeout", &["deploy", "preDeployTimeoutSeconds"], number(&deploy.pre_deploy_timeout));
        add("deploy.healthcheck_path", &["deploy", "healthcheckPath"], text(&deploy.healthcheck_path));
        add("deploy.healthcheck_timeout", &["deploy", "healthcheckTimeout"], number(&deploy.healthcheck_timeout));
        add(
            "deploy.restart_policy",
            &["deploy", "restartPolicyType"],
            deploy.restart_policy.map(|p| json!(p.railway_name())),
        );
        add("deploy.restart_max_retries", &["deploy", "restartPolicyMaxRetries"], number(&deploy.restart_max_retries));
        add("deploy.replicas", &["deploy", "numReplicas"], number(&deploy.replicas));
        if let Some(regions) = &deploy.regions {
            for (region, replicas) in regions {
                add(
                    &format!("deploy.regions.{region}"),
                    &["deploy", "multiRegionConfig", region, "numReplicas"],
                    Some(json!(replicas)),
                );
            }
        }
        add("deploy.cron_schedule", &["deploy", "cronSchedule"], text(&deploy.cron_schedule));
        add("deploy.sleep_when_idle", &["deploy", "sleepApplication"], deploy.sleep_when_idle.map(|s| json!(s)));
        add("deploy.draining_seconds", &["deploy", "drainingSeconds"], number(&deploy.draining_seconds));
        add("deploy.overlap_seconds", &["deploy", "overlapSeconds"], number(&deploy.overlap_seconds));
        if let Some(limits) = &deploy.limits {
            add(
                "deploy.limits.vcpus",
                &["deploy", "limitOverride", "containers", "cpu"],
                limits.vcpus.map(|v| json!(v)),
            );
            add(
                "deploy.limits.memory_gb",
                &["deploy", "limitOverride", "containers", "memoryBytes"],
                limits.memory_gb.map(|gb| json!((gb * 1024.0 * 1024.0 * 1024.0).round() as u64)),
            );
        }
        leaves
    }
}

impl Builder {
    /// Railway's name in the EnvironmentConfig JSON.
    pub fn railway_name(self) -> &'static str {
        match self {
            Builder::Railpack => "RAILPACK",
            Builder::Dockerfile => "DOCKERFILE",
            Builder::Nixpacks => "NIXPACKS",
        }
    }
}

impl RestartPolicy {
    /// Railway's name in the EnvironmentConfig JSON.
    pub fn railway_name(self) -> &'static str {
        match self {
            RestartPolicy::Always => "ALWAYS",
            RestartPolicy::OnFailure => "ON_FAILURE",
            RestartPolicy::Never => "NEVER",
        }
    }
}

impl BackupSchedule {
    /// Railway's name (`DAILY`, `WEEKLY`, `MONTHLY`).
    pub fn railway_name(self) -> &'static str {
        match self {
            BackupSchedule::Daily => "DAILY",
            BackupSchedule::Weekly => "WEEKLY",
            BackupSchedule::Monthly => "MONTHLY",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_written_settings_are_leaves_in_railways_names() {
        let settings = Settings {
            root_directory: Some("apps/api".into()),
            deploy: Deploy {
                start_command: Some("node server.js".into()),
                restart_policy: Some(RestartPolicy::OnFailure),
                limits: Some(Limits { vcpus: None, memory_gb: Some(4.0) }),
                ..Deploy::default()
            },
            ..Settings::default()
        };
        let leaves: Vec<(String, String, Value)> =
            settings.leaves().into_iter().map(|l| (l.name, l.path.join("."), l.value)).collect();
        assert_eq!(
            leaves,
            [
                ("root_directory".into(), "source.rootDirectory".into(), json!("apps/api")),
                ("deploy.start_command".into(), "deploy.startCommand".into(), json!("node server.js")),
                ("deploy.restart_policy".into(), "deploy.restartPolicyType".into(), json!("ON_FAILURE")),
                (
                    "deploy.limits.memory_gb".into(),
                    "deploy.limitOverride.containers.memoryBytes".into(),
                    json!(4_294_967_296u64)
                ),
            ]
        );
    }
}
