//! Checks that need the whole model: every reference names a declared service and variable,
//! references form no cycle, and renames agree across the environment files of a project
//! (service names are project-wide in Railway).

use std::collections::{BTreeMap, BTreeSet};

use super::model::{Environment, Model, Service, Variable, RAILWAY_BUILTINS};
use crate::diag::{did_you_mean, Diagnostic, Location};
use crate::refs::{self, graph::find_cycles, Target};

/// Appends a diagnostic for every problem in `model`.
pub fn check(model: &Model, diagnostics: &mut Vec<Diagnostic>) {
    for environment in &model.environments {
        check_references(environment, diagnostics);
        check_cycles(environment, diagnostics);
        check_renames_in_environment(environment, diagnostics);
    }
    for (_, environments) in model.projects() {
        check_environment_names(&environments, diagnostics);
        check_renames_across_environments(&environments, diagnostics);
        check_pinned_ids(&environments, diagnostics);
        check_tombstones(&environments, diagnostics);
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
                for reference in references {
                    if let Some(problem) = check_target(environment, &owner, &reference.target) {
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
fn check_target(environment: &Environment, owner: &Owner<'_>, target: &Target) -> Option<(String, String)> {
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
                return Some(unknown_service(environment, service));
            };
            if target.delete {
                return Some((
                    format!("`{service}` is marked `delete = true` in this environment"),
                    format!("remove the reference to `{service}`, or keep the service"),
                ));
            }
            unknown_variable(target, var, &format!("service `{service}`"))
        }
    }
}

fn unknown_service(environment: &Environment, service: &str) -> (String, String) {
    if let Some(renamed) = environment.services.values().find(|s| s.renamed_from.iter().any(|old| old == service)) {
        return (
            format!("service `{service}` was renamed to `{}`", renamed.name),
            format!(
                "refer to the new name: $<<{}.VARIABLE>> (railform rewrites live references for you)",
                renamed.name
            ),
        );
    }
    let hint = match did_you_mean(service, environment.services.keys().map(String::as_str)) {
        Some(close) => format!("did you mean `{close}`? (service names are case-sensitive)"),
        None => format!(
            "declare [services.{service}] in environment `{}`, or refer to one of: {}",
            environment.name,
            environment.services.keys().cloned().collect::<Vec<_>>().join(", ")
        ),
    };
    (format!("unknown service `{service}` in environment `{}`", environment.name), hint)
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
        diagnostics.push(
            Diagnostic::error(format!("reference cycle in environment `{}`: {}", environment.name, path.join(" → ")))
                .at_opt(locations.get(&cycle[0]).map(|at| (*at).clone()))
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
    // old name → (new name, environment file, where) of the first rename seen.
    let mut renames: BTreeMap<&str, (&str, &Environment, &Location)> = BTreeMap::new();
    for environment in environments {
        for service in environment.services.values() {
            for old in &service.renamed_from {
                match renames.get(old.as_str()) {
                    Some((new, first_env, _)) if *new != service.name && first_env.file != environment.file => {
                        diagnostics.push(
                            Diagnostic::error(format!(
                                "`{old}` is renamed to `{new}` in {} but to `{}` in {}",
                                first_env.file, service.name, environment.file
                            ))
                            .at(service.at.clone())
                            .hint("service names are project-wide in Railway: rename it to the same name everywhere"),
                        )
                    }
                    Some(_) => {}
                    None => {
                        renames.insert(old, (&service.name, environment, &service.at));
                    }
                }
            }
        }
    }
    for environment in environments {
        for service in environment.services.values() {
            let Some((new, renaming_env, _)) = renames.get(service.name.as_str()) else { continue };
            if renaming_env.file == environment.file || *new == service.name {
                continue; // reported by the check of that environment alone
            }
            diagnostics.push(
                Diagnostic::error(format!(
                    "{} renames `{}` to `{new}`, but this file still declares `{}`",
                    renaming_env.file, service.name, service.name
                ))
                .at(service.at.clone())
                .label("old name")
                .hint(format!(
                    "service names are project-wide in Railway: declare [services.{new}] with \
                     renamed_from = [\"{}\"] here too",
                    service.name
                )),
            );
        }
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
