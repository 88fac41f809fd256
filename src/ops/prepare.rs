//! The first step of every command that talks to Railway: load and validate the files, then
//! read the secrets they ask for (`from_env`) from the process environment, or from a dotenv
//! file given with `--env-file` (the process environment wins, as dotenv tools do).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use anyhow::Context;

use super::{OpError, OpResult};
use crate::config::{self, model::Model, secrets::Secrets};

/// The validated files and the secrets they read.
pub struct Prepared {
    pub model: Model,
    pub secrets: Secrets,
}

/// What to read.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// Environment files or folders.
    pub paths: Vec<PathBuf>,
    /// A dotenv file whose values `from_env` may read.
    pub env_file: Option<PathBuf>,
}

/// Loads and validates the files and resolves their secrets; every problem is a diagnostic.
pub fn prepare(sources: &Sources) -> OpResult<Prepared> {
    prepare_with(sources, |paths| config::load(paths).map_err(|diagnostics| OpError::Invalid(diagnostics.0)))
}

/// Like [`prepare`], with the model made by `load` from the paths (`preview up` keeps only the
/// preview, named): the secrets read are those of that model.
pub fn prepare_with(sources: &Sources, load: impl FnOnce(&[PathBuf]) -> OpResult<Model>) -> OpResult<Prepared> {
    let env_file = match &sources.env_file {
        Some(path) => read_env_file(path)?,
        None => BTreeMap::new(),
    };
    let model = load(&sources.paths)?;
    let secrets = Secrets::resolve(&model, |name| std::env::var(name).ok().or_else(|| env_file.get(name).cloned()))
        .map_err(|diagnostics| OpError::Invalid(diagnostics.0))?;
    Ok(Prepared { model, secrets })
}

/// A dotenv file (`NAME=value`, `# comments`, quotes, `export`), as a map. Its values are
/// secrets: an error never quotes a line of it.
fn read_env_file(path: &Path) -> anyhow::Result<BTreeMap<String, String>> {
    let lines = dotenvy::from_path_iter(path).with_context(|| format!("reading the env file {}", path.display()))?;
    let mut values = BTreeMap::new();
    for (index, line) in lines.enumerate() {
        let (name, value) = line.map_err(|error| {
            let place = match &error {
                dotenvy::Error::LineParse(_, column) => format!(" near column {column}"),
                _ => String::new(),
            };
            anyhow::anyhow!(
                "{}: entry {} cannot be read{place}: write it as NAME=value (quote values with spaces)",
                path.display(),
                index + 1
            )
        })?;
        values.insert(name, value);
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_are_read_and_their_errors_never_quote_a_value() {
        let folder = tempfile::tempdir().unwrap();
        let good = folder.path().join("good.env");
        std::fs::write(&good, "# demo secrets\nexport A=1\nB=\"two words\"\n").unwrap();
        let values = read_env_file(&good).unwrap();
        assert_eq!(values.get("A").map(String::as_str), Some("1"));
        assert_eq!(values.get("B").map(String::as_str), Some("two words"));

        let bad = folder.path().join("bad.env");
        std::fs::write(&bad, "OK=1\nTOKEN 's3cr3t-value\n").unwrap();
        let error = format!("{:#}", read_env_file(&bad).unwrap_err());
        assert!(error.contains("bad.env") && error.contains("NAME=value"), "{error}");
        assert!(!error.contains("s3cr3t"), "{error}");
    }
}
