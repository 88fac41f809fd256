//! The emulator's state: projects, environments, services, service instances (with their
//! settings as Railway's EnvironmentConfig spells them), variables, volumes, domains, TCP proxies,
//! deployments and staged patches; the transactional [`Store`] around it; and persistence to a
//! JSON file (written atomically after every successful mutation, stale temporary copies of it
//! removed on start).
//!
//! The records here are plain data. What a mutation does to them lives in [`super::mutations`]
//! and [`super::patch`]; how variables render lives in [`super::resolve`]; the config JSON in
//! [`super::config`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

use super::config::{InstanceConfig, SourceConfig, VariableMeta};
use super::RenamePolicy;

/// A request the store refuses, with Railway's wording where Railway's is known.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Refusal(pub String);

impl Refusal {
    pub fn new(message: impl Into<String>) -> Self {
        Refusal(message.into())
    }
}

/// Everything the emulator knows, as persisted in the state file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct State {
    pub projects: Vec<Project>,
    pub environments: Vec<Environment>,
    pub services: Vec<Service>,
    pub instances: Vec<Instance>,
    pub volumes: Vec<Volume>,
    pub volume_instances: Vec<VolumeInstance>,
    pub service_domains: Vec<ServiceDomain>,
    pub custom_domains: Vec<CustomDomain>,
    pub tcp_proxies: Vec<TcpProxy>,
    pub deployments: Vec<Deployment>,
    /// At most one per environment: what `environmentStageChanges` staged and nobody committed.
    pub staged: Vec<StagedPatch>,
    /// How this emulator runs deployments (its flags and test hooks, not Railway state: not saved).
    #[serde(skip)]
    pub emulation: Emulation,
}

/// How deployments run in this emulator: `--deploy-seconds`, and the failures tests asked for
/// with `POST /_emulator/fail-deploys`. Not part of the state file.
#[derive(Debug, Clone, Default)]
pub struct Emulation {
    /// How long a deployment takes from INITIALIZING to its end (`--deploy-seconds`), in ms.
    pub deploy_ms: u64,
    /// Deployments to fail, oldest rule first.
    pub fail_rules: Vec<FailRule>,
}

/// `POST /_emulator/fail-deploys?service=NAME[&environment=NAME][&count=N][&status=…]`: the next
/// deployments of that service (in that environment) end `status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FailRule {
    /// A service name, in any project.
    pub service: String,
    /// An environment name; `None` for every environment.
    pub environment: Option<String>,
    /// How many deployments are left to fail; `None` for every one until cleared.
    pub remaining: Option<u32>,
    /// `FAILED` (a failed healthcheck: the previous deployment stays active) or `CRASHED` (it
    /// started, replaced the previous one, then exited).
    pub status: DeploymentState,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    /// When something in the project last changed (`None` in state files that predate it).
    #[serde(default)]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Environment {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub created_at: String,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub shared_variables: BTreeMap<String, Variable>,
    #[serde(default)]
    pub is_ephemeral: bool,
    /// The environment this one was created from (`sourceEnvironmentId`), if any.
    #[serde(default)]
    pub source_environment_id: Option<String>,
    #[serde(default)]
    pub private_network_disabled: Option<bool>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub icon: Option<String>,
    pub created_at: String,
}

/// A service in one environment: its settings (EnvironmentConfig's `source`, `build`,
/// `deploy`…) and variables. Domains, TCP proxies and volume mounts are records of their own.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub service_id: String,
    pub environment_id: String,
    #[serde(default)]
    pub config: InstanceConfig,
    /// `networking.privateNetworkEndpoint`: the DNS label of `RAILWAY_PRIVATE_DOMAIN`; `None`
    /// follows the service name.
    #[serde(default)]
    pub private_network_endpoint: Option<String>,
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
    #[serde(default)]
    pub created_at: Option<String>,
    /// When a committed change last changed what a new deployment of the instance would run
    /// (its settings, variables, networking, volume, or the rendered value of anything it
    /// references); `ServiceInstance.updatedAt`. Kept by [`Store::write`].
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The `source` of state files written before instances held a whole config; moved into
    /// `config.source` when the file is loaded.
    #[serde(default, rename = "source", skip_serializing)]
    legacy_source: Option<SourceConfig>,
}

