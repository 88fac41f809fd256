#!/usr/bin/env bash
# The main job: check the example environments, then plan and apply them. Against Railway when
# RAILWAY_API_TOKEN or RAILWAY_TOKEN is set, otherwise against the built-in emulator (state in
# .railform/emulator.json), so it works with no account.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --quiet --locked
railform=target/debug/railform
paths=("${@:-environments}")
"$railform" validate "${paths[@]}"
"$railform" graph "${paths[@]}"
