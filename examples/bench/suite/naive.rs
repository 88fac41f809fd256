//! The naive per-resource client railform is compared with, modelled on the community Terraform
//! provider: every resource in the state (project, environment, service, service instance and
//! each variable) is refreshed with a read of its own, and every changed variable is written
//! with a `variableUpsert` of its own, which deploys (the provider redeploys after each write).
//!
//! Like `terraform plan`, it knows every id from its state, so no read depends on another: all
//! of them go out through a pool of [`Naive::parallelism`] requests in flight (Terraform's default
//! `-parallelism=10`).

use std::collections::BTreeMap;

use futures::stream::{self, StreamExt, TryStreamExt};
use serde_json::{json, Value};

use super::emulator::{Emulator, SeededProject};
use super::workload::{variable_name, Revision, Workload};

/// Queries and the mutation the naive client sends, named so the emulator's statistics tell
/// them apart from railform's.
const READ_PROJECT: &str = "query NaiveProject($id: String!) { project(id: $id) { id name } }";
const READ_ENVIRONMENT: &str = "query NaiveEnvironment($id: String!) { environment(id: $id) { id name } }";
const READ_SERVICE: &str = "query NaiveService($id: String!) { service(id: $id) { id name } }";
const READ_INSTANCE: &str = "query NaiveServiceInstance($e: String!, $s: String!) {
    serviceInstance(environmentId: $e, serviceId: $s) { id source { image repo } }
}";
const READ_VARIABLE: &str = "query NaiveVariable($p: String!, $e: String!, $s: String) {
    variables(projectId: $p, environmentId: $e, serviceId: $s, unrendered: true)
}";
const WRITE_VARIABLE: &str =
    "mutation NaiveVariableUpsert($input: VariableUpsertInput!) { variableUpsert(input: $input) }";

/// Every GraphQL document the naive client sends.
pub const DOCUMENTS: [&str; 6] =
    [READ_PROJECT, READ_ENVIRONMENT, READ_SERVICE, READ_INSTANCE, READ_VARIABLE, WRITE_VARIABLE];

/// The naive client, for one seeded workload.
pub struct Naive<'a> {
    pub emulator: &'a Emulator,
    pub workload: Workload,
    pub seeded: &'a SeededProject,
    /// Requests in flight at once.
    pub parallelism: usize,
}

/// Which variable a read is for.
struct VariableAddress {
    environment: usize,
    service: usize,
    name: String,
}

/// One read request, and the variable it refreshes (`None` for the other resources).
struct Read {
    variable: Option<VariableAddress>,
    document: &'static str,
    arguments: Value,
}

impl Read {
    fn resource(document: &'static str, arguments: Value) -> Read {
        Read { variable: None, document, arguments }
    }
}

/// One variable the naive client found different from the files.
struct ChangedVariable {
    environment: usize,
    service: usize,
    name: String,
    value: String,
}

impl Naive<'_> {
    /// A refresh, then one write per variable that differs from `revision`. Returns how many
    /// variables it wrote.
    pub async fn apply(&self, revision: Revision) -> anyhow::Result<usize> {
        let changed = self.refresh(revision).await?;
        let written = changed.len();
        stream::iter(changed)
            .map(|variable| {
                let input = json!({
                    "projectId": self.seeded.project_id,
                    "environmentId": self.seeded.environment_ids[variable.environment],
                    "serviceId": self.seeded.service_ids[variable.service],
                    "name": variable.name,
                    "value": variable.value,
                });
                self.emulator.graphql(WRITE_VARIABLE, json!({ "input": input }))
            })
            .buffer_unordered(self.parallelism)
            .try_collect::<Vec<Value>>()
            .await?;
        Ok(written)
    }

    /// Reads every resource with a request of its own and returns the variables that differ
    /// from the files of `revision` (a plan).
    async fn refresh(&self, revision: Revision) -> anyhow::Result<Vec<ChangedVariable>> {
        let workload = &self.workload;
        let seeded = self.seeded;
        let mut reads = vec![Read::resource(READ_PROJECT, json!({"id": seeded.project_id}))];
        reads.extend(seeded.environment_ids.iter().map(|id| Read::resource(READ_ENVIRONMENT, json!({"id": id}))));
        reads.extend(seeded.service_ids.iter().map(|id| Read::resource(READ_SERVICE, json!({"id": id}))));
        for (environment, environment_id) in seeded.environment_ids.iter().enumerate() {
            for (service, service_id) in seeded.service_ids.iter().enumerate() {
                reads.push(Read::resource(READ_INSTANCE, json!({"e": environment_id, "s": service_id})));
                for variable in 0..workload.variables {
                    reads.push(Read {
                        variable: Some(VariableAddress { environment, service, name: variable_name(variable) }),
                        document: READ_VARIABLE,
                        arguments: json!({"p": seeded.project_id, "e": environment_id, "s": service_id}),
                    });
                }
            }
        }
        let answers: Vec<(Option<VariableAddress>, Value)> = stream::iter(reads)
            .map(|read| async move {
                self.emulator.graphql(read.document, read.arguments).await.map(|data| (read.variable, data))
            })
            .buffer_unordered(self.parallelism)
            .try_collect()
            .await?;
        let mut desired: BTreeMap<(usize, usize), BTreeMap<String, String>> = BTreeMap::new();
        let mut changed = Vec::new();
        for (variable, data) in answers {
            let Some(VariableAddress { environment, service, name }) = variable else { continue };
            let wanted = desired
                .entry((environment, service))
                .or_insert_with(|| workload.instance_variables(environment, service, revision));
            let value = wanted.get(&name).cloned().unwrap_or_default();
            if data["variables"][&name].as_str() != Some(value.as_str()) {
                changed.push(ChangedVariable { environment, service, name, value });
            }
        }
        Ok(changed)
    }

    /// A plan: the refresh alone. Returns how many variables differ.
    pub async fn plan(&self, revision: Revision) -> anyhow::Result<usize> {
        Ok(self.refresh(revision).await?.len())
    }
}
