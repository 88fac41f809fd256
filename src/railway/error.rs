//! [`ApiError`]: every way a request to Railway can fail, naming the operation. Messages never
//! hold a token or a variable's value.

use super::auth::TokenError;
use super::retry::Fault;

/// Told to the user when Railway answers "Not Authorized".
pub const NOT_AUTHORIZED_HINT: &str = "check the token: RAILWAY_API_TOKEN (account or workspace token) or \
     RAILWAY_TOKEN (project token) must be set, valid, and allowed to access this project";

/// A failed request to Railway's API.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Railway answered with GraphQL `errors` (usually in an HTTP 200).
    #[error("{operation}: Railway answered: {}{}", messages.join("; "), hint_suffix(messages))]
    GraphQl { operation: &'static str, messages: Vec<String> },

    /// A create failed in a way that leaves unknown whether it took effect. It is not retried:
    /// re-read the live state before trying again, so nothing is created twice.
    #[error(
        "{operation} may or may not have taken effect ({reason}); \
         railform re-reads the live state before trying again so nothing is created twice"
    )]
    Ambiguous { operation: &'static str, reason: String },

    /// A transient fault persisted through every attempt the retry policy allows.
    #[error("{operation} failed after {attempts} attempts; last: {last}")]
    GaveUp { operation: &'static str, attempts: u32, last: Fault },

    /// An HTTP error that is not worth retrying (a 4xx other than 429, without GraphQL errors).
    #[error("{operation}: Railway answered HTTP {status}")]
    Http { operation: &'static str, status: u16 },

    /// The response was not the JSON the operation expects.
    #[error("{operation}: unexpected response from Railway: {detail}")]
    Decode { operation: &'static str, detail: String },

    /// The variables could not be encoded (a bug, not a user error).
    #[error("{operation}: could not encode the request: {detail}")]
    Encode { operation: &'static str, detail: String },

    #[error(transparent)]
    Token(#[from] TokenError),

    /// The HTTP client could not be built from the settings.
    #[error("invalid client settings: {0}")]
    Settings(String),
}

impl ApiError {
    /// The operation that failed, when the error belongs to one.
    pub fn operation(&self) -> Option<&'static str> {
        match self {
            ApiError::GraphQl { operation, .. }
            | ApiError::Ambiguous { operation, .. }
            | ApiError::GaveUp { operation, .. }
            | ApiError::Http { operation, .. }
            | ApiError::Decode { operation, .. }
            | ApiError::Encode { operation, .. } => Some(operation),
            ApiError::Token(_) | ApiError::Settings(_) => None,
        }
    }

    /// Whether Railway refused the credentials.
    pub fn is_not_authorized(&self) -> bool {
        matches!(self, ApiError::GraphQl { messages, .. } if messages.iter().any(|m| is_not_authorized(m)))
    }

    /// Whether Railway refused the document itself as too large, too complex or too deep (a
    /// cost limit), so that smaller requests may get the same answer.
    pub fn is_refused_as_too_large(&self) -> bool {
        const WORDS: [&str; 6] =
            ["complexity", "too complex", "too large", "too many aliases", "query depth", "too deep"];
        matches!(self, ApiError::GraphQl { messages, .. }
            if messages.iter().any(|m| { let m = m.to_ascii_lowercase(); WORDS.iter().any(|w| m.contains(w)) }))
            || matches!(self, ApiError::Http { status: 413, .. })
    }

    /// Whether Railway said the object asked for does not exist.
    pub fn is_not_found(&self) -> bool {
        matches!(self, ApiError::GraphQl { messages, .. }
            if messages.iter().any(|m| m.to_ascii_lowercase().contains("not found")))
    }
}

fn is_not_authorized(message: &str) -> bool {
    message.to_ascii_lowercase().contains("not authorized")
}

fn hint_suffix(messages: &[String]) -> String {
    if messages.iter().any(|m| is_not_authorized(m)) {
        format!(" (hint: {NOT_AUTHORIZED_HINT})")
    } else {
        String::new()
    }
}

/// A GraphQL error message fit to show: validation errors quote the offending variable value
/// ("got invalid value …"), which may be a secret, so that part is cut off.
pub(crate) fn redact_message(message: &str) -> String {
    const QUOTES_VALUE: &str = "got invalid value";
    match message.find(QUOTES_VALUE) {
        Some(at) => format!("{}{QUOTES_VALUE} (value hidden)", &message[..at]),
        None => message.to_owned(),
    }
}

/// A JSON decoding failure described by kind and place only: serde's own message quotes the
/// unexpected value, which may be a secret.
pub(crate) fn describe_json_error(error: &serde_json::Error) -> String {
    let kind = match error.classify() {
        serde_json::error::Category::Io => "I/O error",
        serde_json::error::Category::Syntax => "malformed JSON",
        serde_json::error::Category::Data => "JSON of the wrong shape",
        serde_json::error::Category::Eof => "truncated JSON",
    };
    format!("{kind} at line {} column {}", error.line(), error.column())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_authorized_names_the_operation_and_hints_at_tokens() {
        let error = ApiError::GraphQl { operation: "ProjectById", messages: vec!["Not Authorized".into()] };
        let text = error.to_string();
        assert!(text.starts_with("ProjectById: "), "{text}");
        assert!(text.contains("RAILWAY_API_TOKEN") && text.contains("RAILWAY_TOKEN"), "{text}");
        assert!(error.is_not_authorized());
    }

    #[test]
    fn validation_messages_lose_the_quoted_value() {
        let message = r#"Variable "$input" got invalid value "hunter2" at "input.variables"; Expected type"#;
        let shown = redact_message(message);
        assert!(!shown.contains("hunter2"), "{shown}");
        assert!(shown.starts_with("Variable \"$input\" got invalid value"));
    }

    #[test]
    fn json_errors_do_not_quote_values() {
        let error = serde_json::from_str::<u32>("\"hunter2\"").unwrap_err();
        let shown = describe_json_error(&error);
        assert!(!shown.contains("hunter2"), "{shown}");
    }
}
