//! The budget a request must fit in before anything runs, as a production GraphQL server has:
//! a body size cap, and a cap on how many fields a document selects once its fragments are
//! expanded (aliases included: ten thousand aliases of one field are ten thousand fields), on
//! its depth, and on its complexity (a whole config or variable map costs
//! [`EXPENSIVE`](super::types::EXPENSIVE)). A document over budget gets a GraphQL error and
//! is never executed, so no answer is ever built for it.
//!
//! The budget is far above the largest documents of railform's client and of the official
//! Railway CLI 5.71.0 (a few hundred fields; a test checks every one of railform's against it).

use std::collections::HashMap;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};

/// Request bodies larger than this are refused with HTTP 413.
pub const MAX_BODY_BYTES: usize = 2 * 1024 * 1024;

/// Fields a document may select, counted after expanding fragments.
pub const MAX_SELECTIONS: usize = 2_000;

/// How deeply selections may nest (the standard introspection query needs 13).
pub const MAX_DEPTH: usize = 32;

/// async-graphql's complexity: one per field, [`EXPENSIVE`](super::types::EXPENSIVE) for a
/// config or variable map.
pub const MAX_COMPLEXITY: usize = 5_000;

/// Names (identifiers outside strings and comments) a document may hold before it is refused
/// without being parsed: every field costs at least one, so this bounds the work a hostile
/// document can cause before [`MAX_SELECTIONS`] is checked.
pub const MAX_NAMES: usize = 4 * MAX_SELECTIONS;

/// How many environment configs one request may still read (`--max-configs`): a request that
/// reads more is refused as too large, the way Railway refuses a document too costly to answer.
/// Counted as the configs are answered, since how many a document reads depends on the data.
#[derive(Debug)]
pub struct ConfigBudget {
    limit: usize,
    used: std::sync::atomic::AtomicUsize,
}

impl ConfigBudget {
    pub fn new(limit: usize) -> Self {
        ConfigBudget { limit, used: std::sync::atomic::AtomicUsize::new(0) }
    }

    /// Takes one config from the budget; an error once it is spent (the request is then
    /// refused whole, see [`ConfigBudget::refusal`]).
    pub fn take(&self) -> Result<(), String> {
        let used = self.used.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
        if used > self.limit {
            return Err("over the config budget".to_string());
        }
        Ok(())
    }

    /// Railway-like words for a request that read more than the budget.
    pub fn refusal(&self) -> Option<String> {
        let used = self.used.load(std::sync::atomic::Ordering::Relaxed);
        (used > self.limit)
            .then(|| format!("Query is too large: it reads {used} environment configs, the limit is {}", self.limit))
    }
}

/// Why a document is refused before validation, or `None` when it fits the budget.
/// Unparseable documents pass here: the schema then reports their syntax error.
pub fn check_document(query: &str) -> Option<String> {
    let names = scan(query).names;
    if names > MAX_NAMES {
        return Some(format!("Query is too large: it holds {names} names, the limit is {MAX_NAMES}"));
    }
    let document = async_graphql::parser::parse_query(query).ok()?;
    count_document(&document).err()
}

/// What a lexical pass over a document finds, without parsing it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan {
    /// Identifiers outside strings and comments.
    pub names: usize,
    /// The name of the document's first operation (`query Name …`), if it starts with one.
    pub first_operation: Option<String>,
}

/// One linear pass over `query`: counts names, skipping string literals (block strings
/// included) and comments.
pub fn scan(query: &str) -> Scan {
    let bytes = query.as_bytes();
    let mut scan = Scan::default();
    let mut first_names: Vec<&str> = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'#' => {
                while at < bytes.len() && bytes[at] != b'\n' {
                    at += 1;
                }
            }
            b'"' if bytes[at..].starts_with(b"\"\"\"") => {
                at += 3;
                while at < bytes.len() && !bytes[at..].starts_with(b"\"\"\"") {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 3;
            }
            b'"' => {
                at += 1;
                while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\n' {
                    at += if bytes[at] == b'\\' { 2 } else { 1 };
                }
                at += 1;
            }
            b'{' if first_names.len() < 2 => {
                first_names.push("{");
                at += 1;
            }
            byte if byte == b'_' || byte.is_ascii_alphabetic() => {
                let start = at;
                while at < bytes.len() && (bytes[at] == b'_' || bytes[at].is_ascii_alphanumeric()) {
                    at += 1;
                }
                scan.names += 1;
                if first_names.len() < 2 {
                    first_names.push(&query[start..at]);
                }
            }
            _ => at += 1,
        }
    }
    if let [keyword, name] = first_names[..] {
        if ["query", "mutation", "subscription"].contains(&keyword) && name != "{" {
            scan.first_operation = Some(name.to_string());
        }
    }
    scan
}

