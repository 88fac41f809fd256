//! A service's settings in one environment against the files (SPEC §2.1): each setting the files
//! write is compared with the live config at the same path ([`Settings::leaves`]); networking is
//! compared by domain and port. What the files do not write is not managed. A service with a
//! `[networking]` table owns its domains and TCP proxies: undeclared ones are unmanaged (drift),
//! deleted with `--prune`.

use serde_json::{json, Value};

use super::{EnvironmentMatch, ProjectDiff};
use crate::config::model::{Service, VariableValue};
use crate::config::settings::{Networking, RegistryCredentials, Settings};
use crate::plan::{Action, Change, Id, Kind, Operation, PatchEntry, SecretSource, Unmanaged, WireValue, MASK};
use crate::state::LiveInstance;

impl<'m, 'l> ProjectDiff<'m, 'l> {
    /// Plans the settings of `service` in `environment`; returns whether anything changes.
    pub(super) fn diff_settings(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        service: &'m Service,
        service_id: &Id,
        live: Option<&'l LiveInstance>,
    ) -> bool {
        let live_settings = live.map_or(&Value::Null, |instance| &instance.settings);
        let mut changed = false;
        for leaf in service.settings.leaves() {
            let current = at_path(live_settings, &leaf.path);
            if current.is_some_and(|current| same_setting(current, &leaf.value)) {
                continue;
            }
            let action = if current.is_some() { Action::Update } else { Action::Create };
            let change = self
                .setting_change(
                    environment,
                    service,
                    &leaf.name,
                    action,
                    service_id,
                    leaf.path.clone(),
                    leaf.value.clone(),
                )
                .values(current.map(shown), Some(shown(&leaf.value)))
                .because(match current {
                    Some(_) => "the live setting differs from the file",
                    None => "declared in the file, not set in Railway",
                });
            self.add(change);
            changed = true;
        }
        if let Some(networking) = &service.settings.networking {
            changed |= self.diff_networking(environment, service, service_id, networking, live_settings);
            if let Some(live) = live {
                self.dns.extend(crate::plan::dns::waiting(&environment.name, service, live));
            }
        }
        changed |= self.diff_backups(environment, service, service_id, &service.settings, live);
        if let Some(credentials) = &service.settings.registry_credentials {
            changed |= self.diff_registry_credentials(environment, service, service_id, credentials, live_settings);
        }
        changed
    }

    /// `registry_credentials`: the username compares as written; the password as a secret, when
    /// Railway gives it back (a password it does not return, or one the files `preserve`, is
    /// left as it is unless the username changes).
    fn diff_registry_credentials(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        service: &'m Service,
        service_id: &Id,
        credentials: &RegistryCredentials,
        live: &Value,
    ) -> bool {
        let path = ["deploy".to_string(), "registryCredentials".to_string()];
        let live = at_path(live, &path);
        let live_username = live.and_then(|c| c.get("username")).and_then(Value::as_str);
        let live_password = live.and_then(|c| c.get("password")).and_then(Value::as_str);
        let address = format!("{}/{}/registry_credentials", environment.name, service.name);
        let file = environment.desired.map(|e| e.file.clone()).unwrap_or_default();
        let (password, wanted) = match &credentials.password {
            VariableValue::FromEnv { name, .. } => match self.secrets.get(name) {
                Some(secret) => (
                    Some(WireValue::Secret(SecretSource::Env {
                        name: name.clone(),
                        digest: self.options.key.digest_secret(secret),
                    })),
                    Some(secret.expose().to_string()),
                ),
                None => return false,
            },
            VariableValue::Literal { value, .. } => {
                // As apply reads it back from the file (`ValueSources`).
                let value = crate::refs::to_railway_syntax(value);
                let digest = self.options.key.digest(&value);
                let source = SecretSource::File { file, address: format!("{address}.password"), digest };
                (Some(WireValue::Secret(source)), Some(value))
            }
            // `preserve`: the password in Railway stays; only the username is managed.
            _ => (None, None),
        };
        let same_password = match (live_password, &wanted) {
            (Some(live), Some(wanted)) => live == wanted,
            // Not returned by Railway, or not managed: nothing to compare.
            _ => true,
        };
        if live.is_some() && live_username == Some(credentials.username.as_str()) && same_password {
            return false;
        }
        if wanted.is_none() && live.is_none() {
            self.warnings.push(format!(
                "{address}: the password is `preserve`d and Railway holds none to keep; give it with from_env"
            ));
            return false;
        }
        let operation = Operation::Patch {
            environment: environment.id.clone(),
            service: Some(service_id.clone()),
            entry: PatchEntry::RegistryCredentials { username: credentials.username.clone(), password },
        };
        let shown = |username: &str| format!("username {username}, password {MASK}");
        let action = if live.is_some() { Action::Update } else { Action::Create };
        let change = Change::new(&self.project_name, address, action, Kind::Setting, operation)
            .in_environment(&environment.name)
            .of_service(&service.name)
            .named("registry_credentials")
            .values(live.map(|_| shown(live_username.unwrap_or_default())), Some(shown(&credentials.username)))
            .because(match live {
                Some(_) if live_username != Some(credentials.username.as_str()) => "the live username differs",
                Some(_) => "the password in Railway differs from the one given",
                None => "declared in the file, not set in Railway",
            });
        self.add(change);
        true
    }

