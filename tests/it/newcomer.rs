//! What a new user trips over (issue 12): exit codes of a command line that does not parse,
//! `--env-file`, `--quiet`, the apply summary in the plan's words, drift of a subset of
//! environments, saved plans applied without asking, help texts, JSON that says a value is
//! hidden, two projects in one run. Each runs the real binary against the emulator.

use serde_json::{json, Value};

use crate::harness::{Emulator, Workspace};
use crate::seed::{
    create_environment, create_project, create_service, operators_project, operators_workspace, upsert_variables,
};

#[test]
fn a_command_line_that_does_not_parse_exits_1_never_2() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    for args in [&["plan", "--detailed-exit-cod"][..], &[][..], &["completions", "tcsh"][..], &["nosuch"][..]] {
        let run = workspace.run(args);
        assert_eq!(run.code, 1, "{args:?}\n{}", run.stderr);
    }
    workspace.run(&["--help"]).expect(0);
    workspace.run(&["--version"]).expect(0);
}

#[test]
fn railways_spelling_of_detailed_exitcode_is_accepted() {
    let emulator = Emulator::start();
    operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    let run = workspace.run(&["plan", "--detailed-exit-code"]).expect(2);
    assert!(run.stdout.contains("rename service"), "{}", run.stdout);
}

#[test]
fn from_env_secrets_can_come_from_an_env_file_and_never_print() {
    let emulator = Emulator::start();
    operators_project(&emulator);
    let workspace = Workspace::new(&emulator);
    workspace.file("environments/dev.toml", crate::seed::OPERATORS_DEV_TOML);
    let missing = workspace.run(&["plan"]).expect(1);
    assert!(missing.stderr.contains("TEST_JWT_SECRET"), "{}", missing.stderr);
    workspace.file("ci.env", "# from the CI secret store\nTEST_JWT_SECRET=env-file-secret-Wq81\n");
    let run = workspace.run(&["plan", "--env-file", "ci.env", "--show-values"]).expect(0);
    assert!(run.stdout.contains("JWT_SECRET"), "{}", run.stdout);
    assert!(!run.stdout.contains("env-file-secret") && !run.stderr.contains("env-file-secret"));
    let absent = workspace.run(&["plan", "--env-file", "nosuch.env"]).expect(1);
    assert!(absent.stderr.contains("nosuch.env"), "{}", absent.stderr);
}

#[test]
fn apply_counts_as_the_plan_counts_and_quiet_keeps_only_the_result() {
    let emulator = Emulator::start();
    operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    let plan = workspace.run(&["plan"]).expect(0);
    let line = plan.stdout.lines().find(|l| l.starts_with("Plan: ")).expect("a plan line").to_string();
    // "Plan: 2 to add, 3 to change, 0 to destroy, 1 to rename."
    let numbers: Vec<&str> = line.split(|c: char| !c.is_ascii_digit()).filter(|n| !n.is_empty()).collect();
    let applied = workspace.run(&["--quiet", "apply", "--yes"]).expect(0);
    assert!(applied.stdout.trim().is_empty(), "--quiet shows no plan before applying:\n{}", applied.stdout);
    let expected = format!(
        "Apply complete: {} added, {} changed, {} destroyed, {} renamed;",
        numbers[0], numbers[1], numbers[2], numbers[3]
    );
    assert!(applied.stderr.contains(&expected), "want `{expected}` in\n{}", applied.stderr);
    assert!(!applied.stderr.contains("Verified"), "--quiet hides commentary:\n{}", applied.stderr);
}

