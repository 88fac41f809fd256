//! Seeding the emulator over GraphQL, as a person would with the dashboard: projects,
//! environments, services and variables, for tests that need a live state to start from.

#![allow(dead_code)]

use serde_json::{json, Value};

use crate::harness::{Emulator, Workspace};

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

/// A project as a team grows it on Railway, for `import`: Railway's Postgres template, an app
/// that references it and the shared variables, a worker built from a repo, and credentials.
pub struct ImportProject {
    pub project: Project,
    pub staging: String,
    pub postgres: String,
    pub api: String,
    pub worker: String,
}

/// Secret values of [`import_project`]: none may ever be written by import.
pub const IMPORT_PG_PASSWORD: &str = "qWeRtYuIoPaSdFgHjKlZxCvBnMqWeRtY";
pub const IMPORT_STRIPE_KEY: &str = "sk_live_51HxQ2eKx9vTq3LmN8pR4sW7y";
pub const IMPORT_CACHE_URL: &str = "redis://default:cache-pass-Zr8q@cache.internal:6379";
pub const IMPORT_JWT_SECRET: &str = "jwt-signing-value-Mn4b";
pub const IMPORT_SHARED_SIGNING: &str = "shared-signing-value-Hy6c";

/// Seeds project `shop` with the same services in `production` and `staging`. With `seal`, the
/// api's `JWT_SECRET` and the shared `SIGNING_KEY` of staging are sealed (Railway never returns
/// them again).
pub fn import_project(emulator: &Emulator, seal: bool) -> ImportProject {
    let project = create_project(emulator, "shop");
    let staging = create_environment(emulator, &project, "staging");
    let postgres = create_service(
        emulator,
        json!({"projectId": project.id, "name": "Postgres", "source": {"image": "ghcr.io/railwayapp-templates/postgres-ssl:16"}}),
    );
    emulator.data(
        "mutation V($input: VolumeCreateInput!) { volumeCreate(input: $input) { id } }",
        json!({"input": {"projectId": project.id, "serviceId": postgres, "mountPath": "/var/lib/postgresql/data"}}),
    );
    let api = create_service(
        emulator,
        json!({"projectId": project.id, "name": "api", "source": {"image": "ghcr.io/acme/shop-api:2.3.0"}}),
    );
    let worker = create_service(
        emulator,
        json!({"projectId": project.id, "name": "worker", "source": {"repo": "acme/shop"}, "branch": "main"}),
    );
    for environment in [&project.production, &staging] {
        let scoped = |service: Option<&str>, variables: Value| {
            let mut input = json!({"projectId": project.id, "environmentId": environment, "skipDeploys": true, "variables": variables});
            if let Some(service) = service {
                input["serviceId"] = json!(service);
            }
            upsert_variables(emulator, input);
        };
        // Railway's Postgres template, as Railway creates it (railway/FACTS.md).
        scoped(
            Some(&postgres),
            json!({
                "PGDATA": "/var/lib/postgresql/data/pgdata",
                "PGHOST": "${{RAILWAY_PRIVATE_DOMAIN}}",
                "PGPORT": "5432",
                "PGUSER": "${{POSTGRES_USER}}",
                "PGDATABASE": "${{POSTGRES_DB}}",
                "PGPASSWORD": "${{POSTGRES_PASSWORD}}",
                "POSTGRES_DB": "railway",
                "POSTGRES_USER": "postgres",
                "POSTGRES_PASSWORD": IMPORT_PG_PASSWORD,
                "DATABASE_URL": "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/${{PGDATABASE}}",
                "DATABASE_PUBLIC_URL": "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}/${{PGDATABASE}}",
                "SSL_CERT_DAYS": "820",
                "RAILWAY_DEPLOYMENT_DRAINING_SECONDS": "60",
            }),
        );
        scoped(None, json!({"APP_NAME": "shop", "LOG_LEVEL": "info", "SIGNING_KEY": IMPORT_SHARED_SIGNING}));
        scoped(
            Some(&api),
            json!({
                "DATABASE_URL": "${{Postgres.DATABASE_URL}}",
                "PGPASSWORD": "${{Postgres.PGPASSWORD}}",
                "PORT": "8080",
                "GREETING": "Welcome to ${{shared.APP_NAME}}",
                "STRIPE_API_KEY": IMPORT_STRIPE_KEY,
                "CACHE_URL": IMPORT_CACHE_URL,
                "JWT_SECRET": IMPORT_JWT_SECRET,
            }),
        );
        scoped(
            Some(&worker),
            json!({
                "API_URL": "http://${{api.RAILWAY_PRIVATE_DOMAIN}}:${{api.PORT}}",
                "QUEUE": "default",
            }),
        );
    }
    if seal {
        emulator.seal(&staging, Some(&api), "JWT_SECRET");
        emulator.seal(&staging, None, "SIGNING_KEY");
    }
    deploy_everything(emulator, &project);
    ImportProject { project, staging, postgres, api, worker }
}

