//! Transient faults and the bounded retry policy: which failures are worth another attempt, how
//! long to wait before it, and whether the failed request may already have reached Railway.

use std::fmt;
use std::time::Duration;

use rand::Rng;

/// How often and how patiently [`Client::send`](super::Client::send) retries transient faults.
/// Tests shrink the delays; the defaults suit Railway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (at least 1).
    pub max_attempts: u32,
    /// Backoff before the first retry; doubles with each further retry.
    pub base_delay: Duration,
    /// Longest backoff between two attempts (before jitter).
    pub max_delay: Duration,
    /// Longest wait railform accepts from a 429's `Retry-After`.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(200),
            max_delay: Duration::from_secs(4),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The wait before retry number `retry` (1 for the first retry) after `fault`: the server's
    /// `Retry-After` (capped) when it gave one, else exponential backoff with jitter.
    pub fn delay(&self, retry: u32, fault: &Fault) -> Duration {
        match fault {
            Fault::RateLimited { retry_after: Some(wait) } => (*wait).min(self.max_retry_after),
            _ => self.backoff(retry),
        }
    }

    /// Exponential backoff with "equal jitter": a random wait between half and all of
    /// `base_delay * 2^(retry - 1)`, capped at `max_delay`, so that clients retrying together spread out.
    pub fn backoff(&self, retry: u32) -> Duration {
        let doublings = retry.saturating_sub(1).min(16);
        let ceiling = self.base_delay.saturating_mul(1 << doublings).min(self.max_delay);
        let half = ceiling / 2;
        let jitter_nanos = rand::rng().random_range(0..=half.as_nanos().min(u64::MAX as u128) as u64);
        half + Duration::from_nanos(jitter_nanos)
    }
}

/// Connect and whole-request timeouts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timeouts {
    /// Establishing the TCP and TLS connection.
    pub connect: Duration,
    /// One attempt from sending the request to reading the whole response.
    pub request: Duration,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts { connect: Duration::from_secs(10), request: Duration::from_secs(60) }
    }
}

/// A failure that another attempt may not meet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// HTTP 429, with the `Retry-After` the server asked for, if it gave one.
    RateLimited { retry_after: Option<Duration> },
    /// An HTTP 5xx answer.
    ServerError { status: u16 },
    /// An HTML page where JSON was expected (a proxy such as Cloudflare answered).
    HtmlBody { status: u16 },
    /// No connection could be made: the request never left.
    Connect { cause: String },
    /// The connection failed or timed out after the request was sent.
    Transport { cause: String },
}

impl Fault {
    /// Whether Railway may have received and carried out the request despite the failure, so
    /// that repeating a create could create twice.
    pub fn may_have_reached_server(&self) -> bool {
        match self {
            Fault::RateLimited { .. } | Fault::Connect { .. } => false,
            Fault::ServerError { .. } | Fault::Transport { .. } => true,
            Fault::HtmlBody { status } => *status >= 500,
        }
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fault::RateLimited { retry_after: Some(wait) } => {
                write!(f, "rate limited (HTTP 429, Retry-After {}s)", wait.as_secs())
            }
            Fault::RateLimited { retry_after: None } => f.write_str("rate limited (HTTP 429)"),
            Fault::ServerError { status } => write!(f, "server error (HTTP {status})"),
            Fault::HtmlBody { status } => {
                write!(f, "an HTML page instead of JSON (HTTP {status}), likely from a proxy")
            }
            Fault::Connect { cause } => write!(f, "could not connect: {cause}"),
            Fault::Transport { cause } => write!(f, "connection failed after sending: {cause}"),
        }
    }
}

/// Reads a `Retry-After` header given in integer seconds (the form Railway sends).
pub(crate) fn parse_retry_after(value: &str) -> Option<Duration> {
    value.trim().parse::<u64>().ok().map(Duration::from_secs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(1000),
            max_retry_after: Duration::from_secs(30),
        }
    }

    #[test]
    fn backoff_grows_within_jitter_bounds_and_stops_at_the_cap() {
        let policy = policy();
        for (retry, ceiling_ms) in [(1, 100), (2, 200), (3, 400), (4, 800), (5, 1000), (40, 1000)] {
            for _ in 0..50 {
                let delay = policy.backoff(retry);
                let ceiling = Duration::from_millis(ceiling_ms);
                assert!(delay >= ceiling / 2 && delay <= ceiling, "retry {retry}: {delay:?}");
            }
        }
    }

    #[test]
    fn retry_after_is_honoured_and_capped() {
        let policy = policy();
        let asked = |secs| Fault::RateLimited { retry_after: Some(Duration::from_secs(secs)) };
        assert_eq!(policy.delay(1, &asked(3)), Duration::from_secs(3));
        assert_eq!(policy.delay(1, &asked(3600)), Duration::from_secs(30));
        assert!(policy.delay(1, &Fault::RateLimited { retry_after: None }) <= Duration::from_millis(100));
    }

    #[test]
    fn parses_integer_seconds_only() {
        assert_eq!(parse_retry_after(" 7 "), Some(Duration::from_secs(7)));
        assert_eq!(parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
    }

    #[test]
    fn only_faults_before_the_server_are_safe_for_creates() {
        assert!(!Fault::RateLimited { retry_after: None }.may_have_reached_server());
        assert!(!Fault::Connect { cause: String::new() }.may_have_reached_server());
        assert!(!Fault::HtmlBody { status: 403 }.may_have_reached_server());
        assert!(Fault::HtmlBody { status: 502 }.may_have_reached_server());
        assert!(Fault::ServerError { status: 500 }.may_have_reached_server());
        assert!(Fault::Transport { cause: String::new() }.may_have_reached_server());
    }
}
