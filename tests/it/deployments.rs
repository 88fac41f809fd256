//! The emulator's deployments over HTTP, as an orchestrator sees them (issue 15): statuses that
//! advance with `--deploy-seconds`, deployments that fail on dangling references or because a
//! test asked (`/_emulator/fail-deploys`), rollbacks that become the active deployment, the
//! latest deployment of every instance in one request, and the per-instance `updatedAt` that
//! tells a deployment older than the instance's last committed change.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{Auth, Emulator};
use crate::seed::{create_project, create_service, text, upsert_variables, Project};

const DEPLOY: &str =
    "mutation Deploy($e: String!, $s: String!) { serviceInstanceDeployV2(environmentId: $e, serviceId: $s) }";
const DEPLOYMENT: &str = "query Deployment($id: String!) { deployment(id: $id) { id status createdAt canRollback } }";
/// What a poll of an orchestrator reads: the latest deployment of every instance of an
/// environment, and when each instance last changed, in one request.
const ROLLOUT: &str = "query Rollout($e: String!) {
    environment(id: $e) {
        serviceInstances { edges { node { serviceId serviceName updatedAt latestDeployment { id status createdAt } } } }
    }
}";

fn deploy(emulator: &Emulator, project: &Project, service: &str) -> String {
    text(&emulator.data(DEPLOY, json!({"e": project.production, "s": service}))["serviceInstanceDeployV2"])
}

fn status(emulator: &Emulator, id: &str) -> String {
    text(&emulator.data(DEPLOYMENT, json!({"id": id}))["deployment"]["status"])
}

fn record(emulator: &Emulator, id: &str) -> Value {
    emulator.deployments().into_iter().find(|d| d["id"] == id).unwrap_or_else(|| panic!("no record of {id}"))
}

/// The instances of the environment by service name, as one [`ROLLOUT`] read shows them.
fn rollout(emulator: &Emulator, environment: &str) -> std::collections::BTreeMap<String, Value> {
    let data = emulator.data(ROLLOUT, json!({"e": environment}));
    let edges = data["environment"]["serviceInstances"]["edges"].as_array().unwrap().clone();
    edges.into_iter().map(|edge| (text(&edge["node"]["serviceName"]), edge["node"].clone())).collect()
}

fn latest(emulator: &Emulator, project: &Project, service: &str) -> String {
    let data = emulator.data(
        "query($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) { latestDeployment { id } } }",
        json!({"e": project.production, "s": service}),
    );
    text(&data["serviceInstance"]["latestDeployment"]["id"])
}

fn active(emulator: &Emulator, project: &Project, service: &str) -> Vec<String> {
    let data = emulator.data(
        "query($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) { activeDeployments { id } } }",
        json!({"e": project.production, "s": service}),
    );
    data["serviceInstance"]["activeDeployments"].as_array().unwrap().iter().map(|d| text(&d["id"])).collect()
}

fn image_service(emulator: &Emulator, project: &Project, name: &str) -> String {
    create_service(emulator, json!({"projectId": project.id, "name": name, "source": {"image": "nginx:1"}}))
}

#[test]
fn statuses_advance_through_the_phases_over_deploy_seconds_and_the_old_deployment_serves_until_then() {
    let emulator = Emulator::builder().deploy_seconds(1.5).start();
    let project = create_project(&emulator, "shop");
    let api = image_service(&emulator, &project, "api");
    let first = latest(&emulator, &project, &api);
    // Wait for the creation's deployment to finish, then deploy again and watch.
    let started = Instant::now();
    while status(&emulator, &first) != "SUCCESS" {
        assert!(started.elapsed() < Duration::from_secs(10), "the first deployment never succeeded");
        std::thread::sleep(Duration::from_millis(50));
    }
    let second = deploy(&emulator, &project, &api);
    let started = Instant::now();
    let mut seen = Vec::new();
    loop {
        let now = status(&emulator, &second);
        if seen.last() != Some(&now) {
            seen.push(now.clone());
        }
        if now == "SUCCESS" {
            break;
        }
        let (old, serving) = (status(&emulator, &first), active(&emulator, &project, &api));
        // (Unless the new one ended between the two reads.)
        if old != "SUCCESS" || serving != [first.clone()] {
            assert_eq!(
                status(&emulator, &second),
                "SUCCESS",
                "the previous deployment serves while the new one rolls out"
            );
        }
        assert!(started.elapsed() < Duration::from_secs(10), "stuck at {seen:?}");
        std::thread::sleep(Duration::from_millis(40));
    }
    assert!(started.elapsed() >= Duration::from_millis(1400), "it ended after {:?}", started.elapsed());
    assert_ne!(seen[0], "SUCCESS", "a deployment does not end at once with --deploy-seconds: {seen:?}");
    let order = ["INITIALIZING", "BUILDING", "DEPLOYING", "SUCCESS"];
    let positions: Vec<usize> = seen.iter().map(|s| order.iter().position(|o| o == s).unwrap()).collect();
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "statuses out of order: {seen:?}");
    assert!(seen.contains(&"BUILDING".to_string()), "{seen:?}");
    assert_eq!(status(&emulator, &first), "REMOVED", "replaced once the new one succeeded");
    assert_eq!(active(&emulator, &project, &api), std::slice::from_ref(&second));
    assert_eq!(record(&emulator, &second)["status"], "SUCCESS", "the inspection endpoint shows the status now");
}

