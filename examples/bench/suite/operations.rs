//! Telling reads from writes in the emulator's statistics, which count requests by GraphQL
//! operation name. The catalogue is built from the documents themselves — railform's
//! `graphql/*.graphql` and the naive client's — so an operation added later is classified
//! without touching the harness, and a name it does not know is an error, never a guess.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{bail, Context};

use super::emulator::Stats;

/// What an operation does, judged by its root field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Read,
    /// A write of an environment's config: `environmentStageChanges`,
    /// `environmentPatchCommitStaged` (railform), `variableUpsert`, `variableCollectionUpsert`,
    /// `variableDelete` (the naive client).
    ConfigWrite,
    /// `serviceInstanceDeployV2`, `serviceInstanceRedeploy`.
    Deploy,
    /// A created or renamed environment or service: `environmentCreate`, `environmentRename`,
    /// `serviceCreate`, `serviceUpdate` (railform renames a service with it, nothing else).
    CreateOrRename,
    /// Any other mutation.
    OtherWrite,
}

/// Requests of one run, by kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    pub requests: u64,
    /// Every mutation (config writes, deploys, creates and renames included).
    pub writes: u64,
    pub config_writes: u64,
    pub deploys: u64,
    pub creates_and_renames: u64,
}

impl Counts {
    /// Requests that are not writes.
    pub fn reads(&self) -> u64 {
        self.requests - self.writes
    }
}

/// Operation name → kind.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    kinds: BTreeMap<String, Kind>,
}

impl Catalog {
    /// Reads every `.graphql` operation document in `folder` (the schema file has none) and
    /// adds `extra` documents.
    pub fn load(folder: &Path, extra: &[&str]) -> anyhow::Result<Catalog> {
        let mut catalog = Catalog::default();
        for entry in std::fs::read_dir(folder).with_context(|| format!("reading {}", folder.display()))? {
            let path = entry?.path();
            if path.extension().is_some_and(|extension| extension == "graphql") {
                catalog.add(&std::fs::read_to_string(&path)?);
            }
        }
        for document in extra {
            catalog.add(document);
        }
        Ok(catalog)
    }

    /// Adds the named `query`/`mutation` operations of a document.
    fn add(&mut self, document: &str) {
        let mut rest = document;
        while let Some((keyword, after)) = next_operation(rest) {
            let name: String = after.trim_start().chars().take_while(|c| c.is_alphanumeric() || *c == '_').collect();
            let root_field = after
                .split_once('{')
                .map(|(_, body)| body.trim_start().chars().take_while(|c| c.is_alphanumeric()).collect::<String>())
                .unwrap_or_default();
            let kind = match (keyword, root_field.as_str()) {
                ("query", _) => Kind::Read,
                (
                    _,
                    "variableUpsert"
                    | "variableCollectionUpsert"
                    | "variableDelete"
                    | "environmentStageChanges"
                    | "environmentPatchCommitStaged",
                ) => Kind::ConfigWrite,
                (_, "serviceInstanceDeployV2" | "serviceInstanceRedeploy") => Kind::Deploy,
                (_, "environmentCreate" | "environmentRename" | "serviceCreate" | "serviceUpdate") => {
                    Kind::CreateOrRename
                }
                _ => Kind::OtherWrite,
            };
            if !name.is_empty() {
                self.kinds.insert(name, kind);
            }
            rest = after;
        }
    }

    /// Classifies a run's statistics.
    pub fn count(&self, stats: &Stats) -> anyhow::Result<Counts> {
        let mut counts = Counts { requests: stats.requests, ..Counts::default() };
        for (operation, &sent) in &stats.operations {
            let Some(kind) = self.kinds.get(operation) else {
                bail!("operation {operation:?} is in no known document; cannot tell a read from a write")
            };
            match kind {
                Kind::Read => {}
                Kind::ConfigWrite => counts.config_writes += sent,
                Kind::Deploy => counts.deploys += sent,
                Kind::CreateOrRename => counts.creates_and_renames += sent,
                Kind::OtherWrite => {}
            }
            if *kind != Kind::Read {
                counts.writes += sent;
            }
        }
        Ok(counts)
    }
}

/// The next `query`/`mutation` keyword at the start of a line (comments skipped), and the text
/// after it.
fn next_operation(text: &str) -> Option<(&'static str, &str)> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let trimmed = line.trim_start();
        for keyword in ["query", "mutation"] {
            if let Some(after) = trimmed.strip_prefix(keyword) {
                if after.starts_with(|c: char| c.is_whitespace() || c == '(' || c == '{') {
                    let start = offset + (line.len() - trimmed.len()) + keyword.len();
                    return Some((keyword, &text[start..]));
                }
            }
        }
        offset += line.len();
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operations_are_classified_by_their_root_field() {
        let mut catalog = Catalog::default();
        catalog.add("# a comment\nquery EnvironmentState($id: String!) {\n  environment(id: $id) { id }\n}\n");
        catalog.add("mutation Up($input: VariableCollectionUpsertInput!) { variableCollectionUpsert(input: $input) }");
        catalog.add(
            "mutation Go($e: String!, $s: String!) {\n serviceInstanceDeployV2(environmentId: $e, serviceId: $s)\n}",
        );
        catalog.add("mutation Rename($id: String!) { serviceUpdate(id: $id) { id } }");
        catalog.add("mutation Domain($input: ServiceDomainCreateInput!) { serviceDomainCreate(input: $input) { id } }");
        let stats = Stats {
            requests: 8,
            operations: [("EnvironmentState", 3), ("Up", 2), ("Go", 1), ("Rename", 1), ("Domain", 1)]
                .into_iter()
                .map(|(name, sent)| (name.to_string(), sent))
                .collect(),
            ..Stats::default()
        };
        let counts = catalog.count(&stats).unwrap();
        assert_eq!(counts, Counts { requests: 8, writes: 5, config_writes: 2, deploys: 1, creates_and_renames: 1 });
        assert_eq!(counts.reads(), 3);
        let unknown =
            Stats { requests: 1, operations: [("Mystery".to_string(), 1)].into_iter().collect(), ..Stats::default() };
        assert!(catalog.count(&unknown).is_err());
    }
}
