//! Hostile input: malformed and adversarial environment files through `railform validate`, each
//! in a child process with a time limit and a memory limit (`ulimit -v`). Every one must end in
//! exit 1 with an `error` (or exit 0 when the input is in fact valid), never a panic.
//!
//! Small cases are files under `tests/fixtures/hostile/`, each saying on its first line what it
//! expects (`# EXPECT: error` or `# EXPECT: either`); large ones (huge files, long `extends`
//! chains, thousands of references) are generated here rather than committed.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::harness::{record_figures, Emulator, Run, Workspace};

/// Longest a single `validate` may take, even on a loaded CI machine.
const TIME_LIMIT: Duration = Duration::from_secs(60);
/// `ulimit -v` in KiB: 4 GiB of address space (threads reserve some; the input must not grow it).
const MEMORY_LIMIT: &str = "ulimit -v 4194304;";
/// Most output a rejected file may produce: diagnostics are for people.
const MAX_STDERR: usize = 2 * 1024 * 1024;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Expect {
    Error,
    Either,
}

/// Runs `validate` on `path` (relative to the workspace) and checks the outcome.
fn validate(workspace: &Workspace, case: &str, path: &str, expect: Expect) {
    let started = Instant::now();
    let run: Run = workspace.run_bounded(&["validate", path], TIME_LIMIT, MEMORY_LIMIT);
    let elapsed = started.elapsed();
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "{case}: railform panicked\n{}",
        &run.stderr[..run.stderr.len().min(4000)]
    );
    let head = &run.stderr[..run.stderr.len().min(4000)];
    match (expect, run.code) {
        (_, 1) => assert!(run.stderr.contains("error"), "{case}: exit 1 without an error\n{head}"),
        (Expect::Either, 0) => {}
        (expect, code) => panic!("{case}: expected {expect:?}, got exit {code}\n{head}"),
    }
    assert!(run.stderr.len() <= MAX_STDERR, "{case}: {} bytes of diagnostics", run.stderr.len());
    let raw = run.stderr.chars().find(|&c| railform::diag::is_unprintable(c) && c != '\n');
    assert!(raw.is_none(), "{case}: a raw {raw:?} reached the terminal\n{head}");
    let first_error = run.stderr.lines().find(|line| line.starts_with("error")).unwrap_or("").to_string();
    let first_error: String = first_error.chars().take(160).collect();
    record_figures(
        "hostile",
        json!({"case": case, "exit": run.code, "stderr_bytes": run.stderr.len(),
               "seconds": (elapsed.as_millis() as f64 / 1000.0), "first_error": first_error}),
    );
}

fn workspace() -> Workspace {
    // `validate` is offline; the emulator only gives the workspace an endpoint.
    let emulator = Emulator::start();
    Workspace::new(&emulator)
}

#[test]
fn every_hostile_fixture_gets_a_clear_answer_in_bounded_time() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hostile");
    let mut cases: Vec<_> = std::fs::read_dir(&folder)
        .expect("hostile fixtures")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    cases.sort();
    assert!(cases.len() >= 10, "{cases:?}");
    let workspace = workspace();
    for path in cases {
        let bytes = std::fs::read(&path).expect("read fixture");
        let text = String::from_utf8_lossy(&bytes);
        let expect = if text.lines().take(2).any(|line| line.contains("# EXPECT: either")) {
            Expect::Either
        } else {
            Expect::Error
        };
        let name = path.file_name().expect("file name").to_string_lossy().into_owned();
        std::fs::write(workspace.path().join(&name), &bytes).expect("copy fixture");
        validate(&workspace, &name, &name, expect);
    }
}

const HEAD: &str = "project = \"p\"\nenvironment = \"dev\"\n";

/// Files of one case: path relative to the workspace, contents.
type Files = Vec<(String, Vec<u8>)>;

