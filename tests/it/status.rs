//! `railform status` (issue 15): every declared service in every environment with its latest
//! deployment, age and public URL, in one request per project (two when found by name), and the
//! per-environment fallback when Railway refuses the whole project in one document.

use serde_json::Value;

use crate::harness::{Emulator, Workspace};

const SHOP: &str = r#"
project = "shop"
environment = "production"

[services.db]
image = "postgres:16"

[services.api]
image = "ghcr.io/acme/api:1"
[services.api.variables]
DB_HOST = "$<<db.RAILWAY_PRIVATE_DOMAIN>>"
[services.api.networking]
railway_domain = { port = 8000 }
"#;

fn status_json(workspace: &Workspace) -> Vec<Value> {
    let run = workspace.run(&["status", "--format", "json"]).expect(0);
    let document: Value = serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("{e}: {}", run.stdout));
    assert_eq!(document["format_version"], 1);
    document["services"].as_array().expect("services").clone()
}

fn field<'v>(services: &'v [Value], service: &str, name: &str) -> &'v Value {
    &services.iter().find(|s| s["service"] == service).unwrap_or_else(|| panic!("{service} in {services:?}"))[name]
}

#[test]
fn status_follows_a_service_from_not_created_to_deployed() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", SHOP);

    let before = status_json(&workspace);
    assert_eq!(before.len(), 2);
    assert!(before.iter().all(|s| s["status"] == "NOT CREATED" && s["environment"] == "production"), "{before:?}");

    workspace.run(&["apply", "--yes", "--no-deploy"]).expect(0);
    let written = status_json(&workspace);
    assert_eq!(field(&written, "api", "status"), "NOT DEPLOYED");
    let url = field(&written, "api", "url").as_str().expect("api has its Railway domain").to_string();
    assert!(url.starts_with("https://") && url.ends_with(".up.railway.app"), "{url}");
    assert_eq!(field(&written, "db", "url"), &Value::Null);

    workspace.run(&["apply", "--yes", "--wait"]).expect(0);
    emulator.reset_stats();
    let deployed = status_json(&workspace);
    assert_eq!(emulator.stats()["requests"], 2, "find the project by name, then read it whole");
    let live: Vec<String> = emulator.deployments().iter().map(|d| d["id"].as_str().unwrap().to_string()).collect();
    for service in ["db", "api"] {
        assert_eq!(field(&deployed, service, "status"), "SUCCESS", "{deployed:?}");
        let id = field(&deployed, service, "deployment_id").as_str().unwrap().to_string();
        assert!(live.contains(&id), "{id} is one of {live:?}");
        assert!(field(&deployed, service, "deployed_at").as_str().is_some_and(|at| at.ends_with('Z')));
    }

    let table = workspace.run(&["status"]).expect(0).stdout;
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("ENVIRONMENT") && lines[0].contains("URL"), "{table}");
    assert!(lines.iter().any(|l| l.contains("api") && l.contains("SUCCESS") && l.contains(&url)), "{table}");
    assert!(table.contains("2 service(s), all deployed."), "{table}");
}

#[test]
fn a_failed_deployment_shows_as_not_running_what_the_files_say() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", SHOP);
    emulator.fail_deploys("service=api");
    workspace.run(&["apply", "--yes", "--wait"]).expect(1);
    let services = status_json(&workspace);
    assert_eq!(field(&services, "api", "status"), "FAILED");
    assert_eq!(field(&services, "db", "status"), "SUCCESS");
    let table = workspace.run(&["status"]).expect(0).stdout;
    assert!(table.contains("2 service(s), 1 not running what the files say."), "{table}");
}

#[test]
fn a_refused_whole_project_read_falls_back_to_one_read_per_environment() {
    // One environment's config per request, not the whole project's.
    let emulator = Emulator::builder().max_configs(1).start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", SHOP);
    workspace.file("environments/staging.toml", &SHOP.replace("\"production\"", "\"staging\""));
    workspace.run(&["apply", "--yes", "--wait"]).expect(0);

    emulator.reset_stats();
    let plan = workspace.run(&["plan", "--detailed-exitcode", "-v"]).expect(0);
    assert!(plan.stderr.contains("ProjectState was refused"), "{}", plan.stderr);
    assert!(plan.stderr.contains("one EnvironmentState request per environment"), "{}", plan.stderr);
    // Find by name, the refused document, the outline, then each of the 2 environments.
    assert_eq!(emulator.stats()["requests"], 1 + 1 + 1 + 2, "{}", emulator.stats());

    // The fallback still carries deployments: status and pending deploys see them.
    let services = status_json(&workspace);
    assert_eq!(services.len(), 4);
    assert!(services.iter().all(|s| s["status"] == "SUCCESS"), "{services:?}");
}
