//! Test harness: an [`Emulator`] handle that runs `railform emulator` as a child process on a
//! free port, talks GraphQL to it over HTTP, reads its `/_emulator/*` endpoints and kills it on
//! drop. Build one with [`Emulator::builder`] to pass flags.

#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use serde_json::Value;

/// How a request authenticates.
#[derive(Debug, Clone)]
pub enum Auth {
    /// No auth header.
    None,
    /// `Authorization: Bearer …`.
    Bearer(String),
    /// `Project-Access-Token: …`.
    ProjectToken(String),
}

/// An HTTP answer as received, for tests that look past the GraphQL layer.
#[derive(Debug)]
pub struct RawResponse {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl RawResponse {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|value| value.to_str().ok())
    }

    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|error| panic!("not JSON ({error}): {}", self.body))
    }
}

/// Flags for `railform emulator`.
#[derive(Debug, Clone, Default)]
pub struct EmulatorBuilder {
    token: Option<String>,
    state: Option<PathBuf>,
    fail_rate: Option<f64>,
    seed: Option<u64>,
    rename_policy: Option<String>,
    latency_ms: Option<u64>,
    rate_limit: Option<u32>,
    deploy_seconds: Option<f64>,
    max_configs: Option<usize>,
}

impl EmulatorBuilder {
    /// `--token`: requests from the handle then carry it as `Authorization: Bearer`.
    pub fn token(mut self, token: &str) -> Self {
        self.token = Some(token.into());
        self
    }
    pub fn state(mut self, path: &Path) -> Self {
        self.state = Some(path.into());
        self
    }
    pub fn fail_rate(mut self, rate: f64) -> Self {
        self.fail_rate = Some(rate);
        self
    }
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = Some(seed);
        self
    }
    /// `keep` or `rewrite`.
    pub fn rename_policy(mut self, policy: &str) -> Self {
        self.rename_policy = Some(policy.into());
        self
    }
    pub fn latency_ms(mut self, latency: u64) -> Self {
        self.latency_ms = Some(latency);
        self
    }
    pub fn rate_limit(mut self, limit: u32) -> Self {
        self.rate_limit = Some(limit);
        self
    }
    /// `--deploy-seconds`: how long a deployment takes to end.
    /// `--max-configs`: refuse a request reading more environment configs, as too large.
    pub fn max_configs(mut self, limit: usize) -> Self {
        self.max_configs = Some(limit);
        self
    }

    pub fn deploy_seconds(mut self, seconds: f64) -> Self {
        self.deploy_seconds = Some(seconds);
        self
    }

    pub fn start(self) -> Emulator {
        let mut command = Command::new(env!("CARGO_BIN_EXE_railform"));
        command.args(["emulator", "--listen", "127.0.0.1:0"]);
        let mut flag = |name: &str, value: Option<String>| {
            if let Some(value) = value {
                command.args([name, &value]);
            }
        };
        flag("--token", self.token.clone());
        flag("--state", self.state.map(|p| p.display().to_string()));
        flag("--fail-rate", self.fail_rate.map(|r| r.to_string()));
        flag("--seed", self.seed.map(|s| s.to_string()));
        flag("--rename-policy", self.rename_policy);
        flag("--latency-ms", self.latency_ms.map(|l| l.to_string()));
        flag("--rate-limit", self.rate_limit.map(|l| l.to_string()));
        flag("--deploy-seconds", self.deploy_seconds.map(|s| s.to_string()));
        flag("--max-configs", self.max_configs.map(|l| l.to_string()));
        command.stdout(Stdio::piped()).stderr(Stdio::inherit()).env("NO_COLOR", "1");
        let mut child = command.spawn().expect("start railform emulator");
        let stdout = child.stdout.take().expect("emulator stdout");
        let mut line = String::new();
        BufReader::new(stdout).read_line(&mut line).expect("read the emulator's first line");
        let url = line.trim().strip_prefix("listening on ").unwrap_or_else(|| panic!("unexpected first line {line:?}"));
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("tokio runtime");
        let auth = self.token.map_or(Auth::None, Auth::Bearer);
        Emulator { child, url: url.to_string(), runtime, client: reqwest::Client::new(), auth }
    }
}

/// A running `railform emulator` process.
pub struct Emulator {
    child: Child,
    url: String,
    runtime: tokio::runtime::Runtime,
    client: reqwest::Client,
    auth: Auth,
}

impl Emulator {
    pub fn builder() -> EmulatorBuilder {
        EmulatorBuilder::default()
    }

    /// An emulator with default flags.
    pub fn start() -> Self {
        Self::builder().start()
    }

