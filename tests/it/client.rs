//! The Railway client and the live-state reader against a scripted local HTTP server: transport
//! faults (429, 5xx, HTML pages, dropped connections), GraphQL errors, token headers, request
//! shapes and the cost of a read. The server is a few lines over a raw TCP socket, so it can
//! also drop a connection after reading a request, which an HTTP framework will not do.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use railform::railway::{
    ApiError, Client, NewService, RequestEvent, RequestObserver, RetryPolicy, ServiceSource, Settings, Timeouts, Token,
};
use railform::secret::Secret;
use railform::state::{self, LiveSource, LiveValue, ProjectSelector, StateError};
use serde_json::{json, Value};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::{TcpListener, TcpStream};

/// One request as the scripted server received it.
#[derive(Debug, Clone)]
struct Received {
    /// Header names in lower case.
    headers: BTreeMap<String, String>,
    body: Value,
}

impl Received {
    fn operation(&self) -> &str {
        self.body["operationName"].as_str().unwrap_or_default()
    }
}

/// What the scripted server does with a request.
enum Reply {
    /// HTTP 200 with this JSON body.
    Json(Value),
    /// Any status, content type, extra headers and body.
    Raw { status: u16, content_type: &'static str, headers: Vec<(&'static str, String)>, body: String },
    /// Close the connection without answering.
    Drop,
    /// Answer as the inner reply after a pause.
    Later(Duration, Box<Reply>),
}

fn graphql_errors(messages: &[&str]) -> Reply {
    let errors: Vec<Value> = messages.iter().map(|message| json!({"message": message})).collect();
    Reply::Json(json!({"data": null, "errors": errors}))
}

fn cloudflare_page(status: u16) -> Reply {
    Reply::Raw {
        status,
        content_type: "text/html; charset=UTF-8",
        headers: vec![],
        body: "<!DOCTYPE html><html><head><title>502 Bad gateway</title></head><body>cloudflare</body></html>".into(),
    }
}

fn rate_limited(retry_after_secs: u64) -> Reply {
    Reply::Raw {
        status: 429,
        content_type: "application/json",
        headers: vec![("Retry-After", retry_after_secs.to_string())],
        body: r#"{"errors":[{"message":"Too many requests"}]}"#.into(),
    }
}

type Script = dyn Fn(usize, &Received) -> Reply + Send + Sync;

/// A local HTTP server on 127.0.0.1 answering each request with `script(index, request)`.
struct ScriptedServer {
    url: String,
    received: Arc<Mutex<Vec<Received>>>,
    in_flight: Arc<AtomicUsize>,
    peak_in_flight: Arc<AtomicUsize>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ScriptedServer {
    async fn start(script: impl Fn(usize, &Received) -> Reply + Send + Sync + 'static) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/graphql/v2", listener.local_addr().unwrap());
        let received = Arc::new(Mutex::new(Vec::new()));
        let in_flight = Arc::new(AtomicUsize::new(0));
        let peak_in_flight = Arc::new(AtomicUsize::new(0));
        let script: Arc<Script> = Arc::new(script);
        let shared = (received.clone(), in_flight.clone(), peak_in_flight.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let (received, in_flight, peak) = shared.clone();
                let script = script.clone();
                tokio::spawn(async move {
                    serve_connection(stream, &received, &in_flight, &peak, &*script).await;
                });
            }
        });
        ScriptedServer { url, received, in_flight, peak_in_flight, task }
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn count(&self) -> usize {
        self.received.lock().unwrap().len()
    }

    fn peak_in_flight(&self) -> usize {
        debug_assert_eq!(self.in_flight.load(Ordering::SeqCst), 0);
        self.peak_in_flight.load(Ordering::SeqCst)
    }
}