/// Each generated case: a name, its files and what it expects.
fn generated() -> Vec<(&'static str, Files, Expect)> {
    let file = |text: String| vec![("environments/dev.toml".to_string(), text.into_bytes())];
    let mut cases = Vec::new();

    let mut huge = format!("{HEAD}[services.api.variables]\n");
    for i in 0..100_000 {
        huge.push_str(&format!("VAR_{i} = \"value number {i} of a file of several megabytes\"\n"));
    }
    cases.push(("huge file (100,000 variables, 6 MB)", file(huge), Expect::Either));

    let long_line = format!("{HEAD}[services.api.variables]\nLONG = \"{}\"\n", "x".repeat(8 * 1024 * 1024));
    cases.push(("one 8 MB line", file(long_line), Expect::Either));

    let ten_mb = format!("{HEAD}[services.api.variables]\nBIG = \"{}\"\n", "v".repeat(10 * 1024 * 1024));
    cases.push(("a 10 MB value", file(ten_mb), Expect::Error));

    let long_name = format!("{HEAD}[services.{}]\nimage = \"nginx\"\n", "s".repeat(1000));
    cases.push(("a service name of 1,000 characters", file(long_name), Expect::Error));

    let long_key = format!("{HEAD}[services.api.variables]\n{} = \"v\"\n", "K".repeat(1024 * 1024));
    cases.push(("a 1 MB variable name", file(long_key), Expect::Either));

    let refs = "$<<db.URL>>".repeat(5_000);
    let valid_refs = format!("{HEAD}[services.db.variables]\nURL = \"u\"\n[services.api.variables]\nA = \"{refs}\"\n");
    cases.push(("5,000 valid references in one value", file(valid_refs), Expect::Either));

    let unknown: String = (0..5_000).map(|i| format!("$<<svc{i}.VAR>>")).collect();
    let unknown_refs = format!("{HEAD}[services.api.variables]\nA = \"{unknown}\"\n");
    cases.push(("5,000 unknown references in one value", file(unknown_refs), Expect::Error));

    let unterminated = format!("{HEAD}[services.api.variables]\nA = \"{}\"\n", "$<<".repeat(100_000));
    cases.push(("100,000 unterminated `$<<`", file(unterminated), Expect::Error));

    let nested = format!("{HEAD}[services.api.variables]\nA = \"{}{}\"\n", "$<<".repeat(50_000), ">>".repeat(50_000));
    cases.push(("50,000 nested `$<<`", file(nested), Expect::Error));

    let deep_table = format!("{HEAD}[services.api]\nimage = {}1{}\n", "{ a = ".repeat(10_000), " }".repeat(10_000));
    cases.push(("inline tables nested 10,000 deep", file(deep_table), Expect::Error));

    let deep_array = format!("{HEAD}[shared]\nA = {}1{}\n", "[".repeat(10_000), "]".repeat(10_000));
    cases.push(("arrays nested 10,000 deep", file(deep_array), Expect::Error));

    let mut chain = vec![("environments/dev.toml".to_string(), format!("extends = \"b0.toml\"\n{HEAD}").into_bytes())];
    for i in 0..500 {
        chain.push((format!("environments/b{i}.toml"), format!("extends = \"b{}.toml\"\n", i + 1).into_bytes()));
    }
    chain.push(("environments/b500.toml".to_string(), b"[shared]\nA = \"1\"\n".to_vec()));
    cases.push(("an `extends` chain 500 files deep", chain, Expect::Error));

    let mut ring = vec![("environments/dev.toml".to_string(), format!("extends = \"r0.toml\"\n{HEAD}").into_bytes())];
    for i in 0..40 {
        ring.push((format!("environments/r{i}.toml"), format!("extends = \"r{}.toml\"\n", (i + 1) % 40).into_bytes()));
    }
    cases.push(("an `extends` cycle of 40 files", ring, Expect::Error));

    let mut services = HEAD.to_string();
    for i in 0..2_000 {
        let next = (i + 1) % 2_000;
        services.push_str(&format!("[services.s{i}.variables]\nV = \"$<<s{next}.V>>\"\n"));
    }
    cases.push(("a reference cycle through 2,000 services", file(services), Expect::Error));

    let mut many = Vec::new();
    for i in 0..300 {
        let text = format!("project = \"p\"\nenvironment = \"env{i}\"\n[services.api.variables]\nA = \"{i}\"\n");
        many.push((format!("environments/env{i}.toml"), text.into_bytes()));
    }
    cases.push(("300 environment files", many, Expect::Either));

    let mut binary = HEAD.as_bytes().to_vec();
    binary.extend((0..=255u8).cycle().take(64 * 1024));
    cases.push(("64 KB of every byte value", vec![("environments/dev.toml".to_string(), binary)], Expect::Error));
    cases
}

#[test]
fn every_generated_hostile_input_gets_a_clear_answer_in_bounded_time() {
    let cases = generated();
    std::thread::scope(|scope| {
        for chunk in cases.chunks(cases.len().div_ceil(2)) {
            scope.spawn(move || {
                for (name, files, expect) in chunk {
                    let workspace = workspace();
                    for (path, bytes) in files {
                        let full = workspace.path().join(path);
                        std::fs::create_dir_all(full.parent().expect("folder")).expect("create folder");
                        std::fs::write(full, bytes).expect("write case");
                    }
                    validate(&workspace, name, "environments", *expect);
                }
            });
        }
    });
}

/// What a secret-hunting reviewer greps for: none of it may appear in any output.
const PLANTED: [&str; 4] = ["PLANTED_ENV_SECRET", "PLANTED_FILE_SECRET", "root:x:0", "PLANTED_TEMPLATE_SECRET"];

