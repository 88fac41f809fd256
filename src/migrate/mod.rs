//! `railform migrate`: every railway.toml / railway.json of a repository written into
//! environment files (SPEC §3), field by field, nothing dropped.
//!
//! [`discover`] finds the files, [`read`] parses them into located trees (TOML and JSON alike),
//! [`fields`] turns each into sections in railform's names (base, `environments.<name>`,
//! `environments.pr`), [`services`] says which service each file configures, and [`write`]
//! puts every value into the base, environment or preview file with `toml_edit`. [`migrate`]
//! is the pure step in the middle: sources and clues in, the files' new text and the table of
//! what went where out, or every problem found, each at its file and line.

pub mod discover;
pub mod fields;
pub mod read;
pub mod services;
pub mod write;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use crate::config::edit::Edit;
use crate::config::tree::{Node, Value};
use crate::diag::{Diagnostic, Diagnostics, Location, SourceFile};
use fields::{Assignment, Section, Target};
use services::{Clues, How};
use write::{Existing, Layout, Written};

/// One config file as read from disk.
#[derive(Debug, Clone)]
pub struct Source {
    /// Relative to the repository's folder, `/`-separated.
    pub path: String,
    pub file: Arc<SourceFile>,
}

/// What the migration is asked, besides the files.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// The project a new base file names.
    pub project: String,
    /// The environments to write files for: `--environment`, else the live project's, else
    /// `production` and every environment a file has a block for.
    pub environments: Vec<String>,
    /// Where the environment names come from, for messages (`--environment`, the live project).
    pub environments_from: Option<String>,
    /// The environment whose file the preview file extends (`--preview-base`); the base file
    /// when `None`.
    pub preview_base: Option<String>,
}

/// One field of a railway file, and where it went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// `apps/api/railway.toml:7`.
    pub source: String,
    /// The field as Railway names it (`environments.staging.deploy.startCommand`).
    pub field: String,
    pub service: String,
    /// How the service was found.
    pub how: How,
    /// The environment file it went to (its name in the output folder).
    pub file: String,
    /// railform's key (`deploy.start_command`).
    pub key: String,
    pub value: String,
    pub status: Status,
}

/// What writing one field did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    Written(Edit),
    /// Not written to this file: the named field of the same environment takes its place.
    Overridden(String),
}

/// The result: files to write (created or changed) and the table of what went where.
#[derive(Debug, Clone)]
pub struct Migration {
    pub files: Vec<Written>,
    pub rows: Vec<Row>,
    /// The environment files written, by environment (the preview file as `pr`).
    pub environment_files: BTreeMap<String, String>,
}

/// One config file, read and assigned.
struct Read {
    source: Source,
    sections: Vec<Section>,
    services: Vec<String>,
    how: How,
}

/// Migrates `sources` into the files of the output folder (`existing`).
pub fn migrate(
    sources: &[Source],
    clues: &Clues,
    existing: &[Existing],
    options: &Options,
) -> Result<Migration, Vec<Diagnostic>> {
    let mut diagnostics = Vec::new();
    let mut reads = Vec::new();
    for source in sources {
        let (table, found) = read::parse(&source.file, read::Format::of(std::path::Path::new(&source.path)));
        diagnostics.extend(found);
        let start = Location::new(&source.file, 0..0);
        let mut sections = fields::sections(&table, start.clone(), &mut diagnostics);
        infer_builders(&mut sections);
        match services::assign(&source.path, &start, clues) {
            Ok((services, how)) => reads.push(Read { source: source.clone(), sections, services, how }),
            Err(diagnostic) => diagnostics.push(diagnostic),
        }
    }
    check_pairs(&reads, clues, &mut diagnostics);
    check_one_file_per_service(&reads, &mut diagnostics);
    let environments = environments(&reads, options, &mut diagnostics);
    if let Some(base) = options.preview_base.as_ref().filter(|base| !environments.contains(base)) {
        diagnostics.push(
            Diagnostic::error(format!("--preview-base {base}: no such environment among {}", environments.join(", ")))
                .hint("name the environment pull-request environments are based on"),
        );
    }
    for read in &reads {
        for service in &read.services {
            check_settings(read, service, &environments, &mut diagnostics);
        }
    }
    let mut layout = Layout::new(existing, &options.project, &mut diagnostics);
    if !diagnostics.is_empty() {
        let mut all = Diagnostics(diagnostics);
        all.dedup();
        return Err(all.0);
    }

    let mut environment_files = BTreeMap::new();
    for name in &environments {
        environment_files.insert(name.clone(), layout.environment(name));
    }
    let wants_preview = reads.iter().any(|r| r.sections.iter().any(|s| s.target == Target::Preview));
    if wants_preview {
        let extends = match &options.preview_base {
            Some(environment) => {
                environment_files.get(environment).cloned().unwrap_or_else(|| layout.environment(environment))
            }
            None => layout.base().to_string(),
        };
        environment_files.insert("pr".to_string(), layout.preview(&extends));
    }

    let mut rows = Vec::new();
    let base = layout.base().to_string();
    let base_used = environment_files.values().any(|file| layout.reaches_base(file));
    for read in &reads {
        for service in &read.services {
            let mut writer =
                Writer { layout: &mut layout, rows: &mut rows, read, service, diagnostics: &mut diagnostics };
            for section in &read.sections {
                match &section.target {
                    Target::Base => {
                        if base_used {
                            writer.section(&base, section, &[]);
                        }
                        // Files that do not extend the base get its settings themselves.
                        for (environment, file) in &environment_files {
                            if writer.layout.reaches_base(file) {
                                continue;
                            }
                            let target = if environment == "pr" {
                                Target::Preview
                            } else {
                                Target::Environment(environment.clone())
                            };
                            let overrides: Vec<&Assignment> = read
                                .sections
                                .iter()
                                .filter(|s| s.target == target)
                                .flat_map(|s| &s.assignments)
                                .collect();
                            writer.section(file, section, &overrides);
                        }
                    }
                    Target::Environment(name) => {
                        let file = environment_files[name].clone();
                        writer.section(&file, section, &[]);
                    }
                    Target::Preview => {
                        let file = environment_files["pr"].clone();
                        writer.section(&file, section, &[]);
                    }
                }
            }
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics);
    }
    Ok(Migration { files: layout.finish(), rows, environment_files })
}

