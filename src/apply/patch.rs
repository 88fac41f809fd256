//! One environment's changes as one patch of Railway's EnvironmentConfig: every
//! [`Operation::Patch`] change of the environment becomes an entry of one JSON document
//! (`services.<id>.variables.NAME = {value}` or `null`, `services.<id>.source`,
//! `sharedVariables.NAME`), staged with `environmentStageChanges(merge: true)` and committed once
//! with `environmentPatchCommitStaged(skipDeploys: true)`: the environment changes all at once or
//! not at all, and nothing deploys before railform's own deploys at the end.
//!
//! An environment that already holds staged changes is refused unless every staged entry is
//! one this patch writes too (what an apply interrupted between its stage and its commit left):
//! railform never commits over a person's pending work.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::values::ValueSources;
use crate::plan::{Change, Operation, PatchEntry, SecretSource, WireValue};
use crate::railway::{ApiError, Client};

/// The patch of one environment, built from its changes.
pub struct EnvironmentPatch {
    pub environment_id: String,
    pub document: Value,
    /// Paths of the variables given a freshly generated secret: an earlier, interrupted apply
    /// staged another random value there, which is just as much railform's.
    generated: Vec<String>,
}

impl EnvironmentPatch {
    /// True when there is nothing left to write (every rewrite was already done by Railway).
    pub fn is_empty(&self) -> bool {
        self.document.as_object().is_none_or(Map::is_empty)
    }
}

/// The patch document as railform writes it; no `Debug`, since it holds secret values.
#[derive(Default, Serialize)]
struct Document {
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    services: BTreeMap<String, ServicePatch>,
    #[serde(rename = "sharedVariables", skip_serializing_if = "BTreeMap::is_empty")]
    shared_variables: BTreeMap<String, Option<VariableEntry>>,
}

#[derive(Default, Serialize)]
struct ServicePatch {
    /// `None` (`null` on the wire) deletes the variable.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    variables: BTreeMap<String, Option<VariableEntry>>,
    /// `source`, `build`, `deploy`, `networking`, `volumeMounts`: settings at their paths.
    #[serde(flatten)]
    settings: Map<String, Value>,
}

impl ServicePatch {
    /// Sets `value` at `path` (`["deploy", "startCommand"]`), making the maps on the way.
    fn set(&mut self, path: &[String], value: Value) {
        let Some((last, parents)) = path.split_last() else { return };
        let mut map = &mut self.settings;
        for key in parents {
            let entry = map.entry(key.clone()).or_insert_with(|| Value::Object(Map::new()));
            if !entry.is_object() {
                *entry = Value::Object(Map::new());
            }
            let Value::Object(inner) = entry else { return };
            map = inner;
        }
        map.insert(last.clone(), value);
    }
}

#[derive(Serialize)]
struct VariableEntry {
    value: String,
}

impl Document {
    fn variables(&mut self, service_id: Option<&str>) -> &mut BTreeMap<String, Option<VariableEntry>> {
        match service_id {
            Some(id) => &mut self.services.entry(id.to_string()).or_default().variables,
            None => &mut self.shared_variables,
        }
    }
}

/// Builds the patch of `changes` (all [`Operation::Patch`] of one environment). `ids` turns
/// plan ids into live ones; `live_config` is the environment's config, needed only when a
/// change rewrites a live value (`None` otherwise).
pub fn build(
    environment_id: &str,
    changes: &[&Change],
    ids: &dyn Fn(&crate::plan::Id) -> anyhow::Result<String>,
    values: &ValueSources<'_>,
    live_config: Option<&Value>,
) -> anyhow::Result<EnvironmentPatch> {
    let mut document = Document::default();
    let mut generated = Vec::new();
    for change in changes {
        let Operation::Patch { service, entry, .. } = &change.operation else {
            anyhow::bail!("{} is not a change of the environment's config", change.address);
        };
        let service_id = service.as_ref().map(ids).transpose()?;
        match entry {
            PatchEntry::Variable { name, value } => {
                let current = live_config.and_then(|config| live_variable(config, service_id.as_deref(), name));
                let resolved = values
                    .resolve(name, value, current)
                    .map_err(|error| anyhow::Error::new(error).context(change.address.clone()))?;
                if let Some(secret) = resolved {
                    if matches!(value, WireValue::Secret(SecretSource::Generate { .. })) {
                        generated.push(match service_id.as_deref() {
                            Some(id) => format!("services.{id}.variables.{name}"),
                            None => format!("sharedVariables.{name}"),
                        });
                    }
                    let entry = VariableEntry { value: secret.expose().to_string() };
                    document.variables(service_id.as_deref()).insert(name.clone(), Some(entry));
                }
            }
            PatchEntry::DeleteVariable { name } => {
                document.variables(service_id.as_deref()).insert(name.clone(), None);
            }
            PatchEntry::Source { image, repo, branch } => {
                let Some(service_id) = service_id.as_deref() else {
                    anyhow::bail!("{}: a source belongs to a service", change.address);
                };
                let service = document.services.entry(service_id.to_string()).or_default();
                for (key, value) in [("image", image), ("repo", repo), ("branch", branch)] {
                    if let Some(value) = value {
                        service.set(&["source".to_string(), key.to_string()], Value::String(value.clone()));
                    }
                }
            }
            PatchEntry::VolumeBackups { volume, schedules } => {
                let Some(service_id) = service_id.as_deref() else {
                    anyhow::bail!("{}: a volume belongs to a service", change.address);
                };
                let path = ["volumeMounts".to_string(), ids(volume)?, "backupSchedules".to_string()];
                document.services.entry(service_id.to_string()).or_default().set(&path, serde_json::json!(schedules));
            }
            PatchEntry::RegistryCredentials { username, password } => {
                let Some(service_id) = service_id.as_deref() else {
                    anyhow::bail!("{}: registry credentials belong to a service", change.address);
                };
                let service = document.services.entry(service_id.to_string()).or_default();
                let path = |key: &str| ["deploy".to_string(), "registryCredentials".to_string(), key.to_string()];
                service.set(&path("username"), Value::String(username.clone()));
                if let Some(password) = password {
                    let secret = values
                        .resolve("registry_credentials.password", password, None)
                        .map_err(|error| anyhow::Error::new(error).context(change.address.clone()))?
                        .ok_or_else(|| anyhow::anyhow!("{}: no password to write", change.address))?;
                    service.set(&path("password"), Value::String(secret.expose().to_string()));
                }
            }
            PatchEntry::Setting { path, value } => {
                let Some(service_id) = service_id.as_deref() else {
                    anyhow::bail!("{}: a setting belongs to a service", change.address);
                };
                document.services.entry(service_id.to_string()).or_default().set(path, value.clone());
            }
        }
    }
    let document = serde_json::to_value(&document)?;
    Ok(EnvironmentPatch { environment_id: environment_id.to_string(), document, generated })
}

