//! One run's connection to Railway (or to the in-process emulator with `--emulator`), and the
//! read every command shares: the live state of each project the files name, read concurrently
//! at 1 + E requests per project.

use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use futures::future::try_join_all;

use crate::config::model::{Model, ProjectRef};
use crate::emulator::{self, RunningEmulator};
use crate::railway::{Client, RequestObserver, Settings, API_TOKEN_VAR, PROJECT_TOKEN_VAR};
use crate::state::{self, LiveProject, ProjectSelector};

/// Where `--emulator` keeps its state, relative to the working directory.
pub const EMULATOR_STATE: &str = ".railform/emulator.json";

/// How to reach Railway: `--endpoint` and `--emulator`.
#[derive(Debug, Clone)]
pub struct ConnectSettings {
    pub endpoint: String,
    /// Start a local emulator in-process instead of talking to `endpoint`.
    pub emulator: bool,
}

/// A client, and the emulator it talks to when `--emulator` started one.
pub struct Session {
    pub client: Client,
    /// Kept alive for the whole run; stops when the session is dropped.
    emulator: Option<RunningEmulator>,
}

impl Session {
    /// Connects as `settings` say: `--emulator` starts a local emulator (no token needed),
    /// otherwise the endpoint with the token from `RAILWAY_API_TOKEN` or `RAILWAY_TOKEN`.
    /// Railway's own endpoint without a token is refused before any request is sent.
    pub fn connect(settings: &ConnectSettings, observer: Option<Arc<dyn RequestObserver>>) -> anyhow::Result<Session> {
        let (client_settings, emulator) = if settings.emulator {
            let state_file = PathBuf::from(EMULATOR_STATE);
            if let Some(folder) = state_file.parent() {
                std::fs::create_dir_all(folder).with_context(|| format!("creating {}", folder.display()))?;
            }
            let running =
                emulator::start(emulator::Settings { state_file: Some(state_file), ..emulator::Settings::default() })
                    .context("starting the built-in emulator")?;
            (Settings::new(running.url()), Some(running))
        } else {
            let client_settings = Settings::from_env(&settings.endpoint)?;
            if client_settings.token.is_none() && is_railway(&settings.endpoint) {
                anyhow::bail!(
                    "no Railway token: set {API_TOKEN_VAR} (account or workspace) or {PROJECT_TOKEN_VAR} (project); \
                     or try railform with no account at all with --emulator"
                );
            }
            (client_settings, None)
        };
        let mut client = Client::new(client_settings)?;
        if let Some(observer) = observer {
            client = client.with_observer(observer);
        }
        Ok(Session { client, emulator })
    }

    /// Where the built-in emulator keeps its state, when this session started one.
    pub fn emulator_state(&self) -> Option<&'static str> {
        self.emulator.as_ref().map(|_| EMULATOR_STATE)
    }

    /// The live state of every project of `model`, in [`Model::projects`] order (`None`: the
    /// project does not exist yet). All projects are read concurrently. A project pinned by
    /// `project_id` must exist: railform never plans to create a project it was told the id of.
    pub async fn read_live(&self, model: &Model) -> anyhow::Result<Vec<Option<LiveProject>>> {
        let projects = model.projects();
        let reads = projects.iter().map(|(project, environments)| async move {
            let selector = selector(project)?;
            let live = state::read(&self.client, &selector)
                .await
                .with_context(|| format!("reading project {project} from Railway"))?;
            if let (None, ProjectSelector::Id(id)) = (&live, &selector) {
                let file = environments.first().map_or("", |e| e.file.as_str());
                anyhow::bail!(
                    "{file} pins project_id = \"{id}\", and no project with that id exists (or the token cannot \
                     see it). Check the id, or remove project_id to find the project by name"
                );
            }
            Ok(live)
        });
        try_join_all(reads).await
    }
}

/// True for Railway's own API hosts, where a request without a token can only fail.
fn is_railway(endpoint: &str) -> bool {
    reqwest::Url::parse(endpoint).ok().and_then(|url| url.host_str().map(str::to_ascii_lowercase)).is_some_and(|host| {
        ["railway.com", "railway.app"].iter().any(|domain| host == *domain || host.ends_with(&format!(".{domain}")))
    })
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_railways_hosts_need_a_token_up_front() {
        assert!(is_railway("https://backboard.railway.com/graphql/v2"));
        assert!(is_railway("https://backboard.railway.app/graphql/v2"));
        assert!(!is_railway("http://127.0.0.1:4000/graphql/v2"));
        assert!(!is_railway("https://notrailway.com/graphql/v2"));
    }
}
