//! Checks of networking that need the whole model: a custom domain claimed twice, and a
//! reference that resolves to a public endpoint (`RAILWAY_PUBLIC_DOMAIN`,
//! `RAILWAY_TCP_PROXY_*`) of a service that has none in that environment, which would deploy
//! broken (Railway leaves the reference unresolved).
//!
//! The rule for the second: a service's endpoints are known only when the files say what they
//! are, that is when its merged table has a `[networking]` table (written by the user or by its
//! template), or when it comes from a database template (`postgres`, `mysql`, `mongo`, `redis`,
//! `pgbouncer`), whose `public` param is the one way the files give it a TCP proxy: without it,
//! the database has none. Any other service without `[networking]` may have domains and proxies
//! made in the dashboard, which the files cannot see: references to it are not checked. The check follows references through
//! variables (`$<<db.DATABASE_PUBLIC_URL>>` reads `DATABASE_PUBLIC_URL`, which reads
//! `RAILWAY_TCP_PROXY_DOMAIN`), and reports at the reference a user wrote; a template's own
//! variables (Postgres's `DATABASE_PUBLIC_URL` on a private database) are Railway's, dormant
//! until someone refers to them, and are not reported themselves.

use std::collections::{BTreeMap, BTreeSet};

use super::{declared_variables, locate_in_string, Owner};
use crate::config::model::{Environment, Model, Service};
use crate::diag::{Diagnostic, Location};
use crate::refs::{self, Target};

/// The public endpoints a built-in variable needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Endpoint {
    /// A generated or custom domain: `RAILWAY_PUBLIC_DOMAIN`, `RAILWAY_STATIC_URL`.
    Domain,
    /// A TCP proxy: `RAILWAY_TCP_PROXY_DOMAIN`, `RAILWAY_TCP_PROXY_PORT`,
    /// `RAILWAY_TCP_APPLICATION_PORT`.
    TcpProxy,
}

fn endpoint_of(builtin: &str) -> Option<Endpoint> {
    match builtin {
        "RAILWAY_PUBLIC_DOMAIN" | "RAILWAY_STATIC_URL" => Some(Endpoint::Domain),
        "RAILWAY_TCP_PROXY_DOMAIN" | "RAILWAY_TCP_PROXY_PORT" | "RAILWAY_TCP_APPLICATION_PORT" => {
            Some(Endpoint::TcpProxy)
        }
        _ => None,
    }
}

/// A custom domain claimed by two services (in one environment or in two: a domain points at one
/// service instance on the internet).
pub(super) fn check_domains(model: &Model, diagnostics: &mut Vec<Diagnostic>) {
    let mut claimed: BTreeMap<&str, (&Environment, &Service)> = BTreeMap::new();
    for environment in model.every_environment() {
        for service in environment.services.values().filter(|s| !s.delete) {
            let Some(networking) = &service.settings.networking else { continue };
            for custom in &networking.custom_domains {
                let Some((first_env, first_service)) = claimed.get(custom.domain.as_str()) else {
                    claimed.insert(&custom.domain, (environment, service));
                    continue;
                };
                let at = domain_location(service, &custom.domain);
                let first_at = domain_location(first_service, &custom.domain);
                let same_place = match (&at, &first_at) {
                    (Some(a), Some(b)) => a.file.path == b.file.path && a.span == b.span,
                    _ => false,
                };
                let hint = if environment.preview.is_some() || first_env.preview.is_some() {
                    "a preview cannot take a domain another environment has: override `custom_domains` in the \
                     preview file (`custom_domains = []`)"
                        .to_string()
                } else if same_place {
                    "a domain points at one service in one environment: declare it in that environment's file, \
                     not in a base every environment extends"
                        .to_string()
                } else {
                    "a domain points at one service in one environment: keep one claim (a subdomain per environment, \
                     as in staging.api.acme.com, for the others)"
                        .to_string()
                };
                let mut diagnostic = Diagnostic::error(format!(
                    "custom domain `{}` is claimed by {}/{} and {}/{}",
                    custom.domain, first_env.name, first_service.name, environment.name, service.name
                ))
                .at_opt(at)
                .label("second claim")
                .hint(hint);
                if let Some(first_at) = first_at.filter(|_| !same_place) {
                    diagnostic = diagnostic.note_at(first_at, "first claim");
                }
                diagnostics.push(diagnostic);
            }
        }
    }
}

/// Where `domain` is written in `service`'s networking (its string in the file), if found.
fn domain_location(service: &Service, domain: &str) -> Option<Location> {
    service.custom_domains_at.get(domain).cloned()
}

