//! The benchmark's workloads: a project of E environments × S services × V variables, described
//! once and rendered three ways — as the values the emulator is seeded with, as the environment
//! files railform reads, and as the live state the offline diff compares against.
//!
//! Values differ per environment and service; `VAR_00` of every service but the first refers to
//! the previous service (`${{svc-041.VAR_01}}`), so references are planned and checked too.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use railform::state::{LiveEnvironment, LiveInstance, LiveProject, LiveService, LiveValue};

/// The project name every workload uses (each workload runs on an emulator of its own).
pub const PROJECT: &str = "bench";

/// One in ten services is changed by the "apply 10%" run: all of its variables, in every
/// environment, so that 10% of the project's variables change.
pub const CHANGED_SERVICE_EVERY: usize = 10;

/// The shape of a project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Workload {
    pub environments: usize,
    pub services: usize,
    pub variables: usize,
}

/// Which values the files or the seed carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Revision {
    /// The values the emulator is seeded with.
    Seeded,
    /// The seeded values with 10% of the variables changed (see [`CHANGED_SERVICE_EVERY`]).
    TenPercentChanged,
}

impl Workload {
    /// `5 × 200 × 20`.
    pub fn label(&self) -> String {
        format!("{} × {} × {}", self.environments, self.services, self.variables)
    }

    /// Environment names: Railway's first environment `production`, then `env-01`, `env-02`…
    pub fn environment_names(&self) -> Vec<String> {
        (0..self.environments).map(environment_name).collect()
    }

    pub fn service_names(&self) -> Vec<String> {
        (0..self.services).map(service_name).collect()
    }

    /// True for the services whose variables the "apply 10%" run changes.
    pub fn is_changed_service(&self, service: usize) -> bool {
        service % CHANGED_SERVICE_EVERY == 0
    }

    /// Service instances (service × environment) the "apply 10%" run changes.
    pub fn changed_instances(&self) -> usize {
        self.environments * (0..self.services).filter(|&s| self.is_changed_service(s)).count()
    }

    /// Environments the "apply 10%" run changes (every one: each holds changed services).
    pub fn changed_environments(&self) -> usize {
        if (0..self.services).any(|s| self.is_changed_service(s)) {
            self.environments
        } else {
            0
        }
    }

    /// Instances the "apply 10%" run leaves alone but must redeploy: each reads `VAR_01` of the
    /// service before it, so a change there changes what it renders (Railway resolves references
    /// when it deploys).
    pub fn dependent_instances(&self) -> usize {
        let depends_on_changed = |s: usize| s > 0 && self.is_changed_service(s - 1) && !self.is_changed_service(s);
        self.environments * (0..self.services).filter(|&s| depends_on_changed(s)).count()
    }

    /// Instances the "apply 10%" run deploys: the changed ones and those reading them.
    pub fn instances_to_deploy(&self) -> usize {
        self.changed_instances() + self.dependent_instances()
    }

    /// The writes the README's formula allows the "apply 10%" run: 2 per changed environment
    /// (stage and commit), plus one per created or renamed environment or service (none here),
    /// plus one deploy per instance to deploy.
    pub fn expected_apply_writes(&self) -> u64 {
        (2 * self.changed_environments() + self.instances_to_deploy()) as u64
    }

    /// Variables the "apply 10%" run changes.
    pub fn changed_variables(&self) -> usize {
        self.changed_instances() * self.variables
    }

    /// The raw (Railway `${{…}}` form) variables of one service instance.
    pub fn instance_variables(
        &self,
        environment: usize,
        service: usize,
        revision: Revision,
    ) -> BTreeMap<String, String> {
        let changed = revision == Revision::TenPercentChanged && self.is_changed_service(service);
        (0..self.variables)
            .map(|variable| {
                let value = if changed {
                    format!("changed-{environment}-{service}-{variable}")
                } else if variable == 0 && service > 0 {
                    format!("${{{{{}.VAR_01}}}}", service_name(service - 1))
                } else {
                    format!("value-{environment}-{service}-{variable}")
                };
                (variable_name(variable), value)
            })
            .collect()
    }

    /// One environment file, variables written in railform's `$<<…>>` reference form; with
    /// `project_id`, the project is pinned by id too.
    pub fn environment_file(&self, environment: usize, revision: Revision, project_id: Option<&str>) -> String {
        let mut text = format!("project = \"{PROJECT}\"\nenvironment = \"{}\"\n", environment_name(environment));
        if let Some(id) = project_id {
            let _ = writeln!(text, "project_id = \"{id}\"");
        }
        for service in 0..self.services {
            let _ = write!(text, "\n[services.{}.variables]\n", service_name(service));
            for (name, value) in self.instance_variables(environment, service, revision) {
                let value = value.replace("${{", "$<<").replace("}}", ">>");
                let _ = writeln!(text, "{name} = \"{value}\"");
            }
        }
        text
    }

    /// Writes every environment file into `folder` (created if missing).
    pub fn write_files(&self, folder: &Path, revision: Revision) -> std::io::Result<()> {
        self.write_pinned_files(folder, revision, None)
    }

    /// [`write_files`](Self::write_files), the project pinned by `project_id` when given.
    pub fn write_pinned_files(
        &self,
        folder: &Path,
        revision: Revision,
        project_id: Option<&str>,
    ) -> std::io::Result<()> {
        std::fs::create_dir_all(folder)?;
        for environment in 0..self.environments {
            let path = folder.join(format!("{}.toml", environment_name(environment)));
            std::fs::write(path, self.environment_file(environment, revision, project_id))?;
        }
        Ok(())
    }

    /// The live state that matches the files of `revision` exactly, with made-up ids: what the
    /// offline diff is measured against.
    pub fn live_project(&self, revision: Revision) -> LiveProject {
        let services = (0..self.services)
            .map(|service| LiveService { id: service_id(service), name: service_name(service) })
            .collect();
        let environments = (0..self.environments)
            .map(|environment| LiveEnvironment {
                id: format!("environment-{environment}"),
                name: environment_name(environment),
                config_etag: format!("etag-{environment}"),
                unmerged_changes: 0,
                shared: BTreeMap::new(),
                instances: (0..self.services)
                    .map(|service| {
                        let variables = self
                            .instance_variables(environment, service, revision)
                            .into_iter()
                            .map(|(name, value)| (name, LiveValue::Value(value)))
                            .collect();
                        (service_id(service), LiveInstance { variables, ..LiveInstance::default() })
                    })
                    .collect(),
                ephemeral: None,
            })
            .collect();
        LiveProject { id: "project-bench".into(), name: PROJECT.into(), services, environments }
    }
}

pub fn environment_name(index: usize) -> String {
    if index == 0 {
        "production".to_string()
    } else {
        format!("env-{index:02}")
    }
}

pub fn service_name(index: usize) -> String {
    format!("svc-{index:03}")
}

pub fn variable_name(index: usize) -> String {
    format!("VAR_{index:02}")
}

fn service_id(index: usize) -> String {
    format!("service-{index}")
}
