//! The benchmark suite: for each [`Workload`], seed emulators, run railform (`plan` by name and
//! with a pinned `project_id`, a no-op `apply --yes`, an `apply --yes` that changes 10% of the
//! variables), the naive per-resource client and, on one-environment workloads, Railway's own
//! `railway config plan` ([`peer`]) against them, and collect what each run cost. Then how
//! memory and CPU grow with the number of services ([`Growth`]): a plan's peak RSS, and the
//! offline cost of `config::load` and of the pure diff. [`report`] turns the results into
//! markdown.
//!
//! Round trips are measured, not counted: the same run is made against an emulator without
//! latency and one that holds every request for `latency` before answering; requests sent
//! concurrently wait together, so `(wall at latency − wall at 0) / latency` is the number of
//! sequential round trips.

pub mod emulator;
pub mod naive;
pub mod operations;
pub mod peer;
pub mod process;
pub mod report;
pub mod rollout;
pub mod workload;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};

use emulator::Emulator;
use naive::Naive;
use operations::{Catalog, Counts};
use process::{Measured, Railform};
use workload::{Revision, Workload};

/// What to run.
#[derive(Debug, Clone)]
pub struct Options {
    /// The railform binary to measure.
    pub railform: PathBuf,
    pub workloads: Vec<Workload>,
    /// The latency of the second emulator of each workload.
    pub latency: Duration,
    /// Runs of each read-only measurement (the median is reported); the mutating apply runs once.
    pub repetitions: usize,
    /// Requests the naive client keeps in flight.
    pub naive_parallelism: usize,
    /// Where the naive client's plan without latency sends more requests than this, its plan
    /// at latency and its apply are not measured (`--quick`: at 10 in flight and 50 ms, 20,000
    /// requests take 100 s); `None`: always measured.
    pub naive_max_requests: Option<u64>,
    /// The numbers of services S at which growth is measured: a plan of
    /// [`GROWTH_PLAN_ENVIRONMENTS`] × S × [`GROWTH_VARIABLES`], and `config::load` and the pure
    /// diff of 1 × S × [`GROWTH_VARIABLES`].
    pub growth_services: Vec<usize>,
    /// Measure Railway's own `railway config plan` on one-environment workloads (skipped, with
    /// the reason in the report, when the official CLI or Node's `railway` is not installed).
    pub railway_peer: bool,
    /// The rollout benchmark: the three-layer project in each of these numbers of environments
    /// (none: not measured), every deployment taking `rollout_deploy_time`.
    pub rollout_environments: Vec<usize>,
    pub rollout_deploy_time: Duration,
}

/// Environments of the growth plans (issue 18: a plan of 5 × 1000 × 50).
pub const GROWTH_PLAN_ENVIRONMENTS: usize = 5;

/// Variables per service instance in the growth measurements.
pub const GROWTH_VARIABLES: usize = 50;

/// The railform runs measured on every workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// The project found by name.
    Plan,
    /// The project pinned with `project_id`.
    PinnedPlan,
    NoopApply,
    TenPercentApply,
}

impl Operation {
    pub const ALL: [Operation; 4] =
        [Operation::Plan, Operation::PinnedPlan, Operation::NoopApply, Operation::TenPercentApply];

    pub fn label(self) -> &'static str {
        match self {
            Operation::Plan => "plan",
            Operation::PinnedPlan => "plan, pinned id",
            Operation::NoopApply => "no-op apply",
            Operation::TenPercentApply => "apply 10%",
        }
    }
}

/// One railform run: its requests (from the emulator) and its process figures.
#[derive(Debug, Clone)]
pub struct RunCost {
    pub counts: Counts,
    pub wall: Duration,
    pub cpu: Duration,
    pub peak_rss_kib: u64,
}

/// A railform operation on one workload, without latency and with.
#[derive(Debug, Clone)]
pub struct OperationResult {
    pub operation: Operation,
    pub without_latency: RunCost,
    pub with_latency: RunCost,
}

impl OperationResult {
    /// Sequential round trips: the wall time the latency added, in latencies.
    pub fn round_trips(&self, latency: Duration) -> f64 {
        round_trips(self.with_latency.wall, self.without_latency.wall, latency)
    }
}

