//! The reference language inside variable values: `$<<Service.VAR>>`, `$<<shared.VAR>>`,
//! `$<<VAR>>`, and Railway's own `${{…}}` spelling of the same thing.
//!
//! One scanner serves everyone: the config loader (strict: a malformed reference is an error),
//! the emulator and the live-state reader (lenient: Railway keeps anything it cannot parse as
//! text), the rename rewriter (changes only the service name, every other byte kept) and the
//! renderer that resolves references to values.

pub mod graph;

use std::fmt;
use std::ops::Range;

/// Which bracket pair a reference was written with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Syntax {
    /// `$<<…>>`: railform's spelling, safe inside handlebars templates.
    Railform,
    /// `${{…}}`: Railway's spelling, the only one sent on the wire.
    Railway,
}

impl Syntax {
    fn open(self) -> &'static str {
        match self {
            Syntax::Railform => "$<<",
            Syntax::Railway => "${{",
        }
    }
    fn close(self) -> &'static str {
        match self {
            Syntax::Railform => ">>",
            Syntax::Railway => "}}",
        }
    }
}

/// What a reference points at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Target {
    /// `Service.VAR`: a variable of another (or the same) service, by service name.
    Service { service: String, var: String },
    /// `shared.VAR`: a shared variable of the environment.
    Shared { var: String },
    /// `VAR`: a variable of the service holding the reference (Railway built-ins included).
    Local { var: String },
}

impl Target {
    /// The variable name the reference reads.
    pub fn var(&self) -> &str {
        match self {
            Target::Service { var, .. } | Target::Shared { var } | Target::Local { var } => var,
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Service { service, var } => write!(f, "{service}.{var}"),
            Target::Shared { var } => write!(f, "shared.{var}"),
            Target::Local { var } => f.write_str(var),
        }
    }
}

/// One reference found in a string, with where it stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reference {
    /// Byte range of the whole reference, brackets included.
    pub range: Range<usize>,
    pub syntax: Syntax,
    pub target: Target,
    /// Byte range of the service name, for `Service.VAR` references.
    pub service_range: Option<Range<usize>>,
}

/// A malformed reference, located by byte offsets inside the string it came from.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct RefError {
    pub range: Range<usize>,
    pub message: String,
    pub hint: &'static str,
}

/// A piece of a string: literal text or a reference. Concatenating the pieces' source text
/// gives back the input byte for byte.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    Text(&'a str),
    Ref { source: &'a str, reference: Reference },
}

impl Piece<'_> {
    /// The exact source text of this piece.
    pub fn source(&self) -> &str {
        match self {
            Piece::Text(text) => text,
            Piece::Ref { source, .. } => source,
        }
    }
}

/// Splits `text` into literal text and references, accepting both syntaxes. Strict: the first
/// malformed reference (unterminated, empty, nested, a bad variable name) is an error.
pub fn split(text: &str) -> Result<Vec<Piece<'_>>, RefError> {
    let mut pieces = Vec::new();
    let mut text_start = 0;
    for found in scan(text, &[Syntax::Railform, Syntax::Railway]) {
        let reference = found?;
        if reference.range.start > text_start {
            pieces.push(Piece::Text(&text[text_start..reference.range.start]));
        }
        text_start = reference.range.end;
        pieces.push(Piece::Ref { source: &text[reference.range.clone()], reference });
    }
    if text_start < text.len() {
        pieces.push(Piece::Text(&text[text_start..]));
    }
    Ok(pieces)
}

/// Every well-formed reference of `text` in either syntax; malformed ones are an error.
pub fn parse(text: &str) -> Result<Vec<Reference>, RefError> {
    scan(text, &[Syntax::Railform, Syntax::Railway]).collect()
}

/// Railway's reading of a value: only `${{…}}`, and anything malformed stays literal text.
pub fn parse_railway(text: &str) -> Vec<Reference> {
    scan(text, &[Syntax::Railway]).filter_map(Result::ok).collect()
}

/// Every well-formed reference in either syntax, skipping malformed ones (for rewriting live
/// values, which railform did not write and must not refuse).
pub fn parse_lenient(text: &str) -> Vec<Reference> {
    scan(text, &[Syntax::Railform, Syntax::Railway]).filter_map(Result::ok).collect()
}

