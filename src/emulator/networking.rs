//! Networking of service instances: Railway-provided service domains (`*.up.railway.app`),
//! custom domains with the DNS records Railway asks for, TCP proxies; and the regions instances
//! can run in. Domains are unique across the whole emulator, as they are on the internet.

use sha2::{Digest, Sha256};

use super::resolve::slug;
use super::store::{new_id, now, CustomDomain, Refusal, ServiceDomain, State, TcpProxy};

/// The suffix of Railway-provided service domains.
pub const SERVICE_DOMAIN_SUFFIX: &str = "up.railway.app";

/// A region Railway deploys to, as `Query.regions` lists it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Region {
    /// The id deployments and `multiRegionConfig` use.
    pub id: &'static str,
    /// The cloud region behind it.
    pub region: &'static str,
    pub location: &'static str,
    pub country: &'static str,
}

/// Railway's four public regions (ids as the official CLI 5.71.0 and its tests spell them).
pub const REGIONS: [Region; 4] = [
    Region { id: "us-west2", region: "us-west2", location: "US West", country: "US" },
    Region { id: "us-east4-eqdc4a", region: "us-east4", location: "US East", country: "US" },
    Region { id: "europe-west4-drams3a", region: "europe-west4", location: "EU West", country: "NL" },
    Region { id: "asia-southeast1-eqsg3a", region: "asia-southeast1", location: "Southeast Asia", country: "SG" },
];

/// A DNS label: 1–63 of `a-z`, `0-9`, `-`, not starting or ending with `-`.
pub fn is_dns_label(label: &str) -> bool {
    (1..=63).contains(&label.len())
        && label.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !label.starts_with('-')
        && !label.ends_with('-')
}

/// A host name of at least two DNS labels.
fn is_hostname(name: &str) -> bool {
    name.len() <= 253 && name.split('.').count() >= 2 && name.split('.').all(is_dns_label)
}

/// What a patch does to one domain entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DomainChange {
    /// Create it, or change its target port.
    Set(Option<i64>),
    Remove,
}

fn check_port(port: Option<i64>) -> Result<(), Refusal> {
    match port {
        Some(port) if !(1..=65_535).contains(&port) => Err(Refusal::new("port must be from 1 to 65535")),
        _ => Ok(()),
    }
}

fn domain_taken(state: &State, domain: &str) -> bool {
    state.service_domains.iter().any(|d| d.domain == domain) || state.custom_domains.iter().any(|d| d.domain == domain)
}

/// A stable number from some text, for ids and ports that must not move between reads.
fn digest_u32(text: &str) -> u32 {
    let digest = Sha256::digest(text);
    u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]])
}

impl State {
    /// True when `domain` belongs to another instance than this one.
    pub fn domain_held_elsewhere(&self, environment_id: &str, service_id: &str, domain: &str) -> bool {
        let other = |e: &str, s: &str| e != environment_id || s != service_id;
        self.service_domains.iter().any(|d| d.domain == domain && other(&d.environment_id, &d.service_id))
            || self.custom_domains.iter().any(|d| d.domain == domain && other(&d.environment_id, &d.service_id))
    }

    /// Creates, re-targets or removes a service domain of one instance.
    pub fn set_service_domain(
        &mut self,
        environment_id: &str,
        service_id: &str,
        domain: &str,
        change: DomainChange,
    ) -> Result<(), Refusal> {
        let mine =
            |d: &ServiceDomain| d.environment_id == environment_id && d.service_id == service_id && d.domain == domain;
        let port = match change {
            DomainChange::Remove => {
                self.service_domains.retain(|d| !mine(d));
                return Ok(());
            }
            DomainChange::Set(port) => port,
        };
        check_port(port)?;
        if let Some(existing) = self.service_domains.iter_mut().find(|d| mine(d)) {
            existing.target_port = port;
            existing.updated_at = now();
            return Ok(());
        }
        let label = domain.strip_suffix(&format!(".{SERVICE_DOMAIN_SUFFIX}")).unwrap_or_default();
        if !is_dns_label(label) {
            return Err(Refusal::new(format!("a service domain is <label>.{SERVICE_DOMAIN_SUFFIX}")));
        }
        if domain_taken(self, domain) {
            return Err(Refusal::new(format!("Domain {domain} is not available")));
        }
        self.push_service_domain(environment_id, service_id, domain.to_string(), port);
        Ok(())
    }

