#!/usr/bin/env bash
# Regenerate docs/performance.md from one run on this machine:
#   1. scripts/benchmark.sh: every benchmark, every weight file, and the full blocks of
#      scripts/benchmark-block.sh (skip with SKIP_BENCHMARKS=1 to reuse the last run's weight
#      files and measurements);
#   2. scripts/build-cost.sh warm: rebuilds the plain release node with those weights, and times
#      a warm rebuild (the cold build is measured apart: scripts/build-cost.sh cold);
#   3. the dependency checks (no RocksDB; which crates compile C or C++);
#   4. scripts/load.js: trades and transfers through the release --dev node, then through the
#      two validators of e2e/two-validators.toml (`--network`), which also times each phase's
#      fullest block as the other validator imported it and as a fresh node imports it alone;
#   5. scripts/performance-report.js: the page itself.
# `scripts/performance-report.sh build-cost` regenerates section 5 alone (the last
# `scripts/build-cost.sh` measurements and the dependency checks) into the page as it stands:
# what a new machine can do, whose target directory holds none of the other sections' inputs.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
out="$CARGO_TARGET_DIR/benchmarks"
mkdir -p "$out"

dependency_checks() {
	cargo tree --locked -p bulkhead-node -i librocksdb-sys >"$out/rocksdb-tree.txt" 2>&1 || true
	tree() { cargo tree --locked -p bulkhead-node -e normal,build --prefix none "$@" | sed 's/ (\*)$//'; }
	: >"$out/native-build.txt"
	for spec in $(tree -i cc --depth 1 | grep -v '^cc v' | sort -u | awk '{sub(/^v/, "", $2); print $1 "@" $2}'); do
		echo "$spec <- $(tree -i "$spec" --depth 1 | tail -n +2 | sort -u | cut -d' ' -f1 | paste -sd' ')" \
			>>"$out/native-build.txt"
	done
	tree -i link-cplusplus --depth 2 | tail -n +2 | sort -u >"$out/cplusplus.txt"
}

if [ "${1:-}" = build-cost ]; then
	dependency_checks
	page="$(mktemp)"
	trap 'rm -f "$page"' EXIT
	node scripts/performance-report.js --build-cost docs/performance.md >"$page"
	cp "$page" docs/performance.md
	echo "== docs/performance.md: section 5 written" >&2
	exit
fi

[ "${SKIP_BENCHMARKS:-0}" = 1 ] || scripts/benchmark.sh
scripts/build-cost.sh warm
dependency_checks

echo "== load" >&2
node scripts/load.js >"$out/load.json"
cat "$out/load.json" >&2
node scripts/load.js --network >"$out/load-network.json"
cat "$out/load-network.json" >&2
node scripts/performance-report.js >docs/performance.md
echo "== docs/performance.md written" >&2
