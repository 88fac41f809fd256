//! Live state: a Railway project as read from the API, normalised for the diff.
//! (Provisional types; the reader lands with the Railway client.)

use std::collections::BTreeMap;

use serde::Serialize;

#[derive(Debug, Clone, Serialize)]
pub struct LiveProject {
    pub id: String,
    pub name: String,
    pub services: Vec<LiveService>,
    pub environments: Vec<LiveEnvironment>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiveService {
    pub id: String,
    pub name: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct LiveEnvironment {
    pub id: String,
    pub name: String,
    pub config_etag: String,
    pub shared: BTreeMap<String, LiveValue>,
    pub instances: BTreeMap<String, LiveInstance>,
}

#[derive(Debug, Clone, Serialize, Default)]
pub struct LiveInstance {
    pub source: Option<LiveSource>,
    pub volume_mounts: Vec<String>,
    pub variables: BTreeMap<String, LiveValue>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum LiveSource {
    Image(String),
    Repo { repo: String, branch: Option<String> },
}

#[derive(Clone, PartialEq, Eq, Serialize)]
pub enum LiveValue {
    Value(String),
    Sealed,
}

impl std::fmt::Debug for LiveValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            LiveValue::Value(_) => f.write_str("Value(***)"),
            LiveValue::Sealed => f.write_str("Sealed"),
        }
    }
}
