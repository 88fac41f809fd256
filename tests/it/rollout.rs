//! Deployments as an orchestrator sees them (issue 15): deploys follow the reference graph, a
//! failed deployment stops its dependents and exits 1 naming it, `--rollback-on-failure` puts
//! the previous deployment back, a rerun after a fixed failure converges, `--no-deploy` deploys
//! nothing. Against the emulator with `--deploy-seconds`, over HTTP.

use serde_json::{json, Value};

use crate::harness::{Emulator, Workspace};

/// db ← api ← worker, and a cron that reads nothing.
const LAYERED: &str = r#"
project = "shop"
environment = "production"

[services.db]
image = "postgres:16"
[services.db.variables]
PGPORT = "5432"

[services.api]
image = "ghcr.io/acme/api:1"
[services.api.variables]
DB_PORT = "$<<db.PGPORT>>"

[services.worker]
image = "ghcr.io/acme/worker:1"
[services.worker.variables]
API_HOST = "$<<api.RAILWAY_PRIVATE_DOMAIN>>"

[services.cron]
image = "ghcr.io/acme/cron:1"
"#;

/// Every deployment of the project: (service name, id, status, createdAt), oldest first.
fn deployments(emulator: &Emulator) -> Vec<(String, String, String, String)> {
    let found =
        emulator.data("query { projects { edges { node { services { edges { node { id name } } } } } } }", json!({}));
    let services: Vec<(String, String)> = found["projects"]["edges"][0]["node"]["services"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["node"]["id"].as_str().unwrap().to_string(), e["node"]["name"].as_str().unwrap().to_string()))
        .collect();
    let mut all = Vec::new();
    for (id, name) in services {
        let answer = emulator.data(
            "query($s: String!) { deployments(input: {serviceId: $s}, first: 50) { edges { node { id status createdAt } } } }",
            json!({"s": id}),
        );
        for edge in answer["deployments"]["edges"].as_array().unwrap() {
            let node: &Value = &edge["node"];
            all.push((
                name.clone(),
                node["id"].as_str().unwrap().to_string(),
                node["status"].as_str().unwrap().to_string(),
                node["createdAt"].as_str().unwrap().to_string(),
            ));
        }
    }
    all.sort_by(|a, b| a.3.cmp(&b.3));
    all
}

fn started_at(all: &[(String, String, String, String)], service: &str) -> String {
    all.iter().find(|d| d.0 == service).map(|d| d.3.clone()).unwrap_or_else(|| panic!("{service} deployed: {all:?}"))
}

#[test]
fn deploys_follow_the_reference_graph_and_wait_for_success() {
    let emulator = Emulator::builder().deploy_seconds(0.6).start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", LAYERED);
    let run = workspace.run(&["apply", "--yes", "--wait"]).expect(0);
    let all = deployments(&emulator);
    assert!(all.iter().all(|d| d.2 == "SUCCESS"), "{all:?}");
    let (db, api, worker) = (started_at(&all, "db"), started_at(&all, "api"), started_at(&all, "worker"));
    assert!(db < api && api < worker, "db {db}, api {api}, worker {worker}");
    // The independent cron starts with the first layer, not after the others.
    assert!(started_at(&all, "cron") < api, "{all:?}");
    assert!(run.stderr.contains("production/api: SUCCESS"), "{}", run.stderr);
}

