//! What a person sees of an apply: the plan before it asks, the question, a progress bar on a
//! terminal (elsewhere, CI, quiet or one line per step with `-v`), one live line per deployment
//! on a terminal (one line per state change elsewhere), then the closing summaries — or, with
//! `--format json`, one document for CI. Addresses and actions only, never values.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use serde_json::json;

use super::plan::ChangeView;
use super::Printer;
use crate::apply::rollout::{Deployed, RolloutProgress};
use crate::apply::{Applied, Progress};
use crate::ops::apply::ApplyHooks;
use crate::plan::{Change, Plan, FORMAT_VERSION};

/// Shows an apply on the terminal.
pub struct ApplyDisplay {
    /// The bars on a terminal: the steps, then one line per deployment.
    terminal: Option<Terminal>,
    printer: Printer,
    /// `--format json`: the plan goes to stderr, and stdout gets only the closing document.
    json: bool,
    /// What an apply that stopped had done, for the closing document.
    stopped: Mutex<Option<Applied>>,
}

struct Terminal {
    bars: MultiProgress,
    steps: ProgressBar,
    deployments: Mutex<BTreeMap<String, ProgressBar>>,
}

impl ApplyDisplay {
    /// A display for `printer`; `json` for `--format json`.
    pub fn new(printer: &Printer, json: bool) -> Self {
        let on_terminal = std::io::IsTerminal::is_terminal(&std::io::stderr());
        let terminal = (on_terminal && !printer.quiet).then(|| {
            let bars = MultiProgress::with_draw_target(ProgressDrawTarget::stderr());
            let steps = bars.add(ProgressBar::new(0));
            if let Ok(style) = ProgressStyle::with_template("{bar:30} {pos}/{len} {msg}") {
                steps.set_style(style);
            }
            Terminal { bars, steps, deployments: Mutex::new(BTreeMap::new()) }
        });
        ApplyDisplay { terminal, printer: printer.clone(), json, stopped: Mutex::new(None) }
    }

    /// The closing document of `apply --format json`: the outcome (`applied`, `no_changes`,
    /// `cancelled`, `failed`), the changes made (values masked as in a plan), every deployment
    /// with its final status, the custom domains still waiting for DNS, and the error of a
    /// failed apply.
    pub fn json_document(&self, outcome: &str, applied: Option<&Applied>, error: Option<&str>) -> String {
        let stopped = self.stopped.lock().ok().and_then(|stopped| stopped.clone());
        let applied = applied.cloned().or(stopped).unwrap_or_default();
        let changes: Vec<ChangeView> = applied.done.iter().map(|about| ChangeView::new(about, false)).collect();
        let document = json!({
            "format_version": FORMAT_VERSION,
            "outcome": outcome,
            "changes": changes,
            "deployments": applied.deployments,
            "dns": applied.dns,
            "summary": applied.summary(),
            // JSON escapes control characters itself; line breaks stay line breaks.
            "error": error,
        });
        serde_json::to_string_pretty(&document).unwrap_or_default()
    }
}

impl Progress for ApplyDisplay {
    fn step(&self, index: usize, total: usize, change: &Change) {
        let line = format!("{} {:?} {}", change.action.sign(), change.action, change.address);
        match &self.terminal {
            Some(terminal) => {
                terminal.steps.set_length(total as u64);
                terminal.steps.set_position(index as u64);
                terminal.steps.set_message(line);
            }
            None => self.printer.verbose(&format!("[{}/{total}] {line}", index + 1)),
        }
    }

    fn finished(&self, total: usize) {
        if let Some(terminal) = &self.terminal {
            terminal.steps.set_position(total as u64);
            terminal.finish();
        }
    }
}

impl Terminal {
    /// Clears the steps bar; deployments keep their last line (also those not followed).
    fn finish(&self) {
        if !self.steps.is_finished() {
            self.steps.finish_and_clear();
        }
        if let Ok(deployments) = self.deployments.lock() {
            deployments.values().filter(|bar| !bar.is_finished()).for_each(ProgressBar::abandon);
        }
    }
}

impl Drop for ApplyDisplay {
    /// An apply that stopped part-way leaves no bar behind the error that follows.
    fn drop(&mut self) {
        if let Some(terminal) = &self.terminal {
            terminal.finish();
        }
    }
}

impl RolloutProgress for ApplyDisplay {
    /// On a terminal, one live line per deployment (its state and how long it has run); elsewhere
    /// one line per state change, for CI logs.
    fn deployment(&self, deployed: &Deployed, elapsed: Duration) {
        let Some(terminal) = &self.terminal else {
            self.printer.status(&deployment_line(deployed, Some(elapsed)));
            return;
        };
        let Ok(mut bars) = terminal.deployments.lock() else { return };
        let bar = bars.entry(deployed.address.clone()).or_insert_with(|| {
            let bar = terminal.bars.add(ProgressBar::new_spinner());
            if let Ok(style) = ProgressStyle::with_template("  {spinner} {msg} ({elapsed})") {
                bar.set_style(style);
            }
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        if deployed.ended() {
            // The last line keeps the time the deployment took, without the ticking clock.
            if let Ok(style) = ProgressStyle::with_template("  {msg}") {
                bar.set_style(style);
            }
            bar.finish_with_message(deployment_line(deployed, Some(elapsed)).trim_start().to_string());
        } else {
            bar.set_message(deployment_line(deployed, None).trim_start().to_string());
        }
    }
}

/// `↻ production/api: BUILDING (3.2 s) deployment d-1`; the elapsed time left out when a live
/// line shows its own.
fn deployment_line(deployed: &Deployed, elapsed: Option<Duration>) -> String {
    let mut line = format!(
        "  {} {}: {}",
        if deployed.failed() && deployed.ended() { "✗" } else { "↻" },
        super::printable(&deployed.address),
        deployed.status,
    );
    if let Some(elapsed) = elapsed {
        line.push_str(&format!(" ({:.1} s)", elapsed.as_secs_f64()));
    }
    if let Some(id) = &deployed.deployment_id {
        line.push_str(&format!(" deployment {id}"));
    }
    if let Some(earlier) = &deployed.rolled_back_to {
        line.push_str(&format!(", rolled back to {earlier}"));
    }
    line
}

impl ApplyHooks for ApplyDisplay {
    fn planned(&self, plan: &Plan) {
        let text = super::plan::text(plan, false, self.printer.color);
        if self.json {
            self.printer.status(&text);
        } else {
            self.printer.detail(&text);
        }
    }

    fn confirm(&self, _plan: &Plan) -> anyhow::Result<bool> {
        Ok(self.printer.ask("Apply these changes? Only 'yes' will be accepted: ")? == "yes")
    }

    fn stopped(&self, applied: &Applied) {
        if let Ok(mut stopped) = self.stopped.lock() {
            *stopped = Some(applied.clone());
        }
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