/// Renames service `old` to `new` inside every reference of `text` that names exactly `old`
/// (case-sensitive), keeping every other byte. Returns `None` when nothing refers to `old`.
pub fn rewrite_service(text: &str, old: &str, new: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for reference in parse_lenient(text) {
        let (Target::Service { service, .. }, Some(range)) = (&reference.target, &reference.service_range) else {
            continue;
        };
        if service != old {
            continue;
        }
        out.push_str(&text[copied..range.start]);
        out.push_str(new);
        copied = range.end;
    }
    if copied == 0 {
        return None;
    }
    out.push_str(&text[copied..]);
    Some(out)
}

/// Applies several renames (`(old, new)` service names) in turn, as [`rewrite_service`] does
/// one. Returns `None` when no reference names any of the old names.
pub fn rewrite_services<'a>(text: &str, renames: impl IntoIterator<Item = (&'a str, &'a str)>) -> Option<String> {
    let mut current: Option<String> = None;
    for (old, new) in renames {
        if let Some(rewritten) = rewrite_service(current.as_deref().unwrap_or(text), old, new) {
            current = Some(rewritten);
        }
    }
    current
}

/// Rewrites every `$<<…>>` into Railway's `${{…}}`, keeping what is inside the brackets.
pub fn to_railway_syntax(text: &str) -> String {
    convert_syntax(text, Syntax::Railway)
}

/// Rewrites every `${{…}}` into railform's `$<<…>>` (for files written through handlebars),
/// the inverse of [`to_railway_syntax`].
pub fn to_railform_syntax(text: &str) -> String {
    convert_syntax(text, Syntax::Railform)
}

/// Writes every well-formed reference in `to`'s brackets, keeping what is inside them and every
/// other byte.
fn convert_syntax(text: &str, to: Syntax) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for reference in parse_lenient(text).into_iter().filter(|r| r.syntax != to) {
        let open = reference.syntax.open().len();
        let inner = &text[reference.range.start + open..reference.range.end - reference.syntax.close().len()];
        out.push_str(&text[copied..reference.range.start]);
        out.push_str(to.open());
        out.push_str(inner);
        out.push_str(to.close());
        copied = reference.range.end;
    }
    out.push_str(&text[copied..]);
    out
}

/// Substitutes every reference of `text` (either syntax) with what `resolve` returns for its
/// target. References that `resolve` cannot answer are left as written and returned.
pub fn render(text: &str, mut resolve: impl FnMut(&Target) -> Option<String>) -> (String, Vec<Target>) {
    let mut out = String::with_capacity(text.len());
    let mut unresolved = Vec::new();
    let mut copied = 0;
    for reference in parse_lenient(text) {
        out.push_str(&text[copied..reference.range.start]);
        match resolve(&reference.target) {
            Some(value) => out.push_str(&value),
            None => {
                out.push_str(&text[reference.range.clone()]);
                unresolved.push(reference.target.clone());
            }
        }
        copied = reference.range.end;
    }
    out.push_str(&text[copied..]);
    (out, unresolved)
}

/// True when `name` is a valid variable name (`[A-Za-z_][A-Za-z0-9_]*`).
pub fn is_variable_name(name: &str) -> bool {
    let mut chars = name.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Finds the references of `text` written in any of `syntaxes`, left to right.
fn scan<'t>(text: &'t str, syntaxes: &'t [Syntax]) -> impl Iterator<Item = Result<Reference, RefError>> + 't {
    let mut at = 0;
    let mut finders: Vec<(Syntax, Finder<'t>, Finder<'t>)> = syntaxes
        .iter()
        .map(|&syntax| (syntax, Finder::new(text, syntax.open()), Finder::new(text, syntax.close())))
        .collect();
    std::iter::from_fn(move || {
        let (index, start) = finders
            .iter_mut()
            .enumerate()
            .filter_map(|(index, (_, open, _))| open.find_from(at).map(|start| (index, start)))
            .min_by_key(|(_, start)| *start)?;
        let (syntax, _, close) = &mut finders[index];
        let syntax = *syntax;
        let body_start = start + syntax.open().len();
        let Some(body_end) = close.find_from(body_start) else {
            at = body_start;
            return Some(Err(RefError {
                range: start..text.len(),
                message: format!("`{}` is never closed with `{}`", syntax.open(), syntax.close()),
                hint: "close the reference, as in $<<Service.VARIABLE>>",
            }));
        };
        let end = body_end + syntax.close().len();
        at = end;
        Some(parse_body(text, start..end, body_start..body_end, syntax))
    })
}

/// Looks for one needle in one text again and again, left to right, in linear time overall:
/// an earlier answer is reused while it still lies ahead, and a needle missing from the rest of
/// the text is not looked for again. (Searching afresh each time made a value of many
/// unterminated `$<<` quadratic.)
struct Finder<'t> {
    text: &'t str,
    needle: &'static str,
    /// The last search: where it started, and what it found.
    last: Option<(usize, Option<usize>)>,
}

