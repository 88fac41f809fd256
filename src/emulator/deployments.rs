//! Deployments as Railway runs them: each goes INITIALIZING → BUILDING → DEPLOYING (a third of
//! `--deploy-seconds` each) and then ends `SUCCESS`, `FAILED` or `CRASHED`. Nothing runs in the
//! background: a deployment records when it started, how long it takes and how it ends, and its
//! status at any moment is computed when it is read ([`State::deployment_status`]).
//!
//! - A deployment whose rendered variables hold a dangling reference (a service with no
//!   instance there, a variable nobody defined, a cycle; see
//!   [`RenderedScope::dangling`](super::resolve::RenderedScope::dangling)) ends `FAILED`. A
//!   Railway-provided variable the instance does not have yet (`RAILWAY_PUBLIC_DOMAIN` without a
//!   domain, `RAILWAY_TCP_PROXY_*` without a proxy, `RAILWAY_VOLUME_*` without a volume) stays
//!   unresolved without failing it, as Railway's Postgres template shows.
//! - `POST /_emulator/fail-deploys` makes the next deployments of a service end `FAILED` (its
//!   healthcheck failed) or `CRASHED` ([`FailRule`]).
//! - A deployment that reaches `SUCCESS` (or `CRASHED`: it started, then exited) replaces the
//!   instance's earlier ones, which become `REMOVED` at that moment. A `FAILED` one replaces
//!   nothing: the previous deployment stays active, as Railway keeps the previous version when
//!   a new one fails its healthcheck.
//! - `deploymentRollback(id)` starts a new deployment from the old one's snapshot (its variables,
//!   settings and replicas) and it becomes the active one; `deploymentRedeploy(id)` deploys the
//!   instance again as it is now. A rollback is not subject to injected failures (it runs what
//!   already ran successfully).

use super::resolve::{Renderer, Scope};
use super::store::{
    clock_ms, new_id, now_ms, timestamp_ms, Deployment, DeploymentState, FailRule, Instance, Refusal, State,
};

/// What the phases of a deployment are called, in order.
const PHASES: [DeploymentState; 3] =
    [DeploymentState::Initializing, DeploymentState::Building, DeploymentState::Deploying];

impl Deployment {
    /// When it reaches its final status.
    pub fn finished_ms(&self) -> u64 {
        self.started_ms.saturating_add(self.duration_ms)
    }

    /// Its phase at `now`, or `None` once its phases are over.
    fn phase_at(&self, now: u64) -> Option<(DeploymentState, u64)> {
        if now >= self.finished_ms() {
            return None;
        }
        let elapsed = now.saturating_sub(self.started_ms);
        let phase = usize::try_from(elapsed.saturating_mul(3) / self.duration_ms.max(1)).unwrap_or(2).min(2);
        let since = self.started_ms + self.duration_ms * phase as u64 / 3;
        Some((PHASES[phase], since))
    }

    /// True when it ends by becoming active (`SUCCESS`, or `CRASHED` after starting), and so
    /// replaces the instance's earlier deployments when it gets there.
    fn replaces_earlier(&self) -> bool {
        matches!(self.status, DeploymentState::Success | DeploymentState::Crashed)
            && self.removed_ms.is_none_or(|removed| removed >= self.finished_ms())
    }

    fn same_instance(&self, other: &Deployment) -> bool {
        self.environment_id == other.environment_id && self.service_id == other.service_id
    }
}

/// A deployment's status at one moment, and since when it has had it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusAt {
    pub status: DeploymentState,
    pub since_ms: u64,
}

impl State {
    /// The position of a deployment in [`State::deployments`] (creation order).
    pub fn deployment_index(&self, id: &str) -> Result<usize, Refusal> {
        self.deployments.iter().position(|d| d.id == id).ok_or_else(|| Refusal::new("Deployment not found"))
    }

    /// The status of the deployment at `index` at `now` (ms since 1970).
    pub fn deployment_status(&self, index: usize, now: u64) -> StatusAt {
        let deployment = &self.deployments[index];
        if let Some(removed) = deployment.removed_ms.filter(|&removed| removed <= now) {
            return StatusAt { status: DeploymentState::Removed, since_ms: removed };
        }
        if let Some((status, since_ms)) = deployment.phase_at(now) {
            return StatusAt { status, since_ms };
        }
        let finished = deployment.finished_ms();
        if deployment.status != DeploymentState::Failed {
            if let Some(replaced) = self.replaced_at(index).filter(|&replaced| replaced <= now) {
                return StatusAt { status: DeploymentState::Removed, since_ms: replaced };
            }
        }
        StatusAt { status: deployment.status, since_ms: finished }
    }

