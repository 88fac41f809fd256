//! `railform migrate` (issue 16) on a realistic monorepo (tests/fixtures/migrate/monorepo: an
//! API in TOML, a storefront in JSON, a cron worker; per-environment and PR blocks; every field
//! of Railway's config-as-code reference at least once), offline and against the emulator over
//! HTTP: a project whose live settings are what the files said plans `No changes.` right after,
//! a project that lost them plans exactly those settings and apply restores them, a field with
//! no place in railform is an error at its line, and files already there are merged into.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::{json, Value};

use crate::harness::{Emulator, Workspace};
use crate::seed::{create_environment, create_project, create_service, deploy_everything, Project};

/// The fields of the fixture, as Railway names them: each must be in the table.
const FIELDS: &[&str] = &[
    "build.builder",
    "build.buildCommand",
    "build.dockerfilePath",
    "build.watchPatterns",
    "build.railpackVersion",
    "build.nixpacksConfigPath",
    "build.nixpacksVersion",
    "deploy.startCommand",
    "deploy.preDeployCommand",
    "deploy.preDeployTimeoutSeconds",
    "deploy.healthcheckPath",
    "deploy.healthcheckTimeout",
    "deploy.restartPolicyType",
    "deploy.restartPolicyMaxRetries",
    "deploy.numReplicas",
    "deploy.multiRegionConfig",
    "deploy.region",
    "deploy.cronSchedule",
    "deploy.sleepApplication",
    "deploy.overlapSeconds",
    "deploy.drainingSeconds",
    "deploy.limitOverride",
    "environments.staging.deploy.startCommand",
    "environments.staging.deploy.multiRegionConfig",
    "environments.pr.deploy.preDeployCommand",
    "environments.pr.deploy.sleepApplication",
];

/// Copies the fixture monorepo into the workspace, with a git-ignored config file beside it.
fn monorepo(workspace: &Workspace) {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/migrate/monorepo");
    copy(&fixture, workspace.path());
    workspace.file("dist/railway.toml", "[deploy]\nstartCommand = \"never read: ignored\"\n");
}

