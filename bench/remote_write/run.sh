#!/usr/bin/env bash
# Remote write, side by side: Debian's prometheus and flint scrape the same targetfarm
# workload (TARGETS x SERIES at 10 s; the default 100 x 10000 is 1M series, 100k samples/s)
# once without and once with a `remote_write` to a counting sink (sink.py), each with its
# own farm and sink, at the same time. The overhead of remote write is the difference of
# the two rounds: server CPU-s/s and RSS. Also prints samples and bytes sent per second
# (bytes on the wire per sample) from each sender's own metrics.
#
#   bench/remote_write/run.sh [SERIES_PER_TARGET=10000] [TARGETS=100]
#
# Knobs: WARMUP_S [150] WINDOW_S [60] PROM_BIN [prometheus] SKIP_BUILD [0].
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ANCHORS="$ROOT/../shared/anchors"
SERIES="${1:-10000}"
TARGETS="${2:-100}"
WARMUP_S="${WARMUP_S:-150}"
WINDOW_S="${WINDOW_S:-60}"
PROM_BIN="${PROM_BIN:-prometheus}"
OUT="${OUT:-$(mktemp -d -t flint-rw-bench.XXXXXX)}"
mkdir -p "$OUT"
if [ "${SKIP_BUILD:-0}" != 1 ]; then (cd "$ROOT" && cargo build --release -q -p flint); fi
FLINT="$ROOT/target/release/flint"
echo "machine load before: $(uptime)"

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

counter() { # url, metric name: the sum of its series
  curl -s "$1/metrics" | awk -v m="$2" '$1 ~ "^"m"({|$)" { s += $2 } END { printf "%.0f\n", s }'
}

run_one() { # who, round (rw|plain), server port, farm port, sink port
  local who="$1" round="$2" port="$3" farm="$4" sink="$5"
  local run="$OUT/${who}_$round"
  mkdir -p "$run/data"
  {
    echo "global: {scrape_interval: 10s, scrape_timeout: 10s}"
    echo "scrape_configs:"
    echo "  - job_name: farm"
    echo "    static_configs:"
    echo "      - targets:"
    for i in $(seq 0 $((TARGETS - 1))); do echo "          - 127.0.0.1:$((farm + i))"; done
    if [ "$round" = rw ]; then
      echo "remote_write:"
      echo "  - url: http://127.0.0.1:$sink/api/v1/write"
      echo "    name: sink"
    fi
  } > "$run/prometheus.yml"
  python3 "$ANCHORS/../tools/targetfarm.py" --targets "$TARGETS" --series "$SERIES" --port "$farm" \
    --duration $((WARMUP_S + WINDOW_S + 300)) 2> "$run/farm.log" &
  local farm_pid=$!; PIDS+=("$farm_pid")
  local sink_pid=""
  if [ "$round" = rw ]; then python3 "$HERE/sink.py" "$sink" & sink_pid=$!; fi
  for _ in $(seq 1 240); do grep -q listening "$run/farm.log" 2>/dev/null && break; sleep 0.5; done
  local bin="$PROM_BIN"; [ "$who" = flint ] && bin="$FLINT server"
  # shellcheck disable=SC2086
  $bin --config.file="$run/prometheus.yml" --storage.tsdb.path="$run/data" \
    --web.listen-address="127.0.0.1:$port" --storage.tsdb.retention.time=1d > "$run/server.log" 2>&1 &
  local pid=$!; PIDS+=("$pid")
  local url="http://127.0.0.1:$port"
  for _ in $(seq 1 240); do curl -sf "$url/-/ready" >/dev/null 2>&1 && break; sleep 0.5; done
  sleep "$WARMUP_S"
  local s0 b0 s1 b1 t0 t1
  t0=$(date +%s.%N)
  s0=$(counter "$url" prometheus_remote_storage_samples_total)
  b0=$(counter "$url" prometheus_remote_storage_bytes_total)
  python3 "$ANCHORS/measure.py" scrape-window --url "$url" --pid "$pid" --farm-pid "$farm_pid" \
    --window "$WINDOW_S" --data-dir "$run/data" > "$run/window.json"
  s1=$(counter "$url" prometheus_remote_storage_samples_total)
  b1=$(counter "$url" prometheus_remote_storage_bytes_total)
  t1=$(date +%s.%N)
  curl -s "$url/metrics" | grep -E '^prometheus_remote_storage_(samples_(failed|retried|pending)|shards)' > "$run/rw_metrics.txt" || true
  # The counters span the window plus the measuring script's own start and end.
  echo "{\"samples\": $((s1 - s0)), \"bytes\": $((b1 - b0)), \"window_s\": $(python3 -c "print(round($t1 - $t0, 2))")}" > "$run/sent.json"
  # This runs in a subshell: its processes are not in the caller's PIDS, so stop them here.
  kill "$pid" "$farm_pid" $sink_pid 2>/dev/null || true
}

for round in plain rw; do
  echo "round $round: warming up ${WARMUP_S}s, then a ${WINDOW_S}s window"
  run_one prometheus "$round" 19490 19500 19480 &
  run_one flint "$round" 19690 19700 19680 &
  wait
  cleanup; PIDS=()
done
echo "machine load after: $(uptime)"
python3 - "$OUT" <<'PY'
import json, sys
out = sys.argv[1]
def w(who, rnd):
    return json.load(open(f"{out}/{who}_{rnd}/window.json"))
rows = {}
for who in ("prometheus", "flint"):
    p, r = w(who, "plain"), w(who, "rw")
    sent = json.load(open(f"{out}/{who}_rw/sent.json"))
    rows[who] = {
        "cpu_plain": p["server_cpu_s_per_s"], "cpu_rw": r["server_cpu_s_per_s"],
        "cpu_overhead": r["server_cpu_s_per_s"] - p["server_cpu_s_per_s"],
        "rss_plain_mib": p["server_vmrss_bytes"] / 2**20, "rss_rw_mib": r["server_vmrss_bytes"] / 2**20,
        "rss_overhead_mib": (r["server_vmrss_bytes"] - p["server_vmrss_bytes"]) / 2**20,
        "sent_per_s": sent["samples"] / sent["window_s"],
        "bytes_per_sample": sent["bytes"] / max(sent["samples"], 1),
    }
json.dump(rows, open(f"{out}/summary.json", "w"), indent=1)
print(f"{'figure':<20}{'prometheus':>14}{'flint':>14}{'flint/prom':>12}")
for k in rows["flint"]:
    p, f = rows["prometheus"][k], rows["flint"][k]
    ratio = f / p if p else float("nan")
    print(f"{k:<20}{p:>14.3f}{f:>14.3f}{ratio:>12.2f}")
print(f"results in {out}")
PY