/// The naive client's runs on one workload.
#[derive(Debug, Clone)]
pub struct NaiveResult {
    pub plan: Counts,
    pub plan_wall_without_latency: Duration,
    /// `None` when not measured (see [`Options::naive_max_requests`]).
    pub plan_wall_with_latency: Option<Duration>,
    /// The 10% apply, measured without latency only (with it, it alone would take minutes);
    /// `None` when not measured.
    pub apply: Option<NaiveApply>,
}

/// The naive client's 10% apply, without latency.
#[derive(Debug, Clone)]
pub struct NaiveApply {
    pub counts: Counts,
    pub wall: Duration,
}

/// Railway's `railway config plan` on one workload, without latency and with.
#[derive(Debug, Clone)]
pub struct PeerResult {
    pub without_latency: peer::PeerRun,
    pub with_latency: peer::PeerRun,
}

impl NaiveResult {
    pub fn plan_round_trips(&self, latency: Duration) -> Option<f64> {
        self.plan_wall_with_latency.map(|with| round_trips(with, self.plan_wall_without_latency, latency))
    }
}

impl PeerResult {
    pub fn round_trips(&self, latency: Duration) -> f64 {
        round_trips(self.with_latency.wall, self.without_latency.wall, latency)
    }
}

/// Whether the peer was measured on a workload.
#[derive(Debug, Clone)]
pub enum PeerOutcome {
    Measured(PeerResult),
    /// Not measured, and why (not installed, or it failed).
    Skipped(String),
}

#[derive(Debug, Clone)]
pub struct WorkloadResult {
    pub workload: Workload,
    pub railform: Vec<OperationResult>,
    pub naive: NaiveResult,
    /// Railway's own plan; `None` where it is not measured (more than one environment: its
    /// engine plans one per run, or the peer was turned off).
    pub peer: Option<PeerOutcome>,
}

impl WorkloadResult {
    pub fn operation(&self, operation: Operation) -> &OperationResult {
        self.railform.iter().find(|result| result.operation == operation).expect("every operation is measured")
    }
}

/// The offline figures: no network.
#[derive(Debug, Clone)]
pub struct OfflineResult {
    /// `railform validate` as a process.
    pub validate_process: RunCost,
    /// `config::load` (read, merge, check: what validate does) on the harness's thread, median.
    pub load: Duration,
    /// The pure `plan::diff::diff` against an in-sync live state, median.
    pub diff: Duration,
}

/// Memory and CPU at one number of services S.
#[derive(Debug, Clone)]
pub struct Growth {
    /// `railform plan` of [`GROWTH_PLAN_ENVIRONMENTS`] × S × [`GROWTH_VARIABLES`], no latency.
    pub plan_workload: Workload,
    pub plan: RunCost,
    /// 1 × S × [`GROWTH_VARIABLES`] offline.
    pub offline: OfflineResult,
}

#[derive(Debug, Clone)]
pub struct Results {
    pub options: Options,
    pub workloads: Vec<WorkloadResult>,
    /// One per [`Options::growth_services`], in that order.
    pub growth: Vec<Growth>,
    /// One per [`Options::rollout_environments`], in that order.
    pub rollout: Vec<rollout::RolloutResult>,
    pub total: Duration,
}

/// Sequential round trips from two wall times: the time `latency` added, in latencies.
pub fn round_trips(with_latency: Duration, without_latency: Duration, latency: Duration) -> f64 {
    (with_latency.as_secs_f64() - without_latency.as_secs_f64()) / latency.as_secs_f64()
}