#[test]
fn a_subset_of_environments_reports_drift_only_in_those() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let dev = create_environment(&emulator, &project, "dev");
    let staging = create_environment(&emulator, &project, "staging");
    let api = create_service(&emulator, json!({"projectId": project.id, "name": "api", "environmentId": dev}));
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": dev, "serviceId": api, "skipDeploys": true,
               "variables": {"PORT": "8000"}}),
    );
    // `search` lives in staging only.
    create_service(&emulator, json!({"projectId": project.id, "name": "search", "environmentId": staging}));
    let workspace = Workspace::new(&emulator);
    workspace.file(
        "environments/dev.toml",
        "project = \"shop\"\nenvironment = \"dev\"\n[services.api.variables]\nPORT = \"8000\"\n",
    );
    let run = workspace.run(&["plan", "--detailed-exitcode", "environments/dev.toml"]);
    assert!(!run.stdout.contains("? search"), "search is not in dev:\n{}", run.stdout);
    run.expect(0);
    // Planning every environment of the project does report it.
    workspace.file("environments/staging.toml", "project = \"shop\"\nenvironment = \"staging\"\n");
    workspace.file("environments/production.toml", "project = \"shop\"\nenvironment = \"production\"\n");
    let all = workspace.run(&["plan", "--detailed-exitcode"]).expect(2);
    assert!(all.stdout.contains("? staging/search"), "{}", all.stdout);
}

#[test]
fn a_saved_plan_applies_without_asking_and_a_stale_one_names_the_environment() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    workspace.run(&["plan", "--out", "first.json"]).expect(0);
    upsert_variables(
        &emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.dev, "serviceId": seeded.api,
               "skipDeploys": true, "variables": {"PORT": "9000"}}),
    );
    let stale = workspace.run(&["apply", "--plan", "first.json"]).expect(1);
    assert!(stale.stderr.contains("environment dev of project platform"), "{}", stale.stderr);
    workspace.run(&["plan", "--out", "second.json"]).expect(0);
    // No --yes and no terminal: a saved plan was reviewed when it was made.
    let applied = workspace.run(&["apply", "--plan", "second.json"]).expect(0);
    assert!(applied.stderr.contains("Apply complete"), "{}", applied.stderr);
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
}

#[test]
fn a_protected_service_marked_delete_is_a_warning_not_drift() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let db = create_service(&emulator, json!({"projectId": project.id, "name": "old-db"}));
    let volume = emulator.graphql(
        "mutation($i: VolumeCreateInput!) { volumeCreate(input: $i) { id } }",
        json!({"i": {"projectId": project.id, "serviceId": db, "mountPath": "/data", "environmentId": project.production}}),
    );
    assert!(volume.get("errors").is_none(), "{volume}");
    let workspace = Workspace::new(&emulator);
    workspace.file(
        "environments/prod.toml",
        "project = \"shop\"\nenvironment = \"production\"\n[services.old-db]\ndelete = true\n",
    );
    let run = workspace.run(&["plan"]).expect(0);
    assert!(!run.stdout.contains("? old-db"), "{}", run.stdout);
    assert!(run.stdout.contains("protected"), "{}", run.stdout);
}

#[test]
fn without_a_token_railways_endpoint_is_not_even_asked() {
    let emulator = Emulator::start();
    let mut workspace = operators_workspace(&emulator);
    workspace.env("RAILFORM_ENDPOINT", "https://backboard.railway.com/graphql/v2");
    let run = workspace.run(&["plan"]).expect(1);
    assert!(run.stderr.contains("no Railway token: set RAILWAY_API_TOKEN"), "{}", run.stderr);
}

#[test]
fn help_says_what_each_flag_does_and_where_tokens_come_from() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    let top = workspace.run(&["--help"]).expect(0);
    assert!(top.stdout.contains("RAILWAY_API_TOKEN") && top.stdout.contains("RAILWAY_TOKEN"), "{}", top.stdout);
    let plan = workspace.run(&["plan", "--help"]).expect(0);
    let format_line = plan.stdout.lines().skip_while(|l| !l.contains("--format")).nth(1).unwrap_or_default();
    assert!(!format_line.trim().is_empty() || plan.stdout.contains("--format <FORMAT>  How"), "{}", plan.stdout);
    assert!(plan.stdout.contains("How to show the plan"), "{}", plan.stdout);
    assert!(!plan.stdout.contains("Delete live variables"), "plan deletes nothing:\n{}", plan.stdout);
    let shells = workspace.run(&["completions", "--help"]).expect(0).stdout;
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(shells.contains(shell), "{shells}");
    }
}

