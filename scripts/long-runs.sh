#!/usr/bin/env bash
# The long runs behind docs/reliability.md: the runtime property test and the fuzz harness
# with many more cases than CI gives them. Each prints what every kind of call did.
#
#   scripts/long-runs.sh [sequences] [fuzz-inputs] [seed]
#
# Defaults: 100,000 property sequences, 300,000 fuzz inputs, seed 20261121. A failure stops
# its run and prints the shrunk input; keep it as a regression test.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
sequences="${1:-100000}"
inputs="${2:-300000}"
seed="${3:-20261121}"
out="$CARGO_TARGET_DIR/long-runs"
mkdir -p "$out"

# Build once, then run the test binary itself: cargo would hold the target directory's
# lock for the whole run, and other builds would wait on it.
build_log="$out/build.log"
cargo test --release --locked --workspace --test runtime --no-run 2>&1 | tee "$build_log"
bin="$(sed -n "s|.*Executable tests/runtime.rs (\(.*\))|\1|p" "$build_log" | tail -1)"
[ -n "$bin" ] || { echo "no runtime integration-test binary in $build_log" >&2; exit 1; }

run() {
	local name="$1" cases="$2" filter="$3"
	local started
	started=$(date +%s)
	echo "== $name: $cases cases, seed $seed, at $(git rev-parse --short HEAD) (log: $out/$name.log)"
	if PROPTEST_CASES="$cases" PROPTEST_RNG_SEED="$seed" \
		"$bin" "$filter" --nocapture >"$out/$name.log" 2>&1; then
		echo "   passed in $(($(date +%s) - started)) s"
	else
		echo "   FAILED after $(($(date +%s) - started)) s; see the log"
		return 1
	fi
	grep -v '^\s*$' "$out/$name.log" | grep -v '^running\|^test \|^\s*Finished\|^\s*Running' || true
}

status=0
run properties "$sequences" properties::random_sequences || status=1
run fuzz "$inputs" fuzz::arbitrary_calls || status=1
exit "$status"
