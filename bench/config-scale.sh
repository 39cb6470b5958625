#!/bin/sh
# Config-scale benchmark: decode + validate + translate one sidecar's config for a
# generated mesh (bench/gen-mesh.py: 1,000 services, 2,000 VirtualServices, 1,000
# DestinationRules, 10,000 endpoints), then the time per further sidecar.
# Appends the figures and the command to bench/RESULTS.md.
#
# Usage: bench/config-scale.sh [BUILD_DIR]   (default: build)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-build}
mesh="$build/cmd/mesh"
[ -x "$mesh" ] || { echo "no $mesh; build first" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "needs /usr/bin/time (Debian package time)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 "$here/gen-mesh.py" "$tmp/mesh.yaml"

/usr/bin/time -v "$mesh" routes -f "$tmp/mesh.yaml" -o json >/dev/null 2>"$tmp/time.txt"
wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$tmp/time.txt")
rss_kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time.txt")
user=$(sed -n 's/.*User time (seconds): //p' "$tmp/time.txt")
sys=$(sed -n 's/.*System time (seconds): //p' "$tmp/time.txt")
"$mesh" routes -f "$tmp/mesh.yaml" --workload ns-0/svc-0-v1 --bench-sidecars 200 -o json \
  2>"$tmp/bench.txt" >/dev/null
per_sidecar=$(sed -n 's/.*: \([0-9.]*\) ms per sidecar.*/\1/p' "$tmp/bench.txt")
per_sidecar_cpu=$(sed -n 's/.*(\([0-9.]*\) ms CPU.*/\1/p' "$tmp/bench.txt")
load=$(cut -d' ' -f1 /proc/loadavg)

summary="one sidecar, whole process (decode + validate + translate + JSON): ${wall} wall, ${user}s user + ${sys}s sys CPU, $((rss_kb / 1024)) MB peak RSS; each further sidecar: ${per_sidecar} ms wall, ${per_sidecar_cpu} ms CPU (load average ${load})"
echo "$summary"
{
  echo
  echo "## Config scale ($(date -u +%Y-%m-%d), $(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo
  echo "Mesh: 1,000 services, 2,000 VirtualServices, 1,000 DestinationRules, 10,000 endpoints."
  echo "Command: \`bench/config-scale.sh $build\` which runs"
  echo "\`/usr/bin/time -v $mesh routes -f mesh.yaml -o json > /dev/null\` and"
  echo "\`$mesh routes -f mesh.yaml --bench-sidecars 200 -o json\`."
  echo
  echo "- $summary"
} >>"$here/RESULTS.md"
