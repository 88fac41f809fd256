//! The environment files a migration writes into, edited with `toml_edit` (see
//! [`crate::config::edit`]) so that files already in `--output` keep their comments and order:
//! a base file every environment extends, one file per environment, and the preview file.
//! Only the folder's top-level `*.toml` files are looked at.

use std::collections::BTreeMap;

use toml_edit::{DocumentMut, InlineTable, Item, Value as TomlValue};

use super::fields::Assignment;
use crate::config::edit::{self, Edit};
use crate::config::tree::{Node, Value};
use crate::diag::{printable, Diagnostic, Location, SourceFile};

/// A file of the output folder as it is before the migration.
#[derive(Debug, Clone)]
pub struct Existing {
    /// Its name in the folder (`staging.toml`).
    pub name: String,
    pub text: String,
}

/// What a file of the output folder is.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Role {
    Base,
    Environment(String),
    Preview,
}

struct File {
    document: DocumentMut,
    created: bool,
    role: Role,
    /// The file it extends (a name in the folder), if any.
    extends: Option<String>,
    changed: bool,
}

/// The files of the output folder, by name.
pub struct Layout {
    files: BTreeMap<String, File>,
    base: String,
}

/// A file to write.
#[derive(Debug, Clone)]
pub struct Written {
    pub name: String,
    pub text: String,
    pub created: bool,
}

const BASE_HEADER: &str = "# Written by `railform migrate`: the settings every environment shares, from the\n\
# railway.toml / railway.json files Railway stopped reading on 2026-12-01.\n\n";

impl Layout {
    /// Reads the files already in the folder. `project` names the project in a new base file.
    pub fn new(existing: &[Existing], project: &str, diagnostics: &mut Vec<Diagnostic>) -> Layout {
        let mut files = BTreeMap::new();
        for file in existing {
            let document: DocumentMut = match file.text.parse() {
                Ok(document) => document,
                Err(error) => {
                    let source = SourceFile::new(std::path::Path::new(&file.name), file.text.clone());
                    let span = error.span().unwrap_or(0..0);
                    diagnostics.push(
                        Diagnostic::error(format!("TOML syntax error: {}", error.message()))
                            .at(Location::new(&source, span))
                            .label("here")
                            .hint("fix the file before migrating into it"),
                    );
                    continue;
                }
            };
            let role = match document.get("environment") {
                None => Role::Base,
                Some(item) if item.get("preview").and_then(Item::as_bool) == Some(true) => Role::Preview,
                Some(item) => match item.as_str().or_else(|| item.get("name").and_then(Item::as_str)) {
                    Some(name) => Role::Environment(name.to_string()),
                    None => Role::Base,
                },
            };
            let extends =
                document.get("extends").and_then(Item::as_str).map(|e| e.trim_start_matches("./").to_string());
            files.insert(file.name.clone(), File { document, created: false, role, extends, changed: false });
        }
        // The base: the one file without `environment` that environment files extend, else a new base.toml.
        let extended: Vec<&String> = files
            .iter()
            .filter(|(_, file)| file.role == Role::Base)
            .map(|(name, _)| name)
            .filter(|name| files.values().any(|file| file.extends.as_ref() == Some(*name)))
            .collect();
        let base = match extended.as_slice() {
            [only] => (*only).clone(),
            _ => "base.toml".to_string(),
        };
        if !files.contains_key(&base) {
            // Written only once a file extends it or a value is set in it.
            let text = format!("{BASE_HEADER}project = {}\n", TomlValue::from(project));
            let document = text.parse().unwrap_or_default();
            files.insert(
                base.clone(),
                File { document, created: true, role: Role::Base, extends: None, changed: false },
            );
        }
        Layout { files, base }
    }

    /// The file of environment `name`, created (extending the base) when there is none.
    pub fn environment(&mut self, name: &str) -> String {
        if let Some((file, _)) = self.files.iter().find(|(_, file)| file.role == Role::Environment(name.to_string())) {
            return file.clone();
        }
        let file = self.free_name(name);
        let header = format!(
            "# Written by `railform migrate`: environment {} (the base settings, and the\n\
             # `environments.{name}` blocks of railway.toml / railway.json).\n\n",
            TomlValue::from(name)
        );
        let text = format!(
            "{header}extends = {}\nenvironment = {}\n",
            TomlValue::from(self.base.as_str()),
            TomlValue::from(name)
        );
        self.create(&file, &text, Role::Environment(name.to_string()), Some(self.base.clone()));
        file
    }

