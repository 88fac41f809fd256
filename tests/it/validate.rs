//! `validate` and the config loader against the fixtures under `tests/fixtures/`.
//!
//! Each fixture in `tests/fixtures/invalid/` holds one mistake, marked where it stands with a
//! `# ERROR: <part of the message>` comment at the end of the offending line (or on a line of its
//! own just above it). A fixture is a
//! single file or a folder of files (for `extends` and cross-environment mistakes); a mistake in a
//! base that several environments extend is expected once.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use railform::config;
use railform::diag::Diagnostic;

fn fixtures(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(kind)
}

/// An expected error: the file, its 1-based line, and a part of the message.
#[derive(Debug, Clone, PartialEq)]
struct Expected {
    file: PathBuf,
    line: usize,
    message: String,
}

fn expected_errors(fixture: &Path) -> Vec<Expected> {
    let files: Vec<PathBuf> = if fixture.is_dir() {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(fixture).unwrap().map(|e| e.unwrap().path()).filter(|path| path.is_file()).collect();
        files.sort();
        files
    } else {
        vec![fixture.to_path_buf()]
    };
    let mut expected = Vec::new();
    for file in files {
        let text = String::from_utf8_lossy(&std::fs::read(&file).unwrap()).into_owned();
        for (index, line) in text.lines().enumerate() {
            // A marker on a line of its own points at the next line (for lines that cannot hold
            // a comment, such as an unterminated string).
            if let Some(message) = line.trim_start().strip_prefix("# ERROR: ") {
                expected.push(Expected {
                    file: file.canonicalize().unwrap(),
                    line: index + 2,
                    message: message.trim().to_string(),
                });
            } else if let Some((_, message)) = line.split_once("# ERROR: ") {
                expected.push(Expected {
                    file: file.canonicalize().unwrap(),
                    line: index + 1,
                    message: message.trim().to_string(),
                });
            }
        }
    }
    expected
}

fn located(diagnostic: &Diagnostic) -> Option<(PathBuf, usize)> {
    let location = diagnostic.location.as_ref()?;
    let path = Path::new(&location.file.path).canonicalize().ok()?;
    Some((path, location.line_col().0))
}

fn check_fixture(fixture: &Path) -> Result<(), String> {
    let expected = expected_errors(fixture);
    if expected.is_empty() {
        return Err(format!("{}: no `# ERROR:` marker", fixture.display()));
    }
    let diagnostics = match config::load(&[fixture.to_path_buf()]) {
        Ok(_) => return Err(format!("{}: loaded without error", fixture.display())),
        Err(diagnostics) => diagnostics.0,
    };
    let shown: Vec<String> = diagnostics.iter().map(Diagnostic::short).collect();
    for want in &expected {
        let found = diagnostics
            .iter()
            .any(|d| located(d) == Some((want.file.clone(), want.line)) && d.message.contains(&want.message));
        if !found {
            return Err(format!(
                "{}: expected `{}` at line {} of {}, got:\n  {}",
                fixture.display(),
                want.message,
                want.line,
                want.file.display(),
                shown.join("\n  ")
            ));
        }
    }
    if diagnostics.len() != expected.len() {
        return Err(format!(
            "{}: expected {} error(s), got {}:\n  {}",
            fixture.display(),
            expected.len(),
            diagnostics.len(),
            shown.join("\n  ")
        ));
    }
    for diagnostic in &diagnostics {
        if diagnostic.hint.is_none() {
            return Err(format!("{}: `{}` has no hint", fixture.display(), diagnostic.short()));
        }
    }
    Ok(())
}

#[test]
fn every_invalid_fixture_reports_its_one_mistake_where_it_stands() {
    let mut fixtures: Vec<PathBuf> =
        std::fs::read_dir(fixtures("invalid")).unwrap().map(|entry| entry.unwrap().path()).collect();
    fixtures.sort();
    assert!(fixtures.len() >= 30, "only {} invalid fixtures", fixtures.len());
    let failures: Vec<String> = fixtures.iter().filter_map(|fixture| check_fixture(fixture).err()).collect();
    assert!(failures.is_empty(), "{} fixture(s) failed:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn a_file_with_several_mistakes_reports_all_of_them() {
    check_fixture(&fixtures("invalid-many").join("platform.toml")).unwrap();
}

#[test]
fn the_example_environments_are_valid() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let model = config::load(&[root.join("environments")]).unwrap();
    let names: Vec<&str> = model.environments.iter().map(|e| e.name.as_str()).collect();
    assert_eq!(names, ["dev", "prod", "staging"]);
    let prod = &model.environments[1];
    assert_eq!(prod.renamed_from, ["production"]);
    let db = &prod.services["platform-db"];
    assert_eq!(db.renamed_from, ["Postgres-OG9n"]);
    assert!(db.is_protected(false), "a service with a volume is protected by default");
    assert_eq!(db.volume.as_ref().unwrap().mount, "/var/lib/postgresql/data");
}

