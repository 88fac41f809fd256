//! What `preview up|down|list|prune` show: a preview's URLs as text, a stable JSON document, or a
//! pull-request comment rendered from `templates/preview.md.hbs`; and the progress of `up`, with
//! the plan on stderr so that stdout holds only the result.

use std::path::PathBuf;
use std::time::Duration;

use handlebars::Handlebars;
use serde::Serialize;

use super::progress::ApplyDisplay;
use super::Printer;
use crate::apply::rollout::{Deployed, RolloutProgress};
use crate::apply::{Applied, Progress};
use crate::ops::apply::{ApplyHooks, ApplyOutcome};
use crate::ops::preview::{DeleteHooks, Preview, ServiceUrls, UpHooks, UpResult};
use crate::plan::{Change, Plan};

/// The built-in pull-request comment; a project's `templates/preview.md.hbs` overrides it.
pub const PREVIEW_MARKDOWN_TEMPLATE: &str = include_str!("../../templates/preview.md.hbs");

/// `preview up --format json`, and the context of the markdown template.
#[derive(Debug, Serialize)]
struct UpView<'a> {
    format_version: u32,
    project: &'a str,
    environment: &'a str,
    id: &'a str,
    /// This run created the environment.
    created: bool,
    /// This run changed something (the environment included).
    changed: bool,
    summary_line: String,
    created_at: &'a str,
    age_seconds: Option<u64>,
    source: Option<&'a str>,
    services: &'a [ServiceUrls],
}

impl<'a> UpView<'a> {
    fn new(result: &'a UpResult) -> Self {
        let preview = &result.preview;
        let (changed, summary_line) = match &result.outcome {
            ApplyOutcome::Applied(applied) => (true, super::progress::summary(applied)),
            _ if result.created => (true, "Created.".to_string()),
            _ => (false, "No changes.".to_string()),
        };
        UpView {
            format_version: 1,
            project: &preview.project,
            environment: &preview.name,
            id: &preview.id,
            created: result.created,
            changed,
            summary_line,
            created_at: &preview.created_at,
            age_seconds: preview.age_seconds,
            source: preview.source.as_deref(),
            services: &preview.services,
        }
    }
}

/// `preview up` as text: what happened, then every service's URLs.
pub fn up_text(result: &UpResult) -> String {
    let view = UpView::new(result);
    let verb = match (view.created, view.changed) {
        (true, _) => "created",
        (false, true) => "updated",
        (false, false) => "up to date",
    };
    format!("Preview {} {verb}. {}\n{}", super::printable(view.environment), view.summary_line, urls(view.services))
}

pub fn up_json(result: &UpResult) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&UpView::new(result))?)
}

/// `preview up --format markdown`: the first `preview.md.hbs` found in `template_folders`, else
/// the built-in one.
pub fn up_markdown(result: &UpResult, template_folders: &[PathBuf]) -> anyhow::Result<String> {
    let local = template_folders.iter().find_map(|folder| std::fs::read_to_string(folder.join("preview.md.hbs")).ok());
    let template = local.unwrap_or_else(|| PREVIEW_MARKDOWN_TEMPLATE.to_string());
    let mut handlebars = Handlebars::new();
    handlebars.register_escape_fn(super::plan::escape_markdown);
    handlebars
        .render_template(&template, &UpView::new(result))
        .map_err(|error| anyhow::anyhow!("preview.md.hbs: {error}"))
}

/// One line per service: its name and URLs.
fn urls(services: &[ServiceUrls]) -> String {
    let width = services.iter().map(|s| s.service.chars().count()).max().unwrap_or(0);
    services
        .iter()
        .map(|s| {
            let shown = if s.urls.is_empty() { "(no public URL)".to_string() } else { s.urls.join(" ") };
            format!("  {:width$}  {shown}\n", super::printable(&s.service))
        })
        .collect()
}

#[derive(Debug, Serialize)]
struct ListView<'a> {
    format_version: u32,
    previews: &'a [Preview],
}

