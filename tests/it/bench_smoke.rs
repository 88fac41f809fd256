//! Keeps the benchmark harness (`examples/bench`, run by `scripts/bench.sh`) working: runs its
//! suite on a small workload against the debug railform and checks what it counted — requests,
//! reads, config writes, deploys, creates, exactly; never timings. The suite is compiled in from
//! the example's source, so this test exercises the very code the benchmark runs (and its unit
//! tests run here too).

#[path = "../../examples/bench/suite/mod.rs"]
mod suite;

use std::path::PathBuf;
use std::time::Duration;

use suite::operations::Counts;
use suite::workload::Workload;
use suite::Operation;

/// Reads of a plan that finds the project by name: `MyProjects`, then `ProjectState`.
const PLAN_BY_NAME: u64 = 2;

/// Reads of a plan with a pinned `project_id`: `ProjectState` alone.
const PLAN_PINNED: u64 = 1;

#[test]
fn the_benchmark_suite_runs_and_railform_sends_exactly_its_request_counts() {
    let workload = Workload { environments: 2, services: 10, variables: 5 };
    let options = suite::Options {
        railform: PathBuf::from(env!("CARGO_BIN_EXE_railform")),
        workloads: vec![workload],
        latency: Duration::from_millis(5),
        repetitions: 1,
        naive_parallelism: 10,
        naive_max_requests: None,
        growth_services: vec![3, 6],
        // Railway's own CLI is not part of `cargo test` (scripts/bench.sh measures it).
        railway_peer: false,
        rollout_environments: vec![1, 2],
        rollout_deploy_time: Duration::from_millis(300),
    };
    let results = suite::run(&options, &mut |_| {}).expect("the suite runs");
    let result = &results.workloads[0];
    let (environments, services, variables) = (2, 10, 5);

    // The 10% apply: a stage and a commit per environment, and a deploy per changed instance and
    // per instance reading it (each changed service is read by the next one).
    assert_eq!(workload.changed_environments() as u64, environments);
    assert_eq!(workload.changed_instances() as u64, environments);
    assert_eq!(workload.instances_to_deploy() as u64, 2 * environments);
    assert_eq!(workload.changed_variables() as u64 * 10, environments * services * variables, "10% change");
    assert_eq!(workload.expected_apply_writes(), 2 * environments + 2 * environments);
    let ten_percent = Counts {
        // The plan's reads, then the verifying re-read of the whole project.
        requests: 2 * PLAN_BY_NAME + workload.expected_apply_writes(),
        writes: workload.expected_apply_writes(),
        config_writes: 2 * environments,
        deploys: 2 * environments,
        creates_and_renames: 0,
    };
    for operation in &result.railform {
        let expected = match operation.operation {
            Operation::Plan | Operation::NoopApply => Counts { requests: PLAN_BY_NAME, ..Counts::default() },
            Operation::PinnedPlan => Counts { requests: PLAN_PINNED, ..Counts::default() },
            Operation::TenPercentApply => ten_percent,
        };
        for (latency, cost) in [("0", &operation.without_latency), ("5 ms", &operation.with_latency)] {
            assert_eq!(cost.counts, expected, "{} at {latency}", operation.operation.label());
        }
    }

    // The naive client reads each resource on its own: project, environments, services,
    // service instances and variables.
    let naive_reads = 1 + environments + services + environments * services * (1 + variables);
    assert_eq!(result.naive.plan.requests, naive_reads);
    assert_eq!(result.naive.plan.writes, 0);
    assert!(result.naive.plan_wall_with_latency.is_some());
    let naive_apply = result.naive.apply.as_ref().expect("the naive apply is measured").counts;
    assert_eq!(naive_apply.writes, workload.changed_variables() as u64);
    assert_eq!(naive_apply.config_writes, workload.changed_variables() as u64);
    assert_eq!(naive_apply.requests, naive_reads + workload.changed_variables() as u64);

    // A plan stays at two requests however many services there are.
    assert_eq!(results.growth.len(), 2);
    for growth in &results.growth {
        assert_eq!(growth.plan.counts, Counts { requests: PLAN_BY_NAME, ..Counts::default() });
    }

    // The rollout: one deploy per service (12 per environment); the polls read an environment
    // at a time, so they grow with environments × polls, not with services.
    assert_eq!(results.rollout.len(), 2);
    for rollout in &results.rollout {
        assert_eq!(rollout.deploys, 12 * rollout.environments as u64);
        assert!(rollout.polls > 0, "{rollout:?}");
        assert!(rollout.polls / (rollout.environments as u64) < rollout.services as u64, "{rollout:?}");
    }

    let markdown = suite::report::markdown(&results, "scripts/bench.sh --quick");
    assert!(markdown.contains("### Rollout: deploys in dependency order"), "{markdown}");
    assert!(markdown.contains("| a no-op apply sends no write | yes |"), "{markdown}");
    // Round trips at 5 ms are noise; the verdicts on them are not checked here.
    assert!(markdown.contains("| a plan by name: at most 2 request(s) in 2 round trip(s), whatever E |"), "{markdown}");
    assert!(markdown.contains("(the README's formula) | yes | within in 1 of 1 workloads, exactly in 1"), "{markdown}");
    assert!(markdown.contains("| 2 × 10 × 5 | apply 10% | "), "{markdown}");
}
