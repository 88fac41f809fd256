//! A [`Plan`] as people and programs read it: Terraform-like text, a stable JSON document, and
//! a markdown report (rendered from `templates/plan.md.hbs`) for pull-request comments. All
//! three come from one [`PlanView`], which is where values are hidden or masked.

use std::fmt::Write;
use std::path::PathBuf;

use handlebars::Handlebars;
use serde::Serialize;

use super::printable;
use crate::plan::{About, Action, Kind, Plan, Summary, Unmanaged, FORMAT_VERSION, MASK};

/// The built-in markdown report template; a project's `templates/plan.md.hbs` overrides it.
pub const PLAN_MARKDOWN_TEMPLATE: &str = include_str!("../../templates/plan.md.hbs");

/// The public document: `--format json`, and the context of the markdown template.
#[derive(Debug, Clone, Serialize)]
pub struct PlanView {
    pub format_version: u32,
    pub changes: Vec<ChangeView>,
    pub unmanaged: Vec<Unmanaged>,
    pub warnings: Vec<String>,
    pub summary: Summary,
    /// Changes per environment, in plan order, each with its own summary.
    pub environments: Vec<EnvironmentView>,
    /// `Plan: …` or `No changes.`
    pub summary_line: String,
}

/// A change as shown: the plan's own [`About`] with values masked or hidden, and words for it.
#[derive(Debug, Clone, Serialize)]
pub struct ChangeView {
    #[serde(flatten)]
    pub about: About,
    /// True when `before`/`after` were left out (`null`) because `--show-values` was not given;
    /// a sensitive value is never shown and reads `(sensitive)` instead.
    pub hidden: bool,
    /// `+`, `~`, `-`, `>` or `↻`.
    pub sign: &'static str,
    /// What happens, in words: `create variable`, `rename service`, `rewrite reference`, `deploy`.
    pub description: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct EnvironmentView {
    pub project: String,
    /// Empty for project-wide changes (service renames and creates).
    pub name: String,
    pub changes: Vec<ChangeView>,
    pub unmanaged: Vec<Unmanaged>,
    pub summary: Summary,
    pub summary_line: String,
}

impl PlanView {
    /// The view of `plan`; non-sensitive variable values are hidden unless `show_values`.
    pub fn new(plan: &Plan, show_values: bool) -> PlanView {
        let changes: Vec<ChangeView> = plan.changes.iter().map(|c| ChangeView::new(c, show_values)).collect();
        let environments = plan
            .sections()
            .into_iter()
            .map(|section| {
                let summary = Summary::of(section.changes.iter().copied(), section.unmanaged.iter().copied());
                EnvironmentView {
                    project: section.project,
                    name: section.environment,
                    changes: section.changes.iter().map(|c| ChangeView::new(c, show_values)).collect(),
                    unmanaged: section.unmanaged.into_iter().cloned().collect(),
                    summary_line: summary.line(),
                    summary,
                }
            })
            .collect();
        PlanView {
            format_version: FORMAT_VERSION,
            changes,
            unmanaged: plan.unmanaged.clone(),
            // What DNS still waits for reads as a warning, in every format.
            warnings: plan.warnings.iter().cloned().chain(plan.dns.iter().map(|waiting| waiting.line())).collect(),
            summary: plan.summary.clone(),
            environments,
            summary_line: plan.summary.line(),
        }
    }
}

impl ChangeView {
    /// A change as shown; also what `apply --format json` lists of the changes it made.
    pub fn new(change: &About, show_values: bool) -> ChangeView {
        // Values of variables are hidden by default; references, sources and names are not values.
        let is_value = matches!(change.kind, Kind::Variable | Kind::SharedVariable) && change.action != Action::Rewrite;
        let has_value = change.before.is_some() || change.after.is_some();
        let hidden = is_value && has_value && !show_values && !change.sensitive;
        let mut about = change.clone();
        let shown = |value: Option<String>| match value {
            Some(_) if change.sensitive => Some(MASK.to_string()),
            Some(_) if hidden => None,
            other => other.map(|text| printable(&text).into_owned()),
        };
        about.before = shown(about.before);
        about.after = shown(about.after);
        about.address = printable(&about.address).into_owned();
        about.reason = printable(&about.reason).into_owned();
        ChangeView {
            hidden,
            sign: change.action.sign(),
            description: match change.action {
                Action::Deploy => "deploy".to_string(),
                action => format!("{} {}", action_word(action), kind_word(change.kind)),
            },
            about,
        }
    }
}

/// `--format json`.
pub fn json(plan: &Plan, show_values: bool) -> anyhow::Result<String> {
    Ok(serde_json::to_string_pretty(&PlanView::new(plan, show_values))?)
}

/// `--format markdown`: the first `plan.md.hbs` found in `template_folders` (a project's own
/// `templates/`), else the built-in one.
pub fn markdown(plan: &Plan, show_values: bool, template_folders: &[PathBuf]) -> anyhow::Result<String> {
    let local = template_folders.iter().find_map(|folder| std::fs::read_to_string(folder.join("plan.md.hbs")).ok());
    let template = local.unwrap_or_else(|| PLAN_MARKDOWN_TEMPLATE.to_string());
    let mut handlebars = Handlebars::new();
    handlebars.register_escape_fn(escape_markdown);
    handlebars.register_helper("eq", Box::new(eq_helper));
    let view = PlanView::new(plan, show_values);
    handlebars.render_template(&template, &view).map_err(|error| anyhow::anyhow!("plan.md.hbs: {error}"))
}

handlebars::handlebars_helper!(eq_helper: |a: Json, b: Json| a == b);

/// Keeps values from breaking the markdown table and the code spans they sit in (the template
/// puts values in code spans, where HTML entities would show literally).
pub(super) fn escape_markdown(text: &str) -> String {
    text.replace('|', "\\|").replace('`', "ˋ").replace(['\n', '\r'], " ")
}

/// Terraform-like text: one block per environment, a summary line each, then the total.
pub fn text(plan: &Plan, show_values: bool, color: bool) -> String {
    let view = PlanView::new(plan, show_values);
    let paint = |code: &str, text: &str| if color { format!("\x1b[{code}m{text}\x1b[0m") } else { text.to_string() };
    let several_projects = view.environments.iter().any(|e| e.project != view.environments[0].project);
    let mut out = String::new();
    for environment in &view.environments {
        let mut heading = if environment.name.is_empty() {
            "project-wide".to_string()
        } else {
            format!("environment {}", environment.name)
        };
        if several_projects {
            heading = format!("project {}: {heading}", environment.project);
        }
        let _ = writeln!(out, "{}", paint("1", &heading));
        for change in &environment.changes {
            let about = &change.about;
            let code = match about.action {
                Action::Create => "32",
                Action::Update | Action::Rewrite => "33",
                Action::Delete => "31",
                Action::Rename => "36",
                Action::Deploy => "2",
            };
            let _ = writeln!(out, "  {} {}", paint(code, change.sign), describe(change));
            // A plain create needs no explanation; everything else says why.
            let plain_create = about.action == Action::Create
                && !about.sensitive
                && matches!(about.kind, Kind::Variable | Kind::SharedVariable);
            if !plain_create {
                let _ = writeln!(out, "      {}", paint("2", &format!("# {}", about.reason)));
            }
        }
        for unmanaged in &environment.unmanaged {
            let _ = writeln!(
                out,
                "  {} {}  {}",
                paint("35", "?"),
                printable(&unmanaged.address),
                paint("2", "# in Railway, not in the files")
            );
        }
        if !environment.name.is_empty() {
            let _ = writeln!(out, "  {}", environment.summary_line);
        }
        out.push('\n');
    }
    for warning in &view.warnings {
        let _ = writeln!(out, "{} {}", paint("33", "warning:"), printable(warning));
    }
    if view.summary.unmanaged > 0 {
        let _ = writeln!(
            out,
            "{} live object(s) not in the files (drift): declare them, `ignore` them, or run with --prune.",
            view.summary.unmanaged
        );
    }
    let _ = writeln!(out, "{}", paint("1", &view.summary_line));
    out
}

/// One line of a change: what, where, and the values that may be shown. The address is not
/// repeated by a kind word that it already ends with (`project:platform`, `dev/api/source`).
fn describe(change: &ChangeView) -> String {
    let about = &change.about;
    let values = match (&about.before, &about.after) {
        (Some(before), Some(after)) => format!(": {before} → {after}"),
        (None, Some(after)) => format!(": {after}"),
        (Some(before), None) => format!(": was {before}"),
        (None, None) => String::new(),
    };
    let word = match about.action {
        // The sign already says create, update or delete.
        Action::Create | Action::Update | Action::Delete => kind_word(about.kind).to_string(),
        _ => change.description.clone(),
    };
    let kind = kind_word(about.kind);
    let address_says_kind =
        about.address.starts_with(&format!("{kind}:")) || about.address.ends_with(&format!("/{kind}"));
    match word.strip_suffix(kind).map(str::trim_end) {
        Some(verb) if address_says_kind && verb.is_empty() => format!("{}{values}", about.address),
        Some(verb) if address_says_kind => format!("{verb} {}{values}", about.address),
        _ => format!("{word} {}{values}", about.address),
    }
}

fn action_word(action: Action) -> &'static str {
    match action {
        Action::Create => "create",
        Action::Rename => "rename",
        Action::Update => "update",
        Action::Rewrite => "rewrite",
        Action::Delete => "delete",
        Action::Deploy => "deploy",
    }
}

fn kind_word(kind: Kind) -> &'static str {
    match kind {
        Kind::Project => "project",
        Kind::Environment => "environment",
        Kind::Service => "service",
        Kind::Volume => "volume",
        Kind::Source => "source",
        Kind::Variable => "variable",
        Kind::SharedVariable => "shared variable",
        Kind::Reference => "reference",
        Kind::Deployment => "deployment",
        Kind::Setting => "setting",
    }
}
