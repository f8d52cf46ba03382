#!/usr/bin/env bash
# Sets up what is missing, builds the node (release) and runs a Bulkhead dev chain on
# ws://127.0.0.1:9944 with the demo markets. Extra arguments go to the node, e.g.
#
#   scripts/dev.sh --dev-block-time 6000     # also seal a block every 6 s
#   scripts/dev.sh --base-path /tmp/bulkhead # keep the chain between runs
#
# The first build compiles polkadot-sdk: 19 minutes on an idle 2-core machine with an empty
# target directory (measured, see README); cargo prints each crate as it goes. Later runs start
# in seconds.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"

say() { printf '\033[1m[dev]\033[0m %s\n' "$*"; }

scripts/setup.sh
say "building bulkhead-node (release)"
cargo build --release --locked -p bulkhead-node
say "starting the dev chain: ws://127.0.0.1:9944 (Ctrl-C stops it)"
say "polkadot.js Apps: https://polkadot.js.org/apps/?rpc=ws%3A%2F%2F127.0.0.1%3A9944"
exec "$CARGO_TARGET_DIR/release/bulkhead-node" --dev --rpc-port 9944 "$@"
