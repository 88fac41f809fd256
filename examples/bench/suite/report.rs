//! The results as markdown: the machine, the command, railform's figures, the naive client's
//! and the ratios, the physical limit, the offline cost, and whether each target of issue 8
//! holds — every figure taken from the [`Results`] of this run.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::time::Duration;

use super::{Operation, PeerOutcome, Results, WorkloadResult};

/// Sequential steps a plan cannot avoid: find the project (and its environments' ids), then read
/// the environments.
pub const PHYSICAL_ROUND_TRIPS: u32 = 2;

/// Issue 8: a 5 × 200 × 20 plan at 50 ms finishes within 3 round trips plus this.
const PLAN_ALLOWANCE: Duration = Duration::from_millis(100);

/// Issue 8: validate + diff of 1000 × 50 on one core within this.
const OFFLINE_BUDGET: Duration = Duration::from_millis(200);

/// Renders the results section; `command` is how they were produced.
pub fn markdown(results: &Results, command: &str) -> String {
    let mut text = String::new();
    machine(&mut text, results, command);
    railform_table(&mut text, results);
    naive_table(&mut text, results);
    peer_table(&mut text, results);
    physical_limit(&mut text, results);
    offline(&mut text, results);
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
    let _ = writeln!(text, "| cores (`nproc`) | {cores} (shared with other work while this ran) |");
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
        "| E × S × V | run | requests | 1 + E | writes (config + deploys) | round trips | wall, 0 ms | wall, {} ms | CPU | peak RSS |",
        latency.as_millis()
    );
    let _ = writeln!(text, "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for result in &results.workloads {
        for operation in &result.railform {
            let at_zero = &operation.without_latency;
            let counts = at_zero.counts;
            let _ = writeln!(
                text,
                "| {} | {} | {} | {} | {} ({} + {}) | {:.1} | {} | {} | {} | {} |",
                result.workload.label(),
                operation.operation.label(),
                counts.requests,
                1 + result.workload.environments,
                counts.writes,
                counts.config_writes,
                counts.deploys,
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
        "\nRequests and writes are from the run without latency (the run with latency sent the same \
         numbers); CPU is user + system time of the railform process, peak RSS the larger of the two runs.\n"
    );
}

fn naive_table(text: &mut String, results: &Results) {
    let latency = results.options.latency.as_millis();
    let _ = writeln!(text, "### The naive per-resource client, and railform's advantage\n");
    let _ = writeln!(
        text,
        "| E × S × V | naive plan: requests | railform | ratio | naive plan wall, 0 ms | railform | naive plan wall, {latency} ms | railform | ratio | \
         naive apply 10%: requests (writes) | railform | ratio | naive apply wall, 0 ms | railform | ratio |"
    );
    let _ = writeln!(text, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    for result in &results.workloads {
        let naive = &result.naive;
        let plan = result.operation(Operation::Plan);
        let apply = result.operation(Operation::TenPercentApply);
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} ({}) | {} | {} | {} | {} | {} |",
            result.workload.label(),
            naive.plan.requests,
            plan.without_latency.counts.requests,
            ratio(naive.plan.requests as f64, plan.without_latency.counts.requests as f64),
            millis(naive.plan_wall_without_latency),
            millis(plan.without_latency.wall),
            millis(naive.plan_wall_with_latency),
            millis(plan.with_latency.wall),
            ratio(naive.plan_wall_with_latency.as_secs_f64(), plan.with_latency.wall.as_secs_f64()),
            naive.apply.requests,
            naive.apply.writes,
            apply.without_latency.counts.requests,
            ratio(naive.apply.requests as f64, apply.without_latency.counts.requests as f64),
            millis(naive.apply_wall_without_latency),
            millis(apply.without_latency.wall),
            ratio(naive.apply_wall_without_latency.as_secs_f64(), apply.without_latency.wall.as_secs_f64()),
        );
    }
    let _ = writeln!(
        text,
        "\nThe naive client's wall time is its requests alone (no process start, no file reading); railform's \
         includes starting the process, reading and validating the files and printing the plan. A naive no-op \
         apply is its plan (a refresh that finds nothing to write).\n"
    );
}

