//! Service templates: `template = "postgres"` renders `templates/postgres.toml.hbs` through
//! handlebars with `name`, `environment` and `params`, and the result becomes the base the
//! service's own keys are merged over. Built-ins are embedded in the binary; a `templates/`
//! folder beside (or one level above) the environment file overrides them. A local template is
//! read only when it is a regular file inside the configuration root or the `templates/` folder
//! beside it (see [`super::files`]).

use std::path::{Path, PathBuf};

use handlebars::Handlebars;
use serde_json::json;

use super::files;
use super::tree::{self, Table};
use crate::diag::{printable, SourceFile};

/// Service templates shipped inside the binary, by name.
pub const BUILTIN: &[(&str, &str)] = &[
    ("postgres", include_str!("../../templates/postgres.toml.hbs")),
    ("redis", include_str!("../../templates/redis.toml.hbs")),
    ("mysql", include_str!("../../templates/mysql.toml.hbs")),
    ("mongo", include_str!("../../templates/mongo.toml.hbs")),
    ("pgbouncer", include_str!("../../templates/pgbouncer.toml.hbs")),
    ("qdrant", include_str!("../../templates/qdrant.toml.hbs")),
];

/// Why a template could not be used.
#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("unknown template `{name}`")]
    Unknown { name: String, available: Vec<String> },
    #[error("template `{name}` ({path}) cannot be used: {why}")]
    Refused { name: String, path: String, why: String },
    #[error("template `{name}` ({origin}) {message}")]
    Render { name: String, origin: String, message: String },
    #[error("template `{name}` rendered invalid TOML: {message}")]
    Toml { name: String, message: String },
}

/// What a template is rendered with.
pub struct TemplateInput<'a> {
    pub name: &'a str,
    pub service: &'a str,
    pub environment: &'a str,
    pub params: serde_json::Value,
    /// The environment file that asked for it: its folder and parent may hold `templates/`.
    pub requested_by: &'a Path,
    /// The configuration root: local templates are read only inside it (or `templates/` beside it).
    pub root: &'a Path,
}

/// Renders a template and parses the result into a located tree (locations point into the
/// rendered text, named after the template file).
pub fn expand(input: &TemplateInput<'_>) -> Result<Table, TemplateError> {
    let (origin, text) = find(input.name, input.requested_by, input.root)?;
    let mut handlebars = Handlebars::new();
    handlebars.set_strict_mode(false);
    handlebars.register_escape_fn(escape_toml_string);
    handlebars.register_helper("required", Box::new(required));
    let render_error = |message: String| TemplateError::Render {
        name: input.name.to_string(),
        origin: origin.clone(),
        message: printable(&message).into_owned(),
    };
    // Registered under its own name, so that handlebars' errors name it.
    handlebars.register_template_string(input.name, &text).map_err(|error| {
        render_error(format!("is not valid handlebars{}: {}", position(error.pos()), error.reason()))
    })?;
    let context = json!({ "name": input.service, "environment": input.environment, "params": input.params });
    let rendered = handlebars.render(input.name, &context).map_err(|error| {
        let at = error.line_no.zip(error.column_no);
        render_error(format!("failed to render{}: {}", position(at), error.reason()))
    })?;
    let file =
        SourceFile::rendered_template(Path::new(&format!("{origin} (rendered for {})", input.service)), rendered);
    tree::parse(&file).map_err(|diagnostics| TemplateError::Toml {
        name: input.name.to_string(),
        message: diagnostics.iter().map(|d| d.short()).collect::<Vec<_>>().join("; "),
    })
}

/// `{{required params.postgres "postgres"}}`: the value, or an error naming the missing param.
fn required(
    helper: &handlebars::Helper<'_>,
    _: &Handlebars<'_>,
    _: &handlebars::Context,
    _: &mut handlebars::RenderContext<'_, '_>,
    out: &mut dyn handlebars::Output,
) -> handlebars::HelperResult {
    let name = helper.param(1).and_then(|p| p.value().as_str()).unwrap_or("?").to_string();
    match helper.param(0).map(|p| p.value()) {
        Some(serde_json::Value::String(value)) if !value.is_empty() => {
            out.write(&escape_toml_string(value))?;
            Ok(())
        }
        _ => Err(handlebars::RenderErrorReason::Other(format!(
            "needs `params.{name}`: write params = {{ {name} = \"…\" }}"
        ))
        .into()),
    }
}

