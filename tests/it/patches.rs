//! One patch per environment (SPEC §5.1): every environment-scoped change of an apply goes out as
//! one `environmentStageChanges` and one `environmentPatchCommitStaged(skipDeploys)`; a no-op
//! apply writes nothing; someone's staged work is never committed over, while what an apply
//! interrupted between its stage and its commit left is finished.

use serde_json::json;

use crate::harness::Emulator;
use crate::seed::{config, operators_project, operators_workspace, text, OPERATORS_DEV_TOML};

fn stage(emulator: &Emulator, environment: &str, patch: serde_json::Value) {
    let answer = emulator.graphql(
        "mutation($e: String!, $p: EnvironmentConfig!) { environmentStageChanges(environmentId: $e, input: $p, merge: true) { id } }",
        json!({"e": environment, "p": patch}),
    );
    assert!(answer.get("errors").is_none(), "{answer}");
}

#[test]
fn each_changed_environment_gets_one_staged_patch_and_one_commit() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    emulator.reset_stats();
    workspace.run(&["apply", "--yes"]).expect(0);
    let operations = emulator.stats()["operations"].clone();
    // dev (variables, the rewrite) and staging (the rewrite of an unfiled environment).
    assert_eq!(operations["EnvironmentStageChanges"], 2, "{operations}");
    assert_eq!(operations["EnvironmentPatchCommitStaged"], 2, "{operations}");
    assert!(operations.get("VariableCollectionUpsert").is_none(), "{operations}");
    assert_eq!(operations["ServiceUpdate"], 1, "the rename stays direct: {operations}");
    let (dev, _) = config(&emulator, &seeded.dev, true);
    assert_eq!(
        text(&dev["services"][seeded.api.as_str()]["variables"]["DATABASE_URL"]["value"]),
        "${{platform-db.DATABASE_URL}}"
    );

    emulator.reset_stats();
    workspace.run(&["apply", "--yes"]).expect(0);
    let operations = emulator.stats()["operations"].clone();
    let writes: Vec<&String> = operations
        .as_object()
        .unwrap()
        .keys()
        .filter(|name| !["MyProjects", "ProjectState"].contains(&name.as_str()))
        .collect();
    assert!(writes.is_empty(), "a no-op apply wrote: {operations}");
}

#[test]
fn someones_staged_work_is_never_committed_over() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    stage(&emulator, &seeded.dev, json!({"sharedVariables": {"FEATURE_FLAG": {"value": "on"}}}));
    let (_, etag_before) = config(&emulator, &seeded.dev, false);
    let plan = workspace.run(&["plan"]).expect(0);
    assert!(plan.stdout.contains("staged change(s) not committed yet"), "{}", plan.stdout);
    let run = workspace.run(&["apply", "--yes"]).expect(1);
    assert!(
        run.stderr.contains("staged changes railform did not make (sharedVariables.FEATURE_FLAG)"),
        "{}",
        run.stderr
    );
    assert!(!run.stderr.contains("\"on\""), "{}", run.stderr);
    let (_, etag_after) = config(&emulator, &seeded.dev, false);
    assert_eq!(etag_before, etag_after, "nothing was committed in dev");
    let staged = emulator.data(
        "query($e: String!) { environmentStagedChanges(environmentId: $e) { patch(decryptVariables: true) } }",
        json!({"e": seeded.dev}),
    );
    assert_eq!(staged["environmentStagedChanges"]["patch"]["sharedVariables"]["FEATURE_FLAG"]["value"], "on");
}

#[test]
fn what_an_interrupted_apply_staged_is_committed_by_the_next_one() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    let file = OPERATORS_DEV_TOML.replace("PORT = \"8000\"", "PORT = \"8001\"");
    workspace.file("environments/dev.toml", &file);
    // The apply that was cut off had staged (part of) its patch and not committed it.
    stage(
        &emulator,
        &seeded.dev,
        json!({"services": {seeded.api.as_str(): {"variables": {"PORT": {"value": "8001"}}}}}),
    );
    workspace.run(&["apply", "--yes"]).expect(0);
    let (dev, _) = config(&emulator, &seeded.dev, true);
    assert_eq!(text(&dev["services"][seeded.api.as_str()]["variables"]["PORT"]["value"]), "8001");
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}
