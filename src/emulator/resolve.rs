//! What Railway computes from stored variables: rendered values (references resolved
//! server-side, recursively, with cycle protection), the `RAILWAY_*` built-ins, an
//! environment's `config` JSON and its `configEtag`.
//!
//! Only Railway's `${{…}}` syntax is resolved (through [`refs::parse_railway`]); anything else,
//! `$<<…>>` included, is plain text to Railway.

use std::collections::BTreeMap;

use serde::Serialize;
use sha2::{Digest, Sha256};

use super::store::{Environment, InstanceSettings, Project, Refusal, Source, State, Variable};
use crate::refs::{self, Target};

/// Whose variables: the environment's shared ones, or one service's (by service id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Shared,
    Service(&'a str),
}

/// A variable after rendering: its value, or `None` when sealed and shown to an API reader.
pub type Rendered = BTreeMap<String, Option<String>>;

/// Renders variables of one environment.
pub struct Renderer<'s> {
    state: &'s State,
    project: &'s Project,
    environment: &'s Environment,
}

impl<'s> Renderer<'s> {
    pub fn new(state: &'s State, environment_id: &str) -> Result<Self, Refusal> {
        let environment = state.environment(environment_id)?;
        let project = state.project(&environment.project_id)?;
        Ok(Renderer { state, project, environment })
    }

    /// The raw variables of a scope (empty for a service with no instance here).
    pub fn raw(&self, scope: Scope<'_>) -> &'s BTreeMap<String, Variable> {
        static EMPTY: BTreeMap<String, Variable> = BTreeMap::new();
        match scope {
            Scope::Shared => &self.environment.shared_variables,
            Scope::Service(service_id) => {
                self.state.instance(&self.environment.id, service_id).map(|i| &i.variables).unwrap_or(&EMPTY)
            }
        }
    }

    /// Every variable of `scope`, rendered, plus the references that did not resolve
    /// (`Service.VAR`, `shared.VAR` or `VAR`, each once, in order of discovery).
    pub fn render_scope(&self, scope: Scope<'_>) -> (BTreeMap<String, String>, Vec<String>) {
        let mut unresolved = Vec::new();
        let mut rendered = BTreeMap::new();
        for (name, variable) in self.raw(scope) {
            let mut stack = vec![(scope, name.as_str())];
            rendered.insert(name.clone(), self.render_text(scope, &variable.value, &mut stack, &mut unresolved));
        }
        let mut seen = std::collections::HashSet::new();
        unresolved.retain(|target: &String| seen.insert(target.clone()));
        (rendered, unresolved)
    }

    /// `variables(…)` as the API shows it: rendered, or raw with `unrendered`; sealed as `null`.
    pub fn api_variables(&self, scope: Scope<'_>, unrendered: bool) -> Rendered {
        let raw = self.raw(scope);
        let rendered = if unrendered { BTreeMap::new() } else { self.render_scope(scope).0 };
        raw.iter()
            .map(|(name, variable)| {
                let value = match (variable.sealed, unrendered) {
                    (true, _) => None,
                    (false, true) => Some(variable.value.clone()),
                    (false, false) => rendered.get(name).cloned(),
                };
                (name.clone(), value)
            })
            .collect()
    }

    /// What a deployment of `service_id` sees: its variables rendered, then the built-ins.
    pub fn deployment_variables(&self, service_id: &str) -> BTreeMap<String, String> {
        let mut variables = self.builtins(service_id);
        variables.extend(self.render_scope(Scope::Service(service_id)).0);
        variables
    }

    /// Renders the references of `text`, written in `scope`. `stack` holds the variables being
    /// rendered, so a reference back into it (a cycle) stays unresolved instead of looping.
    fn render_text<'a>(
        &self,
        scope: Scope<'a>,
        text: &str,
        stack: &mut Vec<(Scope<'a>, &'a str)>,
        unresolved: &mut Vec<String>,
    ) -> String
    where
        's: 'a,
    {
        let mut found = Vec::new();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for reference in refs::parse_railway(text) {
            out.push_str(&text[copied..reference.range.start]);
            copied = reference.range.end;
            match self.value(scope, &reference.target, stack, unresolved) {
                Some(value) => out.push_str(&value),
                None => {
                    out.push_str(&text[reference.range.clone()]);
                    found.push(reference.target.to_string());
                }
            }
        }
        out.push_str(&text[copied..]);
        unresolved.extend(found);
        out
    }

