//! The `/_emulator/*` endpoints, which are not part of Railway's API: request statistics, the
//! deployments the emulator recorded, and a way to seal a variable (Railway's dashboard can;
//! its public mutations cannot).
//!
//! - `GET /_emulator/stats` → `{"requests": N, "operations": {"OperationName": N, …}}`, plus
//!   `"faults": {"429": N, "502": N, "503": N, "dropped": N, "rate-limited": N}` once a fault
//!   was injected (the figures the reliability suite reports) and `"errors": {"OperationName":
//!   N}` once a request was answered with GraphQL errors
//! - `POST /_emulator/reset-stats` → the stats before the reset
//! - `GET /_emulator/deployments` → `[{"service_id", "service_name", "environment_id",
//!   "environment_name", "variables", "unresolved"}, …]`
//! - `POST /_emulator/seal` with `{"environmentId", "serviceId"?, "name"}`
//! - `POST /_emulator/fail-deploys?service=NAME[&environment=NAME][&count=N][&status=FAILED|CRASHED]`
//!   → the rules now in force: the next deployments of that service (every one until cleared,
//!   or the next N) end `FAILED` (healthcheck; the default) or `CRASHED`. `&clear` (or `DELETE`,
//!   with or without `service`) clears instead; `GET` lists the rules.
//! - `POST /_emulator/age?environment=ID&days=N` → moves the environment's `createdAt` N days
//!   (fractions allowed) into the past, so that pruning by age can be tested; answers
//!   `{"id", "createdAt"}`
//!
//! With `--token`, every one of them needs the token as the API does (else HTTP 401).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};

use super::App;

/// The key anonymous operations (and unparseable requests) are counted under.
pub const ANONYMOUS_OPERATION: &str = "(anonymous)";

/// Requests to `/graphql/v2`, in total and by operation name; fault-injected ones included,
/// and counted again by kind of fault.
#[derive(Debug, Default)]
pub struct Stats {
    counts: Mutex<StatsReport>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatsReport {
    pub requests: u64,
    pub operations: BTreeMap<String, u64>,
    /// Injected faults and rate-limit refusals by kind; absent until one happened.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub faults: BTreeMap<String, u64>,
    /// Requests answered with GraphQL errors (refusals, validation errors, "Not Authorized"),
    /// by operation name; absent until one was.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub errors: BTreeMap<String, u64>,
}

impl Stats {
    pub fn record(&self, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        counts.requests += 1;
        *counts.operations.entry(operation.to_string()).or_default() += 1;
    }

    /// Counts one injected fault (or rate-limit refusal) of `kind`.
    pub fn record_fault(&self, kind: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.faults.entry(kind.to_string()).or_default() += 1;
    }

    /// Counts one request of `operation` answered with errors.
    pub fn record_error(&self, operation: &str) {
        let mut counts = self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *counts.errors.entry(operation.to_string()).or_default() += 1;
    }

    pub fn report(&self) -> StatsReport {
        self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner).clone()
    }

    pub fn reset(&self) -> StatsReport {
        std::mem::take(&mut *self.counts.lock().unwrap_or_else(std::sync::PoisonError::into_inner))
    }
}

pub async fn stats(State(app): State<Arc<App>>) -> Json<StatsReport> {
    Json(app.stats.report())
}

pub async fn reset_stats(State(app): State<Arc<App>>) -> Json<StatsReport> {
    Json(app.stats.reset())
}

/// Every deployment record, oldest first, each with its status now.
pub async fn deployments(State(app): State<Arc<App>>) -> Response {
    let records = app.store.read(|state| {
        let now = super::store::clock_ms();
        (0..state.deployments.len())
            .map(|index| {
                let mut record = serde_json::to_value(&state.deployments[index]).unwrap_or_default();
                record["status"] = state.deployment_status(index, now).status.as_str().into();
                record
            })
            .collect::<Vec<_>>()
    });
    Json(records).into_response()
}

/// The query of `/_emulator/fail-deploys`.
#[derive(Debug, Deserialize)]
pub struct FailDeploysQuery {
    service: Option<String>,
    environment: Option<String>,
    count: Option<u32>,
    status: Option<String>,
    clear: Option<String>,
}