    /// The GraphQL endpoint, `http://127.0.0.1:PORT/graphql/v2`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> &str {
        self.url.trim_end_matches("/graphql/v2")
    }

    /// Sends a GraphQL document with the handle's token; returns the whole JSON response.
    pub fn graphql(&self, query: &str, variables: Value) -> Value {
        self.graphql_as(&self.auth, query, variables)
    }

    /// Like [`graphql`](Self::graphql), and panics unless the response has data and no errors.
    pub fn data(&self, query: &str, variables: Value) -> Value {
        let response = self.graphql(query, variables);
        assert!(response.get("errors").is_none(), "GraphQL errors: {response}");
        response["data"].clone()
    }

    /// Sends a GraphQL document with the given auth.
    pub fn graphql_as(&self, auth: &Auth, query: &str, variables: Value) -> Value {
        let body = serde_json::json!({ "query": query, "variables": variables });
        let response = self.post(auth, &body).expect("send GraphQL request");
        assert_eq!(response.status, 200, "HTTP {}: {}", response.status, response.body);
        response.json()
    }

    /// POSTs a body to the GraphQL endpoint and returns the raw answer (or the transport error,
    /// as for a dropped connection).
    pub fn post(&self, auth: &Auth, body: &Value) -> Result<RawResponse, reqwest::Error> {
        let request = authenticated(self.client.post(&self.url).json(body), auth);
        self.runtime.block_on(async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.text().await?;
            Ok(RawResponse { status, headers, body })
        })
    }

    /// `GET /_emulator/stats`.
    pub fn stats(&self) -> Value {
        self.inspect(reqwest::Method::GET, "stats", None)
    }

    /// `GET /_emulator/deployments`.
    pub fn deployments(&self) -> Vec<Value> {
        match self.inspect(reqwest::Method::GET, "deployments", None) {
            Value::Array(deployments) => deployments,
            other => panic!("deployments is not a list: {other}"),
        }
    }

    /// `POST /_emulator/reset-stats`.
    pub fn reset_stats(&self) {
        self.inspect(reqwest::Method::POST, "reset-stats", None);
    }

    /// `POST /_emulator/seal`: seals a variable (`service_id` `None` for a shared one).
    pub fn seal(&self, environment_id: &str, service_id: Option<&str>, name: &str) {
        let body = serde_json::json!({"environmentId": environment_id, "serviceId": service_id, "name": name});
        self.inspect(reqwest::Method::POST, "seal", Some(body));
    }

    /// `POST /_emulator/fail-deploys?QUERY` (e.g. `service=api&count=2`): the rules now in force.
    pub fn fail_deploys(&self, query: &str) -> Value {
        self.inspect(reqwest::Method::POST, &format!("fail-deploys?{query}"), None)
    }

    /// `DELETE /_emulator/fail-deploys?QUERY`: clears rules (all of them with an empty query).
    pub fn clear_fail_deploys(&self, query: &str) -> Value {
        self.inspect(reqwest::Method::DELETE, &format!("fail-deploys?{query}"), None)
    }

    /// `POST /_emulator/age?environment=ID&days=N`: the environment looks `days` older.
    pub fn age(&self, environment_id: &str, days: f64) -> Value {
        self.inspect(reqwest::Method::POST, &format!("age?environment={environment_id}&days={days}"), None)
    }

    /// `POST /_emulator/lose-answers`: the next `count` requests of `operation` run, and their
    /// answers are lost.
    pub fn lose_answers(&self, operation: &str, count: u32) -> Value {
        self.inspect(reqwest::Method::POST, &format!("lose-answers?operation={operation}&count={count}"), None)
    }

    /// Calls `/_emulator/PATH` with the handle's token; panics unless it succeeds.
    fn inspect(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let response = self.inspect_as(&self.auth, method, path, body);
        assert!((200..300).contains(&response.status), "/_emulator/{path}: HTTP {}", response.status);
        if response.body.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&response.body).expect("inspection JSON")
        }
    }

    /// Calls `/_emulator/PATH` with the given auth and returns the raw answer.
    pub fn inspect_as(&self, auth: &Auth, method: reqwest::Method, path: &str, body: Option<Value>) -> RawResponse {
        let url = format!("{}/_emulator/{path}", self.base_url());
        let mut request = self.client.request(method, &url);
        if let Some(body) = body {
            request = request.json(&body);
        }
        request = authenticated(request, auth);
        self.runtime.block_on(async {
            let response = request.send().await.expect("inspection request");
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.text().await.expect("inspection body");
            RawResponse { status, headers, body }
        })
    }

    /// POSTs raw bytes to the GraphQL endpoint (for bodies that are not JSON, or too large).
    pub fn post_bytes(&self, body: Vec<u8>) -> Result<RawResponse, reqwest::Error> {
        let request = authenticated(self.client.post(&self.url), &self.auth)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        self.runtime.block_on(async {
            let response = request.send().await?;
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            let body = response.text().await?;
            Ok(RawResponse { status, headers, body })
        })
    }
}