fn assert_quotes_nothing_planted(case: &str, run: &Run) {
    for planted in PLANTED {
        assert!(
            !run.stderr.contains(planted) && !run.stdout.contains(planted),
            "{case} leaks {planted}:\n{}",
            run.stderr
        );
    }
}

/// Runs `validate ARGS` in `workspace`, bounded in time, and checks it answered with an error.
fn refused(workspace: &Workspace, case: &str, args: &[&str]) -> Run {
    let run = workspace.run_bounded(&[&["validate", "--color=never"], args].concat(), TIME_LIMIT, "");
    assert_eq!(run.code, 1, "{case}: exit {}\n{}", run.code, run.stderr);
    assert!(!run.stderr.contains("panicked"), "{case}: {}", run.stderr);
    assert_quotes_nothing_planted(case, &run);
    run
}

#[test]
#[cfg(unix)]
fn extends_and_templates_never_open_a_file_outside_the_configuration_root() {
    let mut workspace = workspace();
    workspace.env("PLANTED", "PLANTED_ENV_SECRET");
    let secret = "project = PLANTED_FILE_SECRET garbage\n";
    workspace.file("secret.txt", secret).file("secret.toml", secret);
    workspace.file("templates-elsewhere/evil.toml.hbs", "image = \"x\" PLANTED_TEMPLATE_SECRET garbage\n");
    std::fs::create_dir_all(workspace.path().join("environments/sub")).expect("sub folder");
    std::os::unix::fs::symlink("/etc/passwd", workspace.path().join("passwd.toml")).expect("symlink");
    let cases: [(&str, &str); 7] = [
        ("/proc/self/environ", "`extends` names `/proc/self/environ`, which is not a .toml file"),
        ("../secret.txt", "`extends` names `environments/../secret.txt`, which is not a .toml file"),
        ("../../secret.txt", "`extends` names `environments/../../secret.txt`, which does not exist"),
        ("../secret.toml", "`extends` names `environments/../secret.toml`, which leads to `"),
        ("../passwd.toml", "`extends` names `environments/../passwd.toml`, which leads to `/etc/passwd`, outside the configuration root `environments`"),
        ("/dev/zero", "`extends` names `/dev/zero`, which is a character device"),
        ("sub", "`extends` names `environments/sub`, which is a folder"),
    ];
    for (index, (target, message)) in cases.iter().enumerate() {
        let text = format!("extends = \"{target}\"\nproject = \"p\"\nenvironment = \"e{index}\"\n");
        workspace.file(&format!("environments/e{index}.toml"), &text);
        let run = refused(&workspace, target, &[&format!("environments/e{index}.toml")]);
        assert!(run.stderr.contains(message), "{target}: want `{message}` in\n{}", run.stderr);
        assert!(run.stderr.contains(&format!("e{index}.toml:1:11")), "{target}: located at the value\n{}", run.stderr);
    }

    // A symlink inside the walked folder that leads outside it is refused before it is read.
    let folder = workspace.path().join("walked");
    std::fs::create_dir_all(&folder).expect("folder");
    std::fs::write(folder.join("dev.toml"), "project = \"p\"\nenvironment = \"dev\"\n").expect("dev");
    std::os::unix::fs::symlink("/etc/passwd", folder.join("passwd.toml")).expect("symlink");
    std::os::unix::fs::symlink("../secret.toml", folder.join("outside.toml")).expect("symlink");
    let run = refused(&workspace, "symlinks in a walked folder", &["walked"]);
    assert!(
        run.stderr.contains("walked/passwd.toml` leads to `/etc/passwd`, outside the configuration root `walked`"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("walked/outside.toml` leads to"), "{}", run.stderr);
    assert!(run.stderr.contains("2 errors found"), "{}", run.stderr);

    // A project template that is a symlink out of templates/ is refused, not rendered.
    let project = workspace.path().join("tpl");
    std::fs::create_dir_all(project.join("environments")).expect("folder");
    std::fs::create_dir_all(project.join("templates")).expect("folder");
    std::os::unix::fs::symlink(
        workspace.path().join("templates-elsewhere/evil.toml.hbs"),
        project.join("templates/evil.toml.hbs"),
    )
    .expect("symlink");
    std::fs::write(
        project.join("environments/dev.toml"),
        "project = \"p\"\nenvironment = \"dev\"\n[services.db]\ntemplate = \"evil\"\n",
    )
    .expect("dev");
    let run = refused(&workspace, "a template symlink", &["tpl/environments"]);
    assert!(
        run.stderr.contains("template `evil` (tpl/templates/evil.toml.hbs) cannot be used: it leads to"),
        "{}",
        run.stderr
    );

    // Files named on the command line must be regular .toml files too.
    let run = refused(&workspace, "/etc/passwd named", &["/etc/passwd"]);
    assert!(run.stderr.contains("`/etc/passwd` is not a .toml file"), "{}", run.stderr);
}

#[test]
fn syntax_errors_mask_every_string_on_the_quoted_line() {
    let workspace = workspace();
    let head = "project = \"p\"\nenvironment = \"dev\"\n[shared]\n";
    for (index, line) in [
        "TOKEN = { value = \"PLANTED_FILE_SECRET\", sensitive = true } garbage",
        "TOKEN = \"PLANTED_FILE_SECRET",
        "TOKEN = { value = \"PLANTED_FILE_SECRET\", sensitive = \"yes\" }",
        "TOKEN = { value = \"PLANTED_FILE_SECRET\", sensitive = true, from_env = \"X\" }",
        "TOKEN = PLANTED_FILE_SECRET",
        "TOKEN = \"\"\"PLANTED_FILE_SECRET",
        "TOKEN = 'PLANTED_FILE_SECRET' 'again PLANTED_FILE_SECRET'",
    ]
    .into_iter()
    .enumerate()
    {
        workspace.file(&format!("case{index}/dev.toml"), &format!("{head}{line}\n"));
        let run = refused(&workspace, line, &[&format!("case{index}")]);
        assert!(
            run.stderr.contains("case") && run.stderr.contains(":4:"),
            "{line}: not located on line 4\n{}",
            run.stderr
        );
    }
}

#[test]
#[cfg(unix)]
fn symlink_loops_end_and_a_fifo_is_an_error_not_a_wait() {
    let workspace = workspace();
    workspace.file("environments/dev.toml", "project = \"p\"\nenvironment = \"dev\"\n");
    let environments = workspace.path().join("environments");
    std::os::unix::fs::symlink(".", environments.join("loop")).expect("symlink");
    std::os::unix::fs::symlink("../environments", environments.join("loop2")).expect("symlink");
    let run = workspace.run_bounded(&["validate", "environments"], TIME_LIMIT, "");
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("1 environment (dev)"), "each file is read once:\n{}", run.stdout);

    let status = std::process::Command::new("mkfifo").arg(environments.join("pipe.toml")).status().expect("mkfifo");
    assert!(status.success());
    let run = refused(&workspace, "a FIFO", &["environments"]);
    assert!(
        run.stderr.contains("environments/pipe.toml` is a named pipe (FIFO), not an environment file"),
        "{}",
        run.stderr
    );
    let run = refused(&workspace, "a FIFO named", &["environments/pipe.toml"]);
    assert!(run.stderr.contains("is a named pipe (FIFO)"), "{}", run.stderr);
}

