//! `railform plan` against the emulator over HTTP: the operators' rename scenario, drift after a
//! hand edit, secrets in every format, and the constant number of requests per plan.

use serde_json::{json, Value};

use crate::harness::{Emulator, Workspace};
use crate::seed::{
    create_environment, create_project, create_service, operators_project, operators_workspace, upsert_variables,
    JWT_VALUE, SEEDED_PASSWORD,
};

/// A password inside a live value that no file declares, in an environment with no file.
const UNDECLARED_SECRET: &str = "HUNTER2-undeclared-zq";

const SECRETS: [&str; 4] = [SEEDED_PASSWORD, JWT_VALUE, "sensitive-literal-Q9zW", UNDECLARED_SECRET];

fn assert_no_secret(what: &str, text: &str) {
    for secret in SECRETS {
        assert!(!text.contains(secret), "{what} shows the secret {secret}:\n{text}");
    }
}

#[test]
fn the_rename_is_planned_with_a_rewrite_in_every_environment_and_no_secret_shows() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    upsert_variables(
        &emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.staging, "serviceId": seeded.api, "skipDeploys": true,
               "variables": {"LEGACY_URL": format!("postgres://u:{UNDECLARED_SECRET}@${{{{Postgres-OG9n.PGHOST}}}}:5432")}}),
    );
    let workspace = operators_workspace(&emulator);

    let text = workspace.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(text.stdout.contains("rename service platform-db: Postgres-OG9n → platform-db"), "{}", text.stdout);
    for environment in ["dev", "staging"] {
        let line = format!(
            "~ rewrite reference {environment}/platform-api/DATABASE_URL: ${{{{Postgres-OG9n.DATABASE_URL}}}} → ${{{{platform-db.DATABASE_URL}}}}"
        );
        assert!(text.stdout.contains(&line), "missing `{line}` in\n{}", text.stdout);
    }
    assert!(text.stdout.contains("Plan: 2 to add, 3 to change, 0 to destroy, 1 to rename."), "{}", text.stdout);

    let json_run = workspace.run(&["plan", "--format", "json", "--show-values"]).expect(0);
    let document: Value = serde_json::from_str(&json_run.stdout).unwrap();
    assert_eq!(document["format_version"], 2);
    let rewrites: Vec<&str> = document["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["action"] == "rewrite")
        .map(|c| c["address"].as_str().unwrap())
        .collect();
    assert_eq!(
        rewrites,
        ["dev/platform-api/DATABASE_URL", "staging/platform-api/DATABASE_URL", "staging/platform-api/LEGACY_URL"]
    );
    let sensitive: Vec<&Value> =
        document["changes"].as_array().unwrap().iter().filter(|c| c["sensitive"] == true).collect();
    assert_eq!(sensitive.len(), 2);
    assert!(sensitive.iter().all(|c| c["after"] == "(sensitive)"));

    let markdown = workspace.run(&["plan", "--format", "markdown", "--show-values"]).expect(0);
    assert!(markdown.stdout.contains("### railform plan"));
    workspace.run(&["plan", "--out", "saved.json"]).expect(0);
    let saved = std::fs::read_to_string(workspace.path().join("saved.json")).unwrap();
    let verbose = workspace.run(&["-v", "plan", "--show-values"]).expect(0);
    for (what, output) in [
        ("text", text.stdout + &text.stderr),
        ("json", json_run.stdout),
        ("markdown", markdown.stdout),
        ("saved plan", saved),
        ("-v", verbose.stdout + &verbose.stderr),
    ] {
        assert_no_secret(what, &output);
    }
}

#[test]
fn a_hand_edit_after_apply_is_drift_and_an_untouched_project_is_not() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    workspace.run(&["apply", "--yes"]).expect(0);
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);

    // Someone changes PORT and adds DEBUG in the dashboard.
    upsert_variables(
        &emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.dev, "serviceId": seeded.api,
               "variables": {"PORT": "9000", "DEBUG": "1"}}),
    );
    let drift = workspace.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(drift.stdout.contains("variable dev/platform-api/PORT"), "{}", drift.stdout);
    assert!(drift.stdout.contains("? dev/platform-api/DEBUG"), "{}", drift.stdout);
    assert!(drift.stdout.contains("Plan: 0 to add, 1 to change, 0 to destroy, 0 to rename."), "{}", drift.stdout);
    // Values are hidden unless asked for.
    assert!(!drift.stdout.contains("9000"), "{}", drift.stdout);
    let shown = workspace.run(&["plan", "--show-values"]).expect(0);
    assert!(shown.stdout.contains("9000 → 8000"), "{}", shown.stdout);
}

/// Seeds `environments` × `services` × `variables` and returns the matching environment files.
fn seed_large_project(emulator: &Emulator, services: usize, variables: usize) -> Vec<(String, String)> {
    let project = create_project(emulator, "big");
    let mut environments = vec![("production".to_string(), project.production.clone())];
    for name in ["dev", "staging"] {
        environments.push((name.to_string(), create_environment(emulator, &project, name)));
    }
    let mut files: Vec<(String, String)> = environments
        .iter()
        .map(|(name, _)| {
            (format!("environments/{name}.toml"), format!("project = \"big\"\nenvironment = \"{name}\"\n"))
        })
        .collect();
    for index in 0..services {
        let name = format!("svc-{index:03}");
        let id = create_service(emulator, json!({"projectId": project.id, "name": name}));
        let values: serde_json::Map<String, Value> = (0..variables)
            .map(|v| {
                let value = if v == 0 && index > 0 {
                    format!("${{{{svc-{:03}.VAR_01}}}}", index - 1)
                } else {
                    format!("value-{index}-{v}")
                };
                (format!("VAR_{v:02}"), Value::String(value))
            })
            .collect();
        for ((_, environment_id), (_, file)) in environments.iter().zip(files.iter_mut()) {
            upsert_variables(
                emulator,
                json!({"projectId": project.id, "environmentId": environment_id, "serviceId": id,
                       "skipDeploys": true, "variables": values}),
            );
            file.push_str(&format!("\n[services.{name}.variables]\n"));
            for (key, value) in &values {
                let value = value.as_str().unwrap().replace("${{", "$<<").replace("}}", ">>");
                file.push_str(&format!("{key} = \"{value}\"\n"));
            }
        }
    }
    files
}

#[test]
fn a_plan_of_3_environments_by_50_services_by_20_variables_costs_2_requests_or_1_when_pinned() {
    let emulator = Emulator::start();
    let files = seed_large_project(&emulator, 50, 20);
    let workspace = Workspace::new(&emulator);
    for (name, text) in &files {
        workspace.file(name, text);
    }
    emulator.reset_stats();
    let run = workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert!(run.stdout.contains("No changes."), "{}", run.stdout);
    let stats = emulator.stats();
    assert_eq!(stats, json!({"requests": 2, "operations": {"MyProjects": 1, "ProjectState": 1}}), "{stats}");

    // With project_id pinned, the project is read in one request.
    let found = emulator.data("query { projects { edges { node { id name } } } }", json!({}));
    let id = found["projects"]["edges"][0]["node"]["id"].as_str().expect("the project's id").to_string();
    for (name, text) in &files {
        workspace.file(name, &text.replacen("project = \"", &format!("project_id = \"{id}\"\nproject = \""), 1));
    }
    emulator.reset_stats();
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert_eq!(emulator.stats(), json!({"requests": 1, "operations": {"ProjectState": 1}}));
}
