//! Reading SPEC §2.1 out of a service's merged table: `root_directory`, `[build]`, `[deploy]`,
//! `[networking]`, `volume.backups` and `registry_credentials`, each value checked offline
//! against what Railway accepts, each mistake located.
//!
//! What Railway documents is enforced as documented: five-field cron schedules at most every
//! 5 minutes, `healthcheck_path` starting with `/`, regions by their identifiers, at most 50
//! replicas in all, ports 1–65535. Where Railway documents no limit, railform's limits are
//! conservative and say so in their hint (see [`TIMEOUT_MAX`]).

use std::collections::BTreeMap;

use super::{Reader, VALUE_TYPES};
use crate::config::cron;
use crate::config::model::{Source, VariableValue};
use crate::config::names::{self, REGIONS};
use crate::config::settings::{
    BackupSchedule, Build, Builder, CustomDomain, Deploy, Limits, Networking, RegistryCredentials, RestartPolicy,
    Settings,
};
use crate::config::tree::{Entry, Table, Value};
use crate::diag::{did_you_mean, Diagnostic, Location};

pub(crate) const BUILD_KEYS: &[&str] =
    &["builder", "dockerfile_path", "build_command", "watch_patterns", "railpack_version", "nixpacks_config_path"];
pub(crate) const DEPLOY_KEYS: &[&str] = &[
    "start_command",
    "pre_deploy_command",
    "pre_deploy_timeout",
    "healthcheck_path",
    "healthcheck_timeout",
    "restart_policy",
    "restart_max_retries",
    "replicas",
    "regions",
    "cron_schedule",
    "sleep_when_idle",
    "draining_seconds",
    "overlap_seconds",
    "limits",
];
pub(crate) const LIMITS_KEYS: &[&str] = &["vcpus", "memory_gb"];
pub(crate) const NETWORKING_KEYS: &[&str] = &["railway_domain", "custom_domains", "tcp_proxy"];
pub(crate) const RAILWAY_DOMAIN_KEYS: &[&str] = &["port"];
pub(crate) const CUSTOM_DOMAIN_KEYS: &[&str] = &["domain", "port"];
pub(crate) const REGISTRY_KEYS: &[&str] = &["username", "password"];

/// Railway documents at most 50 replicas across all regions (docs.railway.com/cli/scale).
pub const MAX_REPLICAS: i64 = 50;
/// Longest healthcheck or pre-deploy timeout, draining or overlap time railform accepts, in
/// seconds: Railway documents none (the healthcheck default is 300), so one hour is railform's
/// conservative limit.
pub const TIMEOUT_MAX: i64 = 3600;
/// GraphQL's `Int` is 32 bits: no count Railway stores can be larger.
const INT_MAX: i64 = i32::MAX as i64;
/// The largest vCPU and memory (GB) any Railway plan allows one service (Enterprise: 2,400 vCPU,
/// 2.4 TB; docs.railway.com/pricing/plans).
const LIMIT_MAX: f64 = 2400.0;

