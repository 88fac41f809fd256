//! What `migrate` prints: the table of what went where (one row per field: where it was
//! written, the service, the environment file, railform's key and value, and what writing it
//! did to that file), then one line per file written.

use super::printable;
use crate::config::edit::Edit;
use crate::migrate::Status;
use crate::ops::migrate::Migrated;

/// The table, columns aligned.
pub fn table(migrated: &Migrated) -> String {
    let header = ["FROM", "FIELD", "SERVICE", "FILE", "KEY", "VALUE", ""];
    let mut rows: Vec<[String; 7]> = vec![header.map(str::to_string)];
    for row in &migrated.migration.rows {
        let status = match &row.status {
            Status::Written(Edit::Added) => "added".to_string(),
            Status::Written(Edit::Unchanged) => "unchanged".to_string(),
            Status::Written(Edit::Replaced(was)) => format!("changed, was {was}"),
            Status::Overridden(field) => format!("not written here: {field} overrides it"),
        };
        rows.push([
            row.source.clone(),
            row.field.clone(),
            row.service.clone(),
            migrated.output.join(&row.file).display().to_string(),
            row.key.clone(),
            row.value.clone(),
            status,
        ]);
    }
    let rows: Vec<Vec<String>> =
        rows.into_iter().map(|row| row.iter().map(|cell| printable(cell).into_owned()).collect()).collect();
    let widths: Vec<usize> =
        (0..header.len()).map(|column| rows.iter().map(|row| row[column].chars().count()).max().unwrap_or(0)).collect();
    let mut out = String::new();
    for row in &rows {
        let cells: Vec<String> =
            row.iter().enumerate().map(|(column, cell)| format!("{cell:width$}", width = widths[column])).collect();
        out.push_str(cells.join("  ").trim_end());
        out.push('\n');
    }
    out
}

/// The closing lines: how services were found, the files written, and the notes.
pub fn summary(migrated: &Migrated) -> Vec<String> {
    let mut lines = Vec::new();
    let mut found: Vec<String> = migrated
        .migration
        .rows
        .iter()
        .map(|row| {
            let file = row.source.rsplit_once(':').map_or(row.source.as_str(), |(file, _)| file);
            format!("{file} → service {} ({})", row.service, row.how.describe())
        })
        .collect();
    found.dedup();
    lines.extend(found.iter().map(|line| printable(line).into_owned()));
    let fields = migrated.migration.rows.len();
    let from = if migrated.live { format!(", live project {}", migrated.project) } else { String::new() };
    if migrated.written.is_empty() {
        let verb = if migrated.migration.files.is_empty() { "nothing to change" } else { "dry run: nothing written" };
        lines.push(format!("{fields} field(s) of {} file(s){from}: {verb}", migrated.sources.len()));
    } else {
        lines.push(format!("{fields} field(s) of {} file(s){from} migrated:", migrated.sources.len()));
        for (path, file) in migrated.written.iter().zip(&migrated.migration.files) {
            let verb = if file.created { "created" } else { "updated" };
            lines.push(format!("  {verb} {}", printable(&path.display().to_string())));
        }
        lines.push("next: `railform plan` shows what these settings change in Railway".to_string());
    }
    lines.extend(migrated.notes.iter().map(|note| format!("note: {}", printable(note))));
    lines
}
