//! The emulator's newer Railway surface, over HTTP: staged changes and patch commits (null
//! deletes, all or nothing, deploys unless skipped, the etag moves, the count of what is
//! staged), deployments and their statuses, service domains and TCP proxies behind
//! `RAILWAY_PUBLIC_DOMAIN` / `RAILWAY_TCP_PROXY_*`, environments copied or ephemeral, and the
//! fields the official Railway CLI reads.

use serde_json::{json, Value};

use crate::harness::Emulator;
use crate::seed::{config, create_project, create_service, text, upsert_variables, variables, Project};

const STAGE: &str = "mutation Stage($e: String!, $input: EnvironmentConfig!, $merge: Boolean) {
    environmentStageChanges(environmentId: $e, input: $input, merge: $merge) { id status }
}";
const STAGED: &str = "query Staged($e: String!) {
    environmentStagedChanges(environmentId: $e) { id status patch(decryptVariables: true) lastAppliedError }
    environment(id: $e) { unmergedChangesCount }
}";
const COMMIT: &str = "mutation Commit($e: String!, $skip: Boolean) {
    environmentPatchCommitStaged(environmentId: $e, commitMessage: \"test\", skipDeploys: $skip)
}";

fn first_error(response: &Value) -> String {
    text(&response["errors"][0]["message"])
}

/// A project with `api` (an image, variable `KEEP` and `DROP`) and `db` (an image), written
/// without deploys.
fn project(emulator: &Emulator) -> (Project, String, String) {
    let project = create_project(emulator, "shop");
    let api = create_service(emulator, json!({"projectId": project.id, "name": "api", "source": {"image": "nginx:1"}}));
    let db =
        create_service(emulator, json!({"projectId": project.id, "name": "db", "source": {"image": "postgres:16"}}));
    upsert_variables(
        emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api, "skipDeploys": true,
               "variables": {"KEEP": "1", "DROP": "2"}}),
    );
    (project, api, db)
}

fn deployment_count(emulator: &Emulator) -> usize {
    emulator.deployments().len()
}

#[test]
fn staged_changes_merge_count_and_commit_all_at_once() {
    let emulator = Emulator::start();
    let (project, api, _db) = project(&emulator);
    let (_, etag) = config(&emulator, &project.production, false);

    let first = emulator.data(
        STAGE,
        json!({"e": project.production, "input": {"services": {api.clone(): {"variables": {"DROP": null, "NEW": {"value": "3"}}}}}}),
    );
    assert_eq!(first["environmentStageChanges"]["status"], "STAGED");
    emulator.data(
        STAGE,
        json!({"e": project.production, "merge": true,
               "input": {"services": {api.clone(): {"deploy": {"startCommand": "nginx -g 'daemon off;'"}}},
                         "sharedVariables": {"REGION": {"value": "eu"}}}}),
    );
    let staged = emulator.data(STAGED, json!({"e": project.production}));
    assert_eq!(
        staged["environmentStagedChanges"]["patch"],
        json!({"services": {api.clone(): {"variables": {"DROP": null, "NEW": {"value": "3"}},
                                          "deploy": {"startCommand": "nginx -g 'daemon off;'"}}},
               "sharedVariables": {"REGION": {"value": "eu"}}}),
        "merge keeps the first patch, null included"
    );
    assert_eq!(staged["environment"]["unmergedChangesCount"], 4);
    assert_eq!(config(&emulator, &project.production, false).1, etag, "staging changes nothing live");

    let before = deployment_count(&emulator);
    emulator.data(COMMIT, json!({"e": project.production, "skip": true}));
    assert_eq!(deployment_count(&emulator), before, "skipDeploys: nothing deployed");
    assert_eq!(variables(&emulator, &project, &project.production, Some(&api), true), json!({"KEEP": "1", "NEW": "3"}));
    let (live, new_etag) = config(&emulator, &project.production, true);
    assert_ne!(new_etag, etag);
    assert_eq!(live["services"][&api]["deploy"], json!({"startCommand": "nginx -g 'daemon off;'"}));
    assert_eq!(live["sharedVariables"]["REGION"]["value"], "eu");
    let staged = emulator.data(STAGED, json!({"e": project.production}));
    assert_eq!(staged["environmentStagedChanges"]["patch"], json!({}));
    assert_eq!(staged["environment"]["unmergedChangesCount"], 0);

    // Without merge the input replaces what was staged; a commit without skipDeploys deploys
    // the instances it touched.
    emulator.data(
        STAGE,
        json!({"e": project.production, "input": {"services": {api.clone(): {"variables": {"A": {"value": "1"}}}}}}),
    );
    emulator.data(
        STAGE,
        json!({"e": project.production, "input": {"services": {api.clone(): {"variables": {"B": {"value": "2"}}}}}}),
    );
    emulator.data(COMMIT, json!({"e": project.production}));
    let raw = variables(&emulator, &project, &project.production, Some(&api), true);
    assert!(raw.get("A").is_none() && raw["B"] == "2", "{raw}");
    let deployments = emulator.deployments();
    assert_eq!(deployments.len(), before + 1);
    assert_eq!(deployments.last().unwrap()["service_id"], api.as_str());
    assert_eq!(deployments.last().unwrap()["variables"]["B"], "2");
}