struct Writer<'a> {
    layout: &'a mut Layout,
    rows: &'a mut Vec<Row>,
    read: &'a Read,
    service: &'a str,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Writer<'_> {
    /// Writes `section` into `file`, but the assignments `overrides` replaces.
    fn section(&mut self, file: &str, section: &Section, overrides: &[&Assignment]) {
        for assignment in &section.assignments {
            let (line, _) = assignment.at.line_col();
            let source = format!("{}:{line}", self.read.source.path);
            let status = match overrides.iter().find(|o| o.table == assignment.table && o.key == assignment.key) {
                Some(winner) => Status::Overridden(winner.field.clone()),
                None => match self.layout.set(file, self.service, assignment, &self.read.source.path) {
                    Ok(edit) => Status::Written(edit),
                    Err(diagnostic) => {
                        self.diagnostics.push(diagnostic);
                        continue;
                    }
                },
            };
            self.rows.push(Row {
                source,
                field: assignment.field.clone(),
                service: self.service.to_string(),
                how: self.read.how,
                file: file.to_string(),
                key: assignment.name(),
                value: write::shown(&assignment.value),
                status,
            });
        }
    }
}

/// A `dockerfilePath` with no builder anywhere for that environment: Railway builds with that
/// Dockerfile, which railform says with `builder = "dockerfile"` (written beside the path).
fn infer_builders(sections: &mut [Section]) {
    let has = |section: &Section, key: &str| section.assignments.iter().any(|a| a.table == "build" && a.key == key);
    let base_builder = sections.first().is_some_and(|base| has(base, "builder"));
    for section in sections.iter_mut() {
        let inherited = section.target != Target::Base && base_builder;
        if has(section, "dockerfile_path") && !has(section, "builder") && !inherited {
            let path = section.assignments.iter().find(|a| a.table == "build" && a.key == "dockerfile_path");
            if let Some(path) = path.cloned() {
                section.assignments.push(Assignment {
                    table: "build",
                    key: "builder".into(),
                    value: Node { value: Value::String("dockerfile".into()), at: path.value.at.clone() },
                    field: format!("{} (builds with that Dockerfile)", path.field),
                    at: path.at,
                });
            }
        }
    }
}

/// A railway.toml and a railway.json in one folder: Railway reads only the TOML, unless a
/// service's config file names the JSON.
fn check_pairs(reads: &[Read], clues: &Clues, diagnostics: &mut Vec<Diagnostic>) {
    let mut by_folder: BTreeMap<&str, Vec<&Read>> = BTreeMap::new();
    for read in reads {
        by_folder.entry(discover::folder(&read.source.path)).or_default().push(read);
    }
    for pair in by_folder.values().filter(|files| files.len() > 1) {
        let claimed = pair.iter().any(|read| clues.config_files.contains_key(&read.source.path));
        let pinned = pair.iter().any(|read| read.how == How::Pinned && clues.pins.contains_key(&read.source.path));
        if claimed || pinned {
            continue;
        }
        let json = pair.iter().find(|read| read.source.path.ends_with(".json")).unwrap_or(&pair[0]);
        diagnostics.push(
            Diagnostic::error(format!(
                "`{}` sits beside `{}`: Railway reads the railway.toml and never this file",
                json.source.path,
                pair.iter()
                    .map(|r| r.source.path.as_str())
                    .find(|p| p.ends_with(".toml"))
                    .unwrap_or("another config file")
            ))
            .at(Location::new(&json.source.file, 0..0))
            .label("not read by Railway")
            .hint(format!(
                "delete the file Railway does not read, or pin each file to its service with --service {}=NAME",
                json.source.path
            )),
        );
    }
}

