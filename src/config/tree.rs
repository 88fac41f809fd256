//! A TOML document as a tree whose every key and value remembers where it was written (file and
//! byte span), so that `extends` merges and template expansion keep precise error locations.

use std::collections::BTreeMap;
use std::sync::Arc;

use toml::de::{DeTable, DeValue};
use toml::Spanned;

use crate::diag::{Diagnostic, Location, SourceFile};

/// A value and where it was written.
#[derive(Debug, Clone)]
pub struct Node {
    pub value: Value,
    pub at: Location,
}

#[derive(Debug, Clone)]
pub enum Value {
    String(String),
    Integer(i64),
    Float(f64),
    Boolean(bool),
    Datetime(String),
    Array(Vec<Node>),
    Table(Table),
}

impl Value {
    /// The word for this kind of value in messages ("a string", "a table"…).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::String(_) => "a string",
            Value::Integer(_) => "an integer",
            Value::Float(_) => "a float",
            Value::Boolean(_) => "a boolean",
            Value::Datetime(_) => "a date-time",
            Value::Array(_) => "an array",
            Value::Table(_) => "a table",
        }
    }
}

/// A key with the place it was written.
#[derive(Debug, Clone)]
pub struct Entry {
    pub key_at: Location,
    pub node: Node,
}

/// A table: keys in sorted order, each with its location.
pub type Table = BTreeMap<String, Entry>;

/// Levels of nesting (dotted-key parts, nested arrays and inline tables) at which the TOML
/// parser stops.
const NESTING_LIMIT: usize = 80;

/// Parses a TOML document into a located tree. Syntax errors are returned all at once; their
/// snippets mask the contents of every string in the file (a file that does not parse cannot
/// say which of its values are sensitive, so none is shown).
pub fn parse(file: &Arc<SourceFile>) -> Result<Table, Vec<Diagnostic>> {
    let (document, errors) = DeTable::parse_recoverable(&file.text);
    if !errors.is_empty() {
        redact_strings(file);
        return Err(errors.into_iter().map(|error| syntax_error(file, &error)).collect());
    }
    Ok(convert_table(file, document.into_inner()))
}

fn syntax_error(file: &Arc<SourceFile>, error: &toml::de::Error) -> Diagnostic {
    let message = error.message().trim_end();
    let span = error.span().filter(|span| !span.is_empty() || span.start > 0);
    if message == "recursion limit" {
        // Reported without a place: point at the most deeply nested line.
        let at = span.unwrap_or_else(|| deepest_line(&file.text));
        return Diagnostic::error(format!(
            "TOML syntax error: nested too deeply (a key, table header, array or inline table with \
             {NESTING_LIMIT} or more levels)"
        ))
        .at(Location::new(file, at))
        .label("too many levels")
        .hint(format!("write fewer than {NESTING_LIMIT} levels of nesting: an environment file needs a handful"));
    }
    // An error at the very end of the text is usually a string that never closes: point at
    // where it opens.
    let at_end = span.as_ref().is_none_or(|span| span.start >= file.text.trim_end().len());
    let span = if at_end { unclosed_string(&file.text).or(span) } else { span }.unwrap_or(0..0);
    if message.contains("must be quoted") {
        // A bare word where a string belongs is a value too: it may be a secret.
        file.redact(span.clone());
    }
    Diagnostic::error(format!("TOML syntax error: {message}"))
        .at(Location::new(file, span))
        .label(message.lines().next().unwrap_or("here").to_string())
        .hint("see https://toml.io for TOML's syntax")
}

/// The line with the most nesting characters (`.`, `[`, `{`), trimmed.
fn deepest_line(text: &str) -> std::ops::Range<usize> {
    let mut best = (0, 0..0);
    let mut start = 0;
    for line in text.split_inclusive('\n') {
        let depth = line.bytes().filter(|b| matches!(b, b'.' | b'[' | b'{')).count();
        if depth > best.0 {
            let trimmed = line.trim_end();
            best = (depth, start..start + trimmed.len());
        }
        start += line.len();
    }
    best.1
}

/// The opening quote(s) of the first string that never closes.
fn unclosed_string(text: &str) -> Option<std::ops::Range<usize>> {
    strings(text).into_iter().find(|string| !string.closed).map(|string| string.open.clone())
}

/// Masks the contents of every string of `file` (quoted keys included) wherever it is quoted.
/// An unterminated string runs to the end of its line.
pub fn redact_strings(file: &SourceFile) {
    for string in strings(&file.text) {
        file.redact(string.contents);
    }
}

/// One string of a TOML text, as [`strings`] finds it.
struct StringAt {
    /// The opening quote or quotes.
    open: std::ops::Range<usize>,
    contents: std::ops::Range<usize>,
    closed: bool,
}

