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
//!
//! With `--token`, every one of them needs the token as the API does (else HTTP 401).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use axum::extract::State;
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

pub async fn deployments(State(app): State<Arc<App>>) -> Response {
    Json(app.store.read(|state| state.deployments.clone())).into_response()
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
