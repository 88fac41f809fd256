//! Criterion benchmark of railform's offline cost on 1 environment × 1000 services × 50
//! variables: `config::load` (what `validate` does: read, merge, check every file), the pure
//! `plan::diff` against an in-sync live state, and both together. Run with
//! `cargo bench --bench offline`; the request benchmark is `scripts/bench.sh`.
//!
//! The files and the live state come from the request benchmark's [`workload`] module, so both
//! benchmarks measure the same project.

#[allow(dead_code)]
#[path = "../examples/bench/suite/workload.rs"]
mod workload;

use std::path::PathBuf;

use criterion::{criterion_group, criterion_main, Criterion};
use railform::config::{self, secrets::Secrets};
use railform::plan::diff::{diff, DiffOptions};

use workload::{Revision, Workload};

const OFFLINE: Workload = Workload { environments: 1, services: 1000, variables: 50 };

fn offline(criterion: &mut Criterion) {
    let files = tempfile::tempdir().expect("temp dir");
    let folder = files.path().join("environments");
    OFFLINE.write_files(&folder, Revision::Seeded).expect("write the environment files");
    let paths: Vec<PathBuf> = vec![folder];
    let load = || config::load(&paths).expect("the generated files validate");
    let model = load();
    let secrets = Secrets::resolve(&model, |_| None).expect("no secrets to read");
    let live = [Some(OFFLINE.live_project(Revision::Seeded))];
    assert!(diff(&model, &live, &secrets, &DiffOptions::default()).is_empty(), "the in-sync diff is empty");

    let mut group = criterion.benchmark_group(format!("offline {}", OFFLINE.label()));
    group.sample_size(20);
    group.bench_function("config::load (validate)", |bench| bench.iter(load));
    group.bench_function("plan::diff", |bench| bench.iter(|| diff(&model, &live, &secrets, &DiffOptions::default())));
    group.bench_function("load + diff", |bench| {
        bench.iter(|| {
            let model = load();
            diff(&model, &live, &secrets, &DiffOptions::default())
        })
    });
    group.finish();
}

criterion_group!(benches, offline);
criterion_main!(benches);
