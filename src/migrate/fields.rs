//! Every field of Railway's config-as-code reference, and where railform keeps it: one
//! railway.toml / railway.json becomes [`Section`]s (the base settings, each
//! `environments.<name>` block, the `environments.pr` block), each a list of [`Assignment`]s in
//! railform's names whose values still point at the line they were written on. A field with no
//! place in railform is a diagnostic naming file, line and field; nothing is dropped.

use std::collections::BTreeMap;

use crate::config::tree::{Entry, Node, Table, Value};
use crate::diag::{did_you_mean, Diagnostic, Location};

/// Which environment file a section's settings go to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    /// The file's top-level `build` / `deploy`: every environment.
    Base,
    /// `environments.<name>`.
    Environment(String),
    /// `environments.pr`: Railway's pull-request environments, railform's preview file.
    Preview,
}

impl Target {
    /// The prefix of a field's name in the railway file.
    fn prefix(&self) -> String {
        match self {
            Target::Base => String::new(),
            Target::Environment(name) => format!("environments.{name}."),
            Target::Preview => "environments.pr.".to_string(),
        }
    }
}

/// One block of settings of a railway file.
#[derive(Debug, Clone)]
pub struct Section {
    pub target: Target,
    /// The `environments.<name>` key (or the top of the file).
    pub at: Location,
    pub assignments: Vec<Assignment>,
}

/// One value as railform writes it: `table.key = value` in a service's table.
#[derive(Debug, Clone)]
pub struct Assignment {
    /// `build`, `deploy` or `variables`.
    pub table: &'static str,
    /// railform's key in that table (`start_command`, `NIXPACKS_VERSION`…).
    pub key: String,
    /// The value, located where the railway file wrote it.
    pub value: Node,
    /// The field as the railway file names it (`environments.staging.deploy.startCommand`).
    pub field: String,
    /// Where that field is written.
    pub at: Location,
}

impl Assignment {
    /// `deploy.start_command`.
    pub fn name(&self) -> String {
        format!("{}.{}", self.table, self.key)
    }
}

/// The build fields Railway documents, and railform's key for each.
const BUILD: &[(&str, &str)] = &[
    ("builder", "builder"),
    ("buildCommand", "build_command"),
    ("dockerfilePath", "dockerfile_path"),
    ("watchPatterns", "watch_patterns"),
    ("railpackVersion", "railpack_version"),
    ("nixpacksConfigPath", "nixpacks_config_path"),
];

/// The deploy fields that map one to one.
const DEPLOY: &[(&str, &str)] = &[
    ("startCommand", "start_command"),
    ("preDeployCommand", "pre_deploy_command"),
    ("preDeployTimeoutSeconds", "pre_deploy_timeout"),
    ("healthcheckPath", "healthcheck_path"),
    ("healthcheckTimeout", "healthcheck_timeout"),
    ("restartPolicyType", "restart_policy"),
    ("restartPolicyMaxRetries", "restart_max_retries"),
    ("numReplicas", "replicas"),
    ("cronSchedule", "cron_schedule"),
    ("sleepApplication", "sleep_when_idle"),
    ("drainingSeconds", "draining_seconds"),
    ("overlapSeconds", "overlap_seconds"),
];

/// Deploy fields handled on their own (regions, limits).
const DEPLOY_OTHER: &[&str] = &["multiRegionConfig", "region", "limitOverride"];

