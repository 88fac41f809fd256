//! The results as markdown: the machine, the command, railform's figures (with the README's
//! apply formula checked per workload), the peers side by side with the ratios, the physical
//! limit, how memory and CPU grow with the number of services, and whether each target of
//! issue 18 holds — every figure taken from the [`Results`] of this run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::{Growth, NaiveResult, Operation, PeerOutcome, Results, RunCost, WorkloadResult};

/// Requests (and sequential round trips) a plan cannot go below: find the project by name, then
/// read it whole; one with a pinned `project_id`.
pub const PLAN_LIMIT_BY_NAME: u64 = 2;
pub const PLAN_LIMIT_PINNED: u64 = 1;

/// Issue 8: a 5 × 200 × 20 plan at 50 ms finishes within 3 round trips plus this.
const PLAN_ALLOWANCE: Duration = Duration::from_millis(100);

/// Issue 18: `config::load` + the pure diff of 1 × 1000 × 50 on one core within this.
const OFFLINE_BUDGET: Duration = Duration::from_millis(100);

/// Issue 18: the peak RSS of a plan of 5 × 1000 × 50 stays under this (KiB).
const PLAN_RSS_BUDGET_KIB: u64 = 100 * 1024;

/// The number of services the memory and CPU targets are set at.
const TARGET_SERVICES: usize = 1000;

/// Renders the results section; `command` is how they were produced.
pub fn markdown(results: &Results, command: &str) -> String {
    let mut text = String::new();
    machine(&mut text, results, command);
    railform_table(&mut text, results);
    peers_table(&mut text, results);
    naive_apply_table(&mut text, results);
    physical_limit(&mut text, results);
    growth_table(&mut text, results);
    if !results.rollout.is_empty() {
        text.push_str(&super::rollout::markdown(&results.rollout));
        text.push('\n');
    }
    targets(&mut text, results);
    text
}

fn machine(text: &mut String, results: &Results, command: &str) {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|info| {
            let line = info.lines().find(|line| line.starts_with("MemTotal:"))?.to_string();
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.1} GiB", kib / 1024.0 / 1024.0))
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism().map_or("unknown".into(), |n| n.to_string());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let _ = writeln!(text, "### Machine and command\n");
    let _ = writeln!(text, "| | |\n|---|---|");
    let _ = writeln!(text, "| CPU | {cpu} |");
    let _ = writeln!(
        text,
        "| cores (`nproc`) | {cores}, shared with other builds while this ran: times are noisy, counts are exact |"
    );
    let _ = writeln!(text, "| memory | {memory} |");
    let _ = writeln!(text, "| kernel | Linux {} |", kernel.trim());
    let _ = writeln!(text, "| rustc | {} |", command_output("rustc", &["--version"]));
    let _ = writeln!(text, "| railform commit | {} |", command_output("git", &["rev-parse", "--short", "HEAD"]));
    let _ = writeln!(text, "| run at | {} |", command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]));
    let _ = writeln!(text, "| whole run | {:.0} s |", results.total.as_secs_f64());
    let options = &results.options;
    let _ = writeln!(
        text,
        "\nCommand: `{command}` (release build; latency {} ms; read-only runs repeated {} times, median \
         reported; naive client with {} requests in flight).\n",
        options.latency.as_millis(),
        options.repetitions,
        options.naive_parallelism
    );
}

fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .ok()
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
        .filter(|output| !output.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

fn railform_table(text: &mut String, results: &Results) {
    let latency = results.options.latency;
    let _ = writeln!(text, "### railform\n");
    let _ = writeln!(
        text,
        "| E × S × V | run | requests | reads | config writes (stage + commit) | deploys | creates, renames | \
         apply formula: expected / measured writes | round trips | wall, 0 ms | wall, {} ms | CPU | peak RSS |",
        latency.as_millis()
    );
    let _ = writeln!(text, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for result in &results.workloads {
        for operation in &result.railform {
            let at_zero = &operation.without_latency;
            let counts = at_zero.counts;
            let formula = match expected_writes(result, operation.operation) {
                Some(expected) => format!("{expected} / {}{}", counts.writes, mark(counts.writes <= expected)),
                None => String::new(),
            };
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {} | {} | {} | {formula} | {:.1} | {} | {} | {} | {} |",
                result.workload.label(),
                operation.operation.label(),
                counts.requests,
                counts.reads(),
                counts.config_writes,
                counts.deploys,
                counts.creates_and_renames,
                operation.round_trips(latency),
                millis(at_zero.wall),
                millis(operation.with_latency.wall),
                millis(at_zero.cpu),
                mebibytes(at_zero.peak_rss_kib.max(operation.with_latency.peak_rss_kib)),
            );
        }
    }
    let _ = writeln!(
        text,
        "\nRequests are from the run without latency (the run with latency sent the same numbers); CPU is user + \
         system time of the railform process, peak RSS the larger of the two runs. The apply formula is the \
         README's: 2 writes per changed environment, plus one per created or renamed environment or service \
         (none in these workloads), plus one deploy per changed instance and per instance reading a changed \
         variable; ✓ when the measured writes are within it.\n"
    );
}

/// The writes the README's apply formula allows `operation` on `result`'s workload (`None` for
/// plans, which write nothing and are checked elsewhere).
fn expected_writes(result: &WorkloadResult, operation: Operation) -> Option<u64> {
    match operation {
        Operation::Plan | Operation::PinnedPlan => None,
        Operation::NoopApply => Some(0),
        Operation::TenPercentApply => Some(result.workload.expected_apply_writes()),
    }
}

fn mark(holds: bool) -> &'static str {
    if holds {
        " ✓"
    } else {
        " **✗**"
    }
}

/// railform's plan, the naive client's and Railway's `railway config plan`, side by side.
fn peers_table(text: &mut String, results: &Results) {
    let latency = results.options.latency;
    let ms = latency.as_millis();
    let _ = writeln!(text, "### Peers side by side: one plan of the same project on the same emulator\n");
    let _ = writeln!(
        text,
        "| E × S × V | | requests | round trips | wall, 0 ms | wall, {ms} ms | CPU |\n|---|---|---:|---:|---:|---:|---:|"
    );
    // The workload, and the peer's requests and refused requests by operation name there.
    type Operations = (String, BTreeMap<String, u64>, BTreeMap<String, u64>);
    let mut operations: Option<Operations> = None;
    let mut skipped = Vec::new();
    for result in &results.workloads {
        let plan = result.operation(Operation::Plan);
        let ours = Row {
            requests: plan.without_latency.counts.requests as f64,
            round_trips: Some(plan.round_trips(latency)),
            wall_at_zero: plan.without_latency.wall,
            wall_at_latency: Some(plan.with_latency.wall),
            cpu: Some(plan.without_latency.cpu),
        };
        let label = result.workload.label();
        let _ = writeln!(text, "| {label} | railform plan | {} |", ours.cells(None));
        let _ =
            writeln!(text, "| {label} | naive client | {} |", Row::naive(&result.naive, latency).cells(Some(&ours)));
        match result.peer.as_ref() {
            Some(PeerOutcome::Measured(peer)) => {
                let (at_zero, at_latency) = (&peer.without_latency, &peer.with_latency);
                let theirs = Row {
                    requests: at_zero.requests as f64,
                    round_trips: Some(peer.round_trips(latency)),
                    wall_at_zero: at_zero.wall,
                    wall_at_latency: Some(at_latency.wall),
                    cpu: Some(at_zero.cpu),
                };
                let _ = writeln!(text, "| {label} | `railway config plan` | {} |", theirs.cells(Some(&ours)));
                operations.get_or_insert_with(|| (label.clone(), at_zero.operations.clone(), at_zero.errors.clone()));
            }
            Some(PeerOutcome::Skipped(reason)) => {
                let _ = writeln!(text, "| {label} | `railway config plan` | not measured | | | | |");
                if !skipped.contains(reason) {
                    skipped.push(reason.clone());
                }
            }
            None => {}
        }
    }
    let _ = writeln!(
        text,
        "\nRatios are the peer's figure over railform's. The naive client's wall time is its requests alone (no \
         process start, no file reading; its CPU is not separable from the harness's); railform's includes \
         starting the process, reading and validating the files and printing the plan."
    );
    if let Some(most) = results.options.naive_max_requests {
        let _ = writeln!(
            text,
            "Where the naive plan sends more than {most} requests (`--quick`), it is not repeated at {ms} ms and its \
             apply is not measured: at {} in flight that alone would take minutes.",
            results.options.naive_parallelism
        );
    }
    let _ = writeln!(
        text,
        "\n`railway config plan` is the official CLI {} (debug build, `RAILWAY_BACKBOARD_URL` at the emulator) with \
         Node 22 and the npm package `railway`, as `scripts/conformance.sh` installs them, planning a \
         `.railway/railway.ts` pulled with `railway config pull --variables=managed` (variables included) that \
         reports no changes. Its wall and CPU time include the CLI process and its Node child; its telemetry and \
         update checks are off. Railway's engine plans one environment per run, so it is measured on the \
         one-environment workloads only.",
        super::peer::CLI_VERSION
    );
    if let Some((label, operations, errors)) = operations {
        let listed: Vec<String> = operations.iter().map(|(name, count)| format!("`{name}` × {count}")).collect();
        let _ = write!(text, "Its requests on {label}: {}", listed.join(", "));
        if errors.is_empty() {
            let _ = writeln!(text, ".");
        } else {
            let refused: Vec<String> = errors.iter().map(|(name, count)| format!("`{name}` × {count}")).collect();
            let why = if errors.contains_key("IacEnvironmentConfig") {
                " (the CLI's first `IacEnvironmentConfig` asks for `Environment.iacPartials`, which the schema \
                 the CLI pins lacks; it then asks again without it — against Railway's newer server that would \
                 be one request less)"
            } else {
                ""
            };
            let _ = writeln!(text, "; answered with an error: {}{why}.", refused.join(", "));
        }
    }
    for reason in skipped {
        let _ = writeln!(text, "\n**`railway config plan` was not measured:** {reason}.");
    }
    let _ = writeln!(text);
}

