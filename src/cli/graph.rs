//! `railform graph`: services per environment and the references between them.

use clap::{Args, ValueEnum};

use super::{CommandResult, Outcome, PathArgs};
use crate::config;
use crate::ops::OpError;
use crate::render::{self, Printer};

#[derive(Debug, Args, Clone)]
pub struct GraphArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// Diagram language.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    pub format: GraphFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A mermaid flowchart (renders in GitHub markdown).
    Mermaid,
    /// Graphviz dot.
    Dot,
}

pub fn run(printer: &Printer, args: &GraphArgs) -> CommandResult {
    let model = config::load(&args.paths.paths).map_err(|diagnostics| OpError::Invalid(diagnostics.0))?;
    let graph = render::graph::Graph::of(&model);
    let text = match args.format {
        GraphFormat::Mermaid => graph.mermaid(),
        GraphFormat::Dot => graph.dot(),
    };
    printer.out(&text);
    Ok(Outcome::Success)
}
