//! The `railform` binary: parse the command line, run it, turn the outcome into an exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    match railform::cli::parse() {
        Ok(cli) => railform::cli::run(cli),
        Err(code) => code,
    }
}