/// One plan's figures in the peers table.
struct Row {
    requests: f64,
    round_trips: Option<f64>,
    wall_at_zero: Duration,
    wall_at_latency: Option<Duration>,
    cpu: Option<Duration>,
}

impl Row {
    fn naive(naive: &NaiveResult, latency: Duration) -> Row {
        Row {
            requests: naive.plan.requests as f64,
            round_trips: naive.plan_round_trips(latency),
            wall_at_zero: naive.plan_wall_without_latency,
            wall_at_latency: naive.plan_wall_with_latency,
            cpu: None,
        }
    }

    /// The cells; each with its ratio to `base` when given.
    fn cells(&self, base: Option<&Row>) -> String {
        let with_ratio = |value: String, ours: Option<f64>, theirs: Option<f64>| match (base.and(ours), theirs) {
            (Some(ours), Some(theirs)) => format!("{value} ({})", ratio(theirs, ours)),
            _ => value,
        };
        let secs = |duration: Option<Duration>| duration.map(|d| d.as_secs_f64());
        let base_trips = base.and_then(|b| b.round_trips);
        let base_wall = base.and_then(|b| b.wall_at_latency);
        [
            with_ratio(format!("{}", self.requests), base.map(|b| b.requests), Some(self.requests)),
            match self.round_trips {
                Some(trips) => with_ratio(format!("{trips:.1}"), base_trips, Some(trips)),
                None => "not measured".into(),
            },
            with_ratio(
                millis(self.wall_at_zero),
                base.map(|b| b.wall_at_zero.as_secs_f64()),
                Some(self.wall_at_zero.as_secs_f64()),
            ),
            match self.wall_at_latency {
                Some(wall) => with_ratio(millis(wall), secs(base_wall), Some(wall.as_secs_f64())),
                None => "not measured".into(),
            },
            self.cpu.map_or("—".into(), millis),
        ]
        .join(" | ")
    }
}