#[test]
fn a_commit_that_cannot_apply_changes_nothing_and_says_why() {
    let emulator = Emulator::start();
    let (project, api, db) = project(&emulator);
    emulator.data(
        STAGE,
        json!({"e": project.production,
               "input": {"services": {api.clone(): {"variables": {"KEEP": null}}, db.clone(): {"variables": {"X": {"value": "1"}}}}}}),
    );
    emulator.data("mutation($id: String!) { serviceDelete(id: $id) }", json!({"id": db}));
    let (_, etag) = config(&emulator, &project.production, true);

    let refused = emulator.graphql(COMMIT, json!({"e": project.production}));
    assert!(first_error(&refused).contains("Service not found"), "{refused}");
    assert_eq!(variables(&emulator, &project, &project.production, Some(&api), true)["KEEP"], "1", "api untouched");
    assert_eq!(config(&emulator, &project.production, true).1, etag);
    let staged = emulator.data(STAGED, json!({"e": project.production}));
    assert!(text(&staged["environmentStagedChanges"]["lastAppliedError"]).contains("Service not found"));
    assert_eq!(staged["environment"]["unmergedChangesCount"], 2, "still staged");

    let bad = emulator.graphql(
        STAGE,
        json!({"e": project.production, "input": {"services": {api.clone(): {"deploy": {"restartPolicyType": "SOMETIMES"}}}}}),
    );
    assert_eq!(
        first_error(&bad),
        "services.".to_string() + &api + ".deploy.restartPolicyType: SOMETIMES is not one of ON_FAILURE, ALWAYS, NEVER"
    );
}

#[test]
fn a_direct_patch_commit_copies_an_environment_as_the_official_cli_duplicates_one() {
    let emulator = Emulator::start();
    let (project, api, db) = project(&emulator);
    emulator.data(
        "mutation V($input: VolumeCreateInput!) { volumeCreate(input: $input) { id } }",
        json!({"input": {"projectId": project.id, "serviceId": db, "mountPath": "/var/lib/postgresql/data"}}),
    );
    emulator.data(
        "mutation D($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { domain } }",
        json!({"input": {"environmentId": project.production, "serviceId": api, "targetPort": 8080}}),
    );
    emulator.seal(&project.production, Some(&api), "DROP");
    let qa = emulator.data(
        "mutation($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id } }",
        json!({"input": {"projectId": project.id, "name": "qa", "applyChangesInBackground": false}}),
    );
    let qa = text(&qa["environmentCreate"]["id"]);
    let (mut copy, _) = config(&emulator, &project.production, true);
    for section in ["services", "volumes"] {
        for entry in copy[section].as_object_mut().unwrap().values_mut() {
            entry["isCreated"] = json!(true);
        }
    }
    let before = deployment_count(&emulator);
    emulator.data(
        "mutation P($e: String!, $patch: EnvironmentConfig) { environmentPatchCommit(environmentId: $e, patch: $patch) }",
        json!({"e": qa, "patch": copy}),
    );
    let (copied, _) = config(&emulator, &qa, true);
    assert_eq!(
        copied["services"][&api]["variables"],
        json!({"KEEP": {"value": "1"}}),
        "sealed variables are not copied"
    );
    assert_eq!(copied["services"][&db]["source"]["image"], "postgres:16");
    assert_eq!(copied["services"][&db]["volumeMounts"].as_object().unwrap().len(), 1);
    let domains: Vec<&String> =
        copied["services"][&api]["networking"]["serviceDomains"].as_object().unwrap().keys().collect();
    assert_eq!(domains.len(), 1);
    assert_ne!(domains[0], "api-production.up.railway.app", "a domain is unique: the copy gets its own");
    assert_eq!(deployment_count(&emulator), before + 2, "both copied services deploy");
}