/// The fields the document's operations select, expanded, or why it is over budget.
fn count_document(document: &ExecutableDocument) -> Result<usize, String> {
    let mut counter = Counter { document, fragments: HashMap::new() };
    let operations: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node.selection_set.node],
        DocumentOperations::Multiple(operations) => operations.values().map(|o| &o.node.selection_set.node).collect(),
    };
    let mut total = 0usize;
    for selection_set in operations {
        total = total.saturating_add(counter.count(selection_set, 0)?);
        if total > MAX_SELECTIONS {
            return Err(too_many(total));
        }
    }
    Ok(total)
}

fn too_many(count: usize) -> String {
    let shown = if count >= usize::MAX / 2 { "too many".to_string() } else { count.to_string() };
    format!(
        "Query is too large: it selects {shown} fields (aliases and fragments included), the limit is {MAX_SELECTIONS}"
    )
}

/// Counts selected fields with each fragment's size computed once (so `...F` repeated
/// thousands of times, or fragments spreading each other, cost arithmetic, not expansion).
struct Counter<'d> {
    document: &'d ExecutableDocument,
    /// A fragment's expanded size; `None` while it is being counted (a cycle).
    fragments: HashMap<&'d str, Option<usize>>,
}

impl<'d> Counter<'d> {
    /// The fields `selection_set` selects, expanded; an error when the budget is exceeded or
    /// fragments spread each other in a cycle.
    fn count(&mut self, selection_set: &'d SelectionSet, depth: usize) -> Result<usize, String> {
        if depth > MAX_DEPTH {
            return Err(format!("Query is too deep: the limit is {MAX_DEPTH} levels"));
        }
        let mut total = 0usize;
        for selection in &selection_set.items {
            let size = match &selection.node {
                Selection::Field(field) => {
                    1usize.saturating_add(self.count(&field.node.selection_set.node, depth + 1)?)
                }
                Selection::InlineFragment(inline) => self.count(&inline.node.selection_set.node, depth + 1)?,
                Selection::FragmentSpread(spread) => self.fragment(spread.node.fragment_name.node.as_str(), depth)?,
            };
            total = total.saturating_add(size);
            if total > MAX_SELECTIONS {
                return Err(too_many(total));
            }
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'d str, depth: usize) -> Result<usize, String> {
        match self.fragments.get(name) {
            Some(Some(size)) => return Ok(*size),
            Some(None) => return Err(format!("Fragment {name} spreads itself")),
            None => {}
        }
        let Some((key, fragment)) = self.document.fragments.get_key_value(name) else { return Ok(0) };
        self.fragments.insert(key.as_str(), None);
        let size = self.count(&fragment.node.selection_set.node, depth + 1)?;
        self.fragments.insert(key.as_str(), Some(size));
        Ok(size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lexical_scan_skips_strings_and_comments_and_finds_the_operation_name() {
        let scan = scan("query Find($id: String!) { # a comment with words\n project(id: \"not names here\") { id } }");
        assert_eq!(scan, Scan { names: 7, first_operation: Some("Find".into()) });
        assert_eq!(super::scan("{ me { id } }").first_operation, None);
        assert_eq!(super::scan("mutation { x }").first_operation, None);
        assert_eq!(super::scan("query Q { a(s: \"\"\"block \"quoted\" words\"\"\") }").names, 4);
    }

    #[test]
    fn aliases_and_fragment_expansion_are_counted() {
        assert_eq!(check_document("{ me { id } }"), None);
        let aliases: String = (0..MAX_SELECTIONS).map(|i| format!("a{i}: me {{ id }} ")).collect();
        let refused = check_document(&format!("{{ {aliases} }}")).expect("refused");
        assert!(refused.contains("too large"), "{refused}");
        // Ten fragments each spreading the next ten times: 10^10 fields once expanded.
        let mut document = String::from("{ me { ...F0 } }\n");
        for level in 0..10 {
            let spreads: String = (0..10).map(|_| format!("...F{} ", level + 1)).collect();
            document.push_str(&format!("fragment F{level} on User {{ {spreads} }}\n"));
        }
        document.push_str("fragment F10 on User { id }\n");
        assert!(check_document(&document).expect("refused").contains("too large"));
        let cycle = "{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }";
        assert!(check_document(cycle).expect("refused").contains("spreads itself"));
        assert_eq!(check_document("{ broken"), None, "syntax errors are the schema's to report");
        let names: String = (0..MAX_NAMES).map(|i| format!("a{i}: me ")).collect();
        assert!(check_document(&format!("{{ {names} }}")).expect("refused").contains("names"));
        let deep = format!("{{ {}id{} }}", "me { ".repeat(40), " }".repeat(40));
        assert!(check_document(&deep).expect("refused").contains("too deep"));
    }
}
