//! Tidies the validation errors async-graphql reports before they reach a client: each error
//! once, and an argument blamed on the field that holds it. Given
//! `project(id: …) { nope(first: 1) }`, async-graphql reports the unknown field `nope` and then,
//! wrongly, an unknown argument `first` "on field project"; the second error is dropped, the
//! first already says what is wrong.

use std::collections::HashMap;

use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, Selection, SelectionSet};
use async_graphql::{Pos, ServerError};

/// Removes repeated errors and unknown-argument errors that name a field other than the one
/// the argument is written on.
pub fn tidy(query: &str, errors: &mut Vec<ServerError>) {
    if errors.is_empty() {
        return;
    }
    let owners =
        async_graphql::parser::parse_query(query).map(|document| argument_owners(&document)).unwrap_or_default();
    let mut seen: Vec<(String, Vec<Pos>)> = Vec::new();
    errors.retain(|error| {
        if let Some(named) = blamed_field(&error.message) {
            let misplaced = error.locations.iter().any(|pos| owners.get(pos).is_some_and(|owner| owner != named));
            if misplaced {
                return false;
            }
        }
        let key = (error.message.clone(), error.locations.clone());
        if seen.contains(&key) {
            return false;
        }
        seen.push(key);
        true
    });
}

/// The field an `Unknown argument "a" on field "f" of type "T".` error names.
fn blamed_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("Unknown argument \"")?;
    let (_, rest) = rest.split_once("\" on field \"")?;
    let (field, _) = rest.split_once('"')?;
    Some(field)
}

/// Where each argument of the document is written, and the name of the field it belongs to.
fn argument_owners(document: &ExecutableDocument) -> HashMap<Pos, String> {
    let mut owners = HashMap::new();
    let mut sets: Vec<&SelectionSet> = match &document.operations {
        DocumentOperations::Single(operation) => vec![&operation.node.selection_set.node],
        DocumentOperations::Multiple(operations) => operations.values().map(|o| &o.node.selection_set.node).collect(),
    };
    sets.extend(document.fragments.values().map(|fragment| &fragment.node.selection_set.node));
    while let Some(set) = sets.pop() {
        for selection in &set.items {
            match &selection.node {
                Selection::Field(field) => {
                    for (name, _) in &field.node.arguments {
                        owners.insert(name.pos, field.node.name.node.to_string());
                    }
                    sets.push(&field.node.selection_set.node);
                }
                Selection::InlineFragment(inline) => sets.push(&inline.node.selection_set.node),
                Selection::FragmentSpread(_) => {}
            }
        }
    }
    owners
}

#[cfg(test)]
mod tests {
    use super::*;

    fn error(message: &str, line: usize, column: usize) -> ServerError {
        let mut error = ServerError::new(message, Some(Pos { line, column }));
        error.locations = vec![Pos { line, column }];
        error
    }

    #[test]
    fn misplaced_argument_errors_and_repeats_are_dropped() {
        let query = "{ project(id: \"x\") { nope(first: 1) } }";
        let mut errors = vec![
            error("Unknown field \"nope\" on type \"Project\".", 1, 22),
            error("Unknown argument \"first\" on field \"project\" of type \"Query\".", 1, 27),
            error("Unknown field \"nope\" on type \"Project\".", 1, 22),
        ];
        tidy(query, &mut errors);
        let messages: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
        assert_eq!(messages, ["Unknown field \"nope\" on type \"Project\"."]);

        let query = "{ project(id: \"x\") { services(frist: 1) { edges { node { id } } } } }";
        let mut errors = vec![error("Unknown argument \"frist\" on field \"services\" of type \"Project\".", 1, 31)];
        tidy(query, &mut errors);
        assert_eq!(errors.len(), 1, "an argument blamed on its own field stays");
    }
}