#[test]
fn deployments_succeed_replace_the_previous_one_and_are_listed_newest_first() {
    let emulator = Emulator::start();
    let (project, api, _db) = project(&emulator);
    let deploy = || {
        let data = emulator.data(
            "mutation D($e: String!, $s: String!) { serviceInstanceDeployV2(environmentId: $e, serviceId: $s) }",
            json!({"e": project.production, "s": api}),
        );
        text(&data["serviceInstanceDeployV2"])
    };
    let first = deploy();
    let second = deploy();
    let data = emulator.data(
        "query Q($first: String!, $second: String!, $e: String!, $s: String!) {
            old: deployment(id: $first) { id status canRollback deploymentStopped instances { status } }
            new: deployment(id: $second) { id status environmentId meta deploymentStopped instances { status } }
            serviceInstance(environmentId: $e, serviceId: $s) { latestDeployment { id } activeDeployments { id status } }
            deployments(input: {serviceId: $s, environmentId: $e}, first: 2) { edges { node { id status } } }
            successful: deployments(input: {serviceId: $s, status: {in: [SUCCESS]}}) { edges { node { id } } }
        }",
        json!({"first": first, "second": second, "e": project.production, "s": api}),
    );
    assert_eq!(data["old"]["status"], "REMOVED");
    assert_eq!(data["old"]["canRollback"], true);
    assert_eq!(data["old"]["instances"], json!([]));
    assert_eq!(data["new"]["status"], "SUCCESS");
    assert_eq!(data["new"]["instances"], json!([{"status": "RUNNING"}]));
    assert_eq!(data["new"]["meta"]["serviceManifest"]["source"]["image"], "nginx:1");
    assert_eq!(data["serviceInstance"]["latestDeployment"]["id"], second.as_str());
    assert_eq!(data["serviceInstance"]["activeDeployments"], json!([{"id": second, "status": "SUCCESS"}]));
    let listed: Vec<&str> =
        data["deployments"]["edges"].as_array().unwrap().iter().map(|e| e["node"]["id"].as_str().unwrap()).collect();
    assert_eq!(listed, [second.as_str(), first.as_str()]);
    assert_eq!(data["successful"]["edges"], json!([{"node": {"id": second}}]));
    let missing = emulator.graphql("{ deployment(id: \"nope\") { id } }", json!({}));
    assert_eq!(first_error(&missing), "Deployment not found");
}

#[test]
fn a_deployment_is_redeployed_restarted_rolled_back_and_removed() {
    let emulator = Emulator::start();
    let (project, api, _db) = project(&emulator);
    let status = |id: &str| {
        text(
            &emulator.data("query($id: String!) { deployment(id: $id) { status } }", json!({"id": id}))["deployment"]
                ["status"],
        )
    };
    let latest = || {
        let data = emulator.data(
            "query($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) { latestDeployment { id } } }",
            json!({"e": project.production, "s": api}),
        );
        text(&data["serviceInstance"]["latestDeployment"]["id"])
    };
    let first = latest();
    let redeployed =
        emulator.data("mutation($id: String!) { deploymentRedeploy(id: $id) { id status } }", json!({"id": first}));
    let second = text(&redeployed["deploymentRedeploy"]["id"]);
    assert_ne!(second, first);
    assert_eq!((status(&first), status(&second)), ("REMOVED".to_string(), "SUCCESS".to_string()));
    assert_eq!(
        emulator.data("mutation($id: String!) { deploymentRestart(id: $id) }", json!({"id": second}))
            ["deploymentRestart"],
        true
    );
    let not_running = emulator.graphql("mutation($id: String!) { deploymentRestart(id: $id) }", json!({"id": first}));
    assert!(first_error(&not_running).contains("active"));

    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api, "variables": {"KEEP": "changed"}}),
    );
    emulator.data("mutation($id: String!) { deploymentRollback(id: $id) }", json!({"id": second}));
    let rolled_back = latest();
    assert_eq!(status(&rolled_back), "SUCCESS");
    let record = emulator.deployments().into_iter().find(|d| d["id"] == rolled_back.as_str()).unwrap();
    assert_eq!(record["variables"]["KEEP"], "1", "a rollback runs with the variables the old deployment had");
    assert_eq!(record["meta"]["reason"], "rollback");
    assert_eq!(variables(&emulator, &project, &project.production, Some(&api), true)["KEEP"], "changed");

    emulator.data("mutation($id: String!) { deploymentRemove(id: $id) }", json!({"id": rolled_back}));
    let active = emulator.data(
        "query($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) { activeDeployments { id } } }",
        json!({"e": project.production, "s": api}),
    );
    assert_eq!(active["serviceInstance"]["activeDeployments"], json!([]));
}

