//! What Railway accepts as names and values, checked offline so that `apply` never stops part-way
//! on something `validate` let through.
//!
//! Railway documents one limit: a service name has at most 32 characters
//! (docs.railway.com/services, "Constraints"). The rest are railform's conservative choices where
//! Railway documents nothing: names that cannot hold control or invisible formatting characters,
//! path separators or `..` (they end up in terminals, URLs and private DNS names), environment and
//! project names of at most 64 characters, variable names of at most 255, and a variable that fits
//! the 128 KiB Linux passes to a process as one environment variable (`MAX_ARG_STRLEN`, counting
//! `NAME=value` and its terminating NUL), without a NUL byte (which no environment variable can
//! hold). The emulator enforces the same rules.

use crate::diag::{is_unprintable, printable};
use crate::refs::is_variable_name;

/// Railway's documented maximum length of a service name, in characters.
pub const SERVICE_NAME_MAX: usize = 32;
/// Longest environment or project name railform accepts (Railway documents none).
pub const NAME_MAX: usize = 64;
/// Longest variable name railform accepts (Railway documents none).
pub const VARIABLE_NAME_MAX: usize = 255;
/// Most bytes of `NAME=value` plus its NUL: Linux's limit on one environment variable.
pub const VARIABLE_MAX_BYTES: usize = 128 * 1024;

/// What a name names, for the rules and the messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameKind {
    Service,
    Environment,
    Project,
}

impl NameKind {
    fn word(self) -> &'static str {
        match self {
            NameKind::Service => "service",
            NameKind::Environment => "environment",
            NameKind::Project => "project",
        }
    }

    fn max(self) -> usize {
        match self {
            NameKind::Service => SERVICE_NAME_MAX,
            NameKind::Environment | NameKind::Project => NAME_MAX,
        }
    }
}

/// Why a name or value cannot be sent to Railway: a message, a label for the caret, a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub message: String,
    pub label: &'static str,
    pub hint: String,
}

/// Checks a service, environment or project name.
pub fn check_name(kind: NameKind, name: &str) -> Result<(), Problem> {
    let word = kind.word();
    let shown = shorten(name);
    let problem = |message: String, label: &'static str, hint: String| Err(Problem { message, label, hint });
    let usual = "use letters, digits, `-`, `_` and spaces";
    if name.trim().is_empty() {
        return problem(format!("a {word} name cannot be empty"), "empty name", format!("name the {word}: {usual}"));
    }
    let length = name.chars().count();
    if length > kind.max() {
        let max = kind.max();
        let source = if kind == NameKind::Service { "Railway's limit" } else { "railform's limit" };
        return problem(
            format!("{word} name `{shown}` is {length} characters long; the most is {max} ({source})"),
            "too long",
            format!("give the {word} a name of at most {max} characters"),
        );
    }
    if let Some(c) = name.chars().find(|&c| is_unprintable(c)) {
        return problem(
            format!("{word} name `{shown}` contains the invisible or control character U+{:04X}", c as u32),
            "unprintable character",
            format!("names are shown in terminals and in Railway's dashboard: {usual}"),
        );
    }
    if name != name.trim() {
        return problem(
            format!("{word} name `{shown}` starts or ends with a space"),
            "leading or trailing space",
            "remove the spaces around the name".to_string(),
        );
    }
    if let Some(c) = name.chars().find(|c| matches!(c, '/' | '\\')) {
        return problem(
            format!("{word} name `{shown}` contains `{c}`"),
            "path separator",
            format!("names become parts of URLs and addresses: {usual}"),
        );
    }
    if name.contains("..") {
        return problem(
            format!("{word} name `{shown}` contains `..`"),
            "`..` in a name",
            format!("names become parts of URLs and addresses: {usual}"),
        );
    }
    if kind == NameKind::Service {
        if let Some(c) = name.chars().find(|c| matches!(c, '$' | '<' | '>' | '{' | '}')) {
            return problem(
                format!("service name `{shown}` contains `{c}`, which no reference could name"),
                "cannot be referred to",
                format!("references are written $<<SERVICE.VARIABLE>>: {usual}"),
            );
        }
    }
    Ok(())
}

/// Checks a variable name (`[A-Za-z_][A-Za-z0-9_]*`, at most [`VARIABLE_NAME_MAX`] characters).
pub fn check_variable_name(name: &str) -> Result<(), Problem> {
    let shown = shorten(name);
    if !is_variable_name(name) {
        return Err(Problem {
            message: format!("`{shown}` is not a valid variable name"),
            label: "invalid name",
            hint: "variable names are letters, digits and `_`, not starting with a digit".to_string(),
        });
    }
    if name.len() > VARIABLE_NAME_MAX {
        return Err(Problem {
            message: format!(
                "variable name `{shown}` is {} characters long; the most is {VARIABLE_NAME_MAX}",
                name.len()
            ),
            label: "too long",
            hint: format!("give the variable a name of at most {VARIABLE_NAME_MAX} characters"),
        });
    }
    Ok(())
}