fn bad_request(message: &str) -> Response {
    (StatusCode::BAD_REQUEST, Json(serde_json::json!({"error": message}))).into_response()
}

fn fail_rules(app: &App) -> Response {
    Json(app.store.read(|state| state.emulation.fail_rules.clone())).into_response()
}

/// `POST /_emulator/fail-deploys`: adds a rule, or clears with `&clear`.
pub async fn fail_deploys(State(app): State<Arc<App>>, Query(query): Query<FailDeploysQuery>) -> Response {
    if query.clear.is_some() {
        return clear_fail_deploys(State(app), Query(query)).await;
    }
    let Some(service) = query.service else { return bad_request("fail-deploys needs ?service=NAME") };
    let status = match query.status.as_deref().map(str::to_ascii_uppercase).as_deref() {
        None | Some("FAILED") => super::store::DeploymentState::Failed,
        Some("CRASHED") => super::store::DeploymentState::Crashed,
        Some(other) => return bad_request(&format!("status must be FAILED or CRASHED, not {other}")),
    };
    let rule = super::store::FailRule { service, environment: query.environment, remaining: query.count, status };
    match app.store.write(|state| state.add_fail_rule(rule)) {
        Ok(()) => fail_rules(&app),
        Err(refusal) => bad_request(&refusal.0),
    }
}

/// `DELETE /_emulator/fail-deploys[?service=NAME]`: clears that service's rules, or all.
pub async fn clear_fail_deploys(State(app): State<Arc<App>>, Query(query): Query<FailDeploysQuery>) -> Response {
    let cleared = app.store.write(|state| {
        state.clear_fail_rules(query.service.as_deref());
        Ok(())
    });
    match cleared {
        Ok(()) => fail_rules(&app),
        Err(refusal) => bad_request(&refusal.0),
    }
}

/// `GET /_emulator/fail-deploys`: the rules in force.
pub async fn list_fail_deploys(State(app): State<Arc<App>>) -> Response {
    fail_rules(&app)
}

#[derive(Debug, Deserialize)]
pub struct LoseAnswersQuery {
    operation: String,
    count: Option<u32>,
}

/// `POST /_emulator/lose-answers?operation=NAME[&count=N]`: the next N (default 1) requests of
/// that GraphQL operation run, and their answers are lost (the connection closes).
pub async fn lose_answers(State(app): State<Arc<App>>, Query(query): Query<LoseAnswersQuery>) -> Response {
    let count = query.count.unwrap_or(1);
    app.lost_answers.add(&query.operation, count);
    Json(serde_json::json!({ "operation": query.operation, "lose": count })).into_response()
}

#[derive(Debug, Deserialize)]
pub struct AgeQuery {
    environment: String,
    days: f64,
}

/// `POST /_emulator/age?environment=ID&days=N`: the environment looks N days older.
pub async fn age(State(app): State<Arc<App>>, Query(query): Query<AgeQuery>) -> Response {
    if !query.days.is_finite() || query.days < 0.0 {
        return bad_request("days must be a number of days, 0 or more");
    }
    let shift_ms = (query.days * 86_400_000.0) as u64;
    let aged = app.store.write(|state| {
        let environment = state.environment_mut(&query.environment)?;
        let created = super::store::parse_timestamp_ms(&environment.created_at).unwrap_or_else(super::store::clock_ms);
        environment.created_at = super::store::timestamp_ms(created.saturating_sub(shift_ms));
        Ok(serde_json::json!({"id": environment.id, "createdAt": environment.created_at}))
    });
    match aged {
        Ok(answer) => Json(answer).into_response(),
        Err(refusal) => (StatusCode::NOT_FOUND, Json(serde_json::json!({"error": refusal.0}))).into_response(),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SealRequest {
    environment_id: String,
    service_id: Option<String>,
    name: String,
}

pub async fn seal(State(app): State<Arc<App>>, Json(request): Json<SealRequest>) -> Response {
    let sealed = app
        .store
        .write(|state| state.seal_variable(&request.environment_id, request.service_id.as_deref(), &request.name));
    match sealed {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(refusal) => (StatusCode::BAD_REQUEST, Json(serde_json::json!({"error": refusal.0}))).into_response(),
    }
}
