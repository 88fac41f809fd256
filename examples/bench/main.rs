//! railform's request and latency benchmark (issues 8 and 18): seeds in-process emulators with
//! projects of 1, 3 and 5 environments × 10, 50 and 200 services × 20 variables, runs the release
//! `railform` binary (`plan` by name and by pinned id, a no-op `apply --yes`, an `apply --yes`
//! changing 10% of the variables), a naive per-resource client and Railway's own `railway config
//! plan` (on the one-environment workloads, when the official CLI is installed) against them,
//! measures how a plan's memory and the offline `config::load` and diff grow with the number of
//! services (10, 100, 1000), and writes the results as markdown.
//!
//! ```sh
//! scripts/bench.sh            # everything, results into docs/BENCHMARKS.md
//! scripts/bench.sh --quick    # a small subset, printed only
//! ```
//!
//! The suite itself is in [`suite`]; the smoke test in `tests/it/bench_smoke.rs` runs it too.

mod suite;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{bail, Context};
use clap::Parser;

use suite::workload::Workload;

/// Where the results go in the document: between these lines, so the prose around them stays.
const RESULTS_BEGIN: &str = "<!-- results:begin (written by scripts/bench.sh) -->";
const RESULTS_END: &str = "<!-- results:end -->";

#[derive(Debug, Parser)]
#[command(about = "Measure railform's requests, round trips, time and memory against the emulator")]
struct Args {
    /// A subset (1 × 10 × 20, 1 × 50 × 20, 3 × 50 × 20 and 5 × 200 × 20, one repetition, the
    /// naive client's plan at latency and apply only up to 2,000 requests) in about a minute
    /// and a half.
    #[arg(long)]
    quick: bool,
    /// Do not measure Railway's own `railway config plan` (measured by default when
    /// scripts/conformance.sh installed the official CLI and Node's `railway`).
    #[arg(long)]
    no_railway_peer: bool,
    /// The railform binary to measure (default: target/release/railform).
    #[arg(long, value_name = "PATH")]
    railform: Option<PathBuf>,
    /// Write the results into this markdown file, between its results markers.
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Latency of the second emulator, in milliseconds.
    #[arg(long, default_value_t = 50)]
    latency_ms: u64,
    /// Runs of each read-only measurement (median reported).
    #[arg(long)]
    repetitions: Option<usize>,
    /// Requests the naive client keeps in flight (Terraform's default -parallelism is 10).
    #[arg(long, default_value_t = 10)]
    naive_parallelism: usize,
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let railform =
        args.railform.clone().unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("target/release/railform"));
    if !railform.is_file() {
        bail!("{} does not exist: build it first with `cargo build --release`", railform.display());
    }
    // Absolute, since railform is started from other folders (and through GNU time).
    let railform = std::path::absolute(&railform)?;
    let (workloads, repetitions) = if args.quick {
        (vec![shape(1, 10), shape(1, 50), shape(3, 50), shape(5, 200)], 1)
    } else {
        let all = [1, 3, 5].into_iter().flat_map(|e| [10, 50, 200].into_iter().map(move |s| shape(e, s))).collect();
        (all, 3)
    };
    let options = suite::Options {
        railform,
        workloads,
        latency: Duration::from_millis(args.latency_ms),
        repetitions: args.repetitions.unwrap_or(repetitions),
        naive_parallelism: args.naive_parallelism,
        naive_max_requests: args.quick.then_some(QUICK_NAIVE_MAX_REQUESTS),
        growth_services: vec![10, 100, 1000],
        railway_peer: !args.no_railway_peer,
        rollout_environments: vec![1, 3],
        rollout_deploy_time: Duration::from_secs(2),
    };
    let results = suite::run(&options, &mut |line| eprintln!("{line}"))?;
    let markdown = suite::report::markdown(&results, &reproduce_command(&args));
    match &args.out {
        Some(path) => write_results(path, &markdown)?,
        None => print!("{markdown}"),
    }
    Ok(())
}

/// The `scripts/bench.sh` command line that repeats this run (it writes docs/BENCHMARKS.md when
/// given no flag).
fn reproduce_command(args: &Args) -> String {
    let mut command = String::from("scripts/bench.sh");
    if args.quick {
        command.push_str(" --quick");
    }
    if args.latency_ms != 50 {
        command.push_str(&format!(" --latency-ms {}", args.latency_ms));
    }
    if let Some(repetitions) = args.repetitions {
        command.push_str(&format!(" --repetitions {repetitions}"));
    }
    if args.naive_parallelism != 10 {
        command.push_str(&format!(" --naive-parallelism {}", args.naive_parallelism));
    }
    if args.no_railway_peer {
        command.push_str(" --no-railway-peer");
    }
    command
}

/// `--quick` measures the naive client's plan at latency and its apply only up to this many
/// requests (1 × 50 × 20 sends 1,102; 3 × 50 × 20, 3,204).
const QUICK_NAIVE_MAX_REQUESTS: u64 = 2_000;

/// E × S × 20.
fn shape(environments: usize, services: usize) -> Workload {
    Workload { environments, services, variables: 20 }
}

/// Replaces what is between the results markers of `path` (the whole file when it has none).
fn write_results(path: &Path, markdown: &str) -> anyhow::Result<()> {
    let block = format!("{RESULTS_BEGIN}\n{markdown}{RESULTS_END}");
    let existing = std::fs::read_to_string(path).unwrap_or_default();
    let text = match (existing.find(RESULTS_BEGIN), existing.find(RESULTS_END)) {
        (Some(begin), Some(end)) if begin < end => {
            format!("{}{block}{}", &existing[..begin], &existing[end + RESULTS_END.len()..])
        }
        _ => format!("{block}\n"),
    };
    std::fs::write(path, text).with_context(|| format!("writing {}", path.display()))
}