/// Checks a value Railway will store for variable `name` (a literal as sent, or a secret).
/// The message never shows the value.
pub fn check_value(name: &str, value: &str) -> Result<(), Problem> {
    if value.contains('\0') {
        return Err(Problem {
            message: format!("the value of `{}` contains a NUL character", shorten(name)),
            label: "NUL in a value",
            hint: "an environment variable cannot hold a NUL (\\u0000): remove it".to_string(),
        });
    }
    let size = name.len() + 1 + value.len() + 1;
    if size > VARIABLE_MAX_BYTES {
        return Err(Problem {
            message: format!(
                "the value of `{}` is {}; a variable (NAME=value) must fit in {}",
                shorten(name),
                bytes(value.len()),
                bytes(VARIABLE_MAX_BYTES)
            ),
            label: "too large",
            hint: "Railway hands variables to your service as environment variables, and Linux refuses one \
                   over 128 KiB: keep large data in a volume or a bucket and put its path or URL here"
                .to_string(),
        });
    }
    Ok(())
}

/// Checks an image reference (`ghcr.io/acme/api:1.4.2`): not empty, no spaces or control characters.
pub fn check_image(image: &str) -> Result<(), Problem> {
    if image.trim().is_empty() {
        return Err(Problem {
            message: "`image` is empty".to_string(),
            label: "empty image",
            hint: "name a container image, as in image = \"ghcr.io/acme/api:1.4.2\", or remove `image`".to_string(),
        });
    }
    if image.chars().any(|c| c.is_whitespace() || is_unprintable(c)) || image.len() > 1024 {
        return Err(Problem {
            message: format!("`{}` is not an image reference", shorten(image)),
            label: "invalid image",
            hint: "an image reference has no spaces or control characters, as in ghcr.io/acme/api:1.4.2".to_string(),
        });
    }
    Ok(())
}

/// Checks a `repo` (`owner/name`) or a `branch`.
pub fn check_repo_field(what: &str, text: &str) -> Result<(), Problem> {
    let example = if what == "repo" { "repo = \"acme/platform\"" } else { "branch = \"main\"" };
    if text.trim().is_empty() || text.chars().any(|c| c.is_whitespace() || is_unprintable(c)) || text.len() > 255 {
        return Err(Problem {
            message: format!("`{what}` is not valid: `{}`", shorten(text)),
            label: "invalid",
            hint: format!("write it without spaces or control characters, as in {example}"),
        });
    }
    if what == "repo" && text.split('/').filter(|part| !part.is_empty()).count() != 2 {
        return Err(Problem {
            message: format!("`repo` is `{}`, not `owner/name`", shorten(text)),
            label: "expected owner/name",
            hint: format!("name the GitHub repository, as in {example}"),
        });
    }
    Ok(())
}

/// Railway's deploy regions as `deploy.regions` (Railway's `multiRegionConfig`) names them, with
/// the cloud region behind each (docs.railway.com/deployments/regions, "Region options"; the
/// official CLI 5.71.0 uses the same identifiers).
pub const REGIONS: &[(&str, &str)] = &[
    ("us-west2", "us-west2"),
    ("us-east4-eqdc4a", "us-east4"),
    ("europe-west4-drams3a", "europe-west4"),
    ("asia-southeast1-eqsg3a", "asia-southeast1"),
];

