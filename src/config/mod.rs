//! Environment files → the validated desired state ([`model::Model`]).
//!
//! [`load`] runs the whole pipeline: find `*.toml` files under the given paths (only inside the
//! configuration root, see [`files`]), parse each into a
//! located tree ([`tree`]), merge `extends` chains, expand templates and read typed values
//! ([`read`], [`templates`]), then check names, references and renames across every file
//! ([`check`]). Every problem found on the way is collected, so one run reports them all.

mod check;
pub mod cron;
pub mod edit;
pub mod files;
pub mod model;
pub mod names;
mod read;
pub mod schema;
pub mod secrets;
pub mod settings;
pub mod templates;
pub mod tree;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use crate::diag::{printable, Diagnostic, Diagnostics, Location, SourceFile};
use files::Found;
use model::Model;
use tree::{Table, Value};

/// Reads the §2.1 settings of service `name` from `table`, a service table in railform's names
/// whose values keep where they were first written (`migrate` builds one from a railway.toml,
/// so every mistake points at that file's line). Every problem is returned.
pub fn read_service_settings(name: &str, table: &Table) -> Result<settings::Settings, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let settings = read::service_settings(name, table, &mut diagnostics);
    if diagnostics.is_empty() {
        Ok(settings)
    } else {
        Err(diagnostics)
    }
}

/// How deep an `extends` chain may go before it is treated as a mistake.
const MAX_EXTENDS_DEPTH: usize = 64;

/// Reads and validates every environment file under `paths`. Either the whole model is valid,
/// or every problem found is returned (each once, even when found in a base that several
/// environments extend).
pub fn load(paths: &[PathBuf]) -> Result<Model, Diagnostics> {
    load_with(paths, None)
}

/// Like [`load`], with the preview file's environment named `preview_name` (`preview up
/// NAME`: its templates render with that name) instead of a placeholder.
pub fn load_with(paths: &[PathBuf], preview_name: Option<&str>) -> Result<Model, Diagnostics> {
    let mut loader = Loader::default();
    let files = files::discover(paths, &mut loader.diagnostics);
    let mut environments = Vec::new();
    let mut previews = Vec::new();
    for found in files {
        // Only a file that itself sets `environment` is an environment file; others are bases.
        let Some((file, table)) = loader.environment_file(&found) else { continue };
        // Which environment a file is belongs to that file alone: never merged from a base.
        let own_environment = table.get("environment").cloned();
        let Some((mut merged, base)) = loader.resolve_extends(&found, table) else { continue };
        if let Some(own) = own_environment {
            merged.insert("environment".to_string(), own);
        }
        let naming = read::PreviewNaming { name: preview_name, base };
        let mut reader = read::Reader {
            diagnostics: &mut loader.diagnostics,
            root: &found.root.shown,
            image_from_env: read::ImageFromEnv::default(),
        };
        if let Some(environment) = reader.environment(&found.path, Location::new(&file, 0..0), merged, &naming) {
            match environment.preview {
                Some(_) => previews.push(environment),
                None => environments.push(environment),
            }
        }
    }
    if environments.is_empty() && previews.is_empty() && loader.diagnostics.is_empty() {
        let named: Vec<String> = paths.iter().map(|p| printable(&p.display().to_string()).into_owned()).collect();
        loader.diagnostics.push(
            Diagnostic::error(format!("no environment file found in {}", named.join(", ")))
                .hint("an environment file is a .toml file that sets `environment = \"NAME\"`"),
        );
    }
    environments.sort_by(|a, b| (a.project.to_string(), &a.name).cmp(&(b.project.to_string(), &b.name)));
    previews.sort_by(|a, b| (a.project.to_string(), &a.file).cmp(&(b.project.to_string(), &b.file)));
    let model = Model { environments, previews };
    check::check(&model, &mut loader.diagnostics);
    let mut diagnostics = Diagnostics(loader.diagnostics);
    diagnostics.dedup();
    if diagnostics.is_empty() {
        Ok(model)
    } else {
        Err(diagnostics)
    }
}

/// State shared while loading: parsed files (each parsed and reported once, by real path) and
/// diagnostics.
#[derive(Default)]
struct Loader {
    parsed: BTreeMap<PathBuf, Option<(Arc<SourceFile>, Table)>>,
    diagnostics: Vec<Diagnostic>,
}

