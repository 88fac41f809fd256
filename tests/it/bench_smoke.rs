//! Keeps the benchmark harness (`examples/bench`, run by `scripts/bench.sh`) working: runs its
//! suite on a small workload against the debug railform and checks what it counted — requests,
//! writes and deploys, never timings. The suite is compiled in from the example's source, so this
//! test exercises the very code the benchmark runs (and its unit tests run here too).

#[path = "../../examples/bench/suite/mod.rs"]
mod suite;

use std::path::PathBuf;
use std::time::Duration;

use suite::workload::Workload;
use suite::Operation;

#[test]
fn the_benchmark_suite_runs_and_railform_stays_within_its_request_budget() {
    let workload = Workload { environments: 2, services: 10, variables: 5 };
    let options = suite::Options {
        railform: PathBuf::from(env!("CARGO_BIN_EXE_railform")),
        workloads: vec![workload],
        latency: Duration::from_millis(5),
        repetitions: 1,
        naive_parallelism: 10,
        offline: Workload { environments: 1, services: 20, variables: 5 },
        // Railway's own CLI is not part of `cargo test` (scripts/bench.sh measures it).
        railway_peer: false,
    };
    let results = suite::run(&options, &mut |_| {}).expect("the suite runs");
    let result = &results.workloads[0];
    let (environments, services, variables) = (2, 10, 5);

    for operation in &result.railform {
        for (latency, cost) in [("0", &operation.without_latency), ("5 ms", &operation.with_latency)] {
            let what = format!("{} at {latency}", operation.operation.label());
            let reads = cost.counts.requests - cost.counts.writes;
            let budget = match operation.operation {
                // A plan reads; an apply reads, and re-reads to verify when it changed something.
                Operation::Plan | Operation::NoopApply => 1 + environments,
                Operation::TenPercentApply => 2 * (1 + environments),
            };
            assert!(reads <= budget, "{what}: {reads} reads, budget {budget}: {cost:?}");
        }
    }
    assert_eq!(result.operation(Operation::Plan).without_latency.counts.writes, 0);
    assert_eq!(result.operation(Operation::NoopApply).without_latency.counts.writes, 0, "a no-op apply wrote");
    let apply = result.operation(Operation::TenPercentApply).without_latency.counts;
    let changed_instances = workload.changed_instances() as u64;
    assert_eq!(changed_instances, environments);
    assert_eq!(workload.changed_variables() as u64 * 10, environments * services * variables, "10% change");
    assert_eq!(
        apply.config_writes,
        2 * workload.changed_environments() as u64,
        "one staged patch and one commit per changed environment: {apply:?}"
    );
    // Each changed service is read by the next one, which must be redeployed too.
    let to_deploy = changed_instances + workload.dependent_instances() as u64;
    assert_eq!(to_deploy, 2 * environments);
    assert_eq!(apply.deploys, to_deploy, "one deploy per changed or dependent instance: {apply:?}");
    assert_eq!(apply.writes, apply.config_writes + apply.deploys, "{apply:?}");

    // The naive client reads each resource on its own: project, environments, services,
    // service instances and variables.
    let naive_reads = 1 + environments + services + environments * services * (1 + variables);
    assert_eq!(result.naive.plan.requests, naive_reads);
    assert_eq!(result.naive.plan.writes, 0);
    assert_eq!(result.naive.apply.writes, workload.changed_variables() as u64);
    assert_eq!(result.naive.apply.requests, naive_reads + workload.changed_variables() as u64);

    let markdown = suite::report::markdown(&results, "scripts/bench.sh --quick");
    assert!(markdown.contains("| a no-op apply sends no write | yes |"), "{markdown}");
    assert!(markdown.contains("| a plan costs at most 1 + E requests"), "{markdown}");
}
