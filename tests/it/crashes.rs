//! Applies killed with SIGKILL at every step boundary in turn, and the next apply converging.
//!
//! How a boundary is found: the emulator runs with `--latency-ms`, and counts a request in
//! `/_emulator/stats` as soon as it arrives, before the latency and before the mutation runs.
//! A reference apply first counts the M mutations the realistic plan sends; then, for each n in
//! 1..=M, a fresh copy of the seeded state is served with latency, `railform apply` is started,
//! the test polls the stats until the n-th mutation has arrived and SIGKILLs the apply while
//! that mutation waits, so mutations 1..n-1 are done and the n-th may or may not happen: the
//! apply dies between two steps, whichever way the n-th goes. No test hook in railform is needed.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::faults::{assert_clear_outcome, Baseline};
use crate::harness::{record_figures, wait_bounded, Emulator};
use crate::seed::{check_realistic_invariants, realistic_workspace};

/// Delay before the emulator answers each request: the window in which the test kills.
pub const LATENCY_MS: u64 = 80;
/// Crash points run at once, each with its own emulator.
const WORKERS: usize = 4;

/// Names of the mutations in `graphql/` (the operations that change Railway).
fn mutation_names() -> Vec<String> {
    let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql");
    let mut names = Vec::new();
    for entry in std::fs::read_dir(folder).expect("graphql folder") {
        let text = std::fs::read_to_string(entry.expect("entry").path()).expect("read operation");
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("mutation ") {
                let name: String = rest.chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
                names.push(name);
            }
        }
    }
    names
}

fn mutations_seen(stats: &Value, mutations: &[String]) -> u64 {
    mutations.iter().filter_map(|name| stats["operations"][name].as_u64()).sum()
}

#[test]
fn an_apply_killed_at_any_step_is_finished_by_the_next_one() {
    let baseline = Baseline::new();
    let mutations = mutation_names();
    assert!(mutations.len() >= 10, "{mutations:?}");

    // The reference apply: how many mutations the realistic plan sends.
    let folder = tempfile::tempdir().expect("temp dir");
    let emulator = Emulator::builder().state(&baseline.copy_into(folder.path())).start();
    realistic_workspace(&emulator).run(&["apply", "--yes", "--prune"]).expect(0);
    let total = mutations_seen(&emulator.stats(), &mutations) as usize;
    drop(emulator);
    assert!(total >= 10, "the realistic plan sends {total} mutations");

    let next = AtomicUsize::new(1);
    std::thread::scope(|scope| {
        for _ in 0..WORKERS {
            scope.spawn(|| loop {
                let n = next.fetch_add(1, Ordering::SeqCst);
                if n > total {
                    break;
                }
                crash_at(&baseline, &mutations, n, total);
            });
        }
    });
}

/// Kills the apply while its `n`-th mutation is in flight, then checks that the next converges.
fn crash_at(baseline: &Baseline, mutations: &[String], n: usize, total: usize) {
    let context = format!("killed at mutation {n} of {total}");
    eprintln!("crash run: {context}");
    let folder = tempfile::tempdir().expect("temp dir");
    let state = baseline.copy_into(folder.path());
    let slow = Emulator::builder().state(&state).latency_ms(LATENCY_MS).start();
    let mut workspace = realistic_workspace(&slow);
    let mut child = workspace.spawn(&["apply", "--yes", "--prune"]);
    let started = Instant::now();
    let killed = loop {
        if child.try_wait().expect("poll the apply").is_some() {
            break false;
        }
        if mutations_seen(&slow.stats(), mutations) >= n as u64 {
            child.kill().expect("SIGKILL the apply");
            break true;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{context}: the apply never got there");
        std::thread::sleep(Duration::from_millis(2));
    };
    let first = wait_bounded(child, Duration::from_secs(60)).expect("the apply ends");
    if !killed {
        // It finished before the n-th mutation: only possible when it stopped on an error.
        assert_clear_outcome(&first, &context);
    }
    drop(slow);

    let clean = Emulator::builder().state(&state).start();
    workspace.use_emulator(&clean);
    check_realistic_invariants(&clean, &baseline.seeded, false);
    let rerun = workspace.run(&["apply", "--yes", "--prune"]);
    assert_eq!(rerun.code, 0, "{context}: the next apply did not converge\n{}\n{}", rerun.stdout, rerun.stderr);
    let replan = workspace.run(&["plan", "--prune", "--detailed-exitcode"]);
    assert_eq!(replan.code, 0, "{context}: changes left after the next apply\n{}", replan.stdout);
    check_realistic_invariants(&clean, &baseline.seeded, true);
    record_figures(
        "crashes",
        json!({"kill_at_mutation": n, "mutations": total, "killed": killed, "next_apply": "converged"}),
    );
}