/// An unreadable folder must be an error. Root reads any folder, so when the tests run as root
/// (as in CI containers) railform runs as `nobody` through `setpriv`; without `setpriv` the check
/// is skipped with a note.
#[test]
#[cfg(unix)]
fn an_unreadable_folder_is_an_error_not_a_silent_skip() {
    use std::os::unix::fs::PermissionsExt;
    let workspace = workspace();
    workspace.file("environments/dev.toml", "project = \"p\"\nenvironment = \"dev\"\n");
    workspace.file("environments/sub/staging.toml", "project = \"p\"\nenvironment = \"staging\"\n");
    let folder = workspace.path().join("environments/sub");
    std::fs::set_permissions(workspace.path(), std::fs::Permissions::from_mode(0o755)).expect("chmod");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o000)).expect("chmod");
    // SAFETY: geteuid has no preconditions.
    let as_root = unsafe { libc::geteuid() } == 0;
    let mut command = if as_root {
        if std::process::Command::new("setpriv").arg("--version").output().is_err() {
            eprintln!("skipped: running as root and setpriv is not installed");
            return;
        }
        let mut command = std::process::Command::new("setpriv");
        command.args(["--reuid=65534", "--regid=65534", "--clear-groups", env!("CARGO_BIN_EXE_railform")]);
        command
    } else {
        std::process::Command::new(env!("CARGO_BIN_EXE_railform"))
    };
    command.args(["validate", "environments", "--color=never"]).current_dir(workspace.path());
    command.stdout(std::process::Stdio::piped()).stderr(std::process::Stdio::piped());
    let run = crate::harness::wait_bounded(command.spawn().expect("run railform"), TIME_LIMIT).expect("in time");
    std::fs::set_permissions(&folder, std::fs::Permissions::from_mode(0o755)).expect("chmod back");
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("cannot read folder `environments/sub`: Permission denied"), "{}", run.stderr);
}
