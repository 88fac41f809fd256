//! What `import` tells the user after writing: the files, then import's own notes (variables
//! to export before `plan`, names only, never values; values left unmanaged).

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
    // Each line escaped on its own: the notes are several lines long.
    notes.extend(imported.notes.iter().map(|note| note.lines().map(super::printable).collect::<Vec<_>>().join("\n")));
    notes
}
