//! The plan: every change railform would make, computed by [`diff`] from the desired model and
//! the live state with no I/O, shown by `render` and carried out by `apply`.
//!
//! A [`Change`] has two faces: what people read (address, action, masked before/after, reason)
//! and the [`Operation`] that `apply` executes (ids, wire values). Sensitive values never sit in
//! a plan in clear: an operation holds a [`WireValue::Secret`] that says where the value comes
//! from and a keyed digest to check it against at apply time (see [`crate::secret::PlanKey`]).

pub mod diff;
pub mod dns;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the JSON document (`--format json` and saved plans).
pub const FORMAT_VERSION: u32 = 2;

/// What output shows instead of a sensitive value.
pub const MASK: &str = "(sensitive)";

/// Everything one run would change, over every environment file given.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Plan {
    pub format_version: u32,
    pub changes: Vec<Change>,
    /// Live objects that the files do not declare (drift unless `--prune` deletes them).
    pub unmanaged: Vec<Unmanaged>,
    /// Things a person should know that are not changes (a preserved variable that is missing…).
    pub warnings: Vec<String>,
    pub summary: Summary,
    /// What the plan was computed against, checked by `apply --plan` before it changes anything.
    pub fingerprint: Fingerprint,
    /// Why the files cannot be applied to what is live (a pinned id that matches nothing…);
    /// a plan with errors is refused before anything is written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
    /// Declared custom domains still waiting for their DNS records: shown with the warnings, but
    /// not part of what a saved plan pins (DNS may propagate between plan and apply).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub dns: Vec<dns::WaitingDomain>,
}

impl Plan {
    pub fn new(
        changes: Vec<Change>,
        unmanaged: Vec<Unmanaged>,
        warnings: Vec<String>,
        fingerprint: Fingerprint,
    ) -> Plan {
        let summary = Summary::of(&changes, &unmanaged);
        Plan {
            format_version: FORMAT_VERSION,
            changes,
            unmanaged,
            warnings,
            summary,
            fingerprint,
            errors: Vec::new(),
            dns: Vec::new(),
        }
    }

    /// True when applying would change and deploy nothing and nothing unmanaged was found. (A
    /// plan of deploys alone holds pending deploys: instances that do not run what they were
    /// last given.)
    pub fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.unmanaged.is_empty()
    }

    /// Changes and unmanaged objects grouped per project (in plan order) and, within a
    /// project, project-wide first (service renames and creates), then each environment by name.
    pub fn sections(&self) -> Vec<Section<'_>> {
        let mut sections: Vec<Section<'_>> = Vec::new();
        let mut section = |project: &str, environment: &Option<String>| -> usize {
            let environment = environment.clone().unwrap_or_default();
            match sections.iter().position(|s| s.project == project && s.environment == environment) {
                Some(index) => index,
                None => {
                    sections.push(Section {
                        project: project.to_string(),
                        environment,
                        changes: Vec::new(),
                        unmanaged: Vec::new(),
                    });
                    sections.len() - 1
                }
            }
        };
        let mut placed_changes = Vec::new();
        for change in &self.changes {
            placed_changes.push((section(&change.project, &change.environment), change));
        }
        let mut placed_unmanaged = Vec::new();
        for unmanaged in &self.unmanaged {
            placed_unmanaged.push((section(&unmanaged.project, &unmanaged.environment), unmanaged));
        }
        for (index, change) in placed_changes {
            sections[index].changes.push(change);
        }
        for (index, unmanaged) in placed_unmanaged {
            sections[index].unmanaged.push(unmanaged);
        }
        let project_order: Vec<String> = {
            let mut order: Vec<String> = Vec::new();
            for s in &sections {
                if !order.contains(&s.project) {
                    order.push(s.project.clone());
                }
            }
            order
        };
        sections.sort_by_key(|s| {
            (project_order.iter().position(|p| *p == s.project), !s.environment.is_empty(), s.environment.clone())
        });
        sections
    }
}

/// One block of a shown plan: a project's project-wide changes (`environment` empty), or one
/// environment's.
#[derive(Debug, Clone)]
pub struct Section<'p> {
    pub project: String,
    pub environment: String,
    pub changes: Vec<&'p Change>,
    pub unmanaged: Vec<&'p Unmanaged>,
}

/// One change, as people read it ([`About`]) and as `apply` executes it ([`Operation`]).
/// It dereferences to its [`About`], so `change.address` reads as it should.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    #[serde(flatten)]
    pub about: About,
    pub operation: Operation,
}

