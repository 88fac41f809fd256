//! The emulator, end to end over HTTP: every operation, Railway's behaviours (references,
//! deploys, renames, null versus absent), auth, faults, persistence, the inspection endpoints,
//! and the check that its schema is a strict subset of Railway's.

use serde_json::{json, Value};

use crate::harness::{Auth, Emulator};
use crate::seed::{
    config, create_environment, create_project, create_service, rename_service, text, upsert_variables, variables,
    Project,
};

fn first_error(response: &Value) -> String {
    text(&response["errors"][0]["message"])
}

/// A project with `db` (USER, URL referencing its own variables and domain) and `api`
/// (DATABASE_URL referencing db, REGION referencing a shared variable), written with skipDeploys.
fn two_services(emulator: &Emulator) -> (Project, String, String) {
    let project = create_project(emulator, "shop");
    let db =
        create_service(emulator, json!({"projectId": project.id, "name": "db", "source": {"image": "postgres:16"}}));
    let api = create_service(emulator, json!({"projectId": project.id, "name": "api", "source": {"repo": "acme/api"}}));
    upsert_variables(
        emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": db, "skipDeploys": true,
               "variables": {"USER": "pg", "URL": "postgres://${{USER}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432"}}),
    );
    upsert_variables(
        emulator,
        json!({"projectId": project.id, "environmentId": project.production, "skipDeploys": true,
               "variables": {"REGION": "eu-west"}}),
    );
    upsert_variables(
        emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api, "skipDeploys": true,
               "variables": {"DATABASE_URL": "${{db.URL}}", "REGION": "${{ shared.REGION }}"}}),
    );
    (project, db, api)
}

// ---------------------------------------------------------------------------------------------
// Schema

/// A field or input field as the subset check compares it: name, type, arguments' types.
struct FieldShape {
    name: String,
    ty: String,
    arguments: Vec<(String, String)>,
}

fn object_fields(object: &apollo_compiler::schema::ObjectType) -> Vec<FieldShape> {
    let shape = |(name, field): (
        &apollo_compiler::Name,
        &apollo_compiler::schema::Component<apollo_compiler::ast::FieldDefinition>,
    )| FieldShape {
        name: name.to_string(),
        ty: field.ty.to_string(),
        arguments: field.arguments.iter().map(|a| (a.name.to_string(), a.ty.to_string())).collect(),
    };
    object.fields.iter().map(shape).collect()
}

fn input_fields(input: &apollo_compiler::schema::InputObjectType) -> Vec<FieldShape> {
    let shape = |(name, field): (
        &apollo_compiler::Name,
        &apollo_compiler::schema::Component<apollo_compiler::ast::InputValueDefinition>,
    )| FieldShape { name: name.to_string(), ty: field.ty.to_string(), arguments: Vec::new() };
    input.fields.iter().map(shape).collect()
}

/// Every field of `ours` must exist in `theirs` with the same type, and so must its arguments.
fn compare_fields(owner: &str, ours: &[FieldShape], theirs: &[FieldShape], problems: &mut Vec<String>) {
    for field in ours {
        let Some(their) = theirs.iter().find(|f| f.name == field.name) else {
            problems.push(format!("{owner}.{} is not in Railway's schema", field.name));
            continue;
        };
        if field.ty != their.ty {
            problems.push(format!("{owner}.{}: {} here, {} on Railway", field.name, field.ty, their.ty));
        }
        for (argument, ty) in &field.arguments {
            match their.arguments.iter().find(|(name, _)| name == argument) {
                None => problems.push(format!("{owner}.{}({argument}) is not in Railway's schema", field.name)),
                Some((_, their_ty)) if their_ty != ty => {
                    problems.push(format!("{owner}.{}({argument}): {ty} here, {their_ty} on Railway", field.name))
                }
                Some(_) => {}
            }
        }
    }
}

