//! What a person sees of an apply: the plan before it asks, the question, a progress bar on a
//! terminal (elsewhere, CI, quiet or one line per step with `-v`), then the closing summaries.
//! Addresses and actions only, never values.

use indicatif::{ProgressBar, ProgressStyle};

use super::Printer;
use std::time::Duration;

use crate::apply::rollout::{Deployed, RolloutProgress};
use crate::apply::{Applied, Progress};
use crate::ops::apply::ApplyHooks;
use crate::plan::{Change, Plan};

/// Shows an apply on the terminal.
pub struct ApplyDisplay {
    bar: Option<ProgressBar>,
    printer: Printer,
}

impl ApplyDisplay {
    pub fn new(printer: &Printer) -> Self {
        let terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let bar = (terminal && !printer.quiet).then(|| {
            let bar = ProgressBar::new(0);
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
                bar.set_style(style);
            }
            bar
        });
        ApplyDisplay { bar, printer: printer.clone() }
    }
}

impl Progress for ApplyDisplay {
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

impl RolloutProgress for ApplyDisplay {
    /// One line per state change of a deployment (above the bar on a terminal).
    fn deployment(&self, deployed: &Deployed, elapsed: Duration) {
        let mut line = format!(
            "  {} {}: {} ({:.1} s)",
            if deployed.failed() { "✗" } else { "↻" },
            super::printable(&deployed.address),
            deployed.status,
            elapsed.as_secs_f64()
        );
        if let Some(id) = &deployed.deployment_id {
            line.push_str(&format!(" deployment {id}"));
        }
        if let Some(earlier) = &deployed.rolled_back_to {
            line.push_str(&format!(", rolled back to {earlier}"));
        }
        match &self.bar {
            Some(bar) => bar.println(line),
            None => self.printer.status(&line),
        }
    }
}

impl ApplyHooks for ApplyDisplay {
    fn planned(&self, plan: &Plan) {
        self.printer.detail(&super::plan::text(plan, false, self.printer.color));
    }

    fn confirm(&self, _plan: &Plan) -> anyhow::Result<bool> {
        Ok(self.printer.ask("Apply these changes? Only 'yes' will be accepted: ")? == "yes")
    }

    fn stopped(&self, applied: &Applied) {
        self.printer.result(&interrupted(applied));
    }
}

/// The closing line of a completed apply, in the words and counts of the plan's closing line.
pub fn summary(applied: &Applied) -> String {
    let done = applied.summary();
    format!(
        "Apply complete: {} added, {} changed, {} destroyed, {} renamed; {} deploy(s) started.",
        done.add, done.change, done.destroy, done.rename, done.deploy
    )
}

/// What an interrupted apply had done before it stopped.
pub fn interrupted(applied: &Applied) -> String {
    if applied.done.is_empty() {
        return "Apply stopped before changing anything.".to_string();
    }
    let lines: Vec<String> =
        applied.done.iter().map(|c| format!("{} {}", c.action.sign(), super::printable(&c.address))).collect();
    format!("Apply stopped after {} change(s):\n  {}", applied.done.len(), lines.join("\n  "))
}
