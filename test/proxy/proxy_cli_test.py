#!/usr/bin/env python3
"""`mesh proxy` as a process: config from Istio YAML (a ServiceEntry pointing at a
loopback upstream), admin and health endpoints, SIGHUP reload, a refused config,
and SIGTERM draining an in-flight request."""
import http.client
import http.server
import json
import os
import signal
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

MESH = os.environ["MESH_BIN"]

CONFIG = """
apiVersion: networking.istio.io/v1
kind: ServiceEntry
metadata: {{name: up, namespace: default}}
spec:
  hosts: [up.test.local]
  location: MESH_EXTERNAL
  resolution: STATIC
  ports: [{{number: {port}, name: http, protocol: HTTP}}]
  endpoints: [{{address: 127.0.0.1}}]
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {{name: gw, namespace: default}}
spec:
  selector: {{istio: test-gateway}}
  servers:
  - port: {{number: {listen}, name: http, protocol: HTTP}}
    hosts: ["*"]
---
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {{name: vs, namespace: default}}
spec:
  hosts: ["*"]
  gateways: [gw]
  http:
  - match:
    - headers: {{x-canary: {{exact: "yes"}}}}
    route:
    - destination: {{host: up.test.local, port: {{number: {port}}}}}
      headers: {{request: {{set: {{x-lane: canary}}}}}}
  - route:
    - destination: {{host: up.test.local, port: {{number: {port}}}}}
      weight: {w1}
    - destination: {{host: up.test.local, port: {{number: {port}}}}}
      weight: {w2}
      headers: {{request: {{set: {{x-lane: second}}}}}}
"""


class Upstream(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    seen = []

    def do_GET(self):
        Upstream.seen.append(dict(self.headers, path=self.path))
        if self.path == "/slow":
            time.sleep(1.0)  # an in-flight request while the proxy drains
        body = ("lane=%s" % self.headers.get("x-lane", "")).encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_for(pred, timeout=10.0):
    deadline = time.time() + timeout
    while time.time() < deadline:
        v = pred()
        if v:
            return v
        time.sleep(0.02)
    raise AssertionError("timed out waiting")


def write_config(path, text, by_rename=True):
    """Replaces a config file: by rename (atomic, as editors and ConfigMaps do) or in place."""
    target = path + ".tmp" if by_rename else path
    with open(target, "w") as f:
        f.write(text)
    if by_rename:
        os.rename(target, path)


def stop(proc):
    """Ends a proxy the test started: SIGTERM (it drains), SIGKILL if it hangs."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def refused(port):
    """True once nothing listens on the port any more."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    except ConnectionRefusedError:
        return True
    return False


def ready_listeners(path):
    """The ready file's config port -> bound port for `--listen config`; None until it is written."""
    try:
        with open(path) as f:
            return {int(k): v for k, v in json.load(f).get("listeners", {}).items()}
    except (OSError, ValueError):
        return None


def get(port, path="/", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    return r.status, body, dict(r.getheaders())


def main():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Upstream)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    up_port = server.server_address[1]
    listen = free_port()
    tmp = tempfile.mkdtemp()
    cfg = os.path.join(tmp, "config.yaml")
    ready = os.path.join(tmp, "ready.json")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(port=up_port, listen=listen, w1=100, w2=0))
    proc = subprocess.Popen([MESH, "proxy", "--config", cfg, "--gateway", "default/gw",
                             "--listen", "127.0.0.1:%d" % listen, "--admin-port", "0", "--health-port", "0",
                             "--health-address", "127.0.0.1", "--ready-file", ready, "--drain-seconds", "5"],
                            stderr=subprocess.PIPE, text=True)
    try:
        ports = wait_for(lambda: os.path.exists(ready) and json.load(open(ready)))
        assert ports["listen"] == listen, ports
        status, body, headers = get(listen)
        assert (status, body) == (200, "lane="), (status, body)
        assert "x-envoy-upstream-service-time" in headers
        status, body, _ = get(listen, headers={"x-canary": "yes"})
        assert body == "lane=canary", body
        assert get(ports["admin"], "/ready")[0] == 200
        assert get(ports["health"], "/healthz/ready")[0] == 200
        stats = get(ports["admin"], "/stats")[1]
        assert "http.ingress.downstream_rq_total: 2" in stats, stats

        # SIGHUP: the weights flip; a broken file is refused and the old config kept.
        with open(cfg, "w") as f:
            f.write(CONFIG.format(port=up_port, listen=listen, w1=0, w2=100))
        proc.send_signal(signal.SIGHUP)
        wait_for(lambda: get(listen)[1] == "lane=second")
        with open(cfg, "w") as f:
            f.write("apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: x}\nspec: {http: 7}\n")
        proc.send_signal(signal.SIGHUP)
        assert get(listen)[1] == "lane=second"

        # SIGTERM drains: the in-flight request completes, then the process exits 0.
        result = {}
        t = threading.Thread(target=lambda: result.update(r=get(listen, "/slow")))
        t.start()
        wait_for(lambda: any(h["path"] == "/slow" for h in Upstream.seen))
        proc.send_signal(signal.SIGTERM)
        t.join(10)
        assert result["r"][0] == 200, result
        assert proc.wait(10) == 0
        err = proc.stderr.read()
        assert "reload refused" in err, err
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        server.shutdown()
    print("ok")


if __name__ == "__main__":
    sys.exit(main())
