#!/usr/bin/env bash
# Alertmanager side by side: the anchor workload (../../../shared/anchors/run_am_baseline.sh)
# against `flint alertmanager` and Debian's `prometheus-alertmanager` in the same run, then the
# tables of both and the ratios.
#
#   bench/alertmanager/run.sh            # 10k and 100k alerts, 1000 silences, amtool timings
#   N1=2000 N2=20000 bench/alertmanager/run.sh   # smaller
#   SKIP_BUILD=1 bench/alertmanager/run.sh       # use target/release/flint as it is
#
# Needs: a release build (made here), python3, curl, amtool, prometheus-alertmanager.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
ANCHORS="${ANCHORS:-$ROOT/../shared/anchors}"
RESULTS="${RESULTS:-$HERE/results}"
mkdir -p "$RESULTS"
uptime
FLINT="$ROOT/target/release/flint"
if [ -n "${SKIP_BUILD:-}" ]; then
    echo "using the existing $FLINT (SKIP_BUILD)" >&2
elif ! (cd "$ROOT" && cargo build --release -p flint >/dev/null 2>&1); then
    [ -x "$FLINT" ] || { echo "release build failed" >&2; exit 1; }
    echo "warning: release build failed; using the existing $FLINT" >&2
fi
# The anchor scripts write results next to themselves; work on a copy so shared/ stays clean.
WORKDIR="$(mktemp -d -t flint-am-bench.XXXXXX)"
trap 'rm -rf "$WORKDIR"' EXIT
cp "$ANCHORS"/run_am_baseline.sh "$ANCHORS"/am_load.py "$ANCHORS"/am_sink.py "$ANCHORS"/measure.py "$ANCHORS"/summarize.py "$WORKDIR"/
run() { # label, then env for the script
    local label=$1; shift
    env LABEL="$label" "$@" bash "$WORKDIR/run_am_baseline.sh" "${AM_BIN:-prometheus-alertmanager}" amtool
}
run flint AM_CMD="$FLINT alertmanager --config.file={config} --storage.path={data} --web.listen-address={listen} --cluster.listen-address="
run alertmanager
cp "$WORKDIR"/results/am_*.json "$RESULTS"/
cd "$WORKDIR"
python3 summarize.py am flint alertmanager
python3 "$HERE/ratios.py" "$WORKDIR/results"
uptime