/// Two files configuring one service is an error naming both.
fn check_one_file_per_service(reads: &[Read], diagnostics: &mut Vec<Diagnostic>) {
    let mut seen: BTreeMap<&str, &Read> = BTreeMap::new();
    for read in reads {
        for service in &read.services {
            if let Some(first) = seen.insert(service, read) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}` and `{}` both configure service `{service}`",
                        first.source.path, read.source.path
                    ))
                    .at(Location::new(&read.source.file, 0..0))
                    .label(format!("service `{service}` ({})", read.how.describe()))
                    .note_at(Location::new(&first.source.file, 0..0), format!("({})", first.how.describe()))
                    .hint(format!(
                        "pin each to its own service: --service {}=NAME",
                        discover::folder(&read.source.path)
                    )),
                );
            }
        }
    }
}

/// The environments to write a file for; a block for one not among them is an error.
fn environments(reads: &[Read], options: &Options, diagnostics: &mut Vec<Diagnostic>) -> Vec<String> {
    let blocks = || {
        reads.iter().flat_map(|read| read.sections.iter()).filter_map(|section| match &section.target {
            Target::Environment(name) => Some((name, section)),
            _ => None,
        })
    };
    if options.environments.is_empty() {
        let mut names: BTreeSet<String> = BTreeSet::from(["production".to_string()]);
        names.extend(blocks().map(|(name, _)| name.clone()));
        return names.into_iter().collect();
    }
    let from = options.environments_from.as_deref().unwrap_or("--environment");
    for (name, section) in blocks() {
        if !options.environments.contains(name) {
            diagnostics.push(
                Diagnostic::error(format!(
                    "`environments.{name}` is for environment `{name}`, which is not among {from}: {}",
                    options.environments.join(", ")
                ))
                .at(section.at.clone())
                .label("no such environment")
                .hint(format!(
                    "rename the block to an environment of the project, or add --environment {name} to write its file"
                )),
            );
        }
    }
    options.environments.clone()
}

/// Checks what `service` gets in each environment (base and block merged, as Railway merges
/// them) with the same reader as environment files: every mistake points at the railway file.
fn check_settings(read: &Read, service: &str, environments: &[String], diagnostics: &mut Vec<Diagnostic>) {
    let base: Vec<&Assignment> =
        read.sections.iter().filter(|s| s.target == Target::Base).flat_map(|s| &s.assignments).collect();
    let mut targets: Vec<Target> = environments.iter().cloned().map(Target::Environment).collect();
    targets.push(Target::Preview);
    for target in targets {
        let mut merged = base.clone();
        merged.extend(read.sections.iter().filter(|s| s.target == target).flat_map(|s| &s.assignments));
        let table = fields::as_service_table(&merged);
        if let Err(found) = crate::config::read_service_settings(service, &table) {
            diagnostics.extend(found);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn source(path: &str, text: &str) -> Source {
        Source { path: path.into(), file: SourceFile::new(Path::new(path), text.into()) }
    }

    #[test]
    fn a_file_that_does_not_extend_the_base_gets_the_base_settings_and_its_block_wins() {
        let sources = [source(
            "apps/api/railway.toml",
            "[deploy]\nstartCommand = \"a\"\nhealthcheckPath = \"/h\"\n[environments.staging.deploy]\nstartCommand = \"b\"\n",
        )];
        let existing =
            [Existing { name: "staging.toml".into(), text: "project = \"p\"\nenvironment = \"staging\"\n".into() }];
        let options = Options { project: "p".into(), environments: vec!["staging".into()], ..Options::default() };
        let migration = migrate(&sources, &Clues::default(), &existing, &options).unwrap();
        let staging = migration.files.iter().find(|f| f.name == "staging.toml").unwrap();
        assert!(
            staging.text.contains("[services.api.deploy]\nhealthcheck_path = \"/h\"\nstart_command = \"b\""),
            "{}",
            staging.text
        );
        let overridden: Vec<&Row> =
            migration.rows.iter().filter(|r| matches!(r.status, Status::Overridden(_))).collect();
        assert_eq!(overridden.len(), 1);
        assert_eq!(overridden[0].status, Status::Overridden("environments.staging.deploy.startCommand".into()));
        assert!(migration.files.iter().all(|f| f.name != "base.toml"), "no file extends a base: none is written");

        let mut wrong = options.clone();
        wrong.preview_base = Some("qa".into());
        let errors = migrate(&sources, &Clues::default(), &existing, &wrong).unwrap_err();
        assert!(errors[0].message.contains("--preview-base qa"), "{:?}", errors[0].message);
    }
}
