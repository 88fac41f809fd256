//! The rollout benchmark (issue 15): a project of three layers — Postgres and Redis ← 5 APIs ←
//! 5 workers, in each of E environments — applied with `apply --yes --wait` against an emulator
//! whose deployments take `--deploy-seconds` each. Deploys that follow the reference graph take
//! about one deploy time per layer (3), not one per service (12); the polls that follow them read
//! each environment's latest deployments in one request, so they grow with environments × polls,
//! never with services.

use std::path::Path;
use std::time::Duration;

use super::emulator::Stats;
use super::process::Railform;
use railform::emulator;

/// Services per layer: databases, APIs (each references both databases), workers (each
/// references one API).
const APIS: usize = 5;
const WORKERS: usize = 5;

/// One measured rollout.
#[derive(Debug, Clone)]
pub struct RolloutResult {
    pub environments: usize,
    /// Services per environment.
    pub services: usize,
    /// Layers of the reference graph.
    pub layers: usize,
    pub deploy_time: Duration,
    /// `apply --yes --wait`, from spawn to exit.
    pub wall: Duration,
    /// `serviceInstanceDeployV2` requests.
    pub deploys: u64,
    /// `EnvironmentDeployments` requests (the polls, one per environment per interval).
    pub polls: u64,
    pub requests: u64,
}

impl RolloutResult {
    /// The wall time one deploy after another would take: services × deploy time.
    pub fn one_at_a_time(&self) -> Duration {
        self.deploy_time * u32::try_from(self.services).unwrap_or(u32::MAX)
    }

    /// The time the layers alone take: layers × deploy time.
    pub fn layered(&self) -> Duration {
        self.deploy_time * u32::try_from(self.layers).unwrap_or(u32::MAX)
    }
}

/// The environment file of one environment of the three-layer project.
fn environment_file(environment: &str) -> String {
    let mut file = format!("project = \"rollout\"\nenvironment = \"{environment}\"\n\n");
    file.push_str("[services.postgres]\nimage = \"postgres:16\"\n[services.postgres.variables]\nPGPORT = \"5432\"\n\n");
    file.push_str("[services.redis]\nimage = \"redis:7\"\n[services.redis.variables]\nREDISPORT = \"6379\"\n\n");
    for api in 0..APIS {
        file.push_str(&format!(
            "[services.api-{api}]\nimage = \"ghcr.io/acme/api:1\"\n[services.api-{api}.variables]\n\
             DB_PORT = \"$<<postgres.PGPORT>>\"\nREDIS_PORT = \"$<<redis.REDISPORT>>\"\n\n"
        ));
    }
    for worker in 0..WORKERS {
        file.push_str(&format!(
            "[services.worker-{worker}]\nimage = \"ghcr.io/acme/worker:1\"\n[services.worker-{worker}.variables]\n\
             API_HOST = \"$<<api-{}.RAILWAY_PRIVATE_DOMAIN>>\"\n\n",
            worker % APIS
        ));
    }
    file
}

/// Applies the three-layer project in `environments` environments with `--wait`, each deployment
/// taking `deploy_time`.
pub fn run(binary: &Path, environments: usize, deploy_time: Duration) -> anyhow::Result<RolloutResult> {
    let running =
        emulator::start(emulator::Settings { deploy_duration: deploy_time, ..emulator::Settings::default() })?;
    let folder = tempfile::tempdir()?;
    std::fs::create_dir_all(folder.path().join("environments"))?;
    for index in 0..environments {
        let name = if index == 0 { "production".to_string() } else { format!("env-{index}") };
        std::fs::write(folder.path().join(format!("environments/{name}.toml")), environment_file(&name))?;
    }
    let railform = Railform { binary: binary.to_path_buf(), endpoint: running.url() };
    let measured = railform.run(folder.path(), &["apply", "--yes", "--wait"])?;
    let stats_url = format!("http://{}/_emulator/stats", running.address());
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    let stats: Stats = runtime.block_on(async { reqwest::get(stats_url).await?.json().await })?;
    let count = |operation: &str| stats.operations.get(operation).copied().unwrap_or(0);
    Ok(RolloutResult {
        environments,
        services: 2 + APIS + WORKERS,
        layers: 3,
        deploy_time,
        wall: measured.wall,
        deploys: count("ServiceInstanceDeployV2"),
        polls: count("EnvironmentDeployments"),
        requests: stats.requests,
    })
}

/// The results as a markdown table, with what they show.
pub fn markdown(results: &[RolloutResult]) -> String {
    let mut out = String::from(
        "### Rollout: deploys in dependency order, followed to the end\n\n\
         Postgres and Redis ← 5 APIs ← 5 workers in each environment, `apply --yes --wait`, every \
         deployment taking the emulator's `--deploy-seconds`.\n\n\
         | E × services | deploy time | wall | layers × deploy time | one at a time | deploys | polls (`EnvironmentDeployments`) | polls per environment | requests |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for result in results {
        let seconds = |d: Duration| format!("{:.1} s", d.as_secs_f64());
        out.push_str(&format!(
            "| {} × {} | {} | {} | {} | {} | {} | {} | {:.1} | {} |\n",
            result.environments,
            result.services,
            seconds(result.deploy_time),
            seconds(result.wall),
            seconds(result.layered()),
            seconds(result.one_at_a_time() * u32::try_from(result.environments).unwrap_or(1)),
            result.deploys,
            result.polls,
            result.polls as f64 / result.environments as f64,
            result.requests,
        ));
    }
    out
}