#[test]
fn the_schema_is_a_strict_subset_of_railways() {
    use apollo_compiler::schema::ExtendedType;
    use apollo_compiler::Schema;

    let railway_sdl = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/graphql/railway.schema.graphql"))
        .expect("read Railway's schema");
    let railway = Schema::parse(railway_sdl, "railway.schema.graphql").unwrap_or_else(|invalid| invalid.partial);
    let emulator = Schema::parse(railform::emulator::sdl(), "emulator.graphql").expect("the emulator's SDL parses");

    let mut problems = Vec::new();
    let mut checked = 0;
    for (name, ty) in &emulator.types {
        if ty.is_built_in() {
            continue;
        }
        let Some(theirs) = railway.types.get(name) else {
            problems.push(format!("type {name} is not in Railway's schema"));
            continue;
        };
        checked += 1;
        match (ty, theirs) {
            (ExtendedType::Object(ours), ExtendedType::Object(theirs)) => {
                compare_fields(name, &object_fields(ours), &object_fields(theirs), &mut problems)
            }
            (ExtendedType::InputObject(ours), ExtendedType::InputObject(theirs)) => {
                compare_fields(name, &input_fields(ours), &input_fields(theirs), &mut problems)
            }
            (ExtendedType::Enum(ours), ExtendedType::Enum(theirs)) => {
                for value in ours.values.keys() {
                    if !theirs.values.contains_key(value) {
                        problems.push(format!("enum value {name}.{value} is not in Railway's schema"));
                    }
                }
            }
            (ExtendedType::Scalar(_), ExtendedType::Scalar(_)) => {}
            _ => problems.push(format!("{name} is a different kind of type on Railway")),
        }
    }
    assert!(problems.is_empty(), "the emulator's schema strays from Railway's:\n{}", problems.join("\n"));
    assert!(checked > 20, "only {checked} types checked");
    for root in ["Query", "Mutation"] {
        assert!(emulator.types.contains_key(root));
    }
}

// ---------------------------------------------------------------------------------------------
// Queries and mutations

#[test]
fn a_new_project_has_a_production_environment_and_is_found_every_way() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let staging = create_environment(&emulator, &project, "staging");
    let data = emulator.data(
        "query Find($id: String!, $env: String!) {
            project(id: $id) { id name workspaceId environments { edges { node { id name projectId } } } }
            projects { edges { node { id name } } }
            environments(projectId: $id) { edges { cursor node { id name } } pageInfo { hasNextPage } }
            environment(id: $env) { id name projectId isEphemeral }
            me { id email workspaces { id name projects { edges { node { id name } } } } }
            apiToken { workspaces { id name } }
        }",
        json!({"id": project.id, "env": staging}),
    );
    let names: Vec<&str> = data["project"]["environments"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["production", "staging"]);
    assert_eq!(data["projects"]["edges"][0]["node"]["name"], "shop");
    assert_eq!(data["environments"]["edges"].as_array().unwrap().len(), 2);
    assert_eq!(data["environments"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(data["environment"]["name"], "staging");
    assert_eq!(data["me"]["workspaces"][0]["projects"]["edges"][0]["node"]["id"], project.id.as_str());
    let workspace_id = text(&data["apiToken"]["workspaces"][0]["id"]);
    assert_eq!(data["project"]["workspaceId"], workspace_id.as_str());
    let workspace = emulator.data(
        "query W($w: String!) { workspace(workspaceId: $w) { name projects(first: 1) { edges { node { name } } } } }",
        json!({"w": workspace_id}),
    );
    assert_eq!(workspace["workspace"]["projects"]["edges"][0]["node"]["name"], "shop");
    assert_eq!(project.id.len(), 36, "ids look like UUIDs");

    let missing = emulator.graphql("{ project(id: \"nope\") { id } }", json!({}));
    assert_eq!(first_error(&missing), "Project not found");
    assert_eq!(missing["data"], Value::Null);
}

#[test]
fn a_service_is_created_in_every_environment_or_only_the_one_named() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let staging = create_environment(&emulator, &project, "staging");
    let everywhere =
        create_service(&emulator, json!({"projectId": project.id, "name": "api", "source": {"image": "nginx:1"}}));
    let only_staging = create_service(
        &emulator,
        json!({"projectId": project.id, "name": "worker", "environmentId": staging,
               "source": {"repo": "acme/worker"}, "branch": "dev", "variables": {"QUEUE": "jobs"}}),
    );
    let instance = |environment: &str, service: &str| {
        emulator.graphql(
            "query I($e: String!, $s: String!) {
                serviceInstance(environmentId: $e, serviceId: $s) { serviceId serviceName environmentId source { image repo } }
            }",
            json!({"e": environment, "s": service}),
        )
    };
    for environment in [&project.production, &staging] {
        let data = instance(environment, &everywhere);
        assert_eq!(data["data"]["serviceInstance"]["source"]["image"], "nginx:1");
        assert_eq!(data["data"]["serviceInstance"]["serviceName"], "api");
    }
    assert_eq!(first_error(&instance(&project.production, &only_staging)), "Service instance not found");
    assert_eq!(instance(&staging, &only_staging)["data"]["serviceInstance"]["source"]["repo"], "acme/worker");
    assert_eq!(variables(&emulator, &project, &staging, Some(&only_staging), false), json!({"QUEUE": "jobs"}));

    let (config, _) = config(&emulator, &staging, true);
    assert_eq!(config["services"][&only_staging]["source"], json!({"repo": "acme/worker", "branch": "dev"}));
    assert_eq!(config["services"][&everywhere]["source"], json!({"image": "nginx:1"}));

    let service = emulator.data(
        "query S($id: String!) { service(id: $id) { id name projectId project { name } serviceInstances { edges { node { environmentId } } } } }",
        json!({"id": everywhere}),
    );
    assert_eq!(service["service"]["project"]["name"], "shop");
    assert_eq!(service["service"]["serviceInstances"]["edges"].as_array().unwrap().len(), 2);

    let duplicate = emulator.graphql(
        "mutation($input: ServiceCreateInput!) { serviceCreate(input: $input) { id } }",
        json!({"input": {"projectId": project.id, "name": "api"}}),
    );
    assert!(first_error(&duplicate).contains("already exists"));
}

