//! What a write changed, stamped with its time, by comparing the state before and after it
//! ([`Store::write`](super::store::Store::write) calls [`stamp_changes`]), so that no mutation
//! has to remember it:
//!
//! - a service instance's `updated_at` (`ServiceInstance.updatedAt`) moves when what a new
//!   deployment of it would run changed: its entry of the environment's config (source, build
//!   and deploy settings, variables, domains, TCP proxies, private endpoint, volume mount), its
//!   volume, or the variables a deployment would see once rendered (a shared variable it
//!   references, another service's variable it references, a built-in such as
//!   `RAILWAY_SERVICE_NAME` after a rename, `RAILWAY_PUBLIC_DOMAIN` once a domain exists).
//!   A deployment whose `createdAt` is later than the instance's `updatedAt` runs the instance
//!   as it is; one that is older runs something else.
//! - a variable's `created_at`/`updated_at` (`Variable.createdAt/updatedAt`) are set when it
//!   appears and move when its value, seal or metadata changes.
//!
//! Only environments the write touched are compared (an environment whose `updated_at` moved;
//! every environment of a project whose `updated_at` moved when none of them did, as for a
//! service rename); deployments touch nothing, so a deploy costs no comparison at all. Within an
//! environment the comparison is cheap: each instance's own records are compared as they are,
//! and only the instances whose variables reference (directly or through other variables) a
//! variable or a Railway-provided value that changed are rendered, before and after.

use std::collections::{BTreeMap, BTreeSet};

use super::config::{InstanceConfig, VariableMeta};
use super::resolve::Renderer;
use super::store::{Instance, State, Variable};
use crate::refs::{self, Target};

/// Stamps `after` with `stamp` where it differs from `before`.
pub fn stamp_changes(before: &State, after: &mut State, stamp: &str) {
    for environment_id in touched_environments(before, after) {
        let changed = changed_instances(before, after, &environment_id);
        for instance in after.instances.iter_mut().filter(|i| i.environment_id == environment_id) {
            if changed.contains(&instance.service_id) {
                instance.updated_at = Some(stamp.to_string());
            }
        }
        let old_environment = before.environments.iter().find(|e| e.id == environment_id);
        if let Some(environment) = after.environments.iter_mut().find(|e| e.id == environment_id) {
            stamp_variables(old_environment.map(|e| &e.shared_variables), &mut environment.shared_variables, stamp);
        }
        for instance in after.instances.iter_mut().filter(|i| i.environment_id == environment_id) {
            let old = before
                .instances
                .iter()
                .find(|old| old.environment_id == environment_id && old.service_id == instance.service_id);
            stamp_variables(old.map(|old| &old.variables), &mut instance.variables, stamp);
        }
    }
}

/// The environments whose contents may have changed in this write.
fn touched_environments(before: &State, after: &State) -> Vec<String> {
    let moved = |old: Option<&Option<String>>, new: &Option<String>| old.is_none_or(|old| old != new);
    let environments: Vec<&super::store::Environment> = after
        .environments
        .iter()
        .filter(|e| {
            moved(before.environments.iter().find(|old| old.id == e.id).map(|old| &old.updated_at), &e.updated_at)
        })
        .collect();
    let mut touched: Vec<String> = environments.iter().map(|e| e.id.clone()).collect();
    for project in &after.projects {
        let before_project = before.projects.iter().find(|old| old.id == project.id).map(|old| &old.updated_at);
        if moved(before_project, &project.updated_at) && !environments.iter().any(|e| e.project_id == project.id) {
            touched.extend(after.environments_of(&project.id).map(|e| e.id.clone()));
        }
    }
    touched
}

/// Whose variables: an environment's shared ones, or one service's (by id).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Owner<'s> {
    Shared,
    Service(&'s str),
}

