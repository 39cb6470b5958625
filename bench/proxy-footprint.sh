#!/bin/bash
# proxy-footprint.sh: `mesh proxy` startup-to-ready time, idle RSS, and RSS per idle
# keep-alive client connection (N idle connections, default 5000), with the same
# config as proxy-peers.sh (no upstream traffic needed).
#   MESH_BIN=build-x/cmd/mesh N=5000 bench/proxy-footprint.sh
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MESH_BIN=$(cd "$ROOT" && realpath "${MESH_BIN:-build/cmd/mesh}")
N=${N:-5000}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
ulimit -n $((N + 1000)) 2>/dev/null || true
python3 - "$MESH_BIN" "$W" "$N" "$ROOT/bench/proxy-bench.yaml" <<'PY'
import json, os, socket, subprocess, sys, time
mesh, w, n, config = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
ready = os.path.join(w, "ready.json")
def rss(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS"):
            return int(line.split()[1])
t0 = time.monotonic()
p = subprocess.Popen([mesh, "proxy", "--concurrency", "1", "--config", config,
                      "--gateway", "default/bench-gateway", "--listen", "127.0.0.1:0", "--admin-port", "0",
                      "--health-port", "0", "--ready-file", ready], stderr=subprocess.DEVNULL)
while not os.path.exists(ready):
    time.sleep(0.0005)
startup_ms = (time.monotonic() - t0) * 1000
port = json.load(open(ready))["listen"]
time.sleep(0.5)
idle = rss(p.pid)
socks = []
for i in range(n):
    s = socket.create_connection(("127.0.0.1", port))
    socks.append(s)
# One request on a fresh connection: served while the others idle.
c = socket.create_connection(("127.0.0.1", port))
c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
c.settimeout(10)
served = c.recv(100).split(b"\r\n")[0].decode()
time.sleep(1.0)
loaded = rss(p.pid)
print("mesh startup_to_ready_ms=%.1f idle_rss_kb=%d rss_with_%d_idle_conns_kb=%d per_idle_conn_bytes=%d other_request=%r"
      % (startup_ms, idle, n, loaded, (loaded - idle) * 1024 // n, served))
for s in socks:
    s.close()
p.terminate()
p.wait()
PY