#[test]
fn postgres_template_reproduces_railways_template() {
    use railform::config::model::{Source, VariableValue};
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dev.toml"),
        "project = \"p\"\nenvironment = \"dev\"\n[services.db]\ntemplate = \"postgres\"\n\
         [services.db.variables]\nPOSTGRES_DB = \"app\"\n",
    )
    .unwrap();
    let model = config::load(&[dir.path().to_path_buf()]).unwrap();
    let db = &model.environments[0].services["db"];
    assert_eq!(db.source, Some(Source::Image("ghcr.io/railwayapp-templates/postgres-ssl:16".into())));
    let literal = |name: &str| db.variables[name].value.literal().unwrap().to_string();
    assert_eq!(literal("PGDATA"), "/var/lib/postgresql/data/pgdata");
    assert_eq!(literal("PGHOST"), "$<<RAILWAY_PRIVATE_DOMAIN>>");
    assert_eq!(literal("PGPORT"), "5432");
    assert_eq!(literal("PGUSER"), "$<<POSTGRES_USER>>");
    assert_eq!(literal("PGDATABASE"), "$<<POSTGRES_DB>>");
    assert_eq!(literal("PGPASSWORD"), "$<<POSTGRES_PASSWORD>>");
    assert_eq!(literal("POSTGRES_DB"), "app", "the service's own keys win over the template's");
    assert_eq!(literal("POSTGRES_USER"), "postgres");
    assert_eq!(
        literal("DATABASE_URL"),
        "postgresql://$<<PGUSER>>:$<<POSTGRES_PASSWORD>>@$<<RAILWAY_PRIVATE_DOMAIN>>:5432/$<<PGDATABASE>>"
    );
    assert_eq!(
        literal("DATABASE_PUBLIC_URL"),
        "postgresql://$<<PGUSER>>:$<<POSTGRES_PASSWORD>>@$<<RAILWAY_TCP_PROXY_DOMAIN>>:$<<RAILWAY_TCP_PROXY_PORT>>/$<<PGDATABASE>>"
    );
    assert_eq!(literal("SSL_CERT_DAYS"), "820");
    assert_eq!(literal("RAILWAY_DEPLOYMENT_DRAINING_SECONDS"), "60");
    match &db.variables["POSTGRES_PASSWORD"].value {
        VariableValue::Generate { length, alphabet } => {
            assert_eq!(*length, 32);
            assert_eq!(alphabet.len(), 52);
            assert!(alphabet.chars().all(|c| c.is_ascii_alphabetic()));
        }
        other => panic!("POSTGRES_PASSWORD is {other:?}"),
    }
    assert_eq!(db.variables.len(), 13);
}

#[test]
fn a_projects_own_template_overrides_the_builtin() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir(dir.path().join("templates")).unwrap();
    std::fs::write(
        dir.path().join("templates/postgres.toml.hbs"),
        "image = \"registry.acme.dev/pg:{{params.version}}-{{environment}}\"\n[variables]\nNAME = \"{{name}}\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("dev.toml"),
        "project = \"p\"\nenvironment = \"dev\"\n[services.db]\ntemplate = \"postgres\"\nparams = { version = \"17\" }\n",
    )
    .unwrap();
    let model = config::load(&[dir.path().join("dev.toml")]).unwrap();
    let db = &model.environments[0].services["db"];
    assert_eq!(db.source, Some(railform::config::model::Source::Image("registry.acme.dev/pg:17-dev".into())));
    assert_eq!(db.variables["NAME"].value.literal(), Some("db"));
}

#[test]
fn validate_command_prints_located_snippets_and_exits_1() {
    let fixture = fixtures("invalid").join("13-unknown-variable-on-service.toml");
    let output =
        Command::cargo_bin("railform").unwrap().arg("validate").arg(&fixture).arg("--color=never").output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("13-unknown-variable-on-service.toml:8:17"), "{stderr}");
    assert!(stderr.contains("DATABASE_URL = \"$<<platform-db.DATABSE_URL>>\""), "{stderr}");
    assert!(stderr.contains("^^^"), "{stderr}");
    assert!(stderr.contains("did you mean `DATABASE_URL`?"), "{stderr}");
    assert!(stderr.contains("1 error found"), "{stderr}");
}