/// Fields Railway's build and deploy accept that railform does not manage, with what to do.
const NOT_MANAGED: &[(&str, &str)] = &[
    (
        "nixpacksPlan",
        "railform does not manage a Nixpacks plan: move it into a nixpacks.toml beside the service (Nixpacks reads \
         it from there, or from `nixpacksConfigPath`), then remove it here",
    ),
    (
        "buildEnvironment",
        "railform does not manage the build environment: set it in the dashboard, then remove it here",
    ),
    (
        "registryCredentials",
        "a registry password does not belong in a repository: write `registry_credentials = { username = \"…\", \
         password = { from_env = \"REGISTRY_TOKEN\" } }` on the service in its environment file, then remove it here",
    ),
    (
        "requiredMountPath",
        "railform declares the volume itself: write `volume = { mount = \"…\" }` on the service, then remove it here",
    ),
    ("runtime", "railform does not manage the runtime: set it in the dashboard, then remove it here"),
    ("useLegacyStacker", "railform does not manage the legacy stacker: set it in the dashboard, then remove it here"),
    ("ipv6EgressEnabled", "railform does not manage IPv6 egress: set it in the dashboard, then remove it here"),
];

/// Reads the sections of one railway file (already parsed into `table`). `start` locates the
/// base section.
pub fn sections(table: &Table, start: Location, diagnostics: &mut Vec<Diagnostic>) -> Vec<Section> {
    let mut translator = Translator { diagnostics };
    let mut sections = vec![Section { target: Target::Base, at: start, assignments: Vec::new() }];
    for (key, entry) in table {
        match key.as_str() {
            "$schema" => {}
            "build" | "deploy" => translator.block(key, entry, &Target::Base, &mut sections[0].assignments),
            "environments" => {
                let Some(environments) = translator.table(entry, "environments") else { continue };
                for (name, block) in environments {
                    let target = if name == "pr" { Target::Preview } else { Target::Environment(name.clone()) };
                    let mut section = Section { target, at: block.key_at.clone(), assignments: Vec::new() };
                    let what = format!("environments.{name}");
                    if let Some(block_table) = translator.table(block, &what) {
                        for (key, entry) in block_table {
                            match key.as_str() {
                                "build" | "deploy" => {
                                    translator.block(key, entry, &section.target, &mut section.assignments)
                                }
                                other => translator.unknown(entry, &format!("{what}.{other}"), &["build", "deploy"]),
                            }
                        }
                    }
                    sections.push(section);
                }
            }
            other => translator.unknown(entry, other, &["$schema", "build", "deploy", "environments"]),
        }
    }
    // In the order the file writes them.
    for section in &mut sections {
        section.assignments.sort_by_key(|assignment| assignment.at.span.start);
    }
    sections.sort_by_key(|section| section.at.span.start);
    sections
}

struct Translator<'d> {
    diagnostics: &'d mut Vec<Diagnostic>,
}

