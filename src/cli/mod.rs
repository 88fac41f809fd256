//! The command line: clap derive types (their doc comments are the `--help` text) and one thin
//! file per command. Each command returns an [`Outcome`]; [`run`] maps it to an exit code.

pub mod apply;
mod completions;
mod emulator;
mod graph;
mod import;
pub mod plan;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::render::Printer;

/// Railway infrastructure as code: plan and apply per-environment TOML files.
#[derive(Debug, Parser)]
#[command(name = "railform", version, about, propagate_version = true)]
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
    #[arg(long, global = true, env = "RAILFORM_ENDPOINT", default_value = "https://backboard.railway.com/graphql/v2")]
    pub endpoint: String,
    /// Start a local emulator in-process (state in .railform/emulator.json) instead of Railway.
    #[arg(long, global = true)]
    pub emulator: bool,
    /// Print more about what railform does (requests, timings); secrets stay masked.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Print only errors and the result.
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

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check environment files offline: syntax, types, references, templates, renames.
    Validate(PathArgs),
    /// Show what apply would change: the files against Railway's live state.
    Plan(plan::PlanArgs),
    /// Carry out the plan: create, rename, rewrite references, set variables, deploy once.
    Apply(apply::ApplyArgs),
    /// Draw the services of each environment and the references between them.
    Graph(graph::GraphArgs),
    /// Write a live environment as an environment file that plans `No changes.`.
    Import(import::ImportArgs),
    /// Serve a local emulator of Railway's GraphQL API.
    Emulator(emulator::EmulatorArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    Completions(completions::CompletionsArgs),
}

/// Environment files or folders to read.
#[derive(Debug, Args, Clone)]
pub struct PathArgs {
    /// Environment files or folders holding them.
    #[arg(default_value = "environments")]
    pub paths: Vec<PathBuf>,
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

/// Runs a parsed command line and returns the process exit code.
pub fn run(cli: Cli) -> ExitCode {
    let printer = Printer::new(&cli.global);
    let result = match cli.command {
        Command::Validate(args) => validate::run(&printer, &args),
        Command::Plan(args) => plan::run(&printer, &cli.global, &args),
        Command::Apply(args) => apply::run(&printer, &cli.global, &args),
        Command::Graph(args) => graph::run(&printer, &args),
        Command::Import(args) => import::run(&printer, &cli.global, &args),
        Command::Emulator(args) => emulator::run(&printer, &args),
        Command::Completions(args) => completions::run(&printer, &args),
    };
    match result {
        Ok(Outcome::Success) => ExitCode::SUCCESS,
        Ok(Outcome::Failure) => ExitCode::from(1),
        Ok(Outcome::Changes) => ExitCode::from(2),
        Err(error) => {
            printer.error(&error);
            ExitCode::from(1)
        }
    }
}
