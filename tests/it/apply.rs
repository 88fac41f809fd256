//! `railform apply` against the emulator over HTTP: the operators' rename under both of the
//! emulator's rename policies, provisioning the example project from nothing, finishing an
//! interrupted apply, and refusing a stale saved plan without writing.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::harness::{Emulator, Workspace};
use crate::seed::{
    broken_references, example_files, operators_project, operators_workspace, rename_service, text, upsert_variables,
    variables, JWT_VALUE, OPERATORS_DEV_TOML,
};

/// Deployments recorded after the first `skip` ones, with their unresolved references.
fn deployments_since(emulator: &Emulator, skip: usize) -> Vec<Value> {
    emulator.deployments().into_iter().skip(skip).collect()
}

fn assert_resolved_and_deployed_once(deployments: &[Value]) {
    let mut per_instance: BTreeMap<(String, String), usize> = BTreeMap::new();
    for deployment in deployments {
        assert_eq!(
            broken_references(deployment),
            Vec::<String>::new(),
            "a deployment saw a broken reference: {deployment}"
        );
        let key = (text(&deployment["environment_name"]), text(&deployment["service_name"]));
        *per_instance.entry(key).or_default() += 1;
    }
    for (instance, count) in per_instance {
        assert_eq!(count, 1, "{instance:?} was deployed {count} times");
    }
}

fn rename_scenario(policy: &str) {
    let emulator = Emulator::builder().rename_policy(policy).start();
    let seeded = operators_project(&emulator);
    // A value no file declares, in an environment with no file: rewritten all the same.
    upsert_variables(
        &emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.staging, "serviceId": seeded.api,
               "skipDeploys": true, "variables": {"LEGACY_URL": "postgres://u:pw@${{Postgres-OG9n.RAILWAY_PRIVATE_DOMAIN}}:5432"}}),
    );
    let workspace = operators_workspace(&emulator);
    let before = emulator.deployments().len();

    workspace.run(&["apply", "--yes"]).expect(0);

    let service = emulator.data("query S($id: String!) { service(id: $id) { id name } }", json!({"id": seeded.db}));
    assert_eq!(service["service"]["name"], "platform-db", "the service keeps its id");
    for environment in [&seeded.dev, &seeded.staging] {
        let raw = variables(&emulator, &seeded.project, environment, Some(&seeded.api), true);
        assert_eq!(raw["DATABASE_URL"], "${{platform-db.DATABASE_URL}}", "policy {policy}");
        let rendered = variables(&emulator, &seeded.project, environment, Some(&seeded.api), false);
        assert!(text(&rendered["DATABASE_URL"]).starts_with("postgresql://postgres:"), "{rendered}");
    }
    let staging = variables(&emulator, &seeded.project, &seeded.staging, Some(&seeded.api), true);
    assert_eq!(
        staging["LEGACY_URL"], "postgres://u:pw@${{platform-db.RAILWAY_PRIVATE_DOMAIN}}:5432",
        "policy {policy}"
    );
    let deployments = deployments_since(&emulator, before);
    assert_resolved_and_deployed_once(&deployments);
    let deployed: Vec<String> = deployments.iter().map(|d| text(&d["environment_name"])).collect();
    assert!(deployed.contains(&"staging".to_string()), "the staging rewrite is deployed: {deployed:?}");
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_rename_keeps_the_service_and_leaves_no_broken_reference_when_railway_keeps_references() {
    rename_scenario("keep");
}

#[test]
fn a_rename_keeps_the_service_and_leaves_no_broken_reference_when_railway_rewrites_references() {
    rename_scenario("rewrite");
}

