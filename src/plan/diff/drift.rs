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
            let deleted = desired.services.get(&name).is_some_and(|s| s.delete);
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

    pub(super) fn report_unmanaged_services(&mut self, service_ids: &BTreeMap<&'m str, Id>) {
        let Some(live) = self.live else { return };
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
            if !managed.contains(service.id.as_str()) && !deleted.contains(service.id.as_str()) {
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