impl Instance {
    pub fn new(service_id: &str, environment_id: &str, config: InstanceConfig) -> Self {
        let stamp = now();
        Instance {
            id: new_id(),
            service_id: service_id.to_string(),
            environment_id: environment_id.to_string(),
            config,
            private_network_endpoint: None,
            variables: BTreeMap::new(),
            created_at: Some(stamp.clone()),
            updated_at: Some(stamp),
            legacy_source: None,
        }
    }

    /// A copy of this instance in another environment (new id, same settings and variables).
    pub fn copy_to(&self, environment_id: &str) -> Self {
        let stamp = now();
        Instance {
            id: new_id(),
            environment_id: environment_id.to_string(),
            created_at: Some(stamp.clone()),
            updated_at: Some(stamp),
            ..self.clone()
        }
    }
}

/// One variable value as stored: raw (references unrendered).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Variable {
    pub value: String,
    #[serde(default)]
    pub sealed: bool,
    /// `description`, `defaultValue`, `isOptional`, `generator` as a config or patch gave them.
    #[serde(default, skip_serializing_if = "VariableMeta::is_empty")]
    pub meta: VariableMeta,
    /// When it was created and last changed (`Variable.createdAt/updatedAt`); kept by
    /// [`Store::write`], `None` in state files that predate them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub created_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

impl Variable {
    pub fn new(value: impl Into<String>) -> Self {
        Variable {
            value: value.into(),
            sealed: false,
            meta: VariableMeta::default(),
            created_at: None,
            updated_at: None,
        }
    }

    /// The same value, seal and metadata (timestamps aside).
    pub fn same_as(&self, other: &Variable) -> bool {
        self.value == other.value && self.sealed == other.sealed && self.meta == other.meta
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub created_at: String,
}

/// A volume in one environment, mounted into one service instance.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VolumeInstance {
    pub id: String,
    pub volume_id: String,
    pub environment_id: String,
    pub service_id: String,
    pub mount_path: String,
    #[serde(default)]
    pub created_at: Option<String>,
    /// `DAILY`, `WEEKLY`, `MONTHLY`.
    #[serde(default)]
    pub backup_schedules: Vec<String>,
    #[serde(default)]
    pub size_mb: Option<i64>,
    #[serde(default)]
    pub region: Option<String>,
    #[serde(default)]
    pub allow_online_resize: Option<bool>,
}

/// A Railway-provided `*.up.railway.app` domain of one service instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceDomain {
    pub id: String,
    pub environment_id: String,
    pub service_id: String,
    pub domain: String,
    pub target_port: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A domain of the user's own, routed to one service instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CustomDomain {
    pub id: String,
    pub environment_id: String,
    pub service_id: String,
    pub domain: String,
    pub target_port: Option<i64>,
    pub created_at: String,
    pub updated_at: String,
}

/// A TCP proxy: `domain:proxy_port` on the internet to `application_port` of the instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TcpProxy {
    pub id: String,
    pub environment_id: String,
    pub service_id: String,
    pub application_port: i64,
    pub proxy_port: i64,
    pub domain: String,
    pub created_at: String,
    pub updated_at: String,
}

/// Railway's `DeploymentStatus` values the emulator's deployments take.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum DeploymentState {
    Initializing,
    Building,
    Deploying,
    #[default]
    Success,
    /// Did not become active (a failed healthcheck, a dangling reference): the previous
    /// deployment stays active.
    Failed,
    /// Became active, replacing the previous deployment, then exited.
    Crashed,
    /// Replaced by a later deployment of the same instance, or removed.
    Removed,
}

impl DeploymentState {
    /// Railway's spelling (`SUCCESS`…).
    pub fn as_str(self) -> &'static str {
        match self {
            DeploymentState::Initializing => "INITIALIZING",
            DeploymentState::Building => "BUILDING",
            DeploymentState::Deploying => "DEPLOYING",
            DeploymentState::Success => "SUCCESS",
            DeploymentState::Failed => "FAILED",
            DeploymentState::Crashed => "CRASHED",
            DeploymentState::Removed => "REMOVED",
        }
    }
}

