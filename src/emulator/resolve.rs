//! What Railway computes from stored variables: rendered values (references resolved
//! server-side, recursively, with cycle protection) and the `RAILWAY_*` built-ins.
//!
//! Only Railway's `${{…}}` syntax is resolved (through [`refs::parse_railway`]); anything else,
//! `$<<…>>` included, is plain text to Railway.

use std::collections::BTreeMap;

use super::store::{Environment, Project, Refusal, State, Variable};
use crate::refs::{self, Target};

/// Whose variables: the environment's shared ones, or one service's (by service id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    Shared,
    Service(&'a str),
}

/// A variable after rendering: its value, or `None` when sealed and shown to an API reader.
pub type Rendered = BTreeMap<String, Option<String>>;

/// The `RAILWAY_*` variables Railway provides only once the instance has what they describe (a
/// service domain, a TCP proxy, a volume). A reference to one of them that does not resolve yet
/// is "not provided yet", not dangling: Railway's own Postgres template references the TCP
/// proxy before anyone created one.
pub const CONDITIONAL_BUILTINS: [&str; 7] = [
    "RAILWAY_PUBLIC_DOMAIN",
    "RAILWAY_TCP_PROXY_DOMAIN",
    "RAILWAY_TCP_PROXY_PORT",
    "RAILWAY_TCP_APPLICATION_PORT",
    "RAILWAY_VOLUME_NAME",
    "RAILWAY_VOLUME_MOUNT_PATH",
    "RAILWAY_VOLUME_ID",
];

/// One scope's variables rendered, with what did not resolve.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RenderedScope {
    pub values: BTreeMap<String, String>,
    /// Every reference that did not resolve (`Service.VAR`, `shared.VAR` or `VAR`), each once, in
    /// order of discovery.
    pub unresolved: Vec<String>,
    /// Those of [`unresolved`](Self::unresolved) that dangle: a service with no instance here,
    /// a variable nobody defined, a cycle. Everything but a [`CONDITIONAL_BUILTINS`] variable of
    /// an instance that does not have it yet. A deployment holding one ends `FAILED`.
    pub dangling: Vec<String>,
}

