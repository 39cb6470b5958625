#!/bin/sh
# Validates the `mesh inject` golden outputs, and the Bookinfo manifest whose
# mesh.local/run annotations and env `mesh up` reads, against the Kubernetes OpenAPI
# schemas. Needs node and the npm packages kubernetes-models and yaml in
# $MESH_NPM_DIR/node_modules (install: npm install --prefix "$MESH_NPM_DIR"
# kubernetes-models yaml). Skips (exit 77) when they are not there.
set -eu
here=$(dirname "$0")
golden="$MESH_SOURCE_ROOT/test/golden/inject"
npm_dir="${MESH_NPM_DIR:-}"
if ! command -v node >/dev/null 2>&1; then
  echo "skip: node is not installed"; exit 77
fi
if [ -z "$npm_dir" ] || [ ! -d "$npm_dir/node_modules/kubernetes-models" ] || [ ! -d "$npm_dir/node_modules/yaml" ]; then
  echo "skip: npm packages kubernetes-models and yaml not found in '${npm_dir}/node_modules'"; exit 77
fi
NODE_PATH="$npm_dir/node_modules" exec node "$here/validate_schema.js" "$golden"/*.yaml "$MESH_SOURCE_ROOT/samples/bookinfo/bookinfo.yaml"