/// Railway's own `railway config plan` next to `railform plan`, on the one-environment workloads.
fn peer_table(text: &mut String, results: &Results) {
    let measured: Vec<&WorkloadResult> = results.workloads.iter().filter(|result| result.peer.is_some()).collect();
    if measured.is_empty() {
        return;
    }
    let latency = results.options.latency;
    let ms = latency.as_millis();
    let _ = writeln!(
        text,
        "### Railway's own engine: `railway config plan`, on the same emulator
"
    );
    let _ = writeln!(
        text,
        "| E × S × V | config plan: requests | railform plan | ratio | round trips | railform | ratio | \
         wall, 0 ms | railform | ratio | wall, {ms} ms | railform | ratio | CPU | railform |"
    );
    let _ = writeln!(text, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|");
    // The workload, and the peer's requests and refused requests by operation name there.
    type Operations = (String, BTreeMap<String, u64>, BTreeMap<String, u64>);
    let mut operations: Option<Operations> = None;
    let mut skipped = Vec::new();
    for result in measured {
        let plan = result.operation(Operation::Plan);
        match result.peer.as_ref() {
            Some(PeerOutcome::Measured(peer)) => {
                let (at_zero, at_latency) = (&peer.without_latency, &peer.with_latency);
                let railform_requests = plan.without_latency.counts.requests;
                let _ = writeln!(
                    text,
                    "| {} | {} | {} | {} | {:.1} | {:.1} | {} | {} | {} | {} | {} | {} | {} | {} | {} |",
                    result.workload.label(),
                    at_zero.requests,
                    railform_requests,
                    ratio(at_zero.requests as f64, railform_requests as f64),
                    peer.round_trips(latency),
                    plan.round_trips(latency),
                    ratio(peer.round_trips(latency), plan.round_trips(latency)),
                    millis(at_zero.wall),
                    millis(plan.without_latency.wall),
                    ratio(at_zero.wall.as_secs_f64(), plan.without_latency.wall.as_secs_f64()),
                    millis(at_latency.wall),
                    millis(plan.with_latency.wall),
                    ratio(at_latency.wall.as_secs_f64(), plan.with_latency.wall.as_secs_f64()),
                    millis(at_zero.cpu),
                    millis(plan.without_latency.cpu),
                );
                operations.get_or_insert_with(|| {
                    (result.workload.label(), at_zero.operations.clone(), at_zero.errors.clone())
                });
            }
            Some(PeerOutcome::Skipped(reason)) => {
                let _ = writeln!(
                    text,
                    "| {} | not measured | {} | | | {:.1} | | | {} | | | {} | | | {} |",
                    result.workload.label(),
                    plan.without_latency.counts.requests,
                    plan.round_trips(latency),
                    millis(plan.without_latency.wall),
                    millis(plan.with_latency.wall),
                    millis(plan.without_latency.cpu),
                );
                if !skipped.contains(reason) {
                    skipped.push(reason.clone());
                }
            }
            None => {}
        }
    }
    let _ = writeln!(
        text,
        "\nThe official CLI {} (debug build, `RAILWAY_BACKBOARD_URL` at the emulator) with Node 22 and the npm \
         package `railway`, as `scripts/conformance.sh` installs them; the plan of a `.railway/railway.ts` \
         pulled with `railway config pull --variables=managed` (variables included), which reports no changes. \
         Its wall and CPU time include the CLI process and its Node child; its telemetry and update checks are \
         off. Railway's engine plans one environment per run, so only the one-environment workloads are compared.",
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
        let _ = writeln!(text, "\n**Railway's engine was not measured:** {reason}.");
    }
    let _ = writeln!(text);
}

fn physical_limit(text: &mut String, results: &Results) {
    let latency = results.options.latency;
    let floor = latency * PHYSICAL_ROUND_TRIPS;
    let _ = writeln!(text, "### The physical limit of a plan\n");
    let _ = writeln!(
        text,
        "Two dependent steps: find the project by name (which lists its environments' ids), then read \
         the environments — {PHYSICAL_ROUND_TRIPS} round trips, {} ms of latency at {} ms, and 2 requests \
         if the second step read every environment in one aliased request.\n",
        floor.as_millis(),
        latency.as_millis()
    );
    let _ = writeln!(
        text,
        "| E × S × V | limit: requests / round trips | railform: requests / round trips | railform wall − limit's latency, {} ms |",
        latency.as_millis()
    );
    let _ = writeln!(text, "|---|---:|---:|---:|");
    for result in &results.workloads {
        let plan = result.operation(Operation::Plan);
        let overhead = plan.with_latency.wall.saturating_sub(floor);
        let _ = writeln!(
            text,
            "| {} | 2 / {PHYSICAL_ROUND_TRIPS} | {} / {:.1} | {} |",
            result.workload.label(),
            plan.without_latency.counts.requests,
            plan.round_trips(latency),
            millis(overhead),
        );
    }
    let _ = writeln!(text);
}

fn offline(text: &mut String, results: &Results) {
    let offline = &results.offline;
    let _ = writeln!(text, "### Offline: {} (no network)\n", offline.workload.label());
    let _ = writeln!(text, "| measurement | time |\n|---|---:|");
    let _ = writeln!(
        text,
        "| `config::load` (read, merge, check: what `validate` does), one thread | {} |",
        millis(offline.load)
    );
    let _ =
        writeln!(text, "| pure `plan::diff` against an in-sync live state, one thread | {} |", millis(offline.diff));
    let _ = writeln!(text, "| load + diff | {} |", millis(offline.load + offline.diff));
    let process = &offline.validate_process;
    let _ = writeln!(
        text,
        "| `railform validate` as a process: wall / CPU / peak RSS | {} / {} / {} |\n",
        millis(process.wall),
        millis(process.cpu),
        mebibytes(process.peak_rss_kib)
    );
}

/// One target of issue 8 and what this run measured for it.
struct Verdict {
    target: String,
    holds: bool,
    measured: String,
}

fn targets(text: &mut String, results: &Results) {
    let latency = results.options.latency;
    let mut verdicts = Vec::new();

    let plans: Vec<(&WorkloadResult, u64, f64)> = results
        .workloads
        .iter()
        .map(|result| {
            let plan = result.operation(Operation::Plan);
            (result, plan.without_latency.counts.requests, plan.round_trips(latency))
        })
        .collect();
    let worst_trips = plans.iter().map(|(_, _, trips)| *trips).fold(0.0, f64::max);
    verdicts.push(Verdict {
        target: "a plan costs at most 1 + E requests in 2 sequential round trips".into(),
        holds: plans.iter().all(|(result, requests, trips)| {
            *requests <= 1 + result.workload.environments as u64 && trips.round() <= 2.0
        }),
        measured: format!(
            "requests = 1 + E in {} of {} workloads; at most {worst_trips:.1} round trips",
            plans.iter().filter(|(result, requests, _)| *requests <= 1 + result.workload.environments as u64).count(),
            plans.len()
        ),
    });

    let budget = latency * 3 + PLAN_ALLOWANCE;
    let largest = results.workloads.iter().find(|result| {
        (result.workload.environments, result.workload.services, result.workload.variables) == (5, 200, 20)
    });
    verdicts.push(match largest {
        Some(result) => {
            let wall = result.operation(Operation::Plan).with_latency.wall;
            Verdict {
                target: format!("a 5 × 200 × 20 plan at {} ms within {} ms", latency.as_millis(), budget.as_millis()),
                holds: wall <= budget,
                measured: millis(wall),
            }
        }
        None => Verdict {
            target: "a 5 × 200 × 20 plan within 3 round trips + 100 ms".into(),
            holds: false,
            measured: "not measured in this run (--quick)".into(),
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

    let apply_within = results.workloads.iter().all(|result| {
        let counts = result.operation(Operation::TenPercentApply).without_latency.counts;
        let changed = result.workload.changed_environments() as u64;
        let to_deploy = result.workload.changed_instances() as u64 + result.workload.dependent_instances() as u64;
        counts.config_writes <= 2 * changed
            && counts.deploys <= to_deploy
            && counts.writes == counts.config_writes + counts.deploys
    });
    verdicts.push(Verdict {
        target: "an apply sends at most 2 config writes per changed environment (one staged patch, one commit) \
                 and one deploy per changed instance (or instance reading a changed variable)"
            .into(),
        holds: apply_within,
        measured: results
            .workloads
            .iter()
            .map(|result| {
                let counts = result.operation(Operation::TenPercentApply).without_latency.counts;
                format!(
                    "{}: {} changed environments, {} changed instances (+{} reading them), {} config writes, {} deploys",
                    result.workload.label(),
                    result.workload.changed_environments(),
                    result.workload.changed_instances(),
                    result.workload.dependent_instances(),
                    counts.config_writes,
                    counts.deploys
                )
            })
            .collect::<Vec<_>>()
            .join("; "),
    });

    let offline = &results.offline;
    let offline_total = offline.load + offline.diff;
    verdicts.push(Verdict {
        target: format!(
            "validate + diff of {} under {} ms on one core",
            offline.workload.label(),
            OFFLINE_BUDGET.as_millis()
        ),
        holds: offline_total < OFFLINE_BUDGET,
        measured: format!("{} (load {} + diff {})", millis(offline_total), millis(offline.load), millis(offline.diff)),
    });

    let _ = writeln!(text, "### Targets of issue 8, checked against this run\n");
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

fn ratio(naive: f64, railform: f64) -> String {
    if railform > 0.0 {
        format!("{:.0}×", naive / railform)
    } else {
        "—".into()
    }
}