fn copy(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn read(workspace: &Workspace, name: &str) -> String {
    std::fs::read_to_string(workspace.path().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// The environment files a plan reads (the preview file is `preview up`'s).
const PLANNED: [&str; 2] = ["environments/production.toml", "environments/staging.toml"];

#[test]
fn a_monorepo_migrates_every_field_offline_into_files_that_validate() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    monorepo(&workspace);
    emulator.reset_stats();
    let run = workspace.run(&["migrate"]).expect(0);
    assert_eq!(emulator.stats()["requests"], 0, "no project named: nothing is read");

    for field in FIELDS {
        assert!(
            run.stdout.lines().any(|line| line.split_whitespace().nth(1) == Some(field)),
            "no row for {field}:\n{}",
            run.stdout
        );
    }
    let rows = run.stdout.lines().skip(1).count();
    assert_eq!(rows, 41, "one row per field written:\n{}", run.stdout);
    assert!(run.stdout.contains("apps/web/railway.json:13"), "rows name file and line:\n{}", run.stdout);
    for service in ["api", "web", "jobs"] {
        assert!(run.stderr.contains(&format!("→ service {service} (the folder's name)")), "{}", run.stderr);
    }
    assert!(!run.stdout.contains("never read"), "git-ignored and node_modules files are skipped:\n{}", run.stdout);

    let base = read(&workspace, "environments/base.toml");
    for expected in [
        "project = \"",
        "[services.api.build]\nbuilder = \"dockerfile\"\ndockerfile_path = \"apps/api/Dockerfile\"",
        "pre_deploy_command = [\"npx prisma migrate deploy\"]\npre_deploy_timeout = 600",
        "restart_policy = \"on_failure\"\nrestart_max_retries = 5\nreplicas = 2\ndraining_seconds = 30\noverlap_seconds = 15",
        "regions = { europe-west4-drams3a = 1, us-west2 = 2 }\noverlap_seconds = 60\ndraining_seconds = 10",
        "[services.jobs.variables]\nNIXPACKS_VERSION = \"1.29.1\"",
        "regions = { europe-west4-drams3a = 1 }\nlimits = { memory_gb = 2.0, vcpus = 2 }",
    ] {
        assert!(base.contains(expected), "base.toml lacks {expected:?}:\n{base}");
    }
    let staging = read(&workspace, "environments/staging.toml");
    assert!(staging.contains("extends = \"base.toml\"\nenvironment = \"staging\""), "{staging}");
    assert!(staging.contains("start_command = \"node dist/server.js --log-level=debug\""), "{staging}");
    let preview = read(&workspace, "environments/preview.toml");
    assert!(preview.contains("environment = { preview = true }"), "{preview}");
    assert!(
        preview.contains("pre_deploy_command = [\"npx prisma migrate reset --force\", \"npm run seed\"]"),
        "{preview}"
    );
    let production = read(&workspace, "environments/production.toml");
    assert!(production.contains("environment = \"production\""), "{production}");

    let validate = workspace.run(&["validate", PLANNED[0], PLANNED[1]]).expect(0);
    assert!(validate.stdout.contains("all valid"), "{}", validate.stdout);

    // A second run changes nothing, and says so.
    let again = workspace.run(&["migrate"]).expect(0);
    assert!(again.stdout.lines().skip(1).all(|line| line.ends_with("unchanged")), "{}", again.stdout);
    assert!(again.stderr.contains("nothing to change"), "{}", again.stderr);
}

#[test]
fn a_field_railform_cannot_keep_is_an_error_at_its_line_and_nothing_is_written() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    monorepo(&workspace);
    let api = read(&workspace, "apps/api/railway.toml");
    workspace.file(
        "apps/api/railway.toml",
        &api.replace("[deploy]\n", "[deploy]\nhealthcheckIntervl = 5\n")
            .replace("[build]\n", "[build]\nnixpacksPlan = { providers = [\"node\"] }\n"),
    );
    workspace.file("apps/web/railway.json", &read(&workspace, "apps/web/railway.json").replace("\"ALWAYS\"", "null"));
    let run = workspace.run(&["migrate"]).expect(1);
    for expected in [
        "apps/api/railway.toml:5:1",
        "`build.nixpacksPlan` has no place in railform's files",
        "apps/api/railway.toml:11:1",
        "unknown field `deploy.healthcheckIntervl`",
        "apps/web/railway.json:12:",
        "`deploy.restartPolicyType` is null",
    ] {
        assert!(run.stderr.contains(expected), "missing {expected:?} in\n{}", run.stderr);
    }
    assert!(!workspace.path().join("environments").exists(), "nothing was written");

    // A value Railway would refuse is located in the railway file too.
    monorepo(&workspace);
    let jobs = read(&workspace, "workers/jobs/railway.toml");
    workspace.file("workers/jobs/railway.toml", &jobs.replace("0 3 * * *", "every night"));
    let run = workspace.run(&["migrate"]).expect(1);
    assert!(run.stderr.contains("workers/jobs/railway.toml:9:"), "{}", run.stderr);
}

#[test]
fn files_already_there_are_merged_into_and_an_ambiguous_folder_names_the_pin() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    monorepo(&workspace);
    workspace.file(
        "environments/common.toml",
        "# ours\nproject = \"shop\"\n\n[services.api]\nroot_directory = \"apps/api\"\n\n[services.api-worker]\nroot_directory = \"apps/api\"\n",
    );
    workspace.file(
        "environments/staging.toml",
        "extends = \"common.toml\"\nenvironment = \"staging\"\n\n[services.api.deploy]\n# kept\nstart_command = \"node old.js\"\n",
    );
    let run = workspace.run(&["migrate"]).expect(1);
    assert!(run.stderr.contains("could be the settings of any of `api`, `api-worker`"), "{}", run.stderr);
    assert!(run.stderr.contains("--service apps/api=api"), "{}", run.stderr);

    let run = workspace.run(&["migrate", "--service", "apps/api=api"]).expect(0);
    assert!(
        run.stdout.lines().any(|l| l.contains("deploy.startCommand")
            && l.contains("staging.toml")
            && l.ends_with("changed, was \"node old.js\"")),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("apps/api/railway.toml → service api (pinned with --service)"), "{}", run.stderr);
    let common = read(&workspace, "environments/common.toml");
    assert!(common.starts_with("# ours\nproject = \"shop\""), "the base keeps what it had:\n{common}");
    assert!(common.contains("[services.api.deploy]\nstart_command = \"node dist/server.js\""), "{common}");
    let staging = read(&workspace, "environments/staging.toml");
    assert!(staging.contains("# kept\nstart_command = \"node dist/server.js --log-level=debug\""), "{staging}");
    assert!(!workspace.path().join("environments/base.toml").exists(), "the base already there is used");
    workspace.run(&["validate", "environments/staging.toml", "environments/production.toml"]).expect(0);
}

