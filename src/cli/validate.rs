//! `railform validate`: read and check the environment files offline.

use super::{Outcome, PathArgs};
use crate::config;
use crate::render::{self, Printer};

pub fn run(printer: &Printer, args: &PathArgs) -> anyhow::Result<Outcome> {
    match config::load(&args.paths) {
        Ok(model) => {
            printer.out(&render::summary::model(&model));
            Ok(Outcome::Success)
        }
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics.0);
            Ok(Outcome::Failure)
        }
    }
}
