#!/usr/bin/env python3
"""Time from an alert to its first page handed to the channel, with many escalations at once.

Starts hinomi (SQLite in a temporary directory, or a fresh PostgreSQL database), creates one
person with a webhook contact method pointing at a local HTTP peer, an escalation policy
(step 0 pages that person, step 1 after 5 minutes) bound to the route's receiver, and then
posts N alerts that each open their own alert group, so N escalations run at once. The peer
notes when each page arrives; the latency of an alert is from the moment its POST was sent
to the moment its page reached the peer (the channel's own send included, so an upper bound
of "handed to the channel").

    python3 bench/paging_latency.py --bin target/release/hinomi [--alerts 1000]
        [--database-url postgres://postgres@127.0.0.1:5432/] [--runs 3] [--json out.json]

Two figures: the burst (all N posted as fast as 32 connections go, so the later ones queue
behind the earlier ones' paging) and, once those N escalations are open, --probes alerts
posted one at a time (what a new alert sees on an installation with N escalations running).
Prints p50/p90/p99/max per run and the medians over runs. Standard library only.
"""

import argparse
import http.client
import http.server
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
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor

CONFIG = """\
route:
  receiver: oncall
  group_by: [alertname]
  group_wait: 0s
  group_interval: 5m
  repeat_interval: 4h
receivers:
  - name: oncall
"""


class Peer(http.server.ThreadingHTTPServer):
    """Records the arrival time of every page, by the alert name in its notice."""

    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PeerHandler)
        self.lock = threading.Lock()
        self.arrived = {}
        self.done = threading.Event()
        self.expected = 0
        self.codes = []


class PeerHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        at = time.monotonic()
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()
        try:
            notice = json.loads(body)
            notice = notice.get("notice", notice)
            kind = notice.get("kind", {})
            if kind.get("type") == "test":
                with self.server.lock:
                    self.server.codes.append(kind["code"])
                return
            if kind.get("type") != "page":
                return
            labels = dict(notice["alerts"][0]["labels"])
            name = labels["alertname"]
        except (ValueError, KeyError, IndexError, TypeError):
            return
        server = self.server
        with server.lock:
            server.arrived.setdefault(name, at)
            if len(server.arrived) >= server.expected:
                server.done.set()

    def log_message(self, *args):
        pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def request(port, method, path, token, body=None):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    if resp.status >= 300:
        raise RuntimeError(f"{method} {path}: {resp.status} {data[:300]!r}")
    return json.loads(data) if data else None


def start(args, data_dir, config_path, database_url):
    port = free_port()
    env = dict(os.environ)
    env.update(
        {
            "HINOMI_CHANNELS__WEBHOOK__SECRET": "bench-secret",
            # The bench measures the pipeline, not the throttle that protects people.
            "HINOMI_DELIVERY__PER_MINUTE__WEBHOOK": "0",
            "RUST_LOG": "warn",
        }
    )
    base = [args.bin, "--data-dir", data_dir]
    if database_url:
        base += ["--database-url", database_url]
    subprocess.run(base + ["user", "create", "bench", "--role", "owner", "--password-stdin"],
                   input=b"bench-password-123\n", env=env, check=True, capture_output=True)
    out = subprocess.run(base + ["token", "create", "bench", "--name", "bench"], env=env,
                         check=True, capture_output=True)
    token = out.stdout.decode().strip().split()[-1]
    proc = subprocess.Popen(
        base + ["serve", "--listen", f"127.0.0.1:{port}", "--alertmanager-config", config_path,
                "--external-url", f"http://127.0.0.1:{port}"],
        env=env, stdout=subprocess.DEVNULL, stderr=open(os.path.join(data_dir, "hinomi.log"), "wb"),
    )
    for _ in range(300):
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            conn.request("GET", "/-/ready")
            if conn.getresponse().status == 200:
                break
        except OSError:
            pass
        time.sleep(0.1)
    else:
        proc.kill()
        raise RuntimeError("hinomi did not become ready")
    return proc, port, token


def set_up_paging(port, token, peer, peer_url):
    method = request(port, "POST", "/api/v1/me/contact-methods", token,
                     {"kind": "webhook", "address": peer_url, "label": "bench"})
    # A method takes pages once verified with the code its test message carried.
    request(port, "POST", f"/api/v1/me/contact-methods/{method['id']}/test", token)
    for _ in range(200):
        with peer.lock:
            code = peer.codes[-1] if peer.codes else None
        if code:
            break
        time.sleep(0.05)
    else:
        raise RuntimeError("the test message did not arrive")
    request(port, "POST", f"/api/v1/me/contact-methods/{method['id']}/verify", token,
            {"code": code})
    request(port, "POST", "/api/v1/me/notification-rules", token,
            {"contact_method": method["id"], "delay_minutes": 0})
    policy = request(port, "POST", "/api/v1/escalation-policies", token, {
        "name": "bench",
        "repeat": 2,
        "steps": [
            {"delay": "5m", "targets": [{"type": "user", "name": "bench"}]},
            {"delay": "5m", "targets": [{"type": "user", "name": "bench"}]},
        ],
    })
    request(port, "PUT", f"/api/v1/escalation-policies/{policy['id']}/bindings/receiver/oncall",
            token)