#[test]
fn a_failed_middle_service_stops_its_dependents_and_a_fixed_rerun_converges() {
    let emulator = Emulator::builder().deploy_seconds(0.3).start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", LAYERED);
    emulator.fail_deploys("service=api");
    let run = workspace.run(&["apply", "--yes", "--wait"]).expect(1);
    assert!(run.stderr.contains("environment production, service api: FAILED (deployment "), "{}", run.stderr);
    assert!(run.stderr.contains("environment production, service worker: NOT STARTED"), "{}", run.stderr);
    let all = deployments(&emulator);
    assert!(!all.iter().any(|d| d.0 == "worker"), "worker must not deploy after api failed: {all:?}");

    // Fixed: the next plan sees what is left to deploy, and apply converges.
    emulator.clear_fail_deploys("");
    let plan = workspace.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("deploy production/api"), "{}", plan.stdout);
    assert!(plan.stdout.contains("deploy production/worker"), "{}", plan.stdout);
    workspace.run(&["apply", "--yes", "--wait"]).expect(0);
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn rollback_on_failure_leaves_the_previous_deployment_active() {
    let emulator = Emulator::builder().deploy_seconds(0.2).start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", LAYERED);
    workspace.run(&["apply", "--yes", "--wait"]).expect(0);
    let first_api = deployments(&emulator).into_iter().find(|d| d.0 == "api").expect("api deployed").1;

    workspace.file("environments/production.toml", &LAYERED.replace("ghcr.io/acme/api:1", "ghcr.io/acme/api:2"));
    emulator.fail_deploys("service=api");
    let run = workspace.run(&["apply", "--yes", "--wait", "--rollback-on-failure"]).expect(1);
    assert!(run.stderr.contains(&format!("rolled back to {first_api}")), "{}", run.stderr);
    // The rollback is started, not followed: it ends within a deploy's time.
    std::thread::sleep(std::time::Duration::from_millis(800));
    let latest = deployments(&emulator).into_iter().rfind(|d| d.0 == "api").expect("api");
    assert_eq!(latest.2, "SUCCESS", "the rollback is the active deployment: {latest:?}");
}

#[test]
fn no_deploy_deploys_nothing_and_the_next_plan_says_what_is_left() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", LAYERED);
    workspace.run(&["apply", "--yes", "--no-deploy"]).expect(0);
    assert!(deployments(&emulator).is_empty(), "{:?}", deployments(&emulator));
    let plan = workspace.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(plan.stdout.contains("never deployed"), "{}", plan.stdout);
}

fn apply_document(run: &crate::harness::Run) -> Value {
    serde_json::from_str(&run.stdout).unwrap_or_else(|e| panic!("stdout is one JSON document ({e}):\n{}", run.stdout))
}

#[test]
fn apply_format_json_reports_the_changes_made_and_every_deployment_for_ci() {
    let emulator = Emulator::builder().deploy_seconds(0.2).start();
    let mut workspace = Workspace::new(&emulator);
    workspace.env("API_KEY", "k-1234-very-secret");
    let with_secret = LAYERED.replace(
        "API_HOST = \"$<<api.RAILWAY_PRIVATE_DOMAIN>>\"",
        "API_HOST = \"$<<api.RAILWAY_PRIVATE_DOMAIN>>\"\nAPI_KEY = { from_env = \"API_KEY\" }",
    );
    workspace.file("environments/production.toml", &with_secret);
    let run = workspace.run(&["apply", "--yes", "--wait", "--format", "json"]).expect(0);
    let document = apply_document(&run);
    assert_eq!(document["outcome"], "applied");
    assert_eq!(document["error"], Value::Null);
    let deployments = document["deployments"].as_array().unwrap();
    assert_eq!(deployments.len(), 4, "{deployments:?}");
    assert!(deployments.iter().all(|d| d["status"] == "SUCCESS" && d["deployment_id"].is_string()), "{deployments:?}");
    let changes = document["changes"].as_array().unwrap();
    assert!(changes.iter().any(|c| c["address"] == "production/worker/API_KEY" && c["after"] == "(sensitive)"));
    assert_eq!(document["summary"]["deploy"], 4);
    assert!(!run.stdout.contains("k-1234") && !run.stderr.contains("k-1234"), "a secret printed");
    // The plan went to stderr, so stdout holds the document alone.
    assert!(run.stderr.contains("Plan:"), "{}", run.stderr);

    let again = workspace.run(&["apply", "--yes", "--format", "json"]).expect(0);
    assert_eq!(apply_document(&again)["outcome"], "no_changes");
}