fn naive_apply_table(text: &mut String, results: &Results) {
    let _ = writeln!(text, "### The naive client's apply of the same 10%\n");
    let _ = writeln!(
        text,
        "| E × S × V | naive: requests (writes) | railform: requests (writes) | ratio | naive wall, 0 ms | railform | ratio |"
    );
    let _ = writeln!(text, "|---|---:|---:|---:|---:|---:|---:|");
    for result in &results.workloads {
        let apply = &result.operation(Operation::TenPercentApply).without_latency;
        let ours = format!("{} ({})", apply.counts.requests, apply.counts.writes);
        let label = result.workload.label();
        let Some(naive) = &result.naive.apply else {
            let _ = writeln!(text, "| {label} | not measured | {ours} | | not measured | {} | |", millis(apply.wall));
            continue;
        };
        let _ = writeln!(
            text,
            "| {label} | {} ({}) | {ours} | {} | {} | {} | {} |",
            naive.counts.requests,
            naive.counts.writes,
            ratio(naive.counts.requests as f64, apply.counts.requests as f64),
            millis(naive.wall),
            millis(apply.wall),
            ratio(naive.wall.as_secs_f64(), apply.wall.as_secs_f64()),
        );
    }
    let _ = writeln!(
        text,
        "\nThe naive client writes each changed variable with a `variableUpsert` of its own, which deploys; it is \
         timed without latency only. A naive no-op apply is its plan (a refresh that finds nothing to write).\n"
    );
}

fn physical_limit(text: &mut String, results: &Results) {
    let latency = results.options.latency;
    let _ = writeln!(text, "### The physical limit of a plan\n");
    let _ = writeln!(
        text,
        "By name: find the project, then read it whole — {PLAN_LIMIT_BY_NAME} requests in {PLAN_LIMIT_BY_NAME} \
         round trips. With a pinned `project_id`: {PLAN_LIMIT_PINNED} request in {PLAN_LIMIT_PINNED} round trip.\n"
    );
    let _ = writeln!(
        text,
        "| E × S × V | by name: requests / round trips (limit {PLAN_LIMIT_BY_NAME} / {PLAN_LIMIT_BY_NAME}) | \
         wall − limit's latency, {ms} ms | pinned: requests / round trips (limit {PLAN_LIMIT_PINNED} / \
         {PLAN_LIMIT_PINNED}) | wall − limit's latency |",
        ms = latency.as_millis()
    );
    let _ = writeln!(text, "|---|---:|---:|---:|---:|");
    for result in &results.workloads {
        let cells: Vec<String> = [(Operation::Plan, PLAN_LIMIT_BY_NAME), (Operation::PinnedPlan, PLAN_LIMIT_PINNED)]
            .into_iter()
            .map(|(operation, limit)| {
                let plan = result.operation(operation);
                let overhead = plan.with_latency.wall.saturating_sub(latency * limit as u32);
                format!(
                    "{} / {:.1} | {}",
                    plan.without_latency.counts.requests,
                    plan.round_trips(latency),
                    millis(overhead)
                )
            })
            .collect();
        let _ = writeln!(text, "| {} | {} |", result.workload.label(), cells.join(" | "));
    }
    let _ = writeln!(text);
}

fn growth_table(text: &mut String, results: &Results) {
    if results.growth.is_empty() {
        return;
    }
    let _ = writeln!(text, "### How memory and CPU grow with the number of services S\n");
    let _ = writeln!(
        text,
        "| S | plan of {e} × S × {v}: requests | wall, 0 ms | CPU | peak RSS | 1 × S × {v}: `config::load` | pure diff | \
         load + diff | `railform validate`: wall / CPU / peak RSS |",
        e = super::GROWTH_PLAN_ENVIRONMENTS,
        v = super::GROWTH_VARIABLES
    );
    let _ = writeln!(text, "|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for growth in &results.growth {
        let plan = &growth.plan;
        let offline = &growth.offline;
        let process = &offline.validate_process;
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} / {} / {} |",
            growth.plan_workload.services,
            plan.counts.requests,
            millis(plan.wall),
            millis(plan.cpu),
            mebibytes(plan.peak_rss_kib),
            millis(offline.load),
            millis(offline.diff),
            millis(offline.load + offline.diff),
            millis(process.wall),
            millis(process.cpu),
            mebibytes(process.peak_rss_kib),
        );
    }
    let _ = writeln!(
        text,
        "\nThe plan runs as a process against an emulator without latency (peak RSS from GNU time, the largest of \
         its runs; wall and CPU of the median run). `config::load` (read, merge, check: what `validate` does) and \
         the pure `plan::diff` against an in-sync live state run on the harness's thread, one core, median of at \
         least 3.\n"
    );
}

