//! [`Client`]: the one place railform talks HTTP to Railway. Every operation goes through
//! [`Client::send`], which adds the token, applies timeouts, retries transient faults within the
//! [`RetryPolicy`], refuses to repeat a create that may have happened, counts requests and reports
//! each attempt to an optional [`RequestObserver`].

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use graphql_client::{GraphQLQuery, QueryBody};
use reqwest::header::{HeaderName, HeaderValue, CONTENT_TYPE, RETRY_AFTER};

use super::auth::{Token, TokenError, API_TOKEN_VAR, PROJECT_TOKEN_VAR};
use super::error::{describe_json_error, redact_message, ApiError};
use super::operations::{Effect, Operation};
use super::retry::{parse_retry_after, Fault, RetryPolicy, Timeouts};

/// Railway's public GraphQL endpoint.
pub const DEFAULT_ENDPOINT: &str = "https://backboard.railway.com/graphql/v2";

/// Everything a [`Client`] is built from.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The GraphQL endpoint (`--endpoint`).
    pub endpoint: String,
    /// The token to send, if any (the emulator may need none).
    pub token: Option<Token>,
    pub retry: RetryPolicy,
    pub timeouts: Timeouts,
}

impl Settings {
    /// Settings for `endpoint` with no token and default retries and timeouts.
    pub fn new(endpoint: impl Into<String>) -> Self {
        Settings {
            endpoint: endpoint.into(),
            token: None,
            retry: RetryPolicy::default(),
            timeouts: Timeouts::default(),
        }
    }

    /// Settings for `endpoint` with the token from `RAILWAY_API_TOKEN` or `RAILWAY_TOKEN`.
    pub fn from_env(endpoint: impl Into<String>) -> Result<Self, TokenError> {
        Ok(Settings { token: Token::from_env()?, ..Settings::new(endpoint) })
    }
}

/// What happened to one attempt of one operation. Carries names and timings only, never
/// variables, tokens or response bodies.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestEvent {
    /// An attempt got an answer or failed.
    Attempted {
        operation: &'static str,
        /// 1 for the first attempt.
        attempt: u32,
        elapsed: Duration,
        /// The HTTP status, when a response arrived.
        status: Option<u16>,
    },
    /// A transient fault will be retried after `delay`.
    Retrying { operation: &'static str, attempt: u32, delay: Duration, fault: Fault },
    /// Railway refused a document (too large or complex): railform reads the same with
    /// smaller requests instead.
    FellBack { operation: &'static str, instead: &'static str, reason: String },
}

/// Receives a [`RequestEvent`] for every attempt; `-v` output and tests plug in here.
pub trait RequestObserver: Send + Sync {
    fn observe(&self, event: &RequestEvent);
}

/// A Railway GraphQL client. Cheap to share by reference across concurrent requests.
pub struct Client {
    http: reqwest::Client,
    endpoint: reqwest::Url,
    token: Option<Token>,
    /// The token's header, built once and marked sensitive so the HTTP stack never logs it.
    auth_header: Option<(HeaderName, HeaderValue)>,
    retry: RetryPolicy,
    observer: Option<Arc<dyn RequestObserver>>,
    requests_sent: AtomicU64,
}

impl fmt::Debug for Client {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Client")
            .field("endpoint", &self.endpoint.as_str())
            .field("token", &self.token)
            .field("retry", &self.retry)
            .field("requests_sent", &self.requests_sent())
            .finish_non_exhaustive()
    }
}

/// How one attempt ended when it did not succeed.
enum AttemptError {
    /// Worth another attempt.
    Transient(Fault),
    /// Final: retrying would not help.
    Final(ApiError),
}

