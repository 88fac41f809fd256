//! Typed reading of one merged environment table into the model: keys, types and value forms,
//! with templates expanded. Every problem becomes a diagnostic and reading goes on, so one run
//! reports them all.

use std::collections::BTreeMap;
use std::path::Path;

use super::model::{
    Environment, Preview, ProjectRef, Service, Source, Variable, VariableValue, Volume, PREVIEW_PLACEHOLDER,
};
use super::names::{self, NameKind, Problem};
use super::templates::{self, TemplateError, TemplateInput};
use super::tree::{self, Entry, Node, Table, Value};
use crate::diag::{did_you_mean, Diagnostic, Location};

mod service_settings;
#[allow(unused_imports)] // the schema's test checks its keys against these
pub(crate) use service_settings::{
    railway_spelling_hint, BUILD_KEYS, CUSTOM_DOMAIN_KEYS, DEPLOY_KEYS, LIMITS_KEYS, NETWORKING_KEYS,
    RAILWAY_DOMAIN_KEYS, REGISTRY_KEYS,
};

pub(crate) const TOP_LEVEL_KEYS: &[&str] = &["project", "project_id", "extends", "environment", "shared", "services"];
pub(crate) const ENVIRONMENT_KEYS: &[&str] = &["name", "renamed_from"];
/// The keys of a preview file's `environment` table.
pub(crate) const PREVIEW_KEYS: &[&str] = &["preview"];
pub(crate) const SERVICE_KEYS: &[&str] = &[
    "id",
    "renamed_from",
    "template",
    "params",
    "image",
    "repo",
    "branch",
    "volume",
    "protect",
    "delete",
    "ignore",
    "variables",
    "root_directory",
    "build",
    "deploy",
    "networking",
    "registry_credentials",
];
pub(crate) const VOLUME_KEYS: &[&str] = &["mount", "backups"];
pub(crate) const VARIABLE_KEYS: &[&str] =
    &["value", "sensitive", "from_env", "allow_empty", "generate", "length", "alphabet", "preserve"];
/// What a variable's value may be, as messages say it.
const VALUE_TYPES: &str = "a string, a number, true/false or a table such as { from_env = \"NAME\" }";
const DEFAULT_ALPHABET: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

/// The §2.1 settings of service `name` read from `table` (a service table in railform's names,
/// as `migrate` builds one from a railway.toml), each problem located where its value was
/// written.
pub(crate) fn service_settings(
    name: &str,
    table: &Table,
    diagnostics: &mut Vec<Diagnostic>,
) -> super::settings::Settings {
    let mut reader = Reader { diagnostics, root: Path::new("."), image_from_env: ImageFromEnv::Refused };
    reader.settings(name, table, None).0
}

/// How a preview file is named while it is read.
#[derive(Debug, Clone, Default)]
pub struct PreviewNaming<'a> {
    /// `preview up NAME`: the name the preview's environment takes (templates see it).
    pub name: Option<&'a str>,
    /// The environment of the file the preview extends.
    pub base: Option<String>,
}

/// What an `environment` key says.
enum EnvironmentName {
    Named { name: String, renamed_from: Vec<String> },
    Preview,
}

/// Reads typed values out of located tree nodes, collecting diagnostics.
pub struct Reader<'d> {
    pub diagnostics: &'d mut Vec<Diagnostic>,
    /// The configuration root the file was found in (templates are read only inside it).
    pub root: &'d Path,
    /// What `image = { from_env = "NAME" }` becomes in the file being read.
    pub image_from_env: ImageFromEnv,
}

/// `image = { from_env = "NAME" }` (a preview's pull-request image) is a preview file's only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ImageFromEnv {
    /// A permanent environment's file: an error.
    #[default]
    Refused,
    /// A preview file, validated: the image is not known yet, and nothing plans it.
    Unread,
    /// `preview up`: read from the process environment now.
    Read,
}