#[test]
fn a_change_set_preview_drops_what_would_change_nothing_and_changes_nothing_itself() {
    let emulator = Emulator::start();
    let (project, _api, _db) = project(&emulator);
    let (_, etag) = config(&emulator, &project.production, true);
    let set = |value: &str| json!({"kind": "variable.set", "address": "service.api", "variable": "KEEP", "after": {"type": "literal", "value": value}});
    let delete = json!({"kind": "variable.delete", "address": "service.api", "variable": "DROP"});
    let data = emulator.data(
        "mutation P($e: String!, $input: JSON!) { environmentPreviewChangeSet(environmentId: $e, input: $input) { changeSet diagnostics effects } }",
        json!({"e": project.production, "input": {"version": 1, "changes": [set("1"), set("2"), delete.clone()]}}),
    );
    let preview = &data["environmentPreviewChangeSet"];
    assert_eq!(preview["changeSet"]["changes"], json!([set("2"), delete]));
    assert_eq!((preview["diagnostics"].clone(), preview["effects"].clone()), (json!([]), json!([])));
    assert_eq!(config(&emulator, &project.production, true).1, etag, "a preview changes nothing");
}

fn deployment_variables(emulator: &Emulator, project: &Project, service: &str) -> Value {
    emulator.data(
        "query D($p: String!, $e: String!, $s: String!) { variablesForServiceDeployment(projectId: $p, environmentId: $e, serviceId: $s) }",
        json!({"p": project.id, "e": project.production, "s": service}),
    )["variablesForServiceDeployment"]
        .clone()
}

