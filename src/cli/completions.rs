//! `railform completions SHELL`: a completion script generated from the clap definitions.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use super::{Cli, CommandResult, Outcome};
use crate::render::Printer;

#[derive(Debug, Args, Clone)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    pub shell: Shell,
}

pub fn run(printer: &Printer, args: &CompletionsArgs) -> CommandResult {
    let mut buffer = Vec::new();
    clap_complete::generate(args.shell, &mut Cli::command(), "railform", &mut buffer);
    printer.out(&String::from_utf8_lossy(&buffer));
    Ok(Outcome::Success)
}
