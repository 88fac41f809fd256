//! Environment files → the validated desired state ([`model::Model`]).
//!
//! [`load`] runs the whole pipeline: find `*.toml` files under the given paths, parse each into a
//! located tree ([`tree`]), merge `extends` chains, expand templates and read typed values
//! ([`read`], [`templates`]), then check names, references and renames across every file
//! ([`check`]). Every problem found on the way is collected, so one run reports them all.

mod check;
pub mod model;
mod read;
pub mod secrets;
pub mod templates;
pub mod tree;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::diag::{Diagnostic, Diagnostics, Location, SourceFile};
use model::Model;
use tree::{Table, Value};

/// How deep an `extends` chain may go before it is treated as a mistake.
const MAX_EXTENDS_DEPTH: usize = 64;

/// Reads and validates every environment file under `paths`. Either the whole model is valid,
/// or every problem found is returned.
pub fn load(paths: &[PathBuf]) -> Result<Model, Diagnostics> {
    let mut loader = Loader::default();
    let files = loader.discover(paths);
    let mut environments = Vec::new();
    for path in files {
        // Only a file that itself sets `environment` is an environment file; others are bases.
        let Some((file, table)) = loader.environment_file(&path) else { continue };
        let Some(merged) = loader.resolve_extends(&path, table) else { continue };
        let mut reader = read::Reader { diagnostics: &mut loader.diagnostics };
        if let Some(environment) = reader.environment(&path, Location::new(&file, 0..0), merged) {
            environments.push(environment);
        }
    }
    if environments.is_empty() && loader.diagnostics.is_empty() {
        let named: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        loader.diagnostics.push(
            Diagnostic::error(format!("no environment file found in {}", named.join(", ")))
                .hint("an environment file is a .toml file that sets `environment = \"NAME\"`"),
        );
    }
    environments.sort_by(|a, b| (a.project.to_string(), &a.name).cmp(&(b.project.to_string(), &b.name)));
    let model = Model { environments };
    check::check(&model, &mut loader.diagnostics);
    if loader.diagnostics.is_empty() {
        Ok(model)
    } else {
        Err(Diagnostics(loader.diagnostics))
    }
}

/// State shared while loading: parsed files (each parsed and reported once) and diagnostics.
#[derive(Default)]
struct Loader {
    parsed: BTreeMap<PathBuf, Option<(Arc<SourceFile>, Table)>>,
    diagnostics: Vec<Diagnostic>,
}

impl Loader {
    /// Every `.toml` file named or found (recursively, sorted, hidden folders skipped).
    fn discover(&mut self, paths: &[PathBuf]) -> Vec<PathBuf> {
        let mut files = Vec::new();
        for path in paths {
            if path.is_dir() {
                collect_toml_files(path, &mut files);
            } else if path.exists() {
                files.push(path.clone());
            } else {
                self.diagnostics.push(
                    Diagnostic::error(format!("`{}` does not exist", path.display()))
                        .hint("name an environment file or a folder of them (default: environments/)"),
                );
            }
        }
        files.dedup();
        files
    }