/// Whether a change rewrites a live value (and so needs the environment's config to build).
pub fn needs_live_values(change: &Change) -> bool {
    matches!(
        &change.operation,
        Operation::Patch { entry: PatchEntry::Variable { value: WireValue::Rewrite { .. }, .. }, .. }
    )
}

/// Refuses when the environment holds staged changes that `patch` does not write the same:
/// someone's pending work (what an interrupted apply left is part of its next patch).
pub async fn check_staged(client: &Client, patch: &EnvironmentPatch, environment: &str) -> anyhow::Result<()> {
    let staged = client.staged_changes(&patch.environment_id).await?;
    let mut foreign = foreign_entries(&staged, &patch.document, "");
    foreign.retain(|path| !patch.generated.contains(path));
    if !foreign.is_empty() {
        anyhow::bail!(
            "environment {environment} holds staged changes railform did not make ({}); nothing was changed. \
             Commit or discard them in Railway, then run apply again",
            foreign.join(", ")
        );
    }
    Ok(())
}

/// Stages and commits `patch`.
pub async fn commit(client: &Client, patch: &EnvironmentPatch, message: &str) -> anyhow::Result<()> {
    client.stage_changes(&patch.environment_id, patch.document.clone()).await?;
    match client.commit_staged(&patch.environment_id, message, true).await {
        Ok(()) => Ok(()),
        Err(lost @ ApiError::Ambiguous { .. }) => {
            // The answer was lost: the commit happened when nothing is staged any more.
            let staged = client.staged_changes(&patch.environment_id).await?;
            if staged.as_object().is_none_or(Map::is_empty) {
                Ok(())
            } else {
                Err(anyhow::Error::new(lost)
                    .context("the commit's answer was lost and the patch is still staged; run apply again"))
            }
        }
        Err(error) => Err(error.into()),
    }
}

/// Paths of `staged` whose value `ours` does not write the same (values are compared, never
/// shown). An entry whose value holds no further maps (a variable's `{value}`, a setting) is
/// one path.
fn foreign_entries(staged: &Value, ours: &Value, path: &str) -> Vec<String> {
    let Value::Object(entries) = staged else {
        return if staged == ours { Vec::new() } else { vec![path.to_string()] };
    };
    let is_entry = !path.is_empty() && !entries.values().any(Value::is_object);
    if is_entry {
        return if ours == staged { Vec::new() } else { vec![path.to_string()] };
    }
    entries
        .iter()
        .flat_map(|(key, value)| {
            let inner = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            match ours.get(key) {
                Some(theirs) => foreign_entries(value, theirs, &inner),
                None => foreign_entries(value, &Value::Bool(false), &inner),
            }
        })
        .collect()
}

/// The raw (unrendered) live value of a variable in an environment's config.
fn live_variable<'c>(config: &'c Value, service_id: Option<&str>, name: &str) -> Option<&'c str> {
    let variables = match service_id {
        Some(id) => config.get("services")?.get(id)?.get("variables")?,
        None => config.get("sharedVariables")?,
    };
    variables.get(name)?.get("value")?.as_str()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn only_entries_this_patch_writes_the_same_count_as_ours() {
        let ours = json!({"services": {"s1": {"variables": {"A": {"value": "1"}, "B": null}}}});
        assert!(foreign_entries(&json!({}), &ours, "").is_empty());
        assert!(
            foreign_entries(&json!({"services": {"s1": {"variables": {"A": {"value": "1"}}}}}), &ours, "").is_empty()
        );
        let theirs = json!({"services": {"s1": {"variables": {"A": {"value": "2"}, "C": {"value": "x"}}}}});
        assert_eq!(foreign_entries(&theirs, &ours, ""), ["services.s1.variables.A", "services.s1.variables.C"]);
        assert_eq!(
            foreign_entries(&json!({"sharedVariables": {"B": null, "F": {"value": "on"}}}), &ours, ""),
            ["sharedVariables.B", "sharedVariables.F"]
        );
    }
}