impl Client {
    pub fn new(settings: Settings) -> Result<Client, ApiError> {
        let endpoint = reqwest::Url::parse(&settings.endpoint)
            .map_err(|error| ApiError::Settings(format!("endpoint {:?} is not a URL: {error}", settings.endpoint)))?;
        let http = reqwest::Client::builder()
            .connect_timeout(settings.timeouts.connect)
            .timeout(settings.timeouts.request)
            .user_agent(concat!("railform/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|error| ApiError::Settings(error.to_string()))?;
        let retry = RetryPolicy { max_attempts: settings.retry.max_attempts.max(1), ..settings.retry };
        let auth_header = settings.token.as_ref().map(auth_header).transpose()?;
        Ok(Client {
            http,
            endpoint,
            token: settings.token,
            auth_header,
            retry,
            observer: None,
            requests_sent: AtomicU64::new(0),
        })
    }

    /// Reports every attempt to `observer`.
    pub fn with_observer(mut self, observer: Arc<dyn RequestObserver>) -> Self {
        self.observer = Some(observer);
        self
    }

    /// HTTP requests sent so far, retries included.
    /// Tells the observer (if any) about something the callers of [`Client::send`] did.
    pub fn report(&self, event: &RequestEvent) {
        if let Some(observer) = &self.observer {
            observer.observe(event);
        }
    }

    pub fn requests_sent(&self) -> u64 {
        self.requests_sent.load(Ordering::Relaxed)
    }

    /// The token this client sends, if any.
    pub fn token(&self) -> Option<&Token> {
        self.token.as_ref()
    }

    /// Sends one operation and returns its data. Transient faults (429, 5xx, HTML pages,
    /// connection failures) are retried within the policy, except that a create which may have
    /// reached Railway fails with [`ApiError::Ambiguous`] instead of being sent again.
    pub async fn send<Q: Operation>(&self, variables: Q::Variables) -> Result<Q::ResponseData, ApiError> {
        let query = Q::build_query(variables);
        let operation = query.operation_name;
        let payload = encode_request(&query)?;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let started = Instant::now();
            self.requests_sent.fetch_add(1, Ordering::Relaxed);
            let (status, outcome) = self.attempt::<Q>(operation, payload.clone()).await;
            self.report(&RequestEvent::Attempted { operation, attempt, elapsed: started.elapsed(), status });
            let fault = match outcome {
                Ok(data) => return Ok(data),
                // A create answered with something unreadable most likely happened.
                Err(AttemptError::Final(ApiError::Decode { detail, .. })) if Q::EFFECT == Effect::Create => {
                    return Err(ApiError::Ambiguous { operation, reason: format!("unreadable answer: {detail}") });
                }
                Err(AttemptError::Final(error)) => return Err(error),
                Err(AttemptError::Transient(fault)) => fault,
            };
            if Q::EFFECT == Effect::Create && fault.may_have_reached_server() {
                return Err(ApiError::Ambiguous { operation, reason: fault.to_string() });
            }
            if attempt >= self.retry.max_attempts {
                return Err(ApiError::GaveUp { operation, attempts: attempt, last: fault });
            }
            let delay = self.retry.delay(attempt, &fault);
            self.report(&RequestEvent::Retrying { operation, attempt, delay, fault });
            tokio::time::sleep(delay).await;
        }
    }

    /// One HTTP round trip, classified. Returns the status when a response arrived.
    async fn attempt<Q: Operation>(
        &self,
        operation: &'static str,
        payload: Vec<u8>,
    ) -> (Option<u16>, Result<Q::ResponseData, AttemptError>) {
        let mut request = self.http.post(self.endpoint.clone()).header(CONTENT_TYPE, "application/json").body(payload);
        if let Some((name, value)) = &self.auth_header {
            request = request.header(name.clone(), value.clone());
        }
        let response = match request.send().await {
            Ok(response) => response,
            Err(error) => return (None, Err(AttemptError::Transient(transport_fault(&error)))),
        };
        let status = response.status();
        let code = Some(status.as_u16());
        if status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            let retry_after = response.headers().get(RETRY_AFTER).and_then(header_text).and_then(parse_retry_after);
            return (code, Err(AttemptError::Transient(Fault::RateLimited { retry_after })));
        }
        if status.is_server_error() {
            return (code, Err(AttemptError::Transient(Fault::ServerError { status: status.as_u16() })));
        }
        let declared_html =
            response.headers().get(CONTENT_TYPE).and_then(header_text).is_some_and(|value| value.contains("text/html"));
        let body = match response.bytes().await {
            Ok(body) => body,
            Err(error) => return (code, Err(AttemptError::Transient(transport_fault(&error)))),
        };
        if declared_html || looks_like_html(&body) {
            return (code, Err(AttemptError::Transient(Fault::HtmlBody { status: status.as_u16() })));
        }
        (code, decode_response::<Q>(operation, status, &body))
    }
}

/// The header carrying `token`, marked sensitive. A token that cannot be a header value is an
/// error that does not show it.
fn auth_header(token: &Token) -> Result<(HeaderName, HeaderValue), ApiError> {
    let (name, value) = token.header();
    let mut value = HeaderValue::from_str(&value).map_err(|_| {
        let variable = match token {
            Token::Api(_) => API_TOKEN_VAR,
            Token::Project(_) => PROJECT_TOKEN_VAR,
        };
        ApiError::Settings(format!("the token in {variable} contains characters not allowed in an HTTP header"))
    })?;
    value.set_sensitive(true);
    Ok((HeaderName::from_static(name), value))
}

/// The JSON request body. Top-level variables that are `None` are left out rather than sent as
/// `null`: Railway treats an explicit `null` argument as "clear it", an absent one as "unset".
/// (Input objects skip their `None` fields themselves: see [`super::operations`].)
fn encode_request<V: serde::Serialize>(query: &QueryBody<V>) -> Result<Vec<u8>, ApiError> {
    let operation = query.operation_name;
    let encode_error = |error: serde_json::Error| ApiError::Encode { operation, detail: describe_json_error(&error) };
    let mut body = serde_json::to_value(query).map_err(encode_error)?;
    match body.get_mut("variables") {
        Some(serde_json::Value::Object(variables)) => variables.retain(|_, value| !value.is_null()),
        // Operations without variables serialise them as `null`; send `{}` as most servers expect.
        Some(variables) => *variables = serde_json::Value::Object(serde_json::Map::new()),
        None => {}
    }
    serde_json::to_vec(&body).map_err(encode_error)
}

