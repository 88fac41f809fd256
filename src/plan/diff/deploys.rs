//! Deploys: one per changed instance, plus every instance that reads a changed variable
//! directly or through others (Railway resolves references when it deploys).

use std::collections::{BTreeMap, BTreeSet};

use super::{EnvironmentMatch, ProjectDiff, Rename};
use crate::plan::{Action, Change, Id, Kind, Operation};
use crate::refs::{self, Target};
use crate::state::{LiveInstance, LiveValue};

/// A variable of one environment: its service (`None` for a shared variable) and its name.
type VariableKey = (Option<String>, String);

impl<'m, 'l> ProjectDiff<'m, 'l> {
    /// One deploy per instance marked, each after the services it references in its
    /// environment that deploy too (read from the files' values, and the live ones).
    pub(super) fn plan_deploys(&mut self, environments: &[EnvironmentMatch<'m, 'l>], renames: &[Rename]) {
        let deploys = std::mem::take(&mut self.to_deploy);
        for ((environment, service), (service_id, environment_id, pending)) in &deploys {
            let matched = environments.iter().find(|e| e.name == *environment);
            let referenced =
                matched.map(|e| self.services_read_by(e, service, service_id, renames)).unwrap_or_default();
            let replaces = match (service_id, matched.and_then(|e| e.live)) {
                (Id::Live(id), Some(live)) => live
                    .instances
                    .get(id)
                    .and_then(|instance| instance.deployments.as_ref())
                    .and_then(|deployments| deployments.latest.as_ref())
                    .map(|latest| latest.id.clone()),
                _ => None,
            };
            let after: Vec<Id> = referenced
                .iter()
                .filter(|other| *other != service)
                .filter_map(|other| deploys.get(&(environment.clone(), other.clone())).map(|(id, _, _)| id.clone()))
                .collect();
            let operation =
                Operation::Deploy { service: service_id.clone(), environment: environment_id.clone(), after, replaces };
            let address = format!("{environment}/{service}");
            self.add(
                Change::new(&self.project_name, address, Action::Deploy, Kind::Deployment, operation)
                    .in_environment(environment)
                    .of_service(service)
                    .because(pending.clone().unwrap_or_else(|| "one deploy after all its changes".to_string())),
            );
        }
    }

    /// The services (by their names after this plan) that `service`'s variables reference in
    /// `environment`: declared values, and live ones.
    fn services_read_by(
        &self,
        environment: &EnvironmentMatch<'_, '_>,
        service: &str,
        service_id: &Id,
        renames: &[Rename],
    ) -> BTreeSet<String> {
        let new_name = |name: &str| renames.iter().find(|r| r.old == name).map_or(name, |r| r.new.as_str()).to_string();
        let mut read = BTreeSet::new();
        let mut note = |references: Vec<refs::Reference>| {
            for reference in references {
                if let Target::Service { service, .. } = reference.target {
                    read.insert(new_name(&service));
                }
            }
        };
        if let Some(declared) = environment.desired.and_then(|d| d.services.get(service)) {
            for variable in declared.variables.values() {
                note(refs::parse_lenient(variable.value.literal().unwrap_or_default()));
            }
        }
        let live = match (service_id, environment.live) {
            (Id::Live(id), Some(live)) => live.instances.get(id),
            _ => None,
        };
        for value in live.iter().flat_map(|instance| instance.variables.values()) {
            if let LiveValue::Value(text) = value {
                note(refs::parse_railway(text));
            }
        }
        read
    }

    pub(super) fn mark_deploy(&mut self, environment: &EnvironmentMatch<'_, '_>, service: &str, id: Id) {
        self.to_deploy.insert((environment.name.clone(), service.to_string()), (id, environment.id.clone(), None));
    }

