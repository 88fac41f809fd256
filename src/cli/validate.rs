//! `railform validate`: read and check the environment files offline.

use super::{CommandResult, Outcome, PathArgs};
use crate::config;
use crate::ops::OpError;
use crate::render::{self, Printer};

pub fn run(printer: &Printer, args: &PathArgs) -> CommandResult {
    let model = config::load(&args.paths).map_err(|diagnostics| OpError::Invalid(diagnostics.0))?;
    printer.out(&render::summary::model(&model));
    Ok(Outcome::Success)
}
