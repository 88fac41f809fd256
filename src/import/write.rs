//! Printing an [`ImportedEnvironment`] as an environment file (SPEC §2) with `toml_edit`: keys in
//! a readable order, one `[services.NAME]` table per service, and a comment beside every value
//! import did not write.

use toml_edit::{DocumentMut, InlineTable, Item, Table, Value};

use super::{Blueprint, ImportedEnvironment, ImportedService, ImportedValue, PreserveReason};
use crate::config::edit::comment;
use crate::state::LiveSource;

/// Which file of a layout is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// One self-contained environment file.
    Standalone,
    /// A base (no `environment` key) holding what every environment of the project shares.
    Base,
    /// An environment file that extends the base at this path (relative to the file).
    Extends(String),
}

/// The text of a standalone environment file.
pub fn to_toml(imported: &ImportedEnvironment) -> String {
    to_toml_as(imported, &Layout::Standalone)
}

/// The text of one file of `layout`.
pub fn to_toml_as(imported: &ImportedEnvironment, layout: &Layout) -> String {
    let mut document = DocumentMut::new();
    let root = document.as_table_mut();
    let header = match layout {
        Layout::Base => format!(
            "# Imported from Railway by `railform import` (project {:?}): what every environment of the\n\
             # project shares. Environment files extend it; `project_id` and `id` pin the live objects.\n\
             # No secret value is written here: see the comments beside `preserve` and `from_env` values.\n\n",
            imported.project_name
        ),
        Layout::Standalone | Layout::Extends(_) => format!(
            "# Imported from Railway by `railform import` (project {:?}, environment {:?}).\n\
             # `project_id` and `id` pin the live project and services. No secret value is written here:\n\
             # see the comments beside `preserve` and `from_env` values.\n\n",
            imported.project_name, imported.environment
        ),
    };
    root.decor_mut().set_prefix(header);
    if let Layout::Extends(base) = layout {
        root.insert("extends", Item::Value(base.as_str().into()));
    } else {
        root.insert("project", Item::Value(imported.project_name.as_str().into()));
        root.insert("project_id", Item::Value(imported.project_id.as_str().into()));
    }
    if *layout != Layout::Base {
        root.insert("environment", Item::Value(imported.environment.as_str().into()));
    }
    if *layout == Layout::Standalone || !imported.shared.is_empty() {
        root.insert("shared", Item::Table(variables_table(&imported.shared)));
    }

    let mut services = Table::new();
    services.set_implicit(true);
    for (name, service) in &imported.services {
        services.insert(name, Item::Table(service_table(service)));
    }
    root.insert("services", Item::Table(services));
    document.to_string()
}

fn service_table(service: &ImportedService) -> Table {
    let mut table = Table::new();
    if let Some(id) = &service.id {
        table.insert("id", Item::Value(id.as_str().into()));
    }
    match &service.blueprint {
        None => {}
        Some(Blueprint::Template { name, version }) => {
            table.insert("template", Item::Value((*name).into()));
            comment(
                &mut table,
                "template",
                &format!("Railway's {name} template: only variables that differ from it are written"),
            );
            if let Some(version) = version {
                let mut params = InlineTable::new();
                params.insert("version", version.as_str().into());
                table.insert("params", Item::Value(Value::InlineTable(params)));
            }
        }
        Some(Blueprint::Explicit { source, volume_mount }) => {
            match source {
                Some(LiveSource::Image { image }) => {
                    table.insert("image", Item::Value(image.as_str().into()));
                }
                Some(LiveSource::Repo { repo, branch }) => {
                    table.insert("repo", Item::Value(repo.as_str().into()));
                    if let Some(branch) = branch {
                        table.insert("branch", Item::Value(branch.as_str().into()));
                    }
                }
                None => {}
            }
            if let Some(mount) = volume_mount {
                let mut volume = InlineTable::new();
                volume.insert("mount", mount.as_str().into());
                table.insert("volume", Item::Value(Value::InlineTable(volume)));
            }
        }
    }
    if !service.variables.is_empty() {
        table.insert("variables", Item::Table(variables_table(&service.variables)));
    }
    table
}

