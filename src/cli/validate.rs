//! `railform validate`: read and check the environment files offline.

use super::{Outcome, PathArgs};
use crate::render::Printer;

pub fn run(_printer: &Printer, _args: &PathArgs) -> anyhow::Result<Outcome> {
    anyhow::bail!("validate is not built yet")
}