    /// When a later deployment of the same instance replaces the one at `index` (the first of
    /// them to become active), if one does.
    fn replaced_at(&self, index: usize) -> Option<u64> {
        let deployment = &self.deployments[index];
        self.deployments[index + 1..]
            .iter()
            .filter(|later| later.same_instance(deployment) && later.replaces_earlier())
            .map(|later| later.finished_ms().max(deployment.finished_ms()))
            .min()
    }

    /// True when the deployment at `index` ran successfully (it can be rolled back to), as of
    /// `now`: it ended `SUCCESS`, and was not removed before.
    pub fn deployment_succeeded(&self, index: usize, now: u64) -> bool {
        let deployment = &self.deployments[index];
        deployment.status == DeploymentState::Success
            && deployment.finished_ms() <= now
            && deployment.removed_ms.is_none_or(|removed| removed >= deployment.finished_ms())
    }

    /// Railway's `canRollback`: it ran successfully and a later deployment of the instance exists.
    pub fn deployment_can_roll_back(&self, index: usize, now: u64) -> bool {
        let deployment = &self.deployments[index];
        self.deployment_succeeded(index, now)
            && self.deployments[index + 1..].iter().any(|later| later.same_instance(deployment))
    }

    /// The positions of one instance's deployments, oldest first.
    pub fn deployment_indexes_of<'s>(
        &'s self,
        environment_id: &'s str,
        service_id: &'s str,
    ) -> impl DoubleEndedIterator<Item = usize> + 's {
        self.deployments
            .iter()
            .enumerate()
            .filter(move |(_, d)| d.environment_id == environment_id && d.service_id == service_id)
            .map(|(index, _)| index)
    }

    /// Starts a deployment of one instance with its variables rendered now; returns its id.
    pub fn deploy(&mut self, environment_id: &str, service_id: &str, reason: &str) -> Result<String, Refusal> {
        self.start_deployment(environment_id, service_id, reason, None)
    }

    /// Starts a deployment; with `snapshot`, one that runs what that earlier deployment ran.
    fn start_deployment(
        &mut self,
        environment_id: &str,
        service_id: &str,
        reason: &str,
        snapshot: Option<&Deployment>,
    ) -> Result<String, Refusal> {
        let instance = self.instance(environment_id, service_id)?.clone();
        let rendered = Renderer::new(self, environment_id)?.render_checked(Scope::Service(service_id));
        let environment = self.environment(environment_id)?.clone();
        let service_name = self.service(service_id)?.name.clone();
        let injected = match snapshot {
            Some(_) => None,
            None => self.take_injected_failure(&service_name, &environment.name),
        };
        let started_ms = now_ms();
        let stamp = timestamp_ms(started_ms);
        let mut deployment = Deployment {
            id: new_id(),
            project_id: environment.project_id.clone(),
            service_id: service_id.to_string(),
            service_name,
            environment_id: environment_id.to_string(),
            environment_name: environment.name.clone(),
            status: DeploymentState::Success,
            started_ms,
            duration_ms: self.emulation.deploy_ms,
            removed_ms: None,
            failure: None,
            dangling: rendered.dangling,
            created_at: stamp.clone(),
            updated_at: stamp,
            meta: deployment_meta(&instance, reason),
            replicas: replicas(&instance),
            variables: rendered.values,
            unresolved: rendered.unresolved,
        };
        if let Some(old) = snapshot {
            deployment.variables = old.variables.clone();
            deployment.unresolved = old.unresolved.clone();
            deployment.dangling = old.dangling.clone();
            deployment.replicas = old.replicas;
            deployment.meta = old.meta.clone();
            deployment.meta["reason"] = serde_json::Value::String(reason.into());
            deployment.meta["rollbackOf"] = serde_json::Value::String(old.id.clone());
        }
        if let Some(status) = injected {
            deployment.status = status;
            deployment.failure = Some(
                match status {
                    DeploymentState::Crashed => {
                        "the process exited after starting (injected by /_emulator/fail-deploys)"
                    }
                    _ => "the healthcheck failed (injected by /_emulator/fail-deploys)",
                }
                .to_string(),
            );
        } else if !deployment.dangling.is_empty() {
            deployment.status = DeploymentState::Failed;
            deployment.failure = Some(format!("unresolved references: {}", deployment.dangling.join(", ")));
        }
        let id = deployment.id.clone();
        self.deployments.push(deployment);
        Ok(id)
    }

    /// `deploymentRedeploy`: deploys that deployment's instance again, with its settings and
    /// variables as they are now; returns the new deployment's id.
    pub fn redeploy(&mut self, deployment_id: &str) -> Result<String, Refusal> {
        let deployment = self.deployment(deployment_id)?.clone();
        self.instance(&deployment.environment_id, &deployment.service_id)?;
        self.deploy(&deployment.environment_id, &deployment.service_id, "redeploy")
    }

    /// `deploymentRollback`: a new deployment runs what a deployment that succeeded ran (its
    /// variables, settings and replicas; the instance's live variables are left as they are)
    /// and becomes the active one. Returns the new deployment's id.
    pub fn roll_back(&mut self, deployment_id: &str) -> Result<String, Refusal> {
        let index = self.deployment_index(deployment_id)?;
        if !self.deployment_succeeded(index, clock_ms()) {
            return Err(Refusal::new("Only a deployment that succeeded can be rolled back to"));
        }
        let old = self.deployments[index].clone();
        self.instance(&old.environment_id, &old.service_id)?;
        self.start_deployment(&old.environment_id, &old.service_id, "rollback", Some(&old))
    }

    /// `deploymentRestart`: restarts an active (or crashed) deployment's replicas; it stays the
    /// same deployment, and a crashed one runs again.
    pub fn restart(&mut self, deployment_id: &str) -> Result<bool, Refusal> {
        let index = self.deployment_index(deployment_id)?;
        let now = clock_ms();
        let status = self.deployment_status(index, now).status;
        if !matches!(status, DeploymentState::Success | DeploymentState::Crashed) {
            return Err(Refusal::new("Only an active or crashed deployment can be restarted"));
        }
        let deployment = &mut self.deployments[index];
        deployment.status = DeploymentState::Success;
        deployment.failure = None;
        deployment.updated_at = timestamp_ms(now_ms());
        Ok(true)
    }

    /// `deploymentRemove`: stops a deployment (an active one leaves its instance with none).
    pub fn remove_deployment(&mut self, deployment_id: &str) -> Result<bool, Refusal> {
        let index = self.deployment_index(deployment_id)?;
        let stamp = now_ms();
        let deployment = &mut self.deployments[index];
        deployment.removed_ms.get_or_insert(stamp);
        deployment.updated_at = timestamp_ms(stamp);
        Ok(true)
    }

    /// The status a deployment of `service` in `environment` should end with because a test
    /// asked for it, consuming one use of the rule that says so.
    fn take_injected_failure(&mut self, service: &str, environment: &str) -> Option<DeploymentState> {
        let rules = &mut self.emulation.fail_rules;
        let position = rules.iter().position(|rule| {
            rule.service == service && rule.environment.as_deref().is_none_or(|wanted| wanted == environment)
        })?;
        let status = rules[position].status;
        if let Some(remaining) = &mut rules[position].remaining {
            *remaining = remaining.saturating_sub(1);
            if *remaining == 0 {
                rules.remove(position);
            }
        }
        Some(status)
    }

    /// `POST /_emulator/fail-deploys`: adds a rule (replacing one for the same service and
    /// environment).
    pub fn add_fail_rule(&mut self, rule: FailRule) -> Result<(), Refusal> {
        if !matches!(rule.status, DeploymentState::Failed | DeploymentState::Crashed) {
            return Err(Refusal::new("status must be FAILED or CRASHED"));
        }
        if rule.remaining == Some(0) {
            return Err(Refusal::new("count must be at least 1"));
        }
        let rules = &mut self.emulation.fail_rules;
        rules.retain(|existing| !(existing.service == rule.service && existing.environment == rule.environment));
        rules.push(rule);
        Ok(())
    }

    /// Clears the rules of one service, or every rule.
    pub fn clear_fail_rules(&mut self, service: Option<&str>) {
        self.emulation.fail_rules.retain(|rule| service.is_some_and(|service| rule.service != service));
    }
}

