#!/usr/bin/env bash
# The main job: validate the example environments, plan them, apply them (deploys in dependency
# order, followed to the end), show what runs, and show that a second plan finds nothing left to
# do (the CI drift check).
#
# With RAILWAY_API_TOKEN (account/workspace token) or RAILWAY_TOKEN (project token) set, this
# talks to Railway itself. Without one, it runs railform's built-in emulator of Railway's API
# (state kept in .railform/emulator.json), so it works with no account at all.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --quiet --locked
railform=target/debug/railform
paths=("${@:-environments}")

target=()
secrets=()
if [ -z "${RAILWAY_API_TOKEN:-}" ] && [ -z "${RAILWAY_TOKEN:-}" ]; then
  echo "No Railway token set: using the built-in emulator (.railform/emulator.json)."
  target=(--emulator)
  # The example reads its JWT secrets with { from_env = … }: demo values, for the emulator only.
  # Run railform yourself the same way: railform --emulator plan --env-file examples/demo.env
  secrets=(--env-file examples/demo.env)
  if [ ! -f .railform/emulator.json ]; then
    echo "A fresh emulator: first building the project as it was made by hand in the dashboard"
    echo "(examples/dashboard/: a database still named Postgres-OG9n, referenced by name)."
    "$railform" --emulator --quiet apply --yes examples/dashboard > /dev/null
  fi
fi

# Bold headings on a terminal only: a log or a pipe gets plain text.
if [ -t 1 ] && [ -z "${NO_COLOR:-}" ]; then
  step() { printf '\n\033[1m$ railform %s\033[0m\n' "$*"; }
else
  step() { printf '\n$ railform %s\n' "$*"; }
fi
step validate "${paths[@]}"
"$railform" validate "${paths[@]}"
step graph "${paths[@]}"
"$railform" graph "${paths[@]}"
step plan "${paths[@]}"
"$railform" "${target[@]}" plan "${secrets[@]}" "${paths[@]}"
step apply --yes --wait "${paths[@]}"
# --wait: the rollout in dependency order, databases first, each deployment followed to its end.
"$railform" "${target[@]}" apply --yes --wait "${secrets[@]}" "${paths[@]}"
step status "${paths[@]}"
"$railform" "${target[@]}" status "${paths[@]}"
step plan --detailed-exitcode "${paths[@]}"
"$railform" "${target[@]}" plan --detailed-exitcode "${secrets[@]}" "${paths[@]}"
echo
echo "Done: Railway matches ${paths[*]} (plan --detailed-exitcode exited 0)."
