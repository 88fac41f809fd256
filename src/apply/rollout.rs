//! The rollout: an apply's deploys in the order of the reference graph. A deploy starts once
//! every service of its environment it waits for (`Operation::Deploy::after`) has been deployed
//! — with `--wait`, once their deployments succeeded. Independent deploys go a few at a time.
//! While waiting, each environment's latest deployments are read in one request per poll, with an
//! interval that grows with the time waited. A failed deployment (`FAILED`, `CRASHED`) stops its
//! dependents; what is already running is followed to its end; with `--rollback-on-failure` the
//! failed service's previous successful deployment is redeployed (`deploymentRollback`).

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use futures::StreamExt;

use crate::plan::{Change, Id, Operation};
use crate::railway::{ApiError, Client};

/// How the deploys are followed.
#[derive(Debug, Clone, Copy, Default)]
pub struct Waiting {
    /// Follow every deployment until it ends; `None`: start them in order and do not wait.
    pub timeout: Option<Duration>,
    pub rollback_on_failure: bool,
}

/// One deployment the rollout started, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Deployed {
    pub address: String,
    pub environment: String,
    pub service: String,
    /// Railway's id of the environment (what the polls read).
    #[serde(skip)]
    pub environment_id: String,
    /// Railway's id, when the deploy was accepted.
    pub deployment_id: Option<String>,
    /// Railway's status at the end (`SUCCESS`, `FAILED`, `CRASHED`…); `STARTED` without
    /// `--wait`; `NOT STARTED` when a service it waits for failed.
    pub status: String,
    /// The deployment redeployed after a failure (`--rollback-on-failure`).
    pub rolled_back_to: Option<String>,
}

impl Deployed {
    pub fn failed(&self) -> bool {
        !matches!(self.status.as_str(), "SUCCESS" | "STARTED" | "SLEEPING")
    }

    /// True once nothing more will be heard of it: Railway ended it, it never started, or the
    /// wait for it timed out.
    pub fn ended(&self) -> bool {
        ENDED.contains(&self.status.as_str()) || self.deployment_id.is_none() || self.status.starts_with("TIMED OUT")
    }
}

/// Receives the state of each deployment as it changes.
pub trait RolloutProgress {
    fn deployment(&self, deployed: &Deployed, elapsed: Duration);
}

/// Statuses after which a deployment does not change any more.
const ENDED: [&str; 5] = ["SUCCESS", "FAILED", "CRASHED", "REMOVED", "SKIPPED"];
const WRITES_IN_FLIGHT: usize = 4;

struct Target<'c> {
    change: &'c Change,
    environment_id: String,
    service_id: String,
    after: Vec<String>,
    /// The latest deployment when planned (see `Operation::Deploy::replaces`).
    replaces: Option<String>,
}

/// Deploys `changes` (all `Operation::Deploy`) in dependency order. `ids` turns plan ids into
/// live ones. Returns every deployment with its end.
pub async fn run(
    client: &Client,
    changes: &[&Change],
    ids: &dyn Fn(&Id) -> anyhow::Result<String>,
    waiting: Waiting,
    progress: &dyn RolloutProgress,
) -> anyhow::Result<Vec<Deployed>> {
    let started = Instant::now();
    let mut targets = Vec::with_capacity(changes.len());
    for change in changes {
        let Operation::Deploy { service, environment, after, replaces } = &change.operation else {
            anyhow::bail!("{} is not a deploy", change.address);
        };
        let after = after.iter().map(ids).collect::<Result<Vec<_>, _>>()?;
        targets.push(Target {
            change,
            environment_id: ids(environment)?,
            service_id: ids(service)?,
            after,
            replaces: replaces.clone(),
        });
    }
    // What runs now, to roll back to (one read per environment, only when it may be needed).
    let mut previous: BTreeMap<(String, String), String> = BTreeMap::new();
    if waiting.timeout.is_some() && waiting.rollback_on_failure {
        let environments: BTreeSet<&str> = targets.iter().map(|t| t.environment_id.as_str()).collect();
        for environment in environments {
            for (service, latest) in client.latest_deployments(environment).await? {
                if let Some((id, _)) = latest.filter(|(_, status)| status == "SUCCESS") {
                    previous.insert((environment.to_string(), service), id);
                }
            }
        }
    }
    let key = |t: &Target<'_>| (t.environment_id.clone(), t.service_id.clone());
    let mut outcomes: BTreeMap<(String, String), Deployed> = BTreeMap::new();
    let mut pending: Vec<&Target<'_>> = targets.iter().collect();
    while !pending.is_empty() {
        let succeeded = |outcomes: &BTreeMap<(String, String), Deployed>, t: &Target<'_>, dep: &String| {
            outcomes.get(&(t.environment_id.clone(), dep.clone())).is_some_and(|d| !d.failed())
        };
        let failed_dependency = |outcomes: &BTreeMap<(String, String), Deployed>, t: &Target<'_>| {
            t.after
                .iter()
                .any(|dep| outcomes.get(&(t.environment_id.clone(), dep.clone())).is_some_and(Deployed::failed))
        };
        let (blocked, rest): (Vec<&Target<'_>>, Vec<&Target<'_>>) =
            pending.into_iter().partition(|t| failed_dependency(&outcomes, t));
        for target in blocked {
            let deployed = outcome(target, None, "NOT STARTED");
            progress.deployment(&deployed, started.elapsed());
            outcomes.insert(key(target), deployed);
        }
        let waiting_on = |t: &Target<'_>| {
            t.after.iter().any(|dep| {
                targets.iter().any(|o| o.environment_id == t.environment_id && o.service_id == *dep)
                    && !succeeded(&outcomes, t, dep)
            })
        };
        let (ready, later): (Vec<&Target<'_>>, Vec<&Target<'_>>) = rest.into_iter().partition(|t| !waiting_on(t));
        if ready.is_empty() && !later.is_empty() {
            // A cycle cannot pass validation; deploy what is left rather than wait forever.
            for target in later {
                let deployed = deploy_one(client, target).await;
                outcomes.insert(key(target), deployed);
            }
            break;
        }
        let started_now: Vec<Deployed> = futures::stream::iter(ready.iter().copied())
            .map(|target| deploy_one(client, target))
            .buffer_unordered(WRITES_IN_FLIGHT)
            .collect()
            .await;
        let mut layer: Vec<Deployed> = Vec::new();
        for deployed in started_now {
            progress.deployment(&deployed, started.elapsed());
            layer.push(deployed);
        }
        if let Some(timeout) = waiting.timeout {
            follow(client, &mut layer, started, timeout, progress).await?;
            if waiting.rollback_on_failure {
                for deployed in layer.iter_mut().filter(|d| d.failed() && d.deployment_id.is_some()) {
                    let target = ready.iter().find(|t| t.change.address == deployed.address);
                    let Some(target) = target else { continue };
                    if let Some(earlier) = previous.get(&key(target)) {
                        client.rollback(earlier).await?;
                        deployed.rolled_back_to = Some(earlier.clone());
                        progress.deployment(deployed, started.elapsed());
                    }
                }
            }
        }
        for (target, deployed) in ready.iter().map(|t| (t, layer.iter().find(|d| d.address == t.change.address))) {
            if let Some(deployed) = deployed {
                outcomes.insert(key(target), deployed.clone());
            }
        }
        pending = later;
    }
    let order: Vec<String> = changes.iter().map(|c| c.address.clone()).collect();
    let mut all: Vec<Deployed> = outcomes.into_values().collect();
    all.sort_by_key(|d| order.iter().position(|a| *a == d.address));
    Ok(all)
}