impl Translator<'_> {
    /// One `build` or `deploy` table of `target`.
    fn block(&mut self, name: &str, entry: &Entry, target: &Target, out: &mut Vec<Assignment>) {
        let prefix = format!("{}{name}", target.prefix());
        let Some(table) = self.table(entry, &prefix) else { return };
        let (mapped, table_name): (&[(&str, &str)], &'static str) =
            if name == "build" { (BUILD, "build") } else { (DEPLOY, "deploy") };
        let known: Vec<&str> = mapped
            .iter()
            .map(|(theirs, _)| *theirs)
            .chain(if name == "build" { &["nixpacksVersion"][..] } else { DEPLOY_OTHER }.iter().copied())
            .collect();
        let mut assign = |key: &str, value: Node, field: &str, at: &Location, table: &'static str| {
            out.push(Assignment {
                table,
                key: key.to_string(),
                value,
                field: format!("{prefix}.{field}"),
                at: at.clone(),
            });
        };
        for (field, entry) in table {
            if let Some((_, ours)) = mapped.iter().find(|(theirs, _)| theirs == field) {
                let value = match *ours {
                    "builder" | "restart_policy" => lowercase(&entry.node),
                    "pre_deploy_timeout"
                    | "healthcheck_timeout"
                    | "restart_max_retries"
                    | "replicas"
                    | "draining_seconds"
                    | "overlap_seconds" => integer(&entry.node),
                    _ => entry.node.clone(),
                };
                if *ours == "replicas" && table.contains_key("region") {
                    continue; // `region` says where these replicas run: see below.
                }
                assign(ours, value, field, &entry.key_at, table_name);
                continue;
            }
            match field.as_str() {
                "nixpacksVersion" if name == "build" => {
                    // Railway documents the NIXPACKS_VERSION variable as the same setting.
                    assign("NIXPACKS_VERSION", entry.node.clone(), field, &entry.key_at, "variables")
                }
                "multiRegionConfig" if name == "deploy" => {
                    if let Some(region) = table.get("region") {
                        self.push(
                            Diagnostic::error(format!(
                                "`{prefix}.region` and `{prefix}.multiRegionConfig` both say where the service runs"
                            ))
                            .at(region.key_at.clone())
                            .label("and multiRegionConfig")
                            .hint("keep multiRegionConfig (it names every region and its replicas) and remove region"),
                        );
                    }
                    if let Some(regions) = self.regions(entry, &format!("{prefix}.{field}")) {
                        assign("regions", regions, field, &entry.key_at, "deploy");
                    }
                }
                "region" if name == "deploy" => {
                    if table.contains_key("multiRegionConfig") {
                        continue; // reported above
                    }
                    let Value::String(region) = &entry.node.value else {
                        self.push(
                            Diagnostic::error(format!(
                                "`{prefix}.region` must be a region's name, not {}",
                                entry.node.value.kind()
                            ))
                            .at(entry.node.at.clone())
                            .label("not a string")
                            .hint("write the region's identifier, as in \"us-west2\""),
                        );
                        continue;
                    };
                    // `region` with `numReplicas`: that many replicas, all in that region.
                    let replicas = table
                        .get("numReplicas")
                        .map(|e| integer(&e.node))
                        .unwrap_or_else(|| Node { value: Value::Integer(1), at: entry.node.at.clone() });
                    let mut regions = Table::new();
                    regions.insert(region.clone(), Entry { key_at: entry.node.at.clone(), node: replicas });
                    let node = Node { value: Value::Table(regions), at: entry.node.at.clone() };
                    let field = if table.contains_key("numReplicas") { "region` + `numReplicas" } else { "region" };
                    assign("regions", node, field, &entry.key_at, "deploy");
                }
                "limitOverride" if name == "deploy" => {
                    if let Some(limits) = self.limits(entry, &format!("{prefix}.{field}")) {
                        assign("limits", limits, field, &entry.key_at, "deploy");
                    }
                }
                _ => {
                    let what = format!("{prefix}.{field}");
                    match NOT_MANAGED.iter().find(|(theirs, _)| theirs == field) {
                        Some((_, hint)) => self.push(
                            Diagnostic::error(format!("`{what}` has no place in railform's files"))
                                .at(entry.key_at.clone())
                                .label("not migrated")
                                .hint(*hint),
                        ),
                        None => self.unknown(entry, &what, &known),
                    }
                }
            }
        }
    }

    /// `multiRegionConfig = { "<region>": { numReplicas = N } }` as railform's
    /// `regions = { "<region>" = N }`.
    fn regions(&mut self, entry: &Entry, what: &str) -> Option<Node> {
        let table = self.table(entry, what)?;
        let mut regions = Table::new();
        for (region, config) in table {
            let here = format!("{what}.{region}");
            let Some(config_table) = self.table(config, &here) else { continue };
            for (key, extra) in config_table.iter().filter(|(key, _)| key.as_str() != "numReplicas") {
                self.unknown(extra, &format!("{here}.{key}"), &["numReplicas"]);
            }
            let replicas = match config_table.get("numReplicas") {
                Some(replicas) => integer(&replicas.node),
                None => Node { value: Value::Integer(1), at: config.node.at.clone() },
            };
            regions.insert(region.clone(), Entry { key_at: config.key_at.clone(), node: replicas });
        }
        Some(Node { value: Value::Table(regions), at: entry.node.at.clone() })
    }

    /// `limitOverride = { containers = { cpu, memoryBytes } }` as `limits = { vcpus, memory_gb }`.
    fn limits(&mut self, entry: &Entry, what: &str) -> Option<Node> {
        let table = self.table(entry, what)?;
        for (key, extra) in table.iter().filter(|(key, _)| key.as_str() != "containers") {
            self.unknown(extra, &format!("{what}.{key}"), &["containers"]);
        }
        let containers = self.table(table.get("containers")?, &format!("{what}.containers"))?;
        let mut limits = Table::new();
        for (key, value) in containers {
            let here = format!("{what}.containers.{key}");
            match key.as_str() {
                "cpu" => {
                    limits.insert("vcpus".into(), Entry { key_at: value.key_at.clone(), node: value.node.clone() });
                }
                "memoryBytes" => {
                    let node = match value.node.value {
                        Value::Integer(bytes) => Node {
                            value: Value::Float(bytes as f64 / (1024.0 * 1024.0 * 1024.0)),
                            at: value.node.at.clone(),
                        },
                        _ => value.node.clone(),
                    };
                    limits.insert("memory_gb".into(), Entry { key_at: value.key_at.clone(), node });
                }
                "diskBytes" => self.push(
                    Diagnostic::error(format!("`{here}` has no place in railform's files"))
                        .at(value.key_at.clone())
                        .label("not migrated")
                        .hint("railform limits vCPUs and memory only: set the disk limit in the dashboard, then remove it here"),
                ),
                _ => self.unknown(value, &here, &["cpu", "memoryBytes"]),
            }
        }
        Some(Node { value: Value::Table(limits), at: entry.node.at.clone() })
    }

    fn table<'e>(&mut self, entry: &'e Entry, what: &str) -> Option<&'e Table> {
        match &entry.node.value {
            Value::Table(table) => Some(table),
            other => {
                self.push(
                    Diagnostic::error(format!("`{what}` must be a table, not {}", other.kind()))
                        .at(entry.node.at.clone())
                        .label("expected a table")
                        .hint(format!("write `{what}` as a table of fields, as Railway's reference does")),
                );
                None
            }
        }
    }

    fn unknown(&mut self, entry: &Entry, what: &str, known: &[&str]) {
        let field = what.rsplit('.').next().unwrap_or(what);
        let hint = match did_you_mean(field, known.iter().copied()) {
            Some(close) => format!("did you mean `{close}`? Fields here: {}", known.join(", ")),
            None => format!(
                "not a field of Railway's config-as-code reference: fields here are {}; remove it, or set it in \
                 the dashboard",
                known.join(", ")
            ),
        };
        self.push(
            Diagnostic::error(format!("unknown field `{what}`"))
                .at(entry.key_at.clone())
                .label("not migrated")
                .hint(hint),
        );
    }

    fn push(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }
}