/// What a service instance is, apart from the values its variables render to: compared as is.
#[derive(PartialEq)]
struct Own<'s> {
    config: &'s InstanceConfig,
    variables: Vec<(&'s str, &'s str, bool, &'s VariableMeta)>,
    provided: Provided<'s>,
    custom_domains: Vec<(&'s str, Option<i64>)>,
    backups: Option<&'s Vec<String>>,
}

/// What the Railway-provided variables of an instance are made of (its `RAILWAY_*` values).
#[derive(PartialEq)]
struct Provided<'s> {
    service_name: Option<&'s str>,
    endpoint: Option<&'s str>,
    service_domains: Vec<(&'s str, Option<i64>)>,
    tcp_proxies: Vec<(i64, i64, &'s str)>,
    volume: Option<Mount<'s>>,
}

/// A volume mount: volume id, mount path, size, region, online resize.
type Mount<'s> = (&'s str, &'s str, Option<i64>, Option<&'s str>, Option<bool>);

fn own<'s>(state: &'s State, instance: &'s Instance) -> Own<'s> {
    let (environment_id, service_id) = (instance.environment_id.as_str(), instance.service_id.as_str());
    let mount = state.volume_instance_of(environment_id, service_id);
    let provided = Provided {
        service_name: state.service(service_id).ok().map(|s| s.name.as_str()),
        endpoint: instance.private_network_endpoint.as_deref(),
        service_domains: state
            .service_domains_of(environment_id, service_id)
            .map(|d| (d.domain.as_str(), d.target_port))
            .collect(),
        tcp_proxies: state
            .tcp_proxies_of(environment_id, service_id)
            .map(|p| (p.application_port, p.proxy_port, p.domain.as_str()))
            .collect(),
        volume: mount.map(|m| {
            (m.volume_id.as_str(), m.mount_path.as_str(), m.size_mb, m.region.as_deref(), m.allow_online_resize)
        }),
    };
    Own {
        config: &instance.config,
        variables: instance.variables.iter().map(|(n, v)| (n.as_str(), v.value.as_str(), v.sealed, &v.meta)).collect(),
        provided,
        custom_domains: state
            .custom_domains_of(environment_id, service_id)
            .map(|d| (d.domain.as_str(), d.target_port))
            .collect(),
        backups: mount.map(|m| &m.backup_schedules),
    }
}

/// The services (by id) of one environment whose instance changed in what a new deployment would
/// run, among those that existed before the write.
fn changed_instances<'s>(before: &'s State, after: &'s State, environment_id: &'s str) -> BTreeSet<String> {
    let mut changed = BTreeSet::new();
    let (Ok(old_environment), Ok(new_environment)) =
        (before.environment(environment_id), after.environment(environment_id))
    else {
        return changed;
    };
    let project_name = |state: &State| state.project(&old_environment.project_id).ok().map(|p| p.name.clone());
    let renamed = old_environment.name != new_environment.name || project_name(before) != project_name(after);
    // Which variables changed value (or appeared, or went), and whose provided values changed.
    let mut changed_variables: BTreeSet<(Owner<'s>, &'s str)> = BTreeSet::new();
    let mut changed_provided: BTreeSet<Owner<'s>> = BTreeSet::new();
    note_changes(
        Owner::Shared,
        &old_environment.shared_variables,
        &new_environment.shared_variables,
        &mut changed_variables,
    );
    for instance in after.instances_in(environment_id) {
        let Ok(old) = before.instance(environment_id, &instance.service_id) else { continue };
        let (old_own, new_own) = (own(before, old), own(after, instance));
        if renamed || old_own != new_own {
            changed.insert(instance.service_id.clone());
        }
        if old_own.provided != new_own.provided {
            changed_provided.insert(Owner::Service(instance.service_id.as_str()));
        }
        note_changes(
            Owner::Service(instance.service_id.as_str()),
            &old.variables,
            &instance.variables,
            &mut changed_variables,
        );
    }
    if renamed {
        return changed;
    }
    // Variables whose rendered value may have changed: those referencing a changed one, until
    // nothing more is found.
    let service_names = |state: &State| -> BTreeMap<String, String> {
        state
            .services_of(&old_environment.project_id)
            .filter(|s| state.instance(environment_id, &s.id).is_ok())
            .map(|s| (s.name.clone(), s.id.clone()))
            .collect()
    };
    let (old_names, new_names) = (service_names(before), service_names(after));
    let mut referencing: Vec<Referencing<'s>> = Vec::new();
    let names = Names { old: &old_names, new: &new_names, after };
    names.collect(Owner::Shared, &new_environment.shared_variables, &mut referencing);
    for instance in after.instances_in(environment_id) {
        names.collect(Owner::Service(instance.service_id.as_str()), &instance.variables, &mut referencing);
    }
    let variables_of = |owner: Owner<'_>| match owner {
        Owner::Shared => Some(&new_environment.shared_variables),
        Owner::Service(service_id) => after.instance(environment_id, service_id).ok().map(|i| &i.variables),
    };
    let mut affected: BTreeSet<(Owner<'s>, &'s str)> = BTreeSet::new();
    loop {
        let mut grew = false;
        for (owner, name, targets) in &referencing {
            if affected.contains(&(*owner, *name)) {
                continue;
            }
            let hit = targets.iter().any(|(target, moved, var)| {
                *moved
                    || target.is_some_and(|target| {
                        let key = (target, var.as_str());
                        changed_variables.contains(&key)
                            || affected.contains(&key)
                            || (changed_provided.contains(&target)
                                && variables_of(target).is_none_or(|variables| !variables.contains_key(var)))
                    })
            });
            if hit {
                affected.insert((*owner, *name));
                grew = true;
            }
        }
        if !grew {
            break;
        }
    }
    // Instances holding an affected variable: render them before and after to be sure.
    let candidates: BTreeSet<&str> = affected
        .iter()
        .filter_map(|(owner, _)| match owner {
            Owner::Service(service_id) => Some(*service_id),
            Owner::Shared => None,
        })
        .filter(|service_id| !changed.contains(*service_id) && before.instance(environment_id, service_id).is_ok())
        .collect();
    if candidates.is_empty() {
        return changed;
    }
    let (Ok(old_renderer), Ok(new_renderer)) =
        (Renderer::new(before, environment_id), Renderer::new(after, environment_id))
    else {
        return changed;
    };
    for service_id in candidates {
        if old_renderer.deployment_variables(service_id) != new_renderer.deployment_variables(service_id) {
            changed.insert(service_id.to_string());
        }
    }
    changed
}