    /// An instance this plan changes nothing of, but whose latest deployment does not run what
    /// it was last given: never deployed (while it has a source), failed, or older than its last
    /// change (an apply cut off before its deploys, `--no-deploy`). It is deployed, and the plan
    /// says why.
    pub(super) fn mark_pending_deploy(
        &mut self,
        environment: &EnvironmentMatch<'_, '_>,
        service: &str,
        id: &Id,
        live: &LiveInstance,
    ) {
        let Some(state) = &live.deployments else { return };
        let reason = match &state.latest {
            None if live.source.is_some() => "never deployed".to_string(),
            None => return,
            Some(latest) if matches!(latest.status.as_str(), "FAILED" | "CRASHED") => {
                format!("its latest deployment {}", latest.status)
            }
            Some(latest) if latest.created_at < state.changed_at => {
                "changed since its latest deployment (a deploy was skipped or cut off)".to_string()
            }
            Some(_) => return,
        };
        let key = (environment.name.clone(), service.to_string());
        self.to_deploy.entry(key).or_insert_with(|| (id.clone(), environment.id.clone(), Some(reason)));
    }

    /// Railway resolves references when it deploys, so an instance whose variables refer,
    /// directly or through other variables, to a variable this plan changes is redeployed too.
    pub(super) fn deploy_dependents(
        &mut self,
        environment: &EnvironmentMatch<'_, '_>,
        service_ids: &BTreeMap<&'m str, Id>,
        renames: &[Rename],
    ) {
        let mut changed: BTreeSet<VariableKey> = self
            .changes
            .iter()
            .filter(|c| c.environment.as_deref() == Some(environment.name.as_str()))
            .filter(|c| matches!(c.kind, Kind::Variable | Kind::SharedVariable | Kind::Reference))
            .filter_map(|c| Some((c.service.clone(), c.name.clone()?)))
            .collect();
        if changed.is_empty() {
            return;
        }
        // Every variable that refers to something → what it reads, once the plan is applied: the
        // files' value where declared, else the live one (services by their new names).
        let new_name = |service: &str| -> String {
            renames.iter().find(|r| r.old == service).map_or(service, |r| r.new.as_str()).to_string()
        };
        let mut readers: BTreeMap<VariableKey, Vec<VariableKey>> = BTreeMap::new();
        // Live values are read as Railway reads them; file values with railform's escape.
        let mut record = |owner: Option<String>, name: &str, text: &str, live: bool| {
            let references = if live { refs::parse_railway(text) } else { refs::parse_lenient(text) };
            let reads: Vec<VariableKey> = references
                .into_iter()
                .map(|reference| match reference.target {
                    Target::Service { service, var } => (Some(new_name(&service)), var),
                    Target::Shared { var } => (None, var),
                    Target::Local { var } => (owner.clone(), var),
                })
                .collect();
            let key = (owner, name.to_string());
            if reads.is_empty() {
                readers.remove(&key);
            } else {
                readers.insert(key, reads);
            }
        };
        let mut ids: BTreeMap<String, Id> =
            service_ids.iter().map(|(name, id)| (name.to_string(), id.clone())).collect();
        if let Some(live) = environment.live {
            for (name, value) in &live.shared {
                if let LiveValue::Value(text) = value {
                    record(None, name, text, true);
                }
            }
            for (service_id, instance) in &live.instances {
                let service = self.service_name(service_id, renames);
                ids.entry(service.clone()).or_insert_with(|| Id::Live(service_id.clone()));
                for (name, value) in &instance.variables {
                    if let LiveValue::Value(text) = value {
                        record(Some(service.clone()), name, text, true);
                    }
                }
            }
        }
        if let Some(desired) = environment.desired {
            for (name, variable) in &desired.shared {
                record(None, name, variable.value.literal().unwrap_or_default(), false);
            }
            for service in desired.services.values().filter(|s| !s.delete) {
                for (name, variable) in &service.variables {
                    record(Some(service.name.clone()), name, variable.value.literal().unwrap_or_default(), false);
                }
            }
        }
        loop {
            let newly: Vec<VariableKey> = readers
                .iter()
                .filter(|(key, reads)| !changed.contains(*key) && reads.iter().any(|read| changed.contains(read)))
                .map(|(key, _)| key.clone())
                .collect();
            if newly.is_empty() {
                break;
            }
            changed.extend(newly);
        }
        for service in changed.into_iter().filter_map(|(owner, _)| owner) {
            if let Some(id) = ids.get(&service) {
                self.mark_deploy(environment, &service, id.clone());
            }
        }
    }
}