#[test]
fn variables_render_references_server_side_and_unrendered_returns_templates() {
    let emulator = Emulator::start();
    let (project, db, api) = two_services(&emulator);
    let rendered = variables(&emulator, &project, &project.production, Some(&api), false);
    assert_eq!(rendered, json!({"DATABASE_URL": "postgres://pg@db.railway.internal:5432", "REGION": "eu-west"}));
    let raw = variables(&emulator, &project, &project.production, Some(&api), true);
    assert_eq!(raw, json!({"DATABASE_URL": "${{db.URL}}", "REGION": "${{ shared.REGION }}"}));
    assert_eq!(variables(&emulator, &project, &project.production, None, false), json!({"REGION": "eu-west"}));

    let deployment = emulator.data(
        "query D($p: String!, $e: String!, $s: String!) { variablesForServiceDeployment(projectId: $p, environmentId: $e, serviceId: $s) }",
        json!({"p": project.id, "e": project.production, "s": db}),
    );
    let seen = &deployment["variablesForServiceDeployment"];
    assert_eq!(seen["URL"], "postgres://pg@db.railway.internal:5432");
    assert_eq!(seen["RAILWAY_SERVICE_NAME"], "db");
    assert_eq!(seen["RAILWAY_ENVIRONMENT_NAME"], "production");
    assert_eq!(seen["RAILWAY_PROJECT_ID"], project.id.as_str());

    // Railform's own `$<<…>>` spelling is plain text to Railway; case matters in service names.
    emulator.data(
        "mutation($input: VariableUpsertInput!) { variableUpsert(input: $input) }",
        json!({"input": {"projectId": project.id, "environmentId": project.production, "serviceId": api,
                         "name": "OTHER", "value": "$<<db.URL>> ${{DB.URL}} ${{RAILWAY_PROJECT_NAME}}", "skipDeploys": true}}),
    );
    let rendered = variables(&emulator, &project, &project.production, Some(&api), false);
    assert_eq!(rendered["OTHER"], "$<<db.URL>> ${{DB.URL}} shop");
}

