//! The live-state types: a Railway project as railform sees it, normalised from the API into the
//! shape the planner compares against. `Debug` never shows a variable's value.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

/// A project as it exists on Railway.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveProject {
    pub id: String,
    pub name: String,
    /// Every service of the project (service names are project-wide), sorted by name.
    pub services: Vec<LiveService>,
    /// Every environment, sorted by name.
    pub environments: Vec<LiveEnvironment>,
}

/// A service: project-wide identity. Its per-environment settings are [`LiveInstance`]s.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveService {
    pub id: String,
    pub name: String,
}

/// One environment and everything configured in it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveEnvironment {
    pub id: String,
    pub name: String,
    /// Changes whenever the environment's config changes; a saved plan checks it.
    pub config_etag: String,
    /// Changes staged in the environment and not committed yet (someone's pending work, or
    /// what an interrupted apply left): apply will not commit over what it did not stage.
    pub unmerged_changes: u32,
    /// Shared variables of the environment.
    pub shared: BTreeMap<String, LiveValue>,
    /// Service id → that service's settings in this environment.
    pub instances: BTreeMap<String, LiveInstance>,
    /// Set for an ephemeral (preview) environment; `None` for a permanent one.
    pub ephemeral: Option<Ephemeral>,
}

/// What Railway says of an ephemeral environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ephemeral {
    /// When it was created (ISO 8601, as Railway sends it).
    pub created_at: String,
    /// The name of the environment it was copied from, if any.
    pub source: Option<String>,
}

/// A service's settings in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct LiveInstance {
    pub source: Option<LiveSource>,
    /// Volumes mounted into the service, sorted by mount path.
    pub volume_mounts: Vec<LiveVolumeMount>,
    /// The service's variables, raw (`${{…}}` templates unrendered).
    pub variables: BTreeMap<String, LiveValue>,
    /// The service's whole entry of the EnvironmentConfig but its variables (`source`, `build`,
    /// `deploy`, `networking`, `volumeMounts`…), in Railway's names: what the diff compares the
    /// files' settings with, leaf by leaf (see `config::settings::Leaf`).
    pub settings: serde_json::Value,
    /// The latest deployment and when the instance last changed (`None` when the read does not
    /// carry them).
    pub deployments: Option<DeploymentState>,
    /// Custom domain → the DNS records Railway asks its owner to create
    /// (`CustomDomain.status.dnsRecords`).
    pub dns_records: BTreeMap<String, Vec<DnsRecord>>,
}

/// A DNS record a custom domain needs before it serves (Railway's `DNSRecords`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DnsRecord {
    /// `DNS_RECORD_TYPE_CNAME`, `…_A`, `…_TXT`.
    pub record_type: String,
    pub fqdn: String,
    pub required_value: String,
    /// What DNS answers now (empty when nothing).
    pub current_value: String,
    /// `DNS_RECORD_STATUS_PROPAGATED` once DNS answers the required value.
    pub status: String,
}

impl DnsRecord {
    pub fn propagated(&self) -> bool {
        self.status == "DNS_RECORD_STATUS_PROPAGATED"
    }

    /// `CNAME api.acme.com → 1a2b3c4d.up.railway.app`.
    pub fn describe(&self) -> String {
        let kind = self.record_type.strip_prefix("DNS_RECORD_TYPE_").unwrap_or(&self.record_type);
        format!("{kind} {} → {}", self.fqdn, self.required_value)
    }
}

/// Whether an instance runs what it was last given.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeploymentState {
    /// The latest deployment; `None`: never deployed.
    pub latest: Option<LatestDeployment>,
    /// When the instance's config (variables included) last changed, as Railway says.
    pub changed_at: String,
}

/// An instance's latest deployment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LatestDeployment {
    pub id: String,
    /// Railway's status (`SUCCESS`, `FAILED`, `BUILDING`…).
    pub status: String,
    /// When it was made (RFC 3339).
    pub created_at: String,
}

/// Where a service's code comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveSource {
    Image { image: String },
    Repo { repo: String, branch: Option<String> },
}

/// A volume mounted into a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LiveVolumeMount {
    pub volume_id: String,
    /// The volume's name, when the config lists it.
    pub volume_name: Option<String>,
    pub mount_path: String,
}

/// A variable's live value. `Debug` masks it; read it with [`LiveValue::value`].
#[derive(Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LiveValue {
    /// The raw value, references as `${{…}}` templates.
    Value(String),
    /// Sealed: Railway never returns the value (also used when the value is not readable).
    Sealed,
}

impl LiveValue {
    /// The raw value, `None` when sealed.
    pub fn value(&self) -> Option<&str> {
        match self {
            LiveValue::Value(value) => Some(value),
            LiveValue::Sealed => None,
        }
    }
}

impl fmt::Debug for LiveValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LiveValue::Value(_) => f.write_str("Value(***)"),
            LiveValue::Sealed => f.write_str("Sealed"),
        }
    }
}

impl LiveProject {
    pub fn service(&self, id: &str) -> Option<&LiveService> {
        self.services.iter().find(|service| service.id == id)
    }

    /// Service names are case-sensitive, as in Railway references.
    pub fn service_by_name(&self, name: &str) -> Option<&LiveService> {
        self.services.iter().find(|service| service.name == name)
    }

    pub fn environment(&self, id: &str) -> Option<&LiveEnvironment> {
        self.environments.iter().find(|environment| environment.id == id)
    }

    pub fn environment_by_name(&self, name: &str) -> Option<&LiveEnvironment> {
        self.environments.iter().find(|environment| environment.name == name)
    }

    /// The settings of the service named `service_name` in the environment named `environment_name`.
    pub fn instance_by_names(&self, environment_name: &str, service_name: &str) -> Option<&LiveInstance> {
        let service = self.service_by_name(service_name)?;
        self.environment_by_name(environment_name)?.instance(&service.id)
    }
}

impl LiveEnvironment {
    pub fn instance(&self, service_id: &str) -> Option<&LiveInstance> {
        self.instances.get(service_id)
    }
}

impl LiveInstance {
    /// The public domains of the instance: its generated `*.up.railway.app` domains, then its
    /// custom domains, each in name order.
    pub fn domains(&self) -> Vec<String> {
        let networking = &self.settings["networking"];
        ["serviceDomains", "customDomains"]
            .iter()
            .filter_map(|kind| networking[*kind].as_object())
            .flat_map(|domains| domains.iter().filter(|(_, entry)| !entry.is_null()).map(|(domain, _)| domain.clone()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_masks_values() {
        let instance = LiveInstance {
            variables: BTreeMap::from([
                ("TOKEN".to_owned(), LiveValue::Value("hunter2".to_owned())),
                ("SEALED".to_owned(), LiveValue::Sealed),
            ]),
            ..LiveInstance::default()
        };
        let shown = format!("{instance:?}");
        assert!(shown.contains("TOKEN") && !shown.contains("hunter2"), "{shown}");
    }
}