/// Runs everything `options` asks for; `progress` receives a line per step.
pub fn run(options: &Options, progress: &mut dyn FnMut(&str)) -> anyhow::Result<Results> {
    let started = Instant::now();
    let catalog = Catalog::load(&Path::new(env!("CARGO_MANIFEST_DIR")).join("graphql"), &naive::DOCUMENTS)?;
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build()?;
    let peer = options.railway_peer.then(peer::PeerSetup::find);
    let mut workloads = Vec::new();
    for workload in &options.workloads {
        progress(&format!("workload {}", workload.label()));
        workloads.push(
            measure_workload(options, &catalog, &runtime, *workload, peer.as_ref(), progress)
                .with_context(|| format!("workload {}", workload.label()))?,
        );
    }
    let mut growth = Vec::new();
    for &services in &options.growth_services {
        progress(&format!("growth at S = {services}"));
        growth.push(measure_growth(options, &catalog, &runtime, services)?);
    }
    let mut rollouts = Vec::new();
    for &environments in &options.rollout_environments {
        progress(&format!("rollout of {environments} environment(s)"));
        rollouts.push(rollout::run(&options.railform, environments, options.rollout_deploy_time)?);
    }
    Ok(Results { options: options.clone(), workloads, growth, rollout: rollouts, total: started.elapsed() })
}

/// A workload on one emulator: the ids it was seeded with, and files pinning its project id.
struct Seeded {
    emulator: Emulator,
    project: emulator::SeededProject,
    railform: Railform,
    pinned_files: PathBuf,
    _pinned_folder: tempfile::TempDir,
}

impl Seeded {
    /// An emulator at `latency` holding `workload` (the seeded revision).
    fn start(
        options: &Options,
        runtime: &tokio::runtime::Runtime,
        workload: &Workload,
        latency: Duration,
    ) -> anyhow::Result<Seeded> {
        let emulator = Emulator::start(latency)?;
        let project = runtime.block_on(emulator.seed(workload))?;
        let railform = Railform { binary: options.railform.clone(), endpoint: emulator.url() };
        let pinned_folder = tempfile::tempdir()?;
        let pinned_files = pinned_folder.path().join("pinned");
        workload.write_pinned_files(&pinned_files, Revision::Seeded, Some(&project.project_id))?;
        Ok(Seeded { emulator, project, railform, pinned_files, _pinned_folder: pinned_folder })
    }
}

fn measure_workload(
    options: &Options,
    catalog: &Catalog,
    runtime: &tokio::runtime::Runtime,
    workload: Workload,
    peer: Option<&Result<peer::PeerSetup, String>>,
    progress: &mut dyn FnMut(&str),
) -> anyhow::Result<WorkloadResult> {
    let files = tempfile::tempdir()?;
    let seeded_files = files.path().join("seeded");
    let changed_files = files.path().join("changed");
    workload.write_files(&seeded_files, Revision::Seeded)?;
    workload.write_files(&changed_files, Revision::TenPercentChanged)?;

    let mut by_latency = Vec::new();
    for latency in [Duration::ZERO, options.latency] {
        by_latency.push(Seeded::start(options, runtime, &workload, latency)?);
    }
    let mut railform_results = Vec::new();
    for operation in Operation::ALL {
        progress(&format!("  railform {}", operation.label()));
        let mut costs = Vec::new();
        for seeded in &by_latency {
            let (folder, args, repetitions): (&Path, &[&str], usize) = match operation {
                Operation::Plan => (&seeded_files, &["plan", "--detailed-exitcode"], options.repetitions),
                Operation::PinnedPlan => (&seeded.pinned_files, &["plan", "--detailed-exitcode"], options.repetitions),
                Operation::NoopApply => (&seeded_files, &["apply", "--yes"], options.repetitions),
                Operation::TenPercentApply => (&changed_files, &["apply", "--yes"], 1),
            };
            let mut runs = Vec::new();
            for _ in 0..repetitions {
                runs.push(measure_railform(catalog, runtime, seeded, folder, args)?);
            }
            costs.push(median_run(runs));
        }
        let with_latency = costs.pop().expect("two latencies");
        let without_latency = costs.pop().expect("two latencies");
        railform_results.push(OperationResult { operation, without_latency, with_latency });
    }

    progress("  naive client");
    // Both emulators now hold the changed revision: a naive plan of it finds nothing to change,
    // and a naive apply of the seeded revision writes the same 10% back.
    let mut plan_walls = Vec::new();
    let mut plan_counts = Counts::default();
    let too_many = |counts: &Counts| options.naive_max_requests.is_some_and(|most| counts.requests > most);
    for seeded in &by_latency {
        if !plan_walls.is_empty() && too_many(&plan_counts) {
            break;
        }
        let naive = naive_client(options, &workload, seeded);
        let (differing, counts, wall) =
            measure_naive(catalog, runtime, seeded, naive.plan(Revision::TenPercentChanged))?;
        ensure!(differing == 0, "the naive plan found {differing} variables differing after railform's apply");
        plan_counts = counts;
        plan_walls.push(wall);
    }
    let apply = if too_many(&plan_counts) {
        None
    } else {
        let unlatent = &by_latency[0];
        let naive = naive_client(options, &workload, unlatent);
        let (written, counts, wall) = measure_naive(catalog, runtime, unlatent, naive.apply(Revision::Seeded))?;
        ensure!(
            written == workload.changed_variables(),
            "the naive apply wrote {written} variables, expected {}",
            workload.changed_variables()
        );
        Some(NaiveApply { counts, wall })
    };
    let naive = NaiveResult {
        plan: plan_counts,
        plan_wall_without_latency: plan_walls[0],
        plan_wall_with_latency: plan_walls.get(1).copied(),
        apply,
    };
    // Both emulators hold the seeded revision again: Railway's engine pulls it and plans it.
    let peer = match peer.filter(|_| workload.environments == 1) {
        None => None,
        Some(Err(reason)) => Some(PeerOutcome::Skipped(reason.clone())),
        Some(Ok(setup)) => {
            progress("  railway config plan (Railway's engine)");
            Some(match measure_peer(runtime, setup, &by_latency, options.repetitions) {
                Ok(result) => PeerOutcome::Measured(result),
                Err(error) => PeerOutcome::Skipped(format!("railway config plan failed: {error:#}")),
            })
        }
    };
    Ok(WorkloadResult { workload, railform: railform_results, naive, peer })
}

