#!/bin/bash
# proxy-bodies.sh: 1 MiB bodies through `mesh proxy --concurrency 1` and haproxy (one
# thread) side by side in one run. Upstream: nginx on 127.0.0.1:18080 (one worker), which
#   POST /upload    reads the whole 1 MiB request body, then answers "ok"
#   GET  /download  answers a 1 MiB static file
#   POST /echo      reads the whole 1 MiB request body, then answers a 1 MiB file
# Load: wrk keep-alive, C connections (default 8) for D (default 10s) per row. MB/s counts
# body bytes in the direction(s) the row moves 1 MiB (both for /echo).
# The mesh config is bench/proxy-peers.sh's: a Gateway on 127.0.0.1:18083, a
# VirtualService with a header match and a 50/50 split to a ServiceEntry upstream.
#   bench/proxy-bodies.sh                 # uses build/cmd/mesh
#   MESH_BIN=build-x/cmd/mesh D=20s C=16 bench/proxy-bodies.sh
#   ROWS=/echo bench/proxy-bodies.sh      # some rows only
# Needs: nginx-light haproxy wrk (Debian packages).
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
D=${D:-10s} C=${C:-8} T=${T:-1}
MESH_BIN=$(cd "$ROOT" && realpath "${MESH_BIN:-build/cmd/mesh}")
[ -x "$MESH_BIN" ] || { echo "proxy-bodies: no mesh binary at $MESH_BIN (build first or set MESH_BIN)" >&2; exit 2; }
for t in nginx haproxy wrk; do
  command -v $t >/dev/null || { echo "proxy-bodies: missing $t (apt-get install nginx-light haproxy wrk)" >&2; exit 2; }
done
W=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$W"; }
trap cleanup EXIT

mkdir -p "$W/www" "$W/tmp"
chmod 755 "$W" "$W/www"  # the nginx worker runs as nobody
head -c 1048576 /dev/zero | tr '\0' 'b' > "$W/www/download"
# /upload and /echo pass through nginx's proxy module only so that nginx reads the
# whole body before it answers (its `return` answers first and drops the body).
cat > "$W/up.conf" <<CONF
worker_processes 1; daemon off; pid $W/up.pid; error_log /dev/null;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $W/tmp; proxy_temp_path $W/tmp; sendfile on; tcp_nopush on;
  upstream inner { server 127.0.0.1:18084; keepalive 16; }
  server { listen 127.0.0.1:18084; keepalive_requests 1000000; root $W/www;
    location = /ok { return 200 "ok\n"; }
    location = /download { } }
  server { listen 127.0.0.1:18080 reuseport; keepalive_requests 1000000; root $W/www;
    client_max_body_size 4m; client_body_buffer_size 2m;
    proxy_http_version 1.1; proxy_set_header Connection ""; proxy_pass_request_body off;
    proxy_set_header Content-Length ""; proxy_method GET; proxy_buffers 64 16k;
    location = /upload { proxy_pass http://inner/ok; }
    location = /download { }
    location = /echo { proxy_pass http://inner/download; } } }
CONF
nginx -c "$W/up.conf" & pids+=($!)
cat > "$W/ha.cfg" <<CONF
global
  nbthread 1
defaults
  mode http
  timeout connect 5s
  timeout client 30s
  timeout server 30s
  http-reuse always
frontend f
  bind 127.0.0.1:18082
  default_backend b
backend b
  server s1 127.0.0.1:18080
CONF
haproxy -f "$W/ha.cfg" -db >/dev/null 2>&1 & pids+=($!)
MESH_PROXY_CMD="$MESH_BIN proxy --concurrency 1 --config $ROOT/bench/proxy-bench.yaml --gateway default/bench-gateway --listen 127.0.0.1:18083 --admin-port 0 --health-port 0"
echo "# MESH_PROXY_CMD=$MESH_PROXY_CMD"
bash -c "exec $MESH_PROXY_CMD" >"$W/mesh.log" 2>&1 & pids+=($!)
cat > "$W/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = string.rep("a", 1048576)
wrk.headers["Content-Type"] = "application/octet-stream"
LUA

wait_port() { # port: poll until something accepts there (deadline 10 s)
  for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done
  echo "proxy-bodies: nothing listens on $1" >&2; cat "$W/mesh.log" >&2; exit 1
}
for p in 18080 18082 18083; do wait_port $p; done
check() { # port path method: the answer must be 200 with the expected size
  local want=1048576 got
  [ "$2" = /upload ] && want=3
  got=$(curl -s -o /dev/null -w '%{http_code} %{size_download}' -X "$3" --data-binary @"$W/www/download" \
        -H 'Content-Type: application/octet-stream' "http://127.0.0.1:$1$2")
  [ "$got" = "200 $want" ] || { echo "proxy-bodies: $3 $2 on port $1 answered '$got', want '200 $want'" >&2; exit 1; }
}
run() { # name port path directions(1|2) [wrk args]
  local name=$1 port=$2 path=$3 dirs=$4; shift 4
  out=$(wrk -t"$T" -c"$C" -d"$D" --latency "$@" "http://127.0.0.1:$port$path" 2>&1)
  [ -n "${VERBOSE:-}" ] && echo "$out" >&2
  rps=$(echo "$out" | awk '/Requests\/sec/{print $2}')
  p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  errs=$(echo "$out" | awk '/Non-2xx|Socket errors/{printf "%s ", $0}')
  mbs=$(echo "${rps:-0} * $dirs * 1.048576" | bc)
  printf '%-8s %-9s rps=%-8s MB/s=%-8s p99=%s %s\n' "$name" "$path" "${rps:-0}" "$mbs" "${p99:-?}" "$errs"
}
for port in 18082 18083; do check $port /upload POST; check $port /download GET; check $port /echo POST; done
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)  D=$D C=$C"
for row in "/upload 1 -s $W/post.lua" "/download 1" "/echo 2 -s $W/post.lua"; do
  set -- $row
  case " ${ROWS:-/upload /download /echo} " in *" $1 "*) ;; *) continue ;; esac
  run haproxy 18082 "$@"
  run mesh 18083 "$@"
done
echo "# load average: $(cut -d' ' -f1-3 /proc/loadavg)"
kill -0 "${pids[-1]}" 2>/dev/null || { echo "proxy-bodies: mesh proxy exited:" >&2; cat "$W/mesh.log" >&2; exit 1; }
