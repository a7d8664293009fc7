#!/usr/bin/env bash
# Scale-out benchmark behind docs/benchmarks.md ("Agent hosts on PostgreSQL"). Starts a private PostgreSQL cluster
# (default settings: fsync on), then measures
#   1. the store alone: `mercury-agents bench-store`, empty jobs, no model, no sandbox;
#   2. job throughput: N jobs (Python, one visible test, a scripted model whose first answer passes: one iteration,
#      one sandboxed test run per job) on 1 host and on 3 hosts, 2 workers each. jobs/min is measured over
#      [first claim, last completion] from the database; claim latency from the hosts' "Claimed job ... in X ms" lines.
# usage: build/bench-scale.sh [jobs=120] [workers-per-host=2]
set -euo pipefail
cd "$(dirname "$0")/.."
JOBS=${1:-120}
WORKERS=${2:-2}
BIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
AS=(); [ "$(id -u)" -eq 0 ] && AS=(runuser -u postgres --)
DIR=$(mktemp -d /tmp/mercury-bench-XXXXXX)
chmod 755 "$DIR"; [ "$(id -u)" -eq 0 ] && chown postgres "$DIR"
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOSTS_PIDS=()
cleanup() {
  for p in "${HOSTS_PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -m fast stop >/dev/null 2>&1 || true
  rm -rf "$DIR"
}
trap cleanup EXIT
(cd /tmp && "${AS[@]}" "$BIN/initdb" -D "$DIR/data" -U postgres -A trust >/dev/null)
(cd /tmp && "${AS[@]}" "$BIN/pg_ctl" -D "$DIR/data" -l "$DIR/pg.log" -w start -o "-p $PORT -k $DIR -c listen_addresses=127.0.0.1" >/dev/null)
psql() { "$BIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -qtA "$@"; }

dotnet build src/Mercury.AI.Agents.Host -c Release -v q -nologo >/dev/null
AGENTS=(dotnet src/Mercury.AI.Agents.Host/bin/Release/net10.0/mercury-agents.dll)
echo "machine: $(nproc) cores, $(grep MemTotal /proc/meminfo | awk '{print int($2/1048576)}') GiB, load $(cut -d' ' -f1-3 /proc/loadavg); PostgreSQL $("$BIN/postgres" --version | awk '{print $3}')"

echo "== the store alone"
"${AGENTS[@]}" bench-store --data "$DIR/scratch" --jobs 600 --claimers 6
"${AGENTS[@]}" bench-store --store "postgres://postgres@127.0.0.1:$PORT/postgres" --jobs 600 --claimers 6

cat > "$DIR/job.json" <<'JOB'
{"name": "bench", "language": "python", "instruction": "Write add(a, b).",
 "tests": [{"name": "test_add.py", "content": "def test_add():\n    assert add(2, 3) == 5\n"}]}
JOB
printf '%s' '{"delayMs": 0, "replies": ["```python\ndef add(a, b):\n    return a + b\n```"]}' > "$DIR/replay.json"

for HOSTS in 1 3; do
  DB="bench_$HOSTS"
  psql -c "CREATE DATABASE $DB"
  STORE="postgres://postgres@127.0.0.1:$PORT/$DB"
  first=$("${AGENTS[@]}" submit "$DIR/job.json" --store "$STORE" --data "$DIR/d")
  psql -d "$DB" -c "INSERT INTO mercury_agents.jobs (id, name, language, spec_json, state)
                    SELECT 'j-bench-' || g, name, language, spec_json, 'queued' FROM mercury_agents.jobs, generate_series(2, $JOBS) g
                    WHERE id = '$first'"
  HOSTS_PIDS=()
  for h in $(seq 1 "$HOSTS"); do
    "${AGENTS[@]}" serve --store "$STORE" --data "$DIR/h$h" --chat "replay:$DIR/replay.json" --concurrency "$WORKERS" \
      --port "$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')" > "$DIR/host$HOSTS-$h.log" 2>&1 &
    HOSTS_PIDS+=($!)
  done
  until [ "$(psql -d "$DB" -c "SELECT count(*) FROM mercury_agents.jobs WHERE state IN ('succeeded','failed','cancelled','error')")" -ge "$JOBS" ]; do sleep 0.5; done
  for p in "${HOSTS_PIDS[@]}"; do kill "$p"; wait "$p" || true; done
  HOSTS_PIDS=()
  read -r ok window <<<"$(psql -d "$DB" -F' ' -c "SELECT count(*) FILTER (WHERE state = 'succeeded'), extract(epoch FROM max(finished_at) - min(started_at)) FROM mercury_agents.jobs")"
  claims=$(cat "$DIR"/host$HOSTS-*.log | grep -o 'in [0-9.]* ms' | awk '{print $2}' | sort -g)
  n=$(echo "$claims" | wc -l)
  p50=$(echo "$claims" | awk -v n="$n" 'NR==int(n*0.5)+1')
  p95=$(echo "$claims" | awk -v n="$n" 'NR==int(n*0.95)+1')
  rate=$(python3 -c "print(round($JOBS / $window * 60))")
  echo "$HOSTS host(s) x $WORKERS workers: $JOBS jobs ($ok succeeded) in ${window%.*}.$(printf '%s' "${window#*.}" | cut -c1-1) s = $rate jobs/min; claim latency p50 $p50 ms, p95 $p95 ms ($n claims)"
done