/// How many replicas an instance runs: the sum of its regions', else `numReplicas`, else one.
fn replicas(instance: &Instance) -> i64 {
    instance.config.deploy.as_ref().map_or(1, |deploy| {
        let regional: i64 = deploy.multi_region_config.iter().flatten().filter_map(|(_, r)| r.num_replicas).sum();
        if regional > 0 {
            regional
        } else {
            deploy.num_replicas.unwrap_or(1)
        }
    })
}

/// Railway's `DeploymentMeta` of a deployment: why it ran, the source it ran, and the
/// instance's settings at that moment (`serviceManifest`, where the official CLI reads the
/// regions and replicas from).
fn deployment_meta(instance: &Instance, reason: &str) -> serde_json::Value {
    let mut manifest = instance.config.clone();
    if let Some(credentials) = manifest.deploy.as_mut().and_then(|deploy| deploy.registry_credentials.as_mut()) {
        credentials.password = None;
    }
    let mut meta = serde_json::json!({"reason": reason, "serviceManifest": manifest});
    if let Some(source) = &instance.config.source {
        for (key, value) in [("image", &source.image), ("repo", &source.repo), ("branch", &source.branch)] {
            if let Some(value) = value {
                meta[key] = serde_json::Value::String(value.clone());
            }
        }
    }
    meta
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::fixture;

    fn status(state: &State, id: &str, now: u64) -> DeploymentState {
        state.deployment_status(state.deployment_index(id).unwrap(), now).status
    }

    #[test]
    fn phases_advance_with_time_and_success_replaces_the_previous_deployment_then() {
        let mut state = fixture(&[("api", "A", "1")]);
        state.emulation.deploy_ms = 3000;
        let first = state.deploy("e", "api", "deploy").unwrap();
        let start = state.deployment(&first).unwrap().started_ms;
        assert_eq!(status(&state, &first, start), DeploymentState::Initializing);
        assert_eq!(status(&state, &first, start + 1000), DeploymentState::Building);
        assert_eq!(status(&state, &first, start + 2999), DeploymentState::Deploying);
        assert_eq!(status(&state, &first, start + 3000), DeploymentState::Success);
        let second = state.deploy("e", "api", "deploy").unwrap();
        let second_start = state.deployment(&second).unwrap().started_ms;
        assert_eq!(status(&state, &first, second_start + 2999), DeploymentState::Success, "still active");
        assert_eq!(status(&state, &first, second_start + 3000), DeploymentState::Removed);
        assert_eq!(status(&state, &second, second_start + 3000), DeploymentState::Success);
    }

    #[test]
    fn a_failed_deployment_leaves_the_previous_one_active_and_a_crashed_one_replaces_it() {
        let mut state = fixture(&[("api", "A", "1")]);
        let first = state.deploy("e", "api", "deploy").unwrap();
        state
            .instance_mut("e", "api")
            .unwrap()
            .variables
            .insert("B".into(), super::super::store::Variable::new("${{Nope.X}}"));
        let failed = state.deploy("e", "api", "deploy").unwrap();
        let now = clock_ms();
        assert_eq!(status(&state, &failed, now), DeploymentState::Failed);
        assert_eq!(status(&state, &first, now), DeploymentState::Success);
        assert_eq!(state.deployment(&failed).unwrap().failure.as_deref(), Some("unresolved references: Nope.X"));

        state.instance_mut("e", "api").unwrap().variables.remove("B");
        let rule =
            FailRule { service: "api".into(), environment: None, remaining: Some(1), status: DeploymentState::Crashed };
        state.add_fail_rule(rule).unwrap();
        let crashed = state.deploy("e", "api", "deploy").unwrap();
        let now = clock_ms();
        assert_eq!(status(&state, &crashed, now), DeploymentState::Crashed);
        assert_eq!(status(&state, &first, now), DeploymentState::Removed);
        assert!(state.emulation.fail_rules.is_empty(), "count=1 is used up");

        let rolled_back = state.roll_back(&first).unwrap();
        let now = clock_ms();
        assert_eq!(status(&state, &rolled_back, now), DeploymentState::Success);
        assert_eq!(status(&state, &crashed, now), DeploymentState::Removed);
        assert!(state.roll_back(&failed).is_err(), "a failed deployment cannot be rolled back to");
    }
}
