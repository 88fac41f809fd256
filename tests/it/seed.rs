//! Seeding the emulator over GraphQL, as a person would with the dashboard: projects,
//! environments, services and variables, for tests that need a live state to start from.

#![allow(dead_code)]

use serde_json::{json, Value};

use crate::harness::Emulator;

pub struct Project {
    pub id: String,
    pub production: String,
}

pub fn create_project(emulator: &Emulator, name: &str) -> Project {
    let data = emulator.data(
        "mutation Create($input: ProjectCreateInput!) {
            projectCreate(input: $input) { id environments { edges { node { id name } } } }
        }",
        json!({"input": {"name": name}}),
    );
    let project = &data["projectCreate"];
    Project { id: text(&project["id"]), production: text(&project["environments"]["edges"][0]["node"]["id"]) }
}

pub fn create_environment(emulator: &Emulator, project: &Project, name: &str) -> String {
    let data = emulator.data(
        "mutation($input: EnvironmentCreateInput!) { environmentCreate(input: $input) { id name } }",
        json!({"input": {"projectId": project.id, "name": name}}),
    );
    text(&data["environmentCreate"]["id"])
}

pub fn create_service(emulator: &Emulator, input: Value) -> String {
    let data = emulator.data(
        "mutation NewService($input: ServiceCreateInput!) { serviceCreate(input: $input) { id name } }",
        json!({ "input": input }),
    );
    text(&data["serviceCreate"]["id"])
}

pub fn upsert_variables(emulator: &Emulator, input: Value) {
    emulator.data(
        "mutation Upsert($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }",
        json!({ "input": input }),
    );
}

pub fn variables(
    emulator: &Emulator,
    project: &Project,
    environment: &str,
    service: Option<&str>,
    unrendered: bool,
) -> Value {
    let data = emulator.data(
        "query Vars($p: String!, $e: String!, $s: String, $u: Boolean) {
            variables(projectId: $p, environmentId: $e, serviceId: $s, unrendered: $u)
        }",
        json!({"p": project.id, "e": environment, "s": service, "u": unrendered}),
    );
    data["variables"].clone()
}

pub fn config(emulator: &Emulator, environment: &str, decrypt: bool) -> (Value, String) {
    let data = emulator.data(
        "query Config($id: String!, $d: Boolean) { environment(id: $id) { config(decryptVariables: $d) configEtag } }",
        json!({"id": environment, "d": decrypt}),
    );
    (data["environment"]["config"].clone(), text(&data["environment"]["configEtag"]))
}

pub fn rename_service(emulator: &Emulator, id: &str, name: &str) {
    emulator.data(
        "mutation Rename($id: String!, $input: ServiceUpdateInput!) { serviceUpdate(id: $id, input: $input) { id name } }",
        json!({"id": id, "input": {"name": name}}),
    );
}

pub fn text(value: &Value) -> String {
    value.as_str().unwrap_or_else(|| panic!("not a string: {value}")).to_string()
}

/// The project of the operators' documents: `Postgres-OG9n` (auto-named by Railway) referenced
/// as `${{Postgres-OG9n.DATABASE_URL}}` by `platform-api`, in `dev` and `staging` (and an empty
/// `production`, Railway's first environment).
pub struct OperatorsProject {
    pub project: Project,
    pub dev: String,
    pub staging: String,
    pub db: String,
    pub api: String,
}

/// The Postgres password seeded into the operators' project: it must never be printed.
pub const SEEDED_PASSWORD: &str = "seeded-pg-password-Xk3v9";

pub fn operators_project(emulator: &Emulator) -> OperatorsProject {
    let project = create_project(emulator, "platform");
    let dev = create_environment(emulator, &project, "dev");
    let staging = create_environment(emulator, &project, "staging");
    let db = create_service(
        emulator,
        json!({"projectId": project.id, "name": "Postgres-OG9n", "source": {"image": "ghcr.io/railwayapp-templates/postgres-ssl:16"}}),
    );
    let api = create_service(
        emulator,
        json!({"projectId": project.id, "name": "platform-api", "source": {"image": "ghcr.io/acme/platform-api:1.4.2"}}),
    );
    for environment in [&dev, &staging] {
        upsert_variables(
            emulator,
            json!({"projectId": project.id, "environmentId": environment, "serviceId": db, "skipDeploys": true, "variables": {
                "POSTGRES_PASSWORD": SEEDED_PASSWORD,
                "DATABASE_URL": "postgresql://postgres:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/railway",
            }}),
        );
        upsert_variables(
            emulator,
            json!({"projectId": project.id, "environmentId": environment, "serviceId": api, "skipDeploys": true, "variables": {
                "DATABASE_URL": "${{Postgres-OG9n.DATABASE_URL}}",
                "PORT": "8000",
            }}),
        );
    }
    OperatorsProject { project, dev, staging, db, api }
}

/// The `dev` environment file that renames `Postgres-OG9n` to `platform-db` (staging has no file).
pub const OPERATORS_DEV_TOML: &str = r#"
project = "platform"
environment = "dev"

[services.platform-db]
image = "ghcr.io/railwayapp-templates/postgres-ssl:16"
renamed_from = ["Postgres-OG9n"]

[services.platform-db.variables]
POSTGRES_PASSWORD = { preserve = true }
DATABASE_URL = "postgresql://postgres:$<<POSTGRES_PASSWORD>>@$<<RAILWAY_PRIVATE_DOMAIN>>:5432/railway"

[services.platform-api]
image = "ghcr.io/acme/platform-api:1.4.2"

[services.platform-api.variables]
DATABASE_URL = "$<<platform-db.DATABASE_URL>>"
PORT = "8000"
JWT_SECRET = { from_env = "TEST_JWT_SECRET" }
API_KEY = { value = "sensitive-literal-Q9zW", sensitive = true }
"#;

/// The value the tests give `TEST_JWT_SECRET`: it must never be printed either.
pub const JWT_VALUE: &str = "jwt-from-env-T7pL2";
