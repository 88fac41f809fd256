//! `railform preview up|down|list|prune` end to end (issue 17), over HTTP against the emulator:
//! a preview is an ephemeral copy of staging with the preview file's settings and its own
//! databases; a second `up` sends no write; `down` refuses every permanent environment,
//! whatever the spelling; `prune` deletes only old previews; `plan` ignores previews.

use clap::Parser;
use serde_json::{json, Value};

use crate::harness::{Emulator, Workspace};
use crate::seed::{config, text};

const BASE: &str = r#"project = "shop"

[services.db]
template = "postgres"
params = { version = "16" }

[services.api]
image = "nginx:1"

[services.api.variables]
DATABASE_URL = "$<<db.DATABASE_URL>>"
PORT = "8000"

[services.api.networking]
railway_domain = { port = 8000 }
"#;

const STAGING: &str = "extends = \"base.toml\"\nenvironment = \"staging\"\n\n[services.api.deploy]\nreplicas = 2\n";
const PRODUCTION: &str = "extends = \"base.toml\"\nenvironment = \"production\"\n";
const PREVIEW: &str = r#"extends = "staging.toml"
environment = { preview = true }

[services.api]
image = { from_env = "PR_IMAGE" }

[services.api.variables]
PR_SHA = { from_env = "PR_SHA" }

[services.api.deploy]
replicas = 1
"#;

/// The operations a run may send without writing anything.
const READS: &[&str] =
    &["MyProjects", "ProjectState", "EnvironmentState", "ProjectById", "ProjectTokenScope", "EnvironmentDeployments"];

/// A project `shop` applied from base/staging/production files, and a preview file beside them.
fn applied(emulator: &Emulator) -> Workspace {
    let mut workspace = Workspace::new(emulator);
    workspace
        .file("environments/base.toml", BASE)
        .file("environments/staging.toml", STAGING)
        .file("environments/production.toml", PRODUCTION)
        .file("environments/preview.toml", PREVIEW);
    workspace.env("PR_SHA", "0123abc").env("PR_IMAGE", "nginx:2");
    workspace.run(&["apply", "--yes"]).expect(0);
    workspace
}

/// Environment name → (id, isEphemeral, source name, createdAt).
fn environments(emulator: &Emulator) -> Vec<(String, String, bool, Option<String>)> {
    let data = emulator.data(
        "{ projects { edges { node { environments { edges { node {
            id name isEphemeral sourceEnvironment { name } } } } } } } }",
        json!({}),
    );
    let mut found: Vec<(String, String, bool, Option<String>)> = data["projects"]["edges"][0]["node"]["environments"]
        ["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| {
            let node = &edge["node"];
            (
                text(&node["name"]),
                text(&node["id"]),
                node["isEphemeral"] == true,
                node["sourceEnvironment"]["name"].as_str().map(str::to_owned),
            )
        })
        .collect();
    found.sort();
    found
}

fn id_of(emulator: &Emulator, name: &str) -> String {
    environments(emulator).into_iter().find(|e| e.0 == name).unwrap_or_else(|| panic!("no environment {name}")).1
}

fn names(emulator: &Emulator) -> Vec<String> {
    environments(emulator).into_iter().map(|e| e.0).collect()
}

/// The operations sent since the last reset that are not reads.
fn writes(emulator: &Emulator) -> Vec<String> {
    let stats = emulator.stats();
    stats["operations"].as_object().unwrap().keys().filter(|name| !READS.contains(&name.as_str())).cloned().collect()
}

/// The service id of `name`, from an environment's config read by name.
fn service_id(emulator: &Emulator, name: &str) -> String {
    let data = emulator.data("{ projects { edges { node { services { edges { node { id name } } } } } } }", json!({}));
    let services = data["projects"]["edges"][0]["node"]["services"]["edges"].as_array().unwrap().clone();
    services.iter().find(|edge| edge["node"]["name"] == name).map(|edge| text(&edge["node"]["id"])).unwrap()
}