    /// The preview file, created when there is none, extending `extends` (a file's name).
    pub fn preview(&mut self, extends: &str) -> String {
        if let Some((file, _)) = self.files.iter().find(|(_, file)| file.role == Role::Preview) {
            return file.clone();
        }
        let file = self.free_name("preview");
        let text = format!(
            "# Written by `railform migrate`: pull-request environments (the `environments.pr` blocks of\n\
             # railway.toml / railway.json). `railform preview up NAME` applies it to an ephemeral environment.\n\n\
             extends = {}\nenvironment = {{ preview = true }}\n",
            TomlValue::from(extends)
        );
        self.create(&file, &text, Role::Preview, Some(extends.to_string()));
        file
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    /// True when `file` extends the base, directly or through other files of the folder.
    pub fn reaches_base(&self, file: &str) -> bool {
        let mut current = file.to_string();
        for _ in 0..self.files.len() {
            if current == self.base {
                return true;
            }
            match self.files.get(&current).and_then(|f| f.extends.clone()) {
                Some(next) => current = next,
                None => return false,
            }
        }
        false
    }

    /// Sets `assignment` on service `service` in `file`.
    pub fn set(
        &mut self,
        file: &str,
        service: &str,
        assignment: &Assignment,
        source: &str,
    ) -> Result<Edit, Diagnostic> {
        let state = self.files.get_mut(file).expect("a file of the layout");
        let root = state.document.as_table_mut();
        let had_table = root
            .get("services")
            .and_then(|services| services.get(service))
            .and_then(|table| table.get(assignment.table))
            .is_some();
        let table = edit::table_at(root, &["services", service, assignment.table]).map_err(|taken| {
            Diagnostic::error(format!(
                "`{}` in {} is not a table: the migrated `{}` cannot go there",
                printable(&taken),
                printable(file),
                assignment.name()
            ))
            .at(assignment.at.clone())
            .hint(format!("make `{taken}` a table in {file}, or move it aside, and run migrate again"))
        })?;
        if !had_table {
            table.decor_mut().set_prefix(format!("\n# from {source}\n"));
        }
        let result = edit::set(table, &assignment.key, toml_value(&assignment.value));
        if result != Edit::Unchanged {
            state.changed = true;
        }
        Ok(result)
    }

    /// The files to write: every one created or changed.
    pub fn finish(self) -> Vec<Written> {
        self.files
            .into_iter()
            .filter(|(_, file)| file.changed)
            .map(|(name, file)| Written { name, text: file.document.to_string(), created: file.created })
            .collect()
    }

    fn create(&mut self, name: &str, text: &str, role: Role, extends: Option<String>) {
        if extends.as_deref() == Some(self.base.as_str()) {
            if let Some(base) = self.files.get_mut(&self.base) {
                base.changed |= base.created;
            }
        }
        let document = text.parse().unwrap_or_default();
        self.files.insert(name.to_string(), File { document, created: true, role, extends, changed: true });
    }

    /// `NAME.toml`, or `NAME-2.toml`… when a file of another role has that name.
    fn free_name(&self, name: &str) -> String {
        let stem: String =
            name.chars().map(|c| if c.is_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
        let mut file = format!("{stem}.toml");
        let mut n = 2;
        while self.files.contains_key(&file) {
            file = format!("{stem}-{n}.toml");
            n += 1;
        }
        file
    }
}

/// A located tree value as TOML: tables inline (`regions = { "us-west2" = 2 }`).
fn toml_value(node: &Node) -> TomlValue {
    match &node.value {
        Value::String(text) | Value::Datetime(text) => text.as_str().into(),
        Value::Integer(number) => (*number).into(),
        Value::Float(number) => (*number).into(),
        Value::Boolean(flag) => (*flag).into(),
        Value::Array(items) => TomlValue::Array(items.iter().map(toml_value).collect()),
        Value::Table(table) => {
            let mut inline = InlineTable::new();
            for (key, entry) in table {
                inline.insert(key, toml_value(&entry.node));
            }
            TomlValue::InlineTable(inline)
        }
    }
}

/// A value as the "what went where" table shows it.
pub fn shown(node: &Node) -> String {
    let mut value = toml_value(node);
    value.decor_mut().clear();
    value.to_string()
}
