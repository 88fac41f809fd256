//! Recognising a service that Railway created from one of its templates (Postgres, Redis), so
//! import can write `template = "postgres"` and only what differs from it. The comparison is
//! against the template as the loader will expand it ([`config::templates::expand`], with a
//! project-local `templates/` folder taken into account), never against a copy of it.
//!
//! A service collapses only when the file would plan nothing for it: same image, the template's
//! volume mounted, and every variable the template declares present live (a template variable
//! that is missing live would be planned as a create). Generated and preserved template values
//! match by presence, as the planner compares them; a sealed live value matches anything.

use std::collections::BTreeSet;
use std::path::Path;

use serde_json::json;

use crate::config::templates::{self, TemplateInput};
use crate::config::tree::{Table, Value};
use crate::refs;
use crate::state::{LiveInstance, LiveSource, LiveValue};

/// A template and the image (without tag) its services run.
struct KnownTemplate {
    name: &'static str,
    image: &'static str,
}

/// Templates import recognises by image. `params.version` is the image tag.
const KNOWN_TEMPLATES: &[KnownTemplate] = &[
    KnownTemplate { name: "postgres", image: "ghcr.io/railwayapp-templates/postgres-ssl" },
    KnownTemplate { name: "redis", image: "redis" },
];

/// Keys a template may set for import to reproduce it with `template` + `params` alone.
const REPRODUCIBLE_KEYS: &[&str] = &["image", "volume", "variables", "networking"];

/// A live service written as a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Collapsed {
    pub template: &'static str,
    /// `params.version`: the image tag, when the image has one.
    pub version: Option<String>,
    /// Live variables to write over the template: absent from it, or with another value.
    pub overrides: BTreeSet<String>,
}

/// What a template is expanded for: the service and environment names, and the file the
/// result will be written to (its folder, or the one above, may hold `templates/`).
pub struct CollapseInput<'a> {
    pub service: &'a str,
    pub environment: &'a str,
    pub instance: &'a LiveInstance,
    pub templates_from: &'a Path,
}

/// The template `input.instance` was made from, or `None` when it is not (or not exactly enough).
pub fn collapse(input: &CollapseInput<'_>) -> Option<Collapsed> {
    let Some(LiveSource::Image { image }) = &input.instance.source else { return None };
    KNOWN_TEMPLATES.iter().find_map(|known| {
        let version = match image.strip_prefix(known.image)? {
            "" => None,
            tagged => Some(tagged.strip_prefix(':')?.to_string()),
        };
        let params = match &version {
            Some(version) => json!({ "version": version }),
            None => json!({}),
        };
        let rendered = templates::expand(&TemplateInput {
            name: known.name,
            service: input.service,
            environment: input.environment,
            params,
            requested_by: input.templates_from,
            root: input.templates_from.parent().unwrap_or(Path::new(".")),
        })
        .ok()?;
        let overrides = differences(&rendered, image, input.instance)?;
        Some(Collapsed { template: known.name, version, overrides })
    })
}

/// The live variables that differ from the rendered template, or `None` when the template
/// cannot reproduce the instance.
fn differences(rendered: &Table, image: &str, instance: &LiveInstance) -> Option<BTreeSet<String>> {
    if rendered.keys().any(|key| !REPRODUCIBLE_KEYS.contains(&key.as_str())) {
        return None;
    }
    match rendered.get("image").map(|entry| &entry.node.value) {
        Some(Value::String(rendered_image)) if rendered_image == image => {}
        _ => return None,
    }
    // The template's TCP proxies (none unless `public`) must be the live ones.
    if let Some(entry) = rendered.get("networking") {
        let Value::Table(networking) = &entry.node.value else { return None };
        let mut rendered_ports: Vec<String> = match networking.get("tcp_proxy").map(|entry| &entry.node.value) {
            None => Vec::new(),
            Some(Value::Array(ports)) => ports
                .iter()
                .map(|port| match &port.value {
                    Value::Integer(port) => Some(port.to_string()),
                    _ => None,
                })
                .collect::<Option<Vec<_>>>()?,
            Some(_) => return None,
        };
        let mut live_ports: Vec<String> = instance
            .settings
            .pointer("/networking/tcpProxies")
            .and_then(serde_json::Value::as_object)
            .map(|proxies| proxies.keys().cloned().collect())
            .unwrap_or_default();
        rendered_ports.sort();
        live_ports.sort();
        if rendered_ports != live_ports {
            return None;
        }
    }
    let template_mount = match rendered.get("volume").map(|entry| &entry.node.value) {
        None => None,
        Some(Value::Table(volume)) => match volume.get("mount").map(|entry| &entry.node.value) {
            Some(Value::String(mount)) => Some(mount.as_str()),
            _ => return None,
        },
        Some(_) => return None,
    };
    let live_mounts: Vec<&str> = instance.volume_mounts.iter().map(|m| m.mount_path.as_str()).collect();
    if live_mounts != template_mount.into_iter().collect::<Vec<_>>() {
        return None;
    }
    let empty = Table::new();
    let template_variables = match rendered.get("variables").map(|entry| &entry.node.value) {
        None => &empty,
        Some(Value::Table(variables)) => variables,
        Some(_) => return None,
    };
    let mut overrides = BTreeSet::new();
    for (name, entry) in template_variables {
        let live = instance.variables.get(name)?;
        if !template_value_matches(&entry.node.value, live) {
            overrides.insert(name.clone());
        }
    }
    overrides.extend(instance.variables.keys().filter(|name| !template_variables.contains_key(*name)).cloned());
    Some(overrides)
}