/// `preview list` as text: one line per preview (name, age, source, URLs), oldest first.
pub fn list_text(previews: &[Preview]) -> String {
    if previews.is_empty() {
        return "No preview environments.".to_string();
    }
    let rows: Vec<[String; 4]> = previews
        .iter()
        .map(|p| {
            let urls: Vec<&str> = p.services.iter().flat_map(|s| s.urls.iter().map(String::as_str)).collect();
            [
                super::printable(&p.name).into_owned(),
                age(p.age_seconds),
                p.source.as_deref().map_or("-".to_string(), |s| super::printable(s).into_owned()),
                if urls.is_empty() { "-".to_string() } else { urls.join(" ") },
            ]
        })
        .collect();
    let header = ["NAME".to_string(), "AGE".to_string(), "FROM".to_string(), "URLS".to_string()];
    let widths: Vec<usize> = (0..3)
        .map(|i| std::iter::once(&header).chain(&rows).map(|r| r[i].chars().count()).max().unwrap_or(0))
        .collect();
    std::iter::once(&header)
        .chain(&rows)
        .map(|r| {
            format!(
                "{:w0$}  {:w1$}  {:w2$}  {}\n",
                r[0],
                r[1],
                r[2],
                r[3],
                w0 = widths[0],
                w1 = widths[1],
                w2 = widths[2]
            )
        })
        .collect()
}

pub fn list_json(previews: &[Preview]) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&ListView { format_version: 1, previews })?)
}

/// `3d 4h`, `2h 5m`, `7m`, `40s` (see [`crate::clock::age_in_words`]); `?` when unknown.
pub fn age(seconds: Option<u64>) -> String {
    seconds.map_or_else(|| "?".to_string(), crate::clock::age_in_words)
}

/// The progress of `preview up` (an apply's, with the plan on stderr) and the question before a
/// delete.
pub struct PreviewDisplay {
    apply: ApplyDisplay,
    printer: Printer,
    /// `--yes`: deletes are not asked about.
    yes: bool,
}

impl PreviewDisplay {
    pub fn new(printer: &Printer, yes: bool) -> Self {
        // As with `apply --format json`: stdout holds only the result.
        PreviewDisplay { apply: ApplyDisplay::new(printer, true), printer: printer.clone(), yes }
    }
}

impl Progress for PreviewDisplay {
    fn step(&self, index: usize, total: usize, change: &Change) {
        self.apply.step(index, total, change);
    }

    fn finished(&self, total: usize) {
        self.apply.finished(total);
    }
}

impl RolloutProgress for PreviewDisplay {
    fn deployment(&self, deployed: &Deployed, elapsed: Duration) {
        self.apply.deployment(deployed, elapsed);
    }
}

impl ApplyHooks for PreviewDisplay {
    fn planned(&self, plan: &Plan) {
        if !plan.changes.is_empty() {
            self.printer.status(super::plan::text(plan, false, self.printer.color).trim_end());
        }
    }

    fn confirm(&self, _plan: &Plan) -> anyhow::Result<bool> {
        Ok(true)
    }

    fn stopped(&self, applied: &Applied) {
        self.apply.stopped(applied);
    }
}

impl UpHooks for PreviewDisplay {
    fn creating(&self, name: &str, base: &str) {
        self.printer.status(&format!(
            "creating preview environment {} as a copy of {}",
            super::printable(name),
            super::printable(base)
        ));
    }
}

impl DeleteHooks for PreviewDisplay {
    fn confirm_delete(&self, environments: &[&Preview]) -> anyhow::Result<bool> {
        if self.yes {
            return Ok(true);
        }
        let names: Vec<String> = environments
            .iter()
            .map(|p| format!("{} ({} old)", super::printable(&p.name), age(p.age_seconds)))
            .collect();
        self.printer.status(&format!("About to delete, with their databases and volumes: {}", names.join(", ")));
        Ok(self.printer.ask("Delete? Only 'yes' will be accepted: ")? == "yes")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_at_a_glance() {
        assert_eq!(age(Some(40)), "40s");
        assert_eq!(age(Some(7 * 60 + 3)), "7m");
        assert_eq!(age(Some(2 * 3600 + 5 * 60)), "2h 5m");
        assert_eq!(age(Some(3 * 86_400 + 4 * 3600 + 59)), "3d 4h");
        assert_eq!(age(None), "?");
    }
}