/// Adds to `into` the names of `owner`'s variables whose value differs between `old` and `new`
/// (or that are in one of them only).
fn note_changes<'s>(
    owner: Owner<'s>,
    old: &'s BTreeMap<String, Variable>,
    new: &'s BTreeMap<String, Variable>,
    into: &mut BTreeSet<(Owner<'s>, &'s str)>,
) {
    for name in old.keys().chain(new.keys()) {
        if old.get(name).map(|v| &v.value) != new.get(name).map(|v| &v.value) {
            into.insert((owner, name.as_str()));
        }
    }
}

/// A variable that holds references: its owner, its name, and what each reference reads (the
/// owner it resolves to now, whether the service name now resolves to another service than
/// before, and the variable name).
type Referencing<'s> = (Owner<'s>, &'s str, Vec<(Option<Owner<'s>>, bool, String)>);

/// Service names of one environment (those with an instance there) before and after.
struct Names<'n, 's> {
    old: &'n BTreeMap<String, String>,
    new: &'n BTreeMap<String, String>,
    after: &'s State,
}

impl<'s> Names<'_, 's> {
    /// Adds the variables of `owner` that hold references to `into`.
    fn collect(&self, owner: Owner<'s>, variables: &'s BTreeMap<String, Variable>, into: &mut Vec<Referencing<'s>>) {
        for (name, variable) in variables {
            if !variable.value.contains("${{") {
                continue;
            }
            let targets = refs::parse_railway(&variable.value)
                .into_iter()
                .map(|reference| match reference.target {
                    Target::Service { service, var } => {
                        let now = self.new.get(&service);
                        let moved = self.old.get(&service) != now;
                        let target =
                            now.and_then(|id| self.after.service(id).ok()).map(|s| Owner::Service(s.id.as_str()));
                        (target, moved, var)
                    }
                    Target::Shared { var } => (Some(Owner::Shared), false, var),
                    Target::Local { var } => (Some(owner), false, var),
                })
                .collect();
            into.push((owner, name.as_str(), targets));
        }
    }
}

