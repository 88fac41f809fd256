//! SPEC §2.1 read from files: every key into exactly the expected `Settings` (and its Railway
//! leaves), through `extends` overlays; the templates; railway.toml spellings; secrets in
//! registry credentials.

use std::collections::BTreeMap;
use std::path::Path;

use assert_cmd::Command;
use railform::config::model::{Model, Service, Source, VariableValue};
use railform::config::secrets::Secrets;
use railform::config::settings::{
    BackupSchedule, Build, Builder, CustomDomain, Deploy, Limits, Networking, RestartPolicy, Settings,
};
use railform::config::{self};
use serde_json::{json, Value};

fn load(files: &[(&str, &str)]) -> Model {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    match config::load(&[dir.path().to_path_buf()]) {
        Ok(model) => model,
        Err(diagnostics) => panic!("{diagnostics}"),
    }
}

fn service<'m>(model: &'m Model, environment: &str, name: &str) -> &'m Service {
    let environment = model.environments.iter().find(|e| e.name == environment).expect("environment");
    &environment.services[name]
}

const EVERY_KEY: &str = r#"
project = "platform"

[services.platform-api]
repo = "acme/platform"
branch = "main"
root_directory = "apps/api"

[services.platform-api.build]
builder = "dockerfile"
dockerfile_path = "apps/api/Dockerfile"
build_command = "npm run build"
watch_patterns = ["apps/api/**"]
railpack_version = "0.7.0"
nixpacks_config_path = "nixpacks.toml"

[services.platform-api.deploy]
start_command = "node server.js"
pre_deploy_command = "npx prisma migrate deploy"
pre_deploy_timeout = 300
healthcheck_path = "/health"
healthcheck_timeout = 120
restart_policy = "on_failure"
restart_max_retries = 5
regions = { "us-west2" = 2, "europe-west4-drams3a" = 1 }
cron_schedule = "*/15 * * * *"
sleep_when_idle = true
draining_seconds = 30
overlap_seconds = 10
limits = { vcpus = 2, memory_gb = 4.5 }

[services.platform-api.networking]
railway_domain = { port = 8000 }
custom_domains = [{ domain = "api.acme.com", port = 8000 }, "www.acme.com"]
tcp_proxy = [9000, 9001]

[services.files]
image = "ghcr.io/acme/files:1"
volume = { mount = "/data", backups = ["daily", "monthly"] }
registry_credentials = { username = "acme-bot", password = { from_env = "GHCR_TOKEN" } }

[services.files.deploy]
replicas = 3
pre_deploy_command = ["./migrate", "./seed"]
"#;

