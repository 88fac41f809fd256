//! `migrate`: find the railway.toml / railway.json files of a folder, read the live project
//! when one is named (the same read as a plan), migrate them into the environment files of
//! the output folder, write those atomically, and check the result as `validate` would.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::files::write_atomic;
use super::session::Session;
use super::{OpError, OpResult};
use crate::diag::{printable, SourceFile};
use crate::migrate::services::{self, Clues};
use crate::migrate::write::Existing;
use crate::migrate::{self, discover, Migration, Options, Source};
use crate::state::LiveProject;

/// What `migrate` was asked.
#[derive(Debug, Clone, Default)]
pub struct MigrateSettings {
    /// The repository (or the part of it) to search.
    pub dir: PathBuf,
    /// The folder of environment files to write into.
    pub output: PathBuf,
    /// The Railway project (name or id): read live when given.
    pub project: Option<String>,
    /// `--environment`: the environments to write files for.
    pub environments: Vec<String>,
    /// `--service DIR=NAME` pins.
    pub services: Vec<String>,
    /// `--preview-base`: the environment the preview file extends.
    pub preview_base: Option<String>,
    /// Show what would be written, write nothing.
    pub dry_run: bool,
}

/// What `migrate` did.
#[derive(Debug)]
pub struct Migrated {
    pub migration: Migration,
    /// The config files migrated, relative to the folder searched.
    pub sources: Vec<String>,
    /// The files written (none with `--dry-run`), as paths.
    pub written: Vec<PathBuf>,
    pub output: PathBuf,
    pub project: String,
    /// True when the live project was read.
    pub live: bool,
    /// What the user should know (a config file a service names that is not there…).
    pub notes: Vec<String>,
}

/// Migrates as `settings` say; `session` is there when a project is named.
pub async fn run(session: Option<&Session>, settings: &MigrateSettings) -> OpResult<Migrated> {
    let live = match (session, &settings.project) {
        (Some(session), Some(project)) => Some(
            crate::import::read_project(&session.client, project)
                .await
                .with_context(|| format!("reading project {project} from Railway"))?
                .with_context(|| format!("no Railway project has the id or the name {project:?}"))?,
        ),
        _ => None,
    };
    let pins = services::pins(&settings.services).map_err(anyhow::Error::msg)?;
    let root_name = std::fs::canonicalize(&settings.dir)
        .with_context(|| format!("reading {}", settings.dir.display()))?
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "app".to_string());
    let existing = existing_files(&settings.output)?;
    let mut clues = Clues { pins, root_name: root_name.clone(), ..Clues::default() };
    clues.file_roots = file_roots(&existing);
    if let Some(project) = &live {
        live_clues(project, &mut clues);
    }

    let mut diagnostics = Vec::new();
    let mut paths = discover::find(&settings.dir, &mut diagnostics);
    let mut notes = Vec::new();
    for (path, services) in &clues.config_files {
        if paths.contains(path) {
            continue;
        }
        if discover::join(&settings.dir, path).is_file() {
            paths.push(path.clone());
        } else {
            let names: Vec<&str> = services.iter().map(String::as_str).collect();
            notes.push(format!(
                "{} set {path} as their config file, and {} has no such file: nothing migrated for them from it",
                printable(&names.join(", ")),
                settings.dir.display()
            ));
        }
    }
    paths.sort();
    if paths.is_empty() && diagnostics.is_empty() {
        return Err(anyhow::anyhow!(
            "no railway.toml or railway.json under {} (git-ignored and hidden folders are skipped)",
            settings.dir.display()
        )
        .into());
    }
    let mut sources = Vec::new();
    for path in &paths {
        let full = discover::join(&settings.dir, path);
        let text = std::fs::read_to_string(&full).with_context(|| format!("reading {}", full.display()))?;
        sources.push(Source { path: path.clone(), file: SourceFile::new(&shown(&settings.dir, path), text) });
    }
    if !diagnostics.is_empty() {
        return Err(OpError::Invalid(diagnostics));
    }

    let (environments, environments_from) = match (&live, settings.environments.is_empty()) {
        (_, false) => (settings.environments.clone(), Some("--environment".to_string())),
        (Some(project), true) => (
            project.environments.iter().map(|e| e.name.clone()).collect(),
            Some(format!("the environments of project {}", project.name)),
        ),
        (None, true) => (Vec::new(), None),
    };
    let project = live.as_ref().map(|p| p.name.clone()).or_else(|| settings.project.clone()).unwrap_or(root_name);
    let options = Options {
        project: project.clone(),
        environments,
        environments_from,
        preview_base: settings.preview_base.clone(),
    };
    let migration = migrate::migrate(&sources, &clues, &existing, &options).map_err(OpError::Invalid)?;

    let mut written = Vec::new();
    if !settings.dry_run {
        for file in &migration.files {
            let path = settings.output.join(&file.name);
            write_atomic(&path, file.text.as_bytes())?;
            written.push(path);
        }
        // The result must pass `railform validate` (the preview file is `preview up`'s to read).
        let checked: Vec<PathBuf> = migration
            .environment_files
            .iter()
            .filter(|(environment, _)| environment.as_str() != "pr")
            .map(|(_, file)| settings.output.join(file))
            .collect();
        if let Err(found) = crate::config::load(&checked) {
            let mut all = found.0;
            all.push(
                crate::diag::Diagnostic::error(format!(
                    "the files were written to {}, but do not validate",
                    settings.output.display()
                ))
                .hint("fix what is listed above, then run `railform validate`"),
            );
            return Err(OpError::Invalid(all));
        }
    }
    Ok(Migrated {
        migration,
        sources: paths,
        written,
        output: settings.output.clone(),
        project,
        live: live.is_some(),
        notes,
    })
}

