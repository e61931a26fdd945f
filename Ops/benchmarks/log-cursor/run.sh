#!/bin/bash
# Runs the log-plus-cursor prototype against a plain queue table, with pgbench: 4 publishers and 4
# consumers at once for SECONDS, N events per statement, each side twice, alternating.
#   usage: Ops/benchmarks/log-cursor/run.sh N [SECONDS]
# The database comes from the PG* variables (for the private cluster of `backstop up`:
# PGHOST=<data dir> PGPORT=<port> PGUSER=backstop PGDATABASE=backstop_bench). It creates schema
# `proto` and table `public.raw_q` there and drops them again at the end.
set -euo pipefail
N=${1:?usage: run.sh N [SECONDS]}
T=${2:-10}
here=$(cd "$(dirname "$0")" && pwd)
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
pgbench=$(command -v pgbench || echo "$bin/pgbench")
psql="$(command -v psql || echo "$bin/psql") -Atq -v ON_ERROR_STOP=1"
bench() { # script, sync, extra pgbench arguments...
    local script=$1 sync=$2; shift 2
    PGOPTIONS="-c synchronous_commit=$sync" "$pgbench" -n -M prepared -D n="$N" "$@" -f "$here/$script" -c 4 -j 2 -T "$T" > "$out/$script.out" 2>&1
}
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for kind in raw proto raw proto; do
    $psql -f "$here/schema.sql" > /dev/null
    $psql -c "CHECKPOINT" > /dev/null 2>&1 || true
    if [ $kind = raw ]; then
        # The baseline commits both sides durably, as `backstop bench`'s raw scenarios do.
        bench raw_publish.sql on & bench raw_claim.sql on & wait
        published=$($psql -c "SELECT last_value FROM public.raw_q_id_seq")
        left=$($psql -c "SELECT count(*) FROM public.raw_q")
    else
        # As in the bus: publishing waits for the WAL flush, claims and acks do not.
        bench publish.sql on & bench claim.sql off -D token=00000000-0000-0000-0000-000000000000 & wait
        published=$($psql -c "SELECT count(*) FROM proto.log")
        left=$($psql -c "SELECT count(*) FROM proto.log l, proto.cursors c WHERE (l.tx, l.position) > (c.tx, c.position)")
    fi
    if grep -h "error" "$out"/*.out | head -3 | grep .; then exit 1; fi
    echo "$kind n=$N published_per_s=$((published / T)) consumed_per_s=$(((published - left) / T)) backlog=$left"
done
$psql -c "SET client_min_messages = warning; DROP SCHEMA proto CASCADE; DROP TABLE public.raw_q" > /dev/null
