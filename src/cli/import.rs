//! `railform import`: write a live environment as an environment file that plans `No changes.`.

use std::path::PathBuf;

use clap::Args;

use super::{CommandResult, GlobalArgs, Outcome};
use crate::import::SecretsMode;
use crate::ops::import::{self, ImportSettings};
use crate::ops::session;
use crate::render::{self, Printer};

#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    /// The Railway project: its id, or its name.
    #[arg(long, value_name = "NAME_OR_ID")]
    pub project: String,
    /// The environment to import.
    #[arg(long, value_name = "NAME")]
    pub environment: String,
    /// Write the environment file to FILE (replacing it) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write FILE: what every environment of the project shares, which the output file
    /// then extends (import each environment with the same --base).
    #[arg(long, value_name = "FILE", requires = "output")]
    pub base: Option<PathBuf>,
    /// What to write for values that look like credentials: `preserve` (Railway keeps them and
    /// the file plans clean at once) or `from-env` (railform manages them, read from environment
    /// variables you export; import lists them).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = SecretsArg::Preserve)]
    pub secrets: SecretsArg,
}

/// `--secrets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretsArg {
    Preserve,
    FromEnv,
}

impl From<SecretsArg> for SecretsMode {
    fn from(arg: SecretsArg) -> Self {
        match arg {
            SecretsArg::Preserve => SecretsMode::Preserve,
            SecretsArg::FromEnv => SecretsMode::FromEnv,
        }
    }
}

pub fn run(printer: &Printer, global: &GlobalArgs, args: &ImportArgs) -> CommandResult {
    let settings = ImportSettings {
        project: args.project.clone(),
        environment: args.environment.clone(),
        output: args.output.clone(),
        base: args.base.clone(),
        secrets: SecretsMode::from(args.secrets),
    };
    let session = global.connect(printer)?;
    let imported = session::runtime()?.block_on(import::run(&session, &settings))?;
    if let Some(text) = &imported.text {
        printer.out(text);
    }
    for note in render::import::notes(&imported) {
        printer.result(&note);
    }
    Ok(Outcome::Success)
}