/// What people read of a change: the same fields in text, JSON and markdown (where `render`
/// masks or hides the values).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct About {
    /// `ENV/SERVICE/VARIABLE`, `ENV/shared/VARIABLE`, `ENV/SERVICE`, `ENV` or `project:NAME`.
    pub address: String,
    pub action: Action,
    pub kind: Kind,
    pub project: String,
    pub environment: Option<String>,
    pub service: Option<String>,
    /// The variable name, or the new name of a rename.
    pub name: Option<String>,
    /// Shown values: `(sensitive)` for secrets; `None` when there is no value.
    pub before: Option<String>,
    pub after: Option<String>,
    pub sensitive: bool,
    /// Why the change is needed, in words.
    pub reason: String,
}

impl std::ops::Deref for Change {
    type Target = About;

    fn deref(&self) -> &About {
        &self.about
    }
}

impl Change {
    /// A change with what every change has; the optional parts are added with the builder
    /// methods below.
    pub fn new(project: &str, address: impl Into<String>, action: Action, kind: Kind, operation: Operation) -> Change {
        let about = About {
            address: address.into(),
            action,
            kind,
            project: project.to_string(),
            environment: None,
            service: None,
            name: None,
            before: None,
            after: None,
            sensitive: false,
            reason: String::new(),
        };
        Change { about, operation }
    }

    pub fn in_environment(mut self, environment: &str) -> Change {
        self.about.environment = Some(environment.to_string());
        self
    }

    pub fn of_service(mut self, service: &str) -> Change {
        self.about.service = Some(service.to_string());
        self
    }

    pub fn named(mut self, name: &str) -> Change {
        self.about.name = Some(name.to_string());
        self
    }

    pub fn because(mut self, reason: impl Into<String>) -> Change {
        self.about.reason = reason.into();
        self
    }

    /// The shown values (already masked when sensitive).
    pub fn values(mut self, before: Option<String>, after: Option<String>) -> Change {
        self.about.before = before;
        self.about.after = after;
        self
    }

    pub fn sensitive(mut self, sensitive: bool) -> Change {
        self.about.sensitive = sensitive;
        self
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Action {
    Create,
    Rename,
    Update,
    Rewrite,
    Delete,
    Deploy,
}

impl Action {
    /// The sign in text output, as Terraform's.
    pub fn sign(self) -> &'static str {
        match self {
            Action::Create => "+",
            Action::Update | Action::Rewrite => "~",
            Action::Delete => "-",
            Action::Rename => ">",
            Action::Deploy => "↻",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Project,
    Environment,
    Service,
    Volume,
    Source,
    Variable,
    SharedVariable,
    Reference,
    Deployment,
    /// A build, deploy, networking or volume setting (§2.1).
    Setting,
}

/// How `apply` names something that may not exist yet: a live id, or the key of the create
/// change earlier in the plan that makes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Id {
    Live(String),
    New(String),
}

/// A value to write, as it travels to Railway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireValue {
    /// A non-sensitive literal, in Railway's `${{…}}` syntax.
    Plain(String),
    /// A sensitive value: never stored; `apply` obtains it again and checks the hash.
    Secret(SecretSource),
    /// A live value that names renamed services. It is not declared in the files, so it may be
    /// a secret: the plan keeps only its keyed digest and the renames; `apply` re-reads the
    /// value, checks the digest and renames the references in it.
    /// When the live value already digests to `digest_after` (Railway rewrote it itself on the
    /// rename), nothing is written.
    Rewrite { renames: Vec<(String, String)>, digest: String, digest_after: String },
}

/// Where a sensitive value comes from at apply time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum SecretSource {
    /// The environment variable `name`, whose value had this keyed digest when planned.
    Env { name: String, digest: String },
    /// A sensitive literal at `address` of the environment file `file`, which had this keyed
    /// digest when planned.
    File { file: String, address: String, digest: String },
    /// A fresh random secret.
    Generate { length: usize, alphabet: String },
}

/// What `apply` sends for a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "op")]
pub enum Operation {
    CreateProject {
        key: String,
        name: String,
    },
    CreateEnvironment {
        key: String,
        project: Id,
        name: String,
    },
    RenameEnvironment {
        environment: Id,
        name: String,
    },
    /// Creates a service with no source (so nothing deploys before its variables are set):
    /// `environments: None` in every environment of the project (one request), else only in
    /// the environments listed.
    CreateService {
        key: String,
        project: Id,
        name: String,
        environments: Option<Vec<Id>>,
    },
    /// Adds an existing service to an environment where it has no instance yet.
    CreateInstance {
        service: Id,
        environment: Id,
    },
    /// Creates a volume mounted into the instance; `key` names its id for later changes of the
    /// plan (its backup schedules).
    CreateVolume {
        key: String,
        project: Id,
        service: Id,
        environment: Id,
        mount: String,
    },
    RenameService {
        service: Id,
        name: String,
    },
    DeleteService {
        service: Id,
    },
    /// A generated `*.up.railway.app` domain (Railway names it, so it cannot be a patch entry).
    CreateServiceDomain {
        service: Id,
        environment: Id,
        port: Option<u16>,
    },
    /// One entry of an environment's config patch (Railway's EnvironmentConfig): every `Patch`
    /// change of one environment goes out as one staged patch and one commit (with
    /// `skipDeploys`), so the environment changes all at once or not at all. `service: None`
    /// is the shared variables.
    Patch {
        environment: Id,
        service: Option<Id>,
        entry: PatchEntry,
    },
    /// Deploys an instance once everything of its environment is written. `after`: the services
    /// of the same environment it references that deploy in this plan too; it starts once they
    /// have (with `--wait`: once they succeeded), so a database is up before what uses it.
    Deploy {
        service: Id,
        environment: Id,
        #[serde(default)]
        after: Vec<Id>,
        /// The instance's latest deployment when planned: a deploy whose answer was lost is
        /// known to have happened when the latest deployment is no longer this one.
        #[serde(default)]
        replaces: Option<String>,
    },
}

