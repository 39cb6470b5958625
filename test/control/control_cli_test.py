#!/usr/bin/env python3
"""`mesh control` with three `mesh proxy --control` sidecars on loopback:
a config change reaches the proxies it affects within 1 s and not the others;
a broken file keeps its last good version while other files still apply; a
snapshot a proxy cannot use is NACKed (old config kept, NACKED in `mesh status`);
`mesh routes NAME` / `--proxy` show the live table; killing the control plane
while traffic flows fails no request, and the proxies resync when it is back."""
import http.client
import http.server
import json
import os
import shutil
import signal
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

MESH = os.environ["MESH_BIN"]

SERVICE_ENTRY = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: default}}
spec:
  hosts: [{name}.test.local]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{{number: {port}, name: http, protocol: HTTP}}]
  endpoints: [{{address: 127.0.0.1}}]
"""

LANE_VS = """
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: lane, namespace: {ns}}}
spec:
  hosts: [up.test.local]
  exportTo: ["."]
  http:
  - route:
    - destination: {{host: up.test.local, port: {{number: {port}}}}}
      headers: {{request: {{set: {{x-lane: {lane}}}}}}}
"""


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = ("lane=%s" % self.headers.get("x-lane", "")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def wait_for(pred, timeout=15.0, what="condition"):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.01)
    raise AssertionError("timed out waiting for " + what)


def get(port, path="/", host=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers={"host": host} if host else {})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body


def read_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError):
        return None


class Mesh:
    def __init__(self, tmp):
        self.tmp = tmp
        self.procs = []
        self.control = None
        self.control_port = 0

    def spawn(self, args, log):
        p = subprocess.Popen([MESH] + args, stdout=subprocess.DEVNULL,
                             stderr=open(os.path.join(self.tmp, log), "a"))
        self.procs.append(p)
        return p

    def start_control(self, port=0):
        ready = os.path.join(self.tmp, "control.json")
        if os.path.exists(ready):
            os.remove(ready)
        self.control = self.spawn(["control", "--config-dir", os.path.join(self.tmp, "config"),
                                   "--listen", "127.0.0.1:%d" % port, "--ready-file", ready], "control.log")
        self.control_port = wait_for(lambda: read_json(ready), what="control ready")["port"]

    def start_proxy(self, name, ns, route_table):
        ready = os.path.join(self.tmp, name + ".json")
        self.spawn(["proxy", "--control", "127.0.0.1:%d" % self.control_port, "--listen", "127.0.0.1:0",
                    "--admin-port", "0", "--health-port", "-1", "--ready-file", ready, "--concurrency", "1",
                    "--route-table", str(route_table), "--pod-name", name, "--pod-namespace", ns,
                    "--pod-label", "app=" + name.split("-")[0], "--pod-ip", "127.0.0.1"], name + ".log")
        return wait_for(lambda: read_json(ready), what=name + " ready")

    def syncz(self):
        try:
            status, body = get(self.control_port, "/debug/syncz")
            return {p["id"]: p for p in json.loads(body)} if status == 200 else {}
        except OSError:
            return {}

    def mesh(self, *args):
        return subprocess.run([MESH] + list(args), capture_output=True, text=True, timeout=30)

    def stop(self):
        for p in self.procs:
            if p.poll() is None:
                p.kill()
            p.wait()


def write(path, text):
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(text)
    os.rename(tmp, path)


def main():
    servers = []
    for _ in range(2):
        s = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Upstream)
        s.daemon_threads = True
        threading.Thread(target=s.serve_forever, daemon=True).start()
        servers.append(s)
    up, other = (s.server_address[1] for s in servers)
    tmp = tempfile.mkdtemp()
    config = os.path.join(tmp, "config")
    os.makedirs(os.path.join(config, "team-a"))
    write(os.path.join(config, "services.yaml"), SERVICE_ENTRY.format(name="up", port=up))
    write(os.path.join(config, "other.yaml"), SERVICE_ENTRY.format(name="other", port=other))
    vs_a = os.path.join(config, "team-a", "lane.yaml")
    write(vs_a, LANE_VS.format(ns="team-a", port=up, lane="a1"))
    mesh = Mesh(tmp)
    try:
        mesh.start_control()
        a = mesh.start_proxy("a-1", "team-a", up)
        b = mesh.start_proxy("b-1", "team-b", up)
        c = mesh.start_proxy("c-1", "team-c", other)
        ids = ["a-1.team-a", "b-1.team-b", "c-1.team-c"]
        wait_for(lambda: all(mesh.syncz().get(i, {}).get("status") == "SYNCED" for i in ids), what="SYNCED")
        assert get(a["listen"], host="up.test.local:%d" % up) == (200, "lane=a1")
        assert get(b["listen"], host="up.test.local:%d" % up) == (200, "lane=")  # exportTo ["."]
        assert get(c["listen"], host="other.test.local:%d" % other) == (200, "lane=")

        # 1. A change in team-a reaches a-1 within 1 s; b-1 and c-1 get nothing.
        before = mesh.syncz()
        write(vs_a, LANE_VS.format(ns="team-a", port=up, lane="a2"))
        start = time.time()
        wait_for(lambda: get(a["listen"], host="up.test.local:%d" % up)[1] == "lane=a2", what="a2")
        elapsed = time.time() - start
        assert elapsed < 1.0, "change took %.3f s" % elapsed
        wait_for(lambda: mesh.syncz()["a-1.team-a"]["status"] == "SYNCED", what="a-1 ACK")
        after = mesh.syncz()
        assert after["a-1.team-a"]["sent"] > before["a-1.team-a"]["sent"], (before, after)
        for i in ids[1:]:
            assert after[i]["sent"] == before[i]["sent"], (i, before, after)
        print("change reached a-1 in %.0f ms, others untouched" % (elapsed * 1000))

        # 2. A broken file keeps its last good version; another file's change still applies.
        write(vs_a, "apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: lane, "
                    "namespace: team-a}\nspec: {hosts: [up.test.local], http: 7}\n")
        write(os.path.join(config, "team-b.yaml"), LANE_VS.format(ns="team-b", port=up, lane="b1"))
        wait_for(lambda: get(b["listen"], host="up.test.local:%d" % up)[1] == "lane=b1", what="b1")
        assert get(a["listen"], host="up.test.local:%d" % up) == (200, "lane=a2")
        log = open(os.path.join(tmp, "control.log")).read()
        assert "team-a/lane.yaml:4:" in log and "last good version stays in effect" in log, log
        write(vs_a, LANE_VS.format(ns="team-a", port=up, lane="a2"))  # fixed: same as the last good one

        # 3. c-1 serves route table `other`; a snapshot without it is NACKed, the old config kept.
        os.remove(os.path.join(config, "other.yaml"))
        wait_for(lambda: mesh.syncz()["c-1.team-c"]["status"] == "NACKED", what="NACKED")
        assert get(c["listen"], host="other.test.local:%d" % other) == (200, "lane=")
        status = mesh.mesh("status", "--control", "127.0.0.1:%d" % mesh.control_port)
        assert status.returncode == 0, status.stderr
        lines = {l.split()[0]: l for l in status.stdout.splitlines()[1:]}
        assert "NACKED" in lines["c-1.team-c"] and "route table %d" % other in lines["c-1.team-c"], status.stdout
        assert "SYNCED" in lines["a-1.team-a"], status.stdout

        # 4. The live route table, from the control plane and from the proxy's admin port.
        live = mesh.mesh("routes", "team-a/a-1", "--control", "127.0.0.1:%d" % mesh.control_port)
        assert live.returncode == 0, live.stderr
        assert "lane.team-a" in live.stdout and live.stdout.startswith("NAME"), live.stdout
        direct = mesh.mesh("routes", "--proxy", "127.0.0.1:%d" % a["admin"])
        assert direct.stdout == live.stdout, (direct.stdout, live.stdout)
        explain = mesh.mesh("routes", "a-1.team-a", "--control", "127.0.0.1:%d" % mesh.control_port,
                            "--explain", "GET http://up.test.local:%d/x" % up)
        assert explain.returncode == 0 and "lane" in explain.stdout, explain.stdout + explain.stderr
        missing = mesh.mesh("routes", "nobody", "--control", "127.0.0.1:%d" % mesh.control_port)
        assert missing.returncode == 1 and "no connected proxy" in missing.stderr, missing.stderr

        # 5. Kill the control plane while traffic flows: no request fails; resync when it is back.
        results = {"ok": 0, "failed": []}
        stop = threading.Event()

        def traffic():
            while not stop.is_set():
                try:
                    r = get(a["listen"], host="up.test.local:%d" % up)
                    if r == (200, "lane=a2"):
                        results["ok"] += 1
                    else:
                        results["failed"].append(r)
                except OSError as e:
                    results["failed"].append(str(e))

        t = threading.Thread(target=traffic)
        t.start()
        wait_for(lambda: results["ok"] > 20, what="traffic")
        port = mesh.control_port
        mesh.control.send_signal(signal.SIGKILL)
        mesh.control.wait()
        seen = results["ok"]
        wait_for(lambda: results["ok"] > seen + 50, what="traffic without control plane")
        mesh.start_control(port)
        wait_for(lambda: all(mesh.syncz().get(i, {}).get("status") == "SYNCED" for i in ids[:2]), what="resync")
        seen = results["ok"]
        wait_for(lambda: results["ok"] > seen + 20, what="traffic after resync")
        stop.set()
        t.join(10)
        assert not results["failed"], results["failed"][:5]
        print("%d requests, none failed, across a control-plane restart" % results["ok"])
    finally:
        mesh.stop()
        for s in servers:
            s.shutdown()
        if os.environ.get("MESH_KEEP_TMP") != "1":
            shutil.rmtree(tmp, ignore_errors=True)
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