/// `ON_FAILURE` → `on_failure`, `DOCKERFILE` → `dockerfile`: railform's spelling of Railway's
/// enums. Anything else is left for the settings reader to judge.
fn lowercase(node: &Node) -> Node {
    match &node.value {
        Value::String(text) => Node { value: Value::String(text.to_lowercase()), at: node.at.clone() },
        _ => node.clone(),
    }
}

/// A count of seconds or replicas. Railway's reference writes some as strings (`"60"`).
fn integer(node: &Node) -> Node {
    match &node.value {
        Value::String(text) => match text.trim().parse::<i64>() {
            Ok(number) => Node { value: Value::Integer(number), at: node.at.clone() },
            Err(_) => node.clone(),
        },
        _ => node.clone(),
    }
}

/// The assignments of `sections` as a service table in railform's names (later ones win), to
/// check with the same reader as environment files.
pub fn as_service_table(assignments: &[&Assignment]) -> Table {
    let mut tables: BTreeMap<&str, Table> = BTreeMap::new();
    let mut first_at: BTreeMap<&str, Location> = BTreeMap::new();
    for assignment in assignments {
        first_at.entry(assignment.table).or_insert_with(|| assignment.at.clone());
        tables
            .entry(assignment.table)
            .or_default()
            .insert(assignment.key.clone(), Entry { key_at: assignment.at.clone(), node: assignment.value.clone() });
    }
    tables
        .into_iter()
        .map(|(name, table)| {
            let at = first_at[name].clone();
            (name.to_string(), Entry { key_at: at.clone(), node: Node { value: Value::Table(table), at } })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::tree;
    use crate::diag::SourceFile;
    use std::path::Path;

    fn read(text: &str) -> (Vec<Section>, Vec<Diagnostic>) {
        let file = SourceFile::new(Path::new("railway.toml"), text.into());
        let table = tree::parse(&file).unwrap();
        let mut diagnostics = Vec::new();
        let sections = sections(&table, Location::new(&file, 0..0), &mut diagnostics);
        (sections, diagnostics)
    }

    fn names(section: &Section) -> Vec<(String, String)> {
        section.assignments.iter().map(|a| (a.field.clone(), a.name())).collect()
    }

    #[test]
    fn every_field_finds_its_railform_key_and_environments_their_sections() {
        let (sections, diagnostics) = read(
            "\"$schema\" = \"https://railway.com/railway.schema.json\"\n\
             [build]\nbuilder = \"NIXPACKS\"\nnixpacksVersion = \"1.29.1\"\n\
             [deploy]\nregion = \"us-west2\"\nnumReplicas = 2\noverlapSeconds = \"60\"\n\
             limitOverride = { containers = { cpu = 2, memoryBytes = 4294967296 } }\n\
             [environments.staging.deploy]\nrestartPolicyType = \"ON_FAILURE\"\n\
             [environments.pr.deploy]\nmultiRegionConfig = { \"us-east4-eqdc4a\" = { numReplicas = 1 } }\n",
        );
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        assert_eq!(
            names(&sections[0]),
            [
                ("build.builder".into(), "build.builder".into()),
                ("build.nixpacksVersion".into(), "variables.NIXPACKS_VERSION".into()),
                ("deploy.region` + `numReplicas".into(), "deploy.regions".into()),
                ("deploy.overlapSeconds".into(), "deploy.overlap_seconds".into()),
                ("deploy.limitOverride".into(), "deploy.limits".into()),
            ]
        );
        assert!(matches!(sections[0].assignments[0].value.value, Value::String(ref s) if s == "nixpacks"));
        assert!(matches!(sections[0].assignments[3].value.value, Value::Integer(60)));
        assert_eq!(sections[1].target, Target::Environment("staging".into()));
        assert_eq!(sections[2].target, Target::Preview);
        assert_eq!(
            names(&sections[1]),
            [("environments.staging.deploy.restartPolicyType".into(), "deploy.restart_policy".into())]
        );
    }

    #[test]
    fn a_field_railform_cannot_keep_is_an_error_at_its_line() {
        let (_, diagnostics) = read("[build]\nnixpacksPlan = { providers = [\"node\"] }\n[deploy]\nhealthcheckPth = \"/h\"\n[service]\nname = \"x\"\n");
        let shown: Vec<String> = diagnostics.iter().map(Diagnostic::short).collect();
        assert_eq!(shown.len(), 3, "{shown:?}");
        assert!(shown[0].starts_with("railway.toml:2:1: `build.nixpacksPlan` has no place"), "{shown:?}");
        assert!(shown[1].starts_with("railway.toml:4:1: unknown field `deploy.healthcheckPth`"), "{shown:?}");
        assert!(diagnostics[1].hint.as_deref().unwrap().contains("healthcheckPath"));
        assert!(shown[2].starts_with("railway.toml:5:2: unknown field `service`"), "{shown:?}");
    }
}