/// A deployment the emulator recorded: what the instance started with, and how it ends. Its
/// status at a given moment is computed from these ([`State::deployment_status`]);
/// `GET /_emulator/deployments` shows each record with that status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    #[serde(default = "new_id")]
    pub id: String,
    #[serde(default)]
    pub project_id: String,
    pub service_id: String,
    pub service_name: String,
    pub environment_id: String,
    pub environment_name: String,
    /// How it ends once its phases are over: `SUCCESS`, `FAILED` or `CRASHED` (`REMOVED` in
    /// state files of earlier versions, moved into `removed_ms` on load).
    #[serde(default)]
    pub status: DeploymentState,
    /// When it started (ms since 1970), and how long INITIALIZING → BUILDING → DEPLOYING take
    /// together; it reaches `status` at `started_ms + duration_ms`.
    #[serde(default)]
    pub started_ms: u64,
    #[serde(default)]
    pub duration_ms: u64,
    /// When `deploymentRemove` stopped it.
    #[serde(default)]
    pub removed_ms: Option<u64>,
    /// Why it fails (`FAILED`/`CRASHED`): a dangling reference, or an injected failure.
    #[serde(default)]
    pub failure: Option<String>,
    /// The references its variables hold that dangle (a subset of `unresolved`).
    #[serde(default)]
    pub dangling: Vec<String>,
    #[serde(default)]
    pub created_at: String,
    #[serde(default)]
    pub updated_at: String,
    /// Railway's `DeploymentMeta`: the reason and the service's settings at that moment
    /// (`serviceManifest`).
    #[serde(default)]
    pub meta: serde_json::Value,
    /// How many replicas it runs (one `instances` entry each while it is active).
    #[serde(default = "one")]
    pub replicas: i64,
    pub variables: BTreeMap<String, String>,
    pub unresolved: Vec<String>,
}

fn one() -> i64 {
    1
}

/// What a staged patch is doing (Railway's `EnvironmentPatchStatus`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum PatchStatus {
    #[default]
    Staged,
    Applying,
    Committed,
}

/// Changes staged in one environment and not yet committed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StagedPatch {
    pub id: String,
    pub environment_id: String,
    /// An EnvironmentConfig patch: `null` entries delete.
    pub patch: serde_json::Value,
    pub status: PatchStatus,
    pub created_at: String,
    pub updated_at: String,
    /// Why the last commit of this patch failed, if it did.
    pub last_applied_error: Option<String>,
    pub message: Option<String>,
}

/// Lookups shared by queries and mutations; each refuses with Railway's "not found" wording.
impl State {
    pub fn project(&self, id: &str) -> Result<&Project, Refusal> {
        self.projects.iter().find(|p| p.id == id).ok_or_else(|| Refusal::new("Project not found"))
    }

    pub fn environment(&self, id: &str) -> Result<&Environment, Refusal> {
        self.environments.iter().find(|e| e.id == id).ok_or_else(|| Refusal::new("Environment not found"))
    }

    pub fn environment_mut(&mut self, id: &str) -> Result<&mut Environment, Refusal> {
        self.environments.iter_mut().find(|e| e.id == id).ok_or_else(|| Refusal::new("Environment not found"))
    }

    pub fn service(&self, id: &str) -> Result<&Service, Refusal> {
        self.services.iter().find(|s| s.id == id).ok_or_else(|| Refusal::new("Service not found"))
    }

    pub fn volume(&self, id: &str) -> Result<&Volume, Refusal> {
        self.volumes.iter().find(|v| v.id == id).ok_or_else(|| Refusal::new("Volume not found"))
    }

    pub fn instance(&self, environment_id: &str, service_id: &str) -> Result<&Instance, Refusal> {
        self.instances
            .iter()
            .find(|i| i.environment_id == environment_id && i.service_id == service_id)
            .ok_or_else(|| Refusal::new("Service instance not found"))
    }

    pub fn instance_mut(&mut self, environment_id: &str, service_id: &str) -> Result<&mut Instance, Refusal> {
        self.instances
            .iter_mut()
            .find(|i| i.environment_id == environment_id && i.service_id == service_id)
            .ok_or_else(|| Refusal::new("Service instance not found"))
    }