/// `railway config plan` on both emulators, `repetitions` times each, three at least (the median
/// run kept).
fn measure_peer(
    runtime: &tokio::runtime::Runtime,
    setup: &peer::PeerSetup,
    by_latency: &[Seeded],
    repetitions: usize,
) -> anyhow::Result<PeerResult> {
    let mut results = Vec::new();
    for seeded in by_latency {
        let linked = peer::LinkedPeer::link(setup, &seeded.emulator.url())?;
        let mut runs = Vec::new();
        // At least three runs: a Node process's start varies more than railform's.
        for _ in 0..repetitions.max(3) {
            runtime.block_on(seeded.emulator.reset_stats())?;
            let measured = linked.plan()?;
            let stats = runtime.block_on(seeded.emulator.stats())?;
            runs.push(peer::PeerRun {
                requests: stats.requests,
                operations: stats.operations,
                errors: stats.errors,
                wall: measured.wall,
                cpu: measured.cpu,
            });
        }
        runs.sort_by_key(|run| run.wall);
        results.push(runs.swap_remove(runs.len() / 2));
    }
    let with_latency = results.pop().context("two latencies")?;
    let without_latency = results.pop().context("two latencies")?;
    Ok(PeerResult { without_latency, with_latency })
}

fn naive_client<'a>(options: &Options, workload: &Workload, seeded: &'a Seeded) -> Naive<'a> {
    Naive {
        emulator: &seeded.emulator,
        workload: *workload,
        seeded: &seeded.project,
        parallelism: options.naive_parallelism,
    }
}

/// Runs railform once with fresh statistics and checks what it printed.
fn measure_railform(
    catalog: &Catalog,
    runtime: &tokio::runtime::Runtime,
    seeded: &Seeded,
    folder: &Path,
    args: &[&str],
) -> anyhow::Result<RunCost> {
    runtime.block_on(seeded.emulator.reset_stats())?;
    let mut all_args = args.to_vec();
    let folder_argument = folder.display().to_string();
    all_args.push(&folder_argument);
    let measured: Measured = seeded.railform.run(folder, &all_args)?;
    let counts = catalog.count(&runtime.block_on(seeded.emulator.stats())?)?;
    if args.first() == Some(&"plan") {
        ensure!(
            measured.stdout.contains("No changes."),
            "the plan of in-sync files is not empty:\n{}",
            measured.stdout
        );
    }
    Ok(RunCost { counts, wall: measured.wall, cpu: measured.cpu, peak_rss_kib: measured.peak_rss_kib })
}

