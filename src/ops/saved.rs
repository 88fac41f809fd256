//! Saved plans (`plan --out FILE`, `apply --plan FILE`) are pinned expectations, as Railway's own
//! pinned plans are: `apply --plan` plans again from the files and the live state and goes on
//! only when the fresh plan equals the saved one exactly; it then carries out the fresh plan, so
//! no edit of a plan file can ever reach Railway. What a saved plan stores: the changes as shown
//! (sensitive values as `(sensitive)`), the operations with ids and non-sensitive values, and for
//! each value it must not hold (a secret from the environment, a sensitive literal, a live value
//! it rewrites, the files themselves) a digest keyed by the Railway token (see
//! [`crate::secret::PlanKey`]): a stolen plan lets nobody test guesses without that token.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::files::write_atomic;
use crate::plan::{Change, Operation, PatchEntry, Plan, SecretSource, WireValue, FORMAT_VERSION};
use crate::secret::PlanKey;

/// Writes `plan` to `path` (atomically).
pub fn save(plan: &Plan, path: &Path) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(plan).context("serialising the plan")?;
    write_atomic(path, json.as_bytes())
}

/// Reads a plan saved by `plan --out`.
pub fn load(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the saved plan {}", path.display()))?;
    let version: Option<u64> = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|value| value.get("format_version").and_then(serde_json::Value::as_u64));
    if let Some(version) = version.filter(|v| *v != u64::from(FORMAT_VERSION)) {
        anyhow::bail!(
            "{} has format_version {version}, this railform reads {FORMAT_VERSION}. Nothing was changed; make the \
             plan again with this railform",
            path.display()
        );
    }
    serde_json::from_str(&text).with_context(|| {
        format!("{} is not a plan saved by `railform plan --out`. Nothing was changed", path.display())
    })
}

/// A keyed digest of every regular file under `paths` (recursively; folders are walked once,
/// symbolic links are not followed): names and contents, in a stable order.
pub fn files_digest(paths: &[PathBuf], key: &PlanKey) -> anyhow::Result<String> {
    let mut files = Vec::new();
    let mut seen = Vec::new();
    for path in paths {
        collect(path, &mut files, &mut seen)?;
    }
    files.sort();
    files.dedup();
    let mut listing = String::new();
    for file in &files {
        let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
        listing.push_str(&format!("{}\0{}\0", file.display(), key.digest(&String::from_utf8_lossy(&bytes))));
    }
    Ok(key.digest(&listing))
}

fn collect(path: &Path, files: &mut Vec<PathBuf>, seen: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let metadata = std::fs::symlink_metadata(path).with_context(|| format!("reading {}", path.display()))?;
    if metadata.is_file() {
        files.push(std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf()));
    } else if metadata.is_dir() {
        let canonical = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if seen.contains(&canonical) {
            return Ok(());
        }
        seen.push(canonical);
        let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
            .with_context(|| format!("reading {}", path.display()))?
            .flatten()
            .map(|entry| entry.path())
            .collect();
        entries.sort();
        for entry in entries {
            collect(&entry, files, seen)?;
        }
    }
    Ok(())
}

/// Why a saved plan cannot be applied, in words: it is stale (what it was made against moved),
/// or it is not what railform plans now (it was edited). `None`: it may be applied.
pub fn refusal(saved: &Plan, current: &Plan) -> Option<String> {
    if let Some(why) = stale(saved, current).or_else(|| changed_secrets(saved, current)) {
        return Some(format!("it is stale: {why}"));
    }
    difference(saved, current).map(|why| format!("it is not what railform would do now: {why}"))
}

/// What moved since the plan was made, in words.
fn stale(saved: &Plan, current: &Plan) -> Option<String> {
    let (before, now) = (&saved.fingerprint, &current.fingerprint);
    if before.key_id != now.key_id {
        return Some(
            "it was made with another Railway token (its secrets cannot be checked): make the plan with the token \
             apply uses"
                .to_string(),
        );
    }
    let canonical = |paths: &[String]| -> Vec<PathBuf> {
        paths.iter().map(|p| std::fs::canonicalize(p).unwrap_or_else(|_| p.into())).collect()
    };
    if canonical(&before.paths) != canonical(&now.paths) {
        return Some("it was made from other environment files".to_string());
    }
    if before.files != now.files {
        return Some("the environment files (or their bases or templates) changed since".to_string());
    }
    if before.projects.len() != now.projects.len() {
        return Some("the files name other projects".to_string());
    }
    for (was, is) in before.projects.iter().zip(&now.projects) {
        if was.id != is.id {
            return Some(format!("project {} was created or replaced", is.name));
        }
        for environment in &was.environments {
            match is.environments.iter().find(|e| e.id == environment.id) {
                Some(found) if found.config_etag == environment.config_etag => {}
                Some(found) => {
                    return Some(format!("environment {} of project {} changed in Railway", found.name, is.name))
                }
                None => return Some(format!("environment {} of project {} is gone", environment.name, is.name)),
            }
        }
        if was.environments.len() != is.environments.len() {
            return Some(format!("environments were added to project {}", is.name));
        }
        if was.services != is.services {
            return Some(format!("services of project {} were created, renamed or deleted", is.name));
        }
    }
    None
}

