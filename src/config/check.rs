//! Checks that need the whole model: every reference names a declared service and variable,
//! references form no cycle, and renames agree across the environment files of a project
//! (service names are project-wide in Railway).

use std::collections::{BTreeMap, BTreeSet};

use super::model::{by_project, Environment, Model, Service, Variable, RAILWAY_BUILTINS};
use crate::diag::{did_you_mean, Diagnostic, Location};
use crate::refs::{self, graph::find_cycles, Target};

mod networking;

/// Appends a diagnostic for every problem in `model`.
pub fn check(model: &Model, diagnostics: &mut Vec<Diagnostic>) {
    for environment in model.every_environment() {
        check_references(environment, diagnostics);
        check_cycles(environment, diagnostics);
        check_renames_in_environment(environment, diagnostics);
        networking::check_endpoints(environment, diagnostics);
    }
    networking::check_domains(model, diagnostics);
    for (_, environments) in model.projects() {
        check_environment_names(&environments, diagnostics);
    }
    // A preview is checked with its project's environments: it shares their services.
    for (_, environments) in by_project(model.every_environment()) {
        check_renames_across_environments(&environments, diagnostics);
        check_pinned_ids(&environments, diagnostics);
        check_tombstones(&environments, diagnostics);
        check_one_preview(&environments, diagnostics);
    }
}

/// A project has at most one preview file: `preview up` must know which one to apply.
fn check_one_preview(environments: &[&Environment], diagnostics: &mut Vec<Diagnostic>) {
    let previews: Vec<&&Environment> = environments.iter().filter(|e| e.preview.is_some()).collect();
    let Some((first, others)) = previews.split_first() else { return };
    for other in others {
        diagnostics.push(
            Diagnostic::error(format!(
                "project {} has two preview files: {} and {}",
                other.project, first.file, other.file
            ))
            .at(other.at.clone())
            .label("second preview file")
            .note_at(first.at.clone(), "first preview file")
            .hint("a project has one preview file (`environment = { preview = true }`): merge them"),
        );
    }
}

/// A variable's owner inside one environment: a service, or the shared variables.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Owner<'a> {
    Shared,
    Service(&'a str),
}

/// Every declared variable of an environment with its owner, in a stable order.
fn declared_variables(environment: &Environment) -> Vec<(Owner<'_>, &str, &Variable)> {
    let shared = environment.shared.iter().map(|(name, variable)| (Owner::Shared, name.as_str(), variable));
    let services = environment.services.values().filter(|service| !service.delete).flat_map(|service| {
        service.variables.iter().map(move |(name, variable)| (Owner::Service(&service.name), name.as_str(), variable))
    });
    shared.chain(services).collect()
}

/// ` in environment `NAME``, for a message about something written in the environment file
/// itself; nothing for something written in a base, which every environment extending it would
/// otherwise report again (the base is fixed once, at its own line).
fn in_environment(environment: &Environment, at: &Location) -> String {
    if at.file.path == environment.file {
        format!(" in environment `{}`", environment.name)
    } else {
        String::new()
    }
}

fn check_references(environment: &Environment, diagnostics: &mut Vec<Diagnostic>) {
    for (owner, name, variable) in declared_variables(environment) {
        let Some(text) = variable.value.literal() else { continue };
        match refs::parse(text) {
            Err(error) => diagnostics.push(
                Diagnostic::error(format!("in `{name}`: {error}"))
                    .at(locate_in_string(&variable.at, text, error.range.clone()))
                    .label("malformed reference")
                    .hint(error.hint),
            ),
            Ok(references) => {
                let scope = in_environment(environment, &variable.at);
                for reference in references {
                    if let Some(problem) = check_target(environment, &scope, &owner, &reference.target) {
                        let (message, hint) = problem;
                        diagnostics.push(
                            Diagnostic::error(format!("in `{name}`: {message}"))
                                .at(locate_in_string(&variable.at, text, reference.range.clone()))
                                .label(format!("`{}` cannot be resolved", reference.target))
                                .hint(hint),
                        );
                    }
                }
            }
        }
    }
}

