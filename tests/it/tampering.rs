//! Saved plans under attack, secrets that could leak through a plan, and pins that could damage
//! (issue 11, items 3 to 6). A saved plan is a pinned expectation: every tampered copy is
//! refused with only read requests sent; a live secret never shows as `before`; an empty
//! `from_env` is an error; a wrong pin is an error before any write.

use serde_json::{json, Value};

use crate::harness::{record_figures, Emulator, Workspace};
use crate::seed::{operators_project, operators_workspace, OPERATORS_DEV_TOML, SEEDED_PASSWORD};

/// The operations a plain `plan` sends: all reads.
fn read_operations(emulator: &Emulator, workspace: &Workspace) -> Vec<String> {
    emulator.reset_stats();
    workspace.run(&["plan"]).expect(0);
    let stats = emulator.stats();
    emulator.reset_stats();
    stats["operations"].as_object().expect("operations").keys().cloned().collect()
}

/// Operations sent since the last reset that a plan does not send (writes).
fn writes_since_reset(emulator: &Emulator, reads: &[String]) -> Vec<String> {
    let stats = emulator.stats();
    stats["operations"].as_object().expect("operations").keys().filter(|name| !reads.contains(name)).cloned().collect()
}

/// Edits of a saved plan, each a way an attacker (or an accident) could try to run what nobody
/// reviewed.
fn tamperings(plan: &Value, other_service_id: &str) -> Vec<(&'static str, Value)> {
    let mut cases = Vec::new();
    let changes = plan["changes"].as_array().unwrap();
    let position = |what: &str, found: &dyn Fn(&Value) -> bool| changes.iter().position(found).expect(what);
    let plain = position("a plain variable write", &|c| c["operation"]["entry"]["value"].get("plain").is_some());
    let mut edited_value = plan.clone();
    edited_value["changes"][plain]["operation"]["entry"]["value"] = json!({"plain": "evil-value"});
    cases.push(("a value edited only in the operation", edited_value));

    let mut swapped = plan.clone();
    swapped["changes"][plain]["operation"]["service"] = json!({"live": other_service_id});
    cases.push(("a swapped service id", swapped));

    let mut injected_rename = plan.clone();
    injected_rename["changes"].as_array_mut().unwrap().insert(
        0,
        json!({"address": "x", "action": "rename", "kind": "service", "project": "platform", "environment": null,
               "service": null, "name": "x", "before": null, "after": null, "sensitive": false, "reason": "",
               "operation": {"op": "rename_service", "service": {"live": other_service_id}, "name": "hijacked"}}),
    );
    cases.push(("an injected rename", injected_rename));

    let mut injected_delete = plan.clone();
    let mut delete = plan["changes"][plain].clone();
    delete["operation"]["entry"] = json!({"entry": "delete_variable", "name": "PORT"});
    injected_delete["changes"].as_array_mut().unwrap().push(delete);
    cases.push(("an injected variable delete", injected_delete));

    let mut exfiltrate = plan.clone();
    let mut leak = plan["changes"][plain].clone();
    leak["operation"]["entry"] =
        json!({"entry": "variable", "name": "LEAK", "value": {"plain": "${{platform-db.POSTGRES_PASSWORD}}"}});
    exfiltrate["changes"].as_array_mut().unwrap().push(leak);
    cases.push(("an injected reference to the database password", exfiltrate));

    let mut redirected = plan.clone();
    let secret = position("a from_env write", &|c| c["operation"]["entry"]["value"]["secret"]["from"] == "env");
    redirected["changes"][secret]["operation"]["entry"]["name"] = json!("PUBLIC_BANNER");
    redirected["changes"][secret]["sensitive"] = json!(false);
    cases.push(("a from_env secret redirected into a non-sensitive variable", redirected));

    let mut summary = plan.clone();
    summary["summary"]["add"] = json!(0);
    cases.push(("an edited summary", summary));

    let mut dropped = plan.clone();
    dropped["changes"].as_array_mut().unwrap().remove(0);
    cases.push(("a dropped change (the rename)", dropped));

    let mut version = plan.clone();
    version["format_version"] = json!(1);
    cases.push(("an old format version", version));
    cases
}

#[test]
fn a_tampered_saved_plan_never_changes_anything() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    workspace.file("environments/dev.toml", &OPERATORS_DEV_TOML.replace("PORT = \"8000\"", "PORT = \"8001\""));
    let reads = read_operations(&emulator, &workspace);
    workspace.run(&["plan", "--out", "plan.json"]).expect(0);
    let plan: Value =
        serde_json::from_str(&std::fs::read_to_string(workspace.path().join("plan.json")).unwrap()).unwrap();
    let cases = tamperings(&plan, &seeded.db);
    let mut applied = 0;
    for (what, tampered) in &cases {
        std::fs::write(workspace.path().join("tampered.json"), serde_json::to_string_pretty(tampered).unwrap())
            .unwrap();
        emulator.reset_stats();
        let run = workspace.run(&["apply", "--plan", "tampered.json"]);
        let writes = writes_since_reset(&emulator, &reads);
        if run.code == 0 || !writes.is_empty() {
            applied += 1;
        }
        assert_eq!(run.code, 1, "{what}: applied\n{}", run.stderr);
        assert!(writes.is_empty(), "{what}: sent {writes:?}");
        assert!(run.stderr.contains("Nothing was changed"), "{what}: {}", run.stderr);
        record_figures("tampering", json!({"case": what, "refused": run.code == 1 && writes.is_empty()}));
    }
    record_figures("tampering-total", json!({"cases": cases.len(), "applied": applied}));
    // The untouched plan still applies.
    workspace.run(&["apply", "--plan", "plan.json"]).expect(0);
}