#[test]
fn json_says_structurally_that_a_value_is_hidden() {
    let emulator = Emulator::start();
    operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    workspace
        .file("environments/dev.toml", &crate::seed::OPERATORS_DEV_TOML.replace("PORT = \"8000\"", "PORT = \"8001\""));
    let hidden: Value = serde_json::from_str(&workspace.run(&["plan", "--format", "json"]).expect(0).stdout).unwrap();
    assert_eq!(hidden["format_version"], 2);
    let changes = hidden["changes"].as_array().unwrap();
    let port = changes.iter().find(|c| c["address"] == "dev/platform-api/API_KEY").expect("API_KEY change");
    assert_eq!(port["sensitive"], true);
    assert_eq!(port["after"], "(sensitive)");
    let values: Vec<&Value> = changes
        .iter()
        .filter(|c| c["kind"] == "variable" && c["sensitive"] == false && c["action"] != "rewrite")
        .collect();
    assert!(!values.is_empty(), "{hidden}");
    for change in values {
        assert_eq!(change["hidden"], true, "{change}");
        assert!(change["before"].is_null() && change["after"].is_null(), "{change}");
    }
    let shown: Value =
        serde_json::from_str(&workspace.run(&["plan", "--format", "json", "--show-values"]).expect(0).stdout).unwrap();
    assert!(shown["changes"].as_array().unwrap().iter().all(|c| c["hidden"] == false));
}

#[test]
fn a_new_project_is_named_once_and_retries_are_said_in_words() {
    let emulator = Emulator::builder().fail_rate(0.4).seed(7).start();
    let workspace = Workspace::new(&emulator);
    workspace.file(
        "environments/prod.toml",
        "project = \"fresh\"\nenvironment = \"production\"\n[services.api]\nimage = \"nginx\"\n",
    );
    let run = workspace.run(&["-v", "plan"]);
    assert!(run.stdout.contains("+ project:fresh"), "{}", run.stdout);
    assert!(!run.stdout.contains("project project:"), "{}", run.stdout);
    for line in run.stderr.lines().filter(|l| l.contains("retrying")) {
        assert!(!line.contains('{') && !line.contains("cause:"), "{line}");
    }
}

#[test]
fn two_projects_with_a_dev_each_plan_and_apply_in_one_run() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    for project in ["alpha", "beta"] {
        workspace.file(
            &format!("environments/{project}.toml"),
            &format!(
                "project = \"{project}\"\nenvironment = \"production\"\n[services.api.variables]\n\
                 TOKEN = {{ value = \"{project}-literal\", sensitive = true }}\n"
            ),
        );
    }
    let applied = workspace.run(&["apply", "--yes", "--no-deploy"]).expect(0);
    assert!(applied.stdout.contains("project alpha") && applied.stdout.contains("project beta"), "{}", applied.stdout);
    workspace.run(&["plan", "--out", "both.json"]).expect(0);
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
    for project in ["alpha", "beta"] {
        let found = emulator.data(
            "query { projects { edges { node { id name environments { edges { node { id } } } \
             services { edges { node { id name } } } } } } }",
            json!({}),
        );
        let node = found["projects"]["edges"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| &e["node"])
            .find(|n| n["name"] == project)
            .unwrap_or_else(|| panic!("{project} exists: {found}"))
            .clone();
        let environment = node["environments"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
        let service = node["services"]["edges"][0]["node"]["id"].as_str().unwrap().to_string();
        let vars = emulator.data(
            "query($p: String!, $e: String!, $s: String) { variables(projectId: $p, environmentId: $e, serviceId: $s) }",
            json!({"p": node["id"], "e": environment, "s": service}),
        );
        assert_eq!(vars["variables"]["TOKEN"], format!("{project}-literal"));
    }
}
