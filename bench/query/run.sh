#!/usr/bin/env bash
# Query latency: Flint vs Debian's Prometheus on the same data (issue 5's speed bench).
#
#   bench/query/run.sh [TARGETS] [SERIES_PER_TARGET] [REPS]
#
# Generates TARGETS x SERIES_PER_TARGET targetfarm series (default 100 x 3000 = 300k) with
# 100 scrapes at 15 s as one OpenMetrics file, backfills it with `promtool tsdb
# create-blocks-from openmetrics` for Prometheus and `flint tsdb create-blocks-from
# openmetrics` for Flint, starts both servers (nothing to scrape), then runs the anchors'
# query set (../shared/anchors/queries.tsv through querybench.py) REPS times (default 10)
# against each, Prometheus first. Prints median latencies, ratios, the series each server
# answered with, and peak memory (VmHWM) of each server. Results: bench/query/results/.
# Environment: WORK (scratch directory, default /tmp/flint-query-bench), FLINT (binary,
# default target/release/flint), KEEP=1 keeps the data between runs.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ANCHORS="${ANCHORS:-$ROOT/../shared/anchors}"
TARGETS="${1:-100}"; SERIES="${2:-3000}"; REPS="${3:-10}"
WORK="${WORK:-/tmp/flint-query-bench}"
FLINT="${FLINT:-$ROOT/target/release/flint}"
SCRAPES=100; INTERVAL=15
mkdir -p "$WORK" "$HERE/results"
[ -x "$FLINT" ] || (cd "$ROOT" && cargo build --release -p flint)

# Data: a fixed start two hours back, aligned to the step, so the run is reproducible.
if [ ! -f "$WORK/meta" ] || [ "$(cat "$WORK/meta" | head -1)" != "$TARGETS $SERIES" ] || [ -z "${KEEP:-}" ]; then
  rm -rf "$WORK"/{data.om,prom-data,flint-data,meta}
  START=$(( ($(date +%s) - 7200) / 900 * 900 ))
  echo "generating $((TARGETS * SERIES)) series x $SCRAPES scrapes from $START"
  python3 "$HERE/farm_om.py" --targets "$TARGETS" --series "$SERIES" --scrapes $SCRAPES \
    --interval $INTERVAL --start "$START" > "$WORK/data.om"
  ls -l "$WORK/data.om"
  /usr/bin/time -f "promtool backfill: %e s, peak RSS %M KiB" \
    promtool tsdb create-blocks-from openmetrics "$WORK/data.om" "$WORK/prom-data" > /dev/null
  /usr/bin/time -f "flint backfill:    %e s, peak RSS %M KiB" \
    "$FLINT" tsdb create-blocks-from openmetrics "$WORK/data.om" "$WORK/flint-data" > /dev/null
  printf '%s %s\n%s\n' "$TARGETS" "$SERIES" "$START" > "$WORK/meta"
fi
START=$(sed -n 2p "$WORK/meta")
END=$(( START + (SCRAPES - 1) * INTERVAL ))
printf 'global: {}\n' > "$WORK/empty.yml"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { for _ in $(seq 600); do curl -sf "$1/-/ready" >/dev/null && return 0; sleep 0.2; done; echo "not ready: $1"; exit 1; }
hwm() { awk '/VmHWM/ {print $2 * 1024}' "/proc/$1/status"; }
rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$1/status"; }

run_one() {  # name, command...
  local name=$1; shift
  local port; port=$(free_port)
  "$@" --web.listen-address=127.0.0.1:$port > "$WORK/$name.log" 2>&1 &
  local pid=$!
  trap "kill $pid 2>/dev/null || true" EXIT
  wait_ready "http://127.0.0.1:$port"
  echo "$name ready (pid $pid, RSS $(( $(rss $pid) / 1048576 )) MiB)"
  python3 "$ANCHORS/querybench.py" --url "http://127.0.0.1:$port" --queries "$ANCHORS/queries.tsv" \
    --reps "$REPS" --range-s 900 --step 15s --end "$END" --label "$name" --out "$HERE/results/query_$name.json"
  python3 - "$HERE/results/query_$name.json" "$(hwm $pid)" "$(rss $pid)" <<'PY'
import json, sys
p = sys.argv[1]; d = json.load(open(p))
d["server_vmhwm_bytes"] = int(sys.argv[2]); d["server_vmrss_bytes_after"] = int(sys.argv[3])
json.dump(d, open(p, "w"), indent=1)
PY
  kill $pid; wait $pid 2>/dev/null || true
  trap - EXIT
}

echo "machine: $(nproc) cores, load $(uptime | sed 's/.*load average: //')"
run_one prometheus prometheus --config.file="$WORK/empty.yml" --storage.tsdb.path="$WORK/prom-data"
run_one flint "$FLINT" server --config.file="$WORK/empty.yml" --storage.tsdb.path="$WORK/flint-data"
echo "machine after: load $(uptime | sed 's/.*load average: //')"
python3 "$HERE/table.py" "$HERE/results/query_prometheus.json" "$HERE/results/query_flint.json"
