//! Parsing an environment's `config` JSON (Railway's `EnvironmentConfig` scalar) into
//! [`LiveEnvironment`] parts. Only the keys railform uses are read; unknown keys and `null`s are
//! tolerated, since Railway's real config is a superset of what the emulator produces:
//!
//! ```json
//! {"services": {"<serviceId>": {"source": {"image": "…"} | {"repo": "owner/name", "branch": "main"},
//!                                "variables": {"NAME": {"value": "…"}, "SEALED": {"isSealed": true}},
//!                                "volumeMounts": {"<volumeId>": {"mountPath": "/data"}}}},
//!  "sharedVariables": {"NAME": {"value": "…"}},
//!  "volumes": {"<volumeId>": {"name": "…"}}}
//! ```

use std::collections::BTreeMap;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::live::{LiveInstance, LiveSource, LiveValue, LiveVolumeMount};

/// What a config holds, normalised.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct ParsedConfig {
    pub shared: BTreeMap<String, LiveValue>,
    pub instances: BTreeMap<String, LiveInstance>,
}

/// Where in a config it stopped making sense, described without quoting any value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigShapeError {
    /// A dotted path such as `services.<id>.variables`.
    pub path: String,
    pub detail: String,
}

/// A whole config as [`parse_text`] reads it: every section typed, no `Value` but a service's
/// settings.
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawConfig {
    volumes: Option<BTreeMap<String, Option<RawVolume>>>,
    shared_variables: Option<BTreeMap<String, Option<RawVariable>>>,
    services: Option<BTreeMap<String, Option<RawServiceEntry>>>,
}

