//! `railform import` against the emulator over HTTP: a seeded project imported and planned as
//! `No changes.` with no secret in the file, a round trip through apply into an empty emulator,
//! and the markdown plan report as a reviewer sees it in a pull request.

use crate::harness::{Emulator, Run, Workspace};
use crate::seed::{
    import_project, operators_project_with_stale_secret, IMPORT_CACHE_URL, IMPORT_JWT_SECRET, IMPORT_PG_PASSWORD,
    IMPORT_SHARED_SIGNING, IMPORT_STRIPE_KEY, JWT_VALUE, OPERATORS_DEV_TOML, SEEDED_PASSWORD,
};

const IMPORT_SECRETS: [&str; 5] =
    [IMPORT_PG_PASSWORD, IMPORT_STRIPE_KEY, IMPORT_CACHE_URL, IMPORT_JWT_SECRET, IMPORT_SHARED_SIGNING];

fn assert_no_secret(what: &str, text: &str, secrets: &[&str]) {
    for secret in secrets {
        assert!(!text.contains(secret), "{what} shows the secret {secret}:\n{text}");
    }
    // Not even the password part of the cache URL.
    assert!(!text.contains("cache-pass-Zr8q"), "{what} shows the cache password:\n{text}");
}

/// `import` of staging with `--secrets MODE`.
fn import(workspace: &Workspace, project: &str, output: &str, secrets: &str) -> (Run, String) {
    let args = ["import", "--project", project, "--environment", "staging", "--output", output, "--secrets", secrets];
    let run = workspace.run(&args).expect(0);
    let text = std::fs::read_to_string(workspace.path().join(output)).expect("import wrote the file");
    (run, text)
}

/// The environment variables import asks for, with the live values the test seeded.
fn export_credentials(workspace: &mut Workspace, sealed: bool) {
    workspace.env("STAGING_API_STRIPE_API_KEY", IMPORT_STRIPE_KEY);
    workspace.env("STAGING_API_CACHE_URL", IMPORT_CACHE_URL);
    if !sealed {
        workspace.env("STAGING_API_JWT_SECRET", IMPORT_JWT_SECRET);
        workspace.env("STAGING_SHARED_SIGNING_KEY", IMPORT_SHARED_SIGNING);
    }
}

