#!/usr/bin/env bash
# Builds and serves the risk console (console/): a page that shows every segment's health,
# pool and lines, the gateway's routes and pending transfers and each block's Bulkhead events,
# live from a node, and on a dev chain signs everyday calls with a dev account.
#
#   scripts/console.sh [port]      default 8080; then open http://127.0.0.1:8080/
#                                  (add ?rpc=ws://host:port for a node other than 127.0.0.1:9944)
#
# Everything it loads is bundled here (no CDN): it works offline. It needs the release node
# built (scripts/dev.sh builds it): the typed descriptors come from the runtime inside it.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
[ -d node_modules/polkadot-api ] || scripts/setup.sh
scripts/descriptors.sh
node console/build.mjs
exec node console/serve.mjs "${1:-8080}"