/// The operators' project with a `JWT_SECRET` already set in dev to another value than the
/// one the tests export: planning [`OPERATORS_DEV_TOML`] then updates a sensitive value.
pub fn operators_project_with_stale_secret(emulator: &Emulator) -> OperatorsProject {
    let seeded = operators_project(emulator);
    upsert_variables(
        emulator,
        json!({"projectId": seeded.project.id, "environmentId": seeded.dev, "serviceId": seeded.api,
               "skipDeploys": true, "variables": {"JWT_SECRET": "stale-jwt-value-Rb5n"}}),
    );
    seeded
}

/// The operators' project made realistic for the reliability suites: `Postgres-OG9n` and
/// `platform-api` wired in all three environments (`production` too, which has no file), and a
/// stray `OLD_FLAG` on `platform-api` in `dev` and `staging` for `--prune` to delete.
pub fn realistic_project(emulator: &Emulator) -> OperatorsProject {
    let seeded = operators_project(emulator);
    let project = &seeded.project.id;
    upsert_variables(
        emulator,
        json!({"projectId": project, "environmentId": seeded.project.production, "serviceId": seeded.db, "skipDeploys": true,
               "variables": {"POSTGRES_PASSWORD": SEEDED_PASSWORD,
                             "DATABASE_URL": "postgresql://postgres:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/railway"}}),
    );
    upsert_variables(
        emulator,
        json!({"projectId": project, "environmentId": seeded.project.production, "serviceId": seeded.api, "skipDeploys": true,
               "variables": {"DATABASE_URL": "${{Postgres-OG9n.DATABASE_URL}}", "PORT": "8000"}}),
    );
    for environment in [&seeded.dev, &seeded.staging] {
        upsert_variables(
            emulator,
            json!({"projectId": project, "environmentId": environment, "serviceId": seeded.api, "skipDeploys": true,
                   "variables": {"OLD_FLAG": "1"}}),
        );
    }
    seeded
}

/// The environment file of `environment` (`dev` or `staging`) for [`realistic_project`]: the
/// rename with its rewrites, a `PORT` update, a new `worker` service and shared variable, and
/// secrets of every kind (from_env, sensitive literal, generated).
pub fn realistic_toml(environment: &str) -> String {
    format!(
        r#"project = "platform"
environment = "{environment}"

[shared]
LOG_LEVEL = "{environment}-debug"

[services.platform-db]
image = "ghcr.io/railwayapp-templates/postgres-ssl:16"
renamed_from = ["Postgres-OG9n"]

[services.platform-db.variables]
POSTGRES_PASSWORD = {{ preserve = true }}
DATABASE_URL = "postgresql://postgres:$<<POSTGRES_PASSWORD>>@$<<RAILWAY_PRIVATE_DOMAIN>>:5432/railway"

[services.platform-api]
image = "ghcr.io/acme/platform-api:1.4.2"

[services.platform-api.variables]
DATABASE_URL = "$<<platform-db.DATABASE_URL>>"
PORT = "8080"
JWT_SECRET = {{ from_env = "TEST_JWT_SECRET" }}
API_KEY = {{ value = "{SENSITIVE_LITERAL}", sensitive = true }}
SESSION_KEY = {{ generate = "secret", length = 40 }}

[services.worker]
image = "ghcr.io/acme/worker:2.0.0"

[services.worker.variables]
DATABASE_URL = "$<<platform-db.DATABASE_URL>>"
API_URL = "http://$<<platform-api.RAILWAY_PRIVATE_DOMAIN>>:$<<platform-api.PORT>>"
LOG_LEVEL = "$<<shared.LOG_LEVEL>>"
"#
    )
}

/// The sensitive literal of [`realistic_toml`].
pub const SENSITIVE_LITERAL: &str = "sensitive-literal-Q9zW";

/// The environments [`realistic_toml`] writes a file for (`production` has none).
pub const REALISTIC_FILES: [&str; 2] = ["dev", "staging"];

/// Writes the realistic files into `workspace` and gives it `TEST_JWT_SECRET`.
pub fn realistic_workspace(emulator: &Emulator) -> crate::harness::Workspace {
    let mut workspace = crate::harness::Workspace::new(emulator);
    for environment in REALISTIC_FILES {
        workspace.file(&format!("environments/{environment}.toml"), &realistic_toml(environment));
    }
    workspace.env("TEST_JWT_SECRET", JWT_VALUE);
    workspace
}

/// The project's services as `(id, name)`, duplicates included.
pub fn services(emulator: &Emulator, project: &Project) -> Vec<(String, String)> {
    let data = emulator.data(
        "query P($id: String!) { project(id: $id) { services { edges { node { id name } } } } }",
        json!({"id": project.id}),
    );
    let edges = data["project"]["services"]["edges"].as_array().cloned().unwrap_or_default();
    edges.iter().map(|edge| (text(&edge["node"]["id"]), text(&edge["node"]["name"]))).collect()
}