fn authenticated(request: reqwest::RequestBuilder, auth: &Auth) -> reqwest::RequestBuilder {
    match auth {
        Auth::None => request,
        Auth::Bearer(token) => request.bearer_auth(token),
        Auth::ProjectToken(token) => request.header("Project-Access-Token", token),
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder of environment files, and `railform` run on it against an emulator (through
/// `RAILFORM_ENDPOINT`, with no Railway token in its environment).
pub struct Workspace {
    dir: tempfile::TempDir,
    endpoint: String,
    env: Vec<(String, String)>,
}

/// What one `railform` run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// Panics with both streams unless the run exited with `code`.
    pub fn expect(self, code: i32) -> Run {
        assert_eq!(self.code, code, "exit code\n--- stdout\n{}\n--- stderr\n{}", self.stdout, self.stderr);
        self
    }
}

impl Workspace {
    pub fn new(emulator: &Emulator) -> Workspace {
        Workspace { dir: tempfile::tempdir().expect("temp dir"), endpoint: emulator.url().to_string(), env: Vec::new() }
    }

    /// Writes `text` to `name` (relative to the workspace), creating folders.
    pub fn file(&self, name: &str, text: &str) -> &Workspace {
        let path = self.dir.path().join(name);
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder).expect("create folder");
        }
        std::fs::write(path, text).expect("write file");
        self
    }

    /// Sets an environment variable for every later run.
    pub fn env(&mut self, name: &str, value: &str) -> &mut Workspace {
        self.env.push((name.to_string(), value.to_string()));
        self
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    /// Runs `railform ARGS…` in the workspace folder.
    pub fn run(&self, args: &[&str]) -> Run {
        let output = Command::new(env!("CARGO_BIN_EXE_railform"))
            .args(args)
            .current_dir(self.dir.path())
            .env("RAILFORM_ENDPOINT", &self.endpoint)
            .env("NO_COLOR", "1")
            .env_remove("RAILWAY_API_TOKEN")
            .env_remove("RAILWAY_TOKEN")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .output()
            .expect("run railform");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

/// Where the reliability suites append their figures, one JSON object per line
/// (`scripts/reliability.sh` sets it and turns the lines into `docs/RELIABILITY.md`).
pub const RELIABILITY_LOG_VAR: &str = "RAILFORM_RELIABILITY_LOG";

/// Appends `record` (with its `suite`) to the file named by [`RELIABILITY_LOG_VAR`], if set.
pub fn record_figures(suite: &str, mut record: Value) {
    let Ok(path) = std::env::var(RELIABILITY_LOG_VAR) else { return };
    record["suite"] = Value::String(suite.to_string());
    let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&path).expect("open the reliability log");
    // One write per line, so that lines from tests running in parallel never interleave.
    std::io::Write::write_all(&mut file, format!("{record}\n").as_bytes()).expect("append to the reliability log");
}

/// A `railform` child process started with [`Workspace::spawn`].
pub type Spawned = Child;

impl Workspace {
    /// Points later runs at another emulator (for instance one restarted on the same state).
    pub fn use_emulator(&mut self, emulator: &Emulator) {
        self.endpoint = emulator.url().to_string();
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_railform"));
        command
            .args(args)
            .current_dir(self.dir.path())
            .env("RAILFORM_ENDPOINT", &self.endpoint)
            .env("NO_COLOR", "1")
            .env_remove("RAILWAY_API_TOKEN")
            .env_remove("RAILWAY_TOKEN")
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null());
        command
    }

    /// Starts `railform ARGS…` without waiting, its output captured.
    pub fn spawn(&self, args: &[&str]) -> Spawned {
        self.command(args).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start railform")
    }

    /// Like [`run`](Self::run), but kills the run and panics when it takes longer than `limit`;
    /// `shell_prefix` (e.g. `ulimit -v 1000000;`) runs first in a `sh` that then execs railform.
    pub fn run_bounded(&self, args: &[&str], limit: std::time::Duration, shell_prefix: &str) -> Run {
        let command = self.command(&[]);
        let quoted: Vec<String> = args.iter().map(|arg| format!("'{}'", arg.replace('\'', "'\\''"))).collect();
        let script = format!("{shell_prefix} exec '{}' {}", env!("CARGO_BIN_EXE_railform"), quoted.join(" "));
        let mut sh = Command::new("sh");
        sh.arg("-c").arg(script).current_dir(self.dir.path()).stdin(Stdio::null());
        for (name, value) in command.get_envs() {
            match value {
                Some(value) => sh.env(name, value),
                None => sh.env_remove(name),
            };
        }
        let child = sh.stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().expect("start railform");
        wait_bounded(child, limit).unwrap_or_else(|| panic!("railform {args:?} took longer than {limit:?}"))
    }
}

/// Waits for `child` at most `limit`, reading its output as it goes; `None` (after killing it)
/// when it ran out of time.
pub fn wait_bounded(mut child: Child, limit: std::time::Duration) -> Option<Run> {
    use std::io::Read;
    let drain = |stream: Option<Box<dyn Read + Send>>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut stream) = stream {
                let _ = stream.read_to_end(&mut bytes);
            }
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(child.stdout.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let stderr = drain(child.stderr.take().map(|s| Box::new(s) as Box<dyn Read + Send>));
    let started = std::time::Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for railform") {
            break status;
        }
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    };
    Some(Run {
        code: status.code().unwrap_or(-1),
        stdout: stdout.join().unwrap_or_default(),
        stderr: stderr.join().unwrap_or_default(),
    })
}
