//! The only code that writes to the terminal: results on stdout, diagnostics, progress and
//! errors on stderr, coloured when the terminal and `--color`/`NO_COLOR` allow.

pub mod graph;
pub mod import;
pub mod migrate;
pub mod plan;
pub mod preview;
pub mod progress;
pub mod requests;
pub mod status;
pub mod summary;

use std::io::{IsTerminal, Write};

pub use crate::diag::printable;
use crate::diag::Diagnostic;

/// Most diagnostics drawn in one run; the rest are counted, not drawn.
pub const MAX_DIAGNOSTICS_SHOWN: usize = 100;

/// When to colour output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColorWhen {
    /// On a terminal, unless `NO_COLOR` is set.
    Auto,
    Always,
    Never,
}

/// Owns stdout and stderr for one run.
#[derive(Debug, Clone)]
pub struct Printer {
    pub color: bool,
    pub quiet: bool,
    pub verbose: u8,
}

impl Printer {
    /// A printer for one run: `quiet` keeps only errors and results, `verbose` adds detail.
    pub fn new(color: ColorWhen, quiet: bool, verbose: u8) -> Self {
        let color = match color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && std::io::stdout().is_terminal()
            }
        };
        Printer { color, quiet, verbose }
    }

    /// A result: the thing the user asked for (a plan, a graph). Always printed.
    pub fn out(&self, text: &str) {
        self.write_stdout(text);
    }

    /// Output on stdout that is not the result (the plan `apply` shows before it asks):
    /// hidden by `--quiet`.
    pub fn detail(&self, text: &str) {
        if !self.quiet {
            self.write_stdout(text);
        }
    }

    /// A closing result line on stderr (`Apply complete…`, what to export after import): shown
    /// even with `--quiet`, which hides only progress and commentary.
    pub fn result(&self, text: &str) {
        eprintln!("{text}");
    }

    fn write_stdout(&self, text: &str) {
        let mut stdout = std::io::stdout().lock();
        let _ = stdout.write_all(text.as_bytes());
        if !text.ends_with('\n') {
            let _ = stdout.write_all(b"\n");
        }
        let _ = stdout.flush();
    }

    /// A status line on stderr, hidden by `--quiet`.
    pub fn status(&self, text: &str) {
        if !self.quiet {
            eprintln!("{text}");
        }
    }

    /// Detail shown with `-v`.
    pub fn verbose(&self, text: &str) {
        if self.verbose > 0 {
            eprintln!("{text}");
        }
    }

    /// Config diagnostics, each with its location and snippet, then a count. Only the first
    /// [`MAX_DIAGNOSTICS_SHOWN`] are drawn: a hostile file with thousands of mistakes gets a
    /// readable answer of bounded size, and the count still says how many there are.
    pub fn diagnostics(&self, diagnostics: &[Diagnostic]) {
        let mut stderr = std::io::stderr().lock();
        for diagnostic in diagnostics.iter().take(MAX_DIAGNOSTICS_SHOWN) {
            let _ = writeln!(stderr, "{}\n", diagnostic.render(self.color));
        }
        if let Some(hidden) = diagnostics.len().checked_sub(MAX_DIAGNOSTICS_SHOWN).filter(|&n| n > 0) {
            let _ = writeln!(stderr, "… and {hidden} more not shown (fix the first ones and run again)\n");
        }
        let errors = diagnostics.len();
        let _ = writeln!(stderr, "{}", crate::diag::summary(errors, self.color));
    }

    /// Asks a question on the terminal and returns the answer, trimmed.
    pub fn ask(&self, question: &str) -> std::io::Result<String> {
        eprint!("{question}");
        std::io::stderr().flush()?;
        let mut answer = String::new();
        std::io::stdin().read_line(&mut answer)?;
        Ok(answer.trim().to_string())
    }

    /// A fatal error with its chain of causes.
    pub fn error(&self, error: &anyhow::Error) {
        let mut stderr = std::io::stderr().lock();
        let label = if self.color { "\x1b[1;31merror\x1b[0m" } else { "error" };
        let _ = writeln!(stderr, "{label}: {error}");
        for cause in error.chain().skip(1) {
            let _ = writeln!(stderr, "  caused by: {cause}");
        }
    }
}
