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

/// Parses a TOML document into a located tree. Syntax errors are returned all at once.
pub fn parse(file: &Arc<SourceFile>) -> Result<Table, Vec<Diagnostic>> {
    let (document, errors) = DeTable::parse_recoverable(&file.text);
    if !errors.is_empty() {
        return Err(errors
            .into_iter()
            .map(|error| {
                let span = error.span().unwrap_or(0..0);
                Diagnostic::error(format!("TOML syntax error: {}", error.message().trim_end()))
                    .at(Location::new(file, span))
                    .label(error.message().lines().next().unwrap_or("here").to_string())
                    .hint("see https://toml.io for TOML's syntax")
            })
            .collect());
    }
    Ok(convert_table(file, document.into_inner()))
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