#[test]
fn sealed_values_are_null_to_readers_but_seen_by_deployments() {
    let emulator = Emulator::start();
    let (project, db, _api) = two_services(&emulator);
    emulator.seal(&project.production, Some(&db), "USER");
    let values = variables(&emulator, &project, &project.production, Some(&db), true);
    assert_eq!(values["USER"], Value::Null);
    let (config, _) = config(&emulator, &project.production, true);
    assert_eq!(config["services"][&db]["variables"]["USER"], json!({"isSealed": true}));
    emulator.data(
        "mutation R($e: String!, $s: String!) { serviceInstanceRedeploy(environmentId: $e, serviceId: $s) }",
        json!({"e": project.production, "s": db}),
    );
    let deployments = emulator.deployments();
    assert_eq!(deployments.last().unwrap()["variables"]["USER"], "pg");
}

#[test]
fn config_is_keyed_by_ids_and_its_etag_moves_with_every_change_and_only_then() {
    let emulator = Emulator::start();
    let (project, db, api) = two_services(&emulator);
    let volume = emulator.data(
        "mutation V($input: VolumeCreateInput!) { volumeCreate(input: $input) { id name } }",
        json!({"input": {"projectId": project.id, "serviceId": db, "environmentId": project.production, "mountPath": "/data"}}),
    );
    let volume_id = text(&volume["volumeCreate"]["id"]);

    let (hidden, etag) = config(&emulator, &project.production, false);
    assert_eq!(hidden["services"][&api]["variables"], json!({"DATABASE_URL": {}, "REGION": {}}));
    assert_eq!(hidden["sharedVariables"], json!({"REGION": {}}));
    let (shown, same_etag) = config(&emulator, &project.production, true);
    assert_eq!(etag, same_etag);
    assert_eq!(
        shown["services"][&db],
        json!({
            "source": {"image": "postgres:16"},
            "variables": {"URL": {"value": "postgres://${{USER}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432"}, "USER": {"value": "pg"}},
            "volumeMounts": {volume_id.clone(): {"mountPath": "/data"}}
        })
    );
    assert_eq!(shown["sharedVariables"], json!({"REGION": {"value": "eu-west"}}));
    assert_eq!(
        shown["volumes"][&volume_id],
        json!({"sizeMB": 50000, "region": "us-west2"}),
        "no name: Railway's shape"
    );
    let mount = variables_for_deployment(&emulator, &project, &db);
    assert_eq!(mount["RAILWAY_VOLUME_MOUNT_PATH"], "/data");

    // A change elsewhere leaves the etag alone; a change here moves it.
    let staging = create_environment(&emulator, &project, "staging");
    upsert_variables(&emulator, json!({"projectId": project.id, "environmentId": staging, "variables": {"X": "1"}}));
    assert_eq!(config(&emulator, &project.production, false).1, etag);
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "variables": {"X": "1"}, "skipDeploys": true}),
    );
    let after_shared = config(&emulator, &project.production, false).1;
    assert_ne!(after_shared, etag);
    rename_service(&emulator, &api, "web");
    assert_ne!(config(&emulator, &project.production, false).1, after_shared);
}

fn variables_for_deployment(emulator: &Emulator, project: &Project, service: &str) -> Value {
    emulator.data(
        "query D($p: String!, $e: String!, $s: String!) { variablesForServiceDeployment(projectId: $p, environmentId: $e, serviceId: $s) }",
        json!({"p": project.id, "e": project.production, "s": service}),
    )["variablesForServiceDeployment"]
        .clone()
}

#[test]
fn replace_deletes_every_variable_not_sent() {
    let emulator = Emulator::start();
    let (project, _db, api) = two_services(&emulator);
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api,
               "variables": {"PORT": "8000"}, "replace": true, "skipDeploys": true}),
    );
    assert_eq!(variables(&emulator, &project, &project.production, Some(&api), true), json!({"PORT": "8000"}));
    emulator.data(
        "mutation($input: VariableDeleteInput!) { variableDelete(input: $input) }",
        json!({"input": {"projectId": project.id, "environmentId": project.production, "serviceId": api, "name": "PORT"}}),
    );
    assert_eq!(variables(&emulator, &project, &project.production, Some(&api), true), json!({}));
}

