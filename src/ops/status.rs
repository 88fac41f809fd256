//! `status`: every service the files declare, in every environment they declare, with its latest
//! deployment and public address, read in the same requests as a plan (1 per project, 1 + E when
//! Railway refuses the whole project in one). Nothing is diffed and no secret is read.

use serde::Serialize;

use super::session::Session;
use super::OpResult;
use crate::config::{self, model::Environment, model::Service};
use crate::plan::dns::WaitingDomain;
use crate::state::{LiveInstance, LiveProject};

/// The status of the services of some environment files.
#[derive(Debug, Clone, Serialize)]
pub struct StatusReport {
    pub services: Vec<ServiceStatus>,
    /// Declared custom domains whose DNS records are not in place yet.
    pub dns: Vec<WaitingDomain>,
}

/// One declared service in one environment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ServiceStatus {
    pub project: String,
    pub environment: String,
    pub service: String,
    /// Railway's status of the latest deployment (`SUCCESS`, `FAILED`, `BUILDING`…), or what
    /// stands in for one: `NOT DEPLOYED`, `NOT CREATED` (the service or environment does not
    /// exist yet), `UNKNOWN` (Railway did not say).
    pub status: String,
    pub deployment_id: Option<String>,
    /// When the latest deployment was made (RFC 3339).
    pub deployed_at: Option<String>,
    /// The service's public URL (its Railway domain, else its first custom domain).
    pub url: Option<String>,
}

impl ServiceStatus {
    /// A deployment that ended badly, or a service that is not running what the files say.
    pub fn unhealthy(&self) -> bool {
        matches!(self.status.as_str(), "FAILED" | "CRASHED" | "NOT DEPLOYED" | "NOT CREATED")
    }
}

/// Reads the live state of every project of the files at `paths`.
pub async fn run(session: &Session, paths: &[std::path::PathBuf]) -> OpResult<StatusReport> {
    let model = config::load(paths).map_err(|diagnostics| super::OpError::Invalid(diagnostics.0))?;
    let live = session.read_live(&model).await?;
    let mut services = Vec::new();
    for ((project, environments), live) in model.projects().into_iter().zip(&live) {
        for environment in environments {
            for service in environment.services.values().filter(|service| !service.delete) {
                services.push(service_status(&project.to_string(), environment, service, live.as_ref()));
            }
        }
    }
    let dns = crate::plan::dns::waiting_in(&model, &live);
    Ok(StatusReport { services, dns })
}

fn service_status(
    project: &str,
    environment: &Environment,
    service: &Service,
    live: Option<&LiveProject>,
) -> ServiceStatus {
    let mut status = ServiceStatus {
        project: project.to_string(),
        environment: environment.name.clone(),
        service: service.name.clone(),
        status: "NOT CREATED".to_string(),
        deployment_id: None,
        deployed_at: None,
        url: None,
    };
    let Some(instance) = live.and_then(|live| crate::plan::dns::live_instance(live, environment, service)) else {
        return status;
    };
    status.url = public_url(instance);
    match instance.deployments.as_ref().map(|state| state.latest.as_ref()) {
        None => status.status = "UNKNOWN".to_string(),
        Some(None) => status.status = "NOT DEPLOYED".to_string(),
        Some(Some(latest)) => {
            status.status = latest.status.clone();
            status.deployment_id = Some(latest.id.clone());
            status.deployed_at = Some(latest.created_at.clone());
        }
    }
    status
}

/// `https://` and the instance's Railway-generated domain, else its first custom domain.
fn public_url(instance: &LiveInstance) -> Option<String> {
    instance.domains().first().map(|domain| format!("https://{domain}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn the_public_url_prefers_railways_domain() {
        let instance = |networking: serde_json::Value| LiveInstance {
            settings: json!({ "networking": networking }),
            ..LiveInstance::default()
        };
        let both = instance(json!({
            "customDomains": { "api.acme.com": { "port": 8000 } },
            "serviceDomains": { "api-production.up.railway.app": { "port": 8000 } },
        }));
        assert_eq!(public_url(&both).as_deref(), Some("https://api-production.up.railway.app"));
        let custom = instance(json!({ "customDomains": { "api.acme.com": {} } }));
        assert_eq!(public_url(&custom).as_deref(), Some("https://api.acme.com"));
        assert_eq!(public_url(&instance(json!({}))), None);
        assert_eq!(public_url(&LiveInstance::default()), None);
    }
}