/// railway.toml / railway.json spellings (and a few near misses) and where railform says the
/// same: the key, and the table it goes in (`None`: the service table itself). A `None` key is
/// a setting railform does not manage.
const RAILWAY_SPELLINGS: &[(&str, Option<&str>, Option<&str>)] = &[
    ("startCommand", Some("start_command"), Some("deploy")),
    ("preDeployCommand", Some("pre_deploy_command"), Some("deploy")),
    ("preDeployTimeoutSeconds", Some("pre_deploy_timeout"), Some("deploy")),
    ("pre_deploy_timeout_seconds", Some("pre_deploy_timeout"), Some("deploy")),
    ("healthcheckPath", Some("healthcheck_path"), Some("deploy")),
    ("healthcheck", Some("healthcheck_path"), Some("deploy")),
    ("healthcheckTimeout", Some("healthcheck_timeout"), Some("deploy")),
    ("restartPolicyType", Some("restart_policy"), Some("deploy")),
    ("restart_policy_type", Some("restart_policy"), Some("deploy")),
    ("restartPolicyMaxRetries", Some("restart_max_retries"), Some("deploy")),
    ("restart_policy_max_retries", Some("restart_max_retries"), Some("deploy")),
    ("numReplicas", Some("replicas"), Some("deploy")),
    ("num_replicas", Some("replicas"), Some("deploy")),
    ("multiRegionConfig", Some("regions"), Some("deploy")),
    ("multi_region_config", Some("regions"), Some("deploy")),
    ("region", Some("regions"), Some("deploy")),
    ("cronSchedule", Some("cron_schedule"), Some("deploy")),
    ("cron", Some("cron_schedule"), Some("deploy")),
    ("schedule", Some("cron_schedule"), Some("deploy")),
    ("sleepApplication", Some("sleep_when_idle"), Some("deploy")),
    ("sleep_application", Some("sleep_when_idle"), Some("deploy")),
    ("drainingSeconds", Some("draining_seconds"), Some("deploy")),
    ("overlapSeconds", Some("overlap_seconds"), Some("deploy")),
    ("limitOverride", Some("limits"), Some("deploy")),
    ("limit_override", Some("limits"), Some("deploy")),
    ("registryCredentials", Some("registry_credentials"), None),
    ("builder", Some("builder"), Some("build")),
    ("buildCommand", Some("build_command"), Some("build")),
    ("dockerfilePath", Some("dockerfile_path"), Some("build")),
    ("dockerfile", Some("dockerfile_path"), Some("build")),
    ("watchPatterns", Some("watch_patterns"), Some("build")),
    ("watchPaths", Some("watch_patterns"), Some("build")),
    ("watch_paths", Some("watch_patterns"), Some("build")),
    ("railpackVersion", Some("railpack_version"), Some("build")),
    ("nixpacksConfigPath", Some("nixpacks_config_path"), Some("build")),
    ("rootDirectory", Some("root_directory"), None),
    ("root_dir", Some("root_directory"), None),
    ("serviceDomains", Some("railway_domain"), Some("networking")),
    ("service_domains", Some("railway_domain"), Some("networking")),
    ("customDomains", Some("custom_domains"), Some("networking")),
    ("domains", Some("custom_domains"), Some("networking")),
    ("tcpProxies", Some("tcp_proxy"), Some("networking")),
    ("tcp_proxies", Some("tcp_proxy"), Some("networking")),
    ("tcpProxy", Some("tcp_proxy"), Some("networking")),
    ("backupSchedules", Some("backups"), Some("volume")),
    ("backup_schedules", Some("backups"), Some("volume")),
    ("mountPath", Some("mount"), Some("volume")),
    ("requiredMountPath", Some("mount"), Some("volume")),
    ("nixpacksPlan", None, None),
    ("nixpacksVersion", None, None),
    ("buildEnvironment", None, None),
    ("ipv6EgressEnabled", None, None),
    ("runtime", None, None),
    ("useLegacyStacker", None, None),
];

/// A hint for `key`, unknown in table `here` (`None`: the service table) of service `service`,
/// when it is railway.toml's spelling of something railform names otherwise.
pub(crate) fn railway_spelling_hint(key: &str, here: Option<&str>, service: &str) -> Option<String> {
    let (_, ours, table) = RAILWAY_SPELLINGS.iter().find(|(theirs, _, _)| *theirs == key)?;
    let service = toml_key(service);
    let Some(ours) = ours else {
        return Some(format!(
            "`{key}` is a railway.toml setting railform does not manage: leave it to the dashboard, or set it with \
             a `RAILPACK_*`/`NIXPACKS_*` variable where Railway offers one"
        ));
    };
    let place = match table {
        Some(table) => format!("[services.{service}.{table}]"),
        None => format!("[services.{service}]"),
    };
    Some(if *table == here && key != *ours {
        format!("`{key}` is railway.toml's name: railform's is `{ours}`")
    } else {
        format!("railway.toml's `{key}` is railform's `{ours}`, in {place}")
    })
}

