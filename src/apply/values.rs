//! The values `apply` writes. A plan holds sensitive values only as a source and a hash; here
//! they are obtained again (from the environment files, the process environment or a fresh
//! random generator) and checked against what was planned.

use rand::Rng;

use crate::config::model::Model;
use crate::config::secrets::Secrets;
use crate::plan::{SecretSource, WireValue};
use crate::refs;
use crate::secret::{PlanKey, Secret};

/// Why a planned value cannot be written.
#[derive(Debug, thiserror::Error)]
pub enum ValueError {
    #[error("${name} changed since the plan was made; make a new plan")]
    EnvChanged { name: String },
    #[error("${name} is not set; it was set when the plan was made")]
    EnvMissing { name: String },
    #[error("the sensitive value of {address} changed in the files since the plan was made; make a new plan")]
    FileChanged { address: String },
    #[error("{address} is no longer a sensitive value of the files; make a new plan")]
    FileMissing { address: String },
    #[error("{name} changed in Railway since the plan was made; make a new plan")]
    LiveChanged { name: String },
    #[error("{name} must be read from Railway before it can be rewritten")]
    LiveNeeded { name: String },
}

/// Everything a plan's values can come from, and the key their digests were made with.
pub struct ValueSources<'a> {
    pub model: &'a Model,
    pub secrets: &'a Secrets,
    pub key: &'a PlanKey,
}

impl ValueSources<'_> {
    /// The value to send for `wire`, checked against the hash recorded in the plan; `None` when
    /// there is nothing left to write. `live` is the variable's current raw value, needed only
    /// for [`WireValue::Rewrite`].
    pub fn resolve(&self, name: &str, wire: &WireValue, live: Option<&str>) -> Result<Option<Secret>, ValueError> {
        match wire {
            WireValue::Rewrite { renames, digest, digest_after } => {
                let live = live.ok_or_else(|| ValueError::LiveNeeded { name: name.to_string() })?;
                let current = self.key.digest(live);
                if &current == digest_after {
                    return Ok(None); // Railway rewrote it on the rename already.
                }
                if &current != digest {
                    return Err(ValueError::LiveChanged { name: name.to_string() });
                }
                let renames = renames.iter().map(|(old, new)| (old.as_str(), new.as_str()));
                Ok(refs::rewrite_services(live, renames).map(Secret::new))
            }
            other => self.value(name, other).map(Some),
        }
    }

    /// A value that needs nothing from Railway: plain, from the environment, from the files or
    /// generated.
    fn value(&self, name: &str, wire: &WireValue) -> Result<Secret, ValueError> {
        match wire {
            WireValue::Rewrite { .. } => Err(ValueError::LiveNeeded { name: name.to_string() }),
            WireValue::Plain(text) => Ok(Secret::new(text.clone())),
            WireValue::Secret(SecretSource::Env { name, digest }) => {
                let value = self.secrets.get(name).ok_or_else(|| ValueError::EnvMissing { name: name.clone() })?;
                if &self.key.digest_secret(value) != digest {
                    return Err(ValueError::EnvChanged { name: name.clone() });
                }
                Ok(value.clone())
            }
            WireValue::Secret(SecretSource::File { file, address, digest }) => {
                let literal = self
                    .literal_at(file, address)
                    .ok_or_else(|| ValueError::FileMissing { address: address.clone() })?;
                let wire = refs::to_railway_syntax(literal);
                if &self.key.digest(&wire) != digest {
                    return Err(ValueError::FileChanged { address: address.clone() });
                }
                Ok(Secret::new(wire))
            }
            WireValue::Secret(SecretSource::Generate { length, alphabet }) => Ok(generate(*length, alphabet)),
        }
    }

    /// The literal declared at `ENV/SERVICE/VAR`, `ENV/shared/VAR` or
    /// `ENV/SERVICE/registry_credentials.password` of the environment file
    /// `file` (a file describes one environment of one project, so two projects that both have
    /// a `dev` never mix).
    fn literal_at(&self, file: &str, address: &str) -> Option<&str> {
        let mut parts = address.splitn(3, '/');
        let (environment, owner, name) = (parts.next()?, parts.next()?, parts.next()?);
        let environment = self.model.environments.iter().find(|e| e.file == file && e.name == environment)?;
        if name == "registry_credentials.password" {
            let credentials = environment.services.get(owner)?.settings.registry_credentials.as_ref()?;
            return credentials.password.literal();
        }
        let variable = match owner {
            "shared" => environment.shared.get(name),
            service => environment.services.get(service)?.variables.get(name),
        }?;
        variable.value.literal()
    }
}

/// A fresh random secret of `length` characters drawn from `alphabet` (OS-seeded CSPRNG).
pub fn generate(length: usize, alphabet: &str) -> Secret {
    let characters: Vec<char> = alphabet.chars().collect();
    if characters.is_empty() {
        return Secret::new(String::new());
    }
    let mut rng = rand::rng();
    Secret::new((0..length).map(|_| characters[rng.random_range(0..characters.len())]).collect::<String>())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_secrets_have_the_asked_length_and_alphabet() {
        let secret = generate(48, "ab");
        assert_eq!(secret.expose().len(), 48);
        assert!(secret.expose().chars().all(|c| c == 'a' || c == 'b'));
        assert_ne!(
            generate(32, "abcdefghijklmnopqrstuvwxyz").expose(),
            generate(32, "abcdefghijklmnopqrstuvwxyz").expose()
        );
    }

    #[test]
    fn a_changed_environment_secret_is_refused() {
        let model = Model::default();
        let secrets = Secrets::resolve(&model, |_| None).unwrap();
        let key = PlanKey::default();
        let sources = ValueSources { model: &model, secrets: &secrets, key: &key };
        let planned = WireValue::Secret(SecretSource::Env { name: "X".into(), digest: key.digest("old") });
        assert!(matches!(sources.resolve("X", &planned, None), Err(ValueError::EnvMissing { .. })));
    }
}
