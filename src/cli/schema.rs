//! `railform schema`: the JSON Schema of environment files, for editors (taplo, Even Better
//! TOML: a `#:schema ./railform.schema.json` first line makes them complete and check a file).

use clap::Args;

use super::{CommandResult, Outcome};
use crate::render::Printer;

#[derive(Debug, Args, Clone)]
pub struct SchemaArgs {}

pub fn run(printer: &Printer, _args: &SchemaArgs) -> CommandResult {
    let schema = crate::config::schema::schema();
    let text = serde_json::to_string_pretty(&schema).unwrap_or_default();
    printer.out(&format!("{text}\n"));
    Ok(Outcome::Success)
}
