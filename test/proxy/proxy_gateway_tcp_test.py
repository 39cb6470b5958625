#!/usr/bin/env python3
"""A gateway's TCP server (`mesh proxy --listen config`) relays connections to
the destinations of the tcp route bound to it, split by weight as in Istio's
TCP traffic-shifting task: all to v1; then, after a config change, all to v2
while a connection opened before the change keeps talking to v1; then 50/50
reaches both. Admin /listeners reports the listener as TCP with its cluster;
dropping the server closes its port."""
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_cli_test import MESH, get, ready_listeners, refused, stop, wait_for, write_config  # noqa: E402

SERVICE = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: tcp-echo, namespace: default}}
spec:
  hosts: [tcp-echo.test.local]
  location: MESH_INTERNAL
  resolution: STATIC
  ports: [{{number: 9000, name: tcp, protocol: TCP}}]
  endpoints:
  - {{address: 127.0.0.1, ports: {{tcp: {v1}}}, labels: {{version: v1}}}}
  - {{address: 127.0.0.1, ports: {{tcp: {v2}}}, labels: {{version: v2}}}}
---
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {{name: tcp-echo, namespace: default}}
spec:
  host: tcp-echo.test.local
  subsets:
  - {{name: v1, labels: {{version: v1}}}}
  - {{name: v2, labels: {{version: v2}}}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: default}}
spec:
  selector: {{istio: test-gateway}}
  servers:
  - port: {{number: 8080, name: http, protocol: HTTP}}
    bind: 127.0.0.1
    hosts: ["*"]
"""

TCP_SERVER = """  - port: {number: 31400, name: tcp, protocol: TCP}
    bind: 127.0.0.1
    hosts: ["*"]
"""

ROUTE = """---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: tcp-echo, namespace: default}}
spec:
  hosts: ["*"]
  gateways: [gw]
  tcp:
  - match: [{{port: 31400}}]
    route:
    - destination: {{host: tcp-echo.test.local, port: {{number: 9000}}, subset: v1}}
      weight: {w1}
    - destination: {{host: tcp-echo.test.local, port: {{number: 9000}}, subset: v2}}
      weight: {w2}
"""


def config(ports, w1, w2, tcp_server=True):
    return SERVICE.format(**ports) + (TCP_SERVER if tcp_server else "") + ROUTE.format(w1=w1, w2=w2)


def echo_server(name):
    """Answers each line with "name:line"."""

    class Handler(socketserver.StreamRequestHandler):
        def handle(self):
            for line in self.rfile:
                self.wfile.write(name.encode() + b":" + line)

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


class Client:
    """One connection through the gateway; `ask` sends a line and reads the answer."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.reader = self.sock.makefile("rb")

    def ask(self, text):
        self.sock.sendall(text.encode() + b"\n")
        return self.reader.readline().decode().strip()

    def close(self):
        self.reader.close()
        self.sock.close()


def answers(port, n):
    """Who answers each of n new connections."""
    out = []
    for i in range(n):
        c = Client(port)
        out.append(c.ask("hello %d" % i).split(":")[0])
        c.close()
    return out


def main():
    servers = {"v1": echo_server("v1"), "v2": echo_server("v2")}
    ports = {name: s.server_address[1] for name, s in servers.items()}
    tmp = tempfile.mkdtemp()
    cfg, ready = os.path.join(tmp, "config.yaml"), os.path.join(tmp, "ready.json")
    write_config(cfg, config(ports, 100, 0))
    proc = subprocess.Popen([MESH, "proxy", "--config", cfg, "--gateway", "default/gw", "--listen", "config",
                             "--ephemeral-listeners", "--concurrency", "2", "--admin-port", "0",
                             "--health-port", "-1", "--ready-file", ready],
                            stderr=subprocess.PIPE, text=True)
    lines = []
    threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True).start()
    try:
        bound = wait_for(lambda: (lambda l: l if l and 31400 in l else None)(ready_listeners(ready)))
        port = bound[31400]
        assert answers(port, 10) == ["v1"] * 10, "weight 100 to v1"
        admin = json.load(open(ready))["admin"]
        listeners = {l["port"]: l for l in json.loads(get(admin, "/listeners")[1])}
        assert listeners[31400]["protocol"] == "TCP", listeners
        assert listeners[31400]["tcp_cluster"] == "outbound|9000|v1|tcp-echo.test.local", listeners
        assert listeners[8080]["protocol"] == "HTTP", listeners

        # A connection opened before the shift stays with v1 (it is relayed, not re-routed).
        held = Client(port)
        assert held.ask("before") == "v1:before"
        write_config(cfg, config(ports, 0, 100))
        wait_for(lambda: answers(port, 1) == ["v2"])
        assert answers(port, 10) == ["v2"] * 10, "weight 100 to v2"
        assert held.ask("after") == "v1:after", "the held connection still reaches v1"
        held.close()
        assert ready_listeners(ready)[31400] == port, "the listener kept its socket"

        write_config(cfg, config(ports, 50, 50))
        wait_for(lambda: len(set(answers(port, 20))) == 2)

        write_config(cfg, config(ports, 50, 50, tcp_server=False))
        wait_for(lambda: refused(port))
        assert not any("not served" in l for l in lines), lines
        print("ok: 31400 on %d shifted v1 -> v2 -> 50/50, then closed" % port)
    finally:
        stop(proc)
        for s in servers.values():
            s.shutdown()
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
