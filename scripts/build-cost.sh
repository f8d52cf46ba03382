#!/usr/bin/env bash
# Measure what building the node costs on this machine, for docs/performance.md.
#   scripts/build-cost.sh cold   release build of the node into an empty target directory
#                                (removed afterwards); 19 minutes on 2 cores when last measured
#   scripts/build-cost.sh warm   the shared target: a no-op build, then a rebuild after touching
#                                one pallet (what a developer waits for after an edit)
#   scripts/build-cost.sh cold-run
#                                what CI runs on a new machine: `.ci/run` in a fresh clone of
#                                HEAD with an empty target directory, every cargo stage's
#                                --timings report kept in
#                                $CARGO_TARGET_DIR/benchmarks/cold-run-timings/; run it with
#                                nothing else on the machine (46 minutes on 2 cores, 5 December). On a new
#                                machine, whose $CARGO_TARGET_DIR holds no build yet, the run
#                                builds there and leaves its build for CI and later runs;
#                                otherwise it builds in a scratch directory, removed afterwards
#   scripts/build-cost.sh stages LOG
#                                the stage times of a test-command log (`scripts/test.sh`
#                                prints each stage with the seconds since it started), as
#                                cold-run writes them
# Writes $CARGO_TARGET_DIR/benchmarks/build-<kind>.json.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
out="$CARGO_TARGET_DIR/benchmarks"
mkdir -p "$out"
kind="${1:?usage: build-cost.sh cold|warm|cold-run|stages LOG}"
build=(cargo build --release --locked -p bulkhead-node)
commit="$(git rev-parse --short HEAD)$(git diff --quiet HEAD || echo '+changes')"

seconds() { # run "$@" and print its wall time in whole seconds
	local start
	start=$(date +%s)
	"$@" >&2
	echo $(($(date +%s) - start))
}

# The stages of a test-command log as JSON: setup runs until the first `[test] NAME (N s)` line,
# each such line starts a stage that lasts until the next one; "all tests passed" ends the last
# (without it, the last stage's time is null and "complete" false).
stages() {
	sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
		/^\[test\] / {
			line = substr($0, 8)
			if (!match(line, / \([0-9]+ s\)$/)) next
			t = substr(line, RSTART + 2, RLENGTH - 5) + 0
			name = substr(line, 1, RSTART - 1)
			if (n > 0) printf "%s{\"stage\": \"%s\", \"seconds\": %d}", (n > 1 ? ", " : ""), prev, t - at
			gsub(/\\/, "/", name)
			gsub(/"/, "\\\"", name)
			prev = name; at = t; n++
			if (name == "all tests passed") { total = t; exit }
		}
		BEGIN { printf "{\"stages\": ["; prev = "setup (scripts/setup.sh)"; at = 0; n = 1 }
		END {
			# A log that ends before "all tests passed": its last stage is open (no time).
			if (total == "") printf "%s{\"stage\": \"%s\", \"seconds\": null}], \"complete\": false}\n", (n > 1 ? ", " : ""), prev
			else printf "], \"seconds\": %d, \"complete\": true}\n", total
		}'
}

case "$kind" in
stages)
	stages "${2:?usage: build-cost.sh stages LOG}"
	exit
	;;
cold-run)
	scratch="$(mktemp -d "${TMPDIR:-/tmp}/bulkhead-cold-run-XXXXXX")"
	trap 'rm -rf "$scratch"' EXIT
	git clone --quiet . "$scratch/clone"
	# The commit measured: HEAD may move while the run goes on.
	measured="$(git -C "$scratch/clone" rev-parse --short HEAD)"
	# Only this script's own reports in the shared target: nothing was built there yet.
	if [ -z "$(ls -A "$CARGO_TARGET_DIR" | grep -vx benchmarks)" ]; then
		target="$CARGO_TARGET_DIR"
	else
		target="$scratch/target"
	fi
	log="$out/cold-run.log"
	start=$(date +%s)
	# A run that fails is recorded too: its stages up to the failure, "complete": false.
	status=0
	(cd "$scratch/clone" && CARGO_TARGET_DIR="$target" BULKHEAD_TIMINGS=1 .ci/run) 2>&1 | tee "$log" >&2 || status=$?
	s=$(($(date +%s) - start))
	rm -rf "$out/cold-run-timings"
	[ ! -d "$target/cargo-timings" ] || mv "$target/cargo-timings" "$out/cold-run-timings"
	run=$(stages "$log")
	printf '{"seconds": %s, "started": %s, "cores": %s, "date": "%s", "commit": "%s", "status": %s, "run": %s}\n' \
		"$s" "$start" "$(nproc)" "$(date -u +%Y-%m-%d)" "$measured" "$status" "$run" >"$out/build-cold-run.json"
	[ "$status" = 0 ] || { cat "$out/build-cold-run.json"; exit "$status"; }
	;;
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
	echo "usage: build-cost.sh cold|warm|cold-run|stages LOG" >&2
	exit 2
	;;
esac
cat "$out/build-$kind.json"