/// What is wrong with a reference target, as (message, hint), or `None` when it resolves.
fn check_target(
    environment: &Environment,
    scope: &str,
    owner: &Owner<'_>,
    target: &Target,
) -> Option<(String, String)> {
    match target {
        Target::Shared { var } => {
            if environment.shared.contains_key(var) {
                return None;
            }
            let hint = match did_you_mean(var, environment.shared.keys().map(String::as_str)) {
                Some(close) => format!("did you mean `$<<shared.{close}>>`?"),
                None => format!("declare `{var}` under [shared] in environment `{}`", environment.name),
            };
            Some((format!("unknown shared variable `{var}`"), hint))
        }
        Target::Local { var } => match owner {
            Owner::Shared => Some((
                format!("`$<<{var}>>` in a shared variable has no service to refer to"),
                "name the service, as in $<<platform-db.DATABASE_URL>>, or a shared variable with $<<shared.NAME>>"
                    .to_string(),
            )),
            Owner::Service(service) => {
                let service = environment.services.get(*service)?;
                unknown_variable(service, var, "this service")
            }
        },
        Target::Service { service, var } => {
            let Some(target) = environment.services.get(service) else {
                return Some(unknown_service(environment, scope, service, var));
            };
            if target.delete {
                return Some((
                    format!("`{service}` is marked `delete = true`{scope}"),
                    format!("remove the reference to `{service}`, or keep the service"),
                ));
            }
            unknown_variable(target, var, &format!("service `{service}`"))
        }
    }
}