impl<'t> Finder<'t> {
    fn new(text: &'t str, needle: &'static str) -> Self {
        Finder { text, needle, last: None }
    }

    /// The first occurrence at or after `from` (a char boundary).
    fn find_from(&mut self, from: usize) -> Option<usize> {
        if let Some((searched_from, found)) = self.last {
            if searched_from <= from {
                match found {
                    None => return None,
                    Some(position) if position >= from => return Some(position),
                    Some(_) => {}
                }
            }
        }
        let found = self.text.get(from..).and_then(|rest| rest.find(self.needle)).map(|offset| from + offset);
        self.last = Some((from, found));
        found
    }
}

/// Reads the inside of one reference: `Service.VAR`, `shared.VAR` or `VAR`, spaces around allowed.
fn parse_body(text: &str, range: Range<usize>, body: Range<usize>, syntax: Syntax) -> Result<Reference, RefError> {
    let error = |message: String, hint: &'static str| RefError { range: range.clone(), message, hint };
    let raw = &text[body.clone()];
    if raw.contains("$<<") || raw.contains("${{") {
        return Err(error(
            "a reference cannot contain another reference".into(),
            "write each reference separately, as in $<<A.X>>-$<<B.Y>>",
        ));
    }
    let trimmed = raw.trim();
    let lead = raw.len() - raw.trim_start().len();
    let inner_start = body.start + lead;
    if trimmed.is_empty() {
        return Err(error(
            format!("empty reference `{}`", &text[range.clone()]),
            "name a variable, as in $<<Service.VARIABLE>> or $<<shared.VARIABLE>>",
        ));
    }
    let (service, var, service_range) = match trimmed.rfind('.') {
        Some(dot) => {
            let service = trimmed[..dot].trim_end();
            let var = trimmed[dot + 1..].trim_start();
            (Some(service), var, Some(inner_start..inner_start + service.len()))
        }
        None => (None, trimmed, None),
    };
    if !is_variable_name(var) {
        return Err(error(
            format!("`{var}` in `{}` is not a variable name", &text[range.clone()]),
            "variable names are letters, digits and `_`, not starting with a digit",
        ));
    }
    let var = var.to_string();
    let (target, service_range) = match service {
        None => (Target::Local { var }, None),
        Some("") => {
            return Err(error(
                format!("missing service name before `.{var}`"),
                "write $<<Service.VARIABLE>>, $<<shared.VARIABLE>> or $<<VARIABLE>>",
            ))
        }
        Some("shared") => (Target::Shared { var }, None),
        Some(service) => (Target::Service { service: service.to_string(), var }, service_range),
    };
    Ok(Reference { range, syntax, target, service_range })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn targets(text: &str) -> Vec<String> {
        parse(text).unwrap().into_iter().map(|r| r.target.to_string()).collect()
    }

    #[test]
    fn many_unterminated_openings_each_get_an_error_and_later_references_still_parse() {
        let text = format!("{}${{{{ db.URL }}}}", "$<<".repeat(1000));
        let found: Vec<_> = scan(&text, &[Syntax::Railform, Syntax::Railway]).collect();
        assert_eq!(found.len(), 1001);
        assert!(found[..1000].iter().all(Result::is_err));
        assert_eq!(found[1000].as_ref().unwrap().target.to_string(), "db.URL");
        assert_eq!(parse_lenient(&text).len(), 1);
    }

    #[test]
    fn reads_all_three_forms_in_both_syntaxes() {
        assert_eq!(
            targets("postgres://$<<PGUSER>>:${{ shared.PW }}@$<< platform-db .RAILWAY_PRIVATE_DOMAIN >>/x"),
            ["PGUSER", "shared.PW", "platform-db.RAILWAY_PRIVATE_DOMAIN"]
        );
        assert_eq!(targets("${{My Service.URL}}"), ["My Service.URL"]);
        assert_eq!(targets("plain $ { text }} >>"), Vec::<String>::new());
    }

    #[test]
    fn malformed_references_are_errors_in_strict_mode_and_text_in_railway_mode() {
        for bad in ["$<<Svc.VAR", "${{}}", "$<<.VAR>>", "${{Svc.1X}}", "$<<a.$<<b.C>>>>", "${{Svc.}}"] {
            assert!(parse(bad).is_err(), "{bad} should not parse");
        }
        assert!(parse_railway("${{Svc.VAR").is_empty());
        assert_eq!(parse_railway("$<<A.B>> ${{C.D}}").len(), 1);
    }

    #[test]
    fn rewrite_touches_only_the_exact_service_name() {
        let text =
            "a=${{ Postgres-OG9n.URL }} b=$<<Postgres-OG9n2.URL>> c=$<<postgres-og9n.URL>> d=${{Postgres-OG9n.X}}";
        assert_eq!(
            rewrite_service(text, "Postgres-OG9n", "platform-db").unwrap(),
            "a=${{ platform-db.URL }} b=$<<Postgres-OG9n2.URL>> c=$<<postgres-og9n.URL>> d=${{platform-db.X}}"
        );
        assert_eq!(rewrite_service("${{Other.URL}}", "Postgres-OG9n", "x"), None);
    }

    #[test]
    fn converts_to_railway_syntax_and_renders() {
        assert_eq!(to_railway_syntax("x$<< A.B >>y${{C}}"), "x${{ A.B }}y${{C}}");
        let (out, missing) = render("$<<A.B>>:${{shared.C}}:${{D}}", |t| match t {
            Target::Service { .. } => Some("b".into()),
            Target::Shared { .. } => Some("c".into()),
            Target::Local { .. } => None,
        });
        assert_eq!(out, "b:c:${{D}}");
        assert_eq!(missing, [Target::Local { var: "D".into() }]);
    }

    fn fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,6}",
            "[A-Za-z][A-Za-z0-9 _-]{0,8}".prop_map(|s| format!("$<<{s}.VAR>>")),
            "[A-Za-z][A-Za-z0-9_-]{0,8}".prop_map(|s| format!("${{{{ {s}.URL }}}}")),
            Just("$<<shared.X>>".to_string()),
            Just("${{".to_string()),
            Just(">>".to_string()),
        ]
    }

    proptest! {
        #[test]
        fn split_then_print_is_identity(parts in proptest::collection::vec(fragment(), 0..8)) {
            let text = parts.concat();
            if let Ok(pieces) = split(&text) {
                let printed: String = pieces.iter().map(Piece::source).collect();
                prop_assert_eq!(printed, text);
            }
        }

        #[test]
        fn rewriting_changes_only_references_to_that_exact_name(
            parts in proptest::collection::vec(fragment(), 0..8),
            old in "[A-Za-z][A-Za-z0-9_-]{0,8}",
        ) {
            let text = parts.concat();
            let new = "renamed-svc";
            let before = parse_lenient(&text);
            match rewrite_service(&text, &old, new) {
                None => {
                    let names_old = before.iter().any(|r| matches!(&r.target, Target::Service { service, .. } if *service == old));
                    prop_assert!(!names_old, "a reference to {} was not rewritten", old);
                }
                Some(after_text) => {
                    let after = parse_lenient(&after_text);
                    prop_assert_eq!(before.len(), after.len());
                    for (b, a) in before.iter().zip(&after) {
                        match (&b.target, &a.target) {
                            (Target::Service { service: bs, var: bv }, Target::Service { service: as_, var: av }) if *bs == old => {
                                prop_assert_eq!(as_.as_str(), new);
                                prop_assert_eq!(bv, av);
                            }
                            _ => prop_assert_eq!(&b.target, &a.target),
                        }
                    }
                    // Outside the rewritten names, the text is unchanged.
                    let rewritten_back = after_text.replace(new, &old);
                    prop_assert_eq!(rewritten_back, text.replace(new, &old));
                }
            }
        }
    }
}