/// Checks a custom domain name: lowercase DNS labels (`a-z`, `0-9`, `-`, 1–63 characters, not
/// starting or ending with `-`), at least two of them, 253 characters at most; a leading `*.`
/// asks for a wildcard domain (Railway's own rule: not nested). Railway's own `railway.app`
/// domains are not custom domains.
pub fn check_domain(domain: &str) -> Result<(), Problem> {
    let shown = shorten(domain);
    let problem =
        |message: String, label: &'static str, hint: &str| Err(Problem { message, label, hint: hint.to_string() });
    let example = "write a host name such as \"api.acme.com\" (or \"*.acme.com\" for a wildcard)";
    if domain.chars().any(|c| c.is_ascii_uppercase()) && check_domain(&domain.to_ascii_lowercase()).is_ok() {
        return problem(
            format!("domain `{shown}` has capital letters"),
            "not lowercase",
            "domain names are written in lowercase: Railway stores and compares them that way",
        );
    }
    if domain.contains("://") || domain.contains('/') || domain.contains(':') {
        return problem(
            format!("`{shown}` is not a domain name"),
            "a URL, not a domain",
            "write the host name only, without a scheme, port or path, as in \"api.acme.com\"; the port goes in `port`",
        );
    }
    let bare = domain.strip_prefix("*.").unwrap_or(domain);
    if bare.contains('*') {
        return problem(
            format!("`{shown}` has a wildcard that is not its first label"),
            "misplaced wildcard",
            "a wildcard domain starts with `*.` and has only one, as in \"*.acme.com\"",
        );
    }
    let labels: Vec<&str> = bare.split('.').collect();
    let label_ok = |label: &&str| {
        (1..=63).contains(&label.len())
            && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !label.starts_with('-')
            && !label.ends_with('-')
    };
    if domain.len() > 253 || labels.len() < 2 || !labels.iter().all(label_ok) {
        return problem(format!("`{shown}` is not a valid domain name"), "invalid domain", example);
    }
    if labels.last().is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit())) {
        return problem(format!("`{shown}` is an IP address, not a domain name"), "not a domain", example);
    }
    if bare == "railway.app" || bare.ends_with(".railway.app") || bare.ends_with(".railway.internal") {
        return problem(
            format!("`{shown}` is one of Railway's own domains"),
            "Railway's domain",
            "a generated *.up.railway.app domain is `railway_domain = true` (or { port = N }); custom_domains are \
             domains you own",
        );
    }
    Ok(())
}

/// A name as messages show it: escaped, and cut after 40 characters.
fn shorten(text: &str) -> String {
    let cut: String = text.chars().take(40).collect();
    let more = if cut.len() < text.len() { "…" } else { "" };
    format!("{}{more}", printable(&cut))
}

fn bytes(count: usize) -> String {
    match count {
        count if count >= 1024 * 1024 => format!("{:.1} MiB", count as f64 / (1024.0 * 1024.0)),
        count if count >= 1024 => format!("{} KiB", count / 1024),
        count => format!("{count} bytes"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_railway_would_refuse_or_that_would_harm_a_terminal_are_problems() {
        for good in ["platform-api", "My Service", "api.v2", "Postgres-OG9n", &"a".repeat(32)] {
            assert_eq!(check_name(NameKind::Service, good), Ok(()), "{good}");
        }
        for bad in
            ["", " ", "a\u{0}b", "app\u{1b}[2K", "evil\u{202e}", "a/b", "..", "a..b", " api", &"a".repeat(33), "a>>b"]
        {
            assert!(check_name(NameKind::Service, bad).is_err(), "{bad:?}");
        }
        let long = check_name(NameKind::Service, &"x".repeat(1000)).unwrap_err();
        assert!(long.message.contains("1000 characters long; the most is 32"), "{}", long.message);
        assert!(long.message.len() < 200, "a long name is cut in messages");
        let escape = check_name(NameKind::Environment, "dev\u{1b}]0;pwned\u{7}").unwrap_err();
        assert!(
            escape.message.contains("dev\\u{1b}]0;pwned\\u{7}") && escape.message.contains("U+001B"),
            "{}",
            escape.message
        );
        assert_eq!(check_name(NameKind::Project, "my project.v2"), Ok(()));
    }

    #[test]
    fn values_must_fit_an_environment_variable_and_never_show() {
        assert_eq!(check_value("A", &"x".repeat(100 * 1024)), Ok(()));
        let huge = check_value("A", &"s3cret".repeat(2 * 1024 * 1024)).unwrap_err();
        assert!(huge.message.contains("is 12.0 MiB; a variable (NAME=value) must fit in 128 KiB"), "{}", huge.message);
        assert!(!huge.message.contains("s3cret"));
        assert!(check_value("A", "nul\u{0}").is_err());
        assert!(check_variable_name(&"K".repeat(256)).is_err());
        assert_eq!(check_variable_name("DATABASE_URL"), Ok(()));
        assert!(check_image("").is_err() && check_image("nginx latest").is_err());
        assert_eq!(check_image("ghcr.io/acme/api:1.4.2"), Ok(()));
        assert!(check_repo_field("repo", "acme").is_err());
        for good in ["api.acme.com", "*.acme.com", "a-b.c0.io", "xn--bcher-kva.example"] {
            assert_eq!(check_domain(good), Ok(()), "{good}");
        }
        for bad in [
            "acme",
            "API.acme.com",
            "https://api.acme.com",
            "api.acme.com:443",
            "*.*.acme.com",
            "-a.com",
            "a..com",
            "1.2.3.4",
            "x.up.railway.app",
            "a_b.com",
        ] {
            assert!(check_domain(bad).is_err(), "{bad}");
        }
        assert_eq!(check_repo_field("repo", "acme/platform"), Ok(()));
    }
}
