#!/bin/bash
# proxy-peers.sh: `mesh proxy --concurrency 1` next to nginx and haproxy (one worker
# each) on the shared L7 benchmark, ../shared/bench/l7-peers.sh (relative to the
# repository). The proxy routes through a VirtualService with a header match and a
# weighted split (both weights to the one upstream, a ServiceEntry for 127.0.0.1:18080),
# bound to a Gateway listening on 127.0.0.1:18083.
#   bench/proxy-peers.sh                 # uses build/cmd/mesh
#   MESH_BIN=build-x/cmd/mesh D=30s bench/proxy-peers.sh
# Extra environment (D, C, T) passes through to l7-peers.sh.
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PEERS="$ROOT/../shared/bench/l7-peers.sh"
if [ ! -f "$PEERS" ]; then
  echo "proxy-peers: $PEERS is missing (the shared bench folder next to the repository)" >&2
  exit 2
fi
MESH_BIN=$(cd "$ROOT" && realpath "${MESH_BIN:-build/cmd/mesh}")
[ -x "$MESH_BIN" ] || { echo "proxy-peers: no mesh binary at $MESH_BIN (build first or set MESH_BIN)" >&2; exit 2; }
export MESH_PROXY_CMD="$MESH_BIN proxy --concurrency 1 --config $ROOT/bench/proxy-bench.yaml --gateway default/bench-gateway --listen 127.0.0.1:18083 --admin-port 0 --health-port 0"
echo "# MESH_PROXY_CMD=$MESH_PROXY_CMD"
bash "$PEERS"