/// One service of a [`RawConfig`]: its variables typed, everything else kept as settings.
#[derive(Deserialize)]
struct RawServiceEntry {
    variables: Option<BTreeMap<String, Option<RawVariable>>>,
    #[serde(flatten)]
    settings: Map<String, Value>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawService {
    source: Option<RawSource>,
    variables: Option<BTreeMap<String, Option<RawVariable>>>,
    volume_mounts: Option<BTreeMap<String, Option<RawVolumeMount>>>,
}

#[derive(Deserialize)]
struct RawSource {
    image: Option<String>,
    repo: Option<String>,
    branch: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVariable {
    value: Option<String>,
    is_sealed: Option<bool>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawVolumeMount {
    mount_path: Option<String>,
}

#[derive(Deserialize)]
struct RawVolume {
    name: Option<String>,
}

/// Parses a config document from its JSON text, straight into railform's types: no
/// `serde_json::Value` of the variables is ever built (one costs about 700 bytes a variable). A
/// document of another shape is parsed again with [`parse`], for its precise error.
pub fn parse_text(text: &str) -> Result<ParsedConfig, ConfigShapeError> {
    let Ok(raw) = serde_json::from_str::<Option<RawConfig>>(text) else {
        let config = serde_json::from_str(text)
            .map_err(|error| ConfigShapeError { path: "(root)".to_owned(), detail: describe_without_values(&error) })?;
        return parse(config);
    };
    let raw = raw.unwrap_or_default();
    let volume_names = raw.volumes.unwrap_or_default();
    let mut instances = BTreeMap::new();
    for (service_id, entry) in raw.services.unwrap_or_default() {
        let path = format!("services.{service_id}");
        let (service, settings) = match entry {
            None => (RawService::default(), Value::Null),
            Some(entry) => {
                let settings = Value::Object(entry.settings);
                let service = RawService { variables: entry.variables, ..decode(settings.clone(), &path)? };
                (service, settings)
            }
        };
        let mut instance = instance(service, &volume_names, &path)?;
        instance.settings = settings;
        instances.insert(service_id, instance);
    }
    Ok(ParsedConfig { shared: variables(raw.shared_variables.unwrap_or_default()), instances })
}

/// Parses a config document.
pub fn parse(config: Value) -> Result<ParsedConfig, ConfigShapeError> {
    let mut sections = match config {
        Value::Object(sections) => sections,
        Value::Null => Map::new(),
        _ => return Err(ConfigShapeError { path: "(root)".to_owned(), detail: "expected a JSON object".to_owned() }),
    };
    let volume_names: BTreeMap<String, Option<RawVolume>> = section(&mut sections, "volumes")?;
    let shared_variables: BTreeMap<String, Option<RawVariable>> = section(&mut sections, "sharedVariables")?;
    let services: BTreeMap<String, Value> = section(&mut sections, "services")?;

    let mut instances = BTreeMap::new();
    for (service_id, raw) in services {
        let path = format!("services.{service_id}");
        let mut settings = raw.clone();
        if let Value::Object(entries) = &mut settings {
            entries.remove("variables");
        }
        let service: RawService = if raw.is_null() { RawService::default() } else { decode(raw, &path)? };
        let mut instance = instance(service, &volume_names, &path)?;
        instance.settings = settings;
        instances.insert(service_id, instance);
    }
    Ok(ParsedConfig { shared: variables(shared_variables), instances })
}

fn instance(
    service: RawService,
    volume_names: &BTreeMap<String, Option<RawVolume>>,
    path: &str,
) -> Result<LiveInstance, ConfigShapeError> {
    let mut volume_mounts = Vec::new();
    for (volume_id, mount) in service.volume_mounts.unwrap_or_default() {
        let Some(mount_path) = mount.and_then(|mount| mount.mount_path) else {
            let path = format!("{path}.volumeMounts.{volume_id}");
            return Err(ConfigShapeError { path, detail: "missing field `mountPath`".to_owned() });
        };
        let volume_name = volume_names.get(&volume_id).and_then(|volume| volume.as_ref()?.name.clone());
        volume_mounts.push(LiveVolumeMount { volume_id, volume_name, mount_path });
    }
    volume_mounts.sort_by(|a, b| a.mount_path.cmp(&b.mount_path));
    Ok(LiveInstance {
        source: service.source.and_then(source),
        volume_mounts,
        variables: variables(service.variables.unwrap_or_default()),
        settings: Value::Null,
        deployments: None,
        dns_records: BTreeMap::new(),
    })
}

fn source(raw: RawSource) -> Option<LiveSource> {
    match (raw.repo, raw.image) {
        (Some(repo), _) => Some(LiveSource::Repo { repo, branch: raw.branch }),
        (None, Some(image)) => Some(LiveSource::Image { image }),
        (None, None) => None,
    }
}

fn variables(raw: BTreeMap<String, Option<RawVariable>>) -> BTreeMap<String, LiveValue> {
    raw.into_iter().map(|(name, variable)| (name, variable.map_or(LiveValue::Sealed, live_value))).collect()
}

/// A sealed variable, or one whose value is not given, is [`LiveValue::Sealed`].
fn live_value(raw: RawVariable) -> LiveValue {
    match (raw.is_sealed.unwrap_or(false), raw.value) {
        (false, Some(value)) => LiveValue::Value(value),
        _ => LiveValue::Sealed,
    }
}

/// Decodes one top-level section; absent and `null` mean empty.
fn section<T: DeserializeOwned + Default>(sections: &mut Map<String, Value>, key: &str) -> Result<T, ConfigShapeError> {
    match sections.remove(key) {
        None | Some(Value::Null) => Ok(T::default()),
        Some(value) => decode(value, key),
    }
}

fn decode<T: DeserializeOwned>(value: Value, path: &str) -> Result<T, ConfigShapeError> {
    serde_json::from_value(value)
        .map_err(|error| ConfigShapeError { path: path.to_owned(), detail: describe_without_values(&error) })
}

/// serde's message without the part that quotes the offending value ("invalid type: string
/// \"…\", expected a map" becomes "expected a map").
fn describe_without_values(error: &serde_json::Error) -> String {
    let message = error.to_string();
    if let Some((_, expected)) = message.split_once(", expected ") {
        format!("expected {expected}")
    } else if message.starts_with("missing field") {
        message
    } else {
        "unexpected shape".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn reads_sources_variables_sealed_values_and_volumes() {
        let config = json!({
            "services": {
                "svc-db": {
                    "source": {"image": "ghcr.io/railwayapp-templates/postgres-ssl:16"},
                    "variables": {
                        "PGDATA": {"value": "/var/lib/postgresql/data/pgdata"},
                        "POSTGRES_PASSWORD": {"isSealed": true},
                    },
                    "volumeMounts": {"vol-1": {"mountPath": "/var/lib/postgresql/data"}},
                },
                "svc-api": {
                    "source": {"repo": "acme/platform", "branch": "main"},
                    "variables": {"DATABASE_URL": {"value": "${{platform-db.DATABASE_URL}}"}},
                },
            },
            "sharedVariables": {"LOG_LEVEL": {"value": "debug"}},
            "volumes": {"vol-1": {"name": "pg-data"}},
        });
        assert_eq!(parse_text(&config.to_string()).unwrap(), parse(config.clone()).unwrap());
        let parsed = parse(config).unwrap();
        assert_eq!(parsed.shared["LOG_LEVEL"], LiveValue::Value("debug".to_owned()));

        let db = &parsed.instances["svc-db"];
        assert_eq!(
            db.source,
            Some(LiveSource::Image { image: "ghcr.io/railwayapp-templates/postgres-ssl:16".to_owned() })
        );
        assert_eq!(db.variables["POSTGRES_PASSWORD"], LiveValue::Sealed);
        assert_eq!(db.variables["PGDATA"].value(), Some("/var/lib/postgresql/data/pgdata"));
        assert_eq!(
            db.volume_mounts,
            vec![LiveVolumeMount {
                volume_id: "vol-1".to_owned(),
                volume_name: Some("pg-data".to_owned()),
                mount_path: "/var/lib/postgresql/data".to_owned(),
            }]
        );

        let api = &parsed.instances["svc-api"];
        assert_eq!(
            api.source,
            Some(LiveSource::Repo { repo: "acme/platform".to_owned(), branch: Some("main".to_owned()) })
        );
        assert_eq!(api.variables["DATABASE_URL"].value(), Some("${{platform-db.DATABASE_URL}}"));
        assert!(api.volume_mounts.is_empty());
    }

    #[test]
    fn unknown_keys_and_nulls_are_ignored() {
        let config = json!({
            "services": {
                "svc-1": {
                    "source": {"image": "redis", "autoUpdates": {"type": "patch"}},
                    "deploy": {"numReplicas": 2, "startCommand": null},
                    "build": {"builder": "RAILPACK"},
                    "variables": {"A": {"value": "1", "generator": null, "isSealed": false}},
                    "volumeMounts": null,
                },
                "svc-2": null,
            },
            "sharedVariables": null,
            "privateNetworkDisabled": false,
        });
        let parsed = parse(config).unwrap();
        assert_eq!(parsed.instances["svc-1"].source, Some(LiveSource::Image { image: "redis".to_owned() }));
        assert_eq!(parsed.instances["svc-1"].variables["A"].value(), Some("1"));
        assert_eq!(parsed.instances["svc-2"], LiveInstance::default());
        assert!(parsed.shared.is_empty());
    }

    #[test]
    fn the_text_parser_agrees_with_the_value_parser() {
        for config in [
            json!(null),
            json!({"services": {"a": null, "b": {"variables": null, "other": 1}}, "volumes": null, "extra": []}),
            json!({"services": {"svc-1": {"variables": {"TOKEN": "hunter2"}}}}),
            json!({"services": {"svc-1": {"volumeMounts": {"v": {}}}}}),
            json!({"sharedVariables": ["x"]}),
            json!([1, 2]),
        ] {
            assert_eq!(parse_text(&config.to_string()), parse(config));
        }
    }

    #[test]
    fn an_empty_config_has_nothing() {
        assert_eq!(parse(json!({})).unwrap(), ParsedConfig::default());
    }

    #[test]
    fn a_malformed_config_names_the_place_without_quoting_values() {
        let error = parse(json!({"services": {"svc-1": {"variables": {"TOKEN": "hunter2"}}}})).unwrap_err();
        assert_eq!(error.path, "services.svc-1");
        assert!(!error.detail.contains("hunter2"), "{}", error.detail);

        let error = parse(json!({"sharedVariables": ["x"]})).unwrap_err();
        assert_eq!(error.path, "sharedVariables");

        let error = parse(json!([1, 2])).unwrap_err();
        assert_eq!(error.path, "(root)");
    }
}
