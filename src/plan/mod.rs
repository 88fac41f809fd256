//! The plan: every change railform would make, computed by [`diff`] from the desired model and
//! the live state with no I/O, shown by `render` and carried out by `apply`.
//!
//! A [`Change`] has two faces: what people read (address, action, masked before/after, reason)
//! and the [`Operation`] that `apply` executes (ids, wire values). Sensitive values never sit in
//! a plan in clear: an operation holds a [`WireValue::Secret`] that says where the value comes
//! from and a hash to check it against at apply time.

pub mod diff;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Version of the JSON document (`--format json` and saved plans).
pub const FORMAT_VERSION: u32 = 1;

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
}

impl Plan {
    pub fn new(
        changes: Vec<Change>,
        unmanaged: Vec<Unmanaged>,
        warnings: Vec<String>,
        fingerprint: Fingerprint,
    ) -> Plan {
        let summary = Summary::of(&changes, &unmanaged);
        Plan { format_version: FORMAT_VERSION, changes, unmanaged, warnings, summary, fingerprint }
    }

    /// True when applying would change nothing and nothing unmanaged was found.
    pub fn is_empty(&self) -> bool {
        self.changes.iter().all(|change| change.action == Action::Deploy) && self.unmanaged.is_empty()
    }

    /// Changes grouped by environment name: project-wide changes (named `""`) first, then each
    /// environment by name; within a group, plan order.
    pub fn by_environment(&self) -> Vec<(String, Vec<&Change>)> {
        let mut groups: std::collections::BTreeMap<String, Vec<&Change>> = std::collections::BTreeMap::new();
        for change in &self.changes {
            groups.entry(change.environment.clone().unwrap_or_default()).or_default().push(change);
        }
        groups.into_iter().collect()
    }
}

/// One change, as people read it and as `apply` executes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Change {
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
    pub operation: Operation,
}

impl Change {
    /// A change with what every change has; the optional parts are added with the builder
    /// methods below.
    pub fn new(project: &str, address: impl Into<String>, action: Action, kind: Kind, operation: Operation) -> Change {
        Change {
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
            operation,
        }
    }

    pub fn in_environment(mut self, environment: &str) -> Change {
        self.environment = Some(environment.to_string());
        self
    }

    pub fn of_service(mut self, service: &str) -> Change {
        self.service = Some(service.to_string());
        self
    }

    pub fn named(mut self, name: &str) -> Change {
        self.name = Some(name.to_string());
        self
    }

    pub fn because(mut self, reason: impl Into<String>) -> Change {
        self.reason = reason.into();
        self
    }

    /// The shown values (already masked when sensitive).
    pub fn values(mut self, before: Option<String>, after: Option<String>) -> Change {
        self.before = before;
        self.after = after;
        self
    }

    pub fn sensitive(mut self, sensitive: bool) -> Change {
        self.sensitive = sensitive;
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
    /// a secret: the plan keeps only its hash and the renames; `apply` re-reads the value,
    /// checks the hash and renames the references in it.
    /// When the live value already hashes to `sha256_after` (Railway rewrote it itself on the
    /// rename), nothing is written.
    Rewrite { renames: Vec<(String, String)>, sha256: String, sha256_after: String },
}

/// Where a sensitive value comes from at apply time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "from")]
pub enum SecretSource {
    /// The process environment variable `name`, whose value hashed to `sha256` when planned.
    Env { name: String, sha256: String },
    /// A sensitive literal of the environment file, which hashed to `sha256` when planned.
    File { address: String, sha256: String },
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
    /// Sets what an instance deploys: an image or a repository (Railway's instance update takes
    /// no branch).
    UpdateSource {
        service: Id,
        environment: Id,
        image: Option<String>,
        repo: Option<String>,
    },
    CreateVolume {
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
    /// Writes variables of one service (or the shared variables when `service` is `None`).
    UpsertVariables {
        project: Id,
        environment: Id,
        service: Option<Id>,
        variables: BTreeMap<String, WireValue>,
    },
    DeleteVariable {
        project: Id,
        environment: Id,
        service: Option<Id>,
        name: String,
    },
    Deploy {
        service: Id,
        environment: Id,
    },
}

/// A live object the files do not declare.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Unmanaged {
    pub address: String,
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
    pub fn of(changes: &[Change], unmanaged: &[Unmanaged]) -> Summary {
        let count = |actions: &[Action]| changes.iter().filter(|c| actions.contains(&c.action)).count();
        Summary {
            add: count(&[Action::Create]),
            change: count(&[Action::Update, Action::Rewrite]),
            destroy: count(&[Action::Delete]),
            rename: count(&[Action::Rename]),
            deploy: count(&[Action::Deploy]),
            unmanaged: unmanaged.len(),
        }
    }

    /// `Plan: A to add, C to change, D to destroy, R to rename.` or `No changes.`
    pub fn line(&self) -> String {
        if self.add + self.change + self.destroy + self.rename == 0 {
            "No changes.".to_string()
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
    /// Per project: its id (if it existed), then environment id → configEtag, and service id → name.
    pub projects: Vec<ProjectFingerprint>,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProjectFingerprint {
    pub name: String,
    pub id: Option<String>,
    pub environments: BTreeMap<String, String>,
    pub services: BTreeMap<String, String>,
}
