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
//! Only the environments of projects the write touched are compared (every mutation that
//! changes an environment touches its project; deployments touch nothing), so a deploy costs no
//! comparison at all.

use std::collections::{BTreeMap, BTreeSet};

use sha2::{Digest, Sha256};

use super::config::{self, Reveal};
use super::resolve::Renderer;
use super::store::{State, Variable};

/// Stamps `after` with `stamp` where it differs from `before`.
pub fn stamp_changes(before: &State, after: &mut State, stamp: &str) {
    let touched: BTreeSet<String> = after
        .projects
        .iter()
        .filter(|project| {
            before
                .projects
                .iter()
                .find(|old| old.id == project.id)
                .is_none_or(|old| old.updated_at != project.updated_at)
        })
        .map(|project| project.id.clone())
        .collect();
    if touched.is_empty() {
        return;
    }
    let environment_ids: Vec<String> =
        after.environments.iter().filter(|e| touched.contains(&e.project_id)).map(|e| e.id.clone()).collect();
    for environment_id in environment_ids {
        let old_prints = fingerprints(before, &environment_id);
        let new_prints = fingerprints(after, &environment_id);
        for instance in after.instances.iter_mut().filter(|i| i.environment_id == environment_id) {
            if old_prints.get(&instance.service_id).is_some_and(|old| new_prints.get(&instance.service_id) != Some(old))
            {
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

/// A digest, per service id, of what a new deployment of each instance of the environment would
/// run (empty when the environment does not exist in `state`).
fn fingerprints(state: &State, environment_id: &str) -> BTreeMap<String, [u8; 32]> {
    let Ok(renderer) = Renderer::new(state, environment_id) else { return BTreeMap::new() };
    state
        .instances_in(environment_id)
        .map(|instance| {
            let service_id = instance.service_id.as_str();
            let entry = config::service_json(state, environment_id, service_id, Reveal::Everything).unwrap_or_default();
            let volume = state.volume_instance_of(environment_id, service_id).map(|mount| {
                serde_json::json!([mount.volume_id, mount.size_mb, mount.region, mount.allow_online_resize])
            });
            let print = serde_json::json!({
                "config": entry,
                "volume": volume,
                "variables": renderer.deployment_variables(service_id),
            });
            (service_id.to_string(), Sha256::digest(print.to_string()).into())
        })
        .collect()
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
}
