//! What `import` tells the user after writing: the files, the variables to export before
//! `plan` (names only, never values) and the values left unmanaged.

use crate::ops::import::Imported;

/// The closing lines of an import, in order.
pub fn notes(imported: &Imported) -> Vec<String> {
    let mut notes = Vec::new();
    for path in &imported.written {
        notes.push(format!(
            "wrote {} ({} service(s) of environment {} of project {})",
            path.display(),
            imported.services,
            imported.environment,
            imported.project
        ));
    }
    if !imported.to_set.is_empty() {
        let listed: Vec<String> = imported
            .to_set
            .iter()
            .map(|v| format!("  {}  (for {})", v.env_var, super::printable(&v.address)))
            .collect();
        notes.push(format!(
            "import did not write {} value(s) that look like credentials; set these environment variables \
             to the live values before `railform plan` (in CI: masked secrets):\n{}",
            imported.to_set.len(),
            listed.join("\n")
        ));
    }
    if !imported.sealed.is_empty() {
        notes.push(format!(
            "{} sealed value(s) written as `{{ preserve = true }}` (Railway never returns them): {}",
            imported.sealed.len(),
            imported.sealed.join(", ")
        ));
    }
    notes
}
