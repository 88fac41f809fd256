//! A local, faithful stand-in for Railway's public GraphQL API (`POST /graphql/v2`), so that
//! anyone can plan and apply with no account and every test talks real HTTP and GraphQL.
//!
//! [`start`] binds the address, serves on a thread of its own and returns a
//! [`RunningEmulator`] (its [`url`](RunningEmulator::url); it stops when dropped). A request
//! goes: body size cap → statistics → latency → rate limit → injected fault → auth → document
//! budget → the schema.
//!
//! - [`schema`]: the roots and inputs of the GraphQL schema, a strict subset of Railway's;
//!   [`types`]: its object types;
//! - [`store`]: the state and its persistence; [`mutations`]: what each direct mutation does to
//!   it; [`patch`]: EnvironmentConfig patches, staged and committed; [`networking`]: domains,
//!   TCP proxies, regions; [`deployments`]: deployments, their statuses over time, rollbacks;
//!   [`stamps`]: when each instance and variable last changed; [`changeset`]: the preview of
//!   an IaC change set;
//! - [`config`]: the EnvironmentConfig JSON and `configEtag`; [`resolve`]: reference rendering
//!   and `RAILWAY_*` built-ins; [`cron`]: cron schedules;
//! - [`limits`]: the request budget; [`validation`]: tidy validation errors;
//!   [`faults`]: latency, fail rate and rate limit;
//!   [`inspect`]: the `/_emulator/*` endpoints.

pub mod changeset;
pub mod config;
pub mod cron;
pub mod deployments;
pub mod faults;
pub mod inspect;
pub mod limits;
pub mod mutations;
pub mod networking;
pub mod patch;
pub mod resolve;
pub mod schema;
pub mod stamps;
pub mod store;
pub mod types;
pub mod validation;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use tokio::sync::oneshot;
use tower::ServiceExt;

use faults::{DropConnection, Fault, FaultInjector, LostAnswers, RateLimiter};
use inspect::{Stats, ANONYMOUS_OPERATION};
use schema::{Caller, EmulatorSchema};
use store::Store;

/// The path Railway serves its API on.
pub const GRAPHQL_PATH: &str = "/graphql/v2";

/// What a service rename does to `${{Old.VAR}}` references held by other services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RenamePolicy {
    /// Leave references as they are (they dangle until rewritten), as operators report.
    #[default]
    Keep,
    /// Rewrite references to the new name.
    Rewrite,
}

/// How to run an emulator.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Address to bind; port 0 picks a free port.
    pub listen: SocketAddr,
    /// Load the state from this file when it exists; save it there after every mutation.
    pub state_file: Option<PathBuf>,
    /// Require this token as `Authorization: Bearer` or `Project-Access-Token`.
    pub token: Option<String>,
    /// Delay before answering each GraphQL request.
    pub latency: Duration,
    /// Share (0.0 to 1.0) of GraphQL requests answered with an injected fault.
    pub fail_rate: f64,
    /// GraphQL requests allowed per second before 429.
    pub rate_limit: Option<u32>,
    pub rename_policy: RenamePolicy,
    /// Seed for the fault injector, so a run can be replayed.
    pub seed: Option<u64>,
    /// How long a deployment takes from INITIALIZING to SUCCESS (or FAILED…); zero: at once.
    pub deploy_duration: Duration,
    /// Environment configs one request may read (`None`: no limit). A read of more is refused
    /// as too large, as Railway refuses a document too costly to answer: to test fallbacks.
    pub max_configs: Option<usize>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            state_file: None,
            token: None,
            latency: Duration::ZERO,
            fail_rate: 0.0,
            rate_limit: None,
            rename_policy: RenamePolicy::Keep,
            seed: None,
            deploy_duration: Duration::ZERO,
            max_configs: None,
        }
    }
}