fn unknown_service(environment: &Environment, scope: &str, service: &str, var: &str) -> (String, String) {
    if let Some(renamed) = environment.services.values().find(|s| s.renamed_from.iter().any(|old| old == service)) {
        return (
            format!("service `{service}` was renamed to `{}`", renamed.name),
            format!(
                "refer to the new name: $<<{}.VARIABLE>> (railform rewrites live references for you)",
                renamed.name
            ),
        );
    }
    // `$<<db.PGHOST.x>>`: service names may hold dots, so this reads `x` of a service
    // `db.PGHOST`; most likely one `.VARIABLE` too many after a real service.
    let reads_a_real_variable = |prefix: &str| {
        let variable = &service[prefix.len() + 1..];
        match prefix {
            "shared" => environment.shared.contains_key(variable),
            _ => environment.services.get(prefix).is_some_and(|s| unknown_variable(s, variable, "").is_none()),
        }
    };
    let dotted = service.match_indices('.').map(|(dot, _)| &service[..dot]);
    if let Some(real) = dotted.rev().find(|prefix| reads_a_real_variable(prefix)) {
        return (
            format!("unknown service `{service}`{scope}: `$<<{service}.{var}>>` reads variable `{var}` of a service named `{service}`"),
            format!(
                "a reference is $<<SERVICE.VARIABLE>>, the variable after the last dot: did you mean `$<<{service}>>` \
                 (variable `{}` of `{real}`)?",
                &service[real.len() + 1..]
            ),
        );
    }
    let hint = match did_you_mean(service, environment.services.keys().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`? (service names are case-sensitive)"),
        None => {
            let mut known: Vec<&str> = environment.services.keys().map(String::as_str).take(11).collect();
            if known.len() > 10 {
                known[10] = "…";
            }
            let place = if scope.is_empty() {
                "in this base or in each environment that extends it".to_string()
            } else {
                format!("in environment `{}`", environment.name)
            };
            format!("declare [services.{}] {place}, or refer to one of: {}", toml_key(service), known.join(", "))
        }
    };
    (format!("unknown service `{service}`{scope}"), hint)
}

fn unknown_variable(service: &Service, var: &str, whose: &str) -> Option<(String, String)> {
    if service.variables.contains_key(var) || RAILWAY_BUILTINS.contains(&var) {
        return None;
    }
    let candidates = service.variables.keys().map(String::as_str).chain(RAILWAY_BUILTINS.iter().copied());
    let hint = match did_you_mean(var, candidates) {
        Some(close) => format!("did you mean `{close}`?"),
        None => format!("declare `{var}` in [services.{}.variables]", service.name),
    };
    Some((format!("{whose} has no variable `{var}`"), hint))
}

fn check_cycles(environment: &Environment, diagnostics: &mut Vec<Diagnostic>) {
    let declared = declared_variables(environment);
    let mut edges: BTreeMap<(Owner<'_>, &str), Vec<(Owner<'_>, &str)>> = BTreeMap::new();
    let mut locations: BTreeMap<(Owner<'_>, &str), &Location> = BTreeMap::new();
    for (owner, name, variable) in &declared {
        // Only variables that refer to something can be on a cycle.
        let targets = variable.value.literal().map(refs::parse_lenient).unwrap_or_default();
        if targets.is_empty() {
            continue;
        }
        locations.insert((owner.clone(), name), &variable.at);
        let node_edges = edges.entry((owner.clone(), name)).or_default();
        for reference in targets {
            // Only edges to declared variables: built-ins and unknown names end a chain.
            let next = match (&reference.target, owner) {
                (Target::Shared { var }, _) => {
                    environment.shared.get_key_value(var).map(|(key, _)| (Owner::Shared, key.as_str()))
                }
                (Target::Local { var }, Owner::Service(service)) => environment
                    .services
                    .get(*service)
                    .and_then(|s| s.variables.get_key_value(var))
                    .map(|(key, _)| (Owner::Service(service), key.as_str())),
                (Target::Service { service, var }, _) => environment
                    .services
                    .get_key_value(service)
                    .and_then(|(name, s)| s.variables.get_key_value(var).map(|(key, _)| (name, key)))
                    .map(|(name, key)| (Owner::Service(name.as_str()), key.as_str())),
                (Target::Local { .. }, Owner::Shared) => None,
            };
            node_edges.extend(next);
        }
    }
    let describe = |(owner, name): &(Owner<'_>, &str)| match owner {
        Owner::Shared => format!("shared.{name}"),
        Owner::Service(service) => format!("{service}.{name}"),
    };
    for cycle in find_cycles(&edges) {
        let path: Vec<String> = cycle.iter().map(describe).collect();
        let at = locations.get(&cycle[0]).map(|at| (*at).clone());
        let scope = at.as_ref().map(|at| in_environment(environment, at)).unwrap_or_default();
        diagnostics.push(
            Diagnostic::error(format!("reference cycle{scope}: {}", path.join(" → ")))
                .at_opt(at)
                .label("this variable refers back to itself")
                .hint("Railway cannot resolve a cycle: make one of these a literal"),
        );
    }
}

fn check_renames_in_environment(environment: &Environment, diagnostics: &mut Vec<Diagnostic>) {
    let mut claimed: BTreeMap<&str, &str> = BTreeMap::new();
    for service in environment.services.values() {
        for old in &service.renamed_from {
            if old == &service.name {
                diagnostics.push(
                    Diagnostic::error(format!("service `{old}` lists its own name in `renamed_from`"))
                        .at(service.at.clone())
                        .hint("remove it from `renamed_from`"),
                );
            } else if environment.services.contains_key(old) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}` is renamed from `{old}`, but `{old}` is also declared in this environment",
                        service.name
                    ))
                    .at(service.at.clone())
                    .label("renamed_from names a declared service")
                    .hint(format!(
                        "remove [services.{old}] (its settings belong to `{}` now) or the rename",
                        service.name
                    )),
                );
            } else if let Some(first) = claimed.insert(old, &service.name) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{first}` and `{}` both claim `renamed_from = \"{old}\"`",
                        service.name
                    ))
                    .at(service.at.clone())
                    .label("second claim")
                    .hint("one live service can only become one declared service: keep one claim"),
                );
            }
        }
    }
}

fn check_environment_names(environments: &[&Environment], diagnostics: &mut Vec<Diagnostic>) {
    let mut claimed_by: BTreeMap<&str, &Environment> = BTreeMap::new();
    for environment in environments {
        let names: BTreeSet<&String> = std::iter::once(&environment.name).chain(&environment.renamed_from).collect();
        for name in names {
            if let Some(first) = claimed_by.insert(name, environment) {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "environment `{name}` of project {} is claimed by both {} and {}",
                        environment.project, first.file, environment.file
                    ))
                    .at(environment.at.clone())
                    .label("second file for this environment")
                    .hint("each environment of a project is described by one file: merge them or rename one"),
                );
            }
        }
    }
}

