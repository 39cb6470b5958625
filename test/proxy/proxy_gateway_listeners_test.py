#!/usr/bin/env python3
"""`mesh proxy --listen config` serves every HTTP listener of a gateway's config
and follows config changes: two Gateway servers (8080 -> upstream A, 9090 ->
upstream B) each reach their upstream; rewriting the config to 8080 and 7070
opens 7070, closes 9090 (connections refused), keeps 8080 on its port and lets
a request in flight on 8080 during the reload finish. The ready file and admin
/listeners report config port -> bound port in each state; a TCP server
without a tcp route is logged once as not served."""
import http.client
import http.server
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_cli_test import MESH, get, ready_listeners, refused, stop, wait_for, write_config  # noqa: E402

UPSTREAMS = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: {name}, namespace: default}}
spec:
  hosts: [{name}.test.local]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{{number: {port}, name: http, protocol: HTTP}}]
  endpoints: [{{address: 127.0.0.1}}]
---
"""

SERVER = """
  - port: {{number: {port}, name: {proto}-{port}, protocol: {proto}}}
    bind: 127.0.0.1
    hosts: ["*"]"""

ROUTE = """
  - match: [{{port: {port}}}]
    route: [{{destination: {{host: {name}.test.local, port: {{number: {upstream}}}}}}}]"""


def config(upstreams, routes, tcp_port=None):
    """routes: [(gateway port, upstream name)]."""
    text = "".join(UPSTREAMS.format(name=n, port=p) for n, p in upstreams.items())
    servers = "".join(SERVER.format(port=p, proto="HTTP") for p, _ in routes)
    if tcp_port:
        servers += SERVER.format(port=tcp_port, proto="TCP")
    text += ("apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: gw, namespace: default}\n"
             "spec:\n  selector: {istio: test-gateway}\n  servers:" + servers + "\n---\n")
    text += ("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs, namespace: default}\n"
             "spec:\n  hosts: [\"*\"]\n  gateways: [gw]\n  http:")
    text += "".join(ROUTE.format(port=p, name=n, upstream=upstreams[n]) for p, n in routes)
    return text + "\n"


def upstream(name, slow_started=None, release=None):
    """An upstream answering its name; /slow answers once `release` is set."""

    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self):
            if self.path == "/slow":
                slow_started.set()
                release.wait(30)
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def ready_listing(path, want):
    """The ready file's config port -> bound port, once it lists exactly `want`."""
    listeners = ready_listeners(path)
    return listeners if listeners is not None and sorted(listeners) == sorted(want) else None


def check_admin(admin, bound):
    listeners = json.loads(get(admin, "/listeners")[1])
    got = {l["port"]: (l["name"], l["bound"], l["route_table"]) for l in listeners}
    assert all(l["protocol"] == "HTTP" for l in listeners), listeners
    want = {p: ("127.0.0.1_%d" % p, "127.0.0.1:%d" % b, "http.%d" % p) for p, b in bound.items()}
    assert got == want, (got, want)


def main():
    slow_started, release = threading.Event(), threading.Event()
    servers = [upstream("A", slow_started, release), upstream("B")]
    ports = {"a": servers[0].server_address[1], "b": servers[1].server_address[1]}
    tmp = tempfile.mkdtemp()
    cfg, ready = os.path.join(tmp, "config.yaml"), os.path.join(tmp, "ready.json")
    write_config(cfg, config(ports, [(8080, "a"), (9090, "b")], tcp_port=5432))
    proc = subprocess.Popen([MESH, "proxy", "--config", cfg, "--gateway", "default/gw", "--listen", "config",
                             "--ephemeral-listeners", "--concurrency", "2", "--admin-port", "0",
                             "--health-port", "-1", "--ready-file", ready],
                            stderr=subprocess.PIPE, text=True)
    lines = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True).start()
    slow = {}
    try:
        bound = wait_for(lambda: ready_listing(ready, [8080, 9090]))
        admin = json.load(open(ready))["admin"]
        assert get(bound[8080])[1] == "A" and get(bound[9090])[1] == "B", bound
        check_admin(admin, bound)

        # A request held by upstream A on 8080 while the config changes.
        def slow_request():
            c = http.client.HTTPConnection("127.0.0.1", bound[8080], timeout=30)
            c.request("GET", "/slow")
            r = c.getresponse()
            slow["result"] = (r.status, r.read().decode())
        slow_thread = threading.Thread(target=slow_request)
        slow_thread.start()
        assert slow_started.wait(10), "the slow request reached upstream A"

        write_config(cfg, config(ports, [(8080, "a"), (7070, "b")], tcp_port=5432))
        after = wait_for(lambda: ready_listing(ready, [8080, 7070]))
        assert after[8080] == bound[8080], "8080 kept its socket and port"
        assert get(after[7070])[1] == "B"
        assert get(after[8080])[1] == "A"
        # The ready file is rewritten once the workers are told; they close 9090 on their own loops.
        wait_for(lambda: refused(bound[9090]))
        check_admin(admin, after)
        assert "result" not in slow, "the slow request is still in flight"
        release.set()
        slow_thread.join(10)
        assert slow.get("result") == (200, "A"), slow
        # Logged at start and not again: the reload's line comes after its skipped-listener check.
        wait_for(lambda: any("mesh proxy: listeners {" in l for l in lines))
        assert sum("5432 (TCP, but no VirtualService tcp route for it)" in l for l in lines) == 1, lines
        print("ok: 8080 kept on %d, 9090 closed, 7070 opened on %d" % (after[8080], after[7070]))
    finally:
        release.set()
        stop(proc)
        for s in servers:
            s.shutdown()
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
