#!/usr/bin/env python3
"""Control-plane benchmark. Starts `mesh control` on a generated mesh, connects
N simulated proxies (the real wire protocol: hello, then ACK every snapshot),
changes one VirtualService every proxy sees, and reports how long each proxy
waited for its new snapshot (file rename -> snapshot received and ACKed). Then
reports the control plane's RSS for a big mesh (default 1,000 services, 10,000
endpoints as Pods) with a few proxies connected.

Usage: control-push.py MESH_BIN [--proxies 200] [--services 1000] [--replicas 5]
"""
import argparse
import json
import os
import re
import selectors
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SNAPSHOT_VERSION = re.compile(rb'\{"type":"snapshot","version":(\d+),')


def frame(obj):
    payload = json.dumps(obj).encode()
    return struct.pack(">I", len(payload)) + payload


class Proxy:
    def __init__(self, port, i, namespaces):
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setblocking(False)
        self.buf = b""
        self.versions = []  # (version, time received)
        ns = "ns-%d" % (i % namespaces)
        hello = {"type": "hello", "name": "sim-%d" % i, "namespace": ns, "labels": {"app": "sim"},
                 "ip": "10.200.%d.%d" % (i // 250, i % 250 + 1), "serviceAccount": "default",
                 "ports": [], "version": 0, "gateway": False}
        self.sock.sendall(frame(hello))

    def on_readable(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise RuntimeError("control plane closed a stream")
        self.buf += data
        now = time.monotonic()
        while len(self.buf) >= 4:
            n = struct.unpack(">I", self.buf[:4])[0]
            if len(self.buf) < 4 + n:
                break
            # Only the header is read: parsing every snapshot in this one Python
            # thread would delay the later proxies' timestamps, not the control plane.
            version = int(SNAPSHOT_VERSION.match(self.buf, 4, 4 + min(n, 64)).group(1))
            self.buf = self.buf[4 + n:]
            self.versions.append((version, now))
            self.sock.sendall(frame({"type": "ack", "version": version}))


def pump(sel, until, timeout):
    deadline = time.monotonic() + timeout
    while not until() and time.monotonic() < deadline:
        for key, _ in sel.select(0.05):
            key.data.on_readable()
    return until()


def start_control(mesh, config_dir, tmp):
    ready = os.path.join(tmp, "ready.json")
    if os.path.exists(ready):
        os.remove(ready)
    proc = subprocess.Popen([mesh, "control", "--config-dir", config_dir, "--listen", "127.0.0.1:0",
                             "--ready-file", ready], stderr=open(os.path.join(tmp, "control.log"), "a"))
    deadline = time.monotonic() + 300
    while not os.path.exists(ready):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError("control plane did not start; see control.log")
        time.sleep(0.05)
    return proc, json.load(open(ready))["port"]


def rss_mb(pid):
    fields = dict(line.split(":", 1) for line in open("/proc/%d/status" % pid))
    return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024


def generate(tmp, name, services, replicas):
    d = os.path.join(tmp, name)
    os.makedirs(d)
    subprocess.check_call([sys.executable, os.path.join(HERE, "gen-mesh.py"), "--pods", "--services",
                           str(services), "--replicas", str(replicas), os.path.join(d, "mesh.yaml")])
    return d


VS = """apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: bench, namespace: ns-0}
spec:
  hosts: [svc-0]
  http:
  - timeout: %s
    route: [{destination: {host: svc-0}}]
"""


def push_latency(mesh, tmp, n):
    config = generate(tmp, "small", 20, 2)
    with open(os.path.join(config, "bench.yaml"), "w") as f:
        f.write(VS % "1s")
    proc, port = start_control(mesh, config, tmp)
    try:
        sel = selectors.DefaultSelector()
        proxies = [Proxy(port, i, 10) for i in range(n)]
        for p in proxies:
            sel.register(p.sock, selectors.EVENT_READ, p)
        assert pump(sel, lambda: all(p.versions for p in proxies), 60), "not every proxy got a snapshot"
        time.sleep(0.5)  # let joins settle (later joins re-push endpoints)
        pump(sel, lambda: False, 0.3)
        before = [len(p.versions) for p in proxies]
        tmpfile = os.path.join(config, ".bench.tmp")
        with open(tmpfile, "w") as f:
            f.write(VS % "2s")
        start = time.monotonic()
        os.rename(tmpfile, os.path.join(config, "bench.yaml"))
        ok = pump(sel, lambda: all(len(p.versions) > b for p, b in zip(proxies, before)), 30)
        assert ok, "not every proxy got the change"
        waits = sorted((p.versions[b][1] - start) * 1000 for p, b in zip(proxies, before))
        pct = lambda q: waits[min(len(waits) - 1, int(q * len(waits)))]
        pushes = re.findall(r"pushed to %d of %d proxies in (\d+) ms" % (n, n), open(os.path.join(tmp, "control.log")).read())
        return "%d proxies, one VirtualService change: all ACKed; wait p50 %.0f ms, p99 %.0f ms, max %.0f ms " \
               "(includes the 100 ms debounce); the control plane's push itself took %s ms" % (
                   n, pct(0.5), pct(0.99), waits[-1], pushes[-1] if pushes else "?")
    finally:
        proc.terminate()
        proc.wait()


def big_mesh_rss(mesh, tmp, services, replicas, n):
    config = generate(tmp, "big", services, replicas)
    t0 = time.monotonic()
    proc, port = start_control(mesh, config, tmp)
    try:
        loaded = time.monotonic() - t0
        idle = rss_mb(proc.pid)
        sel = selectors.DefaultSelector()
        proxies = [Proxy(port, i, 10) for i in range(n)]
        for p in proxies:
            sel.register(p.sock, selectors.EVENT_READ, p)
        t1 = time.monotonic()
        assert pump(sel, lambda: all(p.versions for p in proxies), 300), "not every proxy got a snapshot"
        served = time.monotonic() - t1
        rss, peak = rss_mb(proc.pid)
        return ("%d services, %d endpoints: loaded in %.1f s, RSS %.0f MB idle; with %d proxies connected "
                "(first snapshots after %.1f s): RSS %.0f MB, peak %.0f MB") % (
                    services, services * 2 * replicas, loaded, idle[0], n, served, rss, peak)
    finally:
        proc.terminate()
        proc.wait()


def main():
    a = argparse.ArgumentParser()
    a.add_argument("mesh")
    a.add_argument("--proxies", type=int, default=200)
    a.add_argument("--services", type=int, default=1000)
    a.add_argument("--replicas", type=int, default=5)
    a.add_argument("--big-proxies", type=int, default=10)
    args = a.parse_args()
    tmp = tempfile.mkdtemp()
    try:
        print(push_latency(args.mesh, tmp, args.proxies))
        print(big_mesh_rss(args.mesh, tmp, args.services, args.replicas, args.big_proxies))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
