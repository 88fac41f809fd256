//! The harness's side of the emulator: start one in-process (its own thread and runtime, so the
//! railform process under measurement is the only child of the harness), send it GraphQL, read
//! and reset its request statistics, and seed a [`Workload`] into it quickly (one
//! `variableCollectionUpsert` per service instance with `skipDeploys`, several in flight).

use std::collections::BTreeMap;
use std::time::Duration;

use anyhow::{bail, Context};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::workload::{Revision, Workload, PROJECT};
use railform::emulator::{self, RunningEmulator};

/// Seeding requests in flight at once.
const SEED_CONCURRENCY: usize = 16;

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
        let instances = (0..workload.environments)
            .flat_map(|environment| (0..workload.services).map(move |service| (environment, service)));
        stream::iter(instances)
            .map(|(environment, service)| {
                let input = json!({
                    "projectId": project_id,
                    "environmentId": environment_ids[environment],
                    "serviceId": service_ids[service],
                    "skipDeploys": true,
                    "variables": workload.instance_variables(environment, service, Revision::Seeded),
                });
                async move {
                    self.graphql(
                        "mutation SeedVariables($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }",
                        json!({ "input": input }),
                    )
                    .await
                    .map(drop)
                }
            })
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
