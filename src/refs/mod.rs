//! The reference language inside variable values: `$<<Service.VAR>>`, `$<<shared.VAR>>`,
//! `$<<VAR>>`, and Railway's own `${{…}}` spelling of the same thing.
//!
//! Two readings of a value. A *file value* (what environment files hold) has both spellings and
//! one escape: before `<<` or `{{`, `$$` is one literal `$`, so `$$<<not.a.ref>>` is the text
//! `$<<not.a.ref>>` and `$${{x}}` is a `${{x}}` railform does not read as a reference. A *wire
//! value* (what Railway stores) is read as Railway reads it: only `${{…}}`, no escape (Railway
//! has none), anything malformed is text. [`to_railway_syntax`] turns a file value into its wire
//! value, [`to_file_syntax`] a wire value into a file value that means the same (the round trip
//! is exact), and [`canonical`] spells a wire value's references one way, so that values compare
//! by meaning.
//!
//! One scanner serves everyone: the config loader (strict: a malformed reference is an error),
//! the emulator and the live-state reader (lenient: Railway keeps anything it cannot parse as
//! text), the rename rewriter (changes only the service name, every other byte kept) and the
//! renderer that resolves references to values.

pub mod graph;

use std::borrow::Cow;
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

/// The two ways of reading a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Reading {
    /// An environment file's value: both syntaxes, and `$$` before `<<`/`{{` is a literal `$`.
    File,
    /// Railway's reading of a stored value: `${{…}}` only, no escape.
    Railway,
}

impl Reading {
    fn syntaxes(self) -> &'static [Syntax] {
        match self {
            Reading::File => &[Syntax::Railform, Syntax::Railway],
            Reading::Railway => &[Syntax::Railway],
        }
    }
}

/// What the scanner finds, left to right.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Found {
    /// A reference, or a malformed one.
    Reference(Result<Reference, RefError>),
    /// A run of `$` before `<<`/`{{` (file values only) that stands for half as many literal `$`.
    Escape(Range<usize>),
}

/// Splits `text` (a file value) into literal text and references, accepting both syntaxes.
/// Strict: the first malformed reference (unterminated, empty, nested, a bad variable name) is
/// an error. Text pieces are the source as written, escapes included.
pub fn split(text: &str) -> Result<Vec<Piece<'_>>, RefError> {
    let mut pieces = Vec::new();
    let mut text_start = 0;
    for found in references(text, Reading::File) {
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

/// Every well-formed reference of file value `text` in either syntax; malformed ones are an
/// error.
pub fn parse(text: &str) -> Result<Vec<Reference>, RefError> {
    references(text, Reading::File).collect()
}

/// Railway's reading of a wire value: only `${{…}}`, and anything malformed stays literal text.
pub fn parse_railway(text: &str) -> Vec<Reference> {
    references(text, Reading::Railway).filter_map(Result::ok).collect()
}

/// Every well-formed reference of file value `text` in either syntax, skipping malformed ones.
pub fn parse_lenient(text: &str) -> Vec<Reference> {
    references(text, Reading::File).filter_map(Result::ok).collect()
}

/// The references of `text` under `reading`, escapes left out.
fn references(text: &str, reading: Reading) -> impl Iterator<Item = Result<Reference, RefError>> + '_ {
    scan(text, reading).filter_map(|found| match found {
        Found::Reference(reference) => Some(reference),
        Found::Escape(_) => None,
    })
}