#[test]
fn variable_writes_deploy_unless_skipped_with_what_did_not_resolve() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let api = create_service(&emulator, json!({"projectId": project.id, "name": "api"}));
    assert!(emulator.deployments().is_empty(), "a service without a source is not deployed on creation");
    let image =
        create_service(&emulator, json!({"projectId": project.id, "name": "img", "source": {"image": "redis"}}));
    assert_eq!(emulator.deployments().len(), 1);
    assert_eq!(emulator.deployments()[0]["service_id"], image.as_str());

    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "serviceId": api,
               "variables": {"URL": "${{Missing.URL}}/${{shared.NOPE}}", "HOST": "${{img.RAILWAY_PRIVATE_DOMAIN}}"}, "skipDeploys": true}),
    );
    assert_eq!(emulator.deployments().len(), 1, "skipDeploys records no deployment");

    emulator.data(
        "mutation($input: VariableUpsertInput!) { variableUpsert(input: $input) }",
        json!({"input": {"projectId": project.id, "environmentId": project.production, "serviceId": api, "name": "A", "value": "1"}}),
    );
    let deployments = emulator.deployments();
    assert_eq!(deployments.len(), 2);
    let deployment = &deployments[1];
    assert_eq!(deployment["service_id"], api.as_str());
    assert_eq!(deployment["service_name"], "api");
    assert_eq!(deployment["environment_id"], project.production.as_str());
    assert_eq!(deployment["environment_name"], "production");
    assert_eq!(deployment["variables"]["HOST"], "img.railway.internal");
    assert_eq!(deployment["variables"]["A"], "1");
    assert_eq!(deployment["unresolved"], json!(["Missing.URL", "shared.NOPE"]));

    // A shared-variable write deploys every instance of the environment.
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": project.production, "variables": {"S": "1"}}),
    );
    assert_eq!(emulator.deployments().len(), 4);

    emulator.data(
        "mutation D($e: String!, $s: String!) { serviceInstanceDeployV2(environmentId: $e, serviceId: $s) }",
        json!({"e": project.production, "s": image}),
    );
    assert_eq!(emulator.deployments().len(), 5);
}

#[test]
fn null_clears_a_field_and_absent_leaves_it() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    let api = create_service(
        &emulator,
        json!({"projectId": project.id, "name": "api", "icon": "rocket", "source": {"image": "a"}}),
    );
    let service = |emulator: &Emulator| {
        emulator.data("query($id: String!) { service(id: $id) { name icon } }", json!({"id": api}))
    };
    emulator.data(
        "mutation($id: String!, $input: ServiceUpdateInput!) { serviceUpdate(id: $id, input: $input) { id } }",
        json!({"id": api, "input": {"name": "web"}}),
    );
    assert_eq!(service(&emulator)["service"], json!({"name": "web", "icon": "rocket"}));
    emulator.data(
        "mutation($id: String!, $input: ServiceUpdateInput!) { serviceUpdate(id: $id, input: $input) { id } }",
        json!({"id": api, "input": {"icon": null}}),
    );
    assert_eq!(service(&emulator)["service"], json!({"name": "web", "icon": null}));

    let update = |input: Value| {
        emulator.data(
            "mutation($s: String!, $e: String, $input: ServiceInstanceUpdateInput!) {
                serviceInstanceUpdate(serviceId: $s, environmentId: $e, input: $input)
            }",
            json!({"s": api, "e": project.production, "input": input}),
        )
    };
    let instance = || {
        emulator.data(
            "query($e: String!, $s: String!) { serviceInstance(environmentId: $e, serviceId: $s) {
                startCommand healthcheckPath numReplicas restartPolicyType source { image } } }",
            json!({"e": project.production, "s": api}),
        )["serviceInstance"]
            .clone()
    };
    update(json!({"startCommand": "run", "healthcheckPath": "/up", "numReplicas": 2, "restartPolicyType": "ALWAYS"}));
    update(json!({"healthcheckPath": null, "source": {"image": "b"}}));
    assert_eq!(
        instance(),
        json!({"startCommand": "run", "healthcheckPath": null, "numReplicas": 2, "restartPolicyType": "ALWAYS", "source": {"image": "b"}})
    );
}

