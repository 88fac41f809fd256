//! DNS a custom domain still waits for: the records Railway lists for each custom domain the
//! files declare (`CustomDomain.status.dnsRecords`, read with the project) that DNS does not
//! answer yet. Plans warn of them, apply prints them once it has created the domains, and
//! `status` lists them.

use serde::{Deserialize, Serialize};

use crate::config::model::{Environment, Model, Service};
use crate::state::{DnsRecord, LiveInstance, LiveProject};

/// A declared custom domain and the records its owner must still create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitingDomain {
    pub environment: String,
    pub service: String,
    pub domain: String,
    pub records: Vec<DnsRecord>,
}

impl WaitingDomain {
    /// `production/api: api.acme.com waits for DNS: create CNAME api.acme.com → x.up.railway.app`.
    pub fn line(&self) -> String {
        let records: Vec<String> = self.records.iter().map(DnsRecord::describe).collect();
        format!(
            "{}/{}: {} waits for DNS: create {}",
            self.environment,
            self.service,
            self.domain,
            records.join(" and ")
        )
    }
}

/// The custom domains `service` declares whose records `instance` says are not propagated.
pub fn waiting(environment: &str, service: &Service, instance: &LiveInstance) -> Vec<WaitingDomain> {
    let Some(networking) = &service.settings.networking else { return Vec::new() };
    networking
        .custom_domains
        .iter()
        .filter_map(|declared| {
            let records = instance.dns_records.get(&declared.domain)?;
            let pending: Vec<DnsRecord> = records.iter().filter(|r| !r.propagated()).cloned().collect();
            (!pending.is_empty()).then(|| WaitingDomain {
                environment: environment.to_string(),
                service: service.name.clone(),
                domain: declared.domain.clone(),
                records: pending,
            })
        })
        .collect()
}

/// Every declared custom domain of `model` still waiting for DNS in `live` (in
/// [`Model::projects`] order, as `Session::read_live` returns it).
pub fn waiting_in(model: &Model, live: &[Option<LiveProject>]) -> Vec<WaitingDomain> {
    let mut all = Vec::new();
    for ((_, environments), live) in model.projects().into_iter().zip(live) {
        let Some(live) = live else { continue };
        for environment in environments {
            for service in environment.services.values() {
                if let Some(instance) = live_instance(live, environment, service) {
                    all.extend(waiting(&environment.name, service, instance));
                }
            }
        }
    }
    all
}

/// The live instance of a declared service: by pinned id, else by name, else by an earlier name
/// (a rename not applied yet); the environment likewise by name or earlier name.
pub fn live_instance<'l>(
    live: &'l LiveProject,
    environment: &Environment,
    service: &Service,
) -> Option<&'l LiveInstance> {
    let live_environment = std::iter::once(&environment.name)
        .chain(&environment.renamed_from)
        .find_map(|name| live.environment_by_name(name))?;
    let live_service = match &service.id {
        Some(id) => live.service(id),
        None => std::iter::once(&service.name).chain(&service.renamed_from).find_map(|name| live.service_by_name(name)),
    }?;
    live_environment.instance(&live_service.id)
}