/// The live project the fixture describes: services named otherwise than their folders, found
/// through their config file (platform-api) and root directory (storefront).
struct Live {
    project: Project,
    staging: String,
    api: String,
    web: String,
    jobs: String,
}

fn live_project(emulator: &Emulator) -> Live {
    let project = create_project(emulator, "monorepo");
    let staging = create_environment(emulator, &project, "staging");
    let service = |name: &str| create_service(emulator, json!({"projectId": project.id, "name": name}));
    let (api, web, jobs) = (service("platform-api"), service("storefront"), service("jobs"));
    Live { project, staging, api, web, jobs }
}

fn commit(emulator: &Emulator, environment: &str, patch: Value) {
    let answer = emulator.graphql(
        "mutation($e: String!, $p: EnvironmentConfig!) { environmentPatchCommit(environmentId: $e, patch: $p) }",
        json!({"e": environment, "p": patch}),
    );
    assert!(answer.get("errors").is_none(), "{answer}");
}

/// Where each service reads its config from, and nothing else.
fn pointers(live: &Live) -> Value {
    json!({"services": {
        live.api.as_str(): {"configFile": "/apps/api/railway.toml"},
        live.web.as_str(): {"source": {"rootDirectory": "apps/web"}},
    }})
}

/// What the railway files said, in Railway's shape, for `staging` or production.
fn settings(live: &Live, staging: bool) -> Value {
    let api_start = if staging { "node dist/server.js --log-level=debug" } else { "node dist/server.js" };
    let web_regions = if staging {
        json!({"us-west2": {"numReplicas": 1}, "europe-west4-drams3a": {"numReplicas": 1}})
    } else {
        json!({"us-west2": {"numReplicas": 2}, "europe-west4-drams3a": {"numReplicas": 1}})
    };
    let mut web_deploy = json!({
        "startCommand": "pnpm --filter web start", "healthcheckPath": "/", "restartPolicyType": "ALWAYS",
        "multiRegionConfig": web_regions, "overlapSeconds": 60, "drainingSeconds": 10,
    });
    if staging {
        web_deploy["sleepApplication"] = json!(true);
    }
    json!({"services": {
        live.api.as_str(): {
            "build": {"builder": "DOCKERFILE", "dockerfilePath": "apps/api/Dockerfile", "watchPatterns": ["apps/api/**", "packages/db/**"]},
            "deploy": {
                "startCommand": api_start, "preDeployCommand": ["npx prisma migrate deploy"], "preDeployTimeoutSeconds": 600,
                "healthcheckPath": "/health", "healthcheckTimeout": 120, "restartPolicyType": "ON_FAILURE",
                "restartPolicyMaxRetries": 5, "numReplicas": if staging { 1 } else { 2 }, "drainingSeconds": 30, "overlapSeconds": 15,
            },
        },
        live.web.as_str(): {
            "build": {"builder": "RAILPACK", "railpackVersion": "0.7.0", "buildCommand": "pnpm --filter web build", "watchPatterns": ["apps/web/**"]},
            "deploy": web_deploy,
        },
        live.jobs.as_str(): {
            "build": {"builder": "NIXPACKS", "nixpacksConfigPath": "workers/jobs/nixpacks.toml"},
            "deploy": {
                "startCommand": "python -m jobs.nightly", "preDeployCommand": "python -m jobs.check",
                "cronSchedule": if staging { "0 */6 * * *" } else { "0 3 * * *" }, "restartPolicyType": "NEVER",
                "sleepApplication": false,
                "multiRegionConfig": {"europe-west4-drams3a": {"numReplicas": 1}},
                "limitOverride": {"containers": {"cpu": 2, "memoryBytes": 2_147_483_648u64}},
            },
            "variables": {"NIXPACKS_VERSION": {"value": "1.29.1"}},
        },
    }})
}

