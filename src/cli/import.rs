//! `railform import`: write a live environment as an environment file that plans `No changes.`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;

use super::{GlobalArgs, Outcome};
use crate::import::{self, base, write, SecretsMode};
use crate::render::Printer;
use crate::session::{self, Session};

#[derive(Debug, Args, Clone)]
pub struct ImportArgs {
    /// The Railway project: its id, or its name.
    #[arg(long, value_name = "NAME_OR_ID")]
    pub project: String,
    /// The environment to import.
    #[arg(long, value_name = "NAME")]
    pub environment: String,
    /// Write the environment file to FILE (replacing it) instead of printing it.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also write FILE: what every environment of the project shares, which the output file
    /// then extends (import each environment with the same --base).
    #[arg(long, value_name = "FILE", requires = "output")]
    pub base: Option<PathBuf>,
    /// What to write for values that look like credentials: `preserve` (Railway keeps them and
    /// the file plans clean at once) or `from-env` (railform manages them, read from environment
    /// variables you export; import lists them).
    #[arg(long, value_enum, value_name = "MODE", default_value_t = SecretsArg::Preserve)]
    pub secrets: SecretsArg,
}

/// `--secrets`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SecretsArg {
    Preserve,
    FromEnv,
}

impl From<SecretsArg> for SecretsMode {
    fn from(arg: SecretsArg) -> Self {
        match arg {
            SecretsArg::Preserve => SecretsMode::Preserve,
            SecretsArg::FromEnv => SecretsMode::FromEnv,
        }
    }
}

/// Where templates are looked up from when the file is printed: where it usually goes.
const DEFAULT_LOCATION: &str = "environments/import.toml";

pub fn run(printer: &Printer, global: &GlobalArgs, args: &ImportArgs) -> anyhow::Result<Outcome> {
    let session = Session::connect(global, printer)?;
    let project = session::runtime()?
        .block_on(import::read_project(&session.client, &args.project))
        .with_context(|| format!("reading project {} from Railway", args.project))?
        .with_context(|| format!("no Railway project has the id or the name {:?}", args.project))?;
    let location = args.output.clone().unwrap_or_else(|| PathBuf::from(DEFAULT_LOCATION));
    let secrets = SecretsMode::from(args.secrets);
    let imported = import::environment_with(&project, &args.environment, &location, secrets)?;
    let text = match (&args.base, &args.output) {
        (Some(base_path), Some(output)) => {
            let every = project
                .environments
                .iter()
                .map(|environment| import::environment_with(&project, &environment.name, &location, secrets))
                .collect::<Result<Vec<_>, _>>()?;
            let (shared, own) = base::layered(&imported, &every);
            write_file(base_path, &write::to_toml_as(&shared, &write::Layout::Base))?;
            printer.status(&format!(
                "wrote {} (what every environment of {} shares)",
                base_path.display(),
                project.name
            ));
            write::to_toml_as(&own, &write::Layout::Extends(relative_to_folder_of(output, base_path)?))
        }
        _ => write::to_toml(&imported),
    };
    match &args.output {
        Some(path) => {
            write_file(path, &text)?;
            printer.status(&format!(
                "wrote {} ({} service(s) of environment {} of project {})",
                path.display(),
                imported.services.len(),
                imported.environment,
                imported.project_name
            ));
        }
        None => printer.out(&text),
    }
    for note in imported.notes() {
        printer.status(&note);
    }
    Ok(Outcome::Success)
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

/// Writes `text` to `path` through a temporary file, so a half-written file is never left.
fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
    let mut temporary =
        tempfile::NamedTempFile::new_in(folder).with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut temporary, text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    temporary.persist(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}
