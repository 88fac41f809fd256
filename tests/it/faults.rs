//! Applies under injected faults: the realistic plan (creates, a rename with rewrites in three
//! environments, updates, `--prune` deletes) against emulators with `--fail-rate` 0.1 to 0.5 and
//! a `--rate-limit`, over several seeds. Every run must end in exit 0 (converged and verified) or
//! exit 1 with an `error:` line, never a panic; a fault-free rerun must converge; at no point
//! may a service exist twice or a deployment see an unresolved reference.
//!
//! Replay one run with `RAILFORM_FAULT_SEED=S cargo test faults::` (the seed and the rate are in
//! every failure message); `RAILFORM_FAULT_SEEDS=N` runs N seeds per rate instead of the default.

use std::path::{Path, PathBuf};

use serde_json::{json, Value};

use crate::harness::{record_figures, Emulator, Run};
use crate::seed::{check_realistic_invariants, realistic_project, realistic_workspace, OperatorsProject};

/// Requests per second the faulty emulators allow before answering 429.
const RATE_LIMIT: u32 = 10;
/// Seeds per fail rate by default: 4 rates × 6 seeds = 24 runs. The seeds of one rate run
/// concurrently, each against its own emulator: the runs mostly wait out `Retry-After: 1`.
const DEFAULT_SEEDS: u64 = 6;
/// Faulty applies tried before the fault-free rerun that must converge.
const FAULTY_ATTEMPTS: usize = 3;

/// The realistic project seeded once into an emulator state file that every run copies.
pub struct Baseline {
    _dir: tempfile::TempDir,
    pub state: PathBuf,
    pub seeded: OperatorsProject,
}

impl Baseline {
    pub fn new() -> Baseline {
        let dir = tempfile::tempdir().expect("temp dir");
        let state = dir.path().join("baseline.json");
        let emulator = Emulator::builder().state(&state).start();
        let seeded = realistic_project(&emulator);
        drop(emulator);
        Baseline { _dir: dir, state, seeded }
    }

    /// A fresh copy of the seeded state in `folder`.
    pub fn copy_into(&self, folder: &Path) -> PathBuf {
        let copy = folder.join("emulator.json");
        std::fs::copy(&self.state, &copy).expect("copy the baseline state");
        copy
    }
}

/// Panics unless `run` is a success, or a failure explained by an `error:` line (not a panic).
pub fn assert_clear_outcome(run: &Run, context: &str) {
    assert!(
        !run.stderr.contains("panicked") && run.code != 101,
        "{context}: railform panicked\n--- stderr\n{}",
        run.stderr
    );
    assert!(
        run.code == 0 || (run.code == 1 && run.stderr.contains("error:")),
        "{context}: exit {} without a clear error\n--- stdout\n{}\n--- stderr\n{}",
        run.code,
        run.stdout,
        run.stderr
    );
}

/// The seeds to run: `RAILFORM_FAULT_SEED` alone, else `RAILFORM_FAULT_SEEDS` (or the default) of them.
fn seeds() -> Vec<u64> {
    if let Some(seed) = std::env::var("RAILFORM_FAULT_SEED").ok().and_then(|s| s.parse().ok()) {
        return vec![seed];
    }
    let count = std::env::var("RAILFORM_FAULT_SEEDS").ok().and_then(|s| s.parse().ok()).unwrap_or(DEFAULT_SEEDS);
    (1..=count).collect()
}

fn fault_runs(rate: f64) {
    let baseline = Baseline::new();
    std::thread::scope(|scope| {
        for seed in seeds() {
            let baseline = &baseline;
            scope.spawn(move || fault_run(baseline, rate, seed));
        }
    });
}

fn fault_run(baseline: &Baseline, rate: f64, seed: u64) {
    let context = format!("--fail-rate {rate} --seed {seed} --rate-limit {RATE_LIMIT}");
    eprintln!("fault run: {context}");
    let folder = tempfile::tempdir().expect("temp dir");
    let state = baseline.copy_into(folder.path());
    let faulty = Emulator::builder().state(&state).fail_rate(rate).seed(seed).rate_limit(RATE_LIMIT).start();
    let mut workspace = realistic_workspace(&faulty);
    let mut outcomes = Vec::new();
    let mut errors = Vec::new();
    for _ in 0..FAULTY_ATTEMPTS {
        let run = workspace.run(&["apply", "--yes", "--prune"]);
        assert_clear_outcome(&run, &context);
        outcomes.push(if run.code == 0 { "converged" } else { "stopped with an error" });
        errors.extend(run.stderr.lines().filter(|line| line.starts_with("error:")).map(str::to_string));
        if run.code == 0 {
            break;
        }
    }
    let stats = faulty.stats();
    drop(faulty);

    // The same state, served without faults: check what the faulty runs left, then converge.
    let clean = Emulator::builder().state(&state).start();
    workspace.use_emulator(&clean);
    check_realistic_invariants(&clean, &baseline.seeded, outcomes.last() == Some(&"converged"));
    let rerun = workspace.run(&["apply", "--yes", "--prune"]);
    assert_eq!(rerun.code, 0, "{context}: the fault-free rerun did not converge\n{}", rerun.stderr);
    let replan = workspace.run(&["plan", "--prune", "--detailed-exitcode"]);
    assert_eq!(replan.code, 0, "{context}: changes left after the rerun\n{}", replan.stdout);
    check_realistic_invariants(&clean, &baseline.seeded, true);

    let faults: u64 = stats["faults"].as_object().map_or(0, |kinds| kinds.values().filter_map(Value::as_u64).sum());
    record_figures(
        "faults",
        json!({
            "fail_rate": rate, "seed": seed, "rate_limit": RATE_LIMIT,
            "requests": stats["requests"], "faults": faults, "fault_kinds": stats["faults"],
            "attempts": outcomes.len(), "outcomes": outcomes, "errors": errors,
        }),
    );
}

#[test]
fn applies_at_fail_rate_10_percent_converge_or_stop_clearly() {
    fault_runs(0.1);
}

#[test]
fn applies_at_fail_rate_20_percent_converge_or_stop_clearly() {
    fault_runs(0.2);
}

#[test]
fn applies_at_fail_rate_30_percent_converge_or_stop_clearly() {
    fault_runs(0.3);
}

#[test]
fn applies_at_fail_rate_50_percent_converge_or_stop_clearly() {
    fault_runs(0.5);
}