fn variables_table(variables: &std::collections::BTreeMap<String, ImportedValue>) -> Table {
    let mut table = Table::new();
    for (name, value) in variables {
        let (item, note) = variable(value);
        table.insert(name, item);
        if let Some(note) = note {
            comment(&mut table, name, &note);
        }
    }
    table
}

/// A variable's TOML value, and the comment that says why it is not written, if it is not.
fn variable(value: &ImportedValue) -> (Item, Option<String>) {
    match value {
        ImportedValue::Literal(text) => {
            // `$${{`: Railway's syntax that railform leaves alone (it refers to nothing here).
            let note = text.contains("$${{").then(|| {
                "`$${{…}}` is kept as Railway has it, unchecked: it refers to nothing in this environment or is \
                 not a reference"
                    .to_string()
            });
            (Item::Value(text.as_str().into()), note)
        }
        ImportedValue::Preserve(reason) => {
            let mut form = InlineTable::new();
            form.insert("preserve", true.into());
            let note = match reason {
                PreserveReason::Sealed => "sealed in Railway: value not managed".to_string(),
                PreserveReason::Credential(reason) => format!(
                    "kept in Railway, not written here ({}): value not managed (`import --secrets from-env` manages it)",
                    reason.describe()
                ),
            };
            (Item::Value(Value::InlineTable(form)), Some(note))
        }
        ImportedValue::FromEnv { env_var, reason } => {
            let mut form = InlineTable::new();
            form.insert("from_env", env_var.as_str().into());
            let note = format!(
                "import did not write this value ({}): set {env_var} to the live value before `railform plan`",
                reason.describe()
            );
            (Item::Value(Value::InlineTable(form)), Some(note))
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::import::credentials::CredentialReason;

    #[test]
    fn writes_a_readable_file_with_comments_beside_unwritten_values() {
        let imported = ImportedEnvironment {
            project_name: "platform".into(),
            project_id: "prj-1".into(),
            environment: "dev".into(),
            shared: BTreeMap::from([
                ("LOG_LEVEL".into(), ImportedValue::Literal("debug".into())),
                ("SEALED".into(), ImportedValue::Preserve(PreserveReason::Sealed)),
            ]),
            services: BTreeMap::from([
                (
                    "My DB".into(),
                    ImportedService {
                        id: Some("svc-db".into()),
                        blueprint: Some(Blueprint::Template { name: "postgres", version: Some("16".into()) }),
                        variables: BTreeMap::new(),
                    },
                ),
                (
                    "api".into(),
                    ImportedService {
                        id: Some("svc-api".into()),
                        blueprint: Some(Blueprint::Explicit {
                            source: Some(LiveSource::Repo { repo: "acme/api".into(), branch: Some("main".into()) }),
                            volume_mount: Some("/data".into()),
                        }),
                        variables: BTreeMap::from([
                            ("DATABASE_URL".into(), ImportedValue::Literal("$<<My DB.DATABASE_URL>>".into())),
                            (
                                "JWT_SECRET".into(),
                                ImportedValue::FromEnv {
                                    env_var: "DEV_API_JWT_SECRET".into(),
                                    reason: CredentialReason::Name,
                                },
                            ),
                        ]),
                    },
                ),
            ]),
        };
        let text = to_toml(&imported);
        let expected = r#"# Imported from Railway by `railform import` (project "platform", environment "dev").
# `project_id` and `id` pin the live project and services. No secret value is written here:
# see the comments beside `preserve` and `from_env` values.

project = "platform"
project_id = "prj-1"
environment = "dev"

[shared]
LOG_LEVEL = "debug"
# sealed in Railway: value not managed
SEALED = { preserve = true }

[services."My DB"]
id = "svc-db"
# Railway's postgres template: only variables that differ from it are written
template = "postgres"
params = { version = "16" }

[services.api]
id = "svc-api"
repo = "acme/api"
branch = "main"
volume = { mount = "/data" }

[services.api.variables]
DATABASE_URL = "$<<My DB.DATABASE_URL>>"
# import did not write this value (its name looks like a credential): set DEV_API_JWT_SECRET to the live value before `railform plan`
JWT_SECRET = { from_env = "DEV_API_JWT_SECRET" }
"#;
        assert_eq!(text, expected);
    }
}