#[test]
fn rename_keeps_id_volume_and_variables_and_references_dangle_under_keep() {
    let emulator = Emulator::start();
    let (project, db, api) = two_services(&emulator);
    emulator.data(
        "mutation V($input: VolumeCreateInput!) { volumeCreate(input: $input) { id } }",
        json!({"input": {"projectId": project.id, "serviceId": db, "mountPath": "/data"}}),
    );
    rename_service(&emulator, &db, "platform-db");
    let raw = variables(&emulator, &project, &project.production, Some(&api), true);
    assert_eq!(raw["DATABASE_URL"], "${{db.URL}}");
    assert_eq!(variables(&emulator, &project, &project.production, Some(&db), true)["USER"], "pg");
    assert_eq!(variables_for_deployment(&emulator, &project, &db)["RAILWAY_VOLUME_MOUNT_PATH"], "/data");
    emulator.data(
        "mutation R($e: String!, $s: String!) { serviceInstanceRedeploy(environmentId: $e, serviceId: $s) }",
        json!({"e": project.production, "s": api}),
    );
    assert_eq!(emulator.deployments().last().unwrap()["unresolved"], json!(["db.URL"]));
}

#[test]
fn rename_under_rewrite_rewrites_references_in_every_environment() {
    let emulator = Emulator::builder().rename_policy("rewrite").start();
    let (project, db, api) = two_services(&emulator);
    let staging = create_environment(&emulator, &project, "staging");
    upsert_variables(
        &emulator,
        json!({"projectId": project.id, "environmentId": staging, "skipDeploys": true, "variables": {"DB": "${{db.URL}}"}}),
    );
    rename_service(&emulator, &db, "platform-db");
    let raw = variables(&emulator, &project, &project.production, Some(&api), true);
    assert_eq!(raw["DATABASE_URL"], "${{platform-db.URL}}");
    assert_eq!(variables(&emulator, &project, &staging, None, true)["DB"], "${{platform-db.URL}}");
    let rendered = variables(&emulator, &project, &project.production, Some(&api), false);
    assert_eq!(rendered["DATABASE_URL"], "postgres://pg@platform-db.railway.internal:5432");
}

#[test]
fn environments_rename_copy_and_delete_and_services_delete() {
    let emulator = Emulator::start();
    let (project, db, api) = two_services(&emulator);
    let copy = emulator.data(
        "mutation($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id } }",
        json!({"input": {"projectId": project.id, "name": "staging", "sourceEnvironmentId": project.production, "skipInitialDeploys": true}}),
    );
    let staging = text(&copy["environmentCreate"]["id"]);
    assert_eq!(variables(&emulator, &project, &staging, Some(&api), false)["REGION"], "eu-west");
    assert!(emulator.deployments().len() == 2, "skipInitialDeploys: only the two creations deployed");

    let renamed = emulator.data(
        "mutation($id: String!, $input: EnvironmentRenameInput!) { environmentRename(id: $id, input: $input) { id name } }",
        json!({"id": staging, "input": {"name": "qa"}}),
    );
    assert_eq!(renamed["environmentRename"]["name"], "qa");

    emulator.data(
        "mutation($id: String!, $e: String) { serviceDelete(id: $id, environmentId: $e) }",
        json!({"id": db, "e": staging}),
    );
    assert_eq!(variables(&emulator, &project, &staging, Some(&api), false)["DATABASE_URL"], "${{db.URL}}");
    assert_eq!(variables(&emulator, &project, &project.production, Some(&db), true)["USER"], "pg");
    emulator.data("mutation($id: String!) { serviceDelete(id: $id) }", json!({"id": db}));
    let gone = emulator.graphql("query($id: String!) { service(id: $id) { id } }", json!({"id": db}));
    assert_eq!(first_error(&gone), "Service not found");

    emulator.data("mutation($id: String!) { environmentDelete(id: $id) }", json!({"id": staging}));
    let environments = emulator.data(
        "query($p: String!) { environments(projectId: $p) { edges { node { name } } } }",
        json!({"p": project.id}),
    );
    assert_eq!(environments["environments"]["edges"], json!([{"node": {"name": "production"}}]));
}