/// True when the planner would see no change between a template's variable and the live one.
fn template_value_matches(template: &Value, live: &LiveValue) -> bool {
    let LiveValue::Value(live) = live else { return true };
    match template {
        Value::String(text) => refs::same_meaning(&refs::to_railway_syntax(text), live),
        Value::Table(form) if form.contains_key("generate") || form.contains_key("preserve") => true,
        Value::Table(form) => match form.get("value").map(|entry| &entry.node.value) {
            Some(Value::String(text)) => refs::same_meaning(&refs::to_railway_syntax(text), live),
            _ => false,
        },
        _ => false,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::state::LiveVolumeMount;

    /// Railway's Postgres template as Railway creates it (FACTS.md), with a generated password.
    pub(crate) fn railway_postgres(tag: &str) -> LiveInstance {
        let variables = [
            ("PGDATA", "/var/lib/postgresql/data/pgdata"),
            ("PGHOST", "${{RAILWAY_PRIVATE_DOMAIN}}"),
            ("PGPORT", "5432"),
            ("PGUSER", "${{POSTGRES_USER}}"),
            ("PGDATABASE", "${{POSTGRES_DB}}"),
            ("PGPASSWORD", "${{POSTGRES_PASSWORD}}"),
            ("POSTGRES_DB", "railway"),
            ("POSTGRES_USER", "postgres"),
            ("POSTGRES_PASSWORD", "generatedPasswordOfThirtyTwoLetrs"),
            (
                "DATABASE_URL",
                "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_PRIVATE_DOMAIN}}:5432/${{PGDATABASE}}",
            ),
            (
                "DATABASE_PUBLIC_URL",
                "postgresql://${{PGUSER}}:${{POSTGRES_PASSWORD}}@${{RAILWAY_TCP_PROXY_DOMAIN}}:${{RAILWAY_TCP_PROXY_PORT}}/${{PGDATABASE}}",
            ),
            ("SSL_CERT_DAYS", "820"),
            ("RAILWAY_DEPLOYMENT_DRAINING_SECONDS", "60"),
        ];
        LiveInstance {
            source: Some(LiveSource::Image { image: format!("ghcr.io/railwayapp-templates/postgres-ssl:{tag}") }),
            volume_mounts: vec![LiveVolumeMount {
                volume_id: "vol-1".to_string(),
                volume_name: None,
                mount_path: "/var/lib/postgresql/data".to_string(),
            }],
            variables: variables
                .iter()
                .map(|(name, value)| (name.to_string(), LiveValue::Value(value.to_string())))
                .collect::<BTreeMap<_, _>>(),
            settings: serde_json::Value::Null,
            deployments: None,
            dns_records: Default::default(),
        }
    }

    fn collapse_for(instance: &LiveInstance) -> Option<Collapsed> {
        collapse(&CollapseInput {
            service: "Postgres",
            environment: "dev",
            instance,
            templates_from: Path::new("/nonexistent/environments/dev.toml"),
        })
    }

    #[test]
    fn railways_postgres_collapses_into_the_template_with_nothing_to_override() {
        let collapsed = collapse_for(&railway_postgres("17")).unwrap();
        assert_eq!(collapsed.template, "postgres");
        assert_eq!(collapsed.version.as_deref(), Some("17"));
        assert!(collapsed.overrides.is_empty(), "{:?}", collapsed.overrides);
    }

    #[test]
    fn changed_and_extra_variables_are_overrides_and_a_sealed_password_still_matches() {
        let mut instance = railway_postgres("16");
        instance.variables.insert("POSTGRES_DB".into(), LiveValue::Value("app".into()));
        instance.variables.insert("EXTRA".into(), LiveValue::Value("1".into()));
        instance.variables.insert("POSTGRES_PASSWORD".into(), LiveValue::Sealed);
        let collapsed = collapse_for(&instance).unwrap();
        assert_eq!(collapsed.overrides.into_iter().collect::<Vec<_>>(), ["EXTRA", "POSTGRES_DB"]);
    }

    #[test]
    fn an_instance_the_template_would_change_does_not_collapse() {
        let mut missing_variable = railway_postgres("16");
        missing_variable.variables.remove("DATABASE_PUBLIC_URL");
        assert_eq!(collapse_for(&missing_variable), None);

        let mut no_volume = railway_postgres("16");
        no_volume.volume_mounts.clear();
        assert_eq!(collapse_for(&no_volume), None);

        let mut other_image = railway_postgres("16");
        other_image.source = Some(LiveSource::Image { image: "postgres:16".into() });
        assert_eq!(collapse_for(&other_image), None);

        let mut untagged = railway_postgres("16");
        untagged.source = Some(LiveSource::Image { image: "ghcr.io/railwayapp-templates/postgres-ssl".into() });
        assert_eq!(collapse_for(&untagged), None, "the template always renders a tag");
    }
}