#[test]
fn public_domain_and_tcp_proxy_variables_exist_only_with_a_domain_or_a_proxy() {
    let emulator = Emulator::start();
    let (project, api, db) = project(&emulator);
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api, "skipDeploys": true,
               "variables": {"URL": "https://${{RAILWAY_PUBLIC_DOMAIN}}", "DB": "${{db.RAILWAY_TCP_PROXY_DOMAIN}}:${{db.RAILWAY_TCP_PROXY_PORT}}"}}),
    );
    let seen = deployment_variables(&emulator, &project, &api);
    assert!(seen.get("RAILWAY_PUBLIC_DOMAIN").is_none(), "{seen}");
    assert_eq!(seen["URL"], "https://${{RAILWAY_PUBLIC_DOMAIN}}");
    assert_eq!(seen["DB"], "${{db.RAILWAY_TCP_PROXY_DOMAIN}}:${{db.RAILWAY_TCP_PROXY_PORT}}");

    let created = emulator.data(
        "mutation D($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { id domain suffix targetPort syncStatus } }",
        json!({"input": {"environmentId": project.production, "serviceId": api, "targetPort": 8080}}),
    );
    let domain = &created["serviceDomainCreate"];
    assert_eq!(domain["domain"], "api-production.up.railway.app");
    assert_eq!(domain["syncStatus"], "ACTIVE");
    emulator.data(
        STAGE,
        json!({"e": project.production, "input": {"services": {db.clone(): {"networking": {"tcpProxies": {"5432": {}}}}}}}),
    );
    emulator.data(COMMIT, json!({"e": project.production, "skip": true}));

    let seen = deployment_variables(&emulator, &project, &api);
    assert_eq!(seen["URL"], "https://api-production.up.railway.app");
    let proxy = emulator.data(
        "query T($e: String!, $s: String!) { tcpProxies(environmentId: $e, serviceId: $s) { domain proxyPort applicationPort } }",
        json!({"e": project.production, "s": db}),
    );
    let proxy = &proxy["tcpProxies"][0];
    assert_eq!(proxy["applicationPort"], 5432);
    assert_eq!(seen["DB"], format!("{}:{}", text(&proxy["domain"]), proxy["proxyPort"]));
    let (live, _) = config(&emulator, &project.production, false);
    assert_eq!(
        live["services"][&api]["networking"],
        json!({"serviceDomains": {"api-production.up.railway.app": {"port": 8080}}})
    );
    assert_eq!(live["services"][&db]["networking"], json!({"tcpProxies": {"5432": {}}}));
    let domains = emulator.data(
        "query A($p: String!, $e: String!, $s: String!) { domains(projectId: $p, environmentId: $e, serviceId: $s) {
            serviceDomains { id domain } customDomains { id } } }",
        json!({"p": project.id, "e": project.production, "s": api}),
    );
    let id = text(&domains["domains"]["serviceDomains"][0]["id"]);

    emulator.data("mutation($id: String!) { serviceDomainDelete(id: $id) }", json!({"id": id}));
    assert!(deployment_variables(&emulator, &project, &api).get("RAILWAY_PUBLIC_DOMAIN").is_none());
    emulator.data(
        STAGE,
        json!({"e": project.production, "input": {"services": {db.clone(): {"networking": {"tcpProxies": {"5432": null}}}}}}),
    );
    emulator.data(COMMIT, json!({"e": project.production, "skip": true}));
    assert!(deployment_variables(&emulator, &project, &db).get("RAILWAY_TCP_PROXY_DOMAIN").is_none());
}

#[test]
fn a_custom_domain_shows_the_dns_records_to_create() {
    let emulator = Emulator::start();
    let (project, api, _db) = project(&emulator);
    let created = emulator.data(
        "mutation C($input: CustomDomainCreateInput!) { customDomainCreate(input: $input) {
            domain targetPort status { verified certificateStatus dnsRecords { recordType hostlabel zone fqdn requiredValue status } } } }",
        json!({"input": {"projectId": project.id, "environmentId": project.production, "serviceId": api,
                         "domain": "shop.example.com", "targetPort": 8080}}),
    );
    let domain = &created["customDomainCreate"];
    assert_eq!(domain["status"]["verified"], false);
    let record = &domain["status"]["dnsRecords"][0];
    assert_eq!(record["recordType"], "DNS_RECORD_TYPE_CNAME");
    assert_eq!((record["hostlabel"].as_str(), record["zone"].as_str()), (Some("shop"), Some("example.com")));
    assert!(text(&record["requiredValue"]).ends_with(".up.railway.app"));
    let taken = emulator.graphql(
        "mutation C($input: CustomDomainCreateInput!) { customDomainCreate(input: $input) { id } }",
        json!({"input": {"projectId": project.id, "environmentId": project.production, "serviceId": api, "domain": "shop.example.com"}}),
    );
    assert!(first_error(&taken).contains("already in use"));
}