    /// The environment `environment_id`, refused unless it belongs to `project_id`.
    pub fn environment_of(&self, project_id: &str, environment_id: &str) -> Result<&Environment, Refusal> {
        let environment = self.environment(environment_id)?;
        if environment.project_id != project_id {
            return Err(Refusal::new("Environment not found in project"));
        }
        Ok(environment)
    }

    pub fn environments_of<'s>(&'s self, project_id: &'s str) -> impl Iterator<Item = &'s Environment> + 's {
        self.environments.iter().filter(move |e| e.project_id == project_id)
    }

    pub fn services_of<'s>(&'s self, project_id: &'s str) -> impl Iterator<Item = &'s Service> + 's {
        self.services.iter().filter(move |s| s.project_id == project_id)
    }

    pub fn instances_in<'s>(&'s self, environment_id: &'s str) -> impl Iterator<Item = &'s Instance> + 's {
        self.instances.iter().filter(move |i| i.environment_id == environment_id)
    }

    pub fn volume_instances_in<'s>(&'s self, environment_id: &'s str) -> impl Iterator<Item = &'s VolumeInstance> + 's {
        self.volume_instances.iter().filter(move |v| v.environment_id == environment_id)
    }

    /// The volume mounted into one service instance, if any.
    pub fn volume_instance_of(&self, environment_id: &str, service_id: &str) -> Option<&VolumeInstance> {
        self.volume_instances.iter().find(|v| v.environment_id == environment_id && v.service_id == service_id)
    }

    /// The service domains of one instance, oldest first.
    pub fn service_domains_of<'s>(
        &'s self,
        environment_id: &'s str,
        service_id: &'s str,
    ) -> impl Iterator<Item = &'s ServiceDomain> + 's {
        self.service_domains.iter().filter(move |d| d.environment_id == environment_id && d.service_id == service_id)
    }

    pub fn custom_domains_of<'s>(
        &'s self,
        environment_id: &'s str,
        service_id: &'s str,
    ) -> impl Iterator<Item = &'s CustomDomain> + 's {
        self.custom_domains.iter().filter(move |d| d.environment_id == environment_id && d.service_id == service_id)
    }

    pub fn tcp_proxies_of<'s>(
        &'s self,
        environment_id: &'s str,
        service_id: &'s str,
    ) -> impl Iterator<Item = &'s TcpProxy> + 's {
        self.tcp_proxies.iter().filter(move |p| p.environment_id == environment_id && p.service_id == service_id)
    }

    pub fn deployment(&self, id: &str) -> Result<&Deployment, Refusal> {
        self.deployments.iter().find(|d| d.id == id).ok_or_else(|| Refusal::new("Deployment not found"))
    }

    pub fn staged_patch(&self, environment_id: &str) -> Option<&StagedPatch> {
        self.staged.iter().find(|p| p.environment_id == environment_id)
    }

    /// Records that something in the environment (and so its project) changed now.
    pub fn touch_environment(&mut self, environment_id: &str) {
        let stamp = now();
        let Some(environment) = self.environments.iter_mut().find(|e| e.id == environment_id) else { return };
        environment.updated_at = Some(stamp);
        let project_id = environment.project_id.clone();
        self.touch_project(&project_id);
    }

    /// Records that something in the project changed now.
    pub fn touch_project(&mut self, project_id: &str) {
        if let Some(project) = self.projects.iter_mut().find(|p| p.id == project_id) {
            project.updated_at = Some(now());
        }
    }

    /// Brings a state read from an older file up to today's shape: an instance's `source`
    /// moves into its config, and records without a creation time take their parent's.
    fn migrate(&mut self) {
        let services: BTreeMap<String, String> =
            self.services.iter().map(|s| (s.id.clone(), s.created_at.clone())).collect();
        let volumes: BTreeMap<String, String> =
            self.volumes.iter().map(|v| (v.id.clone(), v.created_at.clone())).collect();
        for instance in &mut self.instances {
            if let Some(source) = instance.legacy_source.take() {
                instance.config.source.get_or_insert(source);
            }
            if instance.created_at.is_none() {
                instance.created_at = services.get(&instance.service_id).cloned();
            }
        }
        for mount in &mut self.volume_instances {
            if mount.created_at.is_none() {
                mount.created_at = volumes.get(&mount.volume_id).cloned();
            }
        }
        for deployment in &mut self.deployments {
            if deployment.started_ms == 0 {
                deployment.started_ms = parse_timestamp_ms(&deployment.created_at).unwrap_or(0);
            }
            if deployment.status == DeploymentState::Removed {
                deployment.status = DeploymentState::Success;
                let removed = parse_timestamp_ms(&deployment.updated_at).unwrap_or(deployment.started_ms);
                deployment.removed_ms.get_or_insert(removed.max(deployment.started_ms));
            }
        }
    }
}