/// `name` as a TOML key: bare when it can be, quoted otherwise.
fn toml_key(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

impl Reader<'_> {
    /// The §2.1 settings of service `name`, read from its merged table (templates expanded).
    /// Also where each custom domain is written.
    pub(super) fn settings(
        &mut self,
        name: &str,
        table: &Table,
        source: Option<&Source>,
    ) -> (Settings, BTreeMap<String, Location>) {
        let image = matches!(source, Some(Source::Image(_)));
        let repo = matches!(source, Some(Source::Repo { .. }));
        let root_directory = table.get("root_directory").and_then(|entry| {
            if image {
                self.push(
                    Diagnostic::error(format!("`root_directory` on `{name}`, which deploys an image"))
                        .at(entry.key_at.clone())
                        .label("repository sources only")
                        .hint(
                            "an image has no repository to build from: remove `root_directory`, or deploy from `repo`",
                        ),
                );
            }
            let directory = self.text(entry, "root_directory")?;
            if directory.starts_with('/') || directory.split('/').any(|part| part == "..") {
                self.push(
                    Diagnostic::error(format!("`root_directory` `{directory}` is not a folder of the repository"))
                        .at(entry.node.at.clone())
                        .label("absolute or leaves the repository")
                        .hint("write the folder relative to the repository's root, as in \"apps/api\""),
                );
                return None;
            }
            (!image).then_some(directory)
        });
        let build = match table.get("build") {
            Some(entry) => {
                if image {
                    self.push(
                        Diagnostic::error(format!("[build] on `{name}`, which deploys an image"))
                            .at(entry.key_at.clone())
                            .label("repository sources only")
                            .hint("an image is already built: remove [build], or deploy from `repo = \"owner/name\"`"),
                    );
                }
                self.build(name, entry)
            }
            None => Build::default(),
        };
        let deploy = table.get("deploy").map(|entry| self.deploy(name, entry)).unwrap_or_default();
        let mut custom_domains_at = BTreeMap::new();
        let networking = table.get("networking").and_then(|entry| self.networking(name, entry, &mut custom_domains_at));
        let volume_backups = table
            .get("volume")
            .and_then(|entry| match &entry.node.value {
                Value::Table(volume) => volume.get("backups"),
                _ => None,
            })
            .and_then(|entry| self.backups(entry));
        let registry_credentials = table.get("registry_credentials").and_then(|entry| {
            if repo {
                self.push(
                    Diagnostic::error(format!("`registry_credentials` on `{name}`, which builds from a repository"))
                        .at(entry.key_at.clone())
                        .label("image sources only")
                        .hint("registry credentials pull a private image: remove them, or deploy from `image`"),
                );
            }
            self.registry_credentials(entry)
        });
        (
            Settings { root_directory, build, deploy, networking, volume_backups, registry_credentials },
            custom_domains_at,
        )
    }

    fn build(&mut self, service: &str, entry: &Entry) -> Build {
        let Some(table) = self.table(entry, "build") else { return Build::default() };
        self.reject_unknown_settings_keys(table, BUILD_KEYS, "build", service);
        let builder_entry = table.get("builder");
        let builder = builder_entry.and_then(|entry| {
            self.choice(
                entry,
                "build.builder",
                &[
                    ("railpack", Builder::Railpack),
                    ("dockerfile", Builder::Dockerfile),
                    ("nixpacks", Builder::Nixpacks),
                ],
            )
        });
        let dockerfile_path = table.get("dockerfile_path").and_then(|entry| {
            // A builder written but invalid is reported already.
            let invalid_builder = builder_entry.is_some() && builder.is_none();
            if builder != Some(Builder::Dockerfile) && !invalid_builder {
                let found = match builder {
                    Some(other) => format!("the builder is `{}`", other.railway_name().to_lowercase()),
                    None => "no builder is set".to_string(),
                };
                self.push(
                    Diagnostic::error(format!("`dockerfile_path` without `builder = \"dockerfile\"`: {found}"))
                        .at(entry.key_at.clone())
                        .label("only read by the Dockerfile builder")
                        .hint(format!("add `builder = \"dockerfile\"` to [services.{}.build]", toml_key(service))),
                );
            }
            self.text(entry, "build.dockerfile_path")
        });
        Build {
            builder,
            dockerfile_path,
            build_command: table.get("build_command").and_then(|e| self.text(e, "build.build_command")),
            watch_patterns: table.get("watch_patterns").map(|e| self.texts(e, "build.watch_patterns")),
            railpack_version: table.get("railpack_version").and_then(|e| self.version(e, "build.railpack_version")),
            nixpacks_config_path: table
                .get("nixpacks_config_path")
                .and_then(|e| self.text(e, "build.nixpacks_config_path")),
        }
    }

    fn deploy(&mut self, service: &str, entry: &Entry) -> Deploy {
        let Some(table) = self.table(entry, "deploy") else { return Deploy::default() };
        self.reject_unknown_settings_keys(table, DEPLOY_KEYS, "deploy", service);
        let seconds = |reader: &mut Self, key: &str, low: i64, high: i64| {
            let entry = table.get(key)?;
            reader.integer(entry, &format!("deploy.{key}"), low, high, "seconds")
        };
        let pre_deploy_timeout = seconds(self, "pre_deploy_timeout", 1, TIMEOUT_MAX);
        let healthcheck_timeout = seconds(self, "healthcheck_timeout", 1, TIMEOUT_MAX);
        let draining_seconds = seconds(self, "draining_seconds", 0, TIMEOUT_MAX);
        let overlap_seconds = seconds(self, "overlap_seconds", 0, TIMEOUT_MAX);
        let restart_policy = table.get("restart_policy").and_then(|entry| {
            self.choice(
                entry,
                "deploy.restart_policy",
                &[
                    ("always", RestartPolicy::Always),
                    ("on_failure", RestartPolicy::OnFailure),
                    ("never", RestartPolicy::Never),
                ],
            )
        });
        let restart_max_retries = table.get("restart_max_retries").and_then(|entry| {
            let invalid_policy = table.contains_key("restart_policy") && restart_policy.is_none();
            if restart_policy != Some(RestartPolicy::OnFailure) && !invalid_policy {
                let found = match restart_policy {
                    Some(RestartPolicy::Always) => "`restart_policy` is \"always\"",
                    Some(RestartPolicy::Never) => "`restart_policy` is \"never\"",
                    _ => "no `restart_policy` is set",
                };
                self.push(
                    Diagnostic::error(format!(
                        "`restart_max_retries` without `restart_policy = \"on_failure\"`: {found}"
                    ))
                    .at(entry.key_at.clone())
                    .label("only counts with on_failure")
                    .hint("set `restart_policy = \"on_failure\"`, or remove `restart_max_retries`"),
                );
            }
            self.integer(entry, "deploy.restart_max_retries", 0, INT_MAX, "retries")
        });
        let replicas = table.get("replicas").and_then(|entry| {
            self.integer(
                entry,
                "deploy.replicas",
                1,
                MAX_REPLICAS,
                "replicas (Railway's limit is 50 across all regions)",
            )
        });
        let regions = table.get("regions").and_then(|entry| {
            if let Some(replicas_entry) = table.get("replicas") {
                self.push(
                    Diagnostic::error("both `replicas` and `regions` are set")
                        .at(replicas_entry.key_at.clone())
                        .label("one or the other")
                        .hint("`regions = { \"us-west2\" = 2 }` says how many replicas run where: remove `replicas`"),
                );
            }
            self.regions(entry)
        });
        let cron_schedule = table.get("cron_schedule").and_then(|entry| {
            let schedule = self.text(entry, "deploy.cron_schedule")?;
            match cron::check(&schedule) {
                Ok(()) => Some(schedule),
                Err(problem) => {
                    self.push(
                        Diagnostic::error(problem.message)
                            .at(entry.node.at.clone())
                            .label("not a schedule Railway runs")
                            .hint(problem.hint),
                    );
                    None
                }
            }
        });
        Deploy {
            start_command: table.get("start_command").and_then(|e| self.text(e, "deploy.start_command")),
            pre_deploy_command: table.get("pre_deploy_command").and_then(|e| self.commands(e)),
            pre_deploy_timeout,
            healthcheck_path: table.get("healthcheck_path").and_then(|e| self.healthcheck_path(e)),
            healthcheck_timeout,
            restart_policy,
            restart_max_retries,
            replicas,
            regions,
            cron_schedule,
            sleep_when_idle: table.get("sleep_when_idle").and_then(|e| self.boolean(e, "deploy.sleep_when_idle")),
            draining_seconds,
            overlap_seconds,
            limits: table.get("limits").and_then(|e| self.limits(service, e)),
        }
    }

    fn networking(
        &mut self,
        service: &str,
        entry: &Entry,
        custom_domains_at: &mut BTreeMap<String, Location>,
    ) -> Option<Networking> {
        let table = self.table(entry, "networking")?;
        self.reject_unknown_settings_keys(table, NETWORKING_KEYS, "networking", service);
        let railway_domain = match table.get("railway_domain") {
            None => None,
            Some(entry) => match &entry.node.value {
                Value::Boolean(true) => Some(None),
                Value::Boolean(false) => None,
                Value::Table(domain) => {
                    self.reject_unknown_keys(domain, RAILWAY_DOMAIN_KEYS, "in `railway_domain`");
                    match domain.get("port") {
                        Some(port) => self.port(port, "railway_domain.port").map(Some),
                        None => Some(None),
                    }
                }
                other => {
                    self.wrong_type(entry, "networking.railway_domain", "true, false or { port = 8000 }", other);
                    None
                }
            },
        };
        let mut custom_domains: Vec<CustomDomain> = Vec::new();
        if let Some(entry) = table.get("custom_domains") {
            match &entry.node.value {
                Value::Array(items) => {
                    for item in items {
                        let (domain, port, at) = match &item.value {
                            Value::String(domain) => (domain.clone(), None, &item.at),
                            Value::Table(fields) => {
                                self.reject_unknown_keys(fields, CUSTOM_DOMAIN_KEYS, "in a custom domain");
                                let Some(domain_entry) = fields.get("domain") else {
                                    self.push(
                                        Diagnostic::error("a custom domain without `domain`")
                                            .at(item.at.clone())
                                            .label("which domain?")
                                            .hint("write { domain = \"api.acme.com\", port = 8000 }"),
                                    );
                                    continue;
                                };
                                let Some(domain) = self.string(domain_entry, "custom_domains.domain") else { continue };
                                let port = match fields.get("port") {
                                    Some(port) => match self.port(port, "custom_domains.port") {
                                        Some(port) => Some(port),
                                        None => continue,
                                    },
                                    None => None,
                                };
                                (domain, port, &domain_entry.node.at)
                            }
                            other => {
                                self.wrong_type_at(
                                    &item.at,
                                    "a custom domain",
                                    "{ domain = \"api.acme.com\", port = 8000 }",
                                    other,
                                );
                                continue;
                            }
                        };
                        if !self.checked(at, names::check_domain(&domain)) {
                            continue;
                        }
                        if custom_domains.iter().any(|known| known.domain == domain) {
                            self.push(
                                Diagnostic::error(format!("custom domain `{domain}` is listed twice"))
                                    .at(at.clone())
                                    .label("again")
                                    .hint("list each domain once"),
                            );
                            continue;
                        }
                        custom_domains_at.insert(domain.clone(), at.clone());
                        custom_domains.push(CustomDomain { domain, port });
                    }
                }
                other => self.wrong_type(entry, "networking.custom_domains", "an array of domains", other),
            }
        }
        let mut tcp_proxy: Vec<u16> = Vec::new();
        if let Some(entry) = table.get("tcp_proxy") {
            match &entry.node.value {
                Value::Array(items) => {
                    for item in items {
                        let port_entry = Entry { key_at: item.at.clone(), node: item.clone() };
                        let Some(port) = self.port(&port_entry, "tcp_proxy") else { continue };
                        if tcp_proxy.contains(&port) {
                            self.push(
                                Diagnostic::error(format!("TCP proxy port {port} is listed twice"))
                                    .at(item.at.clone())
                                    .label("again")
                                    .hint("list each application port once"),
                            );
                            continue;
                        }
                        tcp_proxy.push(port);
                    }
                }
                Value::Integer(_) => self.wrong_type(
                    entry,
                    "networking.tcp_proxy",
                    "an array of ports, as in tcp_proxy = [5432]",
                    &entry.node.value,
                ),
                other => self.wrong_type(entry, "networking.tcp_proxy", "an array of ports", other),
            }
        }
        Some(Networking { railway_domain, custom_domains, tcp_proxy })
    }

    /// `params.backups` of a template: backup schedules, checked where they are written.
    pub(super) fn backup_param(&mut self, entry: &Entry) -> Option<Vec<BackupSchedule>> {
        let before = self.diagnostics.len();
        let kinds = self.backups(entry)?;
        (self.diagnostics.len() == before).then_some(kinds)
    }

    fn backups(&mut self, entry: &Entry) -> Option<Vec<BackupSchedule>> {
        let schedules = self.strings(entry, "volume.backups");
        if let Value::String(_) = entry.node.value {
            self.wrong_type(entry, "volume.backups", "an array, as in backups = [\"daily\"]", &entry.node.value);
            return None;
        }
        let mut kinds = Vec::new();
        for (text, node) in schedules {
            let kind = match text.as_str() {
                "daily" => BackupSchedule::Daily,
                "weekly" => BackupSchedule::Weekly,
                "monthly" => BackupSchedule::Monthly,
                other => {
                    let known = ["daily", "weekly", "monthly"];
                    let hint = match known.iter().find(|k| k.eq_ignore_ascii_case(other)) {
                        Some(close) => format!("write it in lowercase: \"{close}\""),
                        None => "backup schedules are \"daily\" (kept 6 days), \"weekly\" (kept a month) and \
                                 \"monthly\" (kept 3 months)"
                            .to_string(),
                    };
                    self.push(
                        Diagnostic::error(format!("unknown backup schedule `{other}`"))
                            .at(node.at.clone())
                            .label("expected daily, weekly or monthly")
                            .hint(hint),
                    );
                    continue;
                }
            };
            if kinds.contains(&kind) {
                self.push(
                    Diagnostic::error(format!("backup schedule `{text}` is listed twice"))
                        .at(node.at.clone())
                        .label("again")
                        .hint("list each schedule once"),
                );
                continue;
            }
            kinds.push(kind);
        }
        Some(kinds)
    }

    fn registry_credentials(&mut self, entry: &Entry) -> Option<RegistryCredentials> {
        // The password may be written in the table itself: mask it before anything is quoted.
        if let Value::Table(table) = &entry.node.value {
            if let Some(password) = table.get("password") {
                if let Value::String(_) = password.node.value {
                    password.node.at.file.redact(password.node.at.span.clone());
                }
            }
        }
        let table = self.table(entry, "registry_credentials")?;
        self.reject_unknown_keys(table, REGISTRY_KEYS, "in `registry_credentials`");
        let example = "write registry_credentials = { username = \"…\", password = { from_env = \"REGISTRY_TOKEN\" } }";
        let (Some(username_entry), Some(password_entry)) = (table.get("username"), table.get("password")) else {
            let missing = if table.contains_key("username") { "password" } else { "username" };
            self.push(
                Diagnostic::error(format!("`registry_credentials` has no `{missing}`"))
                    .at(entry.key_at.clone())
                    .label("incomplete")
                    .hint(example),
            );
            return None;
        };
        let username = self.text(username_entry, "registry_credentials.username")?;
        let password = match &password_entry.node.value {
            // A plain string is accepted, and always masked, like a sensitive literal.
            Value::String(text) => self.literal("password", password_entry, text.clone(), true)?,
            Value::Table(_) => self.variable_value("password", password_entry)?,
            other => {
                self.wrong_type(password_entry, "registry_credentials.password", VALUE_TYPES, other);
                return None;
            }
        };
        let password = match password {
            VariableValue::Generate { .. } => {
                self.push(
                    Diagnostic::error("a registry password cannot be generated")
                        .at(password_entry.node.at.clone())
                        .label("the registry issues it")
                        .hint(format!("read the registry's token from the environment: {example}")),
                );
                return None;
            }
            VariableValue::Literal { value, .. } => VariableValue::Literal { value, sensitive: true },
            other => other,
        };
        Some(RegistryCredentials { username, password, password_at: Some(password_entry.node.at.clone()) })
    }

    fn regions(&mut self, entry: &Entry) -> Option<BTreeMap<String, u64>> {
        let table = self.table(entry, "deploy.regions")?;
        let mut regions = BTreeMap::new();
        let ids: Vec<&str> = REGIONS.iter().map(|(id, _)| *id).collect();
        for (region, replicas_entry) in table {
            if !ids.contains(&region.as_str()) {
                let short = REGIONS.iter().find(|(_, cloud)| cloud == region).map(|(id, _)| *id);
                let hint = match short.or_else(|| did_you_mean(region, ids.iter().copied())) {
                    Some(id) => format!("did you mean `{id}`? Regions: {}", ids.join(", ")),
                    None => format!("Railway's regions: {}", ids.join(", ")),
                };
                self.push(
                    Diagnostic::error(format!("unknown region `{region}`"))
                        .at(replicas_entry.key_at.clone())
                        .label("not a Railway region")
                        .hint(hint),
                );
                continue;
            }
            let what = format!("deploy.regions.{region}");
            if let Some(replicas) = self.integer(replicas_entry, &what, 1, MAX_REPLICAS, "replicas") {
                regions.insert(region.clone(), replicas);
            }
        }
        let total: u64 = regions.values().sum();
        if total > MAX_REPLICAS as u64 {
            self.push(
                Diagnostic::error(format!("{total} replicas across regions; Railway runs at most {MAX_REPLICAS}"))
                    .at(entry.node.at.clone())
                    .label("too many replicas")
                    .hint(format!("bring the total down to {MAX_REPLICAS} or fewer")),
            );
        }
        Some(regions)
    }

    fn limits(&mut self, service: &str, entry: &Entry) -> Option<Limits> {
        let table = self.table(entry, "deploy.limits")?;
        self.reject_unknown_settings_keys(table, LIMITS_KEYS, "deploy.limits", service);
        let mut amount = |key: &str, unit: &str| -> Option<f64> {
            let entry = table.get(key)?;
            let value = match entry.node.value {
                Value::Integer(number) => number as f64,
                Value::Float(number) => number,
                ref other => {
                    self.wrong_type(entry, &format!("deploy.limits.{key}"), "a number", other);
                    return None;
                }
            };
            if !(value > 0.0 && value <= LIMIT_MAX) {
                self.push(
                    Diagnostic::error(format!("`{key}` is {value}, outside what Railway allows"))
                        .at(entry.node.at.clone())
                        .label("out of range")
                        .hint(format!("a limit is more than 0 and at most {LIMIT_MAX} {unit}")),
                );
                return None;
            }
            Some(value)
        };
        let vcpus = amount("vcpus", "vCPU");
        let memory_gb = amount("memory_gb", "GB");
        Some(Limits { vcpus, memory_gb })
    }

    fn commands(&mut self, entry: &Entry) -> Option<Vec<String>> {
        match &entry.node.value {
            Value::String(_) => self.text(entry, "deploy.pre_deploy_command").map(|command| vec![command]),
            Value::Array(_) => {
                let commands = self.strings(entry, "deploy.pre_deploy_command");
                let mut out = Vec::new();
                for (command, node) in commands {
                    if command.trim().is_empty() {
                        self.push(
                            Diagnostic::error("an empty command in `pre_deploy_command`")
                                .at(node.at.clone())
                                .hint("remove it, or write the command, as in \"npx prisma migrate deploy\""),
                        );
                        return None;
                    }
                    out.push(command);
                }
                Some(out)
            }
            other => {
                self.wrong_type(entry, "deploy.pre_deploy_command", "a string or an array of strings", other);
                None
            }
        }
    }

    fn healthcheck_path(&mut self, entry: &Entry) -> Option<String> {
        let path = self.text(entry, "deploy.healthcheck_path")?;
        if !path.starts_with('/') || path.chars().any(char::is_whitespace) {
            let hint = if path.starts_with("http://") || path.starts_with("https://") {
                "write the path only: Railway calls it on the deployment itself, as in \"/health\"".to_string()
            } else {
                format!("a healthcheck path starts with `/`, as in \"/{}\"", path.trim_start_matches('/').trim())
            };
            self.push(
                Diagnostic::error(format!("`healthcheck_path` `{path}` does not start with `/`"))
                    .at(entry.node.at.clone())
                    .label("not a path")
                    .hint(hint),
            );
            return None;
        }
        Some(path)
    }

    /// A port, 1–65535.
    fn port(&mut self, entry: &Entry, what: &str) -> Option<u16> {
        self.integer(entry, what, 1, 65_535, "a port").and_then(|port| u16::try_from(port).ok())
    }

    /// An integer from `low` to `high`; `unit` says what it counts, for the hint.
    fn integer(&mut self, entry: &Entry, what: &str, low: i64, high: i64, unit: &str) -> Option<u64> {
        match entry.node.value {
            Value::Integer(number) if (low..=high).contains(&number) => u64::try_from(number).ok(),
            Value::Integer(number) => {
                let conservative =
                    if high == TIMEOUT_MAX { " (Railway documents no limit; an hour is railform's)" } else { "" };
                self.push(
                    Diagnostic::error(format!("`{what}` is {number}, outside {low}–{high}"))
                        .at(entry.node.at.clone())
                        .label("out of range")
                        .hint(format!("use {low} to {high} {unit}{conservative}")),
                );
                None
            }
            ref other => {
                let expected = if unit == "a port" { "a port number" } else { "an integer" };
                self.wrong_type(entry, what, expected, other);
                None
            }
        }
    }

    /// A non-empty string without control characters.
    fn text(&mut self, entry: &Entry, what: &str) -> Option<String> {
        let text = self.string(entry, what)?;
        if text.trim().is_empty() {
            self.push(Diagnostic::error(format!("`{what}` is empty")).at(entry.node.at.clone()).label("empty").hint(
                format!("write a value, or remove `{}` to leave it unmanaged", what.rsplit('.').next().unwrap_or(what)),
            ));
            return None;
        }
        if text.contains('\0') {
            self.push(
                Diagnostic::error(format!("`{what}` contains a NUL character"))
                    .at(entry.node.at.clone())
                    .label("NUL")
                    .hint("remove the \\u0000"),
            );
            return None;
        }
        Some(text)
    }

    /// An array of non-empty strings.
    fn texts(&mut self, entry: &Entry, what: &str) -> Vec<String> {
        if let Value::String(_) = entry.node.value {
            self.wrong_type(entry, what, "an array of strings, as in [\"apps/api/**\"]", &entry.node.value);
            return Vec::new();
        }
        let items = self.strings(entry, what);
        let mut out = Vec::new();
        for (text, node) in items {
            if text.trim().is_empty() {
                self.push(
                    Diagnostic::error(format!("an empty string in `{what}`")).at(node.at.clone()).hint("remove it"),
                );
                continue;
            }
            out.push(text);
        }
        out
    }

    /// A version such as `0.7.0`.
    fn version(&mut self, entry: &Entry, what: &str) -> Option<String> {
        let version = self.text(entry, what)?;
        let valid = version.split('.').count() >= 2
            && version
                .split('.')
                .all(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'));
        if !valid {
            self.push(
                Diagnostic::error(format!("`{version}` is not a version"))
                    .at(entry.node.at.clone())
                    .label("expected MAJOR.MINOR.PATCH")
                    .hint("name a released version, as in \"0.7.0\""),
            );
            return None;
        }
        Some(version)
    }

    /// One of `choices`, by railform's lowercase name.
    pub(super) fn choice<T: Copy>(&mut self, entry: &Entry, what: &str, choices: &[(&str, T)]) -> Option<T> {
        let text = self.string(entry, what)?;
        if let Some((_, value)) = choices.iter().find(|(name, _)| *name == text) {
            return Some(*value);
        }
        let names: Vec<&str> = choices.iter().map(|(name, _)| *name).collect();
        let lowered = text.to_lowercase().replace('-', "_");
        let hint = match names.iter().find(|name| **name == lowered) {
            Some(name) => format!("railform writes it `\"{name}\"` (Railway's `{text}` in lowercase)"),
            None => match did_you_mean(&text, names.iter().copied()) {
                Some(close) => format!("did you mean \"{close}\"?"),
                None => {
                    format!("write one of: {}", names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", "))
                }
            },
        };
        self.push(
            Diagnostic::error(format!("unknown `{}` `{text}`", what.rsplit('.').next().unwrap_or(what)))
                .at(entry.node.at.clone())
                .label(format!("expected {}", names.join(", ")))
                .hint(hint),
        );
        None
    }

    /// Unknown keys of a settings table `here` (`build`, `deploy`…) of `service`, with
    /// railway.toml's spellings pointed at railform's.
    pub(super) fn reject_unknown_settings_keys(&mut self, table: &Table, allowed: &[&str], here: &str, service: &str) {
        let place = format!("in [services.{}.{here}]", toml_key(service));
        for (key, entry) in table {
            if allowed.contains(&key.as_str()) {
                continue;
            }
            let hint = railway_spelling_hint(key, Some(here), service).unwrap_or_else(|| {
                match did_you_mean(key, allowed.iter().copied()) {
                    Some(close) => format!("did you mean `{close}`?"),
                    None => format!("known keys here: {}", allowed.join(", ")),
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
}