/// Runs a naive client future with fresh statistics: its result, requests and wall time.
fn measure_naive<T>(
    catalog: &Catalog,
    runtime: &tokio::runtime::Runtime,
    seeded: &Seeded,
    work: impl std::future::Future<Output = anyhow::Result<T>>,
) -> anyhow::Result<(T, Counts, Duration)> {
    runtime.block_on(seeded.emulator.reset_stats())?;
    let started = Instant::now();
    let result = runtime.block_on(work)?;
    let wall = started.elapsed();
    let counts = catalog.count(&runtime.block_on(seeded.emulator.stats())?)?;
    Ok((result, counts, wall))
}

/// The run with the median wall time (its own CPU and requests); the peak memory of all.
fn median_run(mut runs: Vec<RunCost>) -> RunCost {
    let peak_rss_kib = runs.iter().map(|run| run.peak_rss_kib).max().unwrap_or(0);
    runs.sort_by_key(|run| run.wall);
    let mut median = runs.swap_remove(runs.len() / 2);
    median.peak_rss_kib = peak_rss_kib;
    median
}

fn median(mut durations: Vec<Duration>) -> Duration {
    durations.sort();
    durations[durations.len() / 2]
}

/// At S services: a plan of [`GROWTH_PLAN_ENVIRONMENTS`] × S × [`GROWTH_VARIABLES`] on an
/// emulator without latency, and the offline cost of 1 × S × [`GROWTH_VARIABLES`].
fn measure_growth(
    options: &Options,
    catalog: &Catalog,
    runtime: &tokio::runtime::Runtime,
    services: usize,
) -> anyhow::Result<Growth> {
    let plan_workload = Workload { environments: GROWTH_PLAN_ENVIRONMENTS, services, variables: GROWTH_VARIABLES };
    let seeded = Seeded::start(options, runtime, &plan_workload, Duration::ZERO)?;
    let files = tempfile::tempdir()?;
    plan_workload.write_files(files.path(), Revision::Seeded)?;
    let mut runs = Vec::new();
    for _ in 0..options.repetitions {
        runs.push(measure_railform(catalog, runtime, &seeded, files.path(), &["plan", "--detailed-exitcode"])?);
    }
    drop(seeded);
    let offline = measure_offline(options, Workload { environments: 1, services, variables: GROWTH_VARIABLES })?;
    Ok(Growth { plan_workload, plan: median_run(runs), offline })
}

/// `validate` as a process, and `config::load` and the pure diff in-process on one thread.
fn measure_offline(options: &Options, workload: Workload) -> anyhow::Result<OfflineResult> {
    let files = tempfile::tempdir()?;
    let folder = files.path().join("environments");
    workload.write_files(&folder, Revision::Seeded)?;
    let railform = Railform { binary: options.railform.clone(), endpoint: "http://127.0.0.1:9/graphql/v2".into() };
    let folder_argument = folder.display().to_string();
    let mut validate_runs = Vec::new();
    let mut loads = Vec::new();
    let mut diffs = Vec::new();
    let live = [Some(workload.live_project(Revision::Seeded))];
    for _ in 0..options.repetitions.max(3) {
        let measured = railform.run(files.path(), &["validate", &folder_argument])?;
        validate_runs.push(RunCost {
            counts: Counts::default(),
            wall: measured.wall,
            cpu: measured.cpu,
            peak_rss_kib: measured.peak_rss_kib,
        });
        let started = Instant::now();
        let model = railform::config::load(std::slice::from_ref(&folder))
            .map_err(|diagnostics| anyhow::anyhow!("the generated files do not validate: {diagnostics:?}"))?;
        loads.push(started.elapsed());
        let secrets = railform::config::secrets::Secrets::resolve(&model, |_| None)
            .map_err(|diagnostics| anyhow::anyhow!("{diagnostics:?}"))?;
        let started = Instant::now();
        let plan = railform::plan::diff::diff(&model, &live, &secrets, &railform::plan::diff::DiffOptions::default());
        diffs.push(started.elapsed());
        ensure!(plan.is_empty(), "the diff against the matching live state is not empty");
    }
    Ok(OfflineResult { validate_process: median_run(validate_runs), load: median(loads), diff: median(diffs) })
}
