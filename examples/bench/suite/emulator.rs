//! The harness's side of the emulator: start one in-process (its own thread and runtime, so the
//! railform process under measurement is the only child of the harness), send it GraphQL, read
//! and reset its request statistics, and seed a [`Workload`] into it quickly: the variables of
//! each environment staged in a few large `environmentStageChanges` and committed once with
//! `skipDeploys` (the emulator copies its whole state on every write, so a write per instance
//! would make seeding 5 × 1000 × 50 quadratic).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::workload::{Revision, Workload, PROJECT};
use railform::emulator::{self, RunningEmulator};

/// Seeding requests in flight at once.
const SEED_CONCURRENCY: usize = 16;

/// Variables staged per seeding request: well under the emulator's 2 MiB body limit.
const SEED_VARIABLES_PER_REQUEST: usize = 10_000;

/// An emulator and an HTTP client for it.
pub struct Emulator {
    running: RunningEmulator,
    http: reqwest::Client,
}

/// `GET /_emulator/stats`: requests received, by GraphQL operation name.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct Stats {
    pub requests: u64,
    pub operations: BTreeMap<String, u64>,
    /// Requests answered with GraphQL errors, by operation name.
    #[serde(default)]
    pub errors: BTreeMap<String, u64>,
}

/// The ids a seeded workload got, index-aligned with the workload's names.
#[derive(Debug, Clone)]
pub struct SeededProject {
    pub project_id: String,
    pub environment_ids: Vec<String>,
    pub service_ids: Vec<String>,
}

impl Emulator {
    /// Starts an emulator on 127.0.0.1 that waits `latency` before answering each request.
    pub fn start(latency: Duration) -> anyhow::Result<Emulator> {
        let running = emulator::start(emulator::Settings { latency, ..emulator::Settings::default() })?;
        Ok(Emulator { running, http: reqwest::Client::new() })
    }

    /// The GraphQL endpoint.
    pub fn url(&self) -> String {
        self.running.url()
    }

    fn inspection_url(&self, path: &str) -> String {
        format!("http://{}/_emulator/{path}", self.running.address())
    }

    /// Sends one GraphQL document; fails on HTTP or GraphQL errors; returns `data`.
    pub async fn graphql(&self, document: &str, variables: Value) -> anyhow::Result<Value> {
        let body = json!({ "query": document, "variables": variables });
        let response = self.http.post(self.url()).json(&body).send().await?.error_for_status()?;
        let mut answer: Value = response.json().await?;
        if let Some(errors) = answer.get("errors") {
            bail!("GraphQL errors: {errors}");
        }
        Ok(answer["data"].take())
    }

    pub async fn stats(&self) -> anyhow::Result<Stats> {
        let response = self.http.get(self.inspection_url("stats")).send().await?.error_for_status()?;
        Ok(response.json().await?)
    }

    pub async fn reset_stats(&self) -> anyhow::Result<()> {
        self.http.post(self.inspection_url("reset-stats")).send().await?.error_for_status()?;
        Ok(())
    }

    /// Creates the workload's project, environments, services and variables (the `Seeded`
    /// revision).
    pub async fn seed(&self, workload: &Workload) -> anyhow::Result<SeededProject> {
        let created = self
            .graphql(
                "mutation SeedProject($input: ProjectCreateInput!) {
                    projectCreate(input: $input) { id environments { edges { node { id name } } } }
                }",
                json!({"input": {"name": PROJECT}}),
            )
            .await?;
        let project_id = text(&created["projectCreate"]["id"])?;
        let mut environment_ids = vec![text(&created["projectCreate"]["environments"]["edges"][0]["node"]["id"])?];
        for name in workload.environment_names().iter().skip(1) {
            let data = self
                .graphql(
                    "mutation SeedEnvironment($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id } }",
                    json!({"input": {"projectId": project_id, "name": name, "skipInitialDeploys": true}}),
                )
                .await?;
            environment_ids.push(text(&data["environmentCreate"]["id"])?);
        }
        // Without `environmentId`, Railway creates the service in every environment.
        let service_ids: Vec<String> = stream::iter(workload.service_names())
            .map(|name| {
                let project_id = &project_id;
                async move {
                    let data = self
                        .graphql(
                            "mutation SeedService($input: ServiceCreateInput!) { serviceCreate(input: $input) { id } }",
                            json!({"input": {"projectId": project_id, "name": name}}),
                        )
                        .await?;
                    text(&data["serviceCreate"]["id"])
                }
            })
            .buffered(SEED_CONCURRENCY)
            .try_collect()
            .await?;
        let services_per_request = (SEED_VARIABLES_PER_REQUEST / workload.variables.max(1)).max(1);
        let environments = environment_ids.iter().enumerate().map(|(environment, environment_id)| {
            let service_ids = &service_ids;
            async move {
                let indices: Vec<usize> = (0..workload.services).collect();
                for chunk in indices.chunks(services_per_request) {
                    let services: serde_json::Map<String, Value> = chunk
                        .iter()
                        .map(|&service| {
                            let variables: serde_json::Map<String, Value> = workload
                                .instance_variables(environment, service, Revision::Seeded)
                                .into_iter()
                                .map(|(name, value)| (name, json!({ "value": value })))
                                .collect();
                            (service_ids[service].clone(), json!({ "variables": variables }))
                        })
                        .collect();
                    self.graphql(
                        "mutation SeedStage($id: String!, $input: EnvironmentConfig!) {
                            environmentStageChanges(environmentId: $id, input: $input, merge: true) { id }
                        }",
                        json!({"id": environment_id, "input": {"services": services}}),
                    )
                    .await?;
                }
                self.graphql(
                    "mutation SeedCommit($id: String!) {
                        environmentPatchCommitStaged(environmentId: $id, skipDeploys: true)
                    }",
                    json!({ "id": environment_id }),
                )
                .await
                .map(drop)
            }
        });
        stream::iter(environments)
            .buffer_unordered(SEED_CONCURRENCY)
            .try_collect::<Vec<()>>()
            .await
            .context("seeding variables")?;
        Ok(SeededProject { project_id, environment_ids, service_ids })
    }
}

fn text(value: &Value) -> anyhow::Result<String> {
    value.as_str().map(str::to_string).with_context(|| format!("expected a string, got {value}"))
}