def post_alerts(port, token, n, run_id, concurrency, first=0):
    sent = {}
    local = threading.local()

    def post(i):
        conn = getattr(local, "conn", None)
        if conn is None:
            conn = local.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        name = f"Bench{run_id}_{first + i}"
        body = json.dumps([{"labels": {"alertname": name, "severity": "critical"},
                            "annotations": {"summary": f"bench alert {i}"}}])
        at = time.monotonic()
        conn.request("POST", "/api/v2/alerts", body,
                     {"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
        resp = conn.getresponse()
        resp.read()
        if resp.status != 200:
            raise RuntimeError(f"POST /api/v2/alerts: {resp.status}")
        sent[name] = at

    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(n)))
    return sent


def percentile(values, p):
    values = sorted(values)
    k = max(0, min(len(values) - 1, round(p / 100 * len(values) + 0.5) - 1))
    return values[k]


def one_run(args, run):
    data_dir = tempfile.mkdtemp(prefix="hinomi-paging-bench-")
    database_url = None
    if args.database_url:
        name = f"paging_bench_{uuid.uuid4().hex[:10]}"
        subprocess.run(["psql", args.database_url + "postgres", "-qc", f"CREATE DATABASE {name}"],
                       check=True, capture_output=True)
        database_url = args.database_url + name
    config_path = os.path.join(data_dir, "alertmanager.yml")
    with open(config_path, "w") as f:
        f.write(CONFIG)
    peer = Peer()
    peer.expected = args.alerts
    threading.Thread(target=peer.serve_forever, daemon=True).start()
    proc, port, token = start(args, data_dir, config_path, database_url)
    try:
        set_up_paging(port, token, peer, f"http://127.0.0.1:{peer.server_address[1]}/page")
        began = time.monotonic()
        sent = post_alerts(port, token, args.alerts, run, args.concurrency)
        posted = time.monotonic() - began
        if not peer.done.wait(120):
            raise RuntimeError(f"only {len(peer.arrived)} of {args.alerts} pages arrived")
        latencies = [(peer.arrived[name] - at) * 1000 for name, at in sent.items()]
        # With those escalations open (their next steps on the database's timers), alerts
        # arriving one at a time: the latency a new incident sees on a busy installation.
        probe = []
        for i in range(args.probes):
            with peer.lock:
                peer.expected = args.alerts + i + 1
                peer.done.clear()
            name, at = next(iter(post_alerts(port, token, 1, f"{run}p{i}", 1, first=i).items()))
            if not peer.done.wait(30):
                raise RuntimeError(f"probe {i} was not paged")
            probe.append((peer.arrived[name] - at) * 1000)
            time.sleep(0.05)
        open_pages = len(request(port, "GET", "/api/v1/pages?limit=1000", token))
    finally:
        proc.terminate()
        proc.wait(30)
        peer.shutdown()
        shutil.rmtree(data_dir, ignore_errors=True)
        if database_url:
            subprocess.run(["psql", args.database_url + "postgres", "-qc",
                            f"DROP DATABASE {database_url.rsplit('/', 1)[1]}"], capture_output=True)
    result = {
        "alerts": args.alerts,
        "pages_listed": open_pages,
        "posting_seconds": round(posted, 3),
        "p50_ms": round(percentile(latencies, 50), 1),
        "p90_ms": round(percentile(latencies, 90), 1),
        "p99_ms": round(percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "probe_p50_ms": round(percentile(probe, 50), 1) if probe else None,
        "probe_p99_ms": round(percentile(probe, 99), 1) if probe else None,
    }
    print(f"run {run + 1}: {json.dumps(result)}", flush=True)
    return result


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--bin", required=True)
    parser.add_argument("--alerts", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--probes", type=int, default=200,
                        help="alerts posted one at a time once the burst's escalations are open")
    parser.add_argument("--database-url",
                        help="a PostgreSQL server URL ending in '/', e.g. postgres://postgres@127.0.0.1:5432/")
    parser.add_argument("--json", help="write the runs and medians here")
    args = parser.parse_args()
    runs = [one_run(args, r) for r in range(args.runs)]
    keys = ["p50_ms", "p99_ms", "max_ms"] + (["probe_p50_ms", "probe_p99_ms"] if args.probes else [])
    medians = {k: statistics.median(r[k] for r in runs) for k in keys}
    backend = "postgresql" if args.database_url else "sqlite"
    print(f"{backend}, burst of {args.alerts} escalations: median p50 {medians['p50_ms']} ms, "
          f"p99 {medians['p99_ms']} ms, max {medians['max_ms']} ms")
    if args.probes:
        print(f"{backend}, one alert at a time beside them: median p50 "
              f"{medians['probe_p50_ms']} ms, p99 {medians['probe_p99_ms']} ms")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"backend": backend, "runs": runs, "medians": medians}, f, indent=2)


if __name__ == "__main__":
    sys.exit(main())
