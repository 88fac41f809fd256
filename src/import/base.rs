//! A shared base for several imported environments (`import --base FILE`): what is identical in
//! every environment of the project goes into the base, and each environment file extends it
//! with only what differs.
//!
//! The base is the intersection of *all* the project's environments, not only of the ones
//! imported so far, so it is the same file whichever environment is imported, and any
//! environment file of the project (layered or standalone) stays correct beside it: a base
//! never declares what some environment lacks. `from_env` names carry the environment's name,
//! so per-environment secrets always stay in the environment files.

use std::collections::BTreeMap;

use super::{ImportedEnvironment, ImportedService};

/// The base and the environment file for `environment`, given every environment of its
/// project (`every`; `environment` itself is counted whether or not it is in there).
pub fn layered(
    environment: &ImportedEnvironment,
    every: &[ImportedEnvironment],
) -> (ImportedEnvironment, ImportedEnvironment) {
    let all: Vec<&ImportedEnvironment> = std::iter::once(environment).chain(every).collect();
    let shared_in_all = common(&environment.shared, all.iter().map(|e| &e.shared));
    let mut base_services = BTreeMap::new();
    let mut own_services = BTreeMap::new();
    for (name, service) in &environment.services {
        let instances: Option<Vec<&ImportedService>> = all.iter().map(|e| e.services.get(name)).collect();
        let Some(instances) = instances else {
            own_services.insert(name.clone(), service.clone());
            continue;
        };
        let id = same_value(&service.id, instances.iter().map(|s| &s.id));
        let blueprint = same_value(&service.blueprint, instances.iter().map(|s| &s.blueprint));
        let variables = common(&service.variables, instances.iter().map(|s| &s.variables));
        let own = ImportedService {
            id: if id.is_some() { None } else { service.id.clone() },
            blueprint: if blueprint.is_some() { None } else { service.blueprint.clone() },
            variables: difference(&service.variables, &variables),
        };
        if own.id.is_some() || own.blueprint.is_some() || !own.variables.is_empty() {
            own_services.insert(name.clone(), own);
        }
        base_services.insert(name.clone(), ImportedService { id, blueprint, variables });
    }
    let base = ImportedEnvironment {
        project_name: environment.project_name.clone(),
        project_id: environment.project_id.clone(),
        environment: String::new(),
        shared: shared_in_all.clone(),
        services: base_services,
    };
    let own = ImportedEnvironment {
        project_name: environment.project_name.clone(),
        project_id: environment.project_id.clone(),
        environment: environment.environment.clone(),
        shared: difference(&environment.shared, &shared_in_all),
        services: own_services,
    };
    (base, own)
}

/// `value` when every one of `others` equals it, else `None`.
fn same_value<'a, T: PartialEq + Clone + 'a>(
    value: &Option<T>,
    mut others: impl Iterator<Item = &'a Option<T>>,
) -> Option<T> {
    if others.all(|other| other == value) {
        value.clone()
    } else {
        None
    }
}

/// The entries of `map` that every one of `others` holds with the same value.
fn common<'a, V: PartialEq + Clone + 'a>(
    map: &BTreeMap<String, V>,
    others: impl Iterator<Item = &'a BTreeMap<String, V>> + Clone,
) -> BTreeMap<String, V> {
    map.iter()
        .filter(|(key, value)| others.clone().all(|other| other.get(*key) == Some(*value)))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect()
}

/// The entries of `map` that `base` does not hold.
fn difference<V: Clone>(map: &BTreeMap<String, V>, base: &BTreeMap<String, V>) -> BTreeMap<String, V> {
    map.iter().filter(|(key, _)| !base.contains_key(*key)).map(|(key, value)| (key.clone(), value.clone())).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::import::{Blueprint, ImportedValue};

    fn environment(name: &str, services: &[(&str, &[(&str, &str)])], shared: &[(&str, &str)]) -> ImportedEnvironment {
        let values = |pairs: &[(&str, &str)]| {
            pairs.iter().map(|(k, v)| (k.to_string(), ImportedValue::Literal(v.to_string()))).collect()
        };
        ImportedEnvironment {
            project_name: "p".into(),
            project_id: "prj".into(),
            environment: name.into(),
            shared: values(shared),
            services: services
                .iter()
                .map(|(service, variables)| {
                    let imported = ImportedService {
                        id: Some(format!("id-{service}")),
                        blueprint: Some(Blueprint::Template { name: "postgres", version: Some("16".into()) }),
                        variables: values(variables),
                    };
                    (service.to_string(), imported)
                })
                .collect(),
        }
    }

    #[test]
    fn what_every_environment_shares_goes_to_the_base_and_the_rest_stays() {
        let dev = environment("dev", &[("api", &[("PORT", "8000"), ("LOG", "debug")]), ("db", &[])], &[("A", "1")]);
        let prod = environment("prod", &[("api", &[("PORT", "8000"), ("LOG", "info")])], &[("A", "1"), ("B", "2")]);
        let (base, own) = layered(&dev, &[dev.clone(), prod]);

        assert_eq!(base.shared.keys().collect::<Vec<_>>(), ["A"]);
        assert_eq!(base.services.keys().collect::<Vec<_>>(), ["api"], "db is not in prod");
        assert_eq!(base.services["api"].id.as_deref(), Some("id-api"));
        assert_eq!(base.services["api"].variables.keys().collect::<Vec<_>>(), ["PORT"]);

        assert!(own.shared.is_empty());
        assert_eq!(own.services["api"].id, None);
        assert_eq!(own.services["api"].blueprint, None);
        assert_eq!(own.services["api"].variables.keys().collect::<Vec<_>>(), ["LOG"]);
        assert_eq!(own.services["db"].id.as_deref(), Some("id-db"), "a service only dev has stays whole");
    }
}