#[test]
fn a_dangling_reference_fails_the_deployment_and_a_railway_variable_not_provided_yet_does_not() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let db = image_service(&emulator, &project, "db");
    let api = image_service(&emulator, &project, "api");
    let working = latest(&emulator, &project, &api);
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": db,
               "variables": {"PUBLIC_URL": "postgres://${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}",
                             "HOST": "${{RAILWAY_PRIVATE_DOMAIN}}"}}),
    );
    let db_deployment = latest(&emulator, &project, &db);
    assert_eq!(status(&emulator, &db_deployment), "SUCCESS", "no TCP proxy yet is not a failure");
    assert_eq!(
        record(&emulator, &db_deployment)["unresolved"],
        json!(["RAILWAY_TCP_PROXY_DOMAIN", "RAILWAY_TCP_PROXY_PORT"])
    );

    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api,
               "variables": {"DB": "${{db.PUBLIC_URL}}", "CACHE": "${{cache.URL}}", "MODE": "${{shared.MODE}}"}}),
    );
    let failed = latest(&emulator, &project, &api);
    assert_eq!(status(&emulator, &failed), "FAILED");
    let failure = record(&emulator, &failed);
    assert_eq!(failure["dangling"], json!(["cache.URL", "shared.MODE"]));
    assert_eq!(failure["failure"], "unresolved references: cache.URL, shared.MODE");
    assert_eq!(status(&emulator, &working), "SUCCESS", "a failed deployment leaves the previous one active");
    assert_eq!(active(&emulator, &project, &api), [working]);

    let cache = image_service(&emulator, &project, "cache");
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": cache, "skipDeploys": true,
               "variables": {"URL": "redis://cache"}}),
    );
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "variables": {"MODE": "prod"}}),
    );
    assert_eq!(status(&emulator, &latest(&emulator, &project, &api)), "SUCCESS", "fixed, it deploys");
}

#[test]
fn fail_deploys_fails_the_next_deployments_of_a_service_until_used_up_or_cleared() {
    let emulator = Emulator::builder().token("t").start();
    let project = create_project(&emulator, "shop");
    let api = image_service(&emulator, &project, "api");
    let worker = image_service(&emulator, &project, "worker");
    let good = latest(&emulator, &project, &api);

    let refused = emulator.inspect_as(&Auth::None, reqwest::Method::POST, "fail-deploys?service=api", None);
    assert_eq!(refused.status, 401, "behind --token like every inspection endpoint");

    let rules = emulator.fail_deploys("service=api&count=2");
    assert_eq!(rules, json!([{"service": "api", "environment": null, "remaining": 2, "status": "FAILED"}]));
    let (one, two, three) =
        (deploy(&emulator, &project, &api), deploy(&emulator, &project, &api), deploy(&emulator, &project, &api));
    assert_eq!(
        [status(&emulator, &one), status(&emulator, &two), status(&emulator, &three)],
        ["FAILED", "FAILED", "SUCCESS"]
    );
    assert!(text(&record(&emulator, &one)["failure"]).contains("healthcheck"));
    assert_eq!(status(&emulator, &deploy(&emulator, &project, &worker)), "SUCCESS", "other services deploy");
    assert_eq!(status(&emulator, &good), "REMOVED", "replaced by the third, successful one");

    // Without a count: every deployment until cleared (here with ?clear; DELETE does the same).
    emulator.fail_deploys("service=api");
    for _ in 0..3 {
        assert_eq!(status(&emulator, &deploy(&emulator, &project, &api)), "FAILED");
    }
    assert_eq!(
        active(&emulator, &project, &api),
        std::slice::from_ref(&three),
        "the last good deployment still serves"
    );
    assert_eq!(emulator.fail_deploys("service=api&clear"), json!([]));
    assert_eq!(status(&emulator, &deploy(&emulator, &project, &api)), "SUCCESS");

    // CRASHED: it started (replacing the previous deployment), then exited; only in the
    // environment named.
    let staging = text(
        &emulator.data(
            "mutation($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id } }",
            json!({"input": {"projectId": project.id, "name": "staging", "sourceEnvironmentId": project.production}}),
        )["environmentCreate"]["id"],
    );
    emulator.fail_deploys("service=api&environment=production&status=CRASHED");
    let before = latest(&emulator, &project, &api);
    let crashed = deploy(&emulator, &project, &api);
    let crashed_view = emulator.data(
        "query($id: String!) { deployment(id: $id) { status deploymentStopped instances { status } } }",
        json!({"id": crashed}),
    );
    assert_eq!(
        crashed_view["deployment"],
        json!({"status": "CRASHED", "deploymentStopped": true, "instances": [{"status": "CRASHED"}]})
    );
    assert_eq!(status(&emulator, &before), "REMOVED");
    assert!(active(&emulator, &project, &api).is_empty());
    let in_staging = text(&emulator.data(DEPLOY, json!({"e": staging, "s": api}))["serviceInstanceDeployV2"]);
    assert_eq!(status(&emulator, &in_staging), "SUCCESS");
    assert_eq!(emulator.clear_fail_deploys(""), json!([]));
    let bad = emulator.inspect_as(
        &Auth::Bearer("t".into()),
        reqwest::Method::POST,
        "fail-deploys?service=api&status=SLEEPING",
        None,
    );
    assert_eq!(bad.status, 400);
}