    fn diff_networking(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        service: &'m Service,
        service_id: &Id,
        networking: &Networking,
        live: &Value,
    ) -> bool {
        let mut changed = false;
        let live_map = |key: &str| -> Vec<(String, Value)> {
            at_path(live, &["networking".to_string(), key.to_string()])
                .and_then(Value::as_object)
                .map(|map| map.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default()
        };
        // A generated domain: Railway names it, so one is created when none exists.
        let service_domains = live_map("serviceDomains");
        match (networking.railway_domain, service_domains.first()) {
            (Some(port), None) => {
                let operation = Operation::CreateServiceDomain {
                    service: service_id.clone(),
                    environment: environment.id.clone(),
                    port,
                };
                let address = format!("{}/{}/networking.railway_domain", environment.name, service.name);
                self.add(
                    Change::new(&self.project_name, address, Action::Create, Kind::Setting, operation)
                        .in_environment(&environment.name)
                        .of_service(&service.name)
                        .because("a generated *.up.railway.app domain")
                        .values(
                            None,
                            Some(port.map_or("(Railway picks the port)".to_string(), |p| format!("port {p}"))),
                        ),
                );
                changed = true;
            }
            (Some(Some(port)), Some((domain, entry))) if entry.get("port") != Some(&json!(port)) => {
                let path = vec!["networking".into(), "serviceDomains".into(), domain.clone(), "port".into()];
                let change = self
                    .setting_change(
                        environment,
                        service,
                        "networking.railway_domain",
                        Action::Update,
                        service_id,
                        path,
                        json!(port),
                    )
                    .values(entry.get("port").map(shown), Some(port.to_string()))
                    .because(format!("{domain} goes to another port"));
                self.add(change);
                changed = true;
            }
            _ => {}
        }
        let extra_domains = if networking.railway_domain.is_some() { 1 } else { 0 };
        for (domain, _) in service_domains.iter().skip(extra_domains) {
            changed |= self.unmanaged_networking(environment, service, service_id, "serviceDomains", domain);
        }
        let custom = live_map("customDomains");
        for wanted in &networking.custom_domains {
            let current = custom.iter().find(|(domain, _)| *domain == wanted.domain).map(|(_, entry)| entry);
            let value = match wanted.port {
                Some(port) => json!({ "port": port }),
                None => json!({}),
            };
            if current.is_some_and(|entry| wanted.port.is_none() || entry.get("port") == value.get("port")) {
                continue;
            }
            let path = vec!["networking".into(), "customDomains".into(), wanted.domain.clone()];
            let name = format!("networking.custom_domains[{}]", wanted.domain);
            let action = if current.is_some() { Action::Update } else { Action::Create };
            let change = self
                .setting_change(environment, service, &name, action, service_id, path, value)
                .values(
                    None,
                    Some(wanted.port.map_or(wanted.domain.clone(), |p| format!("{} → port {p}", wanted.domain))),
                )
                .because(
                    "a custom domain: apply prints the DNS records Railway then asks for (and so do plan and status)",
                );
            self.add(change);
            changed = true;
        }
        for (domain, _) in &custom {
            if !networking.custom_domains.iter().any(|d| d.domain == *domain) {
                changed |= self.unmanaged_networking(environment, service, service_id, "customDomains", domain);
            }
        }
        let proxies = live_map("tcpProxies");
        for port in &networking.tcp_proxy {
            if proxies.iter().any(|(live_port, _)| *live_port == port.to_string()) {
                continue;
            }
            let path = vec!["networking".into(), "tcpProxies".into(), port.to_string()];
            let change = self
                .setting_change(
                    environment,
                    service,
                    &format!("networking.tcp_proxy[{port}]"),
                    Action::Create,
                    service_id,
                    path,
                    json!({}),
                )
                .values(None, Some(format!("port {port}")))
                .because("exposed through Railway's TCP proxy");
            self.add(change);
            changed = true;
        }
        for (port, _) in &proxies {
            if !networking.tcp_proxy.iter().any(|p| p.to_string() == *port) {
                changed |= self.unmanaged_networking(environment, service, service_id, "tcpProxies", port);
            }
        }
        changed
    }

    /// Backup schedules of the service's volume: the live one, or the one this plan creates.
    fn diff_backups(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        service: &'m Service,
        service_id: &Id,
        settings: &Settings,
        live: Option<&'l LiveInstance>,
    ) -> bool {
        let Some(wanted) = &settings.volume_backups else { return false };
        let mut names: Vec<String> = wanted.iter().map(|b| b.railway_name().to_string()).collect();
        names.sort_unstable();
        names.dedup();
        let (volume, current) = match live.and_then(|i| i.volume_mounts.first()) {
            Some(mount) => {
                let path = ["volumeMounts".to_string(), mount.volume_id.clone(), "backupSchedules".to_string()];
                (Id::Live(mount.volume_id.clone()), live.and_then(|i| at_path(&i.settings, &path)).cloned())
            }
            None if service.volume.is_some() => (Id::New(self.volume_key(&environment.name, &service.name)), None),
            None => return false,
        };
        let mut current_names: Vec<String> = current
            .as_ref()
            .and_then(Value::as_array)
            .map(|list| list.iter().filter_map(|v| v.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        current_names.sort_unstable();
        if current_names == names {
            return false;
        }
        let operation = Operation::Patch {
            environment: environment.id.clone(),
            service: Some(service_id.clone()),
            entry: PatchEntry::VolumeBackups { volume, schedules: names.clone() },
        };
        let address = format!("{}/{}/volume.backups", environment.name, service.name);
        let action = if current.is_some() { Action::Update } else { Action::Create };
        self.add(
            Change::new(&self.project_name, address, action, Kind::Setting, operation)
                .in_environment(&environment.name)
                .of_service(&service.name)
                .named("volume.backups")
                .values(current.as_ref().map(shown), Some(shown(&json!(names))))
                .because("backup schedules of the volume"),
        );
        true
    }

    /// A live domain or TCP proxy the service's `[networking]` does not declare: drift, or a
    /// delete with `--prune`. Returns whether it changes.
    fn unmanaged_networking(
        &mut self,
        environment: &EnvironmentMatch<'m, 'l>,
        service: &'m Service,
        service_id: &Id,
        kind: &str,
        key: &str,
    ) -> bool {
        let name = match kind {
            "tcpProxies" => format!("networking.tcp_proxy[{key}]"),
            "customDomains" => format!("networking.custom_domains[{key}]"),
            _ => format!("networking.railway_domain[{key}]"),
        };
        if self.options.prune {
            let path = vec!["networking".to_string(), kind.to_string(), key.to_string()];
            let change = self
                .setting_change(environment, service, &name, Action::Delete, service_id, path, Value::Null)
                .values(Some(key.to_string()), None)
                .because("not declared in the file's [networking] (--prune)");
            self.add(change);
            return true;
        }
        self.unmanaged.push(Unmanaged {
            project: self.project_name.clone(),
            address: format!("{}/{}/{name}", environment.name, service.name),
            kind: Kind::Setting,
            environment: Some(environment.name.clone()),
            service: Some(service.name.clone()),
            name,
        });
        false
    }

    #[allow(clippy::too_many_arguments)]
    fn setting_change(
        &self,
        environment: &EnvironmentMatch<'m, 'l>,
        service: &Service,
        name: &str,
        action: Action,
        service_id: &Id,
        path: Vec<String>,
        value: Value,
    ) -> Change {
        let operation = Operation::Patch {
            environment: environment.id.clone(),
            service: Some(service_id.clone()),
            entry: PatchEntry::Setting { path, value },
        };
        Change::new(
            &self.project_name,
            format!("{}/{}/{name}", environment.name, service.name),
            action,
            Kind::Setting,
            operation,
        )
        .in_environment(&environment.name)
        .of_service(&service.name)
        .named(name)
    }
}

/// The value at `path` of a JSON document, if there is one (`null` counts as none).
fn at_path<'v>(value: &'v Value, path: &[String]) -> Option<&'v Value> {
    path.iter().try_fold(value, |value, key| value.get(key)).filter(|value| !value.is_null())
}

/// Settings compare by meaning: numbers by value (`2` is `2.0`), and a list of one command is the
/// command Railway may store as a string.
fn same_setting(live: &Value, wanted: &Value) -> bool {
    match (live, wanted) {
        (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
        (Value::String(a), Value::Array(b)) | (Value::Array(b), Value::String(a)) => b.len() == 1 && b[0] == *a,
        _ => live == wanted,
    }
}

/// A setting's value as shown: text without quotes, anything else as compact JSON.
fn shown(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_compare_by_meaning() {
        assert!(same_setting(&json!(2), &json!(2.0)));
        assert!(same_setting(&json!("npx prisma migrate deploy"), &json!(["npx prisma migrate deploy"])));
        assert!(!same_setting(&json!("a"), &json!(["a", "b"])));
        assert!(!same_setting(&json!("ON_FAILURE"), &json!("ALWAYS")));
        assert_eq!(
            at_path(&json!({"deploy": {"startCommand": null}}), &["deploy".into(), "startCommand".into()]),
            None
        );
    }
}