#[test]
fn an_imported_environment_plans_no_changes_and_holds_no_secret() {
    let emulator = Emulator::start();
    let seeded = import_project(&emulator, true);
    let mut workspace = Workspace::new(&emulator);

    // By default a credential is kept in Railway: the file plans clean at once.
    let (run, file) = import(&workspace, "shop", "environments/staging.toml", "preserve");
    assert_no_secret("the imported file", &file, &IMPORT_SECRETS);
    for expected in ["STRIPE_API_KEY = { preserve = true }", "CACHE_URL = { preserve = true }"] {
        assert!(file.contains(expected), "missing `{expected}` in\n{file}");
    }
    assert!(!file.contains("{ from_env"), "{file}");
    assert!(run.stderr.contains("look like credentials written as `{ preserve = true }`"), "{}", run.stderr);
    assert!(run.stderr.contains("staging/api/STRIPE_API_KEY"), "{}", run.stderr);
    let plan = workspace.run(&["plan", "environments", "--detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    // `--secrets from-env` manages them from environment variables instead.
    let (run, file) = import(&workspace, "shop", "environments/staging.toml", "from-env");
    assert_no_secret("the imported file", &file, &IMPORT_SECRETS);
    assert_no_secret("import's output", &(run.stdout.clone() + &run.stderr), &IMPORT_SECRETS);
    for expected in [
        "project = \"shop\"",
        &format!("project_id = \"{}\"", seeded.project.id),
        "environment = \"staging\"",
        &format!("[services.Postgres]\nid = \"{}\"", seeded.postgres),
        "template = \"postgres\"\nparams = { version = \"16\" }",
        &format!("[services.api]\nid = \"{}\"\nimage = \"ghcr.io/acme/shop-api:2.3.0\"", seeded.api),
        &format!("[services.worker]\nid = \"{}\"\nrepo = \"acme/shop\"\nbranch = \"main\"", seeded.worker),
        "DATABASE_URL = \"$<<Postgres.DATABASE_URL>>\"",
        "PGPASSWORD = \"$<<Postgres.PGPASSWORD>>\"",
        "GREETING = \"Welcome to $<<shared.APP_NAME>>\"",
        "API_URL = \"http://$<<api.RAILWAY_PRIVATE_DOMAIN>>:$<<api.PORT>>\"",
        "# sealed in Railway: value not managed\nJWT_SECRET = { preserve = true }",
        "# sealed in Railway: value not managed\nSIGNING_KEY = { preserve = true }",
        "STRIPE_API_KEY = { from_env = \"STAGING_API_STRIPE_API_KEY\" }",
        "CACHE_URL = { from_env = \"STAGING_API_CACHE_URL\" }",
        "APP_NAME = \"shop\"",
    ] {
        assert!(file.contains(expected), "missing `{expected}` in\n{file}");
    }
    assert!(!file.contains("${{"), "references are written as $<<…>>:\n{file}");
    assert!(!file.contains("PGDATA"), "template variables equal to the template are not written:\n{file}");
    assert!(run.stderr.contains("STAGING_API_STRIPE_API_KEY"), "{}", run.stderr);

    // Without the credentials, plan says which one is missing; with them, nothing changes.
    let missing = workspace.run(&["plan", "environments", "--detailed-exitcode"]).expect(1);
    assert!(missing.stderr.contains("STAGING_API_"), "{}", missing.stderr);
    export_credentials(&mut workspace, true);
    let plan = workspace.run(&["plan", "environments", "--detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);

    // The project's id works as well as its name; without --output the file is printed.
    let by_id = workspace
        .run(&["import", "--project", &seeded.project.id, "--environment", "staging", "--secrets", "from-env"])
        .expect(0);
    assert_eq!(by_id.stdout, file);
}

#[test]
fn an_unknown_project_or_environment_is_an_error_that_says_what_exists() {
    let emulator = Emulator::start();
    import_project(&emulator, false);
    let workspace = Workspace::new(&emulator);
    let run = workspace.run(&["import", "--project", "nope", "--environment", "staging"]).expect(1);
    assert!(run.stderr.contains("no Railway project has the id or the name \"nope\""), "{}", run.stderr);
    let run = workspace.run(&["import", "--project", "shop", "--environment", "qa"]).expect(1);
    assert!(run.stderr.contains("production, staging"), "{}", run.stderr);
}

/// The file with every pinned id (`id`, `project_id`) replaced by a placeholder.
fn without_ids(file: &str) -> String {
    file.lines()
        .map(|line| match line.split_once(" = ") {
            Some(("id" | "project_id", _)) => "<id>",
            _ => line,
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn import_apply_elsewhere_and_import_again_gives_the_same_file_but_for_ids() {
    let source = Emulator::start();
    import_project(&source, false);
    // Managed from environment variables: a new Railway has no value to preserve.
    let (_, first) = import(&Workspace::new(&source), "shop", "staging.toml", "from-env");

    // Applied to an empty Railway (pins removed: those ids do not exist there).
    let target = Emulator::start();
    let mut workspace = Workspace::new(&target);
    workspace.file("environments/staging.toml", &without_ids(&first).replace("<id>\n", ""));
    export_credentials(&mut workspace, false);
    workspace.run(&["apply", "--yes"]).expect(0);

    let (_, second) = import(&workspace, "shop", "reimported/staging.toml", "from-env");
    assert_eq!(without_ids(&first), without_ids(&second));
    assert_ne!(first, second, "the ids are those of the second project");
    assert_no_secret("the re-imported file", &second, &IMPORT_SECRETS);

    // The re-imported file, pins and all, plans nothing on the project it came from.
    workspace.file("environments/staging.toml", &second);
    workspace.run(&["plan", "environments", "--detailed-exitcode"]).expect(0);
}

#[test]
fn the_markdown_report_of_a_rename_with_rewrites_creates_and_a_sensitive_update() {
    let emulator = Emulator::start();
    operators_project_with_stale_secret(&emulator);
    let mut workspace = Workspace::new(&emulator);
    workspace.file("environments/dev.toml", OPERATORS_DEV_TOML);
    workspace.env("TEST_JWT_SECRET", JWT_VALUE);

    let run = workspace.run(&["plan", "--format", "markdown", "--detailed-exitcode"]).expect(2);
    for secret in [SEEDED_PASSWORD, JWT_VALUE, "stale-jwt-value-Rb5n", "sensitive-literal-Q9zW"] {
        assert!(!run.stdout.contains(secret), "the report shows {secret}:\n{}", run.stdout);
    }
    insta::assert_snapshot!("plan_markdown_rename_rewrites_creates_sensitive_update", run.stdout);
}

#[test]
fn two_environments_imported_with_a_base_share_it_and_plan_no_changes() {
    let emulator = Emulator::start();
    import_project(&emulator, true);
    let workspace = Workspace::new(&emulator);
    for environment in ["production", "staging"] {
        let output = format!("environments/{environment}.toml");
        let args = ["import", "--project", "shop", "--environment", environment, "--output", &output];
        workspace.run(&[&args[..], &["--base", "environments/base.toml"]].concat()).expect(0);
    }
    let read = |name: &str| std::fs::read_to_string(workspace.path().join("environments").join(name)).unwrap();
    let (base, production, staging) = (read("base.toml"), read("production.toml"), read("staging.toml"));
    for (what, file) in [("base", &base), ("production", &production), ("staging", &staging)] {
        assert_no_secret(what, file, &IMPORT_SECRETS);
    }
    for expected in ["project = \"shop\"", "template = \"postgres\"", "APP_NAME = \"shop\"", "QUEUE = \"default\""] {
        assert!(base.contains(expected), "missing `{expected}` in the base:\n{base}");
    }
    assert!(!base.contains("environment ="), "{base}");
    assert!(
        staging.starts_with("# Imported") && staging.contains("extends = \"base.toml\"\nenvironment = \"staging\"")
    );
    assert!(staging.contains("# sealed in Railway: value not managed\nJWT_SECRET = { preserve = true }"), "{staging}");
    assert!(production.contains("not written here (its name looks like a credential)"), "{production}");
    assert!(production.contains("JWT_SECRET = { preserve = true }"), "{production}");
    assert!(!staging.contains("template ="), "the base says it:\n{staging}");

    // Credentials stay in Railway: nothing to export, nothing to change.
    let plan = workspace.run(&["plan", "environments", "--detailed-exitcode"]).expect(0);
    assert!(plan.stdout.contains("No changes."), "{}", plan.stdout);
}
