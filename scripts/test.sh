#!/usr/bin/env bash
# Sets up what is missing, then runs every Bulkhead test: unit, property, crate-graph and
# runtime integration tests (Rust), then end-to-end tests against the built node (JavaScript).
# One profile (release) throughout: the node the end-to-end tests start is the release binary,
# and the Rust tests reuse the dependencies that build compiled.
#
#   CARGO_TARGET_DIR  where builds go; defaults to ~/.cache/bulkhead/target so that clones and CI
#                     reuse one build of polkadot-sdk (a cold build takes a while on 2 cores).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"

say() { printf '\033[1m[test]\033[0m %s (%d s)\n' "$*" "$((SECONDS - start))"; }
start=$SECONDS

scripts/setup.sh

say "every pallet builds no_std for the wasm runtime (wasm32v1-none)"
cargo check --release --locked --workspace --exclude bulkhead-node --exclude bulkhead-runtime \
	--no-default-features --target wasm32v1-none

say "building the node (release; the first build compiles polkadot-sdk, see README)"
cargo build --release --locked -p bulkhead-node

say "unit, property, crate-graph and runtime integration tests"
cargo test --release --locked --workspace

say "the same pallet tests with runtime-benchmarks: every benchmark runs once against its mock"
cargo test --release --locked -p pallet-collateral-silos -p pallet-execution-segments \
	-p pallet-gateway -p pallet-circuit-breaker --features "$(printf '%s/runtime-benchmarks,' \
	pallet-collateral-silos pallet-execution-segments pallet-gateway pallet-circuit-breaker)"

say "end-to-end tests against $CARGO_TARGET_DIR/release/bulkhead-node"
npm test

say "all tests passed"