/// Every TOML string in `text`, read as TOML's lexer would, but never failing: comments are
/// skipped, `"…"` and `'…'` end at their quote or at the end of the line, `"""…"""` and
/// `'''…'''` at their closing triple or at the end of the text.
fn strings(text: &str) -> Vec<StringAt> {
    let bytes = text.as_bytes();
    let mut ranges = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'#' => at = bytes[at..].iter().position(|&b| b == b'\n').map_or(bytes.len(), |nl| at + nl),
            quote @ (b'"' | b'\'') => {
                let triple = [quote; 3];
                let multiline = bytes[at..].starts_with(&triple);
                let start = at + if multiline { 3 } else { 1 };
                let mut end = start;
                let (next, closed) = loop {
                    let Some(&byte) = bytes.get(end) else { break (bytes.len(), false) };
                    if quote == b'"' && byte == b'\\' {
                        end = (end + 2).min(bytes.len());
                    } else if multiline && bytes[end..].starts_with(&triple) {
                        break (end + 3, true);
                    } else if !multiline && byte == quote {
                        break (end + 1, true);
                    } else if !multiline && byte == b'\n' {
                        break (end, false);
                    } else {
                        end += 1;
                    }
                };
                ranges.push(StringAt { open: at..start, contents: start..end, closed });
                at = next;
            }
            _ => at += 1,
        }
    }
    ranges
}

fn convert_table(file: &Arc<SourceFile>, table: DeTable<'_>) -> Table {
    table
        .into_iter()
        .map(|(key, value)| {
            let key_at = Location::new(file, key.span());
            (key.into_inner().into_owned(), Entry { key_at, node: convert(file, value) })
        })
        .collect()
}

fn convert(file: &Arc<SourceFile>, value: Spanned<DeValue<'_>>) -> Node {
    let at = Location::new(file, value.span());
    let value = match value.into_inner() {
        DeValue::String(text) => Value::String(text.into_owned()),
        DeValue::Integer(integer) => match i64::from_str_radix(integer.as_str(), integer.radix()) {
            Ok(number) => Value::Integer(number),
            // Out of range for i64: keep the digits; callers treat it as a literal string.
            Err(_) => Value::String(integer.to_string()),
        },
        DeValue::Float(float) => Value::Float(float.as_str().parse().unwrap_or(f64::NAN)),
        DeValue::Boolean(flag) => Value::Boolean(flag),
        DeValue::Datetime(datetime) => Value::Datetime(datetime.to_string()),
        DeValue::Array(items) => Value::Array(items.into_iter().map(|item| convert(file, item)).collect()),
        DeValue::Table(table) => Value::Table(convert_table(file, table)),
    };
    Node { value, at }
}

/// Deep-merges `child` over `base`: tables merge key by key, anything else in `child` wins.
pub fn merge(base: &mut Table, child: Table) {
    for (key, entry) in child {
        match (base.get_mut(&key), entry) {
            (Some(Entry { node: Node { value: Value::Table(base_table), .. }, .. }), entry)
                if matches!(entry.node.value, Value::Table(_)) =>
            {
                if let Value::Table(child_table) = entry.node.value {
                    merge(base_table, child_table);
                }
            }
            (_, entry) => {
                base.insert(key, entry);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    fn table(text: &str) -> Table {
        parse(&SourceFile::new(Path::new("t.toml"), text.to_string())).unwrap()
    }

    #[test]
    fn merges_tables_deeply_and_child_wins() {
        let mut base = table("a = 1\n[s.x]\nimage = 'a'\n[s.x.variables]\nA = '1'\nB = '2'\n");
        merge(&mut base, table("a = 2\n[s.x.variables]\nB = '3'\nC = '4'\n"));
        let Value::Table(s) = &base["s"].node.value else { panic!() };
        let Value::Table(x) = &s["x"].node.value else { panic!() };
        let Value::Table(vars) = &x["variables"].node.value else { panic!() };
        let values: Vec<_> = vars
            .iter()
            .map(|(k, e)| match &e.node.value {
                Value::String(v) => format!("{k}={v}"),
                _ => panic!(),
            })
            .collect();
        assert_eq!(values, ["A=1", "B=3", "C=4"]);
        assert!(matches!(base["a"].node.value, Value::Integer(2)));
        assert!(x.contains_key("image"));
    }

    #[test]
    fn reports_every_syntax_error_with_a_location() {
        let file = SourceFile::new(Path::new("bad.toml"), "a = \nb = 'x\nc = 1\n".to_string());
        let errors = parse(&file).unwrap_err();
        assert!(!errors.is_empty());
        assert!(errors[0].short().starts_with("bad.toml:1:"), "{}", errors[0].short());
    }
}