    /// The value a reference in `scope` points at, rendered, or `None` when it does not resolve.
    fn value<'a>(
        &self,
        scope: Scope<'a>,
        target: &Target,
        stack: &mut Vec<(Scope<'a>, &'a str)>,
        unresolved: &mut Vec<String>,
    ) -> Option<String>
    where
        's: 'a,
    {
        let target_scope = match target {
            Target::Service { service, .. } => Scope::Service(self.service_here(service)?),
            Target::Shared { .. } => Scope::Shared,
            Target::Local { .. } => scope,
        };
        let Some((name, variable)) = self.raw(target_scope).get_key_value(target.var()) else {
            return self.builtin(target_scope, target.var());
        };
        if stack.contains(&(target_scope, name.as_str())) {
            return None;
        }
        stack.push((target_scope, name.as_str()));
        let value = self.render_text(target_scope, &variable.value, stack, unresolved);
        stack.pop();
        Some(value)
    }

    /// The id of the service named exactly `name` (case-sensitive) with an instance here.
    fn service_here(&self, name: &str) -> Option<&'s str> {
        let service = self.state.services_of(&self.project.id).find(|s| s.name == name)?;
        self.state.instance(&self.environment.id, &service.id).ok()?;
        Some(service.id.as_str())
    }

    fn builtin(&self, scope: Scope<'_>, name: &str) -> Option<String> {
        match scope {
            Scope::Shared => self.environment_builtins().remove(name),
            Scope::Service(service_id) => self.builtins(service_id).remove(name),
        }
    }

    fn environment_builtins(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("RAILWAY_PROJECT_NAME".into(), self.project.name.clone()),
            ("RAILWAY_PROJECT_ID".into(), self.project.id.clone()),
            ("RAILWAY_ENVIRONMENT_NAME".into(), self.environment.name.clone()),
            ("RAILWAY_ENVIRONMENT".into(), self.environment.name.clone()),
            ("RAILWAY_ENVIRONMENT_ID".into(), self.environment.id.clone()),
        ])
    }

    /// The `RAILWAY_*` variables Railway provides to a service instance.
    pub fn builtins(&self, service_id: &str) -> BTreeMap<String, String> {
        let mut builtins = self.environment_builtins();
        let Ok(service) = self.state.service(service_id) else { return builtins };
        let service_slug = slug(&service.name);
        let public_host = format!("{service_slug}-{}", slug(&self.environment.name));
        builtins.extend([
            ("RAILWAY_SERVICE_NAME".into(), service.name.clone()),
            ("RAILWAY_SERVICE_ID".into(), service.id.clone()),
            ("RAILWAY_PRIVATE_DOMAIN".into(), format!("{service_slug}.railway.internal")),
            ("RAILWAY_PUBLIC_DOMAIN".into(), format!("{public_host}.up.railway.app")),
            ("RAILWAY_TCP_PROXY_DOMAIN".into(), format!("{public_host}.proxy.rlwy.net")),
            ("RAILWAY_TCP_PROXY_PORT".into(), tcp_proxy_port(&self.environment.id, service_id).to_string()),
        ]);
        if let Some(mount) = self.state.volume_instance_of(&self.environment.id, service_id) {
            if let Ok(volume) = self.state.volume(&mount.volume_id) {
                builtins.insert("RAILWAY_VOLUME_NAME".into(), volume.name.clone());
            }
            builtins.insert("RAILWAY_VOLUME_MOUNT_PATH".into(), mount.mount_path.clone());
            builtins.insert("RAILWAY_VOLUME_ID".into(), mount.volume_id.clone());
        }
        builtins
    }
}

/// A DNS-safe form of a name: lowercase letters, digits and `-`.
pub fn slug(name: &str) -> String {
    let dashed: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    dashed.trim_matches('-').to_string()
}