/// Sets the timestamps of the variables that are new or changed since `before`.
fn stamp_variables(before: Option<&BTreeMap<String, Variable>>, after: &mut BTreeMap<String, Variable>, stamp: &str) {
    for (name, variable) in after.iter_mut() {
        match before.and_then(|before| before.get(name)) {
            None => {
                variable.created_at = Some(stamp.to_string());
                variable.updated_at = Some(stamp.to_string());
            }
            Some(old) if !old.same_as(variable) => variable.updated_at = Some(stamp.to_string()),
            Some(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::{fixture, now, Variable};

    fn touched(before: &State, after: &mut State) -> Vec<String> {
        after.touch_project("p");
        let stamp = now();
        stamp_changes(before, after, &stamp);
        let mut services: Vec<String> = after
            .instances
            .iter()
            .filter(|i| i.updated_at.as_deref() == Some(stamp.as_str()))
            .map(|i| i.service_id.clone())
            .collect();
        services.sort();
        services
    }

    #[test]
    fn an_instance_is_stamped_when_it_or_what_it_references_changes_and_only_then() {
        let before = fixture(&[
            ("api", "DB", "${{Postgres DB.URL}}"),
            ("api", "R", "${{shared.REGION}}"),
            ("Postgres DB", "URL", "x"),
        ]);
        let mut after = before.clone();
        after.instance_mut("e", "Postgres DB").unwrap().variables.insert("URL".into(), Variable::new("y"));
        assert_eq!(touched(&before, &mut after), ["Postgres DB", "api"], "api references the changed URL");

        let mut after = before.clone();
        after.environment_mut("e").unwrap().shared_variables.insert("OTHER".into(), Variable::new("1"));
        assert!(touched(&before, &mut after).is_empty(), "nobody references shared.OTHER");
        assert!(after.environment("e").unwrap().shared_variables["OTHER"].created_at.is_some());
        assert!(after.environment("e").unwrap().shared_variables["REGION"].created_at.is_none());

        let mut after = before.clone();
        after.environment_mut("e").unwrap().shared_variables.insert("REGION".into(), Variable::new("us"));
        assert_eq!(touched(&before, &mut after), ["api"], "api references shared.REGION");

        let mut after = before.clone();
        after.instance_mut("e", "Postgres DB").unwrap().config.deploy =
            Some(crate::emulator::config::DeployConfig { num_replicas: Some(2), ..Default::default() });
        assert_eq!(touched(&before, &mut after), ["Postgres DB"]);
    }

    /// How long stamping one write takes in a large environment (run by hand: `cargo test
    /// --release --lib stamps -- --ignored --nocapture`).
    #[test]
    #[ignore]
    fn stamping_a_write_in_an_environment_of_200_services_of_20_variables() {
        let mut before = fixture(&[]);
        for service in 0..200 {
            let id = format!("svc-{service:03}");
            before.services.push(crate::emulator::store::Service {
                id: id.clone(),
                project_id: "p".into(),
                name: id.clone(),
                icon: None,
                created_at: String::new(),
            });
            let mut instance = crate::emulator::store::Instance::new(&id, "e", Default::default());
            for variable in 0..20 {
                let value = if variable == 0 && service > 0 {
                    format!("${{{{svc-{:03}.VAR_01}}}}", service - 1)
                } else {
                    format!("value-{service}-{variable}")
                };
                instance.variables.insert(format!("VAR_{variable:02}"), Variable::new(value));
            }
            before.instances.push(instance);
        }
        let started = std::time::Instant::now();
        for round in 0..20 {
            let mut after = before.clone();
            after
                .instance_mut("e", "svc-100")
                .unwrap()
                .variables
                .insert("VAR_01".into(), Variable::new(format!("{round}")));
            assert_eq!(touched(&before, &mut after), ["svc-100", "svc-101"]);
        }
        eprintln!("{:?} per write", started.elapsed() / 20);
    }
}
