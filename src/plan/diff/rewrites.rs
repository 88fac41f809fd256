//! Reference rewrites after a rename: every live value that names an old service name, in every
//! environment of the project, filed or not. A value the files do not declare is shown only by
//! its references and saved only as a hash (it may be a secret).

use super::{EnvironmentMatch, ProjectDiff, Rename, VariableTarget};
use crate::plan::{Action, Change, Id, Kind, Operation, PatchEntry, WireValue};
use crate::refs::{self, Target};
use crate::state::{LiveInstance, LiveValue};

impl<'m, 'l> ProjectDiff<'m, 'l> {
    /// A rewrite of a live value that railform does not manage but that names a renamed service.
    pub(super) fn rewrite_live_value(
        &self,
        target: &VariableTarget<'_, 'm, 'l>,
        name: &str,
        value: &LiveValue,
        renames: &[Rename],
    ) -> Option<Change> {
        let owner = target.service.map(|s| s.name.as_str()).zip(target.service_id);
        self.rewrite_change(target.environment, owner, name, value, renames)
    }

    /// The rewrite of one live value that names a renamed service, or `None` when it names none.
    /// `owner` is the service (name, id) holding it; `None` for a shared variable.
    pub(super) fn rewrite_change(
        &self,
        environment: &EnvironmentMatch<'_, '_>,
        owner: Option<(&str, &Id)>,
        name: &str,
        value: &LiveValue,
        renames: &[Rename],
    ) -> Option<Change> {
        let LiveValue::Value(text) = value else { return None };
        let rewritten = apply_renames(text, renames)?;
        let owner_name = owner.map_or("shared", |(service, _)| service);
        let wire = WireValue::Rewrite {
            renames: renames.iter().map(|r| (r.old.clone(), r.new.clone())).collect(),
            digest: self.options.key.digest(text),
            digest_after: self.options.key.digest(&rewritten),
        };
        let operation = Operation::Patch {
            environment: environment.id.clone(),
            service: owner.map(|(_, id)| id.clone()),
            entry: PatchEntry::Variable { name: name.to_string(), value: wire },
        };
        // The live value may not be declared, so it may hold a secret: show only the references.
        let (before, after) = reference_summary(text, renames);
        let address = format!("{}/{owner_name}/{name}", environment.name);
        let mut change = Change::new(&self.project_name, address, Action::Rewrite, Kind::Reference, operation)
            .in_environment(&environment.name)
            .named(name)
            .because(rewrite_reason(text, renames))
            .values(Some(before), Some(after));
        if let Some((service, _)) = owner {
            change = change.of_service(service);
        }
        Some(change)
    }

    /// Live environments that no file describes: only their references to renamed services
    /// are rewritten (a rename is project-wide).
    pub(super) fn rewrite_unfiled_environments(&mut self, matched: &[EnvironmentMatch<'m, 'l>], renames: &[Rename]) {
        if renames.is_empty() {
            return;
        }
        let Some(live) = self.live else { return };
        for environment in &live.environments {
            if matched.iter().any(|m| m.live.is_some_and(|l| l.id == environment.id)) {
                continue;
            }
            let unfiled = EnvironmentMatch {
                name: environment.name.clone(),
                desired: None,
                id: Id::Live(environment.id.clone()),
                live: Some(environment),
            };
            let target = VariableTarget { environment: &unfiled, service: None, service_id: None };
            for (name, value) in &environment.shared {
                if let Some(change) = self.rewrite_live_value(&target, name, value, renames) {
                    self.changes.push(change);
                }
            }
            for (service_id, instance) in &environment.instances {
                let name = self.service_name(service_id, renames);
                self.rewrite_instance(&unfiled, service_id, &name, instance, renames);
            }
        }
    }

    pub(super) fn rewrite_instance(
        &mut self,
        environment: &EnvironmentMatch<'_, 'l>,
        service_id: &str,
        service_name: &str,
        instance: &LiveInstance,
        renames: &[Rename],
    ) {
        let id = Id::Live(service_id.to_string());
        let mut rewrote = false;
        for (name, value) in &instance.variables {
            let owner = Some((service_name, &id));
            if let Some(change) = self.rewrite_change(environment, owner, name, value, renames) {
                self.changes.push(change);
                rewrote = true;
            }
        }
        if rewrote {
            self.to_deploy
                .insert((environment.name.clone(), service_name.to_string()), (id, environment.id.clone(), None));
        }
    }
}

/// `text` with every reference to a renamed service pointing at the new name, or `None` when
/// nothing in it refers to a renamed service.
pub(super) fn apply_renames(text: &str, renames: &[Rename]) -> Option<String> {
    refs::rewrite_services(text, renames.iter().map(|r| (r.old.as_str(), r.new.as_str())))
}

pub(super) fn rewrite_reason(text: &str, renames: &[Rename]) -> String {
    let named: Vec<String> = renames
        .iter()
        .filter(|r| refs::rewrite_service(text, &r.old, &r.new).is_some())
        .map(|r| format!("`{}` is now `{}`", r.old, r.new))
        .collect();
    format!("reference rewrite: {}", named.join(", "))
}

/// The references of `text` that a rename changes, before and after (never the rest of the
/// value, which may be a secret).
pub(super) fn reference_summary(text: &str, renames: &[Rename]) -> (String, String) {
    let mut before = Vec::new();
    let mut after = Vec::new();
    for reference in refs::parse_railway(text) {
        if let Target::Service { service, var } = &reference.target {
            if let Some(rename) = renames.iter().find(|r| &r.old == service) {
                before.push(format!("${{{{{service}.{var}}}}}"));
                after.push(format!("${{{{{}.{var}}}}}", rename.new));
            }
        }
    }
    (before.join(" "), after.join(" "))
}
