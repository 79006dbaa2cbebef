#!/usr/bin/env python3
"""Ratios of the key Alertmanager figures, Flint over Debian's Alertmanager, from one run.

  ratios.py RESULTS_DIR   (reads am_flint_*.json and am_alertmanager_*.json)
"""
import json
import os
import sys


def load(d, label, name):
    p = os.path.join(d, f"am_{label}_{name}.json")
    return json.load(open(p)) if os.path.exists(p) else {}


def dig(d, *keys):
    for k in keys:
        if not isinstance(d, dict) or k not in d:
            return None
        d = d[k]
    return d


def main():
    d = sys.argv[1]
    rows = []
    for n in ("10000", "100000"):
        f, a = load(d, "flint", f"alerts_{n}"), load(d, "alertmanager", f"alerts_{n}")
        for key, label, better in [
            ("accepted_alerts_per_s", "accepted alerts/s", "higher"),
            ("s_first_post_to_all_groups_notified", "first POST -> all groups notified s", "lower"),
            ("s_first_post_to_all_alerts_notified", "first POST -> all alerts notified s", "lower"),
            ("am_vmrss_bytes_after_settle", "RSS after settle bytes", "lower"),
            ("am_vmrss_peak_bytes", "RSS peak bytes", "lower"),
            ("am_cpu_s_post_to_delivered", "server CPU s until delivered", "lower"),
            ("am_cpu_s_per_s_during_post", "server CPU s/s during post", "-"),
        ]:
            fv, av = f.get(key), a.get(key)
            ratio = fv / av if fv and av else None
            rows.append((f"{label} ({n})", fv, av, ratio, better))
    for name, label in [("silences", "silences/s"), ("amtool_alert_query_all", "amtool alert query (all) median s"),
                        ("amtool_alert_query_group", "amtool alert query (1 group) median s"),
                        ("amtool_silence_query", "amtool silence query median s"),
                        ("get_alerts", "GET /api/v2/alerts median s"), ("get_alert_groups", "GET /api/v2/alerts/groups median s")]:
        f, a = load(d, "flint", name), load(d, "alertmanager", name)
        key = "silences_per_s" if name == "silences" else "median_s"
        fv, av = f.get(key), a.get(key)
        rows.append((label, fv, av, fv / av if fv and av else None, "higher" if name == "silences" else "lower"))
    fp, ap = load(d, "flint", "final_proc"), load(d, "alertmanager", "final_proc")
    fr, ar = fp.get("rss_bytes"), ap.get("rss_bytes")
    rows.append(("final RSS bytes", fr, ar, fr / ar if fr and ar else None, "lower"))
    print("| figure | flint | alertmanager 0.25 | flint / alertmanager | better |")
    print("|---|---|---|---|---|")
    for label, fv, av, r, better in rows:
        fmt = lambda v: "-" if v is None else (f"{v:.3g}" if isinstance(v, float) else str(v))
        print(f"| {label} | {fmt(fv)} | {fmt(av)} | {fmt(r)} | {better} |")


if __name__ == "__main__":
    main()
