#!/usr/bin/env bash
# Installs what railform needs to build and test on a fresh Debian machine with a Rust toolchain.
# Safe to run again: it only installs what is missing.
set -euo pipefail
need_apt=()
command -v cc >/dev/null 2>&1 || need_apt+=(build-essential)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v jq >/dev/null 2>&1 || need_apt+=(jq)              # scripts/reliability.sh
[ -x /usr/bin/time ] || need_apt+=(time)                      # scripts/bench.sh (peak memory)
if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq "${need_apt[@]}"; else sudo apt-get update -qq && sudo apt-get install -y -qq "${need_apt[@]}"; fi
fi
if ! command -v cargo >/dev/null 2>&1; then
  echo "railform needs a Rust toolchain (cargo): see https://rustup.rs" >&2
  exit 1
fi
rustup component add rustfmt clippy >/dev/null 2>&1 || true
cargo fetch --locked
