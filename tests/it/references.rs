//! References end to end against the emulator: spelled with spaces they are the same reference,
//! and the `$$` escape reaches Railway as the text it stands for and comes back through import.

use serde_json::json;

use crate::harness::{Emulator, Workspace};
use crate::seed::{operators_project, services, upsert_variables, variables, Project, JWT_VALUE, OPERATORS_DEV_TOML};

#[test]
fn a_live_reference_spelled_with_spaces_is_planned_as_a_rewrite_not_an_update() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    upsert_variables(
        &emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.dev, "serviceId": seeded.api, "skipDeploys": true,
               "variables": {"DATABASE_URL": "${{ Postgres-OG9n.DATABASE_URL }}"}}),
    );
    let mut workspace = Workspace::new(&emulator);
    workspace.file("environments/dev.toml", OPERATORS_DEV_TOML);
    workspace.env("TEST_JWT_SECRET", JWT_VALUE);
    let plan = workspace.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("~ rewrite reference dev/platform-api/DATABASE_URL"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("variable dev/platform-api/DATABASE_URL"), "not an update:\n{}", plan.stdout);

    workspace.run(&["apply", "--yes"]).expect(0);
    // Spaces or none, the same reference: nothing left to change. (Written as the dashboard
    // does, deploying: the instance then runs what it holds.)
    upsert_variables(
        &emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.dev, "serviceId": seeded.api, "skipDeploys": false,
               "variables": {"DATABASE_URL": "${{  platform-db.DATABASE_URL }}"}}),
    );
    let plan = workspace.run(&["plan", "environments/dev.toml", "--detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[test]
fn escaped_brackets_reach_railway_as_text_and_import_writes_them_back() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    workspace.file(
        "environments/dev.toml",
        r#"project = "shop"
environment = "production"

[shared]
PRICE = "5"

[services.api]
image = "nginx"

[services.api.variables]
DOCS = "write $$<<Service.VAR>> in railform files; it costs $$$<<shared.PRICE>>"
RAW = "$${{ never closed"
"#,
    );
    workspace.run(&["validate"]).expect(0);
    workspace.run(&["apply", "--yes"]).expect(0);

    let project = Project { id: project_id(&emulator), production: production_id(&emulator) };
    let (api, _) = services(&emulator, &project).into_iter().find(|(_, name)| name == "api").expect("api");
    let stored = variables(&emulator, &project, &project.production, Some(&api), true);
    assert_eq!(stored["DOCS"], "write $<<Service.VAR>> in railform files; it costs $${{shared.PRICE}}");
    assert_eq!(stored["RAW"], "${{ never closed");
    let rendered = variables(&emulator, &project, &project.production, Some(&api), false);
    assert_eq!(rendered["DOCS"], "write $<<Service.VAR>> in railform files; it costs $5");
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);

    // Someone adds a reference to nothing in the dashboard: import keeps it, unchecked.
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api, "skipDeploys": true,
               "variables": {"DANGLING": "${{nosuch.X}}", "CYCLE_A": "${{CYCLE_B}}", "CYCLE_B": "${{CYCLE_A}}"}}),
    );
    let run = workspace
        .run(&["import", "--project", "shop", "--environment", "production", "--output", "environments/dev.toml"])
        .expect(0);
    let file = std::fs::read_to_string(workspace.path().join("environments/dev.toml")).expect("imported");
    assert!(
        file.contains(r#"DOCS = "write $$<<Service.VAR>> in railform files; it costs $$$<<shared.PRICE>>""#),
        "{file}"
    );
    assert!(file.contains(r#"RAW = "$${{ never closed""#), "{file}\n{}", run.stderr);
    assert!(file.contains(r#"DANGLING = "$${{nosuch.X}}""#), "{file}");
    assert!(file.contains(r#"CYCLE_A = "$${{CYCLE_B}}""#) && file.contains(r#"CYCLE_B = "$<<CYCLE_A>>""#), "{file}");
    workspace.run(&["validate"]).expect(0);
    // The dashboard edit was written with skipDeploys: nothing to change, one deploy pending.
    let plan = workspace.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("No changes; 1 deploy(s) pending."), "{}", plan.stdout);
}

fn project_id(emulator: &Emulator) -> String {
    let data = emulator.data("query { projects { edges { node { id name } } } }", json!({}));
    data["projects"]["edges"][0]["node"]["id"].as_str().expect("a project").to_string()
}

fn production_id(emulator: &Emulator) -> String {
    let data = emulator.data(
        "query($id: String!) { project(id: $id) { environments { edges { node { id name } } } } }",
        json!({"id": project_id(emulator)}),
    );
    data["project"]["environments"]["edges"][0]["node"]["id"].as_str().expect("production").to_string()
}