/// What must hold after any run, finished or not, of the realistic apply: no service twice, no
/// deployment with an unresolved reference; and, when `converged`, every declared variable
/// live in each environment with a file, `OLD_FLAG` pruned, and every reference to the
/// renamed database rewritten in all three environments.
pub fn check_realistic_invariants(emulator: &Emulator, seeded: &OperatorsProject, converged: bool) {
    let services = services(emulator, &seeded.project);
    let mut names: Vec<&str> = services.iter().map(|(_, name)| name.as_str()).collect();
    names.sort();
    let count = names.len();
    names.dedup();
    assert_eq!(names.len(), count, "a service exists twice: {services:?}");
    for deployment in emulator.deployments() {
        assert_eq!(
            broken_references(&deployment),
            Vec::<String>::new(),
            "a deployment saw a broken reference: {deployment}"
        );
    }
    if !converged {
        return;
    }
    assert!(names.contains(&"platform-db") && !names.contains(&"Postgres-OG9n"), "{names:?}");
    let environments = [("dev", &seeded.dev), ("staging", &seeded.staging), ("production", &seeded.project.production)];
    for (environment, id) in environments {
        let (config, _) = config(emulator, id, true);
        let api = &config["services"][seeded.api.as_str()]["variables"];
        assert_eq!(api["DATABASE_URL"]["value"], "${{platform-db.DATABASE_URL}}", "{environment}: {api}");
        if !REALISTIC_FILES.contains(&environment) {
            continue;
        }
        let declared: toml::Table = toml::from_str(&realistic_toml(environment)).expect("the realistic file parses");
        for (service, table) in declared["services"].as_table().expect("services") {
            let (service_id, _) = services.iter().find(|(_, name)| name == service).expect("declared service exists");
            let live = &config["services"][service_id.as_str()]["variables"];
            for variable in table["variables"].as_table().expect("variables").keys() {
                assert!(live.get(variable).is_some(), "{environment}/{service}/{variable} is missing: {live}");
            }
            assert!(live.get("OLD_FLAG").is_none(), "{environment}/{service}: OLD_FLAG was not pruned");
        }
    }
}

/// The references a recorded deployment could not resolve, leaving out the TCP proxy built-ins
/// (`RAILWAY_TCP_PROXY_DOMAIN`, `RAILWAY_TCP_PROXY_PORT`): the Postgres and Redis templates'
/// `*_PUBLIC_URL` use them, and they resolve only once the service has a TCP proxy, which
/// nothing in these files asks for (as on Railway, where such a URL stays broken until public
/// networking is turned on).
pub fn broken_references(deployment: &Value) -> Vec<String> {
    let unresolved = deployment["unresolved"].as_array().expect("a deployment lists its unresolved references");
    unresolved
        .iter()
        .map(text)
        .filter(|target| !matches!(target.as_str(), "RAILWAY_TCP_PROXY_DOMAIN" | "RAILWAY_TCP_PROXY_PORT"))
        .collect()
}

/// A workspace holding the operators' `dev` file, with its `from_env` secret set.
pub fn operators_workspace(emulator: &Emulator) -> Workspace {
    let mut workspace = Workspace::new(emulator);
    workspace.file("environments/dev.toml", OPERATORS_DEV_TOML);
    workspace.env("TEST_JWT_SECRET", JWT_VALUE);
    workspace
}

/// The repository's example environment files (`environments/`), by file name.
pub fn example_files() -> Vec<(String, String)> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("environments");
    let mut files: Vec<(String, String)> = std::fs::read_dir(folder)
        .expect("environments/")
        .map(|entry| {
            let path = entry.expect("an example file").path();
            let name = path.file_name().expect("a file name").to_string_lossy().into_owned();
            (name, std::fs::read_to_string(&path).expect("an example file"))
        })
        .collect();
    files.sort();
    files
}

/// Deploys every service instance of `project`, as a project that runs looks: each instance's
/// latest deployment then holds what it was given (no deploy is pending).
pub fn deploy_everything(emulator: &Emulator, project: &Project) {
    let found = emulator.data(
        "query($id: String!) { project(id: $id) { environments { edges { node { id serviceInstances { edges { node { serviceId } } } } } } } }",
        json!({"id": project.id}),
    );
    for environment in found["project"]["environments"]["edges"].as_array().into_iter().flatten() {
        let environment_id = text(&environment["node"]["id"]);
        for instance in environment["node"]["serviceInstances"]["edges"].as_array().into_iter().flatten() {
            emulator.data(
                "mutation($e: String!, $s: String!) { serviceInstanceDeployV2(environmentId: $e, serviceId: $s) }",
                json!({"e": environment_id, "s": text(&instance["node"]["serviceId"])}),
            );
        }
    }
}
