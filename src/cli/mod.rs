//! The command line: clap derive types (their doc comments are the `--help` text) and one thin
//! file per command: arguments → a settings struct → one operation of [`crate::ops`] → render.
//! Each command returns an [`Outcome`]; [`run`] maps it to an exit code.

mod apply;
mod completions;
mod emulator;
mod graph;
mod import;
mod migrate;
mod plan;
mod preview;
mod schema;
mod status;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::ops::session::{ConnectSettings, Session, EMULATOR_STATE};
use crate::ops::OpError;
use crate::railway::{RequestObserver, DEFAULT_ENDPOINT};
use crate::render::{requests::VerboseRequests, ColorWhen, Printer};

/// Railway infrastructure as code: plan and apply per-environment TOML files.
#[derive(Debug, Parser)]
#[command(
    name = "railform",
    version,
    about,
    propagate_version = true,
    after_help = "Railway tokens come only from the environment: RAILWAY_API_TOKEN (an account or workspace token) \
                  or RAILWAY_TOKEN (a project token). With --emulator no token is needed."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

/// Flags every command accepts.
#[derive(Debug, Args, Clone)]
pub struct GlobalArgs {
    /// Railway GraphQL endpoint.
    #[arg(long, global = true, env = "RAILFORM_ENDPOINT", default_value = DEFAULT_ENDPOINT)]
    pub endpoint: String,
    /// Start a local emulator in-process (state in .railform/emulator.json) instead of Railway.
    #[arg(long, global = true)]
    pub emulator: bool,
    /// Print more about what railform does (requests, timings); secrets stay masked.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only errors and the result (no progress, no plan before apply).
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// When to colour output (NO_COLOR is honoured with `auto`).
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

impl GlobalArgs {
    fn printer(&self) -> Printer {
        let color = match self.color {
            ColorChoice::Auto => ColorWhen::Auto,
            ColorChoice::Always => ColorWhen::Always,
            ColorChoice::Never => ColorWhen::Never,
        };
        Printer::new(color, self.quiet, self.verbose)
    }

    fn connect_settings(&self) -> ConnectSettings {
        ConnectSettings { endpoint: self.endpoint.clone(), emulator: self.emulator }
    }

    /// What the apply lock is taken on: the endpoint, or the in-process emulator's state file.
    fn lock_target(&self) -> String {
        if self.emulator {
            let state = std::path::absolute(EMULATOR_STATE).unwrap_or_else(|_| EMULATOR_STATE.into());
            format!("emulator:{}", state.display())
        } else {
            self.endpoint.clone()
        }
    }

    /// Connects, saying so when the built-in emulator was started.
    fn connect(&self, printer: &Printer) -> anyhow::Result<Session> {
        let observer: Option<Arc<dyn RequestObserver>> =
            (printer.verbose > 0).then(|| Arc::new(VerboseRequests(printer.clone())) as Arc<dyn RequestObserver>);
        let session = Session::connect(&self.connect_settings(), observer)?;
        if let Some(state) = session.emulator_state() {
            printer.status(&format!("using the built-in emulator (state in {state})"));
        }
        Ok(session)
    }
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check environment files offline: syntax, types, references, templates, renames.
    Validate(PathArgs),
    /// Show what apply would change: the files against Railway's live state.
    Plan(plan::PlanArgs),
    /// Carry out the plan: create, rename, rewrite references, set variables, deploy once.
    Apply(apply::ApplyArgs),
    /// Show each declared service's latest deployment, its age and public URL.
    Status(status::StatusArgs),
    /// Draw the services of each environment and the references between them.
    Graph(graph::GraphArgs),
    /// Write a live environment as an environment file that plans `No changes.`.
    Import(import::ImportArgs),
    /// Write every railway.toml / railway.json of a repository into environment files.
    Migrate(migrate::MigrateArgs),
    /// Preview environments for pull requests: ephemeral copies of staging (up, down, list, prune).
    Preview(preview::PreviewArgs),
    /// Serve a local emulator of Railway's GraphQL API.
    Emulator(emulator::EmulatorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
    /// Print the JSON Schema of environment files, for editors (taplo, Even Better TOML).
    Schema(schema::SchemaArgs),
}

/// Environment files or folders to read.
#[derive(Debug, Args, Clone)]
pub struct PathArgs {
    /// Environment files or folders holding them.
    #[arg(default_value = "environments")]
    pub paths: Vec<PathBuf>,
}

/// Environment files, and where their `from_env` secrets may also come from.
#[derive(Debug, Args, Clone)]
pub struct SourceArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// Read `from_env` values from this dotenv file too (NAME=value lines; the process
    /// environment wins). Its values are secrets like any other `from_env` value.
    #[arg(long, value_name = "FILE")]
    pub env_file: Option<PathBuf>,
}

impl SourceArgs {
    fn sources(&self) -> crate::ops::prepare::Sources {
        crate::ops::prepare::Sources { paths: self.paths.paths.clone(), env_file: self.env_file.clone() }
    }
}

/// What a command reports back, before it becomes an exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Everything went as asked (exit 0).
    Success,
    /// The command ran, but found problems it already reported (exit 1).
    Failure,
    /// `--detailed-exitcode`: changes are pending or drift was found (exit 2).
    Changes,
}

/// Parses the command line. A line that does not parse exits 1, like any other error (2 is
/// what CI reads as drift); `--help` and `--version` exit 0.
pub fn parse() -> Result<Cli, ExitCode> {
    Cli::try_parse().map_err(|error| {
        let _ = error.print();
        if error.use_stderr() {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        }
    })
}

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let printer = cli.global.printer();
    let result = match cli.command {
        Command::Validate(args) => validate::run(&printer, &args),
        Command::Plan(args) => plan::run(&printer, &cli.global, &args),
        Command::Apply(args) => apply::run(&printer, &cli.global, &args),
        Command::Status(args) => status::run(&printer, &cli.global, &args),
        Command::Graph(args) => graph::run(&printer, &args),
        Command::Import(args) => import::run(&printer, &cli.global, &args),
        Command::Migrate(args) => migrate::run(&printer, &cli.global, &args),
        Command::Preview(args) => preview::run(&printer, &cli.global, &args),
        Command::Emulator(args) => emulator::run(&printer, &args),
        Command::Completions(args) => completions::run(&printer, &args),
        Command::Schema(args) => schema::run(&printer, &args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Ok(Outcome::Changes) => ExitCode::from(2),
        Err(OpError::Invalid(diagnostics)) => {
            printer.diagnostics(&diagnostics);
            ExitCode::from(1)
        }
        Err(OpError::Failed(error)) => {
            printer.error(&error);
            ExitCode::from(1)
        }
    }
}

/// What every command returns.
type CommandResult = Result<Outcome, OpError>;
