//! The emulator's state: projects, environments, services, service instances, variables,
//! volumes and recorded deployments; the transactional [`Store`] around it; and persistence to a
//! JSON file (written atomically after every successful mutation).
//!
//! The records here are plain data. What a mutation does to them lives in [`super::mutations`];
//! how variables render lives in [`super::resolve`].

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

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
    pub deployments: Vec<Deployment>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Project {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Environment {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub created_at: String,
    #[serde(default)]
    pub shared_variables: BTreeMap<String, Variable>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Service {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub icon: Option<String>,
    pub created_at: String,
}

/// A service in one environment: its source, settings and variables.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Instance {
    pub id: String,
    pub service_id: String,
    pub environment_id: String,
    pub source: Option<Source>,
    #[serde(default)]
    pub settings: InstanceSettings,
    #[serde(default)]
    pub variables: BTreeMap<String, Variable>,
}

/// Where a service instance's code comes from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Source {
    Image { image: String },
    Repo { repo: String, branch: String },
}

/// The deploy settings `serviceInstanceUpdate` can change.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(default)]
pub struct InstanceSettings {
    pub start_command: Option<String>,
    pub healthcheck_path: Option<String>,
    pub num_replicas: Option<i32>,
    pub cron_schedule: Option<String>,
    pub root_directory: Option<String>,
    pub restart_policy_type: RestartPolicy,
}

/// Railway's `RestartPolicyType`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RestartPolicy {
    Always,
    Never,
    #[default]
    OnFailure,
}

/// One variable value as stored: raw (references unrendered).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Variable {
    pub value: String,
    #[serde(default)]
    pub sealed: bool,
}

impl Variable {
    pub fn new(value: impl Into<String>) -> Self {
        Variable { value: value.into(), sealed: false }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Volume {
    pub id: String,
    pub project_id: String,
    pub name: String,
    pub created_at: String,
}

/// A volume mounted into one service instance of one environment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VolumeInstance {
    pub id: String,
    pub volume_id: String,
    pub environment_id: String,
    pub service_id: String,
    pub mount_path: String,
}

/// A deployment the emulator recorded: what the instance would have started with.
/// Serialized as-is by `GET /_emulator/deployments`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deployment {
    pub service_id: String,
    pub service_name: String,
    pub environment_id: String,
    pub environment_name: String,
    pub variables: BTreeMap<String, String>,
    pub unresolved: Vec<String>,
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
}

/// The state behind a lock, with its optional file and the emulator's rename policy.
#[derive(Debug)]
pub struct Store {
    state: Mutex<State>,
    file: Option<PathBuf>,
    pub rename_policy: RenamePolicy,
}

impl Store {
    /// A store that starts from `file` when it exists (and writes to it), or empty.
    pub fn open(file: Option<PathBuf>, rename_policy: RenamePolicy) -> anyhow::Result<Self> {
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

    /// Reads the state. A panic in another request cannot leave the state half-changed (every
    /// write works on a copy), so a poisoned lock still guards consistent data.
    pub fn read<T>(&self, read: impl FnOnce(&State) -> T) -> T {
        read(&self.lock())
    }

    /// Runs `change` on a copy of the state; only when it succeeds (and the file, if any, is
    /// written) does the copy become the state. A refused mutation changes nothing.
    pub fn write<T>(&self, change: impl FnOnce(&mut State) -> Result<T, Refusal>) -> Result<T, Refusal> {
        let mut guard = self.lock();
        let mut draft = guard.clone();
        let result = change(&mut draft)?;
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
    serde_json::from_str(&text).with_context(|| format!("parsing emulator state {}", path.display()))
}

/// Writes `state` to a temporary file beside `path`, syncs it, then renames it over `path`, so a
/// crash at any moment leaves either the old file or the new one, never a torn one.
fn save(path: &Path, state: &State) -> anyhow::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&dir)?;
    let mut temp = tempfile::NamedTempFile::new_in(&dir)?;
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
    let mut bytes: [u8; 16] = rand::random();
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// The current time as an RFC 3339 UTC timestamp (Railway's `DateTime`).
pub fn now() -> String {
    let seconds =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default();
    let days = seconds / 86_400;
    let (hour, minute, second) = (seconds % 86_400 / 3600, seconds % 3600 / 60, seconds % 60);
    // Civil-from-days (Howard Hinnant's algorithm), valid for every date after 1970.
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02}T{hour:02}:{minute:02}:{second:02}.000Z")
}

#[cfg(test)]
mod tests {
    use super::*;

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
            state.projects.push(Project { id: "p".into(), name: "x".into(), description: None, created_at: now() });
            Err(Refusal::new("no"))
        });
        assert!(refused.is_err());
        assert_eq!(store.read(|s| s.projects.len()), 0);
        store
            .write(|state| {
                state.projects.push(Project { id: "p".into(), name: "x".into(), description: None, created_at: now() });
                Ok(())
            })
            .unwrap();
        let reopened = Store::open(Some(path), RenamePolicy::Keep).unwrap();
        assert_eq!(reopened.read(|s| s.projects[0].name.clone()), "x");
    }

    #[test]
    fn timestamps_are_rfc3339() {
        let stamp = now();
        assert_eq!(stamp.len(), 24);
        assert!(stamp.starts_with("20"));
    }
}
