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