    fn push_service_domain(
        &mut self,
        environment_id: &str,
        service_id: &str,
        domain: String,
        port: Option<i64>,
    ) -> ServiceDomain {
        let stamp = now();
        let record = ServiceDomain {
            id: new_id(),
            environment_id: environment_id.to_string(),
            service_id: service_id.to_string(),
            domain,
            target_port: port,
            created_at: stamp.clone(),
            updated_at: stamp,
        };
        self.service_domains.push(record.clone());
        record
    }

    /// `serviceDomainCreate`: a new `<service>-<environment>[-xxxx].up.railway.app` domain.
    pub fn create_service_domain(
        &mut self,
        environment_id: &str,
        service_id: &str,
        target_port: Option<i64>,
    ) -> Result<ServiceDomain, Refusal> {
        self.instance(environment_id, service_id)?;
        check_port(target_port)?;
        let service = slug(&self.service(service_id)?.name);
        let environment = slug(&self.environment(environment_id)?.name);
        let mut base = format!("{service}-{environment}");
        base.truncate(55);
        let base = base.trim_end_matches('-').to_string();
        let mut domain = format!("{base}.{SERVICE_DOMAIN_SUFFIX}");
        while domain_taken(self, &domain) {
            domain = format!("{base}-{}.{SERVICE_DOMAIN_SUFFIX}", &new_id()[..4]);
        }
        self.touch_environment(environment_id);
        Ok(self.push_service_domain(environment_id, service_id, domain, target_port))
    }

    /// `serviceDomainDelete`.
    pub fn delete_service_domain(&mut self, id: &str) -> Result<bool, Refusal> {
        let Some(domain) = self.service_domains.iter().find(|d| d.id == id).cloned() else {
            return Err(Refusal::new("Service domain not found"));
        };
        self.service_domains.retain(|d| d.id != id);
        self.touch_environment(&domain.environment_id);
        Ok(true)
    }

    /// Creates, re-targets or removes a custom domain of one instance.
    pub fn set_custom_domain(
        &mut self,
        environment_id: &str,
        service_id: &str,
        domain: &str,
        change: DomainChange,
    ) -> Result<(), Refusal> {
        let mine =
            |d: &CustomDomain| d.environment_id == environment_id && d.service_id == service_id && d.domain == domain;
        let port = match change {
            DomainChange::Remove => {
                self.custom_domains.retain(|d| !mine(d));
                return Ok(());
            }
            DomainChange::Set(port) => port,
        };
        check_port(port)?;
        if let Some(existing) = self.custom_domains.iter_mut().find(|d| mine(d)) {
            existing.target_port = port;
            existing.updated_at = now();
            return Ok(());
        }
        if !is_hostname(domain) {
            return Err(Refusal::new(format!("{domain} is not a valid domain name")));
        }
        if domain == "railway.app" || domain.ends_with(".railway.app") {
            return Err(Refusal::new("railway.app domains are Railway's; use a service domain"));
        }
        if domain_taken(self, domain) {
            return Err(Refusal::new(format!("Domain {domain} is already in use")));
        }
        let stamp = now();
        self.custom_domains.push(CustomDomain {
            id: new_id(),
            environment_id: environment_id.to_string(),
            service_id: service_id.to_string(),
            domain: domain.to_string(),
            target_port: port,
            created_at: stamp.clone(),
            updated_at: stamp,
        });
        Ok(())
    }

