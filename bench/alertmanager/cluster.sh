#!/usr/bin/env bash
# HA side by side: duplicates and convergence times of three clustered `flint alertmanager`
# peers and three Debian `prometheus-alertmanager` peers, same timings, repeated runs.
#
#   bench/alertmanager/cluster.sh            # 5 runs each
#   RUNS=10 bench/alertmanager/cluster.sh
#   SKIP_BUILD=1 bench/alertmanager/cluster.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS="${RESULTS:-$HERE/results}"
mkdir -p "$RESULTS"
uptime
FLINT="$ROOT/target/release/flint"
if [ -z "${SKIP_BUILD:-}" ]; then
    (cd "$ROOT" && cargo build --release -p flint >/dev/null 2>&1) || { echo "release build failed" >&2; exit 1; }
fi
python3 "$HERE/cluster.py" --flint "$FLINT" --runs "${RUNS:-5}" | tee "$RESULTS/cluster.txt"
uptime
