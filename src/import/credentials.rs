//! Which live values import must not write: values that look like credentials. The rules,
//! applied to a raw live value (references in Railway's `${{…}}` form):
//!
//! 1. a URL whose userinfo password holds literal text (`postgres://app:hunter2@…`) is a
//!    credential; a password made only of references (`:${{POSTGRES_PASSWORD}}@`) is not;
//! 2. a literal token (text outside references, split at whitespace) that looks random: 20+
//!    characters mixing lower case, upper case and digits with high entropy, 32+ hex digits, or
//!    24+ characters of very high entropy;
//! 3. a value without any reference whose *name* says credential: a `_`-separated part such as
//!    `KEY`, `TOKEN`, `DSN`, `PRIVATE`, or a name containing `PASSWORD`, `SECRET`, `TOKEN`,
//!    `CREDENTIAL`, `APIKEY`.
//!
//! A value made of references and plain text is never a credential by its name alone: it only
//! points at where the secret lives. Empty values and booleans are never credentials.

use crate::refs;

/// Why a value is treated as a credential; shown in the comment import writes beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CredentialReason {
    /// The variable's name says it holds a credential.
    Name,
    /// A URL in the value carries a literal password.
    UrlPassword,
    /// Part of the value looks like a random token or key.
    RandomLooking,
}

impl CredentialReason {
    pub fn describe(self) -> &'static str {
        match self {
            CredentialReason::Name => "its name looks like a credential",
            CredentialReason::UrlPassword => "it holds a URL with a password",
            CredentialReason::RandomLooking => "it looks like a random token or key",
        }
    }
}

/// Name parts that mark a credential when they stand alone between `_`s.
const CREDENTIAL_NAME_PARTS: &[&str] = &[
    "PASSWORD",
    "PASSWD",
    "PASS",
    "PWD",
    "SECRET",
    "SECRETS",
    "TOKEN",
    "TOKENS",
    "KEY",
    "KEYS",
    "APIKEY",
    "PRIVATE",
    "CREDENTIAL",
    "CREDENTIALS",
    "CREDS",
    "DSN",
    "SALT",
];

/// Words that mark a credential anywhere in a name (`PGPASSWORD`, `CLIENTSECRET`).
const CREDENTIAL_NAME_WORDS: &[&str] = &["PASSWORD", "SECRET", "TOKEN", "CREDENTIAL", "APIKEY"];

/// `Some(reason)` when the live value `value` of variable `name` must not be written to a file.
pub fn credential_reason(name: &str, value: &str) -> Option<CredentialReason> {
    let trimmed = value.trim();
    if trimmed.is_empty() || trimmed.eq_ignore_ascii_case("true") || trimmed.eq_ignore_ascii_case("false") {
        return None;
    }
    if url_password_is_literal(value) {
        return Some(CredentialReason::UrlPassword);
    }
    let literal = literal_text(value);
    if literal.split_whitespace().any(looks_random) {
        return Some(CredentialReason::RandomLooking);
    }
    let has_references = !refs::parse_railway(value).is_empty();
    if !has_references && name_looks_like_credential(name) {
        return Some(CredentialReason::Name);
    }
    None
}

/// True when a variable of this name usually holds a credential.
pub fn name_looks_like_credential(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    upper.split(|c: char| !c.is_ascii_alphanumeric()).any(|part| CREDENTIAL_NAME_PARTS.contains(&part))
        || CREDENTIAL_NAME_WORDS.iter().any(|word| upper.contains(word))
}

/// The value with every reference removed: what the user typed around them.
fn literal_text(value: &str) -> String {
    let mut text = String::with_capacity(value.len());
    let mut copied = 0;
    for reference in refs::parse_railway(value) {
        text.push_str(&value[copied..reference.range.start]);
        // A reference separates the text around it, as whitespace would.
        text.push(' ');
        copied = reference.range.end;
    }
    text.push_str(&value[copied..]);
    text
}