    /// Exposes `application_port` of one instance through a TCP proxy (a second proxy for the
    /// same port changes nothing).
    pub fn add_tcp_proxy(
        &mut self,
        environment_id: &str,
        service_id: &str,
        application_port: i64,
    ) -> Result<(), Refusal> {
        if self.tcp_proxies_of(environment_id, service_id).any(|p| p.application_port == application_port) {
            return Ok(());
        }
        let service = slug(&self.service(service_id)?.name);
        let environment = slug(&self.environment(environment_id)?.name);
        let domain = format!("{service}-{environment}.proxy.rlwy.net");
        let mut proxy_port =
            i64::from(10_000 + digest_u32(&format!("{environment_id}/{service_id}/{application_port}")) % 50_000);
        while self.tcp_proxies.iter().any(|p| p.domain == domain && p.proxy_port == proxy_port) {
            proxy_port = 10_000 + (proxy_port - 10_000 + 1) % 50_000;
        }
        let stamp = now();
        self.tcp_proxies.push(TcpProxy {
            id: new_id(),
            environment_id: environment_id.to_string(),
            service_id: service_id.to_string(),
            application_port,
            proxy_port,
            domain,
            created_at: stamp.clone(),
            updated_at: stamp,
        });
        Ok(())
    }
}

/// The DNS records Railway asks the owner of a custom domain to create: a CNAME to a Railway
/// host for the traffic (a subdomain) or, at a zone apex, the same as an ALIAS/flattened CNAME.
pub struct DnsRecord {
    pub hostlabel: String,
    pub fqdn: String,
    pub zone: String,
    pub required_value: String,
}

pub fn dns_records(domain: &CustomDomain) -> Vec<DnsRecord> {
    let labels: Vec<&str> = domain.domain.split('.').collect();
    let split = labels.len().saturating_sub(2);
    let zone = labels[split..].join(".");
    let hostlabel = if split == 0 { "@".to_string() } else { labels[..split].join(".") };
    let target = format!("{:08x}.{SERVICE_DOMAIN_SUFFIX}", digest_u32(&domain.id));
    vec![DnsRecord { hostlabel, fqdn: domain.domain.clone(), zone, required_value: target }]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::fixture;

    #[test]
    fn service_domains_are_unique_and_generated_names_avoid_taken_ones() {
        let mut state = fixture(&[]);
        let first = state.create_service_domain("e", "api", Some(8080)).unwrap();
        assert_eq!(first.domain, "api-production.up.railway.app");
        let second = state.create_service_domain("e", "api", None).unwrap();
        assert!(second.domain.starts_with("api-production-") && second.domain.ends_with(".up.railway.app"));
        let taken = state.set_service_domain("e", "Postgres DB", &first.domain, DomainChange::Set(None));
        assert!(taken.unwrap_err().0.contains("not available"));
        let bad = state.set_service_domain("e", "api", "x.example.com", DomainChange::Set(None));
        assert!(bad.is_err());
        assert!(state.set_custom_domain("e", "api", "api.example.com", DomainChange::Set(Some(0))).is_err());
        state.set_custom_domain("e", "api", "api.example.com", DomainChange::Set(Some(443))).unwrap();
        let records = dns_records(&state.custom_domains[0]);
        assert_eq!((records[0].hostlabel.as_str(), records[0].zone.as_str()), ("api", "example.com"));
    }

    #[test]
    fn a_tcp_proxy_gets_a_stable_public_port() {
        let mut state = fixture(&[]);
        state.add_tcp_proxy("e", "Postgres DB", 5432).unwrap();
        state.add_tcp_proxy("e", "Postgres DB", 5432).unwrap();
        assert_eq!(state.tcp_proxies.len(), 1);
        let proxy = &state.tcp_proxies[0];
        assert!((10_000..60_000).contains(&proxy.proxy_port));
        assert_eq!(proxy.domain, "postgres-db-production.proxy.rlwy.net");
    }
}
