#!/bin/sh
# Control-plane benchmark (bench/control-push.py): push latency to 200 simulated
# proxies after one VirtualService change, and RSS with 1,000 services / 10,000
# endpoints. Appends the figures and the command to bench/RESULTS.md.
#
# Usage: bench/control-push.sh [BUILD_DIR]   (default: build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
mesh="$build/cmd/mesh"
[ -x "$mesh" ] || { echo "no $mesh; build first" >&2; exit 1; }
out=$(python3 "$here/control-push.py" "$mesh")
echo "$out"
load=$(cut -d' ' -f1 /proc/loadavg)
{
  echo
  echo "## Control plane push ($(date -u +%Y-%m-%d), $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo
  echo "Command: \`bench/control-push.sh $build\` (simulated proxies speak the real wire protocol; load average $load)."
  echo
  echo "$out" | sed 's/^/- /'
} >>"$here/RESULTS.md"
