//! The emulator under hostile or careless use, over HTTP: inspection endpoints behind
//! `--token`, stale temporary state files cleaned on start, documents over the budget (aliases,
//! fragments, depth) and oversized bodies refused quickly with a GraphQL error, a budget that
//! still admits every document railform sends, and validation errors reported once against the
//! right field.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{Auth, Emulator};
use crate::seed::{create_project, text};

#[test]
fn with_a_token_the_inspection_endpoints_need_it_and_without_one_they_stay_open() {
    let emulator = Emulator::builder().token("secret").start();
    let project = create_project(&emulator, "shop");
    let seal = json!({"environmentId": project.production, "name": "X"});
    for auth in [Auth::None, Auth::Bearer("wrong".into())] {
        for (method, path, body) in [
            (reqwest::Method::GET, "stats", None),
            (reqwest::Method::GET, "deployments", None),
            (reqwest::Method::POST, "reset-stats", None),
            (reqwest::Method::POST, "seal", Some(seal.clone())),
        ] {
            let response = emulator.inspect_as(&auth, method, path, body);
            assert_eq!(response.status, 401, "{path} with {auth:?}: {}", response.body);
            assert_eq!(response.json()["errors"][0]["message"], "Not Authorized");
        }
    }
    assert!(emulator.stats()["requests"].as_u64().unwrap() >= 1, "nothing was reset by the refused calls");
    let project_token =
        emulator.inspect_as(&Auth::ProjectToken("secret".into()), reqwest::Method::GET, "deployments", None);
    assert_eq!(project_token.status, 200);

    let open = Emulator::start();
    assert_eq!(open.inspect_as(&Auth::None, reqwest::Method::GET, "stats", None).status, 200);
}

#[test]
fn stale_temporary_copies_of_the_state_file_are_removed_on_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    {
        let emulator = Emulator::builder().state(&path).start();
        create_project(&emulator, "shop");
    }
    // What a kill in the middle of a save leaves: this version's and an earlier version's names.
    let stale = [dir.path().join(".state.json.Xy12Z9.tmp"), dir.path().join(".tmpAb34Cd")];
    for file in &stale {
        std::fs::write(file, "{\n  \"projects\": [\n    {").unwrap();
    }
    let unrelated = dir.path().join("notes.txt");
    std::fs::write(&unrelated, "keep me").unwrap();
    let emulator = Emulator::builder().state(&path).start();
    assert_eq!(
        emulator.data("{ projects { edges { node { name } } } }", json!({}))["projects"]["edges"][0]["node"]["name"],
        "shop"
    );
    for file in &stale {
        assert!(!file.exists(), "{} left behind", file.display());
    }
    assert!(unrelated.exists());
}

#[test]
fn ten_thousand_aliases_are_refused_quickly_with_a_graphql_error() {
    let emulator = Emulator::start();
    create_project(&emulator, "shop");
    let aliases: String = (0..10_000)
        .map(|i| format!("a{i}: projects(first: 100) {{ edges {{ node {{ id name createdAt updatedAt }} }} pageInfo {{ hasNextPage }} }}\n"))
        .collect();
    let query = format!("query Bomb {{ {aliases} }}");
    assert!(query.len() > 1_000_000, "a 1 MB document: {} bytes", query.len());
    let started = Instant::now();
    let response = emulator.post(&Auth::None, &json!({"query": query})).expect("answered");
    assert!(started.elapsed() < Duration::from_secs(5), "took {:?}", started.elapsed());
    assert_eq!(response.status, 200);
    assert!(response.body.len() < 1_000, "a short answer, not a huge one: {} bytes", response.body.len());
    let answer = response.json();
    assert_eq!(answer["data"], Value::Null);
    assert!(text(&answer["errors"][0]["message"]).contains("too large"), "{answer}");

    let spreads: String = (0..3_000).map(|_| "...P ").collect();
    let fragments =
        format!("{{ projects {{ edges {{ node {{ {spreads} }} }} }} }} fragment P on Project {{ id name }}");
    let answer = emulator.graphql(&fragments, json!({}));
    assert!(text(&answer["errors"][0]["message"]).contains("too large"), "{answer}");

    let deep = format!(
        "{{ projects {{ edges {{ node {{ {} id {} }} }} }} }}",
        "services { edges { node { project { ".repeat(12),
        "} } } }".repeat(12)
    );
    let answer = emulator.graphql(&deep, json!({}));
    assert!(text(&answer["errors"][0]["message"]).contains("too deep"), "{answer}");

    let configs: String = (0..200).map(|i| format!("c{i}: environment(id: \"x\") {{ config }}\n")).collect();
    let answer = emulator.graphql(&format!("{{ {configs} }}"), json!({}));
    assert_eq!(text(&answer["errors"][0]["message"]), "Query is too complex.", "{answer}");
    assert_eq!(emulator.stats()["errors"]["Bomb"], 1);
}

#[test]
fn a_body_over_the_cap_is_refused_with_413_and_a_graphql_error() {
    let emulator = Emulator::start();
    let padding = "x".repeat(3 * 1024 * 1024);
    let body = serde_json::to_vec(&json!({"query": "{ me { id } }", "variables": {"padding": padding}})).unwrap();
    // The server answers before it has read the whole body; on a loaded machine the client may
    // still be sending when the connection closes, and then sees a reset instead of the answer.
    // Either way the body is refused and the emulator stays up.
    if let Ok(response) = emulator.post_bytes(body) {
        assert_eq!(response.status, 413);
        assert!(text(&response.json()["errors"][0]["message"]).contains("too large"), "{}", response.body);
    }
    // A pooled connection the server closed mid-body may fail once more; the server itself is up.
    let query = json!({"query": "{ me { id } }"});
    let answered = (0..3).any(|_| emulator.post(&Auth::None, &query).is_ok_and(|r| r.status == 200));
    assert!(answered, "the emulator stopped answering");
    assert_eq!(create_project(&emulator, "still-up").id.len(), 36);
}

#[test]
fn the_budget_admits_every_document_railform_sends_and_the_introspection_query() {
    let emulator = Emulator::start();
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql");
    let mut checked = 0;
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.ends_with(".graphql") || name == "railway.schema.graphql" {
            continue;
        }
        let document = std::fs::read_to_string(&path).unwrap();
        let answer = emulator.graphql(&document, json!({}));
        for error in answer["errors"].as_array().into_iter().flatten() {
            let message = text(&error["message"]);
            assert!(!message.contains("too") && !message.contains("Unknown"), "{name}: {message}");
        }
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} documents");
    let introspection = emulator.data(INTROSPECTION, json!({}));
    assert!(introspection["__schema"]["types"].as_array().unwrap().len() > 50);
}

#[test]
fn validation_errors_are_reported_once_against_the_field_that_is_wrong() {
    let emulator = Emulator::start();
    let answer = emulator.graphql("{ project(id: \"x\") { nope(first: 1) } }", json!({}));
    assert_eq!(
        answer["errors"],
        json!([{"message": "Unknown field \"nope\" on type \"Project\".", "locations": [{"line": 1, "column": 22}]}])
    );
    let answer = emulator.graphql("{ project(id: \"x\") { services(frist: 1) { edges { node { id } } } } }", json!({}));
    let errors = answer["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{answer}");
    assert_eq!(errors[0]["message"], "Unknown argument \"frist\" on field \"services\" of type \"Project\".");
}

/// The introspection query GraphQL tools send (graphql-js `getIntrospectionQuery()`).
const INTROSPECTION: &str = "query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue }
  interfaces { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
  possibleTypes { ...TypeRef }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type {
  kind name
  ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } }
}";
