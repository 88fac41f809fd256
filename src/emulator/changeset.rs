//! `environmentPreviewChangeSet`: Railway's preview of an IaC change set (what `railway config
//! plan` computes from `.railway/railway.ts`), answered as Railway would for a project without
//! canvas groups, partials or buckets. The official CLI diffs against a config read without
//! decrypted values, so it may propose a `variable.set` that changes nothing; the server, which
//! sees the values, drops those. Every other change comes back as sent.
//!
//! A change addresses a service as `service.<name>` and a variable by name; a literal value is
//! `{"type": "literal", "value": "…"}`.

use serde_json::{json, Value};

use super::store::{Refusal, State};

/// The preview of `input` (a change set `{version, changes: […], …}`) in one environment:
/// `{changeSet, diagnostics, effects}`.
pub fn preview(state: &State, environment_id: &str, input: &Value) -> Result<Value, Refusal> {
    let environment = state.environment(environment_id)?;
    let Value::Object(change_set) = input else {
        return Err(Refusal::new("input: expected a change set object"));
    };
    let changes = match change_set.get("changes") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(changes)) => changes.clone(),
        Some(_) => return Err(Refusal::new("input.changes: expected a list")),
    };
    let unchanged = |change: &Value| -> bool {
        if change["kind"] != "variable.set" || change["after"]["type"] != "literal" {
            return false;
        }
        let Some(name) = change["address"].as_str().and_then(|address| address.strip_prefix("service.")) else {
            return false;
        };
        let Some(service) = state.services_of(&environment.project_id).find(|s| s.name == name) else { return false };
        let (Some(variable), Some(after)) = (change["variable"].as_str(), change["after"]["value"].as_str()) else {
            return false;
        };
        state
            .instance(environment_id, &service.id)
            .ok()
            .and_then(|instance| instance.variables.get(variable))
            .is_some_and(|current| current.value == after)
    };
    let kept: Vec<Value> = changes.into_iter().filter(|change| !unchanged(change)).collect();
    let mut previewed = change_set.clone();
    previewed.insert("changes".into(), Value::Array(kept));
    Ok(json!({"changeSet": previewed, "diagnostics": [], "effects": []}))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::emulator::store::fixture;

    #[test]
    fn a_set_to_the_current_value_is_dropped_and_everything_else_kept() {
        let state = fixture(&[("api", "PORT", "8080")]);
        let set = |value: &str| {
            json!({"kind": "variable.set", "address": "service.api", "variable": "PORT",
                   "after": {"type": "literal", "value": value}})
        };
        let delete = json!({"kind": "variable.delete", "address": "service.api", "variable": "OLD"});
        let input = json!({"version": 1, "changes": [set("8080"), set("9090"), delete.clone()]});
        let previewed = preview(&state, "e", &input).unwrap();
        assert_eq!(previewed["changeSet"]["changes"], json!([set("9090"), delete]));
        assert_eq!(previewed["changeSet"]["version"], 1);
        assert_eq!(previewed["effects"], json!([]));
        assert!(preview(&state, "e", &json!([])).is_err());
        assert!(preview(&state, "nope", &input).is_err());
    }
}