fn volume_instances(emulator: &Emulator, environment: &str) -> Vec<(String, String)> {
    let data = emulator.data(
        "query($id: String!) { environment(id: $id) { volumeInstances { edges { node { id mountPath } } } } }",
        json!({"id": environment}),
    );
    data["environment"]["volumeInstances"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|edge| (text(&edge["node"]["id"]), text(&edge["node"]["mountPath"])))
        .collect()
}

#[test]
fn up_creates_an_ephemeral_copy_with_the_previews_settings_and_a_second_up_writes_nothing() {
    let emulator = Emulator::start();
    let workspace = applied(&emulator);
    let staging = id_of(&emulator, "staging");

    let first = workspace.run(&["preview", "up", "pr-7", "--wait", "--format", "json"]).expect(0);
    let shown: Value = serde_json::from_str(&first.stdout).unwrap_or_else(|e| panic!("{e}: {}", first.stdout));
    assert_eq!(shown["format_version"], 1);
    assert_eq!((shown["environment"].as_str(), shown["created"].as_bool()), (Some("pr-7"), Some(true)));
    assert_eq!(shown["source"], "staging");
    let api = shown["services"].as_array().unwrap().iter().find(|s| s["service"] == "api").expect("api listed");
    let url = text(&api["urls"][0]);
    assert!(url.starts_with("https://") && url.ends_with(".up.railway.app"), "{url}");
    assert!(!first.stdout.contains("0123abc"), "a from_env value is never printed");

    let preview = environments(&emulator).into_iter().find(|e| e.0 == "pr-7").expect("pr-7 exists");
    assert!(preview.2, "pr-7 is ephemeral");
    assert_eq!(preview.3.as_deref(), Some("staging"));

    // The preview file's settings, staging's untouched.
    let api_id = service_id(&emulator, "api");
    let db_id = service_id(&emulator, "db");
    let (copy, _) = config(&emulator, &preview.1, true);
    let (original, _) = config(&emulator, &staging, true);
    assert_eq!(copy["services"][&api_id]["deploy"]["numReplicas"], 1);
    assert_eq!(original["services"][&api_id]["deploy"]["numReplicas"], 2);
    assert_eq!(copy["services"][&api_id]["source"]["image"], "nginx:2");
    assert_eq!(original["services"][&api_id]["source"]["image"], "nginx:1");
    assert_eq!(copy["services"][&api_id]["variables"]["PR_SHA"]["value"], "0123abc");
    assert!(original["services"][&api_id]["variables"].get("PR_SHA").is_none());

    // A database of its own: its own volume instance at Postgres's path, deployed in pr-7.
    let (mine, theirs) = (volume_instances(&emulator, &preview.1), volume_instances(&emulator, &staging));
    assert_eq!(mine.len(), 1, "{mine:?}");
    assert_eq!(mine[0].1, "/var/lib/postgresql/data");
    assert!(theirs.iter().all(|(id, _)| *id != mine[0].0), "not staging's volume instance");
    assert!(copy["services"][&db_id]["volumeMounts"].as_object().is_some_and(|m| m.len() == 1));
    let deployed: Vec<String> = emulator
        .deployments()
        .iter()
        .filter(|d| d["environment_name"] == "pr-7")
        .map(|d| text(&d["service_name"]))
        .collect();
    assert!(deployed.contains(&"db".to_string()) && deployed.contains(&"api".to_string()), "{deployed:?}");

    // Nothing changed: no write at all.
    emulator.reset_stats();
    let second = workspace.run(&["preview", "up", "pr-7"]).expect(0);
    assert!(second.stdout.contains("up to date") && second.stdout.contains(&url), "{}", second.stdout);
    assert!(emulator.stats()["requests"].as_u64().unwrap() > 0);
    assert_eq!(writes(&emulator), Vec::<String>::new());

    // A pull-request comment, with the marker a workflow updates it by.
    let comment = workspace.run(&["preview", "up", "pr-7", "--format", "markdown"]).expect(0);
    assert!(comment.stdout.starts_with("<!-- railform-preview: pr-7 -->"), "{}", comment.stdout);
    assert!(comment.stdout.contains(&url) && comment.stdout.contains("| `db` | no public URL |"), "{}", comment.stdout);

    // The permanent environments still plan clean, the preview beside them, even with a hand
    // edit in the preview; and `apply --prune` leaves the preview alone.
    let project = emulator.data("{ projects { edges { node { id } } } }", json!({}));
    let project_id = text(&project["projects"]["edges"][0]["node"]["id"]);
    crate::seed::upsert_variables(
        &emulator,
        json!({"projectId": project_id, "environmentId": preview.1, "serviceId": api_id,
               "variables": {"HAND_MADE": "1", "BROKEN": "${{ghost.URL}}"}, "skipDeploys": true}),
    );
    let plan = workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes.") && !plan.stdout.contains("pr-7"), "{}", plan.stdout);
    let json_plan = workspace.run(&["plan", "--detailed-exitcode", "--format", "json"]).expect(0);
    assert!(!json_plan.stdout.contains("pr-7"), "{}", json_plan.stdout);
    // An apply with work to do verifies what it planned only: the preview's dangling reference
    // is not its business.
    workspace.file("environments/staging.toml", &format!("{STAGING}\n[services.api.variables]\nEXTRA = \"1\"\n"));
    let (before, etag) = config(&emulator, &preview.1, true);
    workspace.run(&["apply", "--yes", "--prune"]).expect(0);
    assert_eq!(config(&emulator, &preview.1, true), (before, etag), "apply never touches a preview");
    workspace.file("environments/staging.toml", STAGING);
    workspace.run(&["apply", "--yes"]).expect(0);
    // The preview's own `up` does see it, and says so.
    let own = workspace.run(&["preview", "up", "pr-7"]).expect(1);
    assert!(own.stderr.contains("pr-7/api/BROKEN refers to ghost.URL"), "{}", own.stderr);
}

