#!/usr/bin/env python3
"""`mesh proxy` reloads its --config files when they change: under steady load
(keep-alive clients and slow in-flight requests) no request fails across
reloads, whether the file is rewritten in place or replaced by rename; a file
that fails validation is refused with the `mesh validate` message and the old
config keeps serving. /config_dump shows the running config."""
import http.client
import json
import os
import shutil
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from proxy_cli_test import CONFIG, MESH, Upstream, free_port, get, stop, wait_for, write_config  # noqa: E402


class Load:
    """Keep-alive clients hammering the proxy, counting every failure."""

    def __init__(self, port, clients=4):
        self.port, self.stop, self.lock = port, False, threading.Lock()
        self.ok, self.failures, self.lanes = 0, [], set()
        self.threads = [threading.Thread(target=self.run, args=("/",)) for _ in range(clients)]
        self.threads.append(threading.Thread(target=self.run, args=("/slow",)))
        for t in self.threads:
            t.start()

    def run(self, path):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        while not self.stop:
            try:
                conn.request("GET", path)
                r = conn.getresponse()
                body = r.read().decode()
                with self.lock:
                    if r.status == 200:
                        self.ok += 1
                        self.lanes.add(body)
                    else:
                        self.failures.append((r.status, body))
            except Exception as e:  # noqa: BLE001 - every failure counts
                with self.lock:
                    self.failures.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        conn.close()

    def finish(self):
        self.stop = True
        for t in self.threads:
            t.join(15)


def main():
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Upstream)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    up_port = server.server_address[1]
    listen = free_port()
    tmp = tempfile.mkdtemp()
    cfg = os.path.join(tmp, "config.yaml")
    ready = os.path.join(tmp, "ready.json")
    write_config(cfg, CONFIG.format(port=up_port, listen=listen, w1=100, w2=0), False)
    proc = subprocess.Popen([MESH, "proxy", "--config", cfg, "--gateway", "default/gw", "--concurrency", "2",
                             "--listen", "127.0.0.1:%d" % listen, "--admin-port", "0", "--health-port", "-1",
                             "--ready-file", ready],
                            stderr=subprocess.PIPE, text=True)
    lines = []
    reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
    reader.start()
    load = None
    try:
        ports = wait_for(lambda: os.path.exists(ready) and json.load(open(ready)))
        load = Load(listen)
        wait_for(lambda: load.ok > 20)
        for i in range(6):
            w1, w2 = (0, 100) if i % 2 == 0 else (100, 0)
            write_config(cfg, CONFIG.format(port=up_port, listen=listen, w1=w1, w2=w2), by_rename=i >= 3)
            wait_for(lambda: sum("config reloaded (file change)" in l for l in lines) >= i + 1)
            expected = "lane=second" if w2 else "lane="
            wait_for(lambda: get(listen)[1] == expected)
            before = load.ok
            wait_for(lambda: load.ok > before + 10)
        # A config that fails validation: refused with `mesh validate`'s message, the old one kept.
        write_config(cfg, "apiVersion: networking.istio.io/v1\nkind: VirtualService\n"
                          "metadata: {name: x}\nspec: {http: 7}\n", False)
        wait_for(lambda: any("reload refused" in l for l in lines))
        before = load.ok
        wait_for(lambda: load.ok > before + 10)
        load.finish()
        assert not load.failures, load.failures[:5]
        assert load.lanes == {"lane=", "lane=second"}, load.lanes
        assert get(listen)[1] == "lane=", "the last good config keeps serving"
        check = subprocess.run([MESH, "validate", "-f", cfg], capture_output=True, text=True)
        assert check.returncode != 0
        first_error = check.stderr.splitlines()[0]
        assert cfg in first_error and first_error in "".join(lines), (first_error, lines)
        dump = json.loads(get(ports["admin"], "/config_dump")[1])
        assert dump["clusters"] and dump["listeners"] is not None, dump.keys()
        print("ok: %d requests, no failures across 6 reloads" % load.ok)
    finally:
        if load:
            load.finish()
        stop(proc)
        server.shutdown()
        shutil.rmtree(tmp)


if __name__ == "__main__":
    sys.exit(main())
