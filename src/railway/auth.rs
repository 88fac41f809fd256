//! Railway credentials: which token railform sends and in which header. Tokens come only from
//! the environment, are never printed, and their `Debug` shows `***`.

use crate::secret::Secret;

/// Environment variable holding an account or workspace token (sent as `Authorization: Bearer`).
pub const API_TOKEN_VAR: &str = "RAILWAY_API_TOKEN";
/// Environment variable holding a project token (sent as `Project-Access-Token`).
pub const PROJECT_TOKEN_VAR: &str = "RAILWAY_TOKEN";

/// A Railway token and the header it travels in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Token {
    /// An account or workspace token: `Authorization: Bearer <token>`.
    Api(Secret),
    /// A project token, scoped to one project and environment: `Project-Access-Token: <token>`.
    Project(Secret),
}

impl Token {
    /// The token from `RAILWAY_API_TOKEN` or `RAILWAY_TOKEN`; `None` when neither is set (the
    /// emulator needs none). Both set is an error: railform never guesses which one is meant.
    pub fn from_env() -> Result<Option<Token>, TokenError> {
        Token::from_values(std::env::var(API_TOKEN_VAR).ok(), std::env::var(PROJECT_TOKEN_VAR).ok())
    }

    /// [`Token::from_env`] over given values, so callers and tests need not touch the process
    /// environment. Empty or blank values count as unset.
    pub fn from_values(api_token: Option<String>, project_token: Option<String>) -> Result<Option<Token>, TokenError> {
        let present = |value: Option<String>| value.filter(|v| !v.trim().is_empty()).map(|v| Secret::new(v.trim()));
        match (present(api_token), present(project_token)) {
            (Some(_), Some(_)) => Err(TokenError::BothSet),
            (Some(api), None) => Ok(Some(Token::Api(api))),
            (None, Some(project)) => Ok(Some(Token::Project(project))),
            (None, None) => Ok(None),
        }
    }

    /// The token itself, for keying digests; never for printing.
    pub fn expose(&self) -> &str {
        match self {
            Token::Api(secret) | Token::Project(secret) => secret.expose(),
        }
    }

    /// The HTTP header name (lower case, as HTTP/2 requires) and value that carry this token.
    pub(crate) fn header(&self) -> (&'static str, String) {
        match self {
            Token::Api(secret) => ("authorization", format!("Bearer {}", secret.expose())),
            Token::Project(secret) => ("project-access-token", secret.expose().to_owned()),
        }
    }
}

/// Why the token settings cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    #[error(
        "both {API_TOKEN_VAR} and {PROJECT_TOKEN_VAR} are set; set only one \
         ({API_TOKEN_VAR} for an account or workspace token, {PROJECT_TOKEN_VAR} for a project token)"
    )]
    BothSet,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_token() {
        let token = Token::Api(Secret::new("tok-123"));
        let shown = format!("{token:?} {:?}", Token::Project(Secret::new("tok-456")));
        assert!(!shown.contains("tok-"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn picks_the_header_from_the_variable_set() {
        let api = Token::from_values(Some("a".into()), None).unwrap().unwrap();
        assert_eq!(api.header(), ("authorization", "Bearer a".to_owned()));
        let project = Token::from_values(None, Some("p".into())).unwrap().unwrap();
        assert_eq!(project.header(), ("project-access-token", "p".to_owned()));
        assert_eq!(Token::from_values(Some(" ".into()), None), Ok(None));
    }

    #[test]
    fn both_tokens_set_is_an_error_naming_both_variables() {
        let error = Token::from_values(Some("api-secret".into()), Some("project-secret".into())).unwrap_err();
        let message = error.to_string();
        assert!(message.contains("RAILWAY_API_TOKEN") && message.contains("RAILWAY_TOKEN"), "{message}");
        assert!(!message.contains("-secret"), "{message}");
    }
}