/// One target of issue 18 and what this run measured for it.
struct Verdict {
    target: String,
    holds: bool,
    measured: String,
}

fn targets(text: &mut String, results: &Results) {
    let latency = results.options.latency;
    let mut verdicts = Vec::new();
    for (operation, limit, how) in [
        (Operation::Plan, PLAN_LIMIT_BY_NAME, "by name"),
        (Operation::PinnedPlan, PLAN_LIMIT_PINNED, "with a pinned `project_id`"),
    ] {
        let plans: Vec<(u64, f64)> = results
            .workloads
            .iter()
            .map(|result| {
                let plan = result.operation(operation);
                (plan.without_latency.counts.requests, plan.round_trips(latency))
            })
            .collect();
        let most = plans.iter().map(|(requests, _)| *requests).max().unwrap_or(0);
        let worst_trips = plans.iter().map(|(_, trips)| *trips).fold(0.0, f64::max);
        let within = plans.iter().filter(|(requests, trips)| *requests <= limit && trips.round() <= limit as f64);
        verdicts.push(Verdict {
            target: format!("a plan {how}: at most {limit} request(s) in {limit} round trip(s), whatever E"),
            holds: within.count() == plans.len(),
            measured: format!(
                "at most {most} request(s) and {worst_trips:.1} round trips over {} workloads",
                plans.len()
            ),
        });
    }

    let budget = latency * 3 + PLAN_ALLOWANCE;
    let largest = results.workloads.iter().find(|result| {
        (result.workload.environments, result.workload.services, result.workload.variables) == (5, 200, 20)
    });
    verdicts.push(match largest {
        Some(result) => {
            let wall = result.operation(Operation::Plan).with_latency.wall;
            Verdict {
                target: format!(
                    "a 5 × 200 × 20 plan at {} ms within {} ms (issue 8)",
                    latency.as_millis(),
                    budget.as_millis()
                ),
                holds: wall <= budget,
                measured: millis(wall),
            }
        }
        None => Verdict {
            target: "a 5 × 200 × 20 plan within 3 round trips + 100 ms (issue 8)".into(),
            holds: false,
            measured: "not measured in this run".into(),
        },
    });

    let noop_writes: u64 = results
        .workloads
        .iter()
        .map(|result| result.operation(Operation::NoopApply).without_latency.counts.writes)
        .sum();
    verdicts.push(Verdict {
        target: "a no-op apply sends no write".into(),
        holds: noop_writes == 0,
        measured: format!("{noop_writes} writes in all no-op applies"),
    });

    let applies: Vec<(&WorkloadResult, u64, u64)> = results
        .workloads
        .iter()
        .map(|result| {
            let counts = result.operation(Operation::TenPercentApply).without_latency.counts;
            (result, result.workload.expected_apply_writes(), counts.writes)
        })
        .collect();
    let within = applies.iter().filter(|(_, expected, measured)| measured <= expected).count();
    let exact = applies.iter().filter(|(_, expected, measured)| measured == expected).count();
    let example = applies.last().map_or(String::new(), |(result, expected, measured)| {
        let counts = result.operation(Operation::TenPercentApply).without_latency.counts;
        format!(
            "; {}: 2 × {} + 0 + {} = {expected} allowed, {measured} sent ({} config writes, {} deploys)",
            result.workload.label(),
            result.workload.changed_environments(),
            result.workload.instances_to_deploy(),
            counts.config_writes,
            counts.deploys
        )
    });
    verdicts.push(Verdict {
        target: "an apply writes at most 2 requests per changed environment, plus one per created or renamed \
                 environment or service, plus deploys (the README's formula)"
            .into(),
        holds: within == applies.len(),
        measured: format!("within in {within} of {} workloads, exactly in {exact}{example}", applies.len()),
    });

    let measured_peer: Vec<&WorkloadResult> =
        results.workloads.iter().filter(|result| matches!(result.peer, Some(PeerOutcome::Measured(_)))).collect();
    let peer_skip = results.workloads.iter().find_map(|result| match &result.peer {
        Some(PeerOutcome::Skipped(reason)) => Some(reason.clone()),
        _ => None,
    });
    verdicts.push(Verdict {
        target: "peers in the same run: the naive client and `railway config plan`".into(),
        holds: !measured_peer.is_empty(),
        measured: match peer_skip {
            Some(reason) if measured_peer.is_empty() => format!("`railway config plan` not measured: {reason}"),
            _ => format!(
                "the naive client on {} workloads, `railway config plan` on {}",
                results.workloads.len(),
                measured_peer.len()
            ),
        },
    });

    let at_target = results.growth.iter().find(|growth| growth.plan_workload.services == TARGET_SERVICES);
    verdicts.push(rss_verdict(at_target));
    verdicts.push(offline_verdict(at_target));

    let _ = writeln!(text, "### Targets of issue 18, checked against this run\n");
    let _ = writeln!(text, "| target | holds | measured |\n|---|---|---|");
    for verdict in verdicts {
        let _ = writeln!(
            text,
            "| {} | {} | {} |",
            verdict.target,
            if verdict.holds { "yes" } else { "**no**" },
            verdict.measured
        );
    }
}

