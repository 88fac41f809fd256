//! Deploys: one per changed instance, plus every instance that reads a changed variable
//! directly or through others (Railway resolves references when it deploys).

use std::collections::{BTreeMap, BTreeSet};

use super::{EnvironmentMatch, ProjectDiff, Rename};
use crate::plan::{Action, Change, Id, Kind, Operation};
use crate::refs::{self, Target};
use crate::state::LiveValue;

impl<'m, 'l> ProjectDiff<'m, 'l> {
    pub(super) fn plan_deploys(&mut self) {
        for ((environment, service), (service_id, environment_id)) in std::mem::take(&mut self.to_deploy) {
            let operation = Operation::Deploy { service: service_id, environment: environment_id };
            let address = format!("{environment}/{service}");
            self.add(
                Change::new(&self.project_name, address, Action::Deploy, Kind::Deployment, operation)
                    .in_environment(&environment)
                    .of_service(&service)
                    .because("one deploy after all its changes"),
            );
        }
    }

    pub(super) fn mark_deploy(&mut self, environment: &EnvironmentMatch<'_, '_>, service: &str, id: Id) {
        self.to_deploy.insert((environment.name.clone(), service.to_string()), (id, environment.id.clone()));
    }

    /// Railway resolves references when it deploys, so an instance whose variables refer,
    /// directly or through other variables, to a variable this plan changes is redeployed too.
    pub(super) fn deploy_dependents(
        &mut self,
        environment: &EnvironmentMatch<'_, '_>,
        service_ids: &BTreeMap<&'m str, Id>,
        renames: &[Rename],
    ) {
        // (service or None for shared, variable) → its text once the plan is applied: the
        // files' value where declared, else the live one.
        let mut values: BTreeMap<(Option<String>, String), String> = BTreeMap::new();
        let mut ids: BTreeMap<String, Id> =
            service_ids.iter().map(|(name, id)| (name.to_string(), id.clone())).collect();
        if let Some(live) = environment.live {
            for (name, value) in &live.shared {
                if let LiveValue::Value(text) = value {
                    values.insert((None, name.clone()), text.clone());
                }
            }
            for (service_id, instance) in &live.instances {
                let service = self.service_name(service_id, renames);
                ids.entry(service.clone()).or_insert_with(|| Id::Live(service_id.clone()));
                for (name, value) in &instance.variables {
                    if let LiveValue::Value(text) = value {
                        values.insert((Some(service.clone()), name.clone()), text.clone());
                    }
                }
            }
        }
        if let Some(desired) = environment.desired {
            let declared = desired.shared.iter().map(|(name, v)| (None, name, v)).chain(
                desired
                    .services
                    .values()
                    .filter(|s| !s.delete)
                    .flat_map(|s| s.variables.iter().map(move |(name, v)| (Some(s.name.clone()), name, v))),
            );
            for (owner, name, variable) in declared {
                if let Some(text) = variable.value.literal() {
                    values.insert((owner, name.clone()), text.to_string());
                }
            }
        }
        let mut changed: BTreeSet<(Option<String>, String)> = self
            .changes
            .iter()
            .filter(|c| c.environment.as_deref() == Some(environment.name.as_str()))
            .filter(|c| matches!(c.kind, Kind::Variable | Kind::SharedVariable | Kind::Reference))
            .filter_map(|c| Some((c.service.clone(), c.name.clone()?)))
            .collect();
        let new_name = |service: &str| -> String {
            renames.iter().find(|r| r.old == service).map_or(service, |r| r.new.as_str()).to_string()
        };
        loop {
            let reads_changed = |(owner, text): (&Option<String>, &String)| {
                refs::parse_lenient(text).iter().any(|reference| {
                    let target = match &reference.target {
                        Target::Service { service, var } => (Some(new_name(service)), var.clone()),
                        Target::Shared { var } => (None, var.clone()),
                        Target::Local { var } => (owner.clone(), var.clone()),
                    };
                    changed.contains(&target)
                })
            };
            let newly: Vec<(Option<String>, String)> = values
                .iter()
                .filter(|(key, text)| !changed.contains(*key) && reads_changed((&key.0, text)))
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
