#!/usr/bin/env python3
"""Poll /api/v1/targets of a Prometheus-compatible server for SECONDS and print the
distinct scrape durations (lastScrapeDuration per (target, lastScrape)) as JSON with
p50/p99 in milliseconds. Works the same against Prometheus and Flint."""
import json
import sys
import time
import urllib.request

url, seconds = sys.argv[1].rstrip("/"), float(sys.argv[2])
seen = {}
end = time.time() + seconds
while time.time() < end:
    try:
        with urllib.request.urlopen(url + "/api/v1/targets?state=active", timeout=10) as r:
            d = json.load(r)
        for t in d["data"]["activeTargets"]:
            if t.get("health") == "up":
                seen[(t["scrapeUrl"], t["lastScrape"])] = float(t["lastScrapeDuration"])
    except Exception as e:  # noqa: BLE001
        print("poll error:", e, file=sys.stderr)
    time.sleep(1)
v = sorted(seen.values())


def pct(p):
    if not v:
        return None
    k = (len(v) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(v) - 1)
    return 1000 * (v[lo] + (v[hi] - v[lo]) * (k - lo))


print(json.dumps({"n": len(v), "p50_ms": pct(0.5), "p99_ms": pct(0.99)}))
