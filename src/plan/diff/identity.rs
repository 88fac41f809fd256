//! Identity: which live object each desired one is. Environments match by name, else an earlier
//! name; services by pinned id, else name, else `renamed_from` (service names are project-wide).
//! Plans project and environment creates and renames, service creates, renames and tombstone
//! deletes, and collects the renames whose references must be rewritten.

use std::collections::{BTreeMap, HashMap};

use super::{DesiredService, EnvironmentMatch, ProjectDiff, Rename};
use crate::config::model::Environment;
use crate::plan::{Action, Change, Id, Kind, Operation};
use crate::state::{LiveEnvironment, LiveService};

impl<'m, 'l> ProjectDiff<'m, 'l> {
    /// Matches each desired environment to a live one by name, else by an earlier name.
    pub(super) fn match_environments(&mut self, environments: &[&'m Environment]) -> Vec<EnvironmentMatch<'m, 'l>> {
        let live_environments: &'l [LiveEnvironment] = self.live.map(|p| p.environments.as_slice()).unwrap_or(&[]);
        let mut default_environment_taken = false;
        let mut matched = Vec::new();
        for desired in environments {
            let by_name = live_environments.iter().find(|e| e.name == desired.name);
            let by_old_name =
                || desired.renamed_from.iter().find_map(|old| live_environments.iter().find(|e| &e.name == old));
            let (id, live) = match (by_name, by_name.is_none().then(by_old_name).flatten()) {
                (Some(live), _) => (Id::Live(live.id.clone()), Some(live)),
                (None, Some(live)) => {
                    let operation = Operation::RenameEnvironment {
                        environment: Id::Live(live.id.clone()),
                        name: desired.name.clone(),
                    };
                    self.add(
                        Change::new(&self.project_name, &desired.name, Action::Rename, Kind::Environment, operation)
                            .in_environment(&desired.name)
                            .named(&desired.name)
                            .because(format!("renamed from `{}`", live.name))
                            .values(Some(live.name.clone()), Some(desired.name.clone())),
                    );
                    (Id::Live(live.id.clone()), Some(live))
                }
                (None, None) => {
                    // A project railform creates starts with an environment `production`.
                    let is_default =
                        desired.name == "production" || desired.renamed_from.iter().any(|n| n == "production");
                    if self.live.is_none() && is_default && !default_environment_taken {
                        default_environment_taken = true;
                        let id = Id::New(self.key("project/production"));
                        if desired.name != "production" {
                            let operation =
                                Operation::RenameEnvironment { environment: id.clone(), name: desired.name.clone() };
                            self.add(
                                Change::new(
                                    &self.project_name,
                                    &desired.name,
                                    Action::Rename,
                                    Kind::Environment,
                                    operation,
                                )
                                .in_environment(&desired.name)
                                .named(&desired.name)
                                .because("a new project's first environment is `production`")
                                .values(Some("production".to_string()), Some(desired.name.clone())),
                            );
                        }
                        (id, None)
                    } else {
                        let key = self.key(&format!("environment:{}", desired.name));
                        let operation = Operation::CreateEnvironment {
                            key: key.clone(),
                            project: self.project_id.clone(),
                            name: desired.name.clone(),
                        };
                        self.add(
                            Change::new(
                                &self.project_name,
                                &desired.name,
                                Action::Create,
                                Kind::Environment,
                                operation,
                            )
                            .in_environment(&desired.name)
                            .because("declared in the files, missing in Railway"),
                        );
                        (Id::New(key), None)
                    }
                }
            };
            matched.push(EnvironmentMatch { name: desired.name.clone(), desired: Some(desired), id, live });
        }
        matched
    }

    /// Matches desired services to live ones; plans creates, renames and tombstone deletes.
    /// Returns the id of every service that will exist, by desired name, and the renames whose
    /// references must be rewritten.
    pub(super) fn match_services(
        &mut self,
        services: &[DesiredService<'m>],
        environments: &[EnvironmentMatch<'m, 'l>],
    ) -> (BTreeMap<&'m str, Id>, Vec<Rename>) {
        let live_services = self.live.map(|p| p.services.as_slice()).unwrap_or(&[]);
        // Looked up once per desired service: maps, so that many services plan in linear time.
        let by_id_map: HashMap<&str, &LiveService> = live_services.iter().map(|s| (s.id.as_str(), s)).collect();
        let by_name_map: HashMap<&str, &LiveService> = live_services.iter().map(|s| (s.name.as_str(), s)).collect();
        let mut ids = BTreeMap::new();
        let mut renames = Vec::new();
        for service in services {
            let by_id = service.pinned_id.and_then(|id| by_id_map.get(id).copied());
            if let Some(pinned) = service.pinned_id {
                let file = service.declarations.first().map_or("", |(i, _)| environments[*i].desired_file());
                match by_id {
                    None => {
                        self.errors.push(format!(
                            "{file}: service `{}` pins id = \"{pinned}\", and project {} has no service with that id. \
                             Fix the id, or remove it to find the service by name",
                            service.name, self.project_name
                        ));
                        continue;
                    }
                    Some(live) if live.name != service.name => {
                        if let Some(other) = by_name_map.get(service.name).filter(|s| s.id != live.id) {
                            self.errors.push(format!(
                                "{file}: service `{}` pins the id of live service `{}`, but another live service \
                                 ({}) is already named `{}`: the rename would collide. Fix the pinned id",
                                service.name, live.name, other.id, service.name
                            ));
                            continue;
                        }
                    }
                    Some(_) => {}
                }
            }
            let by_name = || by_name_map.get(service.name).copied();
            let by_old_name = || service.renamed_from.iter().find_map(|old| by_name_map.get(old).copied());
            let live = by_id.or_else(by_name).or_else(by_old_name);
            let tombstone = service.declarations.iter().all(|(_, declared)| declared.delete);
            if tombstone {
                if let Some(live) = live {
                    self.tombstoned.insert(live.id.clone());
                    self.plan_delete(service, &live.id, environments);
                }
                continue;
            }
            let id = match live {
                Some(live) => {
                    if live.name != service.name {
                        let operation = Operation::RenameService {
                            service: Id::Live(live.id.clone()),
                            name: service.name.to_string(),
                        };
                        self.add(
                            Change::new(&self.project_name, service.name, Action::Rename, Kind::Service, operation)
                                .of_service(service.name)
                                .named(service.name)
                                .because("renamed_from: the service keeps its id, volume and data")
                                .values(Some(live.name.clone()), Some(service.name.to_string())),
                        );
                        renames.push(Rename { old: live.name.clone(), new: service.name.to_string() });
                    }
                    Id::Live(live.id.clone())
                }
                None => {
                    let key = self.key(&format!("service:{}", service.name));
                    let in_environments: Vec<Id> = service
                        .declarations
                        .iter()
                        .filter(|(_, declared)| !declared.delete)
                        .map(|(index, _)| environments[*index].id.clone())
                        .collect();
                    let reason =
                        format!("declared in {} environment file(s), missing in Railway", in_environments.len());
                    // Railway creates a service in every environment unless told one: fine when
                    // every environment of the project declares it.
                    let unfiled = match self.live {
                        Some(live) => {
                            live.environments.len() > environments.iter().filter(|e| e.live.is_some()).count()
                        }
                        // A new project starts with `production`: unfiled unless a file claims it.
                        None => !environments.iter().any(|e| e.id == Id::New(self.key("project/production"))),
                    };
                    let everywhere = in_environments.len() == environments.len() && !unfiled;
                    let operation = Operation::CreateService {
                        key: key.clone(),
                        project: self.project_id.clone(),
                        name: service.name.to_string(),
                        environments: (!everywhere).then_some(in_environments),
                    };
                    self.add(
                        Change::new(&self.project_name, service.name, Action::Create, Kind::Service, operation)
                            .of_service(service.name)
                            .because(reason),
                    );
                    Id::New(key)
                }
            };
            // References still naming an earlier name are rewritten, even after the rename
            // itself happened (an interrupted apply), as long as no other live service has it.
            for old in &service.renamed_from {
                let taken = by_name_map.get(old).is_some_and(|s| Id::Live(s.id.clone()) != id);
                let already = renames.iter().any(|r| r.old == *old);
                if !taken && !already {
                    renames.push(Rename { old: old.to_string(), new: service.name.to_string() });
                }
            }
            ids.insert(service.name, id);
        }
        (ids, renames)
    }

    pub(super) fn plan_delete(
        &mut self,
        service: &DesiredService<'m>,
        live_id: &str,
        environments: &[EnvironmentMatch<'m, 'l>],
    ) {
        let live_volume = environments
            .iter()
            .filter_map(|e| e.live)
            .any(|e| e.instances.get(live_id).is_some_and(|i| !i.volume_mounts.is_empty()));
        let protected = service.declarations.iter().any(|(_, declared)| declared.is_protected(live_volume));
        if protected {
            self.warnings.push(format!(
                "service `{}` is marked `delete = true` but is protected (it has a volume): \
                 set `protect = false` and run apply with --allow-destroy to delete it",
                service.name
            ));
            return;
        }
        let operation = Operation::DeleteService { service: Id::Live(live_id.to_string()) };
        self.add(
            Change::new(&self.project_name, service.name, Action::Delete, Kind::Service, operation)
                .of_service(service.name)
                .because("marked `delete = true` (needs --allow-destroy)"),
        );
    }
}
