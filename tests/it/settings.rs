//! The whole service in the files (issue 14), end to end against the emulator: a file with the
//! settings of SPEC §2.1 applies, the emulator's `environment.config` holds them in Railway's
//! shape, a second plan says `No changes.`, a setting changed by hand is drift, and an invalid
//! setting is a located error with nothing sent.

use serde_json::json;

use crate::harness::{Emulator, Workspace};
use crate::seed::config;

const WHOLE_SERVICE: &str = r#"
project = "platform"
environment = "production"

[services.platform-api]
repo = "acme/platform"
branch = "main"
root_directory = "apps/api"

[services.platform-api.build]
builder = "dockerfile"
dockerfile_path = "apps/api/Dockerfile"
build_command = "npm run build"
watch_patterns = ["apps/api/**"]

[services.platform-api.deploy]
start_command = "node server.js"
pre_deploy_command = ["npx prisma migrate deploy"]
pre_deploy_timeout = 300
healthcheck_path = "/health"
healthcheck_timeout = 120
restart_policy = "on_failure"
restart_max_retries = 5
regions = { "us-west2" = 2 }
draining_seconds = 30
overlap_seconds = 10
limits = { vcpus = 2, memory_gb = 4 }

[services.platform-api.networking]
railway_domain = { port = 8000 }
custom_domains = [{ domain = "api.acme.com", port = 8000 }]
tcp_proxy = [9000]

[services.cron]
image = "ghcr.io/acme/cron:1"
registry_credentials = { username = "acme-bot", password = { from_env = "GHCR_TOKEN" } }
[services.cron.deploy]
cron_schedule = "*/15 * * * *"
sleep_when_idle = true

[services.files]
image = "ghcr.io/acme/files:1"
volume = { mount = "/data", backups = ["daily", "monthly"] }
"#;

fn environment_id(emulator: &Emulator) -> (String, serde_json::Value) {
    let found = emulator.data(
        "query { projects { edges { node { environments { edges { node { id } } } services { edges { node { id name } } } } } } }",
        json!({}),
    );
    let node = &found["projects"]["edges"][0]["node"];
    (node["environments"]["edges"][0]["node"]["id"].as_str().unwrap().to_string(), node["services"]["edges"].clone())
}