#[test]
fn an_edited_preview_is_updated_in_place_and_only_there() {
    let emulator = Emulator::start();
    let mut workspace = applied(&emulator);
    workspace.run(&["preview", "up", "pr-3"]).expect(0);
    let (staging_before, staging_etag) = config(&emulator, &id_of(&emulator, "staging"), true);
    workspace.env("PR_SHA", "4567def");
    emulator.reset_stats();
    let update = workspace.run(&["preview", "up", "pr-3", "--format", "json"]).expect(0);
    let shown: Value = serde_json::from_str(&update.stdout).unwrap();
    assert_eq!((shown["created"].as_bool(), shown["changed"].as_bool()), (Some(false), Some(true)));
    let operations = emulator.stats()["operations"].clone();
    assert!(operations.get("EnvironmentCreate").is_none(), "{operations}");
    assert_eq!(operations["EnvironmentPatchCommitStaged"], 1, "one patch: {operations}");
    let api_id = service_id(&emulator, "api");
    let (copy, _) = config(&emulator, &id_of(&emulator, "pr-3"), true);
    assert_eq!(copy["services"][&api_id]["variables"]["PR_SHA"]["value"], "4567def");
    assert_eq!(config(&emulator, &id_of(&emulator, "staging"), true), (staging_before, staging_etag));
}

#[test]
fn a_preview_without_its_from_env_values_is_refused_before_anything_is_sent() {
    let emulator = Emulator::start();
    let applied = applied(&emulator);
    let mut workspace = Workspace::new(&emulator);
    for name in ["base.toml", "staging.toml", "production.toml", "preview.toml"] {
        let text = std::fs::read_to_string(applied.path().join("environments").join(name)).unwrap();
        workspace.file(&format!("environments/{name}"), &text);
    }
    workspace.env("PR_SHA", "1");
    emulator.reset_stats();
    let refused = workspace.run(&["preview", "up", "pr-4"]).expect(1);
    assert!(refused.stderr.contains("environments/preview.toml:5:9"), "{}", refused.stderr);
    assert!(refused.stderr.contains("PR_IMAGE"), "{}", refused.stderr);
    assert_eq!(emulator.stats()["requests"], 0, "nothing sent");
    // `validate` and `plan` do not need the preview's values.
    workspace.run(&["validate"]).expect(0);
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
    let bad_name = workspace.run(&["preview", "up", "pr/4"]).expect(1);
    assert!(bad_name.stderr.contains("pr/4"), "{}", bad_name.stderr);
}

