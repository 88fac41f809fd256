//! Transport faults for tests: a seeded share of requests answered with a 429, a 502/503
//! HTML page or a dropped connection (`--fail-rate`, `--seed`), and a per-second rate limit
//! with Railway's `X-RateLimit-*` and `Retry-After` headers (`--rate-limit`).
//!
//! Both are decided before a request reaches the schema, so a failed request never executes
//! its mutation.

use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One injected failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429 with `Retry-After: 1`.
    TooManyRequests,
    /// HTTP 502 with an HTML page, as a proxy in front of Railway answers.
    BadGateway,
    /// HTTP 503 with an HTML page.
    ServiceUnavailable,
    /// The connection closes without any response.
    DroppedConnection,
}

/// Answers to lose on purpose (`POST /_emulator/lose-answers`): the request runs, its mutation
/// included, and the connection then closes without the answer — as when a proxy in front of
/// Railway times out after Railway did the work. Keyed by GraphQL operation name.
#[derive(Debug, Default)]
pub struct LostAnswers(Mutex<std::collections::BTreeMap<String, u32>>);

impl LostAnswers {
    /// Loses the next `count` answers to `operation`.
    pub fn add(&self, operation: &str, count: u32) {
        if let Ok(mut rules) = self.0.lock() {
            *rules.entry(operation.to_string()).or_default() += count;
        }
    }

    /// True (and one fewer to lose) when the answer to `operation` is to be lost.
    pub fn take(&self, operation: &str) -> bool {
        let Ok(mut rules) = self.0.lock() else { return false };
        match rules.get_mut(operation) {
            Some(remaining) if *remaining > 0 => {
                *remaining -= 1;
                true
            }
            _ => false,
        }
    }
}

/// Marks a response whose connection the server must close instead of answering.
#[derive(Debug, Clone, Copy)]
pub struct DropConnection;

impl Fault {
    /// The key this fault is counted under in `/_emulator/stats`.
    pub fn kind(self) -> &'static str {
        match self {
            Fault::TooManyRequests => "429",
            Fault::BadGateway => "502",
            Fault::ServiceUnavailable => "503",
            Fault::DroppedConnection => "dropped",
        }
    }

    pub fn response(self) -> Response {
        match self {
            Fault::TooManyRequests => too_many_requests(1),
            Fault::BadGateway => html_error(StatusCode::BAD_GATEWAY, "502 Bad Gateway"),
            Fault::ServiceUnavailable => {
                html_error(StatusCode::SERVICE_UNAVAILABLE, "503 Service Temporarily Unavailable")
            }
            Fault::DroppedConnection => {
                let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
                response.extensions_mut().insert(DropConnection);
                response
            }
        }
    }
}

fn too_many_requests(retry_after_seconds: u64) -> Response {
    let mut response = (StatusCode::TOO_MANY_REQUESTS, "Too Many Requests").into_response();
    response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(retry_after_seconds));
    response
}

fn html_error(status: StatusCode, title: &str) -> Response {
    let body = format!(
        "<!DOCTYPE html>\n<html><head><title>{title}</title></head>\
         <body><center><h1>{title}</h1></center><hr><center>cloudflare</center></body></html>\n"
    );
    (status, [(header::CONTENT_TYPE, "text/html; charset=UTF-8")], body).into_response()
}

/// Decides, request by request, whether to inject a fault. With a seed the sequence of
/// decisions is the same on every run.
#[derive(Debug)]
pub struct FaultInjector {
    rate: f64,
    rng: Mutex<StdRng>,
}

impl FaultInjector {
    pub fn new(rate: f64, seed: Option<u64>) -> anyhow::Result<Self> {
        if !(0.0..=1.0).contains(&rate) {
            anyhow::bail!("--fail-rate must be between 0.0 and 1.0, not {rate}");
        }
        let rng = match seed {
            Some(seed) => StdRng::seed_from_u64(seed),
            None => StdRng::from_os_rng(),
        };
        Ok(FaultInjector { rate, rng: Mutex::new(rng) })
    }