/// `relative` as the user would type it from where railform runs.
fn shown(dir: &Path, relative: &str) -> PathBuf {
    if dir == Path::new(".") || dir.as_os_str().is_empty() {
        PathBuf::from(relative)
    } else {
        discover::join(dir, relative)
    }
}

/// The top-level `*.toml` files of the output folder (none when it does not exist yet).
fn existing_files(output: &Path) -> anyhow::Result<Vec<Existing>> {
    let entries = match std::fs::read_dir(output) {
        Ok(entries) => entries,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(error).with_context(|| format!("reading {}", output.display())),
    };
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.with_context(|| format!("reading {}", output.display()))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.ends_with(".toml") || !entry.file_type().is_ok_and(|kind| kind.is_file()) {
            continue;
        }
        let text =
            std::fs::read_to_string(entry.path()).with_context(|| format!("reading {}", entry.path().display()))?;
        files.push(Existing { name, text });
    }
    files.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(files)
}

/// `root_directory` of each service the files already there declare.
fn file_roots(existing: &[Existing]) -> BTreeMap<String, std::collections::BTreeSet<String>> {
    let mut roots: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    for file in existing {
        let Ok(table) = file.text.parse::<toml::Table>() else { continue };
        let Some(services) = table.get("services").and_then(toml::Value::as_table) else { continue };
        for (name, service) in services {
            if let Some(root) =
                service.get("root_directory").and_then(toml::Value::as_str).and_then(discover::normalize)
            {
                roots.entry(root).or_default().insert(name.clone());
            }
        }
    }
    roots
}

/// Each live instance's `configFile` and root directory, by service name.
fn live_clues(project: &LiveProject, clues: &mut Clues) {
    for environment in &project.environments {
        for (service_id, instance) in &environment.instances {
            let Some(service) = project.service(service_id) else { continue };
            let settings = &instance.settings;
            if let Some(path) = settings.get("configFile").and_then(|v| v.as_str()).and_then(discover::normalize) {
                if !path.is_empty() {
                    clues.config_files.entry(path).or_default().insert(service.name.clone());
                }
            }
            let root = settings.get("source").and_then(|s| s.get("rootDirectory")).and_then(|v| v.as_str());
            if let Some(root) = root.and_then(discover::normalize) {
                clues.live_roots.entry(root).or_default().insert(service.name.clone());
            }
        }
    }
}
