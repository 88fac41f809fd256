//! The emulator's side of preview environments (issue 17), over HTTP: ephemeral environments
//! copied from a source, filtered by `isEphemeral`, made to look old for pruning
//! (`/_emulator/age`), and deleted with everything in them; the only environment of a project
//! cannot be deleted.

use serde_json::{json, Value};

use crate::harness::{Auth, Emulator};
use crate::seed::{config, create_project, create_service, text, upsert_variables, variables, Project};

const CREATE: &str = "mutation($input: EnvironmentCreateInput!) {
    environmentCreate(input: $input) { id name isEphemeral createdAt sourceEnvironment { id name } }
}";

fn first_error(response: &Value) -> String {
    text(&response["errors"][0]["message"])
}

/// `db` (an image, a variable, a volume in every environment) and `api` (an image, a reference
/// to db, a service domain in production).
fn project(emulator: &Emulator) -> (Project, String, String) {
    let project = create_project(emulator, "shop");
    let db =
        create_service(emulator, json!({"projectId": project.id, "name": "db", "source": {"image": "postgres:16"}}));
    let api = create_service(emulator, json!({"projectId": project.id, "name": "api", "source": {"image": "nginx:1"}}));
    upsert_variables(
        emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": db, "skipDeploys": true,
               "variables": {"URL": "postgres://${{RAILWAY_PRIVATE_DOMAIN}}"}}),
    );
    upsert_variables(
        emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api, "skipDeploys": true,
               "variables": {"DB": "${{db.URL}}"}}),
    );
    emulator.data(
        "mutation($i: VolumeCreateInput!) { volumeCreate(input: $i) { id } }",
        json!({"i": {"projectId": project.id, "serviceId": db, "mountPath": "/data"}}),
    );
    emulator.data(
        "mutation($i: ServiceDomainCreateInput!) { serviceDomainCreate(input: $i) { domain } }",
        json!({"i": {"environmentId": project.production, "serviceId": api, "targetPort": 8080}}),
    );
    (project, db, api)
}

fn environment_names(emulator: &Emulator, project: &Project, ephemeral: Option<bool>) -> Vec<String> {
    let data = emulator.data(
        "query($p: String!, $x: Boolean) {
            environments(projectId: $p, isEphemeral: $x) { edges { node { name } } }
            project(id: $p) { environments(isEphemeral: $x) { edges { node { name } } } }
        }",
        json!({"p": project.id, "x": ephemeral}),
    );
    let names = |edges: &Value| -> Vec<String> {
        edges.as_array().unwrap().iter().map(|edge| text(&edge["node"]["name"])).collect()
    };
    let top = names(&data["environments"]["edges"]);
    assert_eq!(top, names(&data["project"]["environments"]["edges"]), "both ways agree");
    top
}

#[test]
fn an_ephemeral_copy_names_its_source_is_filtered_and_can_be_made_to_look_old() {
    let emulator = Emulator::builder().token("t").start();
    let (project, db, api) = project(&emulator);
    let created = emulator.data(
        CREATE,
        json!({"input": {"projectId": project.id, "name": "pr-7", "ephemeral": true, "sourceEnvironmentId": project.production}}),
    );
    let preview = &created["environmentCreate"];
    let id = text(&preview["id"]);
    assert_eq!(preview["isEphemeral"], true);
    assert_eq!(preview["sourceEnvironment"], json!({"id": project.production, "name": "production"}));
    let empty = emulator.data(CREATE, json!({"input": {"projectId": project.id, "name": "pr-8", "ephemeral": true}}));
    assert_eq!(empty["environmentCreate"]["sourceEnvironment"], Value::Null);

    assert_eq!(environment_names(&emulator, &project, Some(true)), ["pr-7", "pr-8"]);
    assert_eq!(environment_names(&emulator, &project, Some(false)), ["production"]);
    assert_eq!(environment_names(&emulator, &project, None), ["production", "pr-7", "pr-8"]);

    // The copy has its own instances (rendered in pr-7) and its own volume instance.
    let rendered = variables(&emulator, &project, &id, Some(&api), false);
    assert_eq!(rendered["DB"], "postgres://db.railway.internal");
    let (copied, _) = config(&emulator, &id, false);
    assert_eq!(copied["services"].as_object().unwrap().len(), 2);
    assert_eq!(copied["services"][&db]["volumeMounts"].as_object().unwrap().len(), 1);

    // Made to look old, for `preview prune --older-than`.
    let original = text(&preview["createdAt"]);
    let aged = emulator.age(&id, 400.0);
    let created_at = text(&aged["createdAt"]);
    assert_eq!(aged["id"], id.as_str());
    let year = |stamp: &str| stamp[..4].parse::<i32>().unwrap();
    assert_eq!(year(&created_at), year(&original) - 1, "{original} → {created_at}");
    assert_eq!(&created_at[10..], &original[10..], "400 whole days: the same time of day");
    let read = emulator.data("query($id: String!) { environment(id: $id) { createdAt } }", json!({"id": id}));
    assert_eq!(read["environment"]["createdAt"], created_at.as_str());
    let half = emulator.age(&id, 0.5);
    assert_ne!(half["createdAt"], created_at.as_str());

    let refused =
        emulator.inspect_as(&Auth::None, reqwest::Method::POST, &format!("age?environment={id}&days=1"), None);
    assert_eq!(refused.status, 401, "behind --token like every inspection endpoint");
    let unknown =
        emulator.inspect_as(&Auth::Bearer("t".into()), reqwest::Method::POST, "age?environment=nope&days=1", None);
    assert_eq!(unknown.status, 404);
}