/// The state behind a lock, with its optional file and the emulator's rename policy.
#[derive(Debug)]
pub struct Store {
    state: Mutex<State>,
    file: Option<PathBuf>,
    pub rename_policy: RenamePolicy,
}

impl Store {
    /// A store that starts from `file` when it exists (and writes to it), or empty. Temporary
    /// copies that an emulator killed mid-save left beside the file are removed first.
    pub fn open(file: Option<PathBuf>, rename_policy: RenamePolicy) -> anyhow::Result<Self> {
        if let Some(path) = &file {
            remove_stale_temporaries(path);
        }
        let state = match &file {
            Some(path) if path.exists() => load(path)?,
            _ => State::default(),
        };
        Ok(Store { state: Mutex::new(state), file, rename_policy })
    }

    /// An empty store that lives in memory only.
    pub fn in_memory(rename_policy: RenamePolicy) -> Self {
        Store { state: Mutex::new(State::default()), file: None, rename_policy }
    }

    /// Deployments take `duration` from INITIALIZING to their end (`--deploy-seconds`).
    pub fn deploying_in(self, duration: std::time::Duration) -> Self {
        self.lock().emulation.deploy_ms = u64::try_from(duration.as_millis()).unwrap_or(u64::MAX);
        self
    }

    /// Reads the state. A panic in another request cannot leave the state half-changed (every
    /// write works on a copy), so a poisoned lock still guards consistent data.
    pub fn read<T>(&self, read: impl FnOnce(&State) -> T) -> T {
        read(&self.lock())
    }

