#!/usr/bin/env bash
# Sets up what is missing, then runs every Bulkhead test. One profile (release) throughout, so
# the node build of later stages and these tests share compiled dependencies.
#
#   CARGO_TARGET_DIR  where builds go; defaults to ~/.cache/bulkhead/target so that clones and CI
#                     reuse one build of polkadot-sdk (a cold build takes a while on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"

say() { printf '\033[1m[test]\033[0m %s\n' "$*"; }

scripts/setup.sh
start=$SECONDS

say "every pallet builds no_std for the wasm runtime (wasm32v1-none)"
cargo check --release --locked --workspace --no-default-features --target wasm32v1-none

say "unit, property and crate-graph tests"
cargo test --release --locked --workspace

say "all tests passed in $((SECONDS - start)) s"