    /// Reads and parses a file found under the given paths. An environment file is returned;
    /// a base (or a file that does not parse) is kept for `extends` instead, so it is parsed
    /// and reported once.
    fn environment_file(&mut self, path: &Path) -> Option<(Arc<SourceFile>, Table)> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        let parsed = match self.parsed.get(&key) {
            Some(cached) => cached.clone(),
            None => self.read_and_parse(path),
        };
        match parsed {
            Some((file, table)) if table.contains_key("environment") => Some((file, table)),
            other => {
                self.parsed.insert(key, other);
                None
            }
        }
    }

    /// Reads and parses a base file once; later calls return the cached tree.
    fn parse(&mut self, path: &Path) -> Option<(Arc<SourceFile>, Table)> {
        let key = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        if let Some(cached) = self.parsed.get(&key) {
            return cached.clone();
        }
        let parsed = self.read_and_parse(path);
        self.parsed.insert(key, parsed.clone());
        parsed
    }

    fn read_and_parse(&mut self, path: &Path) -> Option<(Arc<SourceFile>, Table)> {
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(format!("cannot read `{}`: {error}", path.display()))
                        .hint("check the path and its permissions"),
                );
                return None;
            }
        };
        let text = match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
                let file = SourceFile::new(path, lossy);
                let offset = String::from_utf8_lossy(&error.as_bytes()[..valid]).len();
                self.diagnostics.push(
                    Diagnostic::error("the file is not valid UTF-8")
                        .at(Location::new(&file, offset..offset + 1))
                        .label("invalid byte")
                        .hint("TOML files must be UTF-8: re-save the file as UTF-8"),
                );
                return None;
            }
        };
        let file = SourceFile::new(path, text);
        match tree::parse(&file) {
            Ok(table) => Some((file, table)),
            Err(diagnostics) => {
                self.diagnostics.extend(diagnostics);
                None
            }
        }
    }

    /// Merges the `extends` chain under `table`: the furthest base first, each child over it.
    fn resolve_extends(&mut self, path: &Path, table: Table) -> Option<Table> {
        let mut chain = vec![(path.to_path_buf(), table)];
        let mut seen = vec![std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf())];
        while let Some((current_path, current_table)) = chain.last() {
            let Some(entry) = current_table.get("extends") else { break };
            let Value::String(target) = &entry.node.value else {
                self.diagnostics.push(
                    Diagnostic::error(format!("`extends` must be a string, not {}", entry.node.value.kind()))
                        .at(entry.node.at.clone())
                        .hint("write `extends = \"base.toml\"` (a path relative to this file)"),
                );
                return None;
            };
            let base_path = current_path.parent().unwrap_or(Path::new(".")).join(target);
            let at = entry.node.at.clone();
            if !base_path.is_file() {
                self.diagnostics.push(
                    Diagnostic::error(format!("`extends` names `{}`, which does not exist", base_path.display()))
                        .at(at)
                        .label("no such file")
                        .hint("the path is relative to the file that says `extends`"),
                );
                return None;
            }
            let canonical = std::fs::canonicalize(&base_path).unwrap_or_else(|_| base_path.clone());
            if seen.contains(&canonical) {
                let cycle: Vec<String> = chain
                    .iter()
                    .map(|(p, _)| p.display().to_string())
                    .chain(std::iter::once(base_path.display().to_string()))
                    .collect();
                self.diagnostics.push(
                    Diagnostic::error(format!("`extends` cycle: {}", cycle.join(" → ")))
                        .at(at)
                        .label("extends a file that extends this one")
                        .hint("a base file must not extend, directly or not, a file that extends it"),
                );
                return None;
            }
            if chain.len() >= MAX_EXTENDS_DEPTH {
                self.diagnostics.push(
                    Diagnostic::error(format!("`extends` chain is deeper than {MAX_EXTENDS_DEPTH} files"))
                        .at(at)
                        .hint("flatten the chain: a base can hold everything its own bases hold"),
                );
                return None;
            }
            seen.push(canonical);
            let (_, base_table) = self.parse(&base_path)?;
            chain.push((base_path, base_table));
        }
        let mut merged = Table::new();
        for (_, mut table) in chain.into_iter().rev() {
            table.remove("extends");
            tree::merge(&mut merged, table);
        }
        Some(merged)
    }
}

fn collect_toml_files(folder: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(folder) else { return };
    let mut paths: Vec<PathBuf> = entries.flatten().map(|entry| entry.path()).collect();
    paths.sort();
    for path in paths {
        let hidden = path.file_name().is_some_and(|name| name.to_string_lossy().starts_with('.'));
        if hidden {
            continue;
        }
        if path.is_dir() {
            collect_toml_files(&path, files);
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
}