#[test]
fn bad_input_is_a_graphql_error_never_a_crash() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    for (query, variables) in [
        ("{ nope }", json!({})),
        ("{ project(id: 5) { id } }", json!({})),
        (
            "mutation { variableUpsert(input: {projectId: \"x\", environmentId: \"y\", name: \"A\", value: \"1\"}) }",
            json!({}),
        ),
        ("{ broken", json!({})),
    ] {
        let response = emulator.graphql(query, variables);
        assert!(response["errors"][0]["message"].is_string(), "{query}: {response}");
        assert_eq!(response["data"], Value::Null);
    }
    let response = emulator.graphql(
        "mutation($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }",
        json!({"input": {"projectId": project.id, "environmentId": project.production, "variables": {"1BAD": "x"}}}),
    );
    assert!(first_error(&response).contains("Invalid variable name"));
    let response = emulator.post(&Auth::None, &json!("not a request")).unwrap();
    assert_eq!(response.status, 400);
    assert!(response.json()["errors"][0]["message"].is_string());
    assert_eq!(create_project(&emulator, "still-up").id.len(), 36);
}

// ---------------------------------------------------------------------------------------------
// Auth

#[test]
fn a_token_is_required_as_bearer_or_project_access_token() {
    let emulator = Emulator::builder().token("secret").start();
    let project = create_project(&emulator, "shop");
    let query = "{ projects { edges { node { id } } } }";
    for auth in [Auth::None, Auth::Bearer("wrong".into()), Auth::ProjectToken("wrong".into())] {
        let response = emulator.graphql_as(&auth, query, json!({}));
        assert_eq!(response, json!({"errors": [{"message": "Not Authorized"}], "data": null}), "{auth:?}");
    }
    let bearer = emulator.graphql_as(&Auth::Bearer("secret".into()), query, json!({}));
    assert_eq!(bearer["data"]["projects"]["edges"][0]["node"]["id"], project.id.as_str());

    let project_token = Auth::ProjectToken("secret".into());
    let token =
        emulator.graphql_as(&project_token, "{ projectToken { projectId environmentId project { name } } }", json!({}));
    assert_eq!(token["data"]["projectToken"]["projectId"], project.id.as_str());
    assert_eq!(token["data"]["projectToken"]["environmentId"], project.production.as_str());
    let me = emulator.graphql_as(&project_token, "{ me { id } }", json!({}));
    assert_eq!(first_error(&me), "Not Authorized");
    let not_project = emulator.graphql("{ projectToken { projectId } }", json!({}));
    assert_eq!(first_error(&not_project), "Project Token not found");
}

// ---------------------------------------------------------------------------------------------
// Persistence, stats, faults

#[test]
fn state_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("emulator.json");
    let (project, api) = {
        let emulator = Emulator::builder().state(&path).start();
        let (project, _db, api) = two_services(&emulator);
        (project, api)
    };
    let text = std::fs::read_to_string(&path).unwrap();
    serde_json::from_str::<Value>(&text).expect("the state file is JSON");
    let emulator = Emulator::builder().state(&path).start();
    let rendered = variables(&emulator, &project, &project.production, Some(&api), false);
    assert_eq!(rendered["DATABASE_URL"], "postgres://pg@db.railway.internal:5432");
    let leftovers: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("emulator.json")], "no temporary files left behind");
}

#[test]
fn stats_count_requests_by_operation_name() {
    let emulator = Emulator::start();
    let project = create_project(&emulator, "shop");
    variables(&emulator, &project, &project.production, None, false);
    variables(&emulator, &project, &project.production, None, true);
    emulator.graphql("{ me { id } }", json!({}));
    emulator.graphql("query A { me { id } } query B { me { id } }", json!({}));
    let stats = emulator.stats();
    assert_eq!(stats["requests"], 5);
    assert_eq!(stats["operations"], json!({"Create": 1, "Vars": 2, "(anonymous)": 2}));
    emulator.reset_stats();
    assert_eq!(emulator.stats(), json!({"requests": 0, "operations": {}}));
}

