//! After an apply: re-read Railway and check that no reference dangles (every `${{S.V}}` names
//! a service with an instance in that environment and a variable it has, or a Railway
//! built-in). The other half of verification, "a new plan is empty", is a second diff.

use std::collections::HashMap;

use crate::config::model::{Model, RAILWAY_BUILTINS};
use crate::refs::{self, Target};
use crate::state::{LiveEnvironment, LiveProject, LiveValue};

/// A reference Railway cannot resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dangling {
    /// `ENV/SERVICE/VARIABLE` or `ENV/shared/VARIABLE` holding the reference.
    pub address: String,
    /// The reference as written, e.g. `Postgres-OG9n.DATABASE_URL`.
    pub reference: String,
}

/// Every reference in the project's live variables that names something that does not exist.
pub fn dangling_references(project: &LiveProject) -> Vec<Dangling> {
    // Looked up for every instance and reference: maps, so verification stays linear.
    let names: HashMap<&str, &str> = project.services.iter().map(|s| (s.id.as_str(), s.name.as_str())).collect();
    let ids: HashMap<&str, &str> = project.services.iter().map(|s| (s.name.as_str(), s.id.as_str())).collect();
    let mut dangling = Vec::new();
    for environment in &project.environments {
        for (name, value) in &environment.shared {
            for target in unresolvable(&ids, environment, None, value) {
                dangling.push(Dangling { address: format!("{}/shared/{name}", environment.name), reference: target });
            }
        }
        for (service_id, instance) in &environment.instances {
            let service_name = names.get(service_id.as_str()).copied().unwrap_or(service_id.as_str());
            for (name, value) in &instance.variables {
                for target in unresolvable(&ids, environment, Some(service_id), value) {
                    dangling.push(Dangling {
                        address: format!("{}/{service_name}/{name}", environment.name),
                        reference: target,
                    });
                }
            }
        }
    }
    dangling
}

/// The references the files write on purpose unchecked (`$${{…}}`), as [`Dangling`] entries:
/// verification does not report those.
pub fn unchecked_references(model: &Model) -> Vec<Dangling> {
    let mut unchecked = Vec::new();
    for environment in &model.environments {
        let owners = std::iter::once(("shared", &environment.shared))
            .chain(environment.services.values().map(|s| (s.name.as_str(), &s.variables)));
        for (owner, variables) in owners {
            for (name, variable) in variables {
                let Some(text) = variable.value.literal() else { continue };
                for target in refs::unchecked(text) {
                    unchecked.push(Dangling {
                        address: format!("{}/{owner}/{name}", environment.name),
                        reference: target.to_string(),
                    });
                }
            }
        }
    }
    unchecked
}

fn unresolvable(
    ids: &HashMap<&str, &str>,
    environment: &LiveEnvironment,
    owner: Option<&String>,
    value: &LiveValue,
) -> Vec<String> {
    let LiveValue::Value(text) = value else { return Vec::new() };
    let has = |service_id: &str, var: &str| {
        RAILWAY_BUILTINS.contains(&var)
            || environment.instance(service_id).is_some_and(|instance| instance.variables.contains_key(var))
    };
    refs::parse_railway(text)
        .into_iter()
        .filter(|reference| match &reference.target {
            Target::Shared { var } => !environment.shared.contains_key(var),
            Target::Local { var } => !owner.is_some_and(|id| has(id, var)),
            Target::Service { service, var } => {
                let Some(target) = ids.get(service.as_str()) else { return true };
                environment.instance(target).is_none() || !has(target, var)
            }
        })
        .map(|reference| reference.target.to_string())
        .collect()
}
