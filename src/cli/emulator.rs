//! `railform emulator`: serve the local Railway API until interrupted.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;

use super::{CommandResult, Outcome};
use crate::emulator::{self, RenamePolicy, Settings};
use crate::render::Printer;

#[derive(Debug, Args, Clone)]
pub struct EmulatorArgs {
    /// Address to listen on; port 0 picks a free port.
    #[arg(long, default_value = "127.0.0.1:4000")]
    pub listen: SocketAddr,
    /// Keep the state in this JSON file (written atomically after each mutation).
    #[arg(long)]
    pub state: Option<PathBuf>,
    /// Require this token as `Authorization: Bearer` or `Project-Access-Token`.
    #[arg(long)]
    pub token: Option<String>,
    /// Delay every response by this many milliseconds.
    #[arg(long, default_value_t = 0)]
    pub latency_ms: u64,
    /// Share of requests (0.0 to 1.0) answered with a 429, a 502/503 HTML page or a dropped connection.
    #[arg(long, default_value_t = 0.0)]
    pub fail_rate: f64,
    /// Requests per second allowed before answering 429.
    #[arg(long)]
    pub rate_limit: Option<u32>,
    /// What a service rename does to `${{Old.VAR}}` references: keep them, or rewrite them.
    #[arg(long, value_enum, default_value_t = RenamePolicy::Keep)]
    pub rename_policy: RenamePolicy,
    /// Seed for the fault injector, so a failing run can be replayed.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Seconds a deployment takes from INITIALIZING through BUILDING and DEPLOYING (a third
    /// each) to SUCCESS, FAILED or CRASHED; 0 (the default) ends it at once. Fractions allowed.
    #[arg(long, default_value_t = 0.0, value_parser = parse_seconds)]
    pub deploy_seconds: f64,
    /// Refuse a request that reads more than N environment configs as too large, as Railway
    /// refuses a read too costly to answer (to test the per-environment fallback).
    #[arg(long, value_name = "N")]
    pub max_configs: Option<usize>,
}

fn parse_seconds(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && (0.0..=86_400.0).contains(&seconds) => Ok(seconds),
        _ => Err(format!("{text} is not a number of seconds from 0 to 86400")),
    }
}

impl From<&EmulatorArgs> for Settings {
    fn from(args: &EmulatorArgs) -> Self {
        Settings {
            listen: args.listen,
            state_file: args.state.clone(),
            token: args.token.clone(),
            latency: Duration::from_millis(args.latency_ms),
            fail_rate: args.fail_rate,
            rate_limit: args.rate_limit,
            rename_policy: args.rename_policy,
            seed: args.seed,
            deploy_duration: Duration::from_secs_f64(args.deploy_seconds),
            max_configs: args.max_configs,
        }
    }
}

pub fn run(printer: &Printer, args: &EmulatorArgs) -> CommandResult {
    let running = emulator::start(Settings::from(args))?;
    printer.out(&format!("listening on {}", running.url()));
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(interrupted())?;
    printer.status("emulator stopped");
    running.shutdown();
    Ok(Outcome::Success)
}

/// Resolves on Ctrl-C, or on SIGTERM where there is one.
async fn interrupted() -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            result = tokio::signal::ctrl_c() => result?,
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    tokio::signal::ctrl_c().await?;
    Ok(())
}