#[test]
fn a_rollback_starts_a_deployment_of_the_old_snapshot_that_becomes_the_active_one() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let api = image_service(&emulator, &project, "api");
    let vars = |value: &str| json!({"projectId": project.id, "environmentId": project.production, "serviceId": api, "variables": {"VERSION": value}});
    upsert_variables(&emulator, vars("1"));
    let good = latest(&emulator, &project, &api);
    emulator.fail_deploys("service=api&status=CRASHED&count=1");
    emulator.data(
        "mutation($s: String!, $e: String!) { serviceInstanceUpdate(serviceId: $s, environmentId: $e, input: {numReplicas: 3}) }",
        json!({"s": api, "e": project.production}),
    );
    upsert_variables(&emulator, vars("2"));
    let bad = latest(&emulator, &project, &api);
    assert_eq!([status(&emulator, &good), status(&emulator, &bad)], ["REMOVED", "CRASHED"]);
    let view = emulator.data(DEPLOYMENT, json!({"id": good}));
    assert_eq!(view["deployment"]["canRollback"], true);

    let refused = emulator.graphql("mutation($id: String!) { deploymentRollback(id: $id) }", json!({"id": bad}));
    assert_eq!(text(&refused["errors"][0]["message"]), "Only a deployment that succeeded can be rolled back to");

    let rolled = emulator.data("mutation($id: String!) { deploymentRollback(id: $id) }", json!({"id": good}));
    assert_eq!(rolled["deploymentRollback"], true);
    let rollback = latest(&emulator, &project, &api);
    assert!(rollback != good && rollback != bad, "a rollback is a new deployment");
    assert_eq!(status(&emulator, &rollback), "SUCCESS");
    assert_eq!(active(&emulator, &project, &api), std::slice::from_ref(&rollback));
    assert_eq!(status(&emulator, &bad), "REMOVED");
    let snapshot = record(&emulator, &rollback);
    assert_eq!(snapshot["variables"]["VERSION"], "1", "the old deployment's variables");
    assert_eq!(snapshot["replicas"], 1, "and its settings");
    assert_eq!(snapshot["meta"]["reason"], "rollback");
    assert_eq!(snapshot["meta"]["rollbackOf"], good.as_str());

    // deploymentRedeploy runs the instance as it is now.
    let redeployed =
        emulator.data("mutation($id: String!) { deploymentRedeploy(id: $id) { id status } }", json!({"id": rollback}));
    let again = text(&redeployed["deploymentRedeploy"]["id"]);
    assert_eq!(redeployed["deploymentRedeploy"]["status"], "SUCCESS");
    assert_eq!(record(&emulator, &again)["variables"]["VERSION"], "2");
    assert_eq!(record(&emulator, &again)["replicas"], 3);
}