#[test]
fn a_file_with_every_key_loads_into_exactly_those_settings() {
    let model = load(&[("base.toml", EVERY_KEY), ("dev.toml", "extends = \"base.toml\"\nenvironment = \"dev\"\n")]);
    let api = service(&model, "dev", "platform-api");
    let expected = Settings {
        root_directory: Some("apps/api".into()),
        build: Build {
            builder: Some(Builder::Dockerfile),
            dockerfile_path: Some("apps/api/Dockerfile".into()),
            build_command: Some("npm run build".into()),
            watch_patterns: Some(vec!["apps/api/**".into()]),
            railpack_version: Some("0.7.0".into()),
            nixpacks_config_path: Some("nixpacks.toml".into()),
        },
        deploy: Deploy {
            start_command: Some("node server.js".into()),
            pre_deploy_command: Some(vec!["npx prisma migrate deploy".into()]),
            pre_deploy_timeout: Some(300),
            healthcheck_path: Some("/health".into()),
            healthcheck_timeout: Some(120),
            restart_policy: Some(RestartPolicy::OnFailure),
            restart_max_retries: Some(5),
            replicas: None,
            regions: Some(BTreeMap::from([("europe-west4-drams3a".into(), 1), ("us-west2".into(), 2)])),
            cron_schedule: Some("*/15 * * * *".into()),
            sleep_when_idle: Some(true),
            draining_seconds: Some(30),
            overlap_seconds: Some(10),
            limits: Some(Limits { vcpus: Some(2.0), memory_gb: Some(4.5) }),
        },
        networking: Some(Networking {
            railway_domain: Some(Some(8000)),
            custom_domains: vec![
                CustomDomain { domain: "api.acme.com".into(), port: Some(8000) },
                CustomDomain { domain: "www.acme.com".into(), port: None },
            ],
            tcp_proxy: vec![9000, 9001],
        }),
        volume_backups: None,
        registry_credentials: None,
    };
    assert_eq!(api.settings, expected);
    let leaves: Vec<(String, String, Value)> =
        api.settings.leaves().into_iter().map(|leaf| (leaf.name, leaf.path.join("."), leaf.value)).collect();
    let expected_leaves = [
        ("root_directory", "source.rootDirectory", json!("apps/api")),
        ("build.builder", "build.builder", json!("DOCKERFILE")),
        ("build.dockerfile_path", "build.dockerfilePath", json!("apps/api/Dockerfile")),
        ("build.build_command", "build.buildCommand", json!("npm run build")),
        ("build.watch_patterns", "build.watchPatterns", json!(["apps/api/**"])),
        ("build.railpack_version", "build.railpackVersion", json!("0.7.0")),
        ("build.nixpacks_config_path", "build.nixpacksConfigPath", json!("nixpacks.toml")),
        ("deploy.start_command", "deploy.startCommand", json!("node server.js")),
        ("deploy.pre_deploy_command", "deploy.preDeployCommand", json!(["npx prisma migrate deploy"])),
        ("deploy.pre_deploy_timeout", "deploy.preDeployTimeoutSeconds", json!(300)),
        ("deploy.healthcheck_path", "deploy.healthcheckPath", json!("/health")),
        ("deploy.healthcheck_timeout", "deploy.healthcheckTimeout", json!(120)),
        ("deploy.restart_policy", "deploy.restartPolicyType", json!("ON_FAILURE")),
        ("deploy.restart_max_retries", "deploy.restartPolicyMaxRetries", json!(5)),
        ("deploy.regions.europe-west4-drams3a", "deploy.multiRegionConfig.europe-west4-drams3a.numReplicas", json!(1)),
        ("deploy.regions.us-west2", "deploy.multiRegionConfig.us-west2.numReplicas", json!(2)),
        ("deploy.cron_schedule", "deploy.cronSchedule", json!("*/15 * * * *")),
        ("deploy.sleep_when_idle", "deploy.sleepApplication", json!(true)),
        ("deploy.draining_seconds", "deploy.drainingSeconds", json!(30)),
        ("deploy.overlap_seconds", "deploy.overlapSeconds", json!(10)),
        ("deploy.limits.vcpus", "deploy.limitOverride.containers.cpu", json!(2.0)),
        ("deploy.limits.memory_gb", "deploy.limitOverride.containers.memoryBytes", json!(4_831_838_208u64)),
    ];
    let expected_leaves: Vec<(String, String, Value)> =
        expected_leaves.into_iter().map(|(n, p, v)| (n.to_string(), p.to_string(), v)).collect();
    assert_eq!(leaves, expected_leaves);

    let files = service(&model, "dev", "files");
    assert_eq!(files.source, Some(Source::Image("ghcr.io/acme/files:1".into())));
    assert_eq!(files.volume.as_ref().unwrap().mount, "/data");
    assert_eq!(files.settings.volume_backups, Some(vec![BackupSchedule::Daily, BackupSchedule::Monthly]));
    assert_eq!(files.settings.deploy.replicas, Some(3));
    assert_eq!(files.settings.deploy.pre_deploy_command, Some(vec!["./migrate".into(), "./seed".into()]));
    assert_eq!(files.settings.networking, None, "no [networking]: networking is not managed");
    let credentials = files.settings.registry_credentials.as_ref().unwrap();
    assert_eq!(credentials.username, "acme-bot");
    assert_eq!(credentials.password, VariableValue::FromEnv { name: "GHCR_TOKEN".into(), allow_empty: false });
    let leaves: Vec<String> = files.settings.leaves().into_iter().map(|leaf| leaf.name).collect();
    assert_eq!(leaves, ["deploy.pre_deploy_command", "deploy.replicas"]);
}

