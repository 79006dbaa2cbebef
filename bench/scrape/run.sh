#!/usr/bin/env bash
# Scrape + ingest, side by side: Debian's prometheus and flint on the same targetfarm
# workload (../shared/anchors/run_scrape_baseline.sh), same config, same machine, at the
# same time (each with its own farm and ports), so interference from the rest of the
# machine hits both alike. Prints server CPU-s/s, CPU per ingested sample, RSS and scrape
# duration p50/p99 for both, and the ratios.
#
#   bench/scrape/run.sh [SERIES_PER_TARGET=10000] [TARGETS=100]
#
# Knobs: WARMUP_S [180] WINDOW_S [60] (passed to the anchor script), PROM_BIN [prometheus].
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ANCHORS="$ROOT/../shared/anchors"
SERIES="${1:-10000}"
TARGETS="${2:-100}"
export WARMUP_S="${WARMUP_S:-180}" WINDOWS=1 WINDOW_S="${WINDOW_S:-60}"
PROM_BIN="${PROM_BIN:-prometheus}"
OUT="${OUT:-$(mktemp -d -t flint-scrape-bench.XXXXXX)}"
mkdir -p "$OUT"
echo "machine load before: $(uptime)"
(cd "$ROOT" && cargo build --release -q -p flint)
FLINT="$ROOT/target/release/flint"

run_one() { # label, server port, farm port, then env for the anchor script
  local label="$1" port="$2" farm="$3"; shift 3
  env "$@" LABEL="$label" PROM_PORT="$port" FARM_PORT="$farm" "$ANCHORS/run_scrape_baseline.sh" "$PROM_BIN" "$SERIES" "$TARGETS" > "$OUT/$label.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 600); do curl -sf "http://127.0.0.1:$port/-/ready" >/dev/null 2>&1 && break; sleep 1; done
  sleep "$WARMUP_S"
  python3 "$HERE/durations.py" "http://127.0.0.1:$port" "$WINDOW_S" > "$OUT/$label.durations.json"
  wait "$pid" || { tail -30 "$OUT/$label.log"; exit 1; }
}

run_one "bench_prometheus_${TARGETS}x${SERIES}" 19090 19100 &
run_one "bench_flint_${TARGETS}x${SERIES}" 19290 19300 PROM_CMD="$FLINT server --config.file={config} --storage.tsdb.path={data} --web.listen-address={listen} --storage.tsdb.retention.time=1d" &
wait
echo "machine load after: $(uptime)"
# The anchor script writes into the shared results folder: move our files out of it so the
# anchors' own figures stay as they are.
for who in prometheus flint; do
  f="$ANCHORS/results/scrape_bench_${who}_${TARGETS}x${SERIES}.json"
  if [ -f "$f" ]; then mv "$f" "$OUT/"; fi
  rm -f "$ANCHORS/results/scrape_bench_${who}_${TARGETS}x${SERIES}_after_post.json"
done
python3 - "$OUT" "$TARGETS" "$SERIES" <<'PY'
import json, sys
out, k, m = sys.argv[1], sys.argv[2], sys.argv[3]
rows = {}
for who in ("prometheus", "flint"):
    label = f"bench_{who}_{k}x{m}"
    w = json.load(open(f"{out}/scrape_{label}.json"))["windows"][0]
    d = json.load(open(f"{out}/{label}.durations.json"))
    samples = int(k) * (int(m) + 5) / 10.0  # per second at a 10 s interval
    rows[who] = {
        "cpu_s_per_s": w["server_cpu_s_per_s"],
        "cpu_us_per_sample": 1e6 * w["server_cpu_s_per_s"] / samples,
        "rss_mib": w["server_vmrss_bytes"] / 2**20,
        "p50_ms": d["p50_ms"], "p99_ms": d["p99_ms"], "n": d["n"],
    }
print(f"{'figure':<22}{'prometheus':>14}{'flint':>14}{'flint/prom':>12}")
for key in ("cpu_s_per_s", "cpu_us_per_sample", "rss_mib", "p50_ms", "p99_ms"):
    p, f = rows["prometheus"][key], rows["flint"][key]
    ratio = f / p if p and f is not None else float("nan")
    print(f"{key:<22}{p:>14.3f}{f:>14.3f}{ratio:>12.2f}")
print(f"scrape durations sampled: prometheus {rows['prometheus']['n']}, flint {rows['flint']['n']}")
PY
