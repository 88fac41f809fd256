//! Two `railform apply --yes` of the same files at once against one emulator.
//!
//! From one folder, the apply lock (`.railform/apply.lock`, see `src/apply/lock.rs`) lets one
//! run and makes the other fail at once with an error naming the lock; from two folders (two
//! machines, in effect) nothing serialises them, and the test checks that racing applies still
//! corrupt nothing: each ends in success or a clear error, no service exists twice, no
//! deployment sees a broken reference, and one more apply converges.

use serde_json::json;

use crate::crashes::LATENCY_MS;
use crate::faults::{assert_clear_outcome, Baseline};
use crate::harness::{record_figures, wait_bounded, Emulator, Run, Workspace};
use crate::seed::{check_realistic_invariants, realistic_workspace};

/// Rounds of each scenario.
const ROUNDS: usize = 3;

fn race(first: &Workspace, second: &Workspace) -> [Run; 2] {
    let limit = std::time::Duration::from_secs(120);
    let children = [first.spawn(&["apply", "--yes", "--prune"]), second.spawn(&["apply", "--yes", "--prune"])];
    children.map(|child| wait_bounded(child, limit).expect("the apply ends"))
}

fn converge(emulator: &Emulator, workspace: &Workspace, baseline: &Baseline) {
    check_realistic_invariants(emulator, &baseline.seeded, false);
    workspace.run(&["apply", "--yes", "--prune"]).expect(0);
    workspace.run(&["plan", "--prune", "--detailed-exitcode"]).expect(0);
    check_realistic_invariants(emulator, &baseline.seeded, true);
}

fn record(scenario: &str, round: usize, runs: &[Run; 2]) {
    let errors: Vec<String> = runs
        .iter()
        .flat_map(|run| {
            let lines = run.stderr.lines();
            lines.filter(|line| line.starts_with("error:") || line.contains("caused by:")).map(|l| l.trim().to_string())
        })
        .collect();
    record_figures(
        "concurrency",
        json!({"scenario": scenario, "round": round, "exits": [runs[0].code, runs[1].code], "errors": errors}),
    );
}

#[test]
fn two_applies_in_one_folder_run_one_at_a_time() {
    let baseline = Baseline::new();
    for round in 1..=ROUNDS {
        let folder = tempfile::tempdir().expect("temp dir");
        let emulator = Emulator::builder().state(&baseline.copy_into(folder.path())).latency_ms(LATENCY_MS / 4).start();
        let workspace = realistic_workspace(&emulator);
        let runs = race(&workspace, &workspace);
        for run in &runs {
            assert_clear_outcome(run, "one folder");
            assert!(
                run.code == 0 || run.stderr.contains("another railform apply is running"),
                "one folder: the only allowed failure is the lock\n{}",
                run.stderr
            );
        }
        assert!(runs.iter().any(|run| run.code == 0), "one of the two applies ran");
        record("one folder", round, &runs);
        converge(&emulator, &workspace, &baseline);
    }
}

#[test]
fn two_applies_from_two_folders_corrupt_nothing() {
    let baseline = Baseline::new();
    for round in 1..=ROUNDS {
        let folder = tempfile::tempdir().expect("temp dir");
        let emulator = Emulator::builder().state(&baseline.copy_into(folder.path())).latency_ms(LATENCY_MS / 4).start();
        let (first, second) = (realistic_workspace(&emulator), realistic_workspace(&emulator));
        let runs = race(&first, &second);
        for run in &runs {
            assert_clear_outcome(run, "two folders");
        }
        record("two folders", round, &runs);
        converge(&emulator, &first, &baseline);
    }
}

/// `cd proj && railform apply` and `railform apply proj/environments` from the parent are the
/// same project: the lock is per project on the machine, not per folder.
#[test]
fn the_lock_belongs_to_the_project_not_the_folder() {
    let baseline = Baseline::new();
    let folder = tempfile::tempdir().expect("temp dir");
    let emulator = Emulator::builder().state(&baseline.copy_into(folder.path())).latency_ms(LATENCY_MS).start();
    let inside = realistic_workspace(&emulator);
    let parent = realistic_workspace(&emulator);
    let first = inside.spawn(&["apply", "--yes", "--prune"]);
    // Wait until the first apply is under way (it holds the lock from its first request on).
    let started = std::time::Instant::now();
    while emulator.stats()["requests"].as_u64().unwrap_or(0) == 0 && started.elapsed().as_secs() < 20 {
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let second = parent.run(&["apply", "--yes", "--prune", "environments"]);
    let first = wait_bounded(first, std::time::Duration::from_secs(120)).expect("the first apply ends");
    assert_eq!(first.code, 0, "{}", first.stderr);
    assert_eq!(second.code, 1, "the second apply waits for nothing and changes nothing:\n{}", second.stderr);
    assert!(second.stderr.contains("another railform apply is running for project"), "{}", second.stderr);
}