/// True when a `scheme://user:password@host` URL in `value` has literal text in its password.
fn url_password_is_literal(value: &str) -> bool {
    let mut rest = value;
    while let Some(start) = rest.find("://") {
        let after_scheme = &rest[start + 3..];
        let authority_end = after_scheme.find(['/', '?', '#', ' ']).unwrap_or(after_scheme.len());
        let authority = &after_scheme[..authority_end];
        if let Some(at) = authority.rfind('@') {
            let userinfo = &authority[..at];
            if let Some((_, password)) = userinfo.split_once(':') {
                if !literal_text(password).trim().is_empty() {
                    return true;
                }
            }
        }
        rest = after_scheme;
    }
    false
}

/// True when `token` looks generated rather than typed: long and random.
fn looks_random(token: &str) -> bool {
    let length = token.chars().count();
    if length < 20 {
        return false;
    }
    let entropy = shannon_entropy(token);
    let has_lower = token.chars().any(|c| c.is_ascii_lowercase());
    let has_upper = token.chars().any(|c| c.is_ascii_uppercase());
    let has_digit = token.chars().any(|c| c.is_ascii_digit());
    let all_hex = token.chars().all(|c| c.is_ascii_hexdigit());
    (has_lower && has_upper && has_digit && entropy >= 4.0)
        || (length >= 32 && all_hex && has_digit && token.chars().any(|c| c.is_ascii_alphabetic()))
        || (length >= 24 && entropy >= 4.3)
}

/// Bits per character of `text`'s character distribution.
fn shannon_entropy(text: &str) -> f64 {
    let mut counts = std::collections::BTreeMap::new();
    let mut total = 0usize;
    for c in text.chars() {
        *counts.entry(c).or_insert(0usize) += 1;
        total += 1;
    }
    counts
        .values()
        .map(|&count| {
            let share = count as f64 / total as f64;
            -share * share.log2()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_that_say_credential_mark_literal_values_only() {
        for name in ["JWT_SECRET", "API_KEY", "STRIPE_KEY", "PGPASSWORD", "SENTRY_DSN", "GITHUB_TOKEN", "DB_PASS"] {
            assert_eq!(credential_reason(name, "abc"), Some(CredentialReason::Name), "{name}");
        }
        for name in ["PORT", "LOG_LEVEL", "KEYSPACE", "MONKEY_MODE", "DATABASE_URL"] {
            assert_eq!(credential_reason(name, "abc"), None, "{name}");
        }
        // References say where the secret lives; they are not the secret.
        assert_eq!(credential_reason("PGPASSWORD", "${{POSTGRES_PASSWORD}}"), None);
        assert_eq!(credential_reason("API_KEY", "Bearer ${{shared.API_KEY}}"), None);
        assert_eq!(credential_reason("FEATURE_TOKEN_ENABLED", "true"), None);
        assert_eq!(credential_reason("JWT_SECRET", ""), None);
    }

    #[test]
    fn urls_with_a_literal_password_are_credentials() {
        assert_eq!(
            credential_reason("DATABASE_URL", "postgresql://app:hunter2@db.internal:5432/app"),
            Some(CredentialReason::UrlPassword)
        );
        assert_eq!(
            credential_reason("CACHE", "redis://default:${{shared.PW}}x@${{Redis.REDISHOST}}:6379"),
            Some(CredentialReason::UrlPassword)
        );
        for value in [
            "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/${{PGDATABASE}}",
            "postgresql://postgres:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/railway",
            "https://user@example.com/path",
            "https://example.com/a:b@c",
        ] {
            assert_eq!(credential_reason("DATABASE_URL", value), None, "{value}");
        }
    }

    #[test]
    fn random_looking_tokens_are_credentials_and_ordinary_text_is_not() {
        for value in [
            "sk_live_51HxQ2eKx9vTq3LmN8pR4sW7y",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "xKqPzWmRtYvBnHcJdLfGsAeUiOoQwErTy",
            "prefix ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3z",
        ] {
            assert_eq!(credential_reason("SOMETHING", value), Some(CredentialReason::RandomLooking), "{value}");
        }
        for value in [
            "/var/lib/postgresql/data/pgdata",
            "ghcr.io/acme/platform-api:1.4.2",
            "https://api.example.com/v1/webhooks",
            "internationalization-and-localization",
            "the quick brown fox jumps over the lazy dog",
            "8000",
        ] {
            assert_eq!(credential_reason("SOMETHING", value), None, "{value}");
        }
    }
}