/// References that did not resolve while rendering.
#[derive(Debug, Default)]
struct Misses {
    all: Vec<String>,
    dangling: Vec<String>,
}

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
        let rendered = self.render_checked(scope);
        (rendered.values, rendered.unresolved)
    }

    /// Every variable of `scope`, rendered, with the references that did not resolve and
    /// those of them that dangle.
    pub fn render_checked(&self, scope: Scope<'_>) -> RenderedScope {
        let mut misses = Misses::default();
        let mut values = BTreeMap::new();
        for (name, variable) in self.raw(scope) {
            let mut stack = vec![(scope, name.as_str())];
            values.insert(name.clone(), self.render_text(scope, &variable.value, &mut stack, &mut misses));
        }
        let once = |mut targets: Vec<String>| {
            let mut seen = std::collections::HashSet::new();
            targets.retain(|target: &String| seen.insert(target.clone()));
            targets
        };
        RenderedScope { values, unresolved: once(misses.all), dangling: once(misses.dangling) }
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

    /// `variablesForServiceDeployment` as the API shows it: [`deployment_variables`](Self::deployment_variables)
    /// with the service's sealed variables as `null` (they are set, but nobody reads them back).
    pub fn api_deployment_variables(&self, service_id: &str) -> Rendered {
        let raw = self.raw(Scope::Service(service_id));
        self.deployment_variables(service_id)
            .into_iter()
            .map(|(name, value)| {
                let sealed = raw.get(&name).is_some_and(|variable| variable.sealed);
                (name, (!sealed).then_some(value))
            })
            .collect()
    }

    /// Renders the references of `text`, written in `scope`. `stack` holds the variables being
    /// rendered, so a reference back into it (a cycle) stays unresolved instead of looping.
    fn render_text<'a>(
        &self,
        scope: Scope<'a>,
        text: &str,
        stack: &mut Vec<(Scope<'a>, &'a str)>,
        misses: &mut Misses,
    ) -> String
    where
        's: 'a,
    {
        let mut found = Vec::new();
        let mut dangling = Vec::new();
        let mut out = String::with_capacity(text.len());
        let mut copied = 0;
        for reference in refs::parse_railway(text) {
            out.push_str(&text[copied..reference.range.start]);
            copied = reference.range.end;
            match self.value(scope, &reference.target, stack, misses) {
                Some(value) => out.push_str(&value),
                None => {
                    out.push_str(&text[reference.range.clone()]);
                    found.push(reference.target.to_string());
                    if !self.not_provided_yet(scope, &reference.target) {
                        dangling.push(reference.target.to_string());
                    }
                }
            }
        }
        out.push_str(&text[copied..]);
        misses.all.extend(found);
        misses.dangling.extend(dangling);
        out
    }

    /// True when `target`, unresolved in `scope`, is a [`CONDITIONAL_BUILTINS`] variable of a
    /// service instance here that does not have what it describes yet (and no variable of that
    /// name shadows it).
    fn not_provided_yet(&self, scope: Scope<'_>, target: &Target) -> bool {
        let target_scope = match target {
            Target::Service { service, .. } => match self.service_here(service) {
                Some(service_id) => Scope::Service(service_id),
                None => return false,
            },
            Target::Shared { .. } => return false,
            Target::Local { .. } => scope,
        };
        matches!(target_scope, Scope::Service(_))
            && CONDITIONAL_BUILTINS.contains(&target.var())
            && !self.raw(target_scope).contains_key(target.var())
    }

    /// The value a reference in `scope` points at, rendered, or `None` when it does not resolve.
    fn value<'a>(
        &self,
        scope: Scope<'a>,
        target: &Target,
        stack: &mut Vec<(Scope<'a>, &'a str)>,
        misses: &mut Misses,
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
        let value = self.render_text(target_scope, &variable.value, stack, misses);
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

    /// The `RAILWAY_*` variables Railway provides to a service instance: the public domain
    /// only when the instance has a service domain, the TCP proxy ones only when it has a TCP
    /// proxy, the volume ones only with a volume.
    pub fn builtins(&self, service_id: &str) -> BTreeMap<String, String> {
        let mut builtins = self.environment_builtins();
        let Ok(service) = self.state.service(service_id) else { return builtins };
        let environment_id = self.environment.id.as_str();
        let endpoint = self
            .state
            .instance(environment_id, service_id)
            .ok()
            .and_then(|instance| instance.private_network_endpoint.clone())
            .unwrap_or_else(|| slug(&service.name));
        builtins.extend([
            ("RAILWAY_SERVICE_NAME".into(), service.name.clone()),
            ("RAILWAY_SERVICE_ID".into(), service.id.clone()),
            ("RAILWAY_PRIVATE_DOMAIN".into(), format!("{endpoint}.railway.internal")),
        ]);
        if let Some(domain) = self.state.service_domains_of(environment_id, service_id).next() {
            builtins.insert("RAILWAY_PUBLIC_DOMAIN".into(), domain.domain.clone());
        }
        if let Some(proxy) = self.state.tcp_proxies_of(environment_id, service_id).next() {
            builtins.insert("RAILWAY_TCP_PROXY_DOMAIN".into(), proxy.domain.clone());
            builtins.insert("RAILWAY_TCP_PROXY_PORT".into(), proxy.proxy_port.to_string());
            builtins.insert("RAILWAY_TCP_APPLICATION_PORT".into(), proxy.application_port.to_string());
        }
        if let Some(mount) = self.state.volume_instance_of(environment_id, service_id) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::fixture;

    #[test]
    fn renders_service_shared_local_and_builtin_references_recursively() {
        let state = fixture(&[
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
    fn only_references_to_what_does_not_exist_dangle() {
        let state = fixture(&[
            ("Postgres DB", "PUBLIC", "${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}"),
            ("api", "DB", "${{Postgres DB.PUBLIC}}"),
            ("api", "HOST", "${{RAILWAY_PUBLIC_DOMAIN}} ${{Postgres DB.RAILWAY_VOLUME_MOUNT_PATH}}"),
            ("api", "BROKEN", "${{Nope.RAILWAY_PUBLIC_DOMAIN}} ${{shared.RAILWAY_PUBLIC_DOMAIN}} ${{MISSING}}"),
            ("api", "A", "${{B}}"),
            ("api", "B", "${{A}}"),
        ]);
        let rendered = Renderer::new(&state, "e").unwrap().render_checked(Scope::Service("api"));
        assert_eq!(rendered.unresolved.len(), 9, "{rendered:?}");
        assert_eq!(
            rendered.dangling,
            ["A", "B", "Nope.RAILWAY_PUBLIC_DOMAIN", "shared.RAILWAY_PUBLIC_DOMAIN", "MISSING"]
        );
    }

    #[test]
    fn cycles_stay_unresolved_instead_of_looping() {
        let state = fixture(&[("api", "A", "${{B}}"), ("api", "B", "x${{A}}")]);
        let renderer = Renderer::new(&state, "e").unwrap();
        let (api, unresolved) = renderer.render_scope(Scope::Service("api"));
        assert_eq!(api["A"], "x${{A}}");
        assert_eq!(unresolved, ["A", "B"]);
    }

    #[test]
    fn public_domain_and_tcp_proxy_resolve_only_when_they_exist() {
        let mut state = fixture(&[("api", "URL", "https://${{RAILWAY_PUBLIC_DOMAIN}} ${{RAILWAY_TCP_PROXY_DOMAIN}}")]);
        let unresolved = |state: &State| Renderer::new(state, "e").unwrap().render_scope(Scope::Service("api")).1;
        assert_eq!(unresolved(&state), ["RAILWAY_PUBLIC_DOMAIN", "RAILWAY_TCP_PROXY_DOMAIN"]);
        state.service_domains.push(crate::emulator::store::ServiceDomain {
            id: "d".into(),
            environment_id: "e".into(),
            service_id: "api".into(),
            domain: "api-production.up.railway.app".into(),
            target_port: Some(8080),
            created_at: String::new(),
            updated_at: String::new(),
        });
        assert_eq!(unresolved(&state), ["RAILWAY_TCP_PROXY_DOMAIN"]);
        let rendered = Renderer::new(&state, "e").unwrap().render_scope(Scope::Service("api")).0;
        assert!(rendered["URL"].starts_with("https://api-production.up.railway.app "));
    }
}
