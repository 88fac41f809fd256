//! Cycle detection over references: `A.X → B.Y → A.X` can never be resolved by Railway.

use std::collections::{BTreeMap, BTreeSet};

/// Finds reference cycles in a directed graph given as `node → nodes it refers to`.
/// Each cycle is returned once, as the path from its smallest node back to that node.
pub fn find_cycles<N: Ord + Clone>(edges: &BTreeMap<N, Vec<N>>) -> Vec<Vec<N>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        OnPath,
        Done,
    }
    let mut marks: BTreeMap<&N, Mark> = BTreeMap::new();
    let mut cycles = Vec::new();
    let mut seen_cycles: BTreeSet<Vec<N>> = BTreeSet::new();

    for root in edges.keys() {
        if marks.contains_key(root) {
            continue;
        }
        // Iterative DFS: a stack of (node, index of the next edge to follow).
        let mut path: Vec<(&N, usize)> = vec![(root, 0)];
        marks.insert(root, Mark::OnPath);
        while let Some((node, next)) = path.last_mut() {
            let targets = edges.get(*node).map(Vec::as_slice).unwrap_or(&[]);
            let Some(target) = targets.get(*next) else {
                marks.insert(*node, Mark::Done);
                path.pop();
                continue;
            };
            *next += 1;
            match marks.get(target) {
                Some(Mark::Done) => {}
                Some(Mark::OnPath) => {
                    let start = path.iter().position(|(n, _)| *n == target).unwrap_or(0);
                    let mut cycle: Vec<N> = path[start..].iter().map(|(n, _)| (*n).clone()).collect();
                    let smallest = (0..cycle.len()).min_by_key(|&i| &cycle[i]).unwrap_or(0);
                    cycle.rotate_left(smallest);
                    if seen_cycles.insert(cycle.clone()) {
                        let mut closed = cycle;
                        closed.push(closed[0].clone());
                        cycles.push(closed);
                    }
                }
                None => {
                    marks.insert(target, Mark::OnPath);
                    path.push((target, 0));
                }
            }
        }
    }
    cycles
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_each_cycle_once_and_ignores_chains() {
        let edges: BTreeMap<&str, Vec<&str>> = [
            ("a", vec!["b"]),
            ("b", vec!["c", "d"]),
            ("c", vec!["a"]),
            ("d", vec![]),
            ("e", vec!["e"]),
            ("f", vec!["a"]),
        ]
        .into_iter()
        .collect();
        assert_eq!(find_cycles(&edges), vec![vec!["a", "b", "c", "a"], vec!["e", "e"]]);
        let chain: BTreeMap<&str, Vec<&str>> = [("x", vec!["y"]), ("y", vec!["z"])].into_iter().collect();
        assert!(find_cycles(&chain).is_empty());
    }
}