/// Renames service `old` to `new` inside every reference of wire value `text` (Railway's
/// reading) that names exactly `old` (case-sensitive), keeping every other byte. Returns `None`
/// when nothing refers to `old`.
pub fn rewrite_service(text: &str, old: &str, new: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for reference in parse_railway(text) {
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

/// The wire value of file value `text`: every reference in Railway's `${{…}}` (what is inside
/// the brackets kept), every escape `$$` before `<<`/`{{` one `$`, every other byte as written.
pub fn to_railway_syntax(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for found in scan(text, Reading::File) {
        match found {
            Found::Escape(run) => {
                out.push_str(&text[copied..run.start]);
                out.push_str(&"$".repeat(run.len() / 2));
                copied = run.end;
            }
            Found::Reference(Ok(reference)) if reference.syntax == Syntax::Railform => {
                out.push_str(&text[copied..reference.range.start]);
                out.push_str(Syntax::Railway.open());
                out.push_str(inner(text, &reference));
                out.push_str(Syntax::Railway.close());
                copied = reference.range.end;
            }
            Found::Reference(_) => {}
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A file value that means wire value `text`: `to_railway_syntax(&to_file_syntax(text, f))` is
/// `text` again, byte for byte. Each reference for which `checkable` says yes is written
/// `$<<…>>`; every other `$` run before `<<` or `{{` is doubled, so that railform reads it as
/// text (a literal `$<<`, a dangling or malformed `${{` it must not check) and sends it back
/// as it was. The result always parses ([`parse`] is `Ok`), with only checkable references.
pub fn to_file_syntax(text: &str, mut checkable: impl FnMut(&Target) -> bool) -> String {
    let railway: std::collections::BTreeMap<usize, Reference> =
        parse_railway(text).into_iter().map(|reference| (reference.range.start, reference)).collect();
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 8);
    let mut copied = 0;
    let mut at = 0;
    while let Some(offset) = text[at..].find('$') {
        let run_start = at + offset;
        let run_end = run_start + bytes[run_start..].iter().take_while(|&&b| b == b'$').count();
        at = run_end;
        let bracket = &text[run_end..];
        if !bracket.starts_with("<<") && !bracket.starts_with("{{") {
            continue;
        }
        out.push_str(&text[copied..run_start]);
        let dollars = run_end - run_start;
        match railway.get(&(run_end - 1)).filter(|reference| checkable(&reference.target)) {
            Some(reference) => {
                out.push_str(&"$".repeat(2 * (dollars - 1)));
                let inside = inner(text, reference);
                // `$<<…>>` unless what is inside would end it early: `${{…}}` is read alike.
                let syntax = if inside.contains(">>") { Syntax::Railway } else { Syntax::Railform };
                out.push_str(syntax.open());
                out.push_str(inside);
                out.push_str(syntax.close());
                copied = reference.range.end;
            }
            None => {
                out.push_str(&"$".repeat(2 * dollars));
                out.push_str(&bracket[..2]);
                copied = run_end + 2;
            }
        }
        at = copied;
    }
    out.push_str(&text[copied..]);
    out
}

/// Wire value `text` with every reference spelled one way, `${{SERVICE.VAR}}` without spaces:
/// two values Railway resolves alike are equal once canonical (`${{ db.URL }}` and `${{db.URL}}`).
/// Borrowed when nothing needs respelling. The diff compares live and desired values this way.
pub fn canonical(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    for reference in parse_railway(text) {
        let spelled = format!("${{{{{}}}}}", reference.target);
        if text[reference.range.clone()] == spelled {
            continue;
        }
        out.push_str(&text[copied..reference.range.start]);
        out.push_str(&spelled);
        copied = reference.range.end;
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// The references Railway will read in the wire value of file value `text` that railform does
/// not check, because the file escapes them (`$${{nosuch.X}}`): what verification after an
/// apply should not report as dangling, since the file says so.
pub fn unchecked(text: &str) -> Vec<Target> {
    let mut checked: Vec<Target> = parse_lenient(text).into_iter().map(|reference| reference.target).collect();
    let mut unchecked = Vec::new();
    for reference in parse_railway(&to_railway_syntax(text)) {
        match checked.iter().position(|target| *target == reference.target) {
            Some(found) => {
                checked.swap_remove(found);
            }
            None => unchecked.push(reference.target),
        }
    }
    unchecked
}

/// True when wire values `a` and `b` mean the same to Railway (see [`canonical`]).
pub fn same_meaning(a: &str, b: &str) -> bool {
    a == b || canonical(a) == canonical(b)
}

/// What is inside a reference's brackets, as written.
fn inner<'t>(text: &'t str, reference: &Reference) -> &'t str {
    let open = reference.syntax.open().len();
    &text[reference.range.start + open..reference.range.end - reference.syntax.close().len()]
}

/// Substitutes every reference of file value `text` (either syntax) with what `resolve` returns
/// for its target, and every escape with its literal `$`s. References that `resolve` cannot
/// answer are left as written and returned.
pub fn render(text: &str, mut resolve: impl FnMut(&Target) -> Option<String>) -> (String, Vec<Target>) {
    let mut out = String::with_capacity(text.len());
    let mut unresolved = Vec::new();
    let mut copied = 0;
    for found in scan(text, Reading::File) {
        let reference = match found {
            Found::Escape(run) => {
                out.push_str(&text[copied..run.start]);
                out.push_str(&"$".repeat(run.len() / 2));
                copied = run.end;
                continue;
            }
            Found::Reference(Ok(reference)) => reference,
            Found::Reference(Err(_)) => continue,
        };
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

/// Finds the references (and, in a file value, the escapes) of `text`, left to right.
fn scan(text: &str, reading: Reading) -> impl Iterator<Item = Found> + '_ {
    let mut at = 0;
    let mut finders: Vec<(Syntax, Finder<'_>, Finder<'_>)> = reading
        .syntaxes()
        .iter()
        .map(|&syntax| (syntax, Finder::new(text, syntax.open()), Finder::new(text, syntax.close())))
        .collect();
    // A reference found after an escape, given out on the next call.
    let mut pending: Option<Found> = None;
    std::iter::from_fn(move || {
        if let Some(found) = pending.take() {
            return Some(found);
        }
        let (index, start) = finders
            .iter_mut()
            .enumerate()
            .filter_map(|(index, (_, open, _))| open.find_from(at).map(|start| (index, start)))
            .min_by_key(|(_, start)| *start)?;
        let (syntax, _, close) = &mut finders[index];
        let syntax = *syntax;
        let body_start = start + syntax.open().len();
        // The `$`s right before this one (since the last thing found): in a file value, an even
        // run in all is an escape; an odd one is a reference after half as many literal `$`s.
        let before = text.as_bytes()[at..start].iter().rev().take_while(|&&b| b == b'$').count();
        let escape = (reading == Reading::File && before > 0).then(|| start - before..start + before % 2);
        if reading == Reading::File && before % 2 == 1 {
            at = body_start;
            return escape.map(Found::Escape);
        }
        let reference = match close.find_from(body_start) {
            None => {
                at = body_start;
                Err(RefError {
                    range: start..text.len(),
                    message: format!("`{}` is never closed with `{}`", syntax.open(), syntax.close()),
                    hint: "close the reference, as in $<<Service.VARIABLE>> (or write $$<< for a literal $<<)",
                })
            }
            Some(body_end) => {
                let end = body_end + syntax.close().len();
                at = end;
                parse_body(text, start..end, body_start..body_end, syntax)
            }
        };
        match escape {
            Some(escape) => {
                pending = Some(Found::Reference(reference));
                Some(Found::Escape(escape))
            }
            None => Some(Found::Reference(reference)),
        }
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
        let found: Vec<_> = references(&text, Reading::File).collect();
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
    fn doubled_dollars_before_brackets_are_literal_dollars() {
        assert_eq!(targets("$$<<not.a.ref>> $${{nor.THIS}} $$$<<db.URL>>"), ["db.URL"]);
        assert!(parse("$$<<unclosed").is_ok(), "an escaped opening needs no closing");
        assert_eq!(
            to_railway_syntax("$$<<a.B>> $${{c.D}} $$$<<e.F>> $$$$<<g>> a$$b $<<h.I>>"),
            "$<<a.B>> ${{c.D}} $${{e.F}} $$<<g>> a$$b ${{h.I}}"
        );
        let (out, _) = render("$$<<x>> $$$<<A.B>>", |_| Some("v".into()));
        assert_eq!(out, "$<<x>> $v");
        // Railway has no escape: its reading of the same text sees every `${{`.
        assert_eq!(parse_railway("$${{c.D}}").len(), 1);
        let unchecked: Vec<String> =
            unchecked("$${{nosuch.X}} $<<db.URL>> $${{db.URL}}").iter().map(Target::to_string).collect();
        assert_eq!(unchecked, ["nosuch.X", "db.URL"]);
        assert!(self::unchecked("$<<db.URL>> $$<<x.Y>>").is_empty());
    }

    #[test]
    fn wire_values_become_file_values_that_mean_the_same() {
        let all = |_: &Target| true;
        assert_eq!(
            to_file_syntax("postgresql://${{PGUSER}}:${{ shared.PW }}@x", all),
            "postgresql://$<<PGUSER>>:$<< shared.PW >>@x"
        );
        assert_eq!(to_file_syntax("$<<not.a.ref>>", all), "$$<<not.a.ref>>");
        assert_eq!(
            to_file_syntax("${{nosuch.X}} ${{db.URL}}", |t| t.to_string() == "db.URL"),
            "$${{nosuch.X}} $<<db.URL>>"
        );
        assert_eq!(to_file_syntax("${{ unclosed", all), "$${{ unclosed");
        assert_eq!(to_file_syntax("$${{db.URL}}", all), "$$$<<db.URL>>");
        assert_eq!(to_file_syntax("${{a>>b.C}}", all), "${{a>>b.C}}", "`>>` inside keeps Railway's brackets");
        assert_eq!(to_file_syntax("price $5 {{x}} <<y>>", all), "price $5 {{x}} <<y>>");
    }

    #[test]
    fn canonical_spelling_ignores_spaces_inside_references() {
        assert!(same_meaning("${{ Postgres-OG9n.DATABASE_URL }}", "${{Postgres-OG9n.DATABASE_URL}}"));
        assert!(same_meaning("a ${{ shared.X }} b ${{  Y}}", "a ${{shared.X}} b ${{Y}}"));
        assert!(!same_meaning("${{ db.URL }}", "${{ db.URL2 }}"));
        assert!(!same_meaning("a ${{db.URL}}", "a  ${{db.URL}}"), "text outside references counts");
        assert!(matches!(canonical("plain ${{db.URL}}"), Cow::Borrowed(_)));
        assert_eq!(canonical("${{ My Service .URL }} ${{ unclosed"), "${{My Service.URL}} ${{ unclosed");
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

    /// Pieces of wire values: references good and bad, dollars, brackets.
    fn wire_fragment() -> impl Strategy<Value = String> {
        prop_oneof![
            "[ -~]{0,4}",
            "[A-Za-z][A-Za-z0-9 _-]{0,6}".prop_map(|s| format!("${{{{{s}.VAR}}}}")),
            "[A-Z_]{1,4}".prop_map(|s| format!("${{{{ {s} }}}}")),
            Just("$".to_string()),
            Just("$$".to_string()),
            Just("$<<".to_string()),
            Just("${{".to_string()),
            Just("<<".to_string()),
            Just("{{".to_string()),
            Just("}}".to_string()),
            Just(">>".to_string()),
        ]
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
        fn a_wire_value_survives_the_round_trip_through_a_file_and_always_validates(
            parts in proptest::collection::vec(wire_fragment(), 0..10),
            keep in any::<u8>(),
        ) {
            let wire = parts.concat();
            // Keep some references checkable, not others, by a property of their target.
            let checkable = |target: &Target| (target.var().len() + keep as usize) % 3 != 0;
            let file = to_file_syntax(&wire, checkable);
            prop_assert_eq!(to_railway_syntax(&file), wire.clone(), "file value {:?}", file);
            let parsed = parse(&file);
            prop_assert!(parsed.is_ok(), "{:?} does not parse: {:?}", file, parsed);
            for reference in parsed.unwrap_or_default() {
                prop_assert!(checkable(&reference.target), "{} kept in {:?}", reference.target, file);
            }
            let once = canonical(&wire).into_owned();
            prop_assert_eq!(canonical(&once), once.as_str());
        }

        #[test]
        fn rewriting_changes_only_references_to_that_exact_name(
            parts in proptest::collection::vec(fragment(), 0..8),
            old in "[A-Za-z][A-Za-z0-9_-]{0,8}",
        ) {
            let text = to_railway_syntax(&parts.concat());
            let new = "renamed-svc";
            let before = parse_railway(&text);
            match rewrite_service(&text, &old, new) {
                None => {
                    let names_old = before.iter().any(|r| matches!(&r.target, Target::Service { service, .. } if *service == old));
                    prop_assert!(!names_old, "a reference to {} was not rewritten", old);
                }
                Some(after_text) => {
                    let after = parse_railway(&after_text);
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
