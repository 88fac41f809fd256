//! Reading one railway.toml or railway.json into the same located tree environment files are
//! read into ([`tree`]), so every field keeps its file, line and column. JSON is read as
//! strict JSON (no comments, no trailing commas), as Railway's parser reads it.

use std::sync::Arc;

use jsonc_parser::ast;
use jsonc_parser::common::Ranged;

use crate::config::tree::{self, Entry, Node, Table, Value};
use crate::diag::{Diagnostic, Location, SourceFile};

/// How a config file is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Toml,
    Json,
}

impl Format {
    /// By the file's extension: `.json` is JSON, anything else TOML (Railway's rule for a
    /// custom config path is the same).
    pub fn of(path: &std::path::Path) -> Format {
        match path.extension().and_then(|e| e.to_str()) {
            Some(ext) if ext.eq_ignore_ascii_case("json") => Format::Json,
            _ => Format::Toml,
        }
    }
}

/// Parses `file` as `format`. A syntax error, a `null` or a top level that is not a table is a
/// diagnostic; a `null` drops only its own key, so the rest is still checked.
pub fn parse(file: &Arc<SourceFile>, format: Format) -> (Table, Vec<Diagnostic>) {
    match format {
        Format::Toml => match tree::parse(file) {
            Ok(table) => (table, Vec::new()),
            Err(diagnostics) => (Table::new(), diagnostics),
        },
        Format::Json => json(file),
    }
}

fn json(file: &Arc<SourceFile>) -> (Table, Vec<Diagnostic>) {
    let strict = jsonc_parser::ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let mut diagnostics = Vec::new();
    let parsed = match jsonc_parser::parse_to_ast(&file.text, &Default::default(), &strict) {
        Ok(parsed) => parsed,
        Err(error) => {
            let range = error.range();
            diagnostics.push(
                Diagnostic::error(format!("JSON syntax error: {}", error.kind()))
                    .at(Location::new(file, range.start..range.end))
                    .label("here")
                    .hint("railway.json is plain JSON: no comments, no trailing commas, keys in double quotes"),
            );
            return (Table::new(), diagnostics);
        }
    };
    let table = match parsed.value {
        Some(ast::Value::Object(object)) => {
            let mut converter = Converter { file, diagnostics: &mut diagnostics };
            converter.object(object, "")
        }
        Some(other) => {
            let range = other.range();
            diagnostics.push(
                Diagnostic::error("a railway.json holds one JSON object")
                    .at(Location::new(file, range.start..range.end))
                    .label("not an object")
                    .hint("write { \"build\": { … }, \"deploy\": { … } }"),
            );
            Table::new()
        }
        None => Table::new(),
    };
    (table, diagnostics)
}

struct Converter<'a> {
    file: &'a Arc<SourceFile>,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl Converter<'_> {
    fn at(&self, range: jsonc_parser::common::Range) -> Location {
        Location::new(self.file, range.start..range.end)
    }

    fn object(&mut self, object: ast::Object<'_>, path: &str) -> Table {
        let mut table = Table::new();
        for property in object.properties {
            let key_at = self.at(property.name.range());
            let key = property.name.into_string();
            let here = if path.is_empty() { key.clone() } else { format!("{path}.{key}") };
            if let Some(node) = self.value(property.value, &here) {
                table.insert(key, Entry { key_at, node });
            }
        }
        table
    }

    fn value(&mut self, value: ast::Value<'_>, path: &str) -> Option<Node> {
        let at = self.at(value.range());
        let value = match value {
            ast::Value::StringLit(text) => Value::String(text.value.into_owned()),
            ast::Value::NumberLit(number) => match number.value.parse::<i64>() {
                Ok(integer) => Value::Integer(integer),
                Err(_) => Value::Float(number.value.parse().unwrap_or(f64::NAN)),
            },
            ast::Value::BooleanLit(flag) => Value::Boolean(flag.value),
            ast::Value::Object(object) => Value::Table(self.object(object, path)),
            ast::Value::Array(array) => {
                let mut items = Vec::new();
                for (index, item) in array.elements.into_iter().enumerate() {
                    if let Some(node) = self.value(item, &format!("{path}[{index}]")) {
                        items.push(node);
                    }
                }
                Value::Array(items)
            }
            ast::Value::NullKeyword(_) => {
                self.diagnostics.push(
                    Diagnostic::error(format!("`{path}` is null: railform cannot clear a setting"))
                        .at(at)
                        .label("null")
                        .hint(
                            "a setting railform is not given is left as it is in Railway: remove the key here, \
                             and clear the value in the dashboard if it is set",
                        ),
                );
                return None;
            }
        };
        Some(Node { value, at })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn json_keeps_lines_and_reports_nulls_and_syntax_errors() {
        let text = "{\n  \"deploy\": {\n    \"startCommand\": \"node a.js\",\n    \"cronSchedule\": null\n  }\n}\n";
        let file = SourceFile::new(Path::new("railway.json"), text.into());
        let (table, diagnostics) = parse(&file, Format::Json);
        let Value::Table(deploy) = &table["deploy"].node.value else { panic!() };
        assert_eq!(deploy["startCommand"].key_at.line_col(), (3, 5));
        assert!(!deploy.contains_key("cronSchedule"));
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].short().starts_with("railway.json:4:21: `deploy.cronSchedule` is null"));

        let broken = SourceFile::new(Path::new("railway.json"), "{\"deploy\": {\"a\": 1,}}".into());
        let (_, diagnostics) = parse(&broken, Format::Json);
        assert!(diagnostics[0].short().starts_with("railway.json:1:"), "{}", diagnostics[0].short());
    }
}