#[test]
fn faults_answer_429_html_5xx_or_drop_the_connection_and_never_execute_the_mutation() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("state.json");
    let body = json!({"query": "mutation Create { projectCreate(input: {name: \"x\"}) { id } }"});
    {
        let emulator = Emulator::builder().state(&path).fail_rate(1.0).seed(42).start();
        let (mut too_many, mut html, mut dropped) = (0, 0, 0);
        for _ in 0..40 {
            match emulator.post(&Auth::None, &body) {
                Err(_) => dropped += 1,
                Ok(response) if response.status == 429 => {
                    assert_eq!(response.header("retry-after"), Some("1"));
                    too_many += 1;
                }
                Ok(response) => {
                    assert!([502, 503].contains(&response.status), "status {}", response.status);
                    assert!(response.body.contains("<html>"));
                    html += 1;
                }
            }
        }
        assert!(too_many > 0 && html > 0 && dropped > 0, "429: {too_many}, 5xx: {html}, dropped: {dropped}");
        assert_eq!(emulator.stats()["operations"]["Create"], 40);
    }
    assert!(!path.exists(), "no mutation ran, so no state was written");
    let emulator = Emulator::builder().state(&path).start();
    assert_eq!(emulator.data("{ projects { edges { node { id } } } }", json!({}))["projects"]["edges"], json!([]));
}

#[test]
fn a_seed_replays_the_same_faults() {
    let statuses = || {
        let emulator = Emulator::builder().fail_rate(0.5).seed(7).start();
        (0..20)
            .map(|_| {
                emulator.post(&Auth::None, &json!({"query": "{ me { id } }"})).map_or(0, |response| response.status)
            })
            .collect::<Vec<_>>()
    };
    let first = statuses();
    assert_eq!(first, statuses());
    assert!(first.contains(&200) && first.iter().any(|status| *status != 200));
}

#[test]
fn the_rate_limit_answers_429_with_retry_after_and_rate_headers() {
    let emulator = Emulator::builder().rate_limit(1).latency_ms(1).start();
    let responses: Vec<_> =
        (0..6).map(|_| emulator.post(&Auth::None, &json!({"query": "{ me { id } }"})).unwrap()).collect();
    assert_eq!(responses[0].status, 200);
    assert_eq!(responses[0].header("x-ratelimit-limit"), Some("1"));
    assert!(responses[0].header("x-ratelimit-reset").is_some());
    let limited = responses.iter().find(|r| r.status == 429).expect("a request over the limit");
    assert_eq!(limited.header("retry-after"), Some("1"));
    assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
    assert_eq!(emulator.stats()["requests"], 6);
}

#[test]
fn the_library_api_serves_in_process_and_stops_on_drop() {
    let running = railform::emulator::start(railform::emulator::Settings::default()).expect("start in-process");
    let url = running.url();
    assert!(url.starts_with("http://127.0.0.1:") && url.ends_with("/graphql/v2"), "{url}");
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let ask = |url: String| async move {
        let response = reqwest::Client::new().post(&url).json(&json!({"query": "{ me { id } }"})).send().await?;
        response.json::<Value>().await
    };
    let response = runtime.block_on(ask(url.clone())).expect("answered");
    assert!(response["data"]["me"]["id"].is_string(), "{response}");
    drop(running);
    assert!(runtime.block_on(ask(url)).is_err(), "stopped on drop");
}

#[tokio::test]
async fn the_library_api_starts_and_stops_inside_an_async_runtime() {
    let running = railform::emulator::start(railform::emulator::Settings::default()).expect("start in-process");
    let response = reqwest::Client::new()
        .post(running.url())
        .json(&json!({"query": "{ apiToken { workspaces { name } } }"}))
        .send()
        .await;
    assert_eq!(
        response.expect("answered").json::<Value>().await.unwrap()["data"]["apiToken"]["workspaces"][0]["name"],
        "Emulator"
    );
    running.shutdown();
}
