//! Live objects the files do not declare: reported as unmanaged (drift), never deleted.

use std::collections::{BTreeMap, BTreeSet};

use super::{EnvironmentMatch, ProjectDiff, Rename};
use crate::config::model::Environment;
use crate::plan::{Id, Kind, Operation, Unmanaged};

impl<'m, 'l> ProjectDiff<'m, 'l> {
    /// Live instances in a filed environment whose service the file does not declare: reported,
    /// never deleted; their references to renamed services are still rewritten.
    pub(super) fn report_undeclared_instances(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        desired: &'m Environment,
        service_ids: &BTreeMap<&'m str, Id>,
        renames: &[Rename],
    ) {
        let Some(live) = environment.live else { return };
        let declared_ids: BTreeSet<&str> = desired
            .services
            .values()
            .filter_map(|s| match service_ids.get(s.name.as_str()) {
                Some(Id::Live(id)) => Some(id.as_str()),
                _ => None,
            })
            .collect();
        for (service_id, instance) in &live.instances {
            if declared_ids.contains(service_id.as_str()) {
                continue;
            }
            let name = self.service_name(service_id, renames);
            let deleted = desired.services.get(&name).is_some_and(|s| s.delete) || self.tombstoned.contains(service_id);
            if deleted {
                continue;
            }
            self.unmanaged.push(Unmanaged {
                project: self.project_name.clone(),
                address: format!("{}/{name}", environment.name),
                kind: Kind::Service,
                environment: Some(environment.name.clone()),
                service: Some(name.clone()),
                name: name.clone(),
            });
            self.rewrite_instance(environment, service_id, &name, instance, renames);
        }
    }

    /// Live services that no file declares and that have no instance in a planned environment:
    /// reported project-wide, but only when every environment of the project is planned (or the
    /// service has no instance anywhere), since planning a subset of the environments reports
    /// drift only in those.
    pub(super) fn report_unmanaged_services(
        &mut self,
        service_ids: &BTreeMap<&'m str, Id>,
        environments: &[EnvironmentMatch<'m, 'l>],
    ) {
        let Some(live) = self.live else { return };
        let planned: BTreeSet<&str> = environments.iter().filter_map(|e| e.live.map(|l| l.id.as_str())).collect();
        let every_environment_planned = live.environments.iter().all(|e| planned.contains(e.id.as_str()));
        let managed: BTreeSet<&str> = service_ids
            .values()
            .filter_map(|id| match id {
                Id::Live(id) => Some(id.as_str()),
                Id::New(_) => None,
            })
            .collect();
        let deleted: BTreeSet<&str> = self
            .changes
            .iter()
            .filter_map(|c| match &c.operation {
                Operation::DeleteService { service: Id::Live(id) } => Some(id.as_str()),
                _ => None,
            })
            .collect();
        let mut found = Vec::new();
        for service in &live.services {
            let declared = managed.contains(service.id.as_str())
                || deleted.contains(service.id.as_str())
                || self.tombstoned.contains(&service.id);
            let nowhere = live.environments.iter().all(|e| e.instance(&service.id).is_none());
            if !declared && (every_environment_planned || nowhere) {
                found.push(Unmanaged {
                    project: self.project_name.clone(),
                    address: service.name.clone(),
                    kind: Kind::Service,
                    environment: None,
                    service: Some(service.name.clone()),
                    name: service.name.clone(),
                });
            }
        }
        // An instance already reported per environment is enough; the project-wide line is
        // for services with no instance in a filed environment.
        for entry in found {
            if !self.unmanaged.iter().any(|u| u.kind == Kind::Service && u.service == entry.service) {
                self.unmanaged.push(entry);
            }
        }
    }
}