#[test]
fn an_overlay_changes_settings_of_one_environment_only() {
    let base = "project = \"p\"\n[services.api]\nimage = \"ghcr.io/a/api:1\"\n\
                [services.api.deploy]\nstart_command = \"node server.js\"\nreplicas = 1\n\
                [services.api.networking]\nrailway_domain = true\n\
                [services.db]\ntemplate = \"postgres\"\n";
    let prod = "extends = \"base.toml\"\nenvironment = \"prod\"\n[services.api.deploy]\nreplicas = 3\n\
                [services.api.networking]\nrailway_domain = false\ncustom_domains = [\"api.acme.com\"]\n\
                [services.db]\nparams = { public = true, backups = [\"daily\"] }\n";
    let model = load(&[
        ("base.toml", base),
        ("dev.toml", "extends = \"base.toml\"\nenvironment = \"dev\"\n"),
        ("prod.toml", prod),
    ]);
    let (dev, prod) = (service(&model, "dev", "api"), service(&model, "prod", "api"));
    assert_eq!(dev.settings.deploy.replicas, Some(1));
    assert_eq!(prod.settings.deploy.replicas, Some(3));
    assert_eq!(prod.settings.deploy.start_command.as_deref(), Some("node server.js"), "merged from the base");
    assert_eq!(dev.settings.networking.as_ref().unwrap().railway_domain, Some(None), "true: Railway picks the port");
    let prod_networking = prod.settings.networking.as_ref().unwrap();
    assert_eq!(prod_networking.railway_domain, None, "false in an overlay removes the generated domain");
    assert_eq!(prod_networking.custom_domains, [CustomDomain { domain: "api.acme.com".into(), port: None }]);
    let (dev_db, prod_db) = (service(&model, "dev", "db"), service(&model, "prod", "db"));
    assert_eq!(dev_db.settings.networking, None, "private by default: networking left to the dashboard");
    assert_eq!(dev_db.settings.volume_backups, None);
    assert_eq!(prod_db.settings.networking.as_ref().unwrap().tcp_proxy, [5432]);
    assert_eq!(prod_db.settings.volume_backups, Some(vec![BackupSchedule::Daily]));
    assert_eq!(prod_db.volume.as_ref().unwrap().mount, "/var/lib/postgresql/data");
}

/// Loads one service from `template` with `params` and returns it.
fn from_template(template: &str, params: &str, extra: &str) -> Model {
    let file = format!(
        "project = \"p\"\nenvironment = \"dev\"\n[services.db]\ntemplate = \"postgres\"\n\
         [services.svc]\ntemplate = \"{template}\"\nparams = {params}\n{extra}"
    );
    load(&[("dev.toml", &file)])
}