/// The first way the saved plan differs from the fresh one, in words.
fn difference(saved: &Plan, current: &Plan) -> Option<String> {
    for (index, (was, is)) in saved.changes.iter().zip(&current.changes).enumerate() {
        if was != is {
            return Some(match () {
                () if was.about != is.about => {
                    format!("change {} ({}) is not what railform plans now ({})", index + 1, was.address, is.address)
                }
                () => format!(
                    "the operation of change {} ({}) is not what railform plans now: the plan file was edited",
                    index + 1,
                    was.address
                ),
            });
        }
    }
    if saved.changes.len() != current.changes.len() {
        return Some(format!("it has {} change(s), railform plans {} now", saved.changes.len(), current.changes.len()));
    }
    if saved.unmanaged.len() != current.unmanaged.len()
        || saved.unmanaged.iter().zip(&current.unmanaged).any(|(a, b)| a.address != b.address)
    {
        return Some("the live objects not in the files differ".to_string());
    }
    if saved.warnings != current.warnings || saved.summary != current.summary {
        return Some("its summary is not what railform plans now: the plan file was edited".to_string());
    }
    None
}

/// A secret from the environment whose value moved since the plan was made (the same change
/// is planned, with another digest).
fn changed_secrets(saved: &Plan, current: &Plan) -> Option<String> {
    saved
        .changes
        .iter()
        .zip(&current.changes)
        .find_map(|(was, is)| (was.about == is.about).then(|| changed_secret(was, is)).flatten())
        .map(|name| format!("the value of ${name} changed since the plan was made"))
}

/// The environment variable whose value differs between two otherwise equal changes.
fn changed_secret(was: &Change, is: &Change) -> Option<String> {
    let secret = |change: &Change| match &change.operation {
        Operation::Patch {
            entry: PatchEntry::Variable { value: WireValue::Secret(SecretSource::Env { name, digest }), .. },
            ..
        } => Some((name.clone(), digest.clone())),
        _ => None,
    };
    match (secret(was), secret(is)) {
        (Some((name, before)), Some((now, after))) if name == now && before != after => Some(name),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_of_a_tree_moves_with_any_file_and_survives_a_symlink_loop() {
        let folder = tempfile::tempdir().unwrap();
        let root = folder.path().to_path_buf();
        std::fs::write(root.join("dev.toml"), "environment = \"dev\"\n").unwrap();
        std::fs::create_dir(root.join("templates")).unwrap();
        std::fs::write(root.join("templates/x.toml.hbs"), "a").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink(&root, root.join("loop")).unwrap();
        let key = PlanKey::for_token(Some("t"));
        let first = files_digest(std::slice::from_ref(&root), &key).unwrap();
        assert_eq!(first, files_digest(std::slice::from_ref(&root), &key).unwrap());
        std::fs::write(root.join("templates/x.toml.hbs"), "b").unwrap();
        assert_ne!(first, files_digest(std::slice::from_ref(&root), &key).unwrap());
    }

    #[test]
    fn dns_that_propagated_since_the_plan_does_not_refuse_it_but_a_new_warning_does() {
        let saved = Plan::new(Vec::new(), Vec::new(), Vec::new(), crate::plan::Fingerprint::default());
        let mut current = saved.clone();
        current.dns.push(crate::plan::dns::WaitingDomain {
            environment: "prod".into(),
            service: "api".into(),
            domain: "api.acme.com".into(),
            records: Vec::new(),
        });
        assert_eq!(refusal(&saved, &current), None);
        current.warnings.push("prod/db: something new".into());
        assert!(refusal(&saved, &current).is_some());
    }
}
