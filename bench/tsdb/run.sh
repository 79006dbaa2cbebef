#!/usr/bin/env bash
# The TSDB benchmarks at the issue's sizes, Flint beside Debian's Prometheus 2.42 / promtool.
# Needs `prometheus` and `promtool` on PATH, ~30 GB free under /tmp and ~8 GB of memory.
set -euo pipefail
cd "$(dirname "$0")"
uptime
exec ./bench.py all "$@"