#[test]
fn a_preview_never_creates_renames_or_deletes_a_shared_service() {
    let emulator = Emulator::start();
    let workspace = applied(&emulator);
    // A service made by hand, in every environment.
    let project = emulator.data("{ projects { edges { node { id } } } }", json!({}));
    let project_id = text(&project["projects"]["edges"][0]["node"]["id"]);
    crate::seed::create_service(
        &emulator,
        json!({"projectId": project_id, "name": "legacy", "source": {"image": "busybox"}}),
    );
    let cases = [
        ("a new service", format!("{PREVIEW}\n[services.seeder]\nimage = \"busybox\"\n")),
        ("a rename", format!("{PREVIEW}\n[services.worker]\nrenamed_from = [\"legacy\"]\nimage = \"busybox\"\n")),
        ("a delete", format!("{PREVIEW}\n[services.legacy]\ndelete = true\nprotect = false\n")),
    ];
    for (what, file) in cases {
        workspace.file("environments/preview.toml", &file);
        emulator.reset_stats();
        let refused = workspace.run(&["preview", "up", "pr-9"]).expect(1);
        assert!(refused.stderr.contains("never creates, renames or deletes"), "{what}: {}", refused.stderr);
        assert_eq!(writes(&emulator), Vec::<String>::new(), "{what}");
        assert!(!names(&emulator).contains(&"pr-9".to_string()), "{what}");
    }
}

#[test]
fn down_refuses_every_permanent_environment_whatever_the_spelling_and_deletes_only_the_preview() {
    let emulator = Emulator::start();
    let workspace = applied(&emulator);
    workspace.run(&["preview", "up", "pr-7"]).expect(0);
    let before = names(&emulator);
    let production = id_of(&emulator, "production");
    let production_config = config(&emulator, &production, true);

    emulator.reset_stats();
    for spelling in ["production", "Production", "PRODUCTION", " production", "staging"] {
        let refused = workspace.run(&["preview", "down", spelling, "--yes"]).expect(1);
        assert!(refused.stderr.contains("Nothing was changed"), "{spelling:?}: {}", refused.stderr);
    }
    let refused = workspace.run(&["preview", "up", "production"]).expect(1);
    assert!(refused.stderr.contains("not a preview"), "{}", refused.stderr);
    assert_eq!(writes(&emulator), Vec::<String>::new());
    assert_eq!(names(&emulator), before);
    assert_eq!(config(&emulator, &production, true), production_config);

    let preview = id_of(&emulator, "pr-7");
    workspace.run(&["preview", "down", "pr-7", "--yes"]).expect(0);
    assert_eq!(names(&emulator), ["production", "staging"]);
    let gone = emulator.graphql("query($id: String!) { environment(id: $id) { id } }", json!({"id": preview}));
    assert_eq!(text(&gone["errors"][0]["message"]), "Environment not found");
    assert_eq!(config(&emulator, &production, true), production_config);
    // Gone already: nothing to do, and CI reruns pass.
    let again = workspace.run(&["preview", "down", "pr-7", "--yes"]).expect(0);
    assert!(again.stderr.contains("nothing to delete"), "{}", again.stderr);
    // Without --yes off a terminal, nothing is asked and nothing deleted.
    workspace.run(&["preview", "up", "pr-8"]).expect(0);
    workspace.run(&["preview", "down", "pr-8"]).expect(1);
    assert!(names(&emulator).contains(&"pr-8".to_string()));
}