/// A stable port in 10000..60000 for an instance's TCP proxy.
fn tcp_proxy_port(environment_id: &str, service_id: &str) -> u32 {
    let digest = Sha256::digest(format!("{environment_id}/{service_id}"));
    10_000 + u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 50_000
}

/// How much of the variable values a config shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reveal {
    /// Keys only (`decryptVariables` not true).
    Names,
    /// Values of non-sealed variables (`decryptVariables: true`).
    Values,
    /// Sealed values too: only for computing the etag, never shown.
    Everything,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Config {
    services: BTreeMap<String, ServiceConfig>,
    shared_variables: BTreeMap<String, VariableConfig>,
    volumes: BTreeMap<String, VolumeConfig>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct ServiceConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    source: Option<Source>,
    variables: BTreeMap<String, VariableConfig>,
    volume_mounts: BTreeMap<String, MountConfig>,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct VariableConfig {
    #[serde(skip_serializing_if = "Option::is_none")]
    value: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    is_sealed: bool,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct MountConfig {
    mount_path: String,
}

#[derive(Debug, Serialize)]
struct VolumeConfig {
    name: String,
}

fn variable_configs(variables: &BTreeMap<String, Variable>, reveal: Reveal) -> BTreeMap<String, VariableConfig> {
    variables
        .iter()
        .map(|(name, variable)| {
            let shown = match reveal {
                Reveal::Names => false,
                Reveal::Values => !variable.sealed,
                Reveal::Everything => true,
            };
            let config = VariableConfig { value: shown.then(|| variable.value.clone()), is_sealed: variable.sealed };
            (name.clone(), config)
        })
        .collect()
}

fn config(state: &State, environment: &Environment, reveal: Reveal) -> Config {
    let mut services = BTreeMap::new();
    for instance in state.instances_in(&environment.id) {
        let volume_mounts = state
            .volume_instance_of(&environment.id, &instance.service_id)
            .map(|mount| (mount.volume_id.clone(), MountConfig { mount_path: mount.mount_path.clone() }))
            .into_iter()
            .collect();
        let service = ServiceConfig {
            source: instance.source.clone(),
            variables: variable_configs(&instance.variables, reveal),
            volume_mounts,
        };
        services.insert(instance.service_id.clone(), service);
    }
    let volumes = state
        .volume_instances_in(&environment.id)
        .filter_map(|mount| state.volume(&mount.volume_id).ok())
        .map(|volume| (volume.id.clone(), VolumeConfig { name: volume.name.clone() }))
        .collect();
    Config { services, shared_variables: variable_configs(&environment.shared_variables, reveal), volumes }
}

/// `environment.config(decryptVariables)`: the environment as JSON maps keyed by ids.
pub fn config_json(state: &State, environment_id: &str, decrypt: bool) -> Result<serde_json::Value, Refusal> {
    let environment = state.environment(environment_id)?;
    let reveal = if decrypt { Reveal::Values } else { Reveal::Names };
    serde_json::to_value(config(state, environment, reveal)).map_err(|error| Refusal::new(error.to_string()))
}

/// `environment.configEtag`: a hash of everything in the environment a plan depends on (the
/// config with every value, the names of its services, its instances' settings), so it changes
/// exactly when one of those does.
pub fn config_etag(state: &State, environment_id: &str) -> Result<String, Refusal> {
    #[derive(Serialize)]
    struct EtagInput<'a> {
        config: Config,
        service_names: BTreeMap<&'a str, &'a str>,
        settings: BTreeMap<&'a str, &'a InstanceSettings>,
    }
    let environment = state.environment(environment_id)?;
    let instances: Vec<_> = state.instances_in(environment_id).collect();
    let service_names = instances
        .iter()
        .filter_map(|i| state.service(&i.service_id).ok())
        .map(|s| (s.id.as_str(), s.name.as_str()))
        .collect();
    let settings = instances.iter().map(|i| (i.service_id.as_str(), &i.settings)).collect();
    let input = EtagInput { config: config(state, environment, Reveal::Everything), service_names, settings };
    let bytes = serde_json::to_vec(&input).map_err(|error| Refusal::new(error.to_string()))?;
    let digest = Sha256::digest(bytes);
    Ok(digest.iter().take(16).map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::{Instance, Service};

    fn state_with(variables: &[(&str, &str, &str)]) -> State {
        let mut state = State::default();
        state.projects.push(Project {
            id: "p".into(),
            name: "shop".into(),
            description: None,
            created_at: String::new(),
        });
        state.environments.push(Environment {
            id: "e".into(),
            project_id: "p".into(),
            name: "production".into(),
            created_at: String::new(),
            shared_variables: BTreeMap::from([("REGION".into(), Variable::new("eu"))]),
        });
        for service in ["api", "Postgres DB"] {
            state.services.push(Service {
                id: service.into(),
                project_id: "p".into(),
                name: service.into(),
                icon: None,
                created_at: String::new(),
            });
            state.instances.push(Instance {
                id: format!("i-{service}"),
                service_id: service.into(),
                environment_id: "e".into(),
                source: None,
                settings: InstanceSettings::default(),
                variables: BTreeMap::new(),
            });
        }
        for (service, name, value) in variables {
            state.instance_mut("e", service).unwrap().variables.insert((*name).into(), Variable::new(*value));
        }
        state
    }

    #[test]
    fn renders_service_shared_local_and_builtin_references_recursively() {
        let state = state_with(&[
            ("Postgres DB", "USER", "pg"),
            ("Postgres DB", "URL", "postgres://${{USER}}@${{ RAILWAY_PRIVATE_DOMAIN }}:5432"),
            ("api", "DATABASE_URL", "${{Postgres DB.URL}}?region=${{shared.REGION}}"),
            ("api", "MISSING", "${{postgres db.URL}} ${{Nope.X}} $<<Postgres DB.URL>>"),
        ]);
        let renderer = Renderer::new(&state, "e").unwrap();
        let (api, unresolved) = renderer.render_scope(Scope::Service("api"));
        assert_eq!(api["DATABASE_URL"], "postgres://pg@postgres-db.railway.internal:5432?region=eu");
        assert_eq!(api["MISSING"], "${{postgres db.URL}} ${{Nope.X}} $<<Postgres DB.URL>>");
        assert_eq!(unresolved, ["postgres db.URL", "Nope.X"]);
    }

    #[test]
    fn cycles_stay_unresolved_instead_of_looping() {
        let state = state_with(&[("api", "A", "${{B}}"), ("api", "B", "x${{A}}")]);
        let renderer = Renderer::new(&state, "e").unwrap();
        let (api, unresolved) = renderer.render_scope(Scope::Service("api"));
        assert_eq!(api["A"], "x${{A}}");
        assert_eq!(unresolved, ["A", "B"]);
    }

    #[test]
    fn etag_changes_with_the_environment_and_only_then() {
        let mut state = state_with(&[("api", "A", "1")]);
        let before = config_etag(&state, "e").unwrap();
        assert_eq!(before, config_etag(&state, "e").unwrap());
        state.instance_mut("e", "api").unwrap().variables.insert("A".into(), Variable::new("2"));
        let after_value = config_etag(&state, "e").unwrap();
        assert_ne!(before, after_value);
        state.services[0].name = "web".into();
        assert_ne!(after_value, config_etag(&state, "e").unwrap());
    }

    #[test]
    fn config_hides_values_unless_decrypted_and_always_hides_sealed_ones() {
        let mut state = state_with(&[("api", "A", "1")]);
        state
            .instance_mut("e", "api")
            .unwrap()
            .variables
            .insert("S".into(), Variable { value: "s".into(), sealed: true });
        let hidden = config_json(&state, "e", false).unwrap();
        assert_eq!(hidden["services"]["api"]["variables"], serde_json::json!({"A": {}, "S": {"isSealed": true}}));
        let shown = config_json(&state, "e", true).unwrap();
        assert_eq!(shown["services"]["api"]["variables"]["A"]["value"], "1");
        assert_eq!(shown["services"]["api"]["variables"]["S"], serde_json::json!({"isSealed": true}));
        assert_eq!(shown["sharedVariables"]["REGION"]["value"], "eu");
    }
}
