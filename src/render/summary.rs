//! One-paragraph summaries of what was read (`validate`'s success output).

use std::fmt::Write;

use crate::config::model::{by_project, Model};
use crate::refs;

/// `project platform: 3 environments (dev, prod, staging), …` — one line per project.
pub fn model(model: &Model) -> String {
    let mut out = String::new();
    for (project, every) in by_project(model.every_environment()) {
        let (previews, environments): (Vec<_>, Vec<_>) = every.into_iter().partition(|e| e.preview.is_some());
        let names: Vec<&str> = environments.iter().map(|e| e.name.as_str()).collect();
        let services: usize = environments.iter().map(|e| e.services.len()).sum();
        let variables: usize = environments
            .iter()
            .map(|e| e.shared.len() + e.services.values().map(|s| s.variables.len()).sum::<usize>())
            .sum();
        let references: usize = environments
            .iter()
            .flat_map(|e| e.shared.values().chain(e.services.values().flat_map(|s| s.variables.values())))
            .filter_map(|variable| variable.value.literal())
            .map(|text| refs::parse_lenient(text).len())
            .sum();
        let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
        let preview = previews.first().map_or(String::new(), |p| {
            let base = p.preview.as_ref().and_then(|p| p.base.as_deref());
            format!(", preview file {}{}", p.file, base.map_or(String::new(), |b| format!(" (copies {b})")))
        });
        let _ = writeln!(
            out,
            "project {project}: {} ({}), {}, {}, {}{preview} — all valid",
            plural(environments.len(), "environment"),
            names.join(", "),
            plural(services, "service instance"),
            plural(variables, "variable"),
            plural(references, "reference"),
        );
    }
    out
}