impl Loader {
    /// Reads and parses a file found under the given paths. An environment file is returned;
    /// a base (or a file that does not parse) is kept for `extends` instead, so it is parsed
    /// and reported once.
    fn environment_file(&mut self, found: &Found) -> Option<(Arc<SourceFile>, Table)> {
        let parsed = match self.parsed.get(&found.canonical) {
            Some(cached) => cached.clone(),
            None => self.read_and_parse(found),
        };
        match parsed {
            Some((file, table)) if table.contains_key("environment") => Some((file, table)),
            other => {
                self.parsed.insert(found.canonical.clone(), other);
                None
            }
        }
    }

    /// Reads and parses a base file once; later calls return the cached tree.
    fn parse(&mut self, found: &Found) -> Option<(Arc<SourceFile>, Table)> {
        if let Some(cached) = self.parsed.get(&found.canonical) {
            return cached.clone();
        }
        let parsed = self.read_and_parse(found);
        self.parsed.insert(found.canonical.clone(), parsed.clone());
        parsed
    }

    fn read_and_parse(&mut self, found: &Found) -> Option<(Arc<SourceFile>, Table)> {
        let path = &found.path;
        let bytes = match files::read(found) {
            Ok(bytes) => bytes,
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::error(format!("cannot read `{}`: {error}", printable(&path.display().to_string())))
                        .hint("check the path and its permissions"),
                );
                return None;
            }
        };
        let file = match String::from_utf8(bytes) {
            Ok(text) => SourceFile::new(path, text),
            Err(error) => {
                let valid = error.utf8_error().valid_up_to();
                let lossy = String::from_utf8_lossy(error.as_bytes()).into_owned();
                let file = SourceFile::new(path, lossy);
                let offset = String::from_utf8_lossy(&error.as_bytes()[..valid]).len();
                tree::redact_strings(&file);
                self.diagnostics.push(
                    Diagnostic::error("the file is not valid UTF-8")
                        .at(Location::new(&file, offset..offset + 1))
                        .label("invalid byte")
                        .hint("TOML files must be UTF-8: re-save the file as UTF-8"),
                );
                return None;
            }
        };
        match tree::parse(&file) {
            Ok(table) => Some((file, table)),
            Err(diagnostics) => {
                self.diagnostics.extend(diagnostics);
                None
            }
        }
    }

    /// Merges the `extends` chain under `table`: the furthest base first, each child over it.
    /// Also returns the environment of the nearest environment file the chain extends.
    fn resolve_extends(&mut self, found: &Found, table: Table) -> Option<(Table, Option<String>)> {
        let mut chain = vec![(found.clone(), table)];
        while let Some((current, current_table)) = chain.last() {
            let Some(entry) = current_table.get("extends") else { break };
            let Value::String(target) = &entry.node.value else {
                self.diagnostics.push(
                    Diagnostic::error(format!("`extends` must be a string, not {}", entry.node.value.kind()))
                        .at(entry.node.at.clone())
                        .hint("write `extends = \"base.toml\"` (a path relative to this file)"),
                );
                return None;
            };
            let at = entry.node.at.clone();
            let base = match files::extends(current, target) {
                Ok(base) => base,
                Err(diagnostic) => {
                    self.diagnostics.push(diagnostic.at(at));
                    return None;
                }
            };
            if chain.iter().any(|(link, _)| link.canonical == base.canonical) {
                let cycle: Vec<String> = chain
                    .iter()
                    .map(|(link, _)| link.path.display().to_string())
                    .chain(std::iter::once(base.path.display().to_string()))
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
            let (_, base_table) = self.parse(&base)?;
            chain.push((base, base_table));
        }
        let base = chain.iter().skip(1).find_map(|(_, table)| environment_name(table));
        let mut merged = Table::new();
        for (_, mut table) in chain.into_iter().rev() {
            table.remove("extends");
            tree::merge(&mut merged, table);
        }
        Some((merged, base))
    }
}

/// The environment a file names, when it names one (`environment = "staging"` or
/// `[environment] name = "staging"`).
fn environment_name(table: &Table) -> Option<String> {
    match &table.get("environment")?.node.value {
        Value::String(name) => Some(name.clone()),
        Value::Table(environment) => match &environment.get("name")?.node.value {
            Value::String(name) => Some(name.clone()),
            _ => None,
        },
        _ => None,
    }
}