#[test]
fn environments_know_their_source_and_ephemeral_ones_are_filtered() {
    let emulator = Emulator::start();
    let (project, api, _db) = project(&emulator);
    let preview = emulator.data(
        "mutation($input: EnvironmentCreateInput!) { environmentCreate(input: $input) {
            id isEphemeral canAccess deletedAt meta { prNumber } sourceEnvironment { id name } } }",
        json!({"input": {"projectId": project.id, "name": "pr-7", "ephemeral": true, "sourceEnvironmentId": project.production,
                         "skipInitialDeploys": true, "applyChangesInBackground": true}}),
    );
    let preview = &preview["environmentCreate"];
    assert_eq!(preview["isEphemeral"], true);
    assert_eq!(preview["canAccess"], true);
    assert_eq!(preview["deletedAt"], Value::Null);
    assert_eq!(preview["sourceEnvironment"]["name"], "production");
    let preview_id = text(&preview["id"]);
    assert_eq!(variables(&emulator, &project, &preview_id, Some(&api), true)["KEEP"], "1");
    let listed = emulator.data(
        "query E($p: String!) {
            all: environments(projectId: $p) { edges { node { name } } }
            ephemeral: environments(projectId: $p, isEphemeral: true) { edges { node { name } } }
            permanent: environments(projectId: $p, isEphemeral: false) { edges { node { name } } }
        }",
        json!({"p": project.id}),
    );
    assert_eq!(listed["all"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(listed["ephemeral"]["edges"], json!([{"node": {"name": "pr-7"}}]));
    assert_eq!(listed["permanent"]["edges"], json!([{"node": {"name": "production"}}]));

    // stageInitialChanges: the copy waits, staged, until committed.
    let staged = emulator.data(
        "mutation($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id unmergedChangesCount } }",
        json!({"input": {"projectId": project.id, "name": "review", "sourceEnvironmentId": project.production, "stageInitialChanges": true}}),
    );
    let review = text(&staged["environmentCreate"]["id"]);
    assert!(staged["environmentCreate"]["unmergedChangesCount"].as_i64().unwrap() > 0);
    assert_eq!(config(&emulator, &review, true).0, json!({}));
    emulator.data(COMMIT, json!({"e": review}));
    assert_eq!(variables(&emulator, &project, &review, Some(&api), true)["KEEP"], "1");
}

#[test]
fn the_fields_the_official_cli_reads_answer_as_railway_would() {
    let emulator = Emulator::start();
    let (project, api, _db) = project(&emulator);
    emulator.data(
        STAGE,
        json!({"e": project.production, "input": {"services": {api.clone(): {"deploy": {"cronSchedule": "*/10 * * * *", "numReplicas": 2}}}}}),
    );
    emulator.data(COMMIT, json!({"e": project.production}));
    let data = emulator.data(
        "query Q($p: String!, $e: String!) {
            externalWorkspaces { id }
            me { workspaces { id team { id } } }
            regions { name region country location }
            project(id: $p) { updatedAt deletedAt buckets { edges { node { id } } }
                environments { edges { node { canAccess deletedAt updatedAt unmergedChangesCount } } } }
            environment(id: $e) { serviceInstances { edges { node { serviceName cronSchedule nextCronRunAt numReplicas
                restartPolicyType restartPolicyMaxRetries latestDeployment { status instances { status } } } } }
                volumeInstances { edges { node { id } } } }
        }",
        json!({"p": project.id, "e": project.production}),
    );
    assert_eq!(data["externalWorkspaces"], json!([]));
    assert_eq!(data["me"]["workspaces"][0]["team"], Value::Null);
    assert!(data["regions"].as_array().unwrap().iter().any(|r| r["name"] == "us-west2"));
    assert_eq!(data["project"]["deletedAt"], Value::Null);
    assert_eq!(data["project"]["buckets"]["edges"], json!([]));
    assert!(text(&data["project"]["updatedAt"]).ends_with('Z'));
    assert_eq!(data["project"]["environments"]["edges"][0]["node"]["canAccess"], true);
    let instances = data["environment"]["serviceInstances"]["edges"].as_array().unwrap();
    let api_node = &instances.iter().find(|e| e["node"]["serviceName"] == "api").unwrap()["node"];
    assert_eq!(api_node["cronSchedule"], "*/10 * * * *");
    let next = text(&api_node["nextCronRunAt"]);
    let minute: u32 = next[14..16].parse().unwrap();
    assert_eq!((minute % 10, &next[17..]), (0, "00.000Z"), "{next}");
    assert_eq!(api_node["numReplicas"], 2);
    assert_eq!(api_node["restartPolicyType"], "ON_FAILURE");
    assert_eq!(api_node["restartPolicyMaxRetries"], 10);
    assert_eq!(api_node["latestDeployment"]["instances"], json!([{"status": "RUNNING"}, {"status": "RUNNING"}]));

    let telemetry = emulator.data(
        "mutation T($input: CliEventTrackInput!) { cliEventTrack(input: $input) }",
        json!({"input": {"arch": "x86_64", "cliVersion": "5.71.0", "command": "status", "durationMs": 12,
                         "isCi": true, "os": "linux", "success": true}}),
    );
    assert_eq!(telemetry["cliEventTrack"], true);
}