fn service_id(services: &serde_json::Value, name: &str) -> String {
    services.as_array().unwrap().iter().find(|e| e["node"]["name"] == name).unwrap()["node"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn every_setting_applies_in_railways_shape_plans_clean_and_drifts_when_changed_by_hand() {
    let emulator = Emulator::start();
    let mut workspace = Workspace::new(&emulator);
    workspace.env("GHCR_TOKEN", "ghp-registry-token-1");
    workspace.file("environments/production.toml", WHOLE_SERVICE);
    let applied = workspace.run(&["apply", "--yes"]).expect(0);
    assert!(applied.stdout.contains("production/cron/registry_credentials"), "{}", applied.stdout);
    assert!(!applied.stdout.contains("ghp-registry") && !applied.stderr.contains("ghp-registry"));
    // The DNS records Railway asks for, once the custom domain exists (CustomDomain.status).
    let dns = "production/platform-api: api.acme.com waits for DNS: create CNAME api.acme.com → ";
    assert!(applied.stderr.contains(dns), "{}", applied.stderr);

    let (environment, services) = environment_id(&emulator);
    let (live, _) = config(&emulator, &environment, false);
    let api = &live["services"][service_id(&services, "platform-api").as_str()];
    assert_eq!(api["source"]["rootDirectory"], "apps/api");
    assert_eq!(api["source"]["branch"], "main");
    assert_eq!(api["build"]["builder"], "DOCKERFILE");
    assert_eq!(api["build"]["watchPatterns"], json!(["apps/api/**"]));
    assert_eq!(api["deploy"]["startCommand"], "node server.js");
    assert_eq!(api["deploy"]["restartPolicyType"], "ON_FAILURE");
    assert_eq!(api["deploy"]["restartPolicyMaxRetries"], 5);
    assert_eq!(api["deploy"]["multiRegionConfig"]["us-west2"]["numReplicas"], 2);
    assert_eq!(api["deploy"]["limitOverride"]["containers"]["memoryBytes"], 4_294_967_296u64);
    assert_eq!(api["networking"]["customDomains"]["api.acme.com"]["port"], 8000);
    assert!(api["networking"]["tcpProxies"].get("9000").is_some(), "{api}");
    let generated = api["networking"]["serviceDomains"].as_object().expect("a generated domain");
    assert_eq!(generated.len(), 1, "{api}");
    let cron = &live["services"][service_id(&services, "cron").as_str()];
    assert_eq!(cron["deploy"]["cronSchedule"], "*/15 * * * *");
    assert_eq!(cron["deploy"]["sleepApplication"], true);
    let (decrypted, _) = config(&emulator, &environment, true);
    let credentials = &decrypted["services"][service_id(&services, "cron").as_str()]["deploy"]["registryCredentials"];
    assert_eq!(credentials, &json!({"username": "acme-bot", "password": "ghp-registry-token-1"}));
    let files = &live["services"][service_id(&services, "files").as_str()];
    let mounts = files["volumeMounts"].as_object().expect("a volume");
    let (_, mount) = mounts.iter().next().unwrap();
    assert_eq!(mount["backupSchedules"], json!(["DAILY", "MONTHLY"]));

    let again = workspace.run(&["plan", "--detailed-exitcode"]).expect(0);
    assert!(again.stdout.contains("No changes."), "{}", again.stdout);
    assert!(again.stdout.contains(dns), "the plan still says what DNS waits for:\n{}", again.stdout);
    let status = workspace.run(&["status", "--format", "json"]).expect(0);
    let status: serde_json::Value = serde_json::from_str(&status.stdout).unwrap();
    let waiting = &status["dns"][0];
    assert_eq!((&waiting["service"], &waiting["domain"]), (&json!("platform-api"), &json!("api.acme.com")));
    assert_eq!(waiting["records"][0]["recordType"], "DNS_RECORD_TYPE_CNAME");
    assert!(waiting["records"][0]["requiredValue"].as_str().unwrap().ends_with(".up.railway.app"), "{status}");

    // A rotated token is a change of the credentials, shown without the password; a saved plan
    // of it holds no password either.
    workspace.env("GHCR_TOKEN", "ghp-registry-token-2");
    let rotated = workspace.run(&["plan", "--detailed-exitcode", "--show-values", "--out", "rotate.json"]).expect(2);
    assert!(rotated.stdout.contains("~ setting production/cron/registry_credentials"), "{}", rotated.stdout);
    let saved = std::fs::read_to_string(workspace.path().join("rotate.json")).unwrap();
    assert!(!rotated.stdout.contains("ghp-registry") && !saved.contains("ghp-registry"), "{saved}");
    workspace.run(&["apply", "--plan", "rotate.json"]).expect(0);
    let (decrypted, _) = config(&emulator, &environment, true);
    let credentials = &decrypted["services"][service_id(&services, "cron").as_str()]["deploy"]["registryCredentials"];
    assert_eq!(credentials["password"], "ghp-registry-token-2");
    workspace.run(&["plan", "--detailed-exitcode"]).expect(0);

    // Someone changes the start command in the dashboard.
    let api_id = service_id(&services, "platform-api");
    let answer = emulator.graphql(
        "mutation($e: String!, $p: EnvironmentConfig!) { environmentPatchCommit(environmentId: $e, patch: $p) }",
        json!({"e": environment, "p": {"services": {api_id.as_str(): {"deploy": {"startCommand": "node other.js"}}}}}),
    );
    assert!(answer.get("errors").is_none(), "{answer}");
    let drift = workspace.run(&["plan", "--detailed-exitcode", "--show-values"]).expect(2);
    assert!(
        drift.stdout.contains("production/platform-api/deploy.start_command: node other.js → node server.js"),
        "{}",
        drift.stdout
    );
}

#[test]
fn an_invalid_setting_is_a_located_error_and_nothing_is_sent() {
    let emulator = Emulator::start();
    let workspace = Workspace::new(&emulator);
    workspace.file(
        "environments/production.toml",
        &WHOLE_SERVICE.replace("cron_schedule = \"*/15 * * * *\"", "cron_schedule = \"every 15 minutes\""),
    );
    emulator.reset_stats();
    let run = workspace.run(&["apply", "--yes"]).expect(1);
    assert!(run.stderr.contains("production.toml:"), "{}", run.stderr);
    assert!(run.stderr.contains("cron"), "{}", run.stderr);
    assert_eq!(emulator.stats()["requests"], 0, "nothing was sent");
}
