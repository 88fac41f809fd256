//! Values of `{ from_env = "NAME" }` variables, read from railform's own process environment
//! when planning. A missing variable is a diagnostic at the line that asks for it, and so is an
//! empty one (what a CI secret that was never set usually becomes) unless the file says
//! `allow_empty = true`: an empty value would wipe the secret in every environment.

use std::collections::BTreeMap;

use super::model::{Model, VariableValue};
use super::names;
use crate::diag::{Diagnostic, Diagnostics};
use crate::secret::Secret;

/// `from_env` values by environment variable name.
#[derive(Debug, Clone, Default)]
pub struct Secrets(BTreeMap<String, Secret>);

impl Secrets {
    pub fn get(&self, name: &str) -> Option<&Secret> {
        self.0.get(name)
    }

    /// Reads every `from_env` variable the model asks for, through `lookup` (the process
    /// environment in production). Every missing one is reported.
    pub fn resolve(model: &Model, lookup: impl Fn(&str) -> Option<String>) -> Result<Secrets, Diagnostics> {
        let mut secrets = BTreeMap::new();
        let mut diagnostics = Diagnostics::default();
        for environment in &model.environments {
            let variables = environment
                .shared
                .iter()
                .chain(environment.services.values().filter(|s| !s.delete).flat_map(|s| s.variables.iter()))
                .map(|(name, variable)| (name.as_str(), &variable.value, Some(&variable.at)));
            // A registry password is a secret like any other.
            let registry = environment.services.values().filter(|s| !s.delete).filter_map(|s| {
                let credentials = s.settings.registry_credentials.as_ref()?;
                Some(("registry_credentials.password", &credentials.password, credentials.password_at.as_ref()))
            });
            for (name, value, at) in variables.chain(registry) {
                let VariableValue::FromEnv { name: env_name, allow_empty } = value else { continue };
                if secrets.contains_key(env_name) {
                    continue;
                }
                match lookup(env_name) {
                    Some(value) if value.is_empty() && !allow_empty => diagnostics.push(
                        Diagnostic::error(format!("`{name}` reads ${env_name}, which is set but empty"))
                            .at_opt(at.cloned())
                            .label("from_env")
                            .hint(format!(
                                "set {env_name} to the secret (in CI: check the secret exists), or write \
                                 {{ from_env = \"{env_name}\", allow_empty = true }} if empty is meant"
                            )),
                    ),
                    Some(value) => match names::check_value(name, &value) {
                        Ok(()) => {
                            secrets.insert(env_name.clone(), Secret::new(value));
                        }
                        Err(problem) => diagnostics.push(
                            Diagnostic::error(format!("{} (read from ${env_name})", problem.message))
                                .at_opt(at.cloned())
                                .label(problem.label)
                                .hint(problem.hint),
                        ),
                    },
                    None => diagnostics.push(
                        Diagnostic::error(format!(
                            "`{name}` reads ${env_name}, which is not set in railform's environment"
                        ))
                        .at_opt(at.cloned())
                        .label("from_env")
                        .hint(format!("export {env_name}=… before running railform (in CI: a masked secret)")),
                    ),
                }
            }
        }
        if diagnostics.is_empty() {
            Ok(Secrets(secrets))
        } else {
            Err(diagnostics)
        }
    }
}