/// ` at line L, column C`, when known.
fn position(at: Option<(usize, usize)>) -> String {
    at.map(|(line, column)| format!(" at line {line}, column {column}")).unwrap_or_default()
}

/// Names of every template that `requested_by` can use.
pub fn available(requested_by: &Path) -> Vec<String> {
    let mut names: Vec<String> = BUILTIN.iter().map(|(name, _)| name.to_string()).collect();
    for folder in local_folders(requested_by) {
        let Ok(entries) = std::fs::read_dir(folder) else { continue };
        for entry in entries.flatten() {
            let file_name = entry.file_name().to_string_lossy().into_owned();
            if let Some(name) = file_name.strip_suffix(".toml.hbs") {
                names.push(name.to_string());
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

/// The template text and where it came from: a project-local file first, else a built-in.
fn find(name: &str, requested_by: &Path, root: &Path) -> Result<(String, String), TemplateError> {
    let valid_name = !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if valid_name {
        for folder in local_folders(requested_by) {
            let path = folder.join(format!("{name}.toml.hbs"));
            match files::template(&path, root) {
                Ok(Some(text)) => return Ok((path.display().to_string(), text)),
                Ok(None) => {}
                Err(why) => {
                    let path = printable(&path.display().to_string()).into_owned();
                    return Err(TemplateError::Refused { name: name.to_string(), path, why });
                }
            }
        }
        if let Some((_, text)) = BUILTIN.iter().find(|(builtin, _)| *builtin == name) {
            return Ok((format!("built-in template {name}"), text.to_string()));
        }
    }
    let name = printable(name).into_owned();
    Err(TemplateError::Unknown { name, available: available(requested_by) })
}

/// `templates/` beside the environment file, then one level up (the repository layout).
pub fn local_folders(requested_by: &Path) -> Vec<PathBuf> {
    let folder = requested_by.parent().unwrap_or(Path::new("."));
    let mut folders = vec![folder.join("templates")];
    if let Some(parent) = folder.parent() {
        folders.push(parent.join("templates"));
    }
    folders
}

/// Values are substituted into TOML strings, so escape them as TOML basic-string content:
/// a parameter can never break out of its quotes.
fn escape_toml_string(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    for c in raw.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree::Value;

    fn render(name: &str, params: serde_json::Value) -> Result<Table, TemplateError> {
        expand(&TemplateInput {
            name,
            service: "platform-db",
            environment: "dev",
            params,
            requested_by: Path::new("/nonexistent/environments/dev.toml"),
            root: Path::new("/nonexistent/environments"),
        })
    }

    #[test]
    fn postgres_uses_the_requested_version_and_cannot_be_broken_by_params() {
        let table = render("postgres", json!({ "version": "17" })).unwrap();
        assert!(
            matches!(&table["image"].node.value, Value::String(s) if s == "ghcr.io/railwayapp-templates/postgres-ssl:17")
        );
        let table = render("postgres", json!({})).unwrap();
        assert!(matches!(&table["image"].node.value, Value::String(s) if s.ends_with(":16")));
        let table = render("postgres", json!({ "version": "16\"\nimage = \"evil" })).unwrap();
        assert!(
            matches!(&table["image"].node.value, Value::String(s) if s.contains("evil") && s.starts_with("ghcr.io"))
        );
    }

    #[test]
    fn unknown_templates_list_what_exists() {
        let Err(TemplateError::Unknown { available, .. }) = render("postgress", json!({})) else { panic!() };
        assert!(available.contains(&"postgres".to_string()) && available.contains(&"redis".to_string()));
        assert!(render("../etc/passwd", json!({})).is_err());
    }
}