/// What one [`Operation::Patch`] change writes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "entry")]
pub enum PatchEntry {
    /// `variables.NAME = { value }` (or `sharedVariables.NAME`).
    Variable { name: String, value: WireValue },
    /// `variables.NAME = null`.
    DeleteVariable { name: String },
    /// `source`: what the instance deploys (an image, or a repository and its branch).
    Source { image: Option<String>, repo: Option<String>, branch: Option<String> },
    /// A setting at `path` of the service's entry (`["deploy", "startCommand"]`); `null` removes
    /// it (an undeclared custom domain or TCP proxy, with `--prune`).
    Setting { path: Vec<String>, value: serde_json::Value },
    /// `volumeMounts.<volume>.backupSchedules` of a volume that may be created by this plan.
    VolumeBackups { volume: Id, schedules: Vec<String> },
    /// `deploy.registryCredentials = { username, password }`: how Railway pulls a private image;
    /// the password a secret like any other (never stored in the plan). `None`: the password
    /// Railway holds stays (`preserve`; the patch merges into it).
    RegistryCredentials { username: String, password: Option<WireValue> },
}

/// A live object the files do not declare.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unmanaged {
    pub address: String,
    pub project: String,
    pub kind: Kind,
    pub environment: Option<String>,
    pub service: Option<String>,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Summary {
    pub add: usize,
    pub change: usize,
    pub destroy: usize,
    pub rename: usize,
    pub deploy: usize,
    pub unmanaged: usize,
}

impl Summary {
    pub fn of<'c, 'u>(
        changes: impl IntoIterator<Item = &'c Change>,
        unmanaged: impl IntoIterator<Item = &'u Unmanaged>,
    ) -> Summary {
        let changes: Vec<&Change> = changes.into_iter().collect();
        let count = |actions: &[Action]| changes.iter().filter(|c| actions.contains(&c.action)).count();
        Summary {
            add: count(&[Action::Create]),
            change: count(&[Action::Update, Action::Rewrite]),
            destroy: count(&[Action::Delete]),
            rename: count(&[Action::Rename]),
            deploy: count(&[Action::Deploy]),
            unmanaged: unmanaged.into_iter().count(),
        }
    }

    /// `Plan: A to add, C to change, D to destroy, R to rename.`, `No changes.`, or, when only
    /// deploys are pending, `No changes; N deploy(s) pending.`
    pub fn line(&self) -> String {
        if self.add + self.change + self.destroy + self.rename == 0 {
            match self.deploy {
                0 => "No changes.".to_string(),
                n => format!("No changes; {n} deploy(s) pending."),
            }
        } else {
            format!(
                "Plan: {} to add, {} to change, {} to destroy, {} to rename.",
                self.add, self.change, self.destroy, self.rename
            )
        }
    }
}

/// What the plan was computed against: `apply --plan` refuses to run if any of it moved.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// The environment files the plan was made from.
    pub paths: Vec<String>,
    /// A keyed digest of every file under those paths (environment files, bases, templates):
    /// any edit since `plan --out` refuses the saved plan.
    pub files: String,
    /// Whether the plan was made with `--prune` (`apply --plan` plans again the same way).
    pub prune: bool,
    /// Names the key of the plan's digests (see [`crate::secret::PlanKey::id`]).
    pub key_id: String,
    /// Per project: its id (if it existed), its environments and their configEtag, and
    /// service id → name.
    pub projects: Vec<ProjectFingerprint>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectFingerprint {
    pub name: String,
    pub id: Option<String>,
    pub environments: Vec<EnvironmentFingerprint>,
    pub services: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnvironmentFingerprint {
    pub id: String,
    pub name: String,
    pub config_etag: String,
    /// Changes staged and not committed when the plan was made (see `apply::patch`).
    pub unmerged_changes: u32,
}
