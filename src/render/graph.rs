//! `railform graph`: the services of each environment as nodes and their references as edges,
//! drawn as a mermaid flowchart or Graphviz dot.

use std::collections::BTreeMap;
use std::fmt::Write;

use crate::config::model::{Model, Service, Source};
use crate::refs::{self, Target};

/// Services and reference edges per environment.
pub struct Graph {
    environments: Vec<EnvironmentGraph>,
}

struct EnvironmentGraph {
    name: String,
    nodes: Vec<GraphNode>,
    /// (from node, to node) → variables that hold the references.
    edges: BTreeMap<(String, String), Vec<String>>,
}

struct GraphNode {
    label: String,
    kind: NodeKind,
}

#[derive(PartialEq)]
enum NodeKind {
    Database,
    Service,
    Shared,
}

/// The pseudo-node that `$<<shared.X>>` references point at.
const SHARED: &str = "shared variables";

impl Graph {
    pub fn of(model: &Model) -> Graph {
        let environments = model
            .environments
            .iter()
            .map(|environment| {
                let mut nodes: Vec<GraphNode> = environment
                    .services
                    .values()
                    .filter(|service| !service.delete)
                    .map(|service| GraphNode { label: service.name.clone(), kind: kind_of(service) })
                    .collect();
                let mut edges: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
                for service in environment.services.values().filter(|service| !service.delete) {
                    for (name, variable) in &service.variables {
                        let Some(text) = variable.value.literal() else { continue };
                        for reference in refs::parse_lenient(text) {
                            let to = match reference.target {
                                Target::Service { service: target, .. } if target != service.name => target,
                                Target::Shared { .. } => SHARED.to_string(),
                                _ => continue,
                            };
                            let names = edges.entry((service.name.clone(), to)).or_default();
                            if !names.contains(name) {
                                names.push(name.clone());
                            }
                        }
                    }
                }
                if edges.keys().any(|(_, to)| to == SHARED) {
                    nodes.push(GraphNode { label: SHARED.to_string(), kind: NodeKind::Shared });
                }
                EnvironmentGraph { name: environment.name.clone(), nodes, edges }
            })
            .collect();
        Graph { environments }
    }

    /// A mermaid flowchart: one subgraph per environment, databases drawn as cylinders.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (index, environment) in self.environments.iter().enumerate() {
            let id = |label: &str| node_id(index, label);
            let _ = writeln!(out, "  subgraph env{index}[\"{}\"]", mermaid_text(&environment.name));
            for node in &environment.nodes {
                let label = mermaid_text(&node.label);
                let shape = match node.kind {
                    NodeKind::Database => format!("[(\"{label}\")]"),
                    NodeKind::Service => format!("[\"{label}\"]"),
                    NodeKind::Shared => format!("{{{{\"{label}\"}}}}"),
                };
                let _ = writeln!(out, "    {}{shape}", id(&node.label));
            }
            for ((from, to), variables) in &environment.edges {
                let _ = writeln!(out, "    {} -->|\"{}\"| {}", id(from), mermaid_text(&variables.join(", ")), id(to));
            }
            out.push_str("  end\n");
        }
        out
    }

    /// Graphviz dot: one cluster per environment, databases drawn as cylinders.
    pub fn dot(&self) -> String {
        let mut out = String::from("digraph railform {\n  rankdir=LR;\n");
        for (index, environment) in self.environments.iter().enumerate() {
            let id = |label: &str| node_id(index, label);
            let _ = writeln!(out, "  subgraph cluster_env{index} {{\n    label=\"{}\";", dot_text(&environment.name));
            for node in &environment.nodes {
                let shape = match node.kind {
                    NodeKind::Database => "cylinder",
                    NodeKind::Service => "box",
                    NodeKind::Shared => "hexagon",
                };
                let _ = writeln!(out, "    {} [label=\"{}\", shape={shape}];", id(&node.label), dot_text(&node.label));
            }
            for ((from, to), variables) in &environment.edges {
                let _ =
                    writeln!(out, "    {} -> {} [label=\"{}\"];", id(from), id(to), dot_text(&variables.join(", ")));
            }
            out.push_str("  }\n");
        }
        out.push_str("}\n");
        out
    }
}

fn kind_of(service: &Service) -> NodeKind {
    let database_template = matches!(service.template.as_deref(), Some("postgres" | "redis" | "mysql" | "mongo"));
    let database_image = matches!(&service.source, Some(Source::Image(image))
        if ["postgres", "redis", "mysql", "mongo"].iter().any(|db| image.contains(db)));
    if database_template || database_image {
        NodeKind::Database
    } else {
        NodeKind::Service
    }
}

/// A node id safe in both mermaid and dot: the environment index and the label's characters.
fn node_id(environment: usize, label: &str) -> String {
    let safe: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect();
    // Keep ids distinct when two labels differ only in punctuation.
    let hash = label.bytes().fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    format!("e{environment}_{safe}_{hash:x}")
}

fn mermaid_text(text: &str) -> String {
    text.replace('"', "#quot;")
}

fn dot_text(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}