fn check_renames_across_environments(environments: &[&Environment], diagnostics: &mut Vec<Diagnostic>) {
    // old name → (new name, environment, where the rename is written) of the first rename seen.
    let mut renames: BTreeMap<&str, (&str, &Environment, &Location)> = BTreeMap::new();
    for environment in environments {
        for service in environment.services.values() {
            let rename_at = service.renamed_from_at.as_ref().unwrap_or(&service.at);
            for old in &service.renamed_from {
                match renames.get(old.as_str()) {
                    Some((new, first_env, first_at)) if *new != service.name && !same(first_env, environment) => {
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "`{old}` is renamed to `{new}` at {first_at} but to `{}` here",
                                service.name
                            ))
                            .at(rename_at.clone())
                            .label(format!("renamed to `{}`", service.name))
                            .note_at((*first_at).clone(), format!("renamed to `{new}`"))
                            .hint("service names are project-wide in Railway: rename it to the same name everywhere"),
                        )
                    }
                    Some(_) => {}
                    None => {
                        renames.insert(old, (&service.name, environment, rename_at));
                    }
                }
            }
        }
    }
    for environment in environments {
        for service in environment.services.values() {
            let Some((new, renaming_env, rename_at)) = renames.get(service.name.as_str()) else { continue };
            if same(renaming_env, environment) || *new == service.name {
                continue; // reported by the check of that environment alone
            }
            diagnostics.push(
                Diagnostic::error(format!(
                    "`{}` is renamed to `{new}` at {rename_at}, but is still declared here",
                    service.name
                ))
                .at(service.at.clone())
                .label("old name")
                .note_at((*rename_at).clone(), format!("renamed to `{new}`"))
                .hint(format!(
                    "service names are project-wide in Railway: declare [services.{}] with \
                     renamed_from = [\"{}\"] here too",
                    toml_key(new),
                    service.name
                )),
            );
        }
    }
}

/// True when both are the same environment (of one project).
fn same(a: &Environment, b: &Environment) -> bool {
    std::ptr::eq(a, b)
}

/// `name` as a TOML key: bare when it can be, quoted otherwise (`"api.v2"`).
fn toml_key(name: &str) -> String {
    if !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
        name.to_string()
    } else {
        format!("{name:?}")
    }
}

/// Deleting a service deletes it from every environment (a service is project-wide in
/// Railway), so a tombstone in one file and a declaration in another cannot both hold.
fn check_tombstones(environments: &[&Environment], diagnostics: &mut Vec<Diagnostic>) {
    for environment in environments {
        for service in environment.services.values().filter(|s| s.delete) {
            let kept = environments.iter().find(|other| other.services.get(&service.name).is_some_and(|s| !s.delete));
            if let Some(kept) = kept {
                diagnostics.push(
                    Diagnostic::error(format!(
                        "`{}` is marked `delete = true` here but {} still declares it",
                        service.name, kept.file
                    ))
                    .at(service.at.clone())
                    .label("tombstone")
                    .hint(
                        "deleting a service deletes it in every environment: mark it deleted in every file, or in none",
                    ),
                );
            }
        }
    }
}

fn check_pinned_ids(environments: &[&Environment], diagnostics: &mut Vec<Diagnostic>) {
    let mut by_name: BTreeMap<&str, (&str, &Environment)> = BTreeMap::new();
    for environment in environments {
        for service in environment.services.values() {
            let Some(id) = &service.id else { continue };
            match by_name.get(service.name.as_str()) {
                Some((first_id, first_env)) if first_id != id => diagnostics.push(
                    Diagnostic::error(format!(
                        "service `{}` is pinned to id {first_id} in {} but to {id} here",
                        service.name, first_env.file
                    ))
                    .at(service.at.clone())
                    .hint("a service has one id in every environment of a project: fix or remove one `id`"),
                ),
                Some(_) => {}
                None => {
                    by_name.insert(&service.name, (id, environment));
                }
            }
        }
    }
}

/// The location of `range` (byte offsets into the string value) inside the file, when the
/// value is written without escapes; otherwise the whole value.
fn locate_in_string(at: &Location, value: &str, range: std::ops::Range<usize>) -> Location {
    let raw = at.file.text.get(at.span.clone()).unwrap_or("");
    let content_start = if raw.starts_with("\"\"\"") || raw.starts_with("'''") {
        let after = &raw[3..];
        3 + if after.starts_with("\r\n") { 2 } else { usize::from(after.starts_with('\n')) }
    } else if raw.starts_with('"') || raw.starts_with('\'') {
        1
    } else {
        return at.clone();
    };
    match raw.get(content_start..content_start + value.len()) {
        Some(content) if content == value => {
            let start = at.span.start + content_start;
            Location::new(&at.file, start + range.start..start + range.end)
        }
        _ => at.clone(),
    }
}
