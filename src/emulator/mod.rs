//! A local, faithful stand-in for Railway's public GraphQL API (`POST /graphql/v2`), so that
//! anyone can plan and apply with no account and every test talks real HTTP and GraphQL.

/// What a service rename does to `${{Old.VAR}}` references held by other services.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RenamePolicy {
    /// Leave references as they are (they dangle until rewritten), as operators report.
    #[default]
    Keep,
    /// Rewrite references to the new name.
    Rewrite,
}