#[test]
fn the_example_project_is_provisioned_from_nothing_in_one_apply() {
    let emulator = Emulator::start();
    let mut workspace = Workspace::new(&emulator);
    for (name, text) in example_files() {
        workspace.file(&format!("environments/{name}"), &text);
    }
    for secret in ["DEV_JWT_SECRET", "STAGING_JWT_SECRET", "PROD_JWT_SECRET"] {
        workspace.env(secret, &format!("{secret}-value"));
    }
    workspace.run(&["apply", "--yes"]).expect(0);

    let projects = emulator.data(
        "query { projects { edges { node { id name environments { edges { node { id name } } } } } } }",
        json!({}),
    );
    let project = &projects["projects"]["edges"][0]["node"];
    assert_eq!(project["name"], "platform");
    let mut environments: Vec<String> =
        project["environments"]["edges"].as_array().unwrap().iter().map(|e| text(&e["node"]["name"])).collect();
    environments.sort();
    assert_eq!(environments, ["dev", "prod", "staging"], "Railway's first environment became prod");
    for edge in project["environments"]["edges"].as_array().unwrap() {
        let id = text(&edge["node"]["id"]);
        let config = emulator.data(
            "query C($id: String!) { environment(id: $id) { config(decryptVariables: true) } }",
            json!({"id": id}),
        );
        let services = config["environment"]["config"]["services"].as_object().unwrap();
        assert_eq!(services.len(), 4);
        let postgres = services
            .values()
            .find(|s| s["source"]["image"] == "ghcr.io/railwayapp-templates/postgres-ssl:16")
            .expect("each environment has its own Postgres");
        let mounts: Vec<&Value> = postgres["volumeMounts"].as_object().unwrap().values().collect();
        assert_eq!(mounts[0]["mountPath"], "/var/lib/postgresql/data");
        assert_eq!(text(&postgres["variables"]["POSTGRES_PASSWORD"]["value"]).len(), 32, "a generated password");
    }
    assert_resolved_and_deployed_once(&emulator.deployments());
    assert_eq!(emulator.deployments().len(), 12, "one deploy per instance");
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
    // A second apply changes nothing and writes nothing.
    emulator.reset_stats();
    workspace.run(&["apply", "--yes"]).expect(0);
    let operations = emulator.stats()["operations"].as_object().unwrap().clone();
    assert!(operations.keys().all(|name| name == "MyProjects" || name == "ProjectState"), "{operations:?}");
}

#[test]
fn an_apply_cut_off_after_its_rename_is_finished_by_the_next_one() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    // What an apply killed right after its rename leaves: the new name, dangling references.
    rename_service(&emulator, &seeded.db, "platform-db");
    let deployments = emulator.deployments().len();

    let run = workspace.run(&["apply", "--yes"]).expect(0);
    assert!(!run.stdout.contains("rename service"), "the rename is not planned twice:\n{}", run.stdout);
    for environment in [&seeded.dev, &seeded.staging] {
        let raw = variables(&emulator, &seeded.project, environment, Some(&seeded.api), true);
        assert_eq!(raw["DATABASE_URL"], "${{platform-db.DATABASE_URL}}");
    }
    assert_resolved_and_deployed_once(&deployments_since(&emulator, deployments));
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_stale_saved_plan_is_refused_without_a_single_write() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    workspace.run(&["plan", "--out", "plan.json"]).expect(0);
    upsert_variables(
        &emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.dev, "serviceId": seeded.api,
               "skipDeploys": true, "variables": {"PORT": "9000"}}),
    );
    emulator.reset_stats();
    let run = workspace.run(&["apply", "--plan", "plan.json", "--yes"]).expect(1);
    assert!(run.stderr.contains("stale"), "{}", run.stderr);
    let operations = emulator.stats()["operations"].as_object().unwrap().clone();
    assert!(operations.keys().all(|name| name == "MyProjects" || name == "ProjectState"), "{operations:?}");

    // A fresh saved plan applies.
    workspace.run(&["plan", "--out", "plan.json"]).expect(0);
    workspace.run(&["apply", "--plan", "plan.json", "--yes"]).expect(0);
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn deleting_a_service_needs_allow_destroy_and_a_protected_one_is_never_deleted() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    let project = &seeded.project.id;
    crate::seed::create_service(&emulator, json!({"projectId": project, "name": "old-worker"}));
    let old_db = crate::seed::create_service(&emulator, json!({"projectId": project, "name": "old-db"}));
    emulator.data(
        "mutation V($input: VolumeCreateInput!) { volumeCreate(input: $input) { id } }",
        json!({"input": {"projectId": project, "serviceId": old_db, "mountPath": "/data"}}),
    );
    let tombstones =
        format!("{OPERATORS_DEV_TOML}\n[services.old-worker]\ndelete = true\n\n[services.old-db]\ndelete = true\n");
    workspace.file("environments/dev.toml", &tombstones);

    let refused = workspace.run(&["apply", "--yes"]).expect(1);
    assert!(refused.stderr.contains("--allow-destroy"), "{}", refused.stderr);
    let names = || {
        emulator
            .data(
                "query P($id: String!) { project(id: $id) { services { edges { node { name } } } } }",
                json!({"id": project}),
            )
            .to_string()
    };
    assert!(names().contains("old-worker"), "nothing was changed");

    let applied = workspace.run(&["apply", "--yes", "--allow-destroy"]).expect(0);
    assert!(applied.stdout.contains("- service old-worker"), "{}", applied.stdout);
    assert!(applied.stdout.contains("old-db` is marked `delete = true` but is protected"), "{}", applied.stdout);
    assert!(!names().contains("old-worker"));
    assert!(names().contains("old-db"), "a service with a volume is protected");
}

