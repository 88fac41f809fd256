//! `railform migrate`: every railway.toml / railway.json of a repository into environment
//! files, with a table of what went where.

use std::path::PathBuf;

use clap::Args;

use super::{CommandResult, GlobalArgs, Outcome};
use crate::ops::migrate::{self, MigrateSettings};
use crate::ops::session;
use crate::render::{self, Printer};

#[derive(Debug, Args, Clone)]
pub struct MigrateArgs {
    /// The repository (or the folder of it) to search for railway.toml and railway.json files;
    /// .gitignore is respected, hidden folders and node_modules are skipped.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
    /// The folder of environment files to write into: files already there are merged into
    /// (comments and order kept), others are created.
    #[arg(long, value_name = "DIR", default_value = "environments")]
    pub output: PathBuf,
    /// The Railway project (name or id). Given, migrate reads it (the same requests as a plan)
    /// to find each file's service by its configFile and to write every environment's file.
    #[arg(long, value_name = "NAME")]
    pub project: Option<String>,
    /// An environment to write a file for (repeat it); default: the live project's, or
    /// `production` and every `environments.<name>` block.
    #[arg(long = "environment", value_name = "NAME")]
    pub environments: Vec<String>,
    /// Pin the service a folder's config file configures (repeat it), as in
    /// `--service apps/api=platform-api`.
    #[arg(long = "service", value_name = "DIR=NAME")]
    pub services: Vec<String>,
    /// The environment whose file the preview file (from `environments.pr`) extends; default:
    /// the base file.
    #[arg(long, value_name = "ENV")]
    pub preview_base: Option<String>,
    /// Print what would go where, write nothing.
    #[arg(long)]
    pub dry_run: bool,
}

pub fn run(printer: &Printer, global: &GlobalArgs, args: &MigrateArgs) -> CommandResult {
    let settings = MigrateSettings {
        dir: args.dir.clone(),
        output: args.output.clone(),
        project: args.project.clone(),
        environments: args.environments.clone(),
        services: args.services.clone(),
        preview_base: args.preview_base.clone(),
        dry_run: args.dry_run,
    };
    let session = match &args.project {
        Some(_) => Some(global.connect(printer)?),
        None => None,
    };
    let migrated = session::runtime()?.block_on(migrate::run(session.as_ref(), &settings))?;
    printer.out(&render::migrate::table(&migrated));
    for line in render::migrate::summary(&migrated) {
        printer.result(&line);
    }
    Ok(Outcome::Success)
}
