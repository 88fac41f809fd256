#!/usr/bin/env bash
# railform's benchmark (docs/BENCHMARKS.md): builds the release railform binary and the harness
# (examples/bench), then runs it. With no flag it measures every workload and writes the results
# into docs/BENCHMARKS.md; flags go to the harness (`--quick`, `--latency-ms N`, `--help`).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin railform --example bench
# Absolute: the harness runs railform from other folders (and through GNU time).
target="$(cd "${CARGO_TARGET_DIR:-target}" && pwd)"
if [ "$#" -eq 0 ]; then
  set -- --out docs/BENCHMARKS.md
fi
exec "$target/release/examples/bench" --railform "$target/release/railform" "$@"
