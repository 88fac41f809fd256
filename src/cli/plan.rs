//! `railform plan`: diff the files against Railway and show (or save) what would change.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, ValueEnum};

use super::{GlobalArgs, Outcome, PathArgs};
use crate::config::{self, secrets::Secrets};
use crate::plan::{diff, Plan};
use crate::render::{self, Printer};
use crate::session::{self, Session};

#[derive(Debug, Args, Clone)]
pub struct PlanArgs {
    #[command(flatten)]
    pub paths: PathArgs,
    /// Save the plan to FILE for `apply --plan FILE` (it never holds a secret in clear).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Exit 2 when changes are pending or live objects are not in the files (drift), 0 when in sync.
    #[arg(long)]
    pub detailed_exitcode: bool,
    #[arg(long, value_enum, default_value_t = PlanFormat::Text)]
    pub format: PlanFormat,
    /// Delete live variables the files do not declare, instead of reporting them.
    #[arg(long)]
    pub prune: bool,
    /// Show non-sensitive values (sensitive ones are always `(sensitive)`).
    #[arg(long)]
    pub show_values: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PlanFormat {
    Text,
    Json,
    Markdown,
}

pub fn run(printer: &Printer, global: &GlobalArgs, args: &PlanArgs) -> anyhow::Result<Outcome> {
    let Some(prepared) = prepare(printer, &args.paths.paths)? else { return Ok(Outcome::Failure) };
    let session = Session::connect(global, printer)?;
    let plan = session::runtime()?.block_on(make_plan(&session, &prepared, args.prune))?;
    printer.verbose(&format!("{} API request(s) sent", session.client.requests_sent()));
    if let Some(out) = &args.out {
        save(&plan, out)?;
        printer.status(&format!(
            "plan saved to {} (apply it with `railform apply --plan {}`)",
            out.display(),
            out.display()
        ));
    }
    let shown = match args.format {
        PlanFormat::Text => render::plan::text(&plan, args.show_values, printer.color),
        PlanFormat::Json => render::plan::json(&plan, args.show_values)?,
        PlanFormat::Markdown => {
            let first_file = prepared.model.environments.first().map(|e| PathBuf::from(&e.file)).unwrap_or_default();
            let folders = config::templates::local_folders(&first_file);
            render::plan::markdown(&plan, args.show_values, &folders)?
        }
    };
    printer.out(&shown);
    Ok(if args.detailed_exitcode && !plan.is_empty() { Outcome::Changes } else { Outcome::Success })
}

/// The validated files and the secrets they read, or `None` after printing why not.
pub struct Prepared {
    pub model: config::model::Model,
    pub secrets: Secrets,
}

pub fn prepare(printer: &Printer, paths: &[PathBuf]) -> anyhow::Result<Option<Prepared>> {
    let model = match config::load(paths) {
        Ok(model) => model,
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics.0);
            return Ok(None);
        }
    };
    let secrets = match Secrets::resolve(&model, |name| std::env::var(name).ok()) {
        Ok(secrets) => secrets,
        Err(diagnostics) => {
            printer.diagnostics(&diagnostics.0);
            return Ok(None);
        }
    };
    Ok(Some(Prepared { model, secrets }))
}

/// Reads the live state and diffs the files against it.
pub async fn make_plan(session: &Session, prepared: &Prepared, prune: bool) -> anyhow::Result<Plan> {
    let live = session.read_live(&prepared.model).await?;
    Ok(diff::diff(&prepared.model, &live, &prepared.secrets, &diff::DiffOptions { prune }))
}

/// Writes the plan document atomically: a half-written plan file is never left behind.
fn save(plan: &Plan, path: &Path) -> anyhow::Result<()> {
    let json = serde_json::to_string_pretty(plan)?;
    let folder = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let mut temporary =
        tempfile::NamedTempFile::new_in(folder).with_context(|| format!("writing {}", path.display()))?;
    std::io::Write::write_all(&mut temporary, json.as_bytes())?;
    temporary.as_file().sync_all()?;
    temporary.persist(path).with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Reads a plan saved by `plan --out`.
pub fn load_saved(path: &Path) -> anyhow::Result<Plan> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading the saved plan {}", path.display()))?;
    let plan: Plan = serde_json::from_str(&text)
        .with_context(|| format!("{} is not a plan saved by `railform plan --out`", path.display()))?;
    anyhow::ensure!(
        plan.format_version == crate::plan::FORMAT_VERSION,
        "{} has format_version {}, this railform reads {}",
        path.display(),
        plan.format_version,
        crate::plan::FORMAT_VERSION
    );
    Ok(plan)
}
