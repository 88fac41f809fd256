//! One-paragraph summaries of what was read (`validate`'s success output).

use std::fmt::Write;

use crate::config::model::Model;
use crate::refs;

/// `project platform: 3 environments (dev, prod, staging), …` — one line per project.
pub fn model(model: &Model) -> String {
    let mut out = String::new();
    for (project, environments) in model.projects() {
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
        let _ = writeln!(
            out,
            "project {project}: {} ({}), {}, {}, {} — all valid",
            plural(environments.len(), "environment"),
            names.join(", "),
            plural(services, "service instance"),
            plural(variables, "variable"),
            plural(references, "reference"),
        );
    }
    out
}
