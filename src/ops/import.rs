//! `import`: read a live project, turn one environment into an environment file (and, with
//! `--base`, a base file every environment of the project shares), write them atomically.

use std::path::{Path, PathBuf};

use anyhow::Context;

use super::files::write_atomic;
use super::session::Session;
use super::OpResult;
use crate::import::{self, base, write, SecretsMode};

/// What `import` was asked.
#[derive(Debug, Clone)]
pub struct ImportSettings {
    /// The project's id or name.
    pub project: String,
    pub environment: String,
    /// Write the file there; `None` returns its text to print.
    pub output: Option<PathBuf>,
    /// Also write the shared base there (needs `output`).
    pub base: Option<PathBuf>,
    /// What to write for values that look like credentials.
    pub secrets: SecretsMode,
}

/// What `import` wrote, and what the user must know before planning.
#[derive(Debug)]
pub struct Imported {
    pub project: String,
    pub environment: String,
    pub services: usize,
    /// The environment file's text, when no `output` was given.
    pub text: Option<String>,
    /// The files written, the base first.
    pub written: Vec<PathBuf>,
    /// What the user must know before planning: variables to export (names only), values
    /// left unmanaged.
    pub notes: Vec<String>,
}

/// Where templates are looked up from when the file is printed: where it usually goes.
const DEFAULT_LOCATION: &str = "environments/import.toml";

/// Imports `settings.environment` of `settings.project`.
pub async fn run(session: &Session, settings: &ImportSettings) -> OpResult<Imported> {
    let project = import::read_project(&session.client, &settings.project)
        .await
        .with_context(|| format!("reading project {} from Railway", settings.project))?
        .with_context(|| format!("no Railway project has the id or the name {:?}", settings.project))?;
    let location = settings.output.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_LOCATION));
    let imported = import::environment_with(&project, &settings.environment, &location, settings.secrets)?;
    let mut written = Vec::new();
    let text = match (&settings.base, &settings.output) {
        (Some(base_path), Some(output)) => {
            let every = project
                .environments
                .iter()
                .map(|environment| import::environment_with(&project, &environment.name, &location, settings.secrets))
                .collect::<Result<Vec<_>, _>>()?;
            let (shared, own) = base::layered(&imported, &every);
            write_atomic(base_path, write::to_toml_as(&shared, &write::Layout::Base).as_bytes())?;
            written.push(base_path.clone());
            write::to_toml_as(&own, &write::Layout::Extends(relative_to_folder_of(output, base_path)?))
        }
        _ => write::to_toml(&imported),
    };
    let text = match &settings.output {
        Some(path) => {
            write_atomic(path, text.as_bytes())?;
            written.push(path.clone());
            None
        }
        None => Some(text),
    };
    Ok(Imported {
        project: imported.project_name.clone(),
        environment: imported.environment.clone(),
        services: imported.services.len(),
        text,
        written,
        notes: imported.notes(),
    })
}

/// `target` as `extends` names it from `file`: relative to `file`'s folder.
fn relative_to_folder_of(file: &Path, target: &Path) -> anyhow::Result<String> {
    let folder = std::path::absolute(file)?.parent().map(Path::to_path_buf).unwrap_or_default();
    let target = std::path::absolute(target)?;
    let shared = folder.components().zip(target.components()).take_while(|(a, b)| a == b).count();
    let mut relative = PathBuf::new();
    for _ in folder.components().skip(shared) {
        relative.push("..");
    }
    relative.extend(target.components().skip(shared));
    Ok(relative.to_string_lossy().replace('\\', "/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extends_paths_are_relative_to_the_files_folder() {
        let relative =
            relative_to_folder_of(Path::new("/r/environments/prod.toml"), Path::new("/r/base.toml")).unwrap();
        assert_eq!(relative, "../base.toml");
        let beside = relative_to_folder_of(Path::new("/r/e/prod.toml"), Path::new("/r/e/base.toml")).unwrap();
        assert_eq!(beside, "base.toml");
    }
}