#[test]
fn prune_deletes_only_ephemeral_environments_older_than_asked() {
    let emulator = Emulator::start();
    let workspace = applied(&emulator);
    workspace.run(&["preview", "up", "pr-1"]).expect(0);
    workspace.run(&["preview", "up", "pr-2"]).expect(0);
    emulator.age(&id_of(&emulator, "pr-1"), 8.0);
    emulator.age(&id_of(&emulator, "staging"), 30.0);
    emulator.age(&id_of(&emulator, "production"), 400.0);

    let listed = workspace.run(&["preview", "list", "--format", "json"]).expect(0);
    let listed: Value = serde_json::from_str(&listed.stdout).unwrap();
    let previews: Vec<(String, u64)> = listed["previews"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| (text(&p["name"]), p["age_seconds"].as_u64().unwrap()))
        .collect();
    assert_eq!(previews.iter().map(|p| p.0.as_str()).collect::<Vec<_>>(), ["pr-1", "pr-2"], "oldest first");
    assert!(previews[0].1 >= 8 * 86_400 && previews[1].1 < 3600, "{previews:?}");
    let text_list = workspace.run(&["preview", "list"]).expect(0);
    assert!(text_list.stdout.contains("pr-1") && text_list.stdout.contains("8d"), "{}", text_list.stdout);

    workspace.run(&["preview", "prune", "--older-than", "7d", "--yes"]).expect(0);
    assert_eq!(names(&emulator), ["pr-2", "production", "staging"]);
    let nothing = workspace.run(&["preview", "prune", "--older-than", "7d", "--yes"]).expect(0);
    assert!(nothing.stderr.contains("nothing to delete"), "{}", nothing.stderr);
    let bad = workspace.run(&["preview", "prune", "--older-than", "a week", "--yes"]).expect(1);
    assert!(bad.stderr.contains("not a duration"), "{}", bad.stderr);
    assert_eq!(names(&emulator), ["pr-2", "production", "staging"]);
}

#[test]
fn preview_files_are_validated_like_any_other() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    workspace
        .file("environments/base.toml", BASE)
        .file("environments/staging.toml", STAGING)
        .file("environments/preview.toml", PREVIEW);
    let ok = workspace.run(&["validate"]).expect(0);
    assert!(ok.stdout.contains("preview"), "{}", ok.stdout);

    workspace.file("environments/preview-2.toml", PREVIEW);
    let two = workspace.run(&["validate"]).expect(1);
    assert!(two.stderr.contains("two preview files"), "{}", two.stderr);
    std::fs::remove_file(workspace.path().join("environments/preview-2.toml")).unwrap();

    let named = PREVIEW.replace("{ preview = true }", "{ preview = true, name = \"pr\" }");
    workspace.file("environments/preview.toml", &named);
    let refused = workspace.run(&["validate"]).expect(1);
    assert!(refused.stderr.contains("preview.toml:2:"), "{}", refused.stderr);
    assert!(refused.stderr.contains("preview up pr-42"), "{}", refused.stderr);

    let broken = PREVIEW.replace("PR_SHA = { from_env = \"PR_SHA\" }", "BROKEN = \"$<<nope.URL>>\"");
    workspace.file("environments/preview.toml", &broken);
    let refused = workspace.run(&["validate"]).expect(1);
    assert!(refused.stderr.contains("preview.toml:") && refused.stderr.contains("nope"), "{}", refused.stderr);
}

#[test]
fn the_workflows_run_commands_railform_accepts_through_outputs_the_action_has() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let read = |path: &str| std::fs::read_to_string(root.join(path)).unwrap_or_else(|e| panic!("{path}: {e}"));
    let action = read("action.yml");
    let mut commands = 0;
    for workflow in ["examples/github-actions/preview.yml", "examples/github-actions/drift.yml"] {
        let text = read(workflow);
        assert!(text.contains("uses: acme/railform@v1"), "{workflow} uses the action");
        for line in text.lines().map(str::trim) {
            if let Some(command) = line.strip_prefix("command: ") {
                let command = command.replace("${{ github.event.pull_request.number }}", "42");
                let args = std::iter::once("railform").chain(command.split_whitespace());
                if let Err(error) = railform::cli::Cli::try_parse_from(args) {
                    panic!("{workflow}: `{command}` does not parse: {error}");
                }
                commands += 1;
            }
        }
        for output in text.split("outputs.").skip(1).map(|rest| rest.split([' ', '}', '\'']).next().unwrap()) {
            assert!(action.contains(&format!("\n  {output}:\n")), "{workflow} reads output `{output}`");
        }
    }
    assert_eq!(commands, 5, "validate, plan, preview up, down, prune");
}
