//! `railform preview up|down|list|prune`: ephemeral environments for pull requests.

use std::io::IsTerminal;
use std::path::Path;
use std::time::Duration;

use clap::{Args, Subcommand, ValueEnum};

use super::{CommandResult, GlobalArgs, Outcome, PathArgs, SourceArgs};
use crate::apply::rollout::Waiting;
use crate::config;
use crate::ops::duration;
use crate::ops::preview::{self, DownOutcome, ProjectSettings, UpSettings};
use crate::ops::session;
use crate::render::preview::{self as show, PreviewDisplay};
use crate::render::Printer;

#[derive(Debug, Args)]
pub struct PreviewArgs {
    #[command(subcommand)]
    pub command: PreviewCommand,
}

#[derive(Debug, Subcommand)]
pub enum PreviewCommand {
    /// Create the ephemeral environment NAME (a copy of the preview file's base) or update it,
    /// apply the preview file to it, deploy, and print every service's URL.
    Up(UpArgs),
    /// Delete the ephemeral environment NAME with its databases; any other environment is refused.
    Down(DownArgs),
    /// Show the ephemeral environments of the project, with their age and URLs.
    List(ListArgs),
    /// Delete the ephemeral environments older than a duration.
    Prune(PruneArgs),
}

#[derive(Debug, Args)]
pub struct UpArgs {
    /// The preview environment's name, as `pr-42`.
    pub name: String,
    #[command(flatten)]
    pub sources: SourceArgs,
    /// Copy a new preview from this environment (default: the environment of the file the preview
    /// file extends).
    #[arg(long, value_name = "ENV")]
    pub base: Option<String>,
    /// Follow every deployment until it succeeds or fails.
    #[arg(long)]
    pub wait: bool,
    /// How long `--wait` waits, as `90s`, `15m` or `1h`.
    #[arg(long, value_name = "DURATION", default_value = "15m", value_parser = duration::parse)]
    pub timeout: Duration,
    /// text for people, json for programs, markdown for a pull-request comment
    /// (templates/preview.md.hbs).
    #[arg(long, value_enum, default_value_t = UpFormat::Text)]
    pub format: UpFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum UpFormat {
    Text,
    Json,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct DownArgs {
    /// The preview environment to delete.
    pub name: String,
    /// The files that name the project (its preview file, or its environment files).
    #[command(flatten)]
    pub paths: PathArgs,
    /// Do not ask for confirmation (for CI).
    #[arg(long)]
    pub yes: bool,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    #[arg(long, value_enum, default_value_t = ListFormat::Text)]
    pub format: ListFormat,
}

#[derive(Debug, Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// Delete the previews created longer ago than this, as `7d` or `36h`.
    #[arg(long, value_name = "DURATION", value_parser = duration::parse)]
    pub older_than: Duration,
    /// Do not ask for confirmation (for CI).
    #[arg(long)]
    pub yes: bool,
}

pub fn run(printer: &Printer, global: &GlobalArgs, args: &PreviewArgs) -> CommandResult {
    match &args.command {
        PreviewCommand::Up(up) => run_up(printer, global, up),
        PreviewCommand::Down(down) => run_down(printer, global, down),
        PreviewCommand::List(list) => run_list(printer, global, list),
        PreviewCommand::Prune(prune) => run_prune(printer, global, prune),
    }
}

fn run_up(printer: &Printer, global: &GlobalArgs, args: &UpArgs) -> CommandResult {
    let settings = UpSettings {
        sources: args.sources.sources(),
        name: args.name.clone(),
        base: args.base.clone(),
        target: global.lock_target(),
        waiting: Waiting { timeout: args.wait.then_some(args.timeout), rollback_on_failure: false },
    };
    let display = PreviewDisplay::new(printer, true);
    let result = session::runtime()?.block_on(preview::up(|| global.connect(printer), &settings, &display))?;
    let shown = match args.format {
        UpFormat::Text => show::up_text(&result),
        UpFormat::Json => show::up_json(&result)?,
        UpFormat::Markdown => {
            let first = args.sources.paths.paths.first().map_or(Path::new("environments"), |p| p.as_path());
            let anchor = if first.is_dir() { first.join("preview.toml") } else { first.to_path_buf() };
            show::up_markdown(&result, &config::templates::local_folders(&anchor))?
        }
    };
    printer.out(&shown);
    Ok(Outcome::Success)
}

/// A delete asks on a terminal; elsewhere it needs `--yes`.
fn confirmable(yes: bool, what: &str) -> Result<(), crate::ops::OpError> {
    if !yes && !std::io::stdin().is_terminal() {
        return Err(anyhow::anyhow!("{what} needs confirmation: run it on a terminal, or pass --yes (as in CI)").into());
    }
    Ok(())
}

fn run_down(printer: &Printer, global: &GlobalArgs, args: &DownArgs) -> CommandResult {
    confirmable(args.yes, "preview down")?;
    let session = global.connect(printer)?;
    let project = ProjectSettings { paths: args.paths.paths.clone() };
    let display = PreviewDisplay::new(printer, args.yes);
    match session::runtime()?.block_on(preview::down(&session, &project, &args.name, &display))? {
        DownOutcome::Deleted(deleted) => {
            printer.result(&format!("Preview {} deleted.", crate::render::printable(&deleted.name)));
            Ok(Outcome::Success)
        }
        DownOutcome::Missing { project } => {
            printer.result(&format!(
                "Project {} has no environment {}: nothing to delete.",
                crate::render::printable(&project),
                crate::render::printable(&args.name)
            ));
            Ok(Outcome::Success)
        }
        DownOutcome::Cancelled => {
            printer.result("Cancelled; nothing was deleted.");
            Ok(Outcome::Failure)
        }
    }
}

fn run_list(printer: &Printer, global: &GlobalArgs, args: &ListArgs) -> CommandResult {
    let session = global.connect(printer)?;
    let project = ProjectSettings { paths: args.paths.paths.clone() };
    let previews = session::runtime()?.block_on(preview::list(&session, &project))?;
    let shown = match args.format {
        ListFormat::Text => show::list_text(&previews),
        ListFormat::Json => show::list_json(&previews)?,
    };
    printer.out(&shown);
    Ok(Outcome::Success)
}

fn run_prune(printer: &Printer, global: &GlobalArgs, args: &PruneArgs) -> CommandResult {
    confirmable(args.yes, "preview prune")?;
    let session = global.connect(printer)?;
    let project = ProjectSettings { paths: args.paths.paths.clone() };
    let display = PreviewDisplay::new(printer, args.yes);
    let pruned = session::runtime()?.block_on(preview::prune(&session, &project, args.older_than, &display))?;
    for name in &pruned.undated {
        printer.status(&format!(
            "kept preview {}: Railway's creation time of it cannot be read",
            crate::render::printable(name)
        ));
    }
    if pruned.cancelled {
        printer.result("Cancelled; nothing was deleted.");
        return Ok(Outcome::Failure);
    }
    let names: Vec<String> = pruned.deleted.iter().map(|p| crate::render::printable(&p.name).into_owned()).collect();
    printer.result(&match names.len() {
        0 => "No preview is older than that: nothing to delete.".to_string(),
        n => format!("Deleted {n} preview(s): {}.", names.join(", ")),
    });
    Ok(Outcome::Success)
}