fn literal(service: &Service, name: &str) -> String {
    match &service.variables[name].value {
        VariableValue::Literal { value, .. } => value.clone(),
        other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn every_builtin_template_validates_and_reproduces_railways_template() {
    // mysql
    let model = from_template("mysql", "{ public = true, backups = [\"weekly\"] }", "");
    let mysql = service(&model, "dev", "svc");
    assert_eq!(mysql.source, Some(Source::Image("mysql:9.4".into())));
    assert_eq!(mysql.volume.as_ref().unwrap().mount, "/var/lib/mysql");
    assert!(mysql.settings.deploy.start_command.as_deref().unwrap().starts_with("docker-entrypoint.sh mysqld"));
    assert_eq!(mysql.settings.networking.as_ref().unwrap().tcp_proxy, [3306]);
    assert_eq!(mysql.settings.volume_backups, Some(vec![BackupSchedule::Weekly]));
    assert_eq!(
        literal(mysql, "MYSQL_URL"),
        "mysql://$<<MYSQLUSER>>:$<<MYSQL_ROOT_PASSWORD>>@$<<RAILWAY_PRIVATE_DOMAIN>>:3306/$<<MYSQL_DATABASE>>"
    );
    assert!(matches!(mysql.variables["MYSQL_ROOT_PASSWORD"].value, VariableValue::Generate { length: 32, .. }));
    for name in ["MYSQLHOST", "MYSQLPORT", "MYSQLUSER", "MYSQLPASSWORD", "MYSQLDATABASE", "MYSQL_PUBLIC_URL"] {
        assert!(mysql.variables.contains_key(name), "{name}");
    }
    // mongo
    let model = from_template("mongo", "{ version = \"7.0\" }", "");
    let mongo = service(&model, "dev", "svc");
    assert_eq!(mongo.source, Some(Source::Image("mongo:7.0".into())));
    assert_eq!(mongo.volume.as_ref().unwrap().mount, "/data/db");
    assert!(mongo.settings.deploy.start_command.as_deref().unwrap().contains("--ipv6 --bind_ip ::,0.0.0.0"));
    assert_eq!(mongo.settings.networking, None);
    assert_eq!(
        literal(mongo, "MONGO_URL"),
        "mongodb://$<<MONGO_INITDB_ROOT_USERNAME>>:$<<MONGO_INITDB_ROOT_PASSWORD>>@$<<RAILWAY_PRIVATE_DOMAIN>>:27017"
    );
    // redis
    let model = from_template("redis", "{ public = true }", "");
    let redis = service(&model, "dev", "svc");
    assert_eq!(redis.settings.networking.as_ref().unwrap().tcp_proxy, [6379]);
    assert!(redis
        .settings
        .deploy
        .start_command
        .as_deref()
        .unwrap()
        .contains("redis-server --requirepass $REDIS_PASSWORD"));
    // qdrant: public by default, as Railway's
    let model = from_template("qdrant", "{}", "");
    let qdrant = service(&model, "dev", "svc");
    assert_eq!(qdrant.source, Some(Source::Image("qdrant/qdrant".into())));
    assert_eq!(qdrant.volume.as_ref().unwrap().mount, "/qdrant/storage");
    assert_eq!(qdrant.settings.networking.as_ref().unwrap().railway_domain, Some(Some(6333)));
    assert_eq!(literal(qdrant, "PORT"), "6333");
    assert!(matches!(qdrant.variables["QDRANT__SERVICE__API_KEY"].value, VariableValue::Generate { .. }));
    let model = from_template("qdrant", "{ public = false }", "");
    let private = service(&model, "dev", "svc");
    assert_eq!(private.settings.networking.as_ref().unwrap().railway_domain, None);
    assert!(!private.variables.contains_key("QDRANT_PUBLIC_URL"));
    // pgbouncer
    let model = from_template("pgbouncer", "{ postgres = \"db\" }", "");
    let pooler = service(&model, "dev", "svc");
    assert_eq!(pooler.source, Some(Source::Image("ghcr.io/railwayapp-templates/pgbouncer:1".into())));
    assert_eq!(literal(pooler, "UPSTREAM_POSTGRESQL_HOST"), "$<<db.RAILWAY_PRIVATE_DOMAIN>>");
    assert_eq!(literal(pooler, "POOL_MODE"), "transaction");
    assert_eq!(
        literal(pooler, "DATABASE_URL"),
        "postgresql://$<<PGUSER>>:$<<PGPASSWORD>>@$<<RAILWAY_PRIVATE_DOMAIN>>:5432/$<<db.PGDATABASE>>"
    );
    assert_eq!(literal(pooler, "DATABASE_UNPOOLED_URL"), "$<<db.DATABASE_URL>>");
    assert!(!pooler.variables.contains_key("DATABASE_PUBLIC_URL"), "public URLs only with public = true");
    assert_eq!(pooler.settings.networking, None);
    let model = from_template("pgbouncer", "{ postgres = \"db\", public = true, pool_mode = \"session\" }", "");
    let public = service(&model, "dev", "svc");
    assert_eq!(public.settings.networking.as_ref().unwrap().tcp_proxy, [5432]);
    assert_eq!(literal(public, "POOL_MODE"), "session");
    assert!(literal(public, "DATABASE_PUBLIC_URL").contains("$<<RAILWAY_TCP_PROXY_DOMAIN>>"));
    // A serverless client's pooled URL refers to the pooler, which resolves.
    let model = from_template(
        "pgbouncer",
        "{ postgres = \"db\", public = true }",
        "[services.web]\nimage = \"ghcr.io/a/web:1\"\n[services.web.variables]\nDATABASE_URL = \"$<<svc.DATABASE_PUBLIC_URL>>\"\n",
    );
    assert_eq!(literal(service(&model, "dev", "web"), "DATABASE_URL"), "$<<svc.DATABASE_PUBLIC_URL>>");
}

#[test]
fn the_registry_password_is_a_secret_that_is_never_shown() {
    let file = "project = \"p\"\nenvironment = \"dev\"\n[services.app]\nimage = \"ghcr.io/acme/private:1\"\n\
                registry_credentials = { username = \"bot\", password = \"hunter2-literal\" }\n\
                [services.other]\nimage = \"ghcr.io/acme/other:1\"\n\
                registry_credentials = { username = \"bot\", password = { from_env = \"REGISTRY_TOKEN_ZQ\" } }\n";
    let model = load(&[("dev.toml", file)]);
    let app = service(&model, "dev", "app");
    let credentials = app.settings.registry_credentials.as_ref().unwrap();
    assert!(credentials.password.is_sensitive(), "a plain password is sensitive");
    let shown = format!("{:?} {:?}", app.settings, model.environments[0].services["other"].settings);
    assert!(!shown.contains("hunter2"), "{shown}");
    assert!(shown.contains("from_env(REGISTRY_TOKEN_ZQ)"), "{shown}");
    // A from_env password is read like any from_env variable: missing is a located error.
    let missing = Secrets::resolve(&model, |_| None).unwrap_err();
    assert_eq!(missing.len(), 1);
    assert!(missing.0[0].short().contains("dev.toml:8:"), "{}", missing.0[0].short());
    assert!(missing.0[0].message.contains("REGISTRY_TOKEN_ZQ"), "{}", missing.0[0].message);
    let secrets = Secrets::resolve(&model, |name| (name == "REGISTRY_TOKEN_ZQ").then(|| "t0ken".into())).unwrap();
    assert!(secrets.get("REGISTRY_TOKEN_ZQ").is_some());
    // And an error near the literal never quotes it.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dev.toml"),
        "project = \"p\"\nenvironment = \"dev\"\n[services.app]\nrepo = \"acme/app\"\n\
         registry_credentials = { username = \"bot\", password = \"hunter2-literal\" }\n",
    )
    .unwrap();
    let output = Command::cargo_bin("railform").unwrap().arg("validate").arg(dir.path()).output().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("`registry_credentials` on `app`, which builds from a repository"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn railway_toml_spellings_are_pointed_at_railforms_names() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dev.toml"),
        "project = \"p\"\nenvironment = \"dev\"\n[services.api]\nimage = \"ghcr.io/a/api:1\"\n\
         startCommand = \"node server.js\"\n\
         [services.api.deploy]\nnumReplicas = 2\nrestartPolicyType = \"ON_FAILURE\"\ncronSchedule = \"0 3 * * *\"\n\
         sleepApplication = true\nnixpacksPlan = {}\n\
         [services.api.build]\nwatchPatterns = [\"src/**\"]\n",
    )
    .unwrap();
    let output =
        Command::cargo_bin("railform").unwrap().arg("validate").arg(dir.path()).arg("--color=never").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    for want in [
        "railway.toml's `startCommand` is railform's `start_command`, in [services.api.deploy]",
        "`numReplicas` is railway.toml's name: railform's is `replicas`",
        "`restartPolicyType` is railway.toml's name: railform's is `restart_policy`",
        "`cronSchedule` is railway.toml's name: railform's is `cron_schedule`",
        "`sleepApplication` is railway.toml's name: railform's is `sleep_when_idle`",
        "`nixpacksPlan` is a railway.toml setting railform does not manage",
        "`watchPatterns` is railway.toml's name: railform's is `watch_patterns`",
        "[build] on `api`, which deploys an image",
        "8 errors found",
    ] {
        assert!(stderr.contains(want), "want `{want}` in\n{stderr}");
    }
}

#[test]
fn the_example_uses_the_settings_the_way_the_issue_asks() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = config::load(&[root.join("environments")]).unwrap();
    let api = |environment: &str| service(&model, environment, "platform-api");
    for environment in ["dev", "staging", "prod"] {
        let deploy = &api(environment).settings.deploy;
        assert_eq!(deploy.start_command.as_deref(), Some("node server.js"));
        assert_eq!(deploy.pre_deploy_command.as_deref(), Some(&["npx prisma migrate deploy".to_string()][..]));
        assert_eq!(deploy.healthcheck_path.as_deref(), Some("/health"));
        let db = service(&model, environment, "platform-db");
        let public = db.settings.networking.as_ref().is_some_and(|n| n.tcp_proxy == [5432]);
        assert_eq!(public, environment == "dev", "{environment}: Postgres is public only in dev");
        let backups = db.settings.volume_backups.as_ref().is_some_and(|b| b.contains(&BackupSchedule::Daily));
        assert_eq!(backups, environment == "prod", "{environment}: daily backups in prod");
        let worker = service(&model, environment, "worker");
        assert_eq!(worker.settings.deploy.cron_schedule.as_deref(), Some("*/15 * * * *"));
    }
    assert_eq!(api("prod").settings.deploy.replicas, Some(2));
    assert_eq!(
        api("prod").settings.networking.as_ref().unwrap().custom_domains,
        [CustomDomain { domain: "api.acme.com".into(), port: Some(8000) }]
    );
    assert!(api("dev").settings.networking.as_ref().unwrap().custom_domains.is_empty());
}