/// References that resolve to an endpoint their service does not have in `environment`.
pub(super) fn check_endpoints(environment: &Environment, diagnostics: &mut Vec<Diagnostic>) {
    let mut resolver = Resolver { environment, memo: BTreeMap::new(), visiting: BTreeSet::new() };
    for (owner, name, variable) in declared_variables(environment) {
        if variable.at.file.is_template() {
            continue;
        }
        let Some(text) = variable.value.literal() else { continue };
        let Ok(references) = refs::parse(text) else { continue };
        for reference in references {
            let missing = resolver.missing(&owner, &reference.target);
            let Some((service, endpoint, builtin)) = missing.into_iter().next() else { continue };
            let what = match endpoint {
                Endpoint::Domain => "a public domain",
                Endpoint::TcpProxy => "a TCP proxy",
            };
            let reads = if reference.target.var() == builtin {
                format!("`{}`", reference.target)
            } else {
                format!("`{}` reads `{builtin}`, which", reference.target)
            };
            let target = environment.services.get(&service);
            let hint = match (endpoint, target.and_then(|s| s.template.as_deref())) {
                (Endpoint::TcpProxy, Some(template)) if PUBLIC_TEMPLATES.contains(&template) => format!(
                    "make `{service}` public in this environment (params = {{ public = true }} on the {template} \
                     template), or refer to its private URL"
                ),
                (Endpoint::TcpProxy, _) => format!(
                    "expose a port of `{service}`: tcp_proxy = [PORT] in [services.{service}.networking], or refer \
                     to its private domain (RAILWAY_PRIVATE_DOMAIN)"
                ),
                (Endpoint::Domain, _) => format!(
                    "give `{service}` a domain: railway_domain = true (or a custom domain) in \
                     [services.{service}.networking], or refer to its private domain (RAILWAY_PRIVATE_DOMAIN)"
                ),
            };
            diagnostics.push(
                Diagnostic::error(format!(
                    "in `{name}`: {reads} needs {what} on `{service}`, and `{service}` has none in environment `{}`",
                    environment.name
                ))
                .at(locate_in_string(&variable.at, text, reference.range.clone()))
                .label(format!("would deploy unresolved: `{service}` has no {}", short(endpoint)))
                .hint(hint),
            );
        }
    }
}

/// Templates whose `public` param adds the TCP proxy their `*_PUBLIC_URL` needs.
const PUBLIC_TEMPLATES: &[&str] = &["postgres", "mysql", "mongo", "redis", "pgbouncer"];

fn short(endpoint: Endpoint) -> &'static str {
    match endpoint {
        Endpoint::Domain => "domain",
        Endpoint::TcpProxy => "TCP proxy",
    }
}

/// What a variable resolves to, in terms of missing endpoints: (service, endpoint, built-in).
type Missing = Vec<(String, Endpoint, String)>;

struct Resolver<'e> {
    environment: &'e Environment,
    /// (service or `None` for shared, variable) → what it reaches.
    memo: BTreeMap<(Option<String>, String), Missing>,
    /// Variables being resolved, so that cycles (reported elsewhere) end.
    visiting: BTreeSet<(Option<String>, String)>,
}

impl Resolver<'_> {
    /// The missing endpoints `target`, read from a variable of `owner`, resolves to.
    fn missing(&mut self, owner: &Owner<'_>, target: &Target) -> Missing {
        let environment = self.environment;
        match target {
            Target::Shared { var } => self.variable(None, var),
            Target::Local { var } => match owner {
                Owner::Shared => Vec::new(),
                Owner::Service(service) => self.service_variable(service, var),
            },
            Target::Service { service, var } => {
                if environment.services.get(service).is_some_and(|s| !s.delete) {
                    self.service_variable(service, var)
                } else {
                    Vec::new()
                }
            }
        }
    }

    fn service_variable(&mut self, service: &str, var: &str) -> Missing {
        let Some(declared) = self.environment.services.get(service) else { return Vec::new() };
        if declared.variables.contains_key(var) {
            return self.variable(Some(service), var);
        }
        match endpoint_of(var) {
            Some(endpoint) if !has(declared, endpoint) => vec![(service.to_string(), endpoint, var.to_string())],
            _ => Vec::new(),
        }
    }

    fn variable(&mut self, service: Option<&str>, var: &str) -> Missing {
        let key = (service.map(str::to_string), var.to_string());
        if let Some(known) = self.memo.get(&key) {
            return known.clone();
        }
        if !self.visiting.insert(key.clone()) {
            return Vec::new();
        }
        let environment = self.environment;
        let variable = match service {
            Some(service) => environment.services.get(service).and_then(|s| s.variables.get(var)),
            None => environment.shared.get(var),
        };
        let owner = match service {
            Some(service) => Owner::Service(service),
            None => Owner::Shared,
        };
        let mut missing = Vec::new();
        if let Some(text) = variable.and_then(|v| v.value.literal()) {
            for reference in refs::parse_lenient(text) {
                for found in self.missing(&owner, &reference.target) {
                    if !missing.contains(&found) {
                        missing.push(found);
                    }
                }
            }
        }
        self.visiting.remove(&key);
        self.memo.insert(key, missing.clone());
        missing
    }
}

/// True when `service` has `endpoint`, or when the files cannot know (no `[networking]`). A
/// database template without `public` writes no `[networking]` and means no TCP proxy.
fn has(service: &Service, endpoint: Endpoint) -> bool {
    let Some(networking) = &service.settings.networking else {
        let private_database = service.template.as_deref().is_some_and(|t| PUBLIC_TEMPLATES.contains(&t));
        return !(endpoint == Endpoint::TcpProxy && private_database);
    };
    match endpoint {
        Endpoint::Domain => networking.railway_domain.is_some() || !networking.custom_domains.is_empty(),
        Endpoint::TcpProxy => !networking.tcp_proxy.is_empty(),
    }
}