impl Reader<'_> {
    /// Reads a merged environment table. `file` is the environment file (for messages and
    /// template lookup); `start` locates file-level problems such as a missing `project`.
    pub fn environment(
        &mut self,
        file: &Path,
        start: Location,
        mut table: Table,
        naming: &PreviewNaming<'_>,
    ) -> Option<Environment> {
        self.reject_unknown_keys(&table, TOP_LEVEL_KEYS, "at the top of an environment file");
        let project_name = table.get("project").and_then(|entry| {
            let name = self.string(entry, "project")?;
            self.name(NameKind::Project, &name, &entry.node, "project")
        });
        let project_id = table.get("project_id").and_then(|entry| self.string(entry, "project_id"));
        if project_name.is_none() && project_id.is_none() && !table.contains_key("project") {
            self.push(
                Diagnostic::error("this environment file names no Railway project")
                    .at(start.clone())
                    .label("this environment file")
                    .hint("add `project = \"NAME\"` (or `project_id = \"…\"`) here or in the file it extends"),
            );
        }
        let environment_entry = table.get("environment")?;
        let (name, renamed_from, preview) = match self.environment_name(environment_entry)? {
            EnvironmentName::Named { name, renamed_from } => (name, renamed_from, None),
            EnvironmentName::Preview => {
                self.image_from_env = if naming.name.is_some() { ImageFromEnv::Read } else { ImageFromEnv::Unread };
                let name = naming.name.unwrap_or(PREVIEW_PLACEHOLDER).to_string();
                (name, Vec::new(), Some(Preview { base: naming.base.clone() }))
            }
        };
        let environment_at = environment_entry.key_at.clone();
        let shared = match table.get("shared") {
            Some(entry) => self.variables(entry, "shared"),
            None => BTreeMap::new(),
        };
        let mut services = BTreeMap::new();
        if let Some(entry) = table.remove("services") {
            match entry.node.value {
                // Owned, so that large files are never copied.
                Value::Table(service_tables) => {
                    for (service_name, service_entry) in service_tables {
                        if let Some(service) = self.service(file, &name, &service_name, service_entry) {
                            services.insert(service_name, service);
                        }
                    }
                }
                other => self.wrong_type_at(&entry.node.at, "services", "a table", &other),
            }
        }
        Some(Environment {
            name,
            renamed_from,
            project: ProjectRef { name: project_name, id: project_id },
            file: file.display().to_string(),
            shared,
            services,
            at: environment_at,
            preview,
        })
    }

    /// `image = { from_env = "NAME" }`: the image a preview deploys, named by CI (the pull
    /// request's tag). Not a secret: plans show it.
    fn image_from_env(&mut self, entry: &Entry, form: &Table) -> Option<String> {
        self.reject_unknown_keys(form, &["from_env"], "in `image`");
        let name = self.string(form.get("from_env")?, "image.from_env")?;
        match self.image_from_env {
            ImageFromEnv::Refused => {
                self.push(
                    Diagnostic::error("`image = { from_env = … }` is for preview files")
                        .at(entry.node.at.clone())
                        .label("read from the environment")
                        .hint("a permanent environment's image is written in its file, so that a plan shows what runs"),
                );
                None
            }
            ImageFromEnv::Unread => Some(format!("from-env-{}", name.to_ascii_lowercase())),
            ImageFromEnv::Read => match std::env::var(&name) {
                Ok(image) if !image.trim().is_empty() => Some(image),
                _ => {
                    self.push(
                        Diagnostic::error(format!("`image` reads ${name}, which is not set"))
                            .at(entry.node.at.clone())
                            .label("from_env")
                            .hint(format!("set {name} to the image to deploy (in CI: the pull request's image tag)")),
                    );
                    None
                }
            },
        }
    }

    fn environment_name(&mut self, entry: &Entry) -> Option<EnvironmentName> {
        match &entry.node.value {
            Value::String(name) => Some(EnvironmentName::Named {
                name: self.name(NameKind::Environment, name, &entry.node, "environment")?,
                renamed_from: Vec::new(),
            }),
            Value::Table(table) if table.contains_key("preview") => self.preview_environment(entry, table),
            Value::Table(table) => {
                self.reject_unknown_keys(table, ENVIRONMENT_KEYS, "in [environment]");
                let Some(name_entry) = table.get("name") else {
                    self.push(
                        Diagnostic::error("[environment] has no `name`")
                            .at(entry.key_at.clone())
                            .label("this table")
                            .hint("add `name = \"dev\"` to [environment]"),
                    );
                    return None;
                };
                let name = self.string(name_entry, "environment.name")?;
                let name = self.name(NameKind::Environment, &name, &name_entry.node, "environment.name")?;
                let renamed_from = table
                    .get("renamed_from")
                    .map(|e| self.names(NameKind::Environment, e, "renamed_from"))
                    .unwrap_or_default();
                Some(EnvironmentName::Named { name, renamed_from })
            }
            other => {
                self.wrong_type(entry, "environment", "a string or a table", other);
                None
            }
        }
    }

    /// `environment = { preview = true }`: a preview file, named only by `preview up NAME`.
    /// `preview = false` is a plain `[environment]` table.
    fn preview_environment(&mut self, entry: &Entry, table: &Table) -> Option<EnvironmentName> {
        let flag = table.get("preview")?;
        if !self.boolean(flag, "environment.preview")? {
            let mut rest = table.clone();
            rest.remove("preview");
            let plain = Entry {
                key_at: entry.key_at.clone(),
                node: Node { value: Value::Table(rest), at: entry.node.at.clone() },
            };
            return self.environment_name(&plain);
        }
        for (key, named) in table.iter().filter(|(key, _)| !PREVIEW_KEYS.contains(&key.as_str())) {
            let hint = if ENVIRONMENT_KEYS.contains(&key.as_str()) {
                "a preview's environment is named on the command line (`railform preview up pr-42`): remove this key"
                    .to_string()
            } else {
                "a preview file's `environment` holds only `preview = true`".to_string()
            };
            self.push(
                Diagnostic::error(format!("unknown key `{key}` in a preview's `environment`"))
                    .at(named.key_at.clone())
                    .label("not allowed here")
                    .hint(hint),
            );
        }
        Some(EnvironmentName::Preview)
    }

    fn service(&mut self, file: &Path, environment: &str, name: &str, entry: Entry) -> Option<Service> {
        let mut own = match entry.node.value {
            Value::Table(table) => table,
            other => {
                self.wrong_type_at(&entry.node.at, &format!("services.{name}"), "a table", &other);
                return None;
            }
        };
        if name == "shared" {
            self.push(
                Diagnostic::error("a service cannot be named `shared`")
                    .at(entry.key_at.clone())
                    .label("reserved name")
                    .hint("`$<<shared.VAR>>` means the shared variables: give the service another name"),
            );
            return None;
        }
        if let Err(problem) = names::check_name(NameKind::Service, name) {
            self.problem(&entry.key_at, problem);
            return None;
        }
        self.reject_unknown_service_keys(&own, name, &format!("in [services.{name}]"));
        let template = own.get("template").and_then(|e| self.string(e, "template"));
        let template_at = own.get("template").map(|e| e.node.at.clone());
        let merged = match (&template, template_at) {
            (Some(template_name), Some(template_at)) => {
                let params = own.get("params").map(|e| self.params(e)).unwrap_or(serde_json::json!({}));
                let input = TemplateInput {
                    name: template_name,
                    service: name,
                    environment,
                    params,
                    requested_by: file,
                    root: self.root,
                };
                match templates::expand(&input) {
                    Ok(mut base) => {
                        // The template's own keys are checked like the user's.
                        self.reject_unknown_service_keys(&base, name, &format!("in template `{template_name}`"));
                        own.remove("template");
                        own.remove("params");
                        tree::merge(&mut base, own);
                        base
                    }
                    Err(error) => {
                        self.template_error(&template_at, error);
                        own
                    }
                }
            }
            _ => {
                if let Some(params) = own.get("params") {
                    self.push(
                        Diagnostic::error(format!("`params` without `template` in service `{name}`"))
                            .at(params.key_at.clone())
                            .label("only templates take params")
                            .hint("add `template = \"postgres\"` or remove `params`"),
                    );
                }
                own
            }
        };
        let id = merged.get("id").and_then(|e| self.string(e, "id"));
        let renamed_from_entry = merged.get("renamed_from");
        let renamed_from =
            renamed_from_entry.map(|e| self.names(NameKind::Service, e, "renamed_from")).unwrap_or_default();
        let renamed_from_at = renamed_from_entry.map(|e| e.node.at.clone());
        let source = self.source(name, &merged);
        let volume = merged.get("volume").and_then(|e| self.volume(e, name));
        let protect = merged.get("protect").and_then(|e| self.boolean(e, "protect"));
        let delete = merged.get("delete").and_then(|e| self.boolean(e, "delete")).unwrap_or(false);
        let ignore = merged.get("ignore").map(|e| self.globs(e)).unwrap_or_default();
        let variables = merged.get("variables").map(|e| self.variables(e, "variables")).unwrap_or_default();
        let (settings, custom_domains_at) = self.settings(name, &merged, source.as_ref());
        Some(Service {
            name: name.to_string(),
            id,
            renamed_from,
            renamed_from_at,
            template,
            source,
            volume,
            protect,
            delete,
            ignore,
            variables,
            settings,
            custom_domains_at,
            at: entry.key_at.clone(),
        })
    }

    fn source(&mut self, service: &str, table: &Table) -> Option<Source> {
        let image = table.get("image").and_then(|e| {
            let image = match &e.node.value {
                Value::Table(form) if form.contains_key("from_env") => self.image_from_env(e, form)?,
                _ => self.string(e, "image")?,
            };
            self.checked(&e.node.at, names::check_image(&image)).then_some(image)
        });
        let repo = table.get("repo").and_then(|e| {
            let repo = self.string(e, "repo")?;
            self.checked(&e.node.at, names::check_repo_field("repo", &repo)).then_some(repo)
        });
        let branch = table.get("branch").and_then(|e| {
            let branch = self.string(e, "branch")?;
            self.checked(&e.node.at, names::check_repo_field("branch", &branch)).then_some(branch)
        });
        match (image, repo) {
            (Some(image), Some(_)) => {
                let at = table.get("repo").map(|e| e.key_at.clone());
                self.push(
                    Diagnostic::error(format!("service `{service}` sets both `image` and `repo`"))
                        .at_opt(at)
                        .label("second source")
                        .hint("a service deploys either an image or a repository: keep one"),
                );
                Some(Source::Image(image))
            }
            (Some(image), None) => {
                if let Some(entry) = table.get("branch") {
                    self.push(
                        Diagnostic::error("`branch` goes with `repo`, not `image`")
                            .at(entry.key_at.clone())
                            .hint("remove `branch`, or deploy from `repo = \"owner/name\"`"),
                    );
                }
                Some(Source::Image(image))
            }
            (None, Some(repo)) => Some(Source::Repo { repo, branch }),
            (None, None) => {
                if let Some(entry) = table.get("branch") {
                    self.push(
                        Diagnostic::error("`branch` without `repo`")
                            .at(entry.key_at.clone())
                            .hint("add `repo = \"owner/name\"`"),
                    );
                }
                None
            }
        }
    }

    fn volume(&mut self, entry: &Entry, service: &str) -> Option<Volume> {
        let table = self.table(entry, "volume")?;
        for (key, entry) in table.iter().filter(|(key, _)| !VOLUME_KEYS.contains(&key.as_str())) {
            let hint = railway_spelling_hint(key, Some("volume"), service).unwrap_or_else(|| {
                match did_you_mean(key, VOLUME_KEYS.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("known keys here: {}", VOLUME_KEYS.join(", ")),
                }
            });
            self.push(
                Diagnostic::error(format!("unknown key `{key}` in `volume`"))
                    .at(entry.key_at.clone())
                    .label("unknown key")
                    .hint(hint),
            );
        }
        let Some(mount_entry) = table.get("mount") else {
            self.push(
                Diagnostic::error("`volume` has no `mount`")
                    .at(entry.key_at.clone())
                    .hint("write `volume = { mount = \"/data\" }`"),
            );
            return None;
        };
        let mount = self.string(mount_entry, "volume.mount")?;
        if !mount.starts_with('/') {
            self.push(
                Diagnostic::error(format!("volume mount `{mount}` is not an absolute path"))
                    .at(mount_entry.node.at.clone())
                    .label("relative path")
                    .hint("mount paths start with `/`, as in \"/data\""),
            );
            return None;
        }
        Some(Volume { mount })
    }

    /// A table of variables (`[shared]` or a service's `variables`).
    fn variables(&mut self, entry: &Entry, what: &str) -> BTreeMap<String, Variable> {
        let Some(table) = self.table(entry, what) else { return BTreeMap::new() };
        let mut variables = Vec::new();
        for (name, variable_entry) in table {
            if let Err(problem) = names::check_variable_name(name) {
                self.problem(&variable_entry.key_at, problem);
                continue;
            }
            if let Some(value) = self.variable_value(name, variable_entry) {
                variables.push((name.clone(), Variable { value, at: variable_entry.node.at.clone() }));
            }
        }
        // Built at once, the map's nodes are full; inserted one by one they are about half
        // empty, and a project holds a map per service instance.
        variables.into_iter().collect()
    }

    fn variable_value(&mut self, name: &str, entry: &Entry) -> Option<VariableValue> {
        if let Some(text) = scalar_text(&entry.node) {
            return self.literal(name, entry, text, false);
        }
        let table = match &entry.node.value {
            Value::Table(table) => table,
            other => {
                self.wrong_type(entry, name, VALUE_TYPES, other);
                return None;
            }
        };
        // A value is masked wherever it is quoted as soon as `sensitive` is written and is not
        // `false`: `sensitive = "yes"` is an error, but the value is clearly meant to be secret.
        let meant_sensitive = table.get("sensitive").is_some_and(|e| !matches!(e.node.value, Value::Boolean(false)));
        if let Some(value) = table.get("value").filter(|_| meant_sensitive) {
            value.node.at.file.redact(value.node.at.span.clone());
        }
        self.reject_unknown_keys(table, VARIABLE_KEYS, &format!("in variable `{name}`"));
        let forms: Vec<&str> = ["value", "from_env", "generate", "preserve"]
            .into_iter()
            .filter(|form| table.contains_key(*form))
            .collect();
        let form_hint = "write one of: \"literal\", { value = \"…\", sensitive = true }, { from_env = \"NAME\" }, \
                         { generate = \"secret\", length = 32 }, { preserve = true }";
        let form = match forms.as_slice() {
            [form] => *form,
            [] => {
                self.push(
                    Diagnostic::error(format!("variable `{name}` has no value"))
                        .at(entry.node.at.clone())
                        .label("no value, from_env, generate or preserve")
                        .hint(form_hint),
                );
                return None;
            }
            [first, second, ..] => {
                self.push(
                    Diagnostic::error(format!("variable `{name}` sets both `{first}` and `{second}`"))
                        .at(entry.node.at.clone())
                        .label("pick one")
                        .hint(form_hint),
                );
                return None;
            }
        };
        for (key, only_with) in [("sensitive", "value"), ("length", "generate"), ("alphabet", "generate")] {
            if let Some(extra) = table.get(key).filter(|_| form != only_with) {
                self.push(
                    Diagnostic::error(format!("`{key}` only goes with `{only_with}`"))
                        .at(extra.key_at.clone())
                        .hint(format!("remove `{key}` from variable `{name}`")),
                );
            }
        }
        match form {
            "value" => {
                let value_entry = &table["value"];
                let Some(value) = scalar_text(&value_entry.node) else {
                    let expected = "a string, a number or true/false";
                    self.wrong_type(value_entry, "value", expected, &value_entry.node.value);
                    return None;
                };
                let sensitive = table.get("sensitive").and_then(|e| self.boolean(e, "sensitive")).unwrap_or(false);
                self.literal(name, value_entry, value, sensitive)
            }
            "from_env" => {
                let entry = &table["from_env"];
                let env_name = self.string(entry, "from_env")?;
                if env_name.is_empty() || env_name.contains('=') || env_name.contains('\0') {
                    self.push(
                        Diagnostic::error(format!("`{env_name}` is not an environment variable name"))
                            .at(entry.node.at.clone())
                            .hint("name the variable of railform's process environment, as in { from_env = \"DEV_JWT_SECRET\" }"),
                    );
                    return None;
                }
                let allow_empty =
                    table.get("allow_empty").and_then(|e| self.boolean(e, "allow_empty")).unwrap_or(false);
                Some(VariableValue::FromEnv { name: env_name, allow_empty })
            }
            "generate" => {
                let entry = &table["generate"];
                let kind = self.string(entry, "generate")?;
                if kind != "secret" {
                    self.push(
                        Diagnostic::error(format!("unknown generator `{kind}`"))
                            .at(entry.node.at.clone())
                            .label("expected \"secret\"")
                            .hint("write { generate = \"secret\", length = 32 }"),
                    );
                    return None;
                }
                let length = match table.get("length") {
                    Some(length_entry) => self.length(length_entry)?,
                    None => 32,
                };
                let alphabet = match table.get("alphabet") {
                    Some(alphabet_entry) => {
                        let alphabet = self.string(alphabet_entry, "alphabet")?;
                        if alphabet.chars().count() < 2 {
                            self.push(
                                Diagnostic::error("an alphabet needs at least two characters")
                                    .at(alphabet_entry.node.at.clone())
                                    .hint("list the characters a secret may use, or remove `alphabet`"),
                            );
                            return None;
                        }
                        alphabet
                    }
                    None => DEFAULT_ALPHABET.to_string(),
                };
                Some(VariableValue::Generate { length, alphabet })
            }
            _ => {
                let entry = &table["preserve"];
                match self.boolean(entry, "preserve")? {
                    true => Some(VariableValue::Preserve),
                    false => {
                        self.push(
                            Diagnostic::error("`preserve = false` means nothing")
                                .at(entry.node.at.clone())
                                .hint("write `{ preserve = true }`, or give the variable a value"),
                        );
                        None
                    }
                }
            }
        }
    }

    /// A literal value, if Railway can store it.
    fn literal(&mut self, name: &str, entry: &Entry, value: String, sensitive: bool) -> Option<VariableValue> {
        let checked = names::check_value(name, &value);
        // Pointed at by its key: the value may be megabytes long, or secret.
        self.checked(&entry.key_at, checked).then_some(VariableValue::Literal { value, sensitive })
    }

    fn length(&mut self, entry: &Entry) -> Option<usize> {
        match entry.node.value {
            Value::Integer(length) if (8..=1024).contains(&length) => usize::try_from(length).ok(),
            Value::Integer(length) => {
                self.push(
                    Diagnostic::error(format!("secret length {length} is out of range"))
                        .at(entry.node.at.clone())
                        .hint("use a length from 8 to 1024"),
                );
                None
            }
            ref other => {
                self.wrong_type(entry, "length", "an integer", other);
                None
            }
        }
    }

    /// `params` of a template, as JSON for handlebars. The params railform's templates share
    /// are checked here, where they are written: `public` (true or false), `backups` (backup
    /// schedules) and `pool_mode`; a bad one is left out of the rendering.
    fn params(&mut self, entry: &Entry) -> serde_json::Value {
        let Some(table) = self.table(entry, "params") else {
            return serde_json::json!({});
        };
        let mut params = to_json(&entry.node);
        let mut drop = Vec::new();
        if let Some(public) = table.get("public") {
            if self.boolean(public, "params.public").is_none() {
                drop.push("public");
            }
        }
        if let Some(backups) = table.get("backups") {
            if self.backup_param(backups).is_none() {
                drop.push("backups");
            }
        }
        if let Some(mode) = table.get("pool_mode") {
            let choices = [("transaction", ()), ("session", ()), ("statement", ())];
            if self.choice(mode, "params.pool_mode", &choices).is_none() {
                drop.push("pool_mode");
            }
        }
        if let serde_json::Value::Object(map) = &mut params {
            for key in drop {
                map.remove(key);
            }
        }
        params
    }

    fn template_error(&mut self, at: &Location, error: TemplateError) {
        let diagnostic = Diagnostic::error(error.to_string()).at(at.clone());
        let diagnostic = match &error {
            TemplateError::Unknown { name, available } => {
                let hint = match did_you_mean(name, available.iter().map(String::as_str)) {
                    Some(close) => format!("did you mean `{close}`? Templates: {}", available.join(", ")),
                    None => format!("templates: {} (or add templates/{name}.toml.hbs)", available.join(", ")),
                };
                diagnostic.label("no such template").hint(hint)
            }
            _ => diagnostic.label("in this template").hint("fix the template file or the service's `params`"),
        };
        self.push(diagnostic);
    }

    fn names(&mut self, kind: NameKind, entry: &Entry, what: &str) -> Vec<String> {
        let strings = self.strings(entry, what);
        strings
            .into_iter()
            .filter_map(|(name, node)| {
                if name.trim().is_empty() {
                    self.push(
                        Diagnostic::error(format!("an empty name in `{what}`"))
                            .at(node.at.clone())
                            .hint("remove it or write the earlier name"),
                    );
                    None
                } else {
                    let checked = names::check_name(kind, &name);
                    self.checked(&node.at, checked).then_some(name)
                }
            })
            .collect()
    }

    fn globs(&mut self, entry: &Entry) -> Vec<String> {
        let strings = self.strings(entry, "ignore");
        strings
            .into_iter()
            .filter_map(|(glob, node)| match globset::Glob::new(&glob) {
                Ok(_) => Some(glob),
                Err(error) => {
                    self.push(
                        Diagnostic::error(format!("`{glob}` is not a valid glob: {}", error.kind()))
                            .at(node.at.clone())
                            .hint("use `*` and `?`, as in \"RAILWAY_*\""),
                    );
                    None
                }
            })
            .collect()
    }

    /// An array of strings (a lone string is accepted as a one-element array).
    fn strings<'n>(&mut self, entry: &'n Entry, what: &str) -> Vec<(String, &'n Node)> {
        match &entry.node.value {
            Value::String(single) => vec![(single.clone(), &entry.node)],
            Value::Array(items) => items
                .iter()
                .filter_map(|item| match &item.value {
                    Value::String(text) => Some((text.clone(), item)),
                    other => {
                        self.push(
                            Diagnostic::error(format!("`{what}` holds {}, expected strings", other.kind()))
                                .at(item.at.clone())
                                .label("not a string")
                                .hint(format!("write {what} = [\"a\", \"b\"]")),
                        );
                        None
                    }
                })
                .collect(),
            other => {
                self.wrong_type(entry, what, "an array of strings", other);
                Vec::new()
            }
        }
    }

    fn string(&mut self, entry: &Entry, what: &str) -> Option<String> {
        match &entry.node.value {
            Value::String(text) => Some(text.clone()),
            other => {
                self.wrong_type(entry, what, "a string", other);
                None
            }
        }
    }

    /// A project, environment or service name as Railway accepts it.
    fn name(&mut self, kind: NameKind, text: &str, node: &Node, what: &str) -> Option<String> {
        if text.trim().is_empty() {
            self.push(Diagnostic::error(format!("`{what}` is empty")).at(node.at.clone()).hint("write a name"));
            return None;
        }
        let checked = names::check_name(kind, text);
        self.checked(&node.at, checked).then(|| text.to_string())
    }

    /// True when `checked` is fine; otherwise reports its problem at `at`.
    fn checked(&mut self, at: &Location, checked: Result<(), Problem>) -> bool {
        match checked {
            Ok(()) => true,
            Err(problem) => {
                self.problem(at, problem);
                false
            }
        }
    }

    fn problem(&mut self, at: &Location, problem: Problem) {
        self.push(Diagnostic::error(problem.message).at(at.clone()).label(problem.label).hint(problem.hint));
    }

    fn boolean(&mut self, entry: &Entry, what: &str) -> Option<bool> {
        match entry.node.value {
            Value::Boolean(flag) => Some(flag),
            ref other => {
                self.wrong_type(entry, what, "true or false", other);
                None
            }
        }
    }

    fn table<'e>(&mut self, entry: &'e Entry, what: &str) -> Option<&'e Table> {
        match &entry.node.value {
            Value::Table(table) => Some(table),
            other => {
                self.wrong_type(entry, what, "a table", other);
                None
            }
        }
    }

    fn wrong_type(&mut self, entry: &Entry, what: &str, expected: &str, found: &Value) {
        self.wrong_type_at(&entry.node.at, what, expected, found);
    }

    fn wrong_type_at(&mut self, at: &Location, what: &str, expected: &str, found: &Value) {
        self.push(
            Diagnostic::error(format!("`{what}` must be {expected}, not {}", found.kind()))
                .at(at.clone())
                .label(format!("expected {expected}"))
                .hint(format!("change `{what}` to {expected}")),
        );
    }

    /// Unknown keys of a service table, with railway.toml's spellings pointed at railform's.
    fn reject_unknown_service_keys(&mut self, table: &Table, service: &str, place: &str) {
        for (key, entry) in table {
            if SERVICE_KEYS.contains(&key.as_str()) {
                continue;
            }
            let hint = railway_spelling_hint(key, None, service).unwrap_or_else(|| {
                match did_you_mean(key, SERVICE_KEYS.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("known keys here: {}", SERVICE_KEYS.join(", ")),
                }
            });
            self.push(
                Diagnostic::error(format!("unknown key `{key}` {place}"))
                    .at(entry.key_at.clone())
                    .label("unknown key")
                    .hint(hint),
            );
        }
    }

    fn reject_unknown_keys(&mut self, table: &Table, allowed: &[&str], place: &str) {
        for (key, entry) in table {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let hint = match did_you_mean(key, allowed.iter().copied()) {
                Some(close) => format!("did you mean `{close}`?"),
                None => format!("known keys here: {}", allowed.join(", ")),
            };
            self.push(
                Diagnostic::error(format!("unknown key `{key}` {place}"))
                    .at(entry.key_at.clone())
                    .label("unknown key")
                    .hint(hint),
            );
        }
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

/// The text of a scalar value as a variable holds it: a string as is, an integer in decimal, a
/// float as written (`1.50`, `1e6`, `inf`, without `_` separators), a boolean as `true`/`false`.
/// `None` for tables, arrays and date-times.
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::String(text) => Some(text.clone()),
        Value::Integer(number) => Some(number.to_string()),
        Value::Float(number) => {
            let written = node.at.file.text.get(node.at.span.clone()).map(|text| text.replace('_', ""));
            Some(written.filter(|text| text.parse::<f64>().is_ok()).unwrap_or_else(|| number.to_string()))
        }
        Value::Boolean(flag) => Some(flag.to_string()),
        Value::Datetime(_) | Value::Array(_) | Value::Table(_) => None,
    }
}

/// A tree node as JSON (template parameters).
fn to_json(node: &Node) -> serde_json::Value {
    match &node.value {
        Value::String(text) | Value::Datetime(text) => serde_json::Value::String(text.clone()),
        Value::Integer(number) => serde_json::Value::from(*number),
        Value::Float(number) => serde_json::Value::from(*number),
        Value::Boolean(flag) => serde_json::Value::Bool(*flag),
        Value::Array(items) => serde_json::Value::Array(items.iter().map(to_json).collect()),
        Value::Table(table) => {
            serde_json::Value::Object(table.iter().map(|(key, entry)| (key.clone(), to_json(&entry.node))).collect())
        }
    }
}