#[test]
fn one_request_reads_every_instances_latest_deployment_and_tells_what_changed_since() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let db = image_service(&emulator, &project, "db");
    let api = image_service(&emulator, &project, "api");
    let worker = image_service(&emulator, &project, "worker");
    let environment = project.production.clone();
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": environment, "variables": {"REGION": "eu", "OTHER": "x"}, "skipDeploys": true}),
    );
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": environment, "serviceId": db, "variables": {"URL": "pg://db"}, "skipDeploys": true}),
    );
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": environment, "serviceId": api, "skipDeploys": true,
               "variables": {"DB": "${{db.URL}}", "REGION": "${{shared.REGION}}"}}),
    );
    let pending = |emulator: &Emulator| -> Vec<String> {
        rollout(emulator, &environment)
            .into_iter()
            .filter(|(_, node)| {
                node["latestDeployment"].is_null()
                    || text(&node["latestDeployment"]["createdAt"]) < text(&node["updatedAt"])
            })
            .map(|(name, _)| name)
            .collect()
    };
    assert_eq!(pending(&emulator), ["api", "db"], "written with skipDeploys after their creation's deployment");
    for service in [&db, &api] {
        deploy(&emulator, &project, service);
    }
    assert!(pending(&emulator).is_empty());
    emulator.reset_stats();
    let all = rollout(&emulator, &environment);
    assert_eq!(all.len(), 3);
    assert!(all.values().all(|node| node["latestDeployment"]["status"] == "SUCCESS"));
    assert_eq!(emulator.stats()["requests"], 1, "one request for the whole environment");

    // Staged, not committed: nothing changed yet.
    emulator.data(
        "mutation($e: String!, $c: EnvironmentConfig!) { environmentStageChanges(environmentId: $e, input: $c, merge: true) { id } }",
        json!({"e": environment, "c": {"sharedVariables": {"REGION": {"value": "us"}}}}),
    );
    assert!(pending(&emulator).is_empty(), "staged changes are not committed changes");
    emulator.data(
        "mutation($e: String!) { environmentPatchCommitStaged(environmentId: $e, skipDeploys: true) }",
        json!({"e": environment}),
    );
    assert_eq!(pending(&emulator), ["api"], "api references shared.REGION; db and worker do not");

    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": environment, "variables": {"OTHER": "y"}, "skipDeploys": true}),
    );
    assert_eq!(pending(&emulator), ["api"], "nobody references shared.OTHER");

    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": environment, "serviceId": db, "variables": {"URL": "pg://db2"}, "skipDeploys": true}),
    );
    assert_eq!(pending(&emulator), ["api", "db"], "api renders db.URL");

    // A write that deploys: its deployment is newer than the change it runs.
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": environment, "serviceId": db, "variables": {"URL": "pg://db3"}}),
    );
    assert_eq!(pending(&emulator), ["api"]);
    deploy(&emulator, &project, &api);
    assert!(pending(&emulator).is_empty());

    // Settings and networking are changes too; a domain appears in RAILWAY_PUBLIC_DOMAIN.
    emulator.data(
        "mutation($s: String!, $e: String!) { serviceInstanceUpdate(serviceId: $s, environmentId: $e, input: {startCommand: \"run\"}) }",
        json!({"s": worker, "e": environment}),
    );
    assert_eq!(pending(&emulator), ["worker"]);
    emulator.data(
        "mutation($i: ServiceDomainCreateInput!) { serviceDomainCreate(input: $i) { domain } }",
        json!({"i": {"environmentId": environment, "serviceId": api, "targetPort": 8080}}),
    );
    assert_eq!(pending(&emulator), ["api", "worker"]);
}

#[test]
fn environment_variables_lists_every_variable_with_when_it_was_created_and_changed() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let api = image_service(&emulator, &project, "api");
    let write = |variables: Value, service: Option<&str>| {
        let mut input = json!({"projectId": project.id, "environmentId": project.production, "variables": variables, "skipDeploys": true});
        if let Some(service) = service {
            input["serviceId"] = json!(service);
        }
        upsert_variables(&emulator, input);
    };
    write(json!({"SHARED": "1"}), None);
    write(json!({"A": "1", "B": "1"}), Some(&api));
    let read = || {
        let data = emulator.data(
            "query($e: String!) { environment(id: $e) { variables { edges { node { id name serviceId isSealed createdAt updatedAt } } } } }",
            json!({"e": project.production}),
        );
        let edges = data["environment"]["variables"]["edges"].as_array().unwrap().clone();
        edges
            .into_iter()
            .map(|edge| (text(&edge["node"]["name"]), edge["node"].clone()))
            .collect::<std::collections::BTreeMap<_, _>>()
    };
    let first = read();
    assert_eq!(first.keys().collect::<Vec<_>>(), ["A", "B", "SHARED"]);
    assert_eq!(first["SHARED"]["serviceId"], Value::Null);
    assert_eq!(first["A"]["serviceId"], api.as_str());
    assert_eq!(first["A"]["createdAt"], first["A"]["updatedAt"]);
    write(json!({"A": "2", "B": "1"}), Some(&api));
    let second = read();
    assert!(text(&second["A"]["updatedAt"]) > text(&first["A"]["updatedAt"]), "A changed");
    assert_eq!(second["A"]["createdAt"], first["A"]["createdAt"]);
    assert_eq!(second["B"], first["B"], "B was written with the same value: unchanged");
    assert_eq!(second["A"]["id"], first["A"]["id"], "ids are stable");
}
