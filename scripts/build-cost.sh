#!/usr/bin/env bash
# Measure what building the node costs on this machine, for docs/performance.md.
#   scripts/build-cost.sh cold   release build of the node into an empty target directory
#                                (removed afterwards); 19 minutes on 2 cores when last measured
#   scripts/build-cost.sh warm   the shared target: a no-op build, then a rebuild after touching
#                                one pallet (what a developer waits for after an edit)
# Writes $CARGO_TARGET_DIR/benchmarks/build-<kind>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
out="$CARGO_TARGET_DIR/benchmarks"
mkdir -p "$out"
kind="${1:?usage: build-cost.sh cold|warm}"
build=(cargo build --release --locked -p bulkhead-node)
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')"

seconds() { # run "$@" and print its wall time in whole seconds
	local start
	start=$(date +%s)
	"$@" >&2
	echo $(($(date +%s) - start))
}

case "$kind" in
cold)
	scratch="$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-cold-XXXXXX")"
	trap 'rm -rf "$scratch"' EXIT
	s=$(CARGO_TARGET_DIR="$scratch" seconds "${build[@]}")
	printf '{"seconds": %s, "cores": %s, "date": "%s", "commit": "%s", "command": "%s"}\n' \
		"$s" "$(nproc)" "$(date -u +%Y-%m-%d)" "$commit" "${build[*]}" >"$out/build-cold.json"
	;;
warm)
	"${build[@]}"
	noop=$(seconds "${build[@]}")
	touched=pallets/execution-segments/src/lib.rs
	touch "$touched"
	s=$(seconds "${build[@]}")
	printf '{"seconds": %s, "noop_seconds": %s, "touched": "%s", "date": "%s", "commit": "%s"}\n' \
		"$s" "$noop" "$touched" "$(date -u +%Y-%m-%d)" "$commit" >"$out/build-warm.json"
	;;
*)
	echo "usage: build-cost.sh cold|warm" >&2
	exit 2
	;;
esac
cat "$out/build-$kind.json"
