//! `-v`: one line per request attempt and retry, in words (operation names, statuses and
//! timings only; never a header or a body).

use super::Printer;
use crate::railway::{RequestEvent, RequestObserver};

/// Prints what the client sends, as it happens.
pub struct VerboseRequests(pub Printer);

impl RequestObserver for VerboseRequests {
    fn observe(&self, event: &RequestEvent) {
        let line = match event {
            RequestEvent::Attempted { operation, attempt, elapsed, status } => {
                let status = status.map_or("no response".to_string(), |s| format!("HTTP {s}"));
                format!("→ {operation} (attempt {attempt}): {status} in {} ms", elapsed.as_millis())
            }
            RequestEvent::FellBack { operation, instead, reason } => {
                format!("⇣ {operation} was refused ({reason}); reading with {instead} instead")
            }
            RequestEvent::Retrying { operation, attempt, delay, fault } => {
                format!("↻ {operation}: {fault}; retrying after attempt {attempt} in {} ms", delay.as_millis())
            }
        };
        self.0.verbose(&line);
    }
}
