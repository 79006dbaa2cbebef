#!/usr/bin/env python3
"""HA side by side: three `flint alertmanager` peers, then three Debian
`prometheus-alertmanager` peers, with the same scaled-down cluster timings, repeated RUNS
times. Per run and implementation it measures:

  silence_ms     a silence POSTed to one peer until listed by the two others
  steady_dups    notifications beyond the expected ones, alerts pushed to all three
                 (group_interval 1.5s, repeat 2.5s, 7s observed: 3 expected per group)
  failing_dups   deliveries beyond one, the webhook failing its first 3 requests
                 (group_interval 6s: the first peer's retries outlast the outage)
  takeover_ms    position-0 peer killed; a new alert in a notified group until notified
  takeover_dups  extra notifications after the takeover

Prints one JSON line per run and a summary table. stdlib only.
"""
import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

FLAGS = [
    "--cluster.peer-timeout=300ms", "--cluster.gossip-interval=50ms",
    "--cluster.pushpull-interval=1s", "--cluster.probe-interval=100ms",
    "--cluster.probe-timeout=50ms", "--cluster.settle-timeout=3s",
    "--cluster.reconnect-interval=300ms",
]


class Sink:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        sink = self

        class H(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *a):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with sink.lock:
                    sink.attempts += 1
                    fail = sink.fail > 0
                    if fail:
                        sink.fail -= 1
                    else:
                        try:
                            g = json.loads(body)["groupLabels"].get("alertname", "")
                        except (ValueError, KeyError):
                            g = "?"
                        sink.got.append((time.monotonic(), g))
                code = 500 if fail else 200
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

        self.srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()

    def reset(self, fail=0):
        with self.lock:
            self.got, self.attempts, self.fail = [], 0, fail

    def times(self, group):
        with self.lock:
            return [t for t, g in self.got if g == group]


def free_port():
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            p = s.getsockname()[1]
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
                u.bind(("127.0.0.1", p))
            return p
        except OSError:
            continue


def http(method, url, body=None, timeout=5):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=timeout) as r:
        text = r.read()
        return json.loads(text) if text else None


class Peers:
    def __init__(self, cmd, cfg, tmp, n=3):
        self.procs, self.urls = [], []
        first = None
        for i in range(n):
            d = os.path.join(tmp, f"p{i}")
            os.makedirs(d, exist_ok=True)
            with open(os.path.join(d, "am.yml"), "w") as f:
                f.write(cfg)
            wp, cp = free_port(), free_port()
            args = cmd + [f"--config.file={d}/am.yml", f"--storage.path={d}/data",
                          f"--web.listen-address=127.0.0.1:{wp}",
                          f"--cluster.listen-address=127.0.0.1:{cp}"] + FLAGS
            if first:
                args.append(f"--cluster.peer={first}")
            first = first or f"127.0.0.1:{cp}"
            log = open(os.path.join(d, "log"), "w")
            self.procs.append(subprocess.Popen(args, stdout=log, stderr=log))
            self.urls.append(f"http://127.0.0.1:{wp}")
        self.wait_ready(n)

    def status(self, i):
        try:
            return http("GET", self.urls[i] + "/api/v2/status")["cluster"]
        except OSError:
            return {}

    def wait_ready(self, n, timeout=30):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            st = [self.status(i) for i in range(len(self.urls)) if self.procs[i]]
            if all(s.get("status") == "ready" and len(s.get("peers") or []) == n for s in st):
                return
            time.sleep(0.05)
        raise RuntimeError("cluster did not form")

    def post(self, alerts):
        for i, u in enumerate(self.urls):
            if self.procs[i]:
                http("POST", u + "/api/v2/alerts", alerts)

    def first(self):
        st = self.status(0)
        names = sorted(p["name"] for p in st["peers"])
        for i in range(len(self.urls)):
            if self.procs[i] and self.status(i).get("name") == names[0]:
                return i
        return 0

    def kill(self, i):
        self.procs[i].kill()
        self.procs[i].wait()
        self.procs[i] = None

    def stop(self):
        for p in self.procs:
            if p:
                p.terminate()
                p.wait()