    /// Runs `change` on a copy of the state; only when it succeeds (and the file, if any, is
    /// written) does the copy become the state. A refused mutation changes nothing. What the
    /// change did to instances and variables is then stamped ([`super::stamps`]) with a time
    /// taken before it ran, so deployments it started are newer than the changes they run.
    pub fn write<T>(&self, change: impl FnOnce(&mut State) -> Result<T, Refusal>) -> Result<T, Refusal> {
        let mut guard = self.lock();
        let mut draft = guard.clone();
        let stamp = now();
        let result = change(&mut draft)?;
        super::stamps::stamp_changes(&guard, &mut draft, &stamp);
        if let Some(path) = &self.file {
            save(path, &draft)
                .map_err(|error| Refusal::new(format!("emulator could not save its state: {error:#}")))?;
        }
        *guard = draft;
        Ok(result)
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

fn load(path: &Path) -> anyhow::Result<State> {
    use anyhow::Context;
    let text = std::fs::read_to_string(path).with_context(|| format!("reading emulator state {}", path.display()))?;
    let mut state: State =
        serde_json::from_str(&text).with_context(|| format!("parsing emulator state {}", path.display()))?;
    state.migrate();
    Ok(state)
}

fn folder_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// The prefix of the temporary copies [`save`] writes beside `path`: `.<file name>.`.
fn temporary_prefix(path: &Path) -> String {
    let name = path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    format!(".{name}.")
}

const TEMPORARY_SUFFIX: &str = ".tmp";

/// Removes what a killed save left beside `path`: `.<name>.XXXXXX.tmp` files, and the
/// `.tmpXXXXXX` files earlier versions wrote, those only when they begin like a state file (so
/// another program's temporary files in the same folder are left alone).
fn remove_stale_temporaries(path: &Path) {
    let Ok(entries) = std::fs::read_dir(folder_of(path)) else { return };
    let prefix = temporary_prefix(path);
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let ours = name.starts_with(&prefix) && name.ends_with(TEMPORARY_SUFFIX);
        let legacy = name.len() == ".tmp".len() + 6
            && name.starts_with(".tmp")
            && name[4..].chars().all(|c| c.is_ascii_alphanumeric())
            && begins_like_a_state_file(&entry.path());
        let is_file = entry.file_type().is_ok_and(|kind| kind.is_file());
        if is_file && (ours || legacy) {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

fn begins_like_a_state_file(path: &Path) -> bool {
    use std::io::Read;
    let mut start = [0u8; 32];
    let Ok(mut file) = std::fs::File::open(path) else { return false };
    let read = file.read(&mut start).unwrap_or(0);
    let text = String::from_utf8_lossy(&start[..read]);
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    compact.is_empty() || compact.starts_with("{\"projects\"")
}

/// Writes `state` to a temporary file beside `path`, syncs it, then renames it over `path`, so a
/// crash at any moment leaves either the old file or the new one, never a torn one.
fn save(path: &Path, state: &State) -> anyhow::Result<()> {
    let dir = folder_of(path);
    std::fs::create_dir_all(&dir)?;
    let prefix = temporary_prefix(path);
    let mut temp = tempfile::Builder::new().prefix(&prefix).suffix(TEMPORARY_SUFFIX).tempfile_in(&dir)?;
    serde_json::to_writer_pretty(&mut temp, state)?;
    temp.write_all(b"\n")?;
    temp.as_file().sync_all()?;
    temp.persist(path)?;
    if let Ok(dir) = std::fs::File::open(&dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// A new random id shaped like Railway's (a version-4 UUID).
pub fn new_id() -> String {
    uuid_from(rand::random())
}

/// A version-4-shaped UUID from 16 bytes (random ones, or a digest for a stable id).
pub fn uuid_from(mut bytes: [u8; 16]) -> String {
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The last instant [`now_ms`] handed out.
static LAST_INSTANT_MS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Milliseconds since 1970, strictly increasing within the process: two stamps never tie, so
/// "changed after it was deployed" compares exactly even for a change and a deploy made in the
/// same millisecond (a burst of stamps runs ahead of the wall clock by a millisecond each, and
/// the clock catches up).
pub fn now_ms() -> u64 {
    use std::sync::atomic::Ordering;
    let wall = crate::clock::wall_ms();
    let mut last = LAST_INSTANT_MS.load(Ordering::Relaxed);
    loop {
        let next = wall.max(last + 1);
        match LAST_INSTANT_MS.compare_exchange_weak(last, next, Ordering::Relaxed, Ordering::Relaxed) {
            Ok(_) => return next,
            Err(actual) => last = actual,
        }
    }
}

/// The wall clock in ms since 1970, for reading (it does not advance [`now_ms`]'s sequence, and
/// is never behind a stamp already handed out).
pub fn clock_ms() -> u64 {
    let wall = crate::clock::wall_ms();
    wall.max(LAST_INSTANT_MS.load(std::sync::atomic::Ordering::Relaxed))
}

/// The current time as an RFC 3339 UTC timestamp with milliseconds (Railway's `DateTime`),
/// unique within the process (see [`now_ms`]).
pub fn now() -> String {
    timestamp_ms(now_ms())
}

/// `seconds` since 1970 as an RFC 3339 UTC timestamp.
pub fn timestamp(seconds: u64) -> String {
    timestamp_ms(seconds.saturating_mul(1000))
}

pub use crate::clock::{civil_from_days, parse_timestamp_ms, timestamp_ms};

/// A state for unit tests: project `p` ("shop"), environment `e` ("production", shared
/// `REGION=eu`), services `api` and `Postgres DB` with an instance each, and `variables` as
/// `(service, name, value)`.
#[cfg(test)]
pub fn fixture(variables: &[(&str, &str, &str)]) -> State {
    let mut state = State::default();
    state.projects.push(Project {
        id: "p".into(),
        name: "shop".into(),
        description: None,
        created_at: String::new(),
        updated_at: None,
    });
    state.environments.push(Environment {
        id: "e".into(),
        project_id: "p".into(),
        name: "production".into(),
        created_at: String::new(),
        updated_at: None,
        shared_variables: BTreeMap::from([("REGION".into(), Variable::new("eu"))]),
        is_ephemeral: false,
        source_environment_id: None,
        private_network_disabled: None,
    });
    for service in ["api", "Postgres DB"] {
        state.services.push(Service {
            id: service.into(),
            project_id: "p".into(),
            name: service.into(),
            icon: None,
            created_at: String::new(),
        });
        state.instances.push(Instance::new(service, "e", InstanceConfig::default()));
    }
    for (service, name, value) in variables {
        state.instance_mut("e", service).unwrap().variables.insert((*name).into(), Variable::new(*value));
    }
    state
}

#[cfg(test)]
mod tests {
    use super::*;

    fn project(name: &str) -> Project {
        Project { id: "p".into(), name: name.into(), description: None, created_at: now(), updated_at: None }
    }

    #[test]
    fn ids_look_like_uuids() {
        let id = new_id();
        assert_eq!(id.len(), 36);
        assert_eq!(id.matches('-').count(), 4);
        assert_ne!(id, new_id());
    }

    #[test]
    fn a_refused_write_changes_nothing_and_a_saved_state_loads_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let store = Store::open(Some(path.clone()), RenamePolicy::Keep).unwrap();
        let refused: Result<(), Refusal> = store.write(|state| {
            state.projects.push(project("x"));
            Err(Refusal::new("no"))
        });
        assert!(refused.is_err());
        assert_eq!(store.read(|s| s.projects.len()), 0);
        store
            .write(|state| {
                state.projects.push(project("x"));
                Ok(())
            })
            .unwrap();
        let reopened = Store::open(Some(path), RenamePolicy::Keep).unwrap();
        assert_eq!(reopened.read(|s| s.projects[0].name.clone()), "x");
    }

    #[test]
    fn opening_removes_temporary_copies_a_killed_save_left_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        std::fs::write(&path, "{\"projects\": []}").unwrap();
        let ours = dir.path().join(".state.json.AbC123.tmp");
        let legacy = dir.path().join(".tmpXy12Z9");
        let foreign_legacy = dir.path().join(".tmpQwErTy");
        let other = dir.path().join("notes.tmp");
        std::fs::write(&ours, "{\n  \"projects\": [").unwrap();
        std::fs::write(&legacy, "{\n  \"projects\": [").unwrap();
        std::fs::write(&foreign_legacy, "not ours").unwrap();
        std::fs::write(&other, "keep").unwrap();
        Store::open(Some(path.clone()), RenamePolicy::Keep).unwrap();
        assert!(!ours.exists() && !legacy.exists());
        assert!(foreign_legacy.exists() && other.exists() && path.exists());
    }

    #[test]
    fn a_state_file_of_the_previous_version_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("state.json");
        let old = serde_json::json!({
            "projects": [{"id": "p", "name": "shop", "description": null, "created_at": "2026-08-01T00:00:00.000Z"}],
            "environments": [{"id": "e", "project_id": "p", "name": "production", "created_at": "2026-08-01T00:00:00.000Z",
                              "shared_variables": {"A": {"value": "1", "sealed": false}}}],
            "services": [{"id": "s", "project_id": "p", "name": "api", "icon": null, "created_at": "2026-08-01T00:00:00.000Z"}],
            "instances": [{"id": "i", "service_id": "s", "environment_id": "e", "source": {"repo": "acme/api", "branch": "main"},
                           "settings": {"start_command": "run", "restart_policy_type": "ON_FAILURE"}, "variables": {}}],
            "deployments": [{"service_id": "s", "service_name": "api", "environment_id": "e", "environment_name": "production",
                             "variables": {}, "unresolved": []}]
        });
        std::fs::write(&path, old.to_string()).unwrap();
        let store = Store::open(Some(path), RenamePolicy::Keep).unwrap();
        let source = store.read(|s| s.instances[0].config.source.clone()).unwrap();
        assert_eq!((source.repo.as_deref(), source.branch.as_deref()), (Some("acme/api"), Some("main")));
        assert_eq!(store.read(|s| s.deployments[0].status), DeploymentState::Success);
        assert_eq!(store.read(|s| s.deployments[0].id.len()), 36);
        assert_eq!(store.read(|s| s.instances[0].created_at.clone()).as_deref(), Some("2026-08-01T00:00:00.000Z"));
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let stamp = now();
        assert_eq!(stamp.len(), 24);
        assert!(stamp.starts_with("20"));
        assert_eq!(timestamp(951_782_400), "2000-02-29T00:00:00.000Z");
        let (a, b) = (now_ms(), now_ms());
        assert!(b > a, "stamps never tie");
    }
}