/// Everything a request handler needs.
pub struct App {
    schema: EmulatorSchema,
    store: Arc<Store>,
    stats: Stats,
    faults: FaultInjector,
    rate_limiter: Option<RateLimiter>,
    token: Option<String>,
    latency: Duration,
    max_configs: Option<usize>,
    /// Answers to lose after running the request (`/_emulator/lose-answers`).
    lost_answers: LostAnswers,
}

/// An emulator serving on its own thread; it stops when dropped or on [`shutdown`](Self::shutdown).
#[derive(Debug)]
pub struct RunningEmulator {
    address: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl RunningEmulator {
    /// The GraphQL endpoint, e.g. `http://127.0.0.1:43125/graphql/v2`.
    pub fn url(&self) -> String {
        format!("http://{}{GRAPHQL_PATH}", self.address)
    }

    /// The address actually bound (the chosen port when asked for port 0).
    pub fn address(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving and waits for the server thread to end.
    pub fn shutdown(mut self) {
        self.stop_and_join();
    }

    fn stop_and_join(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RunningEmulator {
    fn drop(&mut self) {
        self.stop_and_join();
    }
}

/// Loads the state, binds the address and starts serving on a new thread (with its own tokio
/// runtime, so it works from synchronous and asynchronous callers alike).
pub fn start(settings: Settings) -> anyhow::Result<RunningEmulator> {
    let store = Arc::new(
        Store::open(settings.state_file.clone(), settings.rename_policy)?.deploying_in(settings.deploy_duration),
    );
    let app = Arc::new(App {
        schema: schema::build(store.clone()),
        store,
        stats: Stats::default(),
        faults: FaultInjector::new(settings.fail_rate, settings.seed)?,
        rate_limiter: settings.rate_limit.map(RateLimiter::new),
        token: settings.token.clone(),
        latency: settings.latency,
        max_configs: settings.max_configs,
        lost_answers: LostAnswers::default(),
    });
    let listener =
        std::net::TcpListener::bind(settings.listen).with_context(|| format!("binding {}", settings.listen))?;
    listener.set_nonblocking(true)?;
    let address = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel();
    let (ready, started) = std::sync::mpsc::channel();
    // The runtime is built and dropped on the server thread, never on the caller's (which may
    // itself be inside a runtime, where dropping one panics).
    let thread = std::thread::Builder::new().name("railform-emulator".into()).spawn(move || {
        let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
            Ok(runtime) => runtime,
            Err(error) => return drop(ready.send(Err(anyhow::Error::new(error)))),
        };
        runtime.block_on(async move {
            match tokio::net::TcpListener::from_std(listener) {
                Ok(listener) => {
                    let _ = ready.send(Ok(()));
                    serve(listener, router(app), stopped).await;
                }
                Err(error) => drop(ready.send(Err(anyhow::Error::new(error)))),
            }
        });
        runtime.shutdown_background();
    })?;
    started.recv().context("the emulator thread ended before serving")?.context("starting the emulator")?;
    Ok(RunningEmulator { address, stop: Some(stop), thread: Some(thread) })
}

/// The emulator's SDL, for checking it against Railway's schema.
pub fn sdl() -> String {
    schema::build(Arc::new(Store::in_memory(RenamePolicy::Keep))).sdl()
}

fn router(app: Arc<App>) -> Router {
    let inspection = Router::new()
        .route("/_emulator/stats", get(inspect::stats))
        .route("/_emulator/reset-stats", post(inspect::reset_stats))
        .route("/_emulator/deployments", get(inspect::deployments))
        .route("/_emulator/seal", post(inspect::seal))
        .route(
            "/_emulator/fail-deploys",
            post(inspect::fail_deploys).delete(inspect::clear_fail_deploys).get(inspect::list_fail_deploys),
        )
        .route("/_emulator/age", post(inspect::age))
        .route("/_emulator/lose-answers", post(inspect::lose_answers))
        .route_layer(middleware::from_fn_with_state(app.clone(), require_token));
    Router::new()
        .route(GRAPHQL_PATH, post(graphql))
        .merge(inspection)
        .layer(DefaultBodyLimit::max(limits::MAX_BODY_BYTES))
        .with_state(app)
}

/// The inspection endpoints need the token the API needs (when there is one): they show every
/// rendered secret and can change state. Refused with HTTP 401 and Railway's error body.
async fn require_token(State(app): State<Arc<App>>, request: Request, next: Next) -> Response {
    match authorize(app.token.as_deref(), request.headers()) {
        Some(_) => next.run(request).await,
        None => error_response(StatusCode::UNAUTHORIZED, "Not Authorized"),
    }
}

/// Accepts connections until told to stop. Served with hyper directly (not `axum::serve`) so
/// that an injected fault can close a connection without answering.
async fn serve(listener: tokio::net::TcpListener, router: Router, mut stopped: oneshot::Receiver<()>) {
    let mut connections = tokio::task::JoinSet::new();
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => {
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
        };
        let router = router.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let router = router.clone();
            async move {
                let response = match router.oneshot(request.map(Body::new)).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                if response.extensions().get::<DropConnection>().is_some() {
                    return Err(ConnectionDropped);
                }
                Ok(response)
            }
        });
        connections.spawn(async move {
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
        while connections.try_join_next().is_some() {}
    }
    connections.shutdown().await;
}

/// Returned to hyper to make it close the connection without a response.
#[derive(Debug, thiserror::Error)]
#[error("connection dropped by fault injection")]
struct ConnectionDropped;

/// `POST /graphql/v2`.
async fn graphql(State(app): State<Arc<App>>, headers: HeaderMap, body: Result<Bytes, BytesRejection>) -> Response {
    let body = match body {
        Ok(body) => body,
        Err(rejection) => {
            app.stats.record(ANONYMOUS_OPERATION);
            let message = format!(
                "Request body too large or unreadable ({rejection}); the limit is {} bytes",
                limits::MAX_BODY_BYTES
            );
            return error_response(rejection.status(), &message);
        }
    };
    let request = serde_json::from_slice::<async_graphql::Request>(&body);
    let operation = request.as_ref().map_or(ANONYMOUS_OPERATION.to_string(), operation_name);
    app.stats.record(&operation);
    if !app.latency.is_zero() {
        tokio::time::sleep(app.latency).await;
    }
    let rate = app.rate_limiter.as_ref().map(RateLimiter::check);
    if let Some(rate) = rate.filter(|rate| !rate.allowed) {
        app.stats.record_fault("rate-limited");
        return rate.rejection();
    }
    let mut response = match app.faults.next() {
        Some(fault) => {
            app.stats.record_fault(fault.kind());
            fault.response()
        }
        None => {
            let (response, failed) = answer(&app, &headers, request).await;
            if failed {
                app.stats.record_error(&operation);
            }
            if app.lost_answers.take(&operation) {
                app.stats.record_fault("lost");
                return Fault::DroppedConnection.response();
            }
            response
        }
    };
    if let Some(rate) = rate {
        rate.add_headers(response.headers_mut());
    }
    response
}

/// Executes one request; true as second value when the answer carries errors.
async fn answer(
    app: &App,
    headers: &HeaderMap,
    request: Result<async_graphql::Request, serde_json::Error>,
) -> (Response, bool) {
    let request = match request {
        Ok(request) => request,
        Err(error) => {
            return (error_response(StatusCode::BAD_REQUEST, &format!("Invalid request body: {error}")), true);
        }
    };
    let Some(caller) = authorize(app.token.as_deref(), headers) else {
        return (error_response(StatusCode::OK, "Not Authorized"), true);
    };
    if let Some(reason) = limits::check_document(&request.query) {
        return (error_response(StatusCode::OK, &reason), true);
    }
    let query = request.query.clone();
    let mut request = request.data(caller);
    let budget = app.max_configs.map(|limit| Arc::new(limits::ConfigBudget::new(limit)));
    if let Some(budget) = &budget {
        request = request.data(budget.clone());
    }
    let mut response = app.schema.execute(request).await;
    if let Some(refusal) = budget.and_then(|budget| budget.refusal()) {
        // Refused whole, as a document over budget is: no partial answer.
        return (error_response(StatusCode::OK, &refusal), true);
    }
    validation::tidy(&query, &mut response.errors);
    let failed = !response.errors.is_empty();
    (Json(response).into_response(), failed)
}

/// Railway's error shape: `{"errors":[{"message":…}],"data":null}`.
fn error_response(status: StatusCode, message: &str) -> Response {
    (status, Json(serde_json::json!({"errors": [{"message": message}], "data": null}))).into_response()
}

/// Who the headers say the caller is; `None` when a token is required and not given. A
/// `Project-Access-Token` header wins over `Authorization`, as on Railway.
fn authorize(token: Option<&str>, headers: &HeaderMap) -> Option<Caller> {
    let header = |name: &str| headers.get(name).and_then(|value| value.to_str().ok()).map(str::trim);
    let project_token = header("project-access-token");
    let bearer = header("authorization").and_then(|value| value.strip_prefix("Bearer ")).map(str::trim);
    let (caller, presented) = match project_token {
        Some(presented) => (Caller::ProjectToken, Some(presented)),
        None => (Caller::Account, bearer),
    };
    match token {
        None => Some(caller),
        Some(expected) => (presented == Some(expected)).then_some(caller),
    }
}

/// The operation a request runs: its `operationName`, or the name in the document (read
/// lexically, without parsing, from a document too large to parse).
fn operation_name(request: &async_graphql::Request) -> String {
    if let Some(name) = &request.operation_name {
        return name.clone();
    }
    let scan = limits::scan(&request.query);
    if scan.names > limits::MAX_NAMES {
        return scan.first_operation.unwrap_or_else(|| ANONYMOUS_OPERATION.to_string());
    }
    match async_graphql::parser::parse_query(&request.query) {
        Ok(document) => match document.operations {
            async_graphql::parser::types::DocumentOperations::Multiple(operations) if operations.len() == 1 => {
                operations.into_keys().next().map_or(ANONYMOUS_OPERATION.to_string(), |name| name.to_string())
            }
            _ => ANONYMOUS_OPERATION.to_string(),
        },
        Err(_) => ANONYMOUS_OPERATION.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auth_accepts_either_header_and_prefers_the_project_token() {
        let headers = |pairs: &[(&'static str, &str)]| {
            let mut map = HeaderMap::new();
            for (name, value) in pairs {
                map.insert(*name, value.parse().unwrap());
            }
            map
        };
        assert_eq!(authorize(None, &headers(&[])), Some(Caller::Account));
        assert_eq!(authorize(Some("t"), &headers(&[])), None);
        assert_eq!(authorize(Some("t"), &headers(&[("authorization", "Bearer t")])), Some(Caller::Account));
        assert_eq!(authorize(Some("t"), &headers(&[("project-access-token", "t")])), Some(Caller::ProjectToken));
        assert_eq!(authorize(Some("t"), &headers(&[("authorization", "Bearer x")])), None);
        assert_eq!(
            authorize(Some("t"), &headers(&[("authorization", "Bearer t"), ("project-access-token", "x")])),
            None
        );
    }

    #[test]
    fn operation_names_come_from_the_request_or_the_document() {
        let named = async_graphql::Request::new("query Projects { projects { edges { node { id } } } }");
        assert_eq!(operation_name(&named), "Projects");
        let anonymous = async_graphql::Request::new("{ me { id } }");
        assert_eq!(operation_name(&anonymous), ANONYMOUS_OPERATION);
        let chosen = async_graphql::Request::new("query A { me { id } } query B { me { id } }").operation_name("B");
        assert_eq!(operation_name(&chosen), "B");
    }
}