def cfg(port, gi, repeat):
    return (f"route:\n  receiver: r\n  group_by: [alertname]\n  group_wait: 200ms\n"
            f"  group_interval: {gi}\n  repeat_interval: {repeat}\nreceivers:\n  - name: r\n"
            f"    webhook_configs:\n      - url: 'http://127.0.0.1:{port}/hook/r'\n")


def alert(name, i="1"):
    return {"labels": {"alertname": name, "i": i}, "annotations": {"summary": "s"}}


def one_run(cmd, sink):
    out = {}
    tmp = tempfile.mkdtemp(prefix="flint-ha-bench.")
    try:
        p = Peers(cmd, cfg(sink.port, "1500ms", "2500ms"), tmp)
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        sil = {"matchers": [{"name": "alertname", "value": "Muted", "isRegex": False,
                             "isEqual": True}], "startsAt": now,
               "endsAt": "2099-01-01T00:00:00Z", "createdBy": "b", "comment": "c"}
        t = time.monotonic()
        http("POST", p.urls[0] + "/api/v2/silences", sil)
        while not all(len(http("GET", u + "/api/v2/silences") or []) >= 1 for u in p.urls[1:]):
            time.sleep(0.002)
        out["silence_ms"] = round((time.monotonic() - t) * 1000, 1)
        sink.reset()
        p.post([alert("G1"), alert("G2")])
        time.sleep(7.0)
        out["steady_dups"] = sum(max(0, len(sink.times(g)) - 3) for g in ("G1", "G2"))
        # Takeover: K notified, then the first peer dies and K changes.
        sink.reset()
        p.post([alert("K")])
        time.sleep(1.0)
        p.kill(p.first())
        t = time.monotonic()
        p.post([alert("K"), alert("K", "2")])
        end = t + 6
        while time.monotonic() < end and len(sink.times("K")) < 2:
            time.sleep(0.005)
        k = sink.times("K")
        out["takeover_ms"] = round((k[1] - t) * 1000) if len(k) >= 2 else None
        time.sleep(2.0)
        out["takeover_dups"] = max(0, len(sink.times("K")) - 2)
        p.stop()
        # A failing, then recovering webhook, in a fresh cluster.
        shutil.rmtree(tmp, ignore_errors=True)
        os.makedirs(tmp, exist_ok=True)
        p = Peers(cmd, cfg(sink.port, "6s", "1h"), tmp)
        sink.reset(fail=3)
        p.post([alert("F")])
        time.sleep(6.0)
        out["failing_dups"] = max(0, len(sink.times("F")) - 1)
        out["failing_attempts"] = sink.attempts
        p.stop()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out


def summary(label, runs):
    def col(k):
        v = [r[k] for r in runs if r.get(k) is not None]
        return v
    print(f"\n{label}: {len(runs)} runs")
    for k in ("silence_ms", "takeover_ms"):
        v = col(k)
        if v:
            print(f"  {k:15} median {statistics.median(v):8.1f}  min {min(v):8.1f}  max {max(v):8.1f}")
    for k in ("steady_dups", "takeover_dups", "failing_dups"):
        v = col(k)
        print(f"  {k:15} total {sum(v):3}  runs with any {sum(1 for x in v if x)}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--flint", required=True)
    ap.add_argument("--upstream", default=shutil.which("prometheus-alertmanager"))
    ap.add_argument("--runs", type=int, default=int(os.environ.get("RUNS", "5")))
    a = ap.parse_args()
    sink = Sink()
    impls = [("flint", [a.flint, "alertmanager"])]
    if a.upstream:
        impls.append(("alertmanager", [a.upstream]))
    results = {}
    for label, cmd in impls:
        results[label] = []
        for i in range(a.runs):
            r = one_run(cmd, sink)
            print(json.dumps({"impl": label, "run": i, **r}), flush=True)
            results[label].append(r)
    for label, runs in results.items():
        summary(label, runs)


if __name__ == "__main__":
    sys.exit(main())