/// Turns an HTTP response that is not a transient fault into data or a final error.
fn decode_response<Q: GraphQLQuery>(
    operation: &'static str,
    status: reqwest::StatusCode,
    body: &[u8],
) -> Result<Q::ResponseData, AttemptError> {
    let final_error = |error| Err(AttemptError::Final(error));
    let response: graphql_client::Response<Q::ResponseData> = match serde_json::from_slice(body) {
        Ok(response) => response,
        Err(_) if !status.is_success() => return final_error(ApiError::Http { operation, status: status.as_u16() }),
        Err(error) => return final_error(ApiError::Decode { operation, detail: describe_json_error(&error) }),
    };
    if let Some(errors) = response.errors.filter(|errors| !errors.is_empty()) {
        let messages = errors.iter().map(|error| redact_message(&error.message)).collect();
        return final_error(ApiError::GraphQl { operation, messages });
    }
    match response.data {
        Some(data) if status.is_success() => Ok(data),
        Some(_) => final_error(ApiError::Http { operation, status: status.as_u16() }),
        None if !status.is_success() => final_error(ApiError::Http { operation, status: status.as_u16() }),
        None => {
            final_error(ApiError::Decode { operation, detail: "a response with neither data nor errors".to_owned() })
        }
    }
}

fn header_text(value: &HeaderValue) -> Option<&str> {
    value.to_str().ok()
}

/// Whether a body is an HTML page (Cloudflare and other proxies answer with one).
fn looks_like_html(body: &[u8]) -> bool {
    let start = body.iter().position(|byte| !byte.is_ascii_whitespace()).unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 64)];
    head.first() == Some(&b'<')
}

/// Classifies a reqwest failure: before the request left (safe to repeat) or after.
fn transport_fault(error: &reqwest::Error) -> Fault {
    let cause = error_chain(error);
    if error.is_connect() {
        Fault::Connect { cause }
    } else {
        Fault::Transport { cause }
    }
}

/// An error and its sources on one line.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::railway::operations::{service_create, volume_create, ServiceCreate, ServiceVariables, VolumeCreate};
    use crate::secret::Secret;

    fn encoded<Q: GraphQLQuery>(variables: Q::Variables) -> serde_json::Value {
        let body = encode_request(&Q::build_query(variables)).unwrap();
        serde_json::from_slice::<serde_json::Value>(&body).unwrap()["variables"].clone()
    }

    #[test]
    fn unset_input_fields_are_absent_not_null() {
        let input = service_create::ServiceCreateInput {
            project_id: "p1".into(),
            name: Some("api".into()),
            source: Some(service_create::ServiceSourceInput { image: Some("nginx".into()), repo: None }),
            ..Default::default()
        };
        let variables = encoded::<ServiceCreate>(service_create::Variables { input });
        assert_eq!(
            variables,
            serde_json::json!({"input": {"projectId": "p1", "name": "api", "source": {"image": "nginx"}}})
        );
    }

    #[test]
    fn unset_top_level_variables_are_absent_not_null() {
        let variables = encoded::<ServiceVariables>(crate::railway::operations::service_variables::Variables {
            project_id: "p1".into(),
            environment_id: "e1".into(),
            service_id: None,
            unrendered: Some(true),
        });
        assert_eq!(variables, serde_json::json!({"projectId": "p1", "environmentId": "e1", "unrendered": true}));
    }

    #[test]
    fn volume_without_environment_omits_it_so_every_environment_gets_one() {
        let input = volume_create::VolumeCreateInput {
            project_id: "p1".into(),
            mount_path: "/data".into(),
            service_id: Some("s1".into()),
            ..Default::default()
        };
        let variables = encoded::<VolumeCreate>(volume_create::Variables { input });
        assert_eq!(
            variables,
            serde_json::json!({"input": {"projectId": "p1", "mountPath": "/data", "serviceId": "s1"}})
        );
    }

    #[test]
    fn a_token_unfit_for_a_header_is_refused_without_showing_it() {
        let settings = Settings {
            token: Some(Token::Api(Secret::new("bad\ntoken"))),
            ..Settings::new("http://127.0.0.1:9/graphql/v2")
        };
        let error = Client::new(settings).unwrap_err().to_string();
        assert!(error.contains("RAILWAY_API_TOKEN") && !error.contains("bad"), "{error}");
    }

    #[test]
    fn html_detection_ignores_leading_whitespace() {
        assert!(looks_like_html(b"\n  <!DOCTYPE html><html>"));
        assert!(!looks_like_html(br#"{"data":{}}"#));
        assert!(!looks_like_html(b""));
    }
}