#[test]
fn deleting_an_environment_removes_its_instances_volumes_domains_and_variables_and_nothing_else() {
    let emulator = Emulator::start();
    let (project, db, api) = project(&emulator);
    let created = emulator.data(
        CREATE,
        json!({"input": {"projectId": project.id, "name": "pr-7", "ephemeral": true, "sourceEnvironmentId": project.production}}),
    );
    let preview = text(&created["environmentCreate"]["id"]);
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": preview, "variables": {"PR": "7"}, "skipDeploys": true}),
    );
    let domain = emulator.data(
        "mutation($i: ServiceDomainCreateInput!) { serviceDomainCreate(input: $i) { domain } }",
        json!({"i": {"environmentId": preview, "serviceId": api}}),
    );
    let preview_domain = text(&domain["serviceDomainCreate"]["domain"]);
    emulator.data(
        "mutation($e: String!, $c: EnvironmentConfig!) { environmentPatchCommit(environmentId: $e, patch: $c) }",
        json!({"e": preview, "c": {"services": {db.clone(): {"networking": {"tcpProxies": {"5432": {}}}}}}}),
    );
    let volumes = |emulator: &Emulator| {
        let data = emulator.data(
            "query($p: String!) { project(id: $p) { volumes { edges { node { id } } } } }",
            json!({"p": project.id}),
        );
        data["project"]["volumes"]["edges"].as_array().unwrap().len()
    };
    // A volume of the preview's own (api has none in production).
    emulator.data(
        "mutation($i: VolumeCreateInput!) { volumeCreate(input: $i) { id } }",
        json!({"i": {"projectId": project.id, "serviceId": api, "environmentId": preview, "mountPath": "/cache"}}),
    );
    assert_eq!(volumes(&emulator), 2);
    let (production_before, etag_before) = config(&emulator, &project.production, true);

    let deleted = emulator.data("mutation($id: String!) { environmentDelete(id: $id) }", json!({"id": preview}));
    assert_eq!(deleted["environmentDelete"], true);

    let gone = emulator.graphql("query($id: String!) { environment(id: $id) { id } }", json!({"id": preview}));
    assert_eq!(first_error(&gone), "Environment not found");
    let instance = emulator.graphql(
        "query($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) { id } }",
        json!({"e": preview, "s": api}),
    );
    assert_eq!(first_error(&instance), "Service instance not found");
    let shared = emulator.graphql(
        "query($p: String!, $e: String!) { variables(projectId: $p, environmentId: $e) }",
        json!({"p": project.id, "e": preview}),
    );
    assert_eq!(first_error(&shared), "Environment not found");
    assert_eq!(volumes(&emulator), 1, "the preview's own volume is gone, db's (mounted in production) stays");
    let proxies = emulator.graphql(
        "query($e: String!, $s: String!) { tcpProxies(environmentId: $e, serviceId: $s) { id } }",
        json!({"e": preview, "s": db}),
    );
    assert_eq!(first_error(&proxies), "Service instance not found");

    // Production is untouched, and the preview's domain name is free again.
    let (production_after, etag_after) = config(&emulator, &project.production, true);
    assert_eq!((production_after, etag_after), (production_before, etag_before));
    assert_eq!(environment_names(&emulator, &project, None), ["production"]);
    let again = emulator.data(
        CREATE,
        json!({"input": {"projectId": project.id, "name": "pr-7", "ephemeral": true, "sourceEnvironmentId": project.production}}),
    );
    let again = text(&again["environmentCreate"]["id"]);
    let domain = emulator.data(
        "mutation($i: ServiceDomainCreateInput!) { serviceDomainCreate(input: $i) { domain } }",
        json!({"i": {"environmentId": again, "serviceId": api}}),
    );
    assert_eq!(text(&domain["serviceDomainCreate"]["domain"]), preview_domain, "the deleted preview's domain is free");
    assert!(variables(&emulator, &project, &again, None, true).get("PR").is_none(), "no variable survived");
}

#[test]
fn the_only_environment_of_a_project_cannot_be_deleted() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let refused =
        emulator.graphql("mutation($id: String!) { environmentDelete(id: $id) }", json!({"id": project.production}));
    assert_eq!(first_error(&refused), "Cannot delete the only environment of a project");
    assert_eq!(environment_names(&emulator, &project, None), ["production"]);
}
