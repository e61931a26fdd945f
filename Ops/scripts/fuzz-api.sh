#!/usr/bin/env bash
# Fuzzes one running stakeholder service with schemathesis, driven by Contracts/openapi.yaml and a
# valid key: fails on any 5xx, a response that breaks the spec (status, content type, headers,
# body schema), or a crash. Uses the debug build (run `swift build` first) and its own private
# PostgreSQL cluster, which it stops afterwards. The live inbox stream (Server-Sent Events) never
# ends by design, so it is left to the Swift tests (InboxHTTPTests).
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=.build/debug
dir=/tmp/backstop-fuzz-$$
port=${FUZZ_PG_PORT:-55499}
http_port=${FUZZ_HTTP_PORT:-18099}
mkdir -p "$dir" && chmod 755 "$dir"
if ! command -v schemathesis >/dev/null 2>&1; then
    python3 -m pip install --quiet schemathesis || python3 -m pip install --quiet --break-system-packages schemathesis
    command -v pyenv >/dev/null 2>&1 && pyenv rehash || true
fi
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -INT "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$dir"
}
trap cleanup EXIT
"$bin/backstop" up --no-services --data-dir "$dir/cluster" --port "$port" > "$dir/up.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do grep -q "running" "$dir/up.log" 2>/dev/null && break; sleep 0.2; done
export DATABASE_URL="host=$dir/cluster port=$port user=backstop dbname=backstop"
"$bin/backstop" org add ent-fuzz --kind enterprise --name "Fuzzing enterprise" --district 510703 >/dev/null
key=$("$bin/backstop" key issue ent-fuzz 2>/dev/null)
PORT=$http_port "$bin/enterprise-service" > "$dir/service.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$http_port/health" >/dev/null 2>&1 && break; sleep 0.2; done
schemathesis run Contracts/openapi.yaml --url "http://127.0.0.1:$http_port" -H "Authorization: Bearer $key" \
    --checks not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance \
    --exclude-operation-id streamInbox \
    --max-examples "${FUZZ_EXAMPLES:-200}" --seed 20261129