#[test]
fn a_new_environment_file_adds_the_environment_with_every_service_in_it() {
    let emulator = Emulator::start();
    let mut workspace = Workspace::new(&emulator);
    let examples = example_files();
    let example = |name: &str| examples.iter().find(|(file, _)| file == name).map(|(_, text)| text.clone()).unwrap();
    for name in ["base.toml", "dev.toml"] {
        workspace.file(&format!("environments/{name}"), &example(name));
    }
    workspace.env("DEV_JWT_SECRET", "dev").env("STAGING_JWT_SECRET", "staging");
    workspace.run(&["apply", "--yes"]).expect(0);
    let deployments = emulator.deployments().len();

    workspace.file("environments/staging.toml", &example("staging.toml"));
    let run = workspace.run(&["apply", "--yes"]).expect(0);
    assert!(run.stdout.contains("+ environment staging"), "{}", run.stdout);
    assert!(run.stdout.contains("+ service staging/platform-db"), "{}", run.stdout);
    let new_deployments = deployments_since(&emulator, deployments);
    assert!(new_deployments.iter().all(|d| d["environment_name"] == "staging"), "dev is left alone");
    assert_eq!(new_deployments.len(), 4);
    assert_resolved_and_deployed_once(&new_deployments);
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn prune_deletes_undeclared_variables_with_one_deploy_and_keeps_the_rest() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    workspace.run(&["apply", "--yes"]).expect(0);
    upsert_variables(
        &emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.dev, "serviceId": seeded.api,
               "skipDeploys": true, "variables": {"DEBUG": "1", "TRACE": "1"}}),
    );
    let deployments = emulator.deployments().len();
    workspace.run(&["plan", "--detailed-exitcode"]).expect(2);

    let run = workspace.run(&["apply", "--yes", "--prune"]).expect(0);
    assert!(run.stdout.contains("- variable dev/platform-api/DEBUG"), "{}", run.stdout);
    let raw = variables(&emulator, &seeded.project, &seeded.dev, Some(&seeded.api), true);
    assert!(raw.get("DEBUG").is_none() && raw.get("TRACE").is_none(), "{raw}");
    assert_eq!(raw["DATABASE_URL"], "${{platform-db.DATABASE_URL}}", "declared variables are kept");
    assert_eq!(raw["JWT_SECRET"], JWT_VALUE, "secrets are kept");
    let new_deployments = deployments_since(&emulator, deployments);
    assert_eq!(new_deployments.len(), 1, "{new_deployments:?}");
    assert_resolved_and_deployed_once(&new_deployments);
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_saved_plan_is_refused_when_a_from_env_secret_changed_since() {
    let emulator = Emulator::start();
    operators_project(&emulator);
    let mut workspace = operators_workspace(&emulator);
    workspace.run(&["plan", "--out", "plan.json"]).expect(0);
    workspace.env("TEST_JWT_SECRET", "another-value");
    emulator.reset_stats();
    let run = workspace.run(&["apply", "--plan", "plan.json", "--yes"]).expect(1);
    assert!(run.stderr.contains("$TEST_JWT_SECRET changed since the plan was made"), "{}", run.stderr);
    assert!(!run.stderr.contains("another-value") && !run.stderr.contains(JWT_VALUE));
    let operations = emulator.stats()["operations"].as_object().unwrap().clone();
    assert!(operations.keys().all(|name| name == "MyProjects" || name == "ProjectState"), "{operations:?}");
}

#[test]
fn a_service_declared_in_some_environments_is_created_only_there() {
    let emulator = Emulator::start();
    let mut workspace = Workspace::new(&emulator);
    for (name, mut text) in example_files() {
        if name == "dev.toml" || name == "staging.toml" {
            text.push_str("\n[services.cron]\nimage = \"ghcr.io/acme/cron:1\"\n");
        }
        workspace.file(&format!("environments/{name}"), &text);
    }
    for secret in ["DEV_JWT_SECRET", "STAGING_JWT_SECRET", "PROD_JWT_SECRET"] {
        workspace.env(secret, "value");
    }
    workspace.run(&["apply", "--yes"]).expect(0);
    let run = workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert!(!run.stdout.contains("prod/cron"), "{}", run.stdout);
}