/// Serves requests on one keep-alive connection until the client closes it or a reply drops it.
async fn serve_connection(
    stream: TcpStream,
    received: &Mutex<Vec<Received>>,
    in_flight: &AtomicUsize,
    peak: &AtomicUsize,
    script: &Script,
) {
    let mut reader = BufReader::new(stream);
    loop {
        let mut headers = BTreeMap::new();
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).await.unwrap_or(0) == 0 {
            return;
        }
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line).await.unwrap_or(0) == 0 {
                return;
            }
            let line = line.trim_end();
            if line.is_empty() {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_owned());
            }
        }
        let length: usize = headers.get("content-length").and_then(|value| value.parse().ok()).unwrap_or(0);
        let mut body = vec![0; length];
        if reader.read_exact(&mut body).await.is_err() {
            return;
        }
        let request = Received { headers, body: serde_json::from_slice(&body).unwrap_or(Value::Null) };
        let index = {
            let mut all = received.lock().unwrap();
            all.push(request.clone());
            all.len() - 1
        };
        let now = in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        peak.fetch_max(now, Ordering::SeqCst);
        let mut reply = script(index, &request);
        while let Reply::Later(pause, inner) = reply {
            tokio::time::sleep(pause).await;
            reply = *inner;
        }
        in_flight.fetch_sub(1, Ordering::SeqCst);
        let (status, content_type, extra, body) = match reply {
            Reply::Json(body) => (200, "application/json", vec![], body.to_string()),
            Reply::Raw { status, content_type, headers, body } => (status, content_type, headers, body),
            Reply::Drop | Reply::Later(..) => return,
        };
        let mut response =
            format!("HTTP/1.1 {status} Scripted\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n", body.len());
        for (name, value) in extra {
            response.push_str(&format!("{name}: {value}\r\n"));
        }
        response.push_str("\r\n");
        response.push_str(&body);
        if reader.get_mut().write_all(response.as_bytes()).await.is_err() {
            return;
        }
    }
}

/// Fast retries so fault tests take milliseconds.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_delay: Duration::from_millis(5),
        max_delay: Duration::from_millis(20),
        max_retry_after: Duration::from_secs(5),
    }
}

fn client_for(server: &ScriptedServer, token: Option<Token>) -> Client {
    let settings = Settings {
        endpoint: server.url.clone(),
        token,
        retry: quick_retries(),
        timeouts: Timeouts { connect: Duration::from_secs(2), request: Duration::from_secs(5) },
    };
    Client::new(settings).unwrap()
}

fn api_token() -> Option<Token> {
    Some(Token::Api(Secret::new("account-token-value")))
}

fn environments_and_services(environments: &[(&str, &str)], services: &[(&str, &str)]) -> Value {
    let edges = |pairs: &[(&str, &str)]| -> Vec<Value> {
        pairs.iter().map(|(id, name)| json!({"node": {"id": id, "name": name}})).collect()
    };
    json!({"environments": {"edges": edges(environments), "pageInfo": {"hasNextPage": false}}, "services": {"edges": edges(services), "pageInfo": {"hasNextPage": false}}})
}

fn project_json(id: &str, name: &str, environments: &[(&str, &str)], services: &[(&str, &str)]) -> Value {
    let mut project = environments_and_services(environments, services);
    project["id"] = json!(id);
    project["name"] = json!(name);
    project
}

/// The answer to the one read of a project by id (`ProjectState`): a project with no environments.
fn project_by_id_reply() -> Reply {
    Reply::Json(json!({"data": {"project": project_json("p1", "platform", &[], &[])}}))
}

async fn read_project_by_id(client: &Client) -> Result<Option<state::LiveProject>, StateError> {
    state::read(client, &ProjectSelector::Id("p1".into())).await
}

fn new_service() -> NewService {
    NewService {
        project_id: "p1".into(),
        name: "platform-api".into(),
        source: Some(ServiceSource::Image("ghcr.io/acme/platform-api:1.4.2".into())),
        environment_id: None,
        variables: BTreeMap::new(),
    }
}

fn service_created() -> Reply {
    Reply::Json(json!({"data": {"serviceCreate": {"id": "s-new", "name": "platform-api"}}}))
}

#[tokio::test]
async fn a_429_is_retried_after_the_retry_after_seconds() {
    let server =
        ScriptedServer::start(|index, _| if index == 0 { rate_limited(1) } else { project_by_id_reply() }).await;
    let client = client_for(&server, api_token());
    let started = Instant::now();
    let project = read_project_by_id(&client).await.unwrap().unwrap();
    assert_eq!(project.name, "platform");
    assert!(started.elapsed() >= Duration::from_secs(1), "waited only {:?}", started.elapsed());
    assert_eq!(server.count(), 2);
    assert_eq!(client.requests_sent(), 2);
}

