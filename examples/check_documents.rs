//! Checks GraphQL documents against a running `railform emulator`, as a client sees it: the
//! emulator's schema is read by introspection over HTTP, and each document must validate
//! against it and fit the emulator's request budget. `scripts/conformance.sh` runs it on the
//! official Railway CLI's documents.
//!
//! ```sh
//! cargo run --example check_documents -- http://127.0.0.1:4000/graphql/v2 TOKEN a.graphql b.graphql
//! ```
//!
//! Prints `valid FILE` or `invalid FILE: reason` per document and `N of M documents validate`;
//! exits 1 when one does not.

use std::process::ExitCode;

use anyhow::{bail, Context};
use apollo_compiler::{ExecutableDocument, Schema};
use serde_json::Value;

const INTROSPECTION: &str = "query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types {
      kind name
      fields(includeDeprecated: true) { name args { name type { ...TypeRef } defaultValue } type { ...TypeRef } }
      inputFields { name type { ...TypeRef } defaultValue }
      interfaces { name }
      enumValues(includeDeprecated: true) { name }
      possibleTypes { name }
    }
  }
}
fragment TypeRef on __Type {
  kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } } }
}";

const BUILT_IN_SCALARS: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];

fn main() -> ExitCode {
    match run() {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(error) => {
            eprintln!("check_documents: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<bool> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(token)) = (args.next(), args.next()) else {
        bail!("usage: check_documents URL TOKEN FILE...");
    };
    let files: Vec<String> = args.collect();
    let sdl = sdl_from_introspection(&introspect(&url, &token)?)?;
    let schema = Schema::parse_and_validate(sdl, "introspected.graphql")
        .map_err(|invalid| anyhow::anyhow!("the introspected schema does not validate: {}", invalid.errors))?;
    let mut valid = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {file}"))?;
        let problem = match ExecutableDocument::parse_and_validate(&schema, text.as_str(), file.as_str()) {
            Err(invalid) => Some(invalid.errors.to_string().replace('\n', " ")),
            Ok(_) => railform::emulator::limits::check_document(&text),
        };
        match problem {
            None => {
                valid += 1;
                println!("valid {file}");
            }
            Some(reason) => println!("invalid {file}: {reason}"),
        }
    }
    println!("{valid} of {} documents validate", files.len());
    Ok(valid == files.len())
}

fn introspect(url: &str, token: &str) -> anyhow::Result<Value> {
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let answer: Value = runtime.block_on(async {
        let response = reqwest::Client::new()
            .post(url)
            .bearer_auth(token)
            .json(&serde_json::json!({"query": INTROSPECTION}))
            .send()
            .await?;
        response.json::<Value>().await
    })?;
    if let Some(errors) = answer.get("errors") {
        bail!("introspection failed: {errors}");
    }
    Ok(answer["data"]["__schema"].clone())
}

/// `String!`, `[Project!]!`… from an introspection type reference.
fn type_ref(reference: &Value) -> anyhow::Result<String> {
    match reference["kind"].as_str() {
        Some("NON_NULL") => Ok(format!("{}!", type_ref(&reference["ofType"])?)),
        Some("LIST") => Ok(format!("[{}]", type_ref(&reference["ofType"])?)),
        _ => reference["name"].as_str().map(str::to_string).context("a type reference without a name"),
    }
}

fn names(values: &Value) -> Vec<&str> {
    values.as_array().into_iter().flatten().filter_map(|value| value["name"].as_str()).collect()
}

fn input_value(value: &Value) -> anyhow::Result<String> {
    let name = value["name"].as_str().context("an input value without a name")?;
    let default = value["defaultValue"].as_str().map(|default| format!(" = {default}")).unwrap_or_default();
    Ok(format!("{name}: {}{default}", type_ref(&value["type"])?))
}

/// Renders an introspection result as SDL.
fn sdl_from_introspection(schema: &Value) -> anyhow::Result<String> {
    let mut sdl = String::from("schema {\n");
    for (root, key) in [("query", "queryType"), ("mutation", "mutationType"), ("subscription", "subscriptionType")] {
        if let Some(name) = schema[key]["name"].as_str() {
            sdl.push_str(&format!("  {root}: {name}\n"));
        }
    }
    sdl.push_str("}\n");
    for ty in schema["types"].as_array().context("no types")? {
        let name = ty["name"].as_str().context("a type without a name")?;
        if name.starts_with("__") || BUILT_IN_SCALARS.contains(&name) {
            continue;
        }
        let fields = |key: &str| -> anyhow::Result<String> {
            let mut body = String::new();
            for field in ty[key].as_array().into_iter().flatten() {
                let line = if key == "inputFields" {
                    input_value(field)?
                } else {
                    let args: Vec<String> =
                        field["args"].as_array().into_iter().flatten().map(input_value).collect::<Result<_, _>>()?;
                    let args = if args.is_empty() { String::new() } else { format!("({})", args.join(", ")) };
                    format!(
                        "{}{args}: {}",
                        field["name"].as_str().context("a field without a name")?,
                        type_ref(&field["type"])?
                    )
                };
                body.push_str(&format!("  {line}\n"));
            }
            Ok(body)
        };
        let interfaces = names(&ty["interfaces"]);
        let implements =
            if interfaces.is_empty() { String::new() } else { format!(" implements {}", interfaces.join(" & ")) };
        match ty["kind"].as_str() {
            Some("SCALAR") => sdl.push_str(&format!("scalar {name}\n")),
            Some("OBJECT") => sdl.push_str(&format!("type {name}{implements} {{\n{}}}\n", fields("fields")?)),
            Some("INTERFACE") => sdl.push_str(&format!("interface {name}{implements} {{\n{}}}\n", fields("fields")?)),
            Some("INPUT_OBJECT") => sdl.push_str(&format!("input {name} {{\n{}}}\n", fields("inputFields")?)),
            Some("UNION") => sdl.push_str(&format!("union {name} = {}\n", names(&ty["possibleTypes"]).join(" | "))),
            Some("ENUM") => {
                let values: Vec<String> =
                    names(&ty["enumValues"]).into_iter().map(|value| format!("  {value}\n")).collect();
                sdl.push_str(&format!("enum {name} {{\n{}}}\n", values.concat()));
            }
            other => bail!("type {name} has an unknown kind {other:?}"),
        }
    }
    Ok(sdl)
}
