//! One run's connection to Railway (or to the in-process emulator with `--emulator`), and the
//! reads every command shares: the live state of each project the files name, read
//! concurrently at 1 + E requests per project.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use futures::future::try_join_all;

use crate::cli::GlobalArgs;
use crate::config::model::{Model, ProjectRef};
use crate::emulator::{self, RunningEmulator};
use crate::railway::{Client, RequestEvent, RequestObserver, Settings};
use crate::render::Printer;
use crate::state::{self, LiveProject, ProjectSelector};

/// Where `--emulator` keeps its state, relative to the working directory.
pub const EMULATOR_STATE: &str = ".railform/emulator.json";

/// A client, and the emulator it talks to when `--emulator` started one.
pub struct Session {
    pub client: Client,
    /// Kept alive for the whole run; stops when the session is dropped.
    _emulator: Option<RunningEmulator>,
}

impl Session {
    /// Connects as the global flags say: `--emulator` starts a local emulator (no token needed),
    /// otherwise `--endpoint` with the token from `RAILWAY_API_TOKEN` or `RAILWAY_TOKEN`.
    pub fn connect(global: &GlobalArgs, printer: &Printer) -> anyhow::Result<Session> {
        let (settings, emulator) = if global.emulator {
            let state_file = PathBuf::from(EMULATOR_STATE);
            if let Some(folder) = state_file.parent() {
                std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
            }
            let running =
                emulator::start(emulator::Settings { state_file: Some(state_file), ..emulator::Settings::default() })
                    .context("starting the built-in emulator")?;
            printer.status(&format!("using the built-in emulator (state in {EMULATOR_STATE})"));
            (Settings::new(running.url()), Some(running))
        } else {
            (Settings::from_env(&global.endpoint)?, None)
        };
        let mut client = Client::new(settings)?;
        if printer.verbose > 0 {
            client = client.with_observer(Arc::new(VerboseRequests(printer.clone())));
        }
        Ok(Session { client, _emulator: emulator })
    }

    /// The live state of every project of `model`, in [`Model::projects`] order (`None`: the
    /// project does not exist yet). All projects are read concurrently.
    pub async fn read_live(&self, model: &Model) -> anyhow::Result<Vec<Option<LiveProject>>> {
        let projects = model.projects();
        let reads = projects.iter().map(|(project, _)| async move {
            let selector = selector(project)?;
            state::read(&self.client, &selector)
                .await
                .with_context(|| format!("reading project {project} from Railway"))
        });
        try_join_all(reads).await
    }
}

/// How a project is found: by its pinned id, else by name.
pub fn selector(project: &ProjectRef) -> anyhow::Result<ProjectSelector> {
    match (&project.id, &project.name) {
        (Some(id), _) => Ok(ProjectSelector::Id(id.clone())),
        (None, Some(name)) => Ok(ProjectSelector::Name(name.clone())),
        (None, None) => anyhow::bail!("an environment file names no project"),
    }
}

/// A multi-threaded runtime for a command that talks to the network.
pub fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread().enable_all().build().context("starting the async runtime")
}

/// `-v`: one line per request attempt and retry (operation names and timings only).
struct VerboseRequests(Printer);

impl RequestObserver for VerboseRequests {
    fn observe(&self, event: &RequestEvent) {
        let line = match event {
            RequestEvent::Attempted { operation, attempt, elapsed, status } => {
                let status = status.map_or("no response".to_string(), |s| format!("HTTP {s}"));
                format!("→ {operation} (attempt {attempt}): {status} in {} ms", elapsed.as_millis())
            }
            RequestEvent::Retrying { operation, attempt, delay, fault } => {
                format!("↻ {operation}: retrying after attempt {attempt} in {} ms ({fault:?})", delay.as_millis())
            }
        };
        self.0.verbose(&line);
    }
}