#[test]
fn validate_and_graph_accept_the_example() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    Command::cargo_bin("railform").unwrap().current_dir(root).arg("validate").assert().success();
    let output =
        Command::cargo_bin("railform").unwrap().current_dir(root).args(["graph", "environments"]).output().unwrap();
    assert!(output.status.success());
    let mermaid = String::from_utf8(output.stdout).unwrap();
    assert!(mermaid.starts_with("flowchart LR"));
    // Every reference edge of the example, in each of the three environments.
    for (from, to, label) in [
        ("platform_api", "platform_db", "DATABASE_URL"),
        ("platform_api", "redis", "REDIS_URL"),
        ("worker", "platform_db", "DATABASE_URL"),
        ("worker", "redis", "REDIS_URL"),
        ("worker", "platform_api", "API_URL"),
    ] {
        let edges = mermaid
            .lines()
            .filter(|line| {
                line.contains(&format!("_{from}_"))
                    && line.contains(&format!("|\"{label}\"| "))
                    && line.contains(&format!("_{to}_"))
            })
            .count();
        assert_eq!(edges, 3, "{from} -> {to} ({label}) in\n{mermaid}");
    }
    assert_eq!(mermaid.matches("[(\"platform-db\")]").count(), 3, "Postgres is drawn as a database");
    let dot =
        Command::cargo_bin("railform").unwrap().current_dir(root).args(["graph", "--format", "dot"]).output().unwrap();
    assert!(String::from_utf8(dot.stdout).unwrap().contains("shape=cylinder"));
}

#[test]
fn a_diagnostic_never_quotes_a_sensitive_value() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dev.toml"),
        "project = \"p\"\nenvironment = \"dev\"\n[services.api.variables]\n\
         A = { value = \"pw=LITSECRETzzq $<<nope.X>>\", sensitive = true }\n",
    )
    .unwrap();
    let output = Command::cargo_bin("railform").unwrap().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(stderr.contains("unknown service `nope`"), "{stderr}");
    assert!(!stderr.contains("LITSECRETzzq"), "{stderr}");
}

#[test]
fn numbers_and_booleans_are_values_written_as_their_toml_text() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("dev.toml"),
        "project = \"p\"\nenvironment = \"dev\"\n[services.api.variables]\nPORT = 8000\nBIG = 1_000_000\n\
         RATIO = 1.50\nTINY = 6.626e-34\nDEBUG = true\nOFF = { value = false, sensitive = true }\n",
    )
    .unwrap();
    let model = config::load(&[dir.path().to_path_buf()]).unwrap();
    let variables = &model.environments[0].services["api"].variables;
    let literal = |name: &str| variables[name].value.literal().unwrap().to_string();
    assert_eq!(
        ["PORT", "BIG", "RATIO", "TINY", "DEBUG", "OFF"].map(literal),
        ["8000", "1000000", "1.50", "6.626e-34", "true", "false"]
    );
}

#[test]
fn names_and_values_railway_refuses_are_located_errors_before_anything_is_sent() {
    let dir = tempfile::tempdir().unwrap();
    let big = "v".repeat(200 * 1024);
    std::fs::write(
        dir.path().join("dev.toml"),
        format!(
            "project = \"p\"\nenvironment = \"dev\"\n[services.api]\nimage = \"\"\n[services.api.variables]\n\
             BIG = \"{big}\"\n[services.\"{}\"]\nimage = \"nginx\"\n",
            "n".repeat(1000)
        ),
    )
    .unwrap();
    let output = Command::cargo_bin("railform").unwrap().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8(output.stderr).unwrap();
    for want in [
        "dev.toml:4:9: `image` is empty",
        "dev.toml:6:1: the value of `BIG` is 200 KiB; a variable (NAME=value) must fit in 128 KiB",
        "dev.toml:7:11: service name `nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn…` is 1000 characters long; the most is 32",
        "3 errors found",
    ] {
        let (place, message) = want.split_once(": ").unwrap_or(("", want));
        assert!(stderr.contains(message) && stderr.contains(place), "want `{want}` in\n{stderr}");
    }
    assert!(stderr.len() < 8 * 1024, "a long value is not printed whole:\n{stderr}");
}