#[test]
fn live_settings_equal_to_the_files_plan_no_changes_right_after_migrate() {
    let emulator = Emulator::start();
    let live = live_project(&emulator);
    for (environment, staging) in [(live.project.production.clone(), false), (live.staging.clone(), true)] {
        commit(&emulator, &environment, pointers(&live));
        commit(&emulator, &environment, settings(&live, staging));
    }
    deploy_everything(&emulator, &live.project);
    let workspace = Workspace::new(&emulator);
    monorepo(&workspace);

    let run = workspace.run(&["migrate", "--project", "monorepo"]).expect(0);
    assert!(
        run.stderr.contains("apps/api/railway.toml → service platform-api (the live service's config file)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("apps/web/railway.json → service storefront (the live service's root directory)"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("workers/jobs/railway.toml → service jobs (the folder's name)"), "{}", run.stderr);
    assert!(read(&workspace, "environments/base.toml").contains("project = \"monorepo\""));

    let plan = workspace.run(&["plan", PLANNED[0], PLANNED[1], "--detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}

#[test]
fn a_project_that_lost_its_settings_plans_exactly_them_and_apply_restores_them() {
    let emulator = Emulator::start();
    let live = live_project(&emulator);
    for environment in [&live.project.production, &live.staging] {
        commit(&emulator, environment, pointers(&live));
    }
    deploy_everything(&emulator, &live.project);
    let workspace = Workspace::new(&emulator);
    monorepo(&workspace);
    workspace.run(&["migrate", "--project", "monorepo"]).expect(0);

    let plan = workspace.run(&["plan", PLANNED[0], PLANNED[1], "--format", "json"]).expect(0);
    let plan: Value = serde_json::from_str(&plan.stdout).unwrap_or_else(|e| panic!("{e}: {}", plan.stdout));
    let changes: BTreeSet<String> = plan["changes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|change| change["action"] != "deploy")
        .map(|change| change["address"].as_str().unwrap().to_string())
        .collect();
    let api = [
        "build.builder",
        "build.dockerfile_path",
        "build.watch_patterns",
        "deploy.start_command",
        "deploy.pre_deploy_command",
        "deploy.pre_deploy_timeout",
        "deploy.healthcheck_path",
        "deploy.healthcheck_timeout",
        "deploy.restart_policy",
        "deploy.restart_max_retries",
        "deploy.replicas",
        "deploy.draining_seconds",
        "deploy.overlap_seconds",
    ];
    let web = [
        "build.builder",
        "build.railpack_version",
        "build.build_command",
        "build.watch_patterns",
        "deploy.start_command",
        "deploy.healthcheck_path",
        "deploy.restart_policy",
        "deploy.regions.us-west2",
        "deploy.regions.europe-west4-drams3a",
        "deploy.overlap_seconds",
        "deploy.draining_seconds",
    ];
    let jobs = [
        "build.builder",
        "build.nixpacks_config_path",
        "NIXPACKS_VERSION",
        "deploy.start_command",
        "deploy.pre_deploy_command",
        "deploy.cron_schedule",
        "deploy.restart_policy",
        "deploy.sleep_when_idle",
        "deploy.regions.europe-west4-drams3a",
        "deploy.limits.vcpus",
        "deploy.limits.memory_gb",
    ];
    let mut expected = BTreeSet::new();
    for environment in ["production", "staging"] {
        for (service, names) in [("platform-api", &api[..]), ("storefront", &web[..]), ("jobs", &jobs[..])] {
            expected.extend(names.iter().map(|name| format!("{environment}/{service}/{name}")));
        }
    }
    expected.insert("staging/storefront/deploy.sleep_when_idle".to_string());
    assert_eq!(changes, expected, "the plan restores exactly the migrated settings");

    workspace.run(&["apply", PLANNED[0], PLANNED[1], "--yes"]).expect(0);
    for (environment, staging) in [(&live.project.production, false), (&live.staging, true)] {
        let (config, _) = crate::seed::config(&emulator, environment, true);
        let wanted = settings(&live, staging);
        for service in [&live.api, &live.web, &live.jobs] {
            for table in ["build", "deploy"] {
                for (key, value) in wanted["services"][service.as_str()][table].as_object().unwrap() {
                    let got = &config["services"][service.as_str()][table][key];
                    let same = same_json(got, value) || (value.is_string() && got == &json!([value]));
                    assert!(same, "{environment} {service} {table}.{key}: {got} ≠ {value}");
                }
            }
        }
    }
    let again = workspace.run(&["plan", PLANNED[0], PLANNED[1], "--detailed-exitcode"]).expect(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
}

/// JSON equality with numbers compared by value (`2` is `2.0`).
fn same_json(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::Object(a), Value::Object(b)) => {
            a.len() == b.len() && a.iter().all(|(key, value)| b.get(key).is_some_and(|other| same_json(value, other)))
        }
        (Value::Array(a), Value::Array(b)) => a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_json(a, b)),
        _ => a == b,
    }
}