#[tokio::test]
async fn a_long_retry_after_is_capped_by_the_policy() {
    let server =
        ScriptedServer::start(|index, _| if index == 0 { rate_limited(3600) } else { project_by_id_reply() }).await;
    let settings = Settings {
        retry: RetryPolicy { max_retry_after: Duration::from_millis(10), ..quick_retries() },
        ..Settings::new(server.url.clone())
    };
    let client = Client::new(settings).unwrap();
    let started = Instant::now();
    read_project_by_id(&client).await.unwrap();
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[tokio::test]
async fn a_502_html_page_is_retried() {
    let server =
        ScriptedServer::start(|index, _| if index == 0 { cloudflare_page(502) } else { project_by_id_reply() }).await;
    let client = client_for(&server, api_token());
    assert!(read_project_by_id(&client).await.unwrap().is_some());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn an_html_page_with_status_200_is_retried() {
    let server =
        ScriptedServer::start(|index, _| if index == 0 { cloudflare_page(200) } else { project_by_id_reply() }).await;
    let client = client_for(&server, api_token());
    assert!(read_project_by_id(&client).await.unwrap().is_some());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn a_dropped_connection_is_retried_for_a_read() {
    let server = ScriptedServer::start(|index, _| if index == 0 { Reply::Drop } else { project_by_id_reply() }).await;
    let client = client_for(&server, api_token());
    assert!(read_project_by_id(&client).await.unwrap().is_some());
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn persistent_faults_give_up_after_the_bound_with_a_clear_error() {
    let server = ScriptedServer::start(|_, _| cloudflare_page(503)).await;
    let client = client_for(&server, api_token());
    let error = read_project_by_id(&client).await.unwrap_err();
    let StateError::Api(ApiError::GaveUp { operation, attempts, .. }) = &error else {
        panic!("expected GaveUp, got {error:?}");
    };
    assert_eq!((*operation, *attempts), ("ProjectState", 4));
    assert_eq!(server.count(), 4);
    let message = error.to_string();
    assert!(message.contains("ProjectState") && message.contains("4 attempts") && message.contains("503"), "{message}");
}

#[tokio::test]
async fn connection_refused_is_retried_then_reported() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/graphql/v2", listener.local_addr().unwrap());
    drop(listener);
    let client = Client::new(Settings { retry: quick_retries(), ..Settings::new(url) }).unwrap();
    // Nothing reached a server, so even a create is retried, then reported as given up.
    let error = client.create_service(&new_service()).await.unwrap_err();
    assert!(matches!(error, ApiError::GaveUp { attempts: 4, .. }), "{error:?}");
    assert_eq!(client.requests_sent(), 4);
}

#[tokio::test]
async fn graphql_errors_name_the_operation_and_are_not_retried() {
    let server = ScriptedServer::start(|_, _| graphql_errors(&["Problem processing request"])).await;
    let client = client_for(&server, api_token());
    let error = client.deploy_service_instance("e1", "s1").await.unwrap_err();
    assert!(
        matches!(&error, ApiError::GraphQl { operation: "ServiceInstanceDeployV2", messages } if messages == &["Problem processing request"]),
        "{error:?}"
    );
    assert!(error.to_string().starts_with("ServiceInstanceDeployV2: "), "{error}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn not_authorized_hints_at_the_tokens() {
    let server = ScriptedServer::start(|_, _| graphql_errors(&["Not Authorized"])).await;
    let client = client_for(&server, api_token());
    let error = read_project_by_id(&client).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("ProjectState") && message.contains("Not Authorized"), "{message}");
    assert!(message.contains("RAILWAY_API_TOKEN") && message.contains("RAILWAY_TOKEN"), "{message}");
    assert!(!message.contains("account-token-value"), "{message}");
}

#[tokio::test]
async fn each_token_travels_in_its_own_header_and_never_both() {
    let server = ScriptedServer::start(|_, _| project_by_id_reply()).await;
    read_project_by_id(&client_for(&server, api_token())).await.unwrap();
    let project_token = Some(Token::Project(Secret::new("project-token-value")));
    let scope = ScriptedServer::start(|_, request| {
        if request.operation() != "ProjectTokenScope" {
            return project_by_id_reply();
        }
        let project = project_json("p1", "platform", &[], &[]);
        Reply::Json(json!({"data": {"projectToken": {"projectId": "p1", "environmentId": "e1", "project": project}}}))
    })
    .await;
    read_project_by_id(&client_for(&scope, project_token)).await.unwrap();
    let anonymous = ScriptedServer::start(|_, _| project_by_id_reply()).await;
    read_project_by_id(&client_for(&anonymous, None)).await.unwrap();

    let bearer = &server.received()[0].headers;
    assert_eq!(bearer.get("authorization").map(String::as_str), Some("Bearer account-token-value"));
    assert!(!bearer.contains_key("project-access-token"));
    let project = &scope.received()[0];
    assert_eq!(project.operation(), "ProjectTokenScope");
    assert_eq!(project.headers.get("project-access-token").map(String::as_str), Some("project-token-value"));
    assert!(!project.headers.contains_key("authorization"));
    let none = &anonymous.received()[0].headers;
    assert!(!none.contains_key("authorization") && !none.contains_key("project-access-token"));
}

#[tokio::test]
async fn a_create_is_not_repeated_after_an_ambiguous_failure() {
    for fault in [|| cloudflare_page(502), || Reply::Drop] {
        let server = ScriptedServer::start(move |index, _| if index == 0 { fault() } else { service_created() }).await;
        let client = client_for(&server, api_token());
        let error = client.create_service(&new_service()).await.unwrap_err();
        assert!(matches!(error, ApiError::Ambiguous { operation: "ServiceCreate", .. }), "{error:?}");
        assert!(error.to_string().contains("re-reads the live state"), "{error}");
        assert_eq!(server.count(), 1, "the create was sent again");
    }
}

#[tokio::test]
async fn a_rate_limited_create_is_retried_because_it_never_ran() {
    let server = ScriptedServer::start(|index, _| if index == 0 { rate_limited(0) } else { service_created() }).await;
    let client = client_for(&server, api_token());
    let created = client.create_service(&new_service()).await.unwrap();
    assert_eq!(created.id, "s-new");
    assert_eq!(server.count(), 2);
}

#[tokio::test]
async fn an_idempotent_write_is_retried_after_a_dropped_connection() {
    let server = ScriptedServer::start(|index, _| {
        if index == 0 {
            Reply::Drop
        } else {
            Reply::Json(json!({"data": {"environmentStageChanges": {"id": "patch-1", "status": "STAGED"}}}))
        }
    })
    .await;
    let client = client_for(&server, api_token());
    let patch = json!({"sharedVariables": {"LOG_LEVEL": {"value": "debug"}}});
    client.stage_changes("e1", patch.clone()).await.unwrap();
    assert_eq!(server.count(), 2);
    let sent = &server.received()[1].body["variables"];
    assert_eq!(sent, &json!({"environmentId": "e1", "input": patch, "merge": true}));
}

#[tokio::test]
async fn unset_optional_inputs_are_left_out_of_the_request() {
    let server = ScriptedServer::start(|_, _| service_created()).await;
    let client = client_for(&server, api_token());
    client.create_service(&new_service()).await.unwrap();
    let body = &server.received()[0].body;
    assert_eq!(body["operationName"], "ServiceCreate");
    assert_eq!(
        body["variables"],
        json!({"input": {"projectId": "p1", "name": "platform-api", "source": {"image": "ghcr.io/acme/platform-api:1.4.2"}}})
    );
}

const PLATFORM_ENVIRONMENTS: [(&str, &str); 3] = [("e-dev", "dev"), ("e-prod", "production"), ("e-stage", "staging")];
const PLATFORM_SERVICES: [(&str, &str); 2] = [("s-api", "platform-api"), ("s-db", "platform-db")];

/// One environment of the canned project, with its config and etag.
fn platform_environment(id: &str) -> Value {
    let name = PLATFORM_ENVIRONMENTS.iter().find(|(env_id, _)| *env_id == id).map_or("?", |(_, name)| name);
    let config = json!({
        "services": {
            "s-db": {
                "source": {"image": "ghcr.io/railwayapp-templates/postgres-ssl:16"},
                "variables": {"POSTGRES_PASSWORD": {"isSealed": true}, "PGPORT": {"value": "5432"}},
                "volumeMounts": {"v-1": {"mountPath": "/var/lib/postgresql/data"}},
            },
            "s-api": {
                "source": {"repo": "acme/platform", "branch": "main"},
                "variables": {"DATABASE_URL": {"value": "${{platform-db.DATABASE_URL}}"}},
            },
        },
        "sharedVariables": {"ENVIRONMENT": {"value": name}},
        "volumes": {"v-1": {"name": "pg-data"}},
        "someFutureKey": {"ignored": true},
    });
    json!({"id": id, "name": name, "configEtag": format!("etag-{id}"), "config": config,
           "isEphemeral": false, "createdAt": "2026-12-01T00:00:00.000Z", "sourceEnvironment": null,
           "serviceInstances": {"edges": []}})
}

/// Canned answers for a project with three environments and two services.
fn platform_project(_: usize, request: &Received) -> Reply {
    let (environments, services) = (&PLATFORM_ENVIRONMENTS, &PLATFORM_SERVICES);
    match request.operation() {
        "ProjectById" => {
            Reply::Json(json!({"data": {"project": project_json("p1", "platform", environments, services)}}))
        }
        "ProjectState" => {
            let mut project = project_json("p1", "platform", environments, services);
            project["environments"]["edges"] =
                environments.iter().map(|(id, _)| json!({"node": platform_environment(id)})).collect();
            Reply::Json(json!({"data": {"project": project}}))
        }
        "MyProjects" => {
            let other = project_json("p2", "other", &[], &[]);
            let platform = project_json("p1", "platform", environments, services);
            Reply::Json(json!({"data": {"me": {"workspaces": [
                {"id": "w1", "name": "acme", "projects": {"edges": [{"node": other}], "pageInfo": {"hasNextPage": false}}},
                {"id": "w2", "name": "acme-2", "projects": {"edges": [{"node": platform}], "pageInfo": {"hasNextPage": false}}},
            ]}}}))
        }
        "EnvironmentState" => {
            let id = request.body["variables"]["id"].as_str().unwrap_or_default().to_owned();
            Reply::Later(
                Duration::from_millis(150),
                Box::new(Reply::Json(json!({"data": {"environment": platform_environment(&id)}}))),
            )
        }
        other => graphql_errors(&[&format!("unexpected operation {other}")]),
    }
}

/// The canned project, with the whole-project read refused as too complex (a cost limit).
fn platform_project_refusing_one_document(index: usize, request: &Received) -> Reply {
    match request.operation() {
        "ProjectState" => graphql_errors(&["Query has complexity of 1200, which exceeds max complexity of 1000"]),
        _ => platform_project(index, request),
    }
}

fn check_platform_project(project: &state::LiveProject) {
    let names: Vec<&str> = project.environments.iter().map(|env| env.name.as_str()).collect();
    assert_eq!(names, ["dev", "production", "staging"]);
    let staging = project.environment_by_name("staging").unwrap();
    assert_eq!(staging.config_etag, "etag-e-stage");
    assert_eq!(staging.shared["ENVIRONMENT"], LiveValue::Value("staging".into()));
    let db = project.instance_by_names("staging", "platform-db").unwrap();
    assert_eq!(db.variables["POSTGRES_PASSWORD"], LiveValue::Sealed);
    assert_eq!(db.volume_mounts[0].mount_path, "/var/lib/postgresql/data");
    assert_eq!(db.volume_mounts[0].volume_name.as_deref(), Some("pg-data"));
    let api = project.instance_by_names("dev", "platform-api").unwrap();
    assert_eq!(api.source, Some(LiveSource::Repo { repo: "acme/platform".into(), branch: Some("main".into()) }));
    assert_eq!(api.variables["DATABASE_URL"].value(), Some("${{platform-db.DATABASE_URL}}"));
    assert!(!format!("{project:?}").contains("5432"), "Debug shows a value");
}

#[tokio::test]
async fn a_read_by_id_costs_one_request_whatever_the_number_of_environments() {
    let server = ScriptedServer::start(platform_project).await;
    let client = client_for(&server, api_token());
    let project = read_project_by_id(&client).await.unwrap().unwrap();
    assert_eq!(server.count(), 1);
    assert_eq!(server.received()[0].operation(), "ProjectState");
    check_platform_project(&project);
}

#[tokio::test]
async fn a_refused_whole_project_read_falls_back_to_one_request_per_environment_sent_concurrently() {
    let server = ScriptedServer::start(platform_project_refusing_one_document).await;
    let recorder = Arc::new(Recorder::default());
    let client = client_for(&server, api_token()).with_observer(recorder.clone());
    let project = read_project_by_id(&client).await.unwrap().unwrap();
    // The refused document, the outline, then each environment.
    assert_eq!(server.count(), 1 + 1 + 3);
    assert_eq!(server.peak_in_flight(), 3, "environment reads were not concurrent");
    check_platform_project(&project);
    let events = recorder.0.lock().unwrap().clone();
    assert!(events.iter().any(|e| matches!(e, RequestEvent::FellBack { operation: "ProjectState", .. })), "{events:?}");
}

#[tokio::test]
async fn a_read_by_name_with_an_account_token_finds_the_project_in_one_request() {
    let server = ScriptedServer::start(platform_project).await;
    let client = client_for(&server, api_token());
    let project = state::read(&client, &ProjectSelector::Name("platform".into())).await.unwrap().unwrap();
    assert_eq!(project.id, "p1");
    assert_eq!(server.received()[0].operation(), "MyProjects");
    assert_eq!(server.received()[1].operation(), "ProjectState");
    assert_eq!(server.count(), 2);
    check_platform_project(&project);

    let missing = state::read(&client, &ProjectSelector::Name("nope".into())).await.unwrap();
    assert!(missing.is_none());
}

#[tokio::test]
async fn a_list_cut_to_its_first_page_is_an_error_not_a_missing_project() {
    let server = ScriptedServer::start(|_, _| {
        let other = project_json("p2", "other", &[], &[]);
        Reply::Json(json!({"data": {"me": {"workspaces": [
            {"id": "w1", "name": "acme", "projects": {"edges": [{"node": other}], "pageInfo": {"hasNextPage": true}}},
        ]}}}))
    })
    .await;
    let client = client_for(&server, api_token());
    let error = state::read(&client, &ProjectSelector::Name("platform".into())).await.unwrap_err();
    assert!(matches!(error, StateError::Truncated { .. }), "{error}");
    assert!(error.to_string().contains("project_id"), "{error}");
}

#[tokio::test]
async fn a_project_that_does_not_exist_is_none() {
    let server = ScriptedServer::start(|_, _| graphql_errors(&["Project not found"])).await;
    let client = client_for(&server, api_token());
    assert!(read_project_by_id(&client).await.unwrap().is_none());
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_project_token_for_another_project_is_refused() {
    let server = ScriptedServer::start(|_, _| {
        let project = project_json("p9", "elsewhere", &[], &[]);
        Reply::Json(json!({"data": {"projectToken": {"projectId": "p9", "environmentId": "e9", "project": project}}}))
    })
    .await;
    let client = client_for(&server, Some(Token::Project(Secret::new("project-token-value"))));
    let error = state::read(&client, &ProjectSelector::Name("platform".into())).await.unwrap_err();
    assert!(matches!(error, StateError::OutsideTokenScope { .. }), "{error:?}");
    assert!(error.to_string().contains("elsewhere"));
}

#[tokio::test]
async fn a_malformed_config_names_the_environment() {
    let server = ScriptedServer::start(|_, _| {
        let mut project = project_json("p1", "platform", &[], &[]);
        project["environments"]["edges"] = json!([{"node": {"id": "e1", "name": "dev", "configEtag": "x",
            "isEphemeral": false, "createdAt": "2026-12-01T00:00:00.000Z",
            "config": {"services": {"s1": {"variables": {"SECRET": "hunter2"}}}}, "serviceInstances": {"edges": []}}}]);
        Reply::Json(json!({"data": {"project": project}}))
    })
    .await;
    let client = client_for(&server, api_token());
    let error = read_project_by_id(&client).await.unwrap_err();
    let message = error.to_string();
    assert!(message.contains("\"dev\"") && message.contains("services.s1"), "{message}");
    assert!(!message.contains("hunter2"), "{message}");
}

#[derive(Default)]
struct Recorder(Mutex<Vec<RequestEvent>>);

impl RequestObserver for Recorder {
    fn observe(&self, event: &RequestEvent) {
        self.0.lock().unwrap().push(event.clone());
    }
}

#[tokio::test]
async fn the_observer_sees_operations_attempts_and_retries() {
    let server =
        ScriptedServer::start(|index, _| if index == 0 { cloudflare_page(502) } else { project_by_id_reply() }).await;
    let recorder = Arc::new(Recorder::default());
    let client = client_for(&server, api_token()).with_observer(recorder.clone());
    read_project_by_id(&client).await.unwrap();
    let events = recorder.0.lock().unwrap().clone();
    assert!(matches!(
        events[0],
        RequestEvent::Attempted { operation: "ProjectState", attempt: 1, status: Some(502), .. }
    ));
    assert!(matches!(events[1], RequestEvent::Retrying { operation: "ProjectState", attempt: 1, .. }));
    assert!(matches!(
        events[2],
        RequestEvent::Attempted { operation: "ProjectState", attempt: 2, status: Some(200), .. }
    ));
}

/// graphql_client checks selections at compile time; this also checks arguments, variable types
/// and nullability of every operation document against the vendored schema.
#[test]
fn every_operation_document_validates_against_the_schema() {
    use apollo_compiler::{ExecutableDocument, Schema};

    use std::path::Path;

    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql");
    let schema_path = folder.join("railway.schema.graphql");
    let schema = Schema::parse_and_validate(std::fs::read_to_string(&schema_path).unwrap(), &schema_path)
        .unwrap_or_else(|invalid| panic!("{}", invalid.errors));
    let mut checked = 0;
    for entry in std::fs::read_dir(&folder).unwrap() {
        let path = entry.unwrap().path();
        if path == schema_path || path.extension().is_none_or(|ext| ext != "graphql") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        if let Err(invalid) = ExecutableDocument::parse_and_validate(&schema, text, &path) {
            panic!("{}", invalid.errors);
        }
        checked += 1;
    }
    // Every document the client compiles in is here, and nothing else.
    let operations =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/railway/operations.rs")).unwrap();
    let compiled =
        operations.lines().filter(|line| line.contains("= \"graphql/") && !line.contains("schema_path")).count();
    assert_eq!(checked, compiled, "{checked} documents in graphql/, {compiled} compiled into the client");
}

#[tokio::test]
async fn an_unreadable_answer_to_a_create_is_ambiguous() {
    let server = ScriptedServer::start(|_, _| Reply::Json(json!({"data": {"serviceCreate": {"id": 5}}}))).await;
    let client = client_for(&server, api_token());
    let error = client.create_service(&new_service()).await.unwrap_err();
    assert!(matches!(error, ApiError::Ambiguous { operation: "ServiceCreate", .. }), "{error:?}");
    assert_eq!(server.count(), 1);
}

#[tokio::test]
async fn a_workspace_token_finds_a_project_through_its_workspaces() {
    let server = ScriptedServer::start(|index, request| match request.operation() {
        "MyProjects" => graphql_errors(&["Not Authorized"]),
        "ApiTokenWorkspaces" => {
            Reply::Json(json!({"data": {"apiToken": {"workspaces": [{"id": "w1", "name": "acme"}]}}}))
        }
        "WorkspaceProjects" => {
            assert_eq!(request.body["variables"]["workspaceId"], "w1");
            let project = project_json("p1", "platform", &[("e1", "production")], &[]);
            Reply::Json(json!({"data": {"workspace": {"id": "w1", "name": "acme",
                "projects": {"edges": [{"node": project}], "pageInfo": {"hasNextPage": false}}}}}))
        }
        _ => platform_project(index, request),
    })
    .await;
    let client = client_for(&server, api_token());
    let project = state::read(&client, &ProjectSelector::Name("platform".into())).await.unwrap().unwrap();
    assert_eq!(project.environments.len(), 3, "the project as ProjectState read it");
    let operations: Vec<String> = server.received().iter().map(|request| request.operation().to_owned()).collect();
    assert_eq!(operations, ["MyProjects", "ApiTokenWorkspaces", "WorkspaceProjects", "ProjectState"]);
}
