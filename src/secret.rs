//! [`Secret`]: a string that never prints. Tokens, `from_env` values, sensitive literals and
//! generated passwords travel in it; its `Debug` shows `***` and it has no `Display`.

use std::fmt;

use sha2::{Digest, Sha256};

#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for comparing and putting on the wire; never for printing.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Hex SHA-256 of the value, kept in saved plans instead of the value.
    pub fn sha256(&self) -> String {
        sha256_hex(&self.0)
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

/// Hex SHA-256 of a string.
pub fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The key of the digests a plan keeps of values it must not hold (secrets from the
/// environment, sensitive literals, live values it rewrites, the files it was made from): an
/// HMAC-SHA256 key derived from the Railway token the run uses. A stolen saved plan therefore
/// lets nobody test guesses of a secret offline without also holding that token; `apply --plan`
/// must run with the same token as `plan --out`. Without a token (the built-in emulator) the
/// key is public, and so are the digests' protection.
#[derive(Clone, PartialEq, Eq)]
pub struct PlanKey([u8; 32]);

impl PlanKey {
    /// The key for a run that sends `token` (`None`: no token).
    pub fn for_token(token: Option<&str>) -> PlanKey {
        PlanKey(hmac(token.unwrap_or("").as_bytes(), b"railform saved-plan key v2"))
    }

    /// The keyed digest of `text`, in hex.
    pub fn digest(&self, text: &str) -> String {
        hex(&hmac(&self.0, text.as_bytes()))
    }

    /// The keyed digest of a secret's value.
    pub fn digest_secret(&self, secret: &Secret) -> String {
        self.digest(secret.expose())
    }

    /// A name for the key that reveals nothing of it: saved plans carry it, so that a plan made
    /// with another token is refused with that reason rather than as changed secrets.
    pub fn id(&self) -> String {
        self.digest("railform key id")[..16].to_string()
    }
}

impl Default for PlanKey {
    fn default() -> Self {
        PlanKey::for_token(None)
    }
}

impl fmt::Debug for PlanKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlanKey({})", self.id())
    }
}

/// HMAC-SHA256 (RFC 2104): a key longer than the 64-byte block is hashed first, a shorter one
/// zero-padded.
fn hmac(key: &[u8], message: &[u8]) -> [u8; 32] {
    use hmac::digest::KeyInit;
    use hmac::{Mac, SimpleHmac};
    let mut block = [0u8; 64];
    if key.len() <= block.len() {
        block[..key.len()].copy_from_slice(key);
    } else {
        block[..32].copy_from_slice(&Sha256::digest(key));
    }
    let mut mac = <SimpleHmac<Sha256> as KeyInit>::new(&block.into());
    mac.update(message);
    mac.finalize().into_bytes().into()
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_depend_on_the_token_and_reveal_no_plain_hash() {
        let with = PlanKey::for_token(Some("token-a"));
        let other = PlanKey::for_token(Some("token-b"));
        assert_eq!(with.digest("s3cret"), with.digest("s3cret"));
        assert_ne!(with.digest("s3cret"), other.digest("s3cret"));
        assert_ne!(with.digest("s3cret"), sha256_hex("s3cret"));
        assert_ne!(with.id(), other.id());
        assert!(!format!("{with:?}").contains(&hex(&with.0)));
    }
}