#[test]
fn apply_format_json_names_the_failed_deployment() {
    let emulator = Emulator::builder().deploy_seconds(0.2).start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", LAYERED);
    emulator.fail_deploys("service=api");
    let run = workspace.run(&["apply", "--yes", "--wait", "--format", "json"]).expect(1);
    let document = apply_document(&run);
    assert_eq!(document["outcome"], "failed");
    let status = |service: &str| {
        document["deployments"].as_array().unwrap().iter().find(|d| d["service"] == service).unwrap()["status"].clone()
    };
    assert_eq!(status("api"), "FAILED");
    assert_eq!(status("worker"), "NOT STARTED");
    assert_eq!(status("db"), "SUCCESS");
    assert!(document["error"].as_str().unwrap().contains("service api: FAILED"), "{document}");
    // What was written before the deploys is in the changes, and so are the deploys that succeeded.
    let changes: Vec<&str> =
        document["changes"].as_array().unwrap().iter().map(|c| c["address"].as_str().unwrap()).collect();
    assert!(changes.contains(&"api") && changes.contains(&"production/api/DB_PORT"), "{changes:?}");
    assert!(document["error"].as_str().unwrap().contains("\n  environment production, service worker"), "{document}");
}

#[test]
fn renames_redeploy_what_they_rename_so_the_next_plan_is_clean() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", LAYERED);
    workspace.run(&["apply", "--yes", "--wait"]).expect(0);
    let before = deployments(&emulator).len();

    // The environment and `db` renamed: what a new deployment of any instance there sees changes
    // (RAILWAY_ENVIRONMENT_NAME, RAILWAY_SERVICE_NAME), so every running instance deploys again.
    let renamed = LAYERED
        .replace("environment = \"production\"", "environment = { name = \"prod\", renamed_from = [\"production\"] }")
        .replace("[services.db]\n", "[services.platform-db]\nrenamed_from = [\"db\"]\n")
        .replace("[services.db.variables]", "[services.platform-db.variables]")
        .replace("$<<db.PGPORT>>", "$<<platform-db.PGPORT>>");
    workspace.file("environments/production.toml", &renamed);
    let plan = workspace.run(&["plan"]).expect(0);
    assert!(plan.stdout.contains("deploy prod/cron"), "cron only sees its environment renamed:\n{}", plan.stdout);
    workspace.run(&["apply", "--yes", "--wait"]).expect(0);
    assert_eq!(deployments(&emulator).len(), before + 4, "{:?}", deployments(&emulator));
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_deploy_whose_answer_was_lost_is_never_started_twice() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", LAYERED);
    // Railway starts the deployment and the answer never arrives (a proxy timed out): the
    // rollout reads the latest deployment and finds it, instead of deploying again.
    emulator.lose_answers("ServiceInstanceDeployV2", 2);
    workspace.run(&["apply", "--yes", "--wait"]).expect(0);
    let all = deployments(&emulator);
    let mut services: Vec<&str> = all.iter().map(|d| d.0.as_str()).collect();
    services.sort();
    assert_eq!(services, ["api", "cron", "db", "worker"], "one deployment each: {all:?}");
    assert_eq!(emulator.stats()["faults"]["lost"], 2, "{}", emulator.stats());
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn on_a_terminal_each_deployment_has_a_live_line() {
    // `script` gives railform a terminal (util-linux; Debian has it).
    if std::process::Command::new("script").arg("--version").output().is_err() {
        eprintln!("skipped: no `script` to give railform a terminal");
        return;
    }
    let emulator = Emulator::builder().deploy_seconds(1.0).start();
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/production.toml", LAYERED);
    let command = format!("{} apply --yes --color never", env!("CARGO_BIN_EXE_railform"));
    let output = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .current_dir(workspace.path())
        .env("RAILFORM_ENDPOINT", emulator.url())
        .env("NO_COLOR", "1")
        .env_remove("RAILWAY_API_TOKEN")
        .env_remove("RAILWAY_TOKEN")
        .output()
        .expect("run railform on a terminal");
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    // A live line ticks with the deployment's own clock, `(1s)`, while it runs…
    assert!(
        shown.contains("production/api: BUILDING deployment") || shown.contains("production/api: DEPLOYING deployment"),
        "{shown}"
    );
    assert!(shown.contains("s)"), "{shown}");
    // …and keeps its end: the status and the time it took (the terminal waits by default).
    assert!(shown.contains("production/worker: SUCCESS ("), "{shown}");
    assert!(shown.contains("Apply complete"), "{shown}");
}