fn outcome(target: &Target<'_>, deployment_id: Option<String>, status: &str) -> Deployed {
    Deployed {
        address: target.change.address.clone(),
        environment: target.change.environment.clone().unwrap_or_default(),
        service: target.change.service.clone().unwrap_or_default(),
        environment_id: target.environment_id.clone(),
        deployment_id,
        status: status.to_string(),
        rolled_back_to: None,
    }
}

/// Starts one deployment. When the answer was lost, the latest deployment is read first: a new
/// one means Railway took the deploy (it is not sent twice); the same one as when planned means
/// it did not, and it is sent again, once.
async fn deploy_one(client: &Client, target: &Target<'_>) -> Deployed {
    let not_accepted = |error: &dyn std::fmt::Display| outcome(target, None, &format!("NOT ACCEPTED ({error})"));
    match client.deploy_service_instance(&target.environment_id, &target.service_id).await {
        Ok(id) => outcome(target, Some(id), "STARTED"),
        Err(lost @ ApiError::Ambiguous { .. }) => {
            let latest = match client.latest_deployments(&target.environment_id).await {
                Ok(latest) => latest.get(&target.service_id).cloned().flatten(),
                Err(error) => return not_accepted(&format!("{lost}; then reading the latest deployment: {error}")),
            };
            match latest {
                Some((id, _)) if Some(&id) != target.replaces.as_ref() => outcome(target, Some(id), "STARTED"),
                _ => match client.deploy_service_instance(&target.environment_id, &target.service_id).await {
                    Ok(id) => outcome(target, Some(id), "STARTED"),
                    Err(error) => not_accepted(&error),
                },
            }
        }
        Err(error) => not_accepted(&error),
    }
}

/// Polls the environments of `layer` (one request each per poll) until every deployment ended
/// or `timeout` passed since `started`.
async fn follow(
    client: &Client,
    layer: &mut [Deployed],
    started: Instant,
    timeout: Duration,
    progress: &dyn RolloutProgress,
) -> anyhow::Result<()> {
    // The interval grows with the time already waited (a quarter of it, from 250 ms up to 5 s):
    // a short deployment is seen ending soon after it ends, a long one costs few polls.
    let layer_started = Instant::now();
    loop {
        let interval = (layer_started.elapsed() / 4).clamp(Duration::from_millis(250), Duration::from_secs(5));
        let open = layer.iter().any(|d| d.deployment_id.is_some() && !ENDED.contains(&d.status.as_str()));
        if !open {
            return Ok(());
        }
        if started.elapsed() >= timeout {
            for deployed in
                layer.iter_mut().filter(|d| d.deployment_id.is_some() && !ENDED.contains(&d.status.as_str()))
            {
                deployed.status = format!("TIMED OUT ({})", deployed.status);
                progress.deployment(deployed, started.elapsed());
            }
            return Ok(());
        }
        tokio::time::sleep(interval).await;
        // One read per environment with a deployment still running.
        let mut by_environment: BTreeMap<String, BTreeMap<String, Option<(String, String)>>> = BTreeMap::new();
        for deployed in layer.iter() {
            let running = deployed.deployment_id.is_some() && !ENDED.contains(&deployed.status.as_str());
            if running && !by_environment.contains_key(&deployed.environment_id) {
                let latest = client.latest_deployments(&deployed.environment_id).await?;
                by_environment.insert(deployed.environment_id.clone(), latest);
            }
        }
        for deployed in layer.iter_mut() {
            let Some(latest) = by_environment.get(&deployed.environment_id) else { continue };
            let status = latest.values().flatten().find(|(id, _)| Some(id) == deployed.deployment_id.as_ref());
            if let Some((_, status)) = status {
                if *status != deployed.status {
                    deployed.status = status.clone();
                    progress.deployment(deployed, started.elapsed());
                }
            }
        }
    }
}