fn rss_verdict(growth: Option<&Growth>) -> Verdict {
    let target = format!(
        "a plan of {} × {TARGET_SERVICES} × {} under {} MiB peak RSS",
        super::GROWTH_PLAN_ENVIRONMENTS,
        super::GROWTH_VARIABLES,
        PLAN_RSS_BUDGET_KIB / 1024
    );
    match growth {
        Some(growth) => {
            let RunCost { peak_rss_kib, wall, .. } = growth.plan;
            Verdict {
                target,
                holds: peak_rss_kib < PLAN_RSS_BUDGET_KIB,
                measured: format!("{} (wall {} without latency)", mebibytes(peak_rss_kib), millis(wall)),
            }
        }
        None => Verdict { target, holds: false, measured: "not measured in this run".into() },
    }
}

fn offline_verdict(growth: Option<&Growth>) -> Verdict {
    let target = format!(
        "`config::load` + pure diff of 1 × {TARGET_SERVICES} × {} under {} ms on one core",
        super::GROWTH_VARIABLES,
        OFFLINE_BUDGET.as_millis()
    );
    match growth {
        Some(growth) => {
            let offline = &growth.offline;
            let total = offline.load + offline.diff;
            Verdict {
                target,
                holds: total < OFFLINE_BUDGET,
                measured: format!("{} (load {} + diff {})", millis(total), millis(offline.load), millis(offline.diff)),
            }
        }
        None => Verdict { target, holds: false, measured: "not measured in this run".into() },
    }
}

fn millis(duration: Duration) -> String {
    let millis = duration.as_secs_f64() * 1000.0;
    if millis >= 10_000.0 {
        format!("{:.1} s", millis / 1000.0)
    } else if millis < 10.0 {
        format!("{millis:.1} ms")
    } else {
        format!("{millis:.0} ms")
    }
}

fn mebibytes(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

/// `theirs / ours`, with a decimal below 10×.
fn ratio(theirs: f64, ours: f64) -> String {
    if ours <= 0.0 {
        return "—".into();
    }
    let ratio = theirs / ours;
    if ratio < 10.0 {
        format!("{ratio:.1}×")
    } else {
        format!("{ratio:.0}×")
    }
}
