#!/usr/bin/env bash
# Sets up what is missing, then runs every Bulkhead gate and test: formatting, clippy and the
# docs (warnings are errors), unit, property, crate-graph and runtime integration tests (Rust),
# the benchmarks and the try-runtime upgrade checks, then end-to-end tests against the built
# node (JavaScript). One profile (release) throughout: the node the end-to-end tests start is
# the release binary, and the Rust tests reuse the dependencies that build compiled.
#
#   CARGO_TARGET_DIR  where builds go; defaults to ~/.cache/bulkhead/target so that clones and CI
#                     reuse one build of polkadot-sdk (a cold build takes a while on 2 cores).
#   BULKHEAD_TIMINGS  set to 1 to have every cargo stage write its --timings report (crate by
#                     crate, what ran in parallel) to $CARGO_TARGET_DIR/cargo-timings/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"

say() { printf '\033[1m[test]\033[0m %s (%d s)\n' "$*" "$((SECONDS - start))"; }
start=$SECONDS
timings=()
[ "${BULKHEAD_TIMINGS:-0}" = 1 ] && timings=(--timings)

scripts/setup.sh

say "formatting (cargo fmt --check)"
cargo fmt --all -- --check

say "every pallet builds no_std for the wasm runtime (wasm32v1-none)"
cargo check --release --locked "${timings[@]}" --workspace --exclude bulkhead-node --exclude bulkhead-runtime \
	--no-default-features --target wasm32v1-none

# Clippy and rustdoc type-check every Bulkhead crate with its runtime-benchmarks and try-runtime
# code (so the node and the runtime are checked with try-runtime), sharing one check build of
# the dependencies. The node's own runtime-benchmarks feature is left out: it pulls in
# frame-benchmarking-cli's whole tree, one crate of which (pallet-staking 50) does not compile
# with try-runtime beside it; scripts/benchmark.sh builds the node with it. The wasm runtime is
# not needed to check or document anything.
pallets=(pallet-collateral-silos pallet-execution-segments pallet-gateway pallet-circuit-breaker)
check_features="bulkhead-node/try-runtime"
for crate in segment-interface bulkhead-runtime "${pallets[@]}"; do
	check_features+=",$crate/runtime-benchmarks,$crate/try-runtime"
done
say "clippy: every crate and target, with benchmarks and try-runtime; warnings are errors"
SKIP_WASM_BUILD=1 cargo clippy --release --locked "${timings[@]}" --workspace --all-targets \
	--features "$check_features" -- -D warnings

say "docs: every crate; broken intra-doc links and every other doc warning are errors"
SKIP_WASM_BUILD=1 RUSTDOCFLAGS="-D warnings" cargo doc --release --locked "${timings[@]}" --workspace --no-deps \
	--features "$check_features"

say "building the node (release; the first build compiles polkadot-sdk, see README)"
cargo build --release --locked "${timings[@]}" -p bulkhead-node

# The descriptors come from the runtime inside the node binary the end-to-end tests start.
say "typed polkadot-api descriptors from the node's runtime; TypeScript checks the code using them"
scripts/descriptors.sh
npx --no-install tsc -p e2e
npx --no-install tsc -p console

say "unit, property, crate-graph and runtime integration tests"
cargo test --release --locked "${timings[@]}" --workspace

# One more feature set, shared by two jobs: every benchmark runs once against its pallet's
# mock, and the runtime's upgrade test runs with try-runtime (each migration's pre- and
# post-checks, storage versions against the code, every pallet's try_state), as do the
# pallets' own migration tests.
#
# bulkhead-node is in the package list, with no feature and no target of its own run (it has
# no library and no integration tests), so that this command resolves the build scripts' and
# proc macros' dependencies exactly as the stages above did. Without it, cxx-build's `syn`
# had other features here, and the runtime's build-time dependency on wasm-opt compiled
# binaryen's C++ a second time: 21 minutes of a cold run (measured 4 December, see README).
say "benchmarks against the mocks, and the runtime upgrade under try-runtime"
bench_features=""
for crate in "${pallets[@]}" bulkhead-runtime; do
	bench_features+="$crate/runtime-benchmarks,$crate/try-runtime,"
done
bench_packages=(-p "${pallets[0]}" -p "${pallets[1]}" -p "${pallets[2]}" -p "${pallets[3]}"
	-p bulkhead-runtime -p bulkhead-node)
SKIP_WASM_BUILD=1 cargo test --release --locked "${timings[@]}" "${bench_packages[@]}" \
	--features "${bench_features%,}" --lib
# The runtime's integration tests are one binary (runtime/tests/runtime.rs): of it, the upgrade
# module. Same packages and features, so this builds only that binary.
# A filter that matches nothing passes: the run must show the upgrade tests passing.
upgrade_log="$(mktemp)"
trap 'rm -f "$upgrade_log"' EXIT
SKIP_WASM_BUILD=1 cargo test --release --locked "${timings[@]}" "${bench_packages[@]}" \
	--features "${bench_features%,}" --test runtime -- upgrade:: 2>&1 | tee "$upgrade_log"
grep -Eq 'test result: ok\. [1-9][0-9]* passed' "$upgrade_log" \
	|| { echo "no test of the upgrade module ran under try-runtime" >&2; exit 1; }

say "end-to-end tests against $CARGO_TARGET_DIR/release/bulkhead-node"
npm test

say "all tests passed"
