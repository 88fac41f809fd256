//! Apply progress: a progress bar on a terminal; elsewhere (CI) quiet, or one line per step with
//! `-v`. Then the closing summaries. Addresses and actions only, never values.

use indicatif::{ProgressBar, ProgressStyle};

use super::Printer;
use crate::apply::{Applied, Progress};
use crate::plan::Change;

/// Shows apply's progress on stderr.
pub struct ProgressDisplay {
    bar: Option<ProgressBar>,
    printer: Printer,
}

impl ProgressDisplay {
    pub fn new(printer: &Printer) -> Self {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = (terminal && !printer.quiet).then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
                bar.set_style(style);
            }
            bar
        });
        ProgressDisplay { bar, printer: printer.clone() }
    }
}

impl Progress for ProgressDisplay {
    fn step(&self, index: usize, total: usize, change: &Change) {
        let line = format!("{} {:?} {}", change.action.sign(), change.action, change.address);
        match &self.bar {
            Some(bar) => {
                bar.set_length(total as u64);
                bar.set_position(index as u64);
                bar.set_message(line);
            }
            None => self.printer.verbose(&format!("[{}/{total}] {line}", index + 1)),
        }
    }

    fn finished(&self, total: usize) {
        if let Some(bar) = &self.bar {
            bar.set_position(total as u64);
            bar.finish_and_clear();
        }
    }
}

/// The closing line of a completed apply.
pub fn summary(applied: &Applied) -> String {
    format!("Apply complete: {} change(s) made, {} deploy(s) started.", applied.done.len(), applied.deploys)
}

/// What an interrupted apply had done before it stopped.
pub fn interrupted(applied: &Applied) -> String {
    if applied.done.is_empty() {
        return "Apply stopped before changing anything.".to_string();
    }
    format!("Apply stopped after {} change(s):\n  {}", applied.done.len(), applied.done.join("\n  "))
}