    /// The fault for the next request, if any.
    pub fn next(&self) -> Option<Fault> {
        if self.rate <= 0.0 {
            return None;
        }
        let mut rng = self.rng.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if rng.random::<f64>() >= self.rate {
            return None;
        }
        Some(match rng.random_range(0..4) {
            0 => Fault::TooManyRequests,
            1 => Fault::BadGateway,
            2 => Fault::ServiceUnavailable,
            _ => Fault::DroppedConnection,
        })
    }
}

/// A fixed one-second window: the first `limit` requests of a window pass, the rest get 429.
#[derive(Debug)]
pub struct RateLimiter {
    limit: u32,
    window: Mutex<Window>,
}

#[derive(Debug)]
struct Window {
    started: Instant,
    ends_at_epoch: u64,
    count: u32,
}

/// The limiter's answer for one request, and the headers that go with it.
#[derive(Debug, Clone, Copy)]
pub struct RateDecision {
    pub allowed: bool,
    limit: u32,
    remaining: u32,
    reset_epoch: u64,
}

const WINDOW: Duration = Duration::from_secs(1);

impl RateLimiter {
    pub fn new(limit: u32) -> Self {
        RateLimiter {
            limit,
            window: Mutex::new(Window { started: Instant::now(), ends_at_epoch: epoch_now() + 1, count: 0 }),
        }
    }

    pub fn check(&self) -> RateDecision {
        let mut window = self.window.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if window.started.elapsed() >= WINDOW {
            *window = Window { started: Instant::now(), ends_at_epoch: epoch_now() + 1, count: 0 };
        }
        window.count = window.count.saturating_add(1);
        RateDecision {
            allowed: window.count <= self.limit,
            limit: self.limit,
            remaining: self.limit.saturating_sub(window.count),
            reset_epoch: window.ends_at_epoch,
        }
    }
}

impl RateDecision {
    /// `X-RateLimit-Limit`, `X-RateLimit-Remaining` and `X-RateLimit-Reset` (epoch seconds).
    pub fn add_headers(&self, headers: &mut HeaderMap) {
        headers.insert("x-ratelimit-limit", HeaderValue::from(self.limit));
        headers.insert("x-ratelimit-remaining", HeaderValue::from(self.remaining));
        headers.insert("x-ratelimit-reset", HeaderValue::from(self.reset_epoch));
    }

    /// The 429 answered to a request over the limit.
    pub fn rejection(&self) -> Response {
        let mut response = too_many_requests(1);
        self.add_headers(response.headers_mut());
        response
    }
}

fn epoch_now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_replays_the_same_faults() {
        let first = FaultInjector::new(0.5, Some(7)).unwrap();
        let second = FaultInjector::new(0.5, Some(7)).unwrap();
        let run = |injector: &FaultInjector| (0..50).map(|_| injector.next()).collect::<Vec<_>>();
        let faults = run(&first);
        assert_eq!(faults, run(&second));
        assert!(faults.iter().any(Option::is_some) && faults.iter().any(Option::is_none));
    }

    #[test]
    fn rate_zero_and_one_are_never_and_always() {
        let never = FaultInjector::new(0.0, Some(1)).unwrap();
        assert!((0..20).all(|_| never.next().is_none()));
        let always = FaultInjector::new(1.0, Some(1)).unwrap();
        assert!((0..20).all(|_| always.next().is_some()));
        assert!(FaultInjector::new(1.5, None).is_err());
    }

    #[test]
    fn the_limiter_refuses_past_its_limit() {
        let limiter = RateLimiter::new(2);
        let decisions: Vec<bool> = (0..4).map(|_| limiter.check().allowed).collect();
        assert_eq!(&decisions[..2], [true, true]);
        assert!(decisions[2..].iter().any(|allowed| !allowed));
    }
}