#[test]
fn a_saved_plan_is_refused_when_a_file_or_the_token_changed() {
    let emulator = Emulator::start();
    operators_project(&emulator);
    let mut workspace = operators_workspace(&emulator);
    let reads = read_operations(&emulator, &workspace);
    workspace.run(&["plan", "--out", "plan.json"]).expect(0);
    workspace.file("environments/dev.toml", &format!("{OPERATORS_DEV_TOML}\n# a comment added after review\n"));
    emulator.reset_stats();
    let edited = workspace.run(&["apply", "--plan", "plan.json"]).expect(1);
    assert!(edited.stderr.contains("files"), "{}", edited.stderr);
    assert!(writes_since_reset(&emulator, &reads).is_empty());

    workspace.file("environments/dev.toml", OPERATORS_DEV_TOML);
    workspace.env("RAILWAY_API_TOKEN", "token-of-the-plan");
    workspace.run(&["plan", "--out", "plan.json"]).expect(0);
    workspace.env("RAILWAY_API_TOKEN", "another-token");
    let other = workspace.run(&["apply", "--plan", "plan.json"]).expect(1);
    assert!(other.stderr.contains("another Railway token"), "{}", other.stderr);
}

#[test]
fn a_plain_value_over_a_live_secret_never_shows_the_secret() {
    let emulator = Emulator::start();
    operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    let file =
        OPERATORS_DEV_TOML.replace("POSTGRES_PASSWORD = { preserve = true }", "POSTGRES_PASSWORD = \"now-plain\"");
    workspace.file("environments/dev.toml", &file);
    let text = workspace.run(&["plan", "--show-values", "--out", "plan.json"]).expect(0);
    let json = workspace.run(&["plan", "--show-values", "--format", "json"]).expect(0);
    let saved = std::fs::read_to_string(workspace.path().join("plan.json")).unwrap();
    for output in [&text.stdout, &json.stdout, &saved] {
        assert!(!output.contains(SEEDED_PASSWORD), "{output}");
        assert!(!output.contains(&railform::secret::sha256_hex(SEEDED_PASSWORD)), "an unkeyed hash: {output}");
    }
    assert!(text.stdout.contains("POSTGRES_PASSWORD: (sensitive) → (sensitive)"), "{}", text.stdout);
}

#[test]
fn an_empty_from_env_is_an_error_unless_allowed() {
    let emulator = Emulator::start();
    operators_project(&emulator);
    let mut workspace = operators_workspace(&emulator);
    workspace.env("TEST_JWT_SECRET", "");
    let empty = workspace.run(&["apply", "--yes"]).expect(1);
    assert!(empty.stderr.contains("TEST_JWT_SECRET, which is set but empty"), "{}", empty.stderr);
    assert!(empty.stderr.contains("dev.toml"), "{}", empty.stderr);
    let allowed = OPERATORS_DEV_TOML
        .replace("{ from_env = \"TEST_JWT_SECRET\" }", "{ from_env = \"TEST_JWT_SECRET\", allow_empty = true }");
    workspace.file("environments/dev.toml", &allowed);
    workspace.run(&["plan"]).expect(0);
}

#[test]
fn wrong_pins_are_errors_before_any_write() {
    let emulator = Emulator::start();
    let seeded = operators_project(&emulator);
    let workspace = operators_workspace(&emulator);
    let reads = read_operations(&emulator, &workspace);

    let missing = OPERATORS_DEV_TOML.replace(
        "[services.platform-api]\n",
        "[services.platform-api]\nid = \"00000000-0000-0000-0000-000000000000\"\n",
    );
    workspace.file("environments/dev.toml", &missing);
    emulator.reset_stats();
    let run = workspace.run(&["apply", "--yes"]).expect(1);
    assert!(run.stderr.contains("has no service with that id"), "{}", run.stderr);
    assert!(writes_since_reset(&emulator, &reads).is_empty());

    // platform-api pinned to the database's id while platform-api exists: a colliding rename.
    let colliding = OPERATORS_DEV_TOML
        .replace("[services.platform-api]\n", &format!("[services.platform-api]\nid = \"{}\"\n", seeded.db));
    let colliding = colliding.replace("renamed_from = [\"Postgres-OG9n\"]\n", "");
    workspace.file("environments/dev.toml", &colliding);
    emulator.reset_stats();
    let run = workspace.run(&["apply", "--yes"]).expect(1);
    assert!(run.stderr.contains("would collide"), "{}", run.stderr);
    assert!(writes_since_reset(&emulator, &reads).is_empty());

    let no_project = format!("project_id = \"11111111-1111-1111-1111-111111111111\"\n{OPERATORS_DEV_TOML}");
    workspace.file("environments/dev.toml", &no_project);
    let run = workspace.run(&["plan", "--detailed-exitcode"]).expect(1);
    assert!(run.stderr.contains("no project with that id exists"), "{}", run.stderr);
}