/// The schema `railform schema` prints, and a validator for it.
fn schema_validator() -> (Value, jsonschema::Validator) {
    let output = Command::cargo_bin("railform").unwrap().arg("schema").output().unwrap();
    assert!(output.status.success());
    let schema: Value = serde_json::from_slice(&output.stdout).expect("the schema is JSON");
    assert!(jsonschema::meta::is_valid(&schema), "the schema is a valid JSON Schema");
    let validator = jsonschema::validator_for(&schema).expect("the schema compiles");
    (schema, validator)
}

fn as_json(toml_text: &str) -> Value {
    toml::from_str::<Value>(toml_text).expect("TOML")
}

#[test]
fn the_schema_accepts_every_example_file_and_refuses_unknown_keys_and_wrong_enums() {
    let (schema, validator) = schema_validator();
    assert_eq!(schema["$schema"], "https://json-schema.org/draft/2020-12/schema");
    assert!(schema["$defs"]["deploy"]["properties"]["restart_policy"]["description"].is_string());
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("environments");
    let mut checked = 0;
    for entry in std::fs::read_dir(&root).unwrap() {
        let path = entry.unwrap().path();
        let instance = as_json(&std::fs::read_to_string(&path).unwrap());
        let errors: Vec<String> =
            validator.iter_errors(&instance).map(|e| format!("{e} at {}", e.instance_path())).collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
        checked += 1;
    }
    assert_eq!(checked, 5, "base, dev, staging, prod and the preview file");
    assert!(
        validator.is_valid(&as_json(EVERY_KEY)),
        "{:?}",
        validator.iter_errors(&as_json(EVERY_KEY)).map(|e| e.to_string()).collect::<Vec<_>>()
    );
    for bad in [
        "[services.api.deploy]\nstartCommand = \"x\"\n",
        "[services.api]\nimgae = \"x\"\n",
        "[services.api.deploy]\nrestart_policy = \"ON_FAILURE\"\n",
        "[services.api.build]\nbuilder = \"heroku\"\n",
        "[services.api.networking]\ntcp_proxy = [70000]\n",
        "[services.api.deploy]\nregions = { \"europe-west4\" = 1 }\n",
        "[services.db]\nvolume = { mount = \"/data\", backups = [\"hourly\"] }\n",
        "[services.api.variables]\nX = { from_env = \"A\", sensitive = true }\n",
        "nope = 1\n",
    ] {
        assert!(!validator.is_valid(&as_json(bad)), "the schema accepts {bad:?}");
    }
}
