//! `railform graph`: services per environment and the references between them.

use clap::{Args, ValueEnum};

use super::{Outcome, PathArgs};
use crate::config;
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

pub fn run(printer: &Printer, args: &GraphArgs) -> anyhow::Result<Outcome> {
    let model = match config::load(&args.paths.paths) {
        Ok(model) => model,
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics.0);
            return Ok(Outcome::Failure);
        }
    };
    let graph = render::graph::Graph::of(&model);
    let text = match args.format {
        GraphFormat::Mermaid => graph.mermaid(),
        GraphFormat::Dot => graph.dot(),
    };
    printer.out(&text);
    Ok(Outcome::Success)
}
