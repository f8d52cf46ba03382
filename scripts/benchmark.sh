#!/usr/bin/env bash
# Regenerate every weight file from benchmarks run on this machine, in one run:
#   - pallets/*/src/weights.rs for the four Bulkhead pallets (their `WeightInfo` trait, with
#     the template in scripts/weights/pallet-weights.hbs);
#   - runtime/src/weights/<pallet>.rs for the Substrate pallets the runtime configures and whose
#     benchmarks run in it, the transaction extensions every signed transaction pays
#     (`frame_system_extensions`: nonce, era, genesis, weight checks; `pallet_transaction_payment`:
#     the fee) among them, and pallet-assets and pallet-membership (one run, on the oracle
#     operators' instance, serves the guardians' too). One does not: pallet-grandpa, whose weights are zero
#     (`WeightInfo = ()`): its only calls report equivocations, which this runtime does not
#     accept (`KeyOwnerProof = Void`);
#   - runtime/src/weights/{block,extrinsic}_weights.rs, what every block and every extrinsic
#     costs before its calls (`benchmark overhead`: empty blocks, then full blocks of
#     `System::remark`; `overhead` in the list below);
#   - runtime/src/weights/paritydb_weights.rs, the price of one storage read and one write
#     (scripts/benchmark-storage.sh; `storage` in the list below);
# and, to check them against what this machine really executes, the time of a full block of
# transfers, of trade requests and of trade executions (scripts/benchmark-block.sh, `benchmark
# extrinsic`; `blocks` in the list below): no weight comes from it.
# Every benchmark runs in the real runtime (`--chain dev`, wasm, compiled), so a Bulkhead call's
# weight includes the silo accounting and breaker checks it causes. Each weight is the larger of
# the CLI's two fits (`--output-analysis max`: median slopes and least squares, base and slope
# each), and scripts/check-weights.js then fails the run if a weight still charges less than
# the fastest run at any measured point: noise (another job on the machine) makes the fits
# dip, and an under-charged call is a way to fill blocks below cost. Run it on an idle machine. The raw results land in
# $CARGO_TARGET_DIR/benchmarks/*.json, which scripts/performance-report.sh reads.
#
# Usage: scripts/benchmark.sh [pallet ... | overhead | storage | blocks]   (default: all of them)
# Env:   STEPS (default 50), REPEAT (default 20), REUSE_NODE=1 (run the benchmarking node the
#        last run built, without building it again: only when no runtime code changed since)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
STEPS="${STEPS:-50}"
REPEAT="${REPEAT:-20}"

bulkhead=(pallet_collateral_silos pallet_execution_segments pallet_gateway pallet_circuit_breaker)
substrate=(frame_system frame_system_extensions pallet_transaction_payment pallet_balances pallet_timestamp
	pallet_sudo pallet_oracle pallet_assets pallet_membership)
if [ $# -gt 0 ]; then selected=("$@"); else selected=("${bulkhead[@]}" "${substrate[@]}" overhead storage blocks); fi

node="$CARGO_TARGET_DIR/release/bulkhead-node-benchmarks"
if [ "${REUSE_NODE:-0}" = 1 ] && [ -x "$node" ]; then
	echo "== reusing $node (REUSE_NODE=1): it must carry the runtime as it is now"
else
	echo "== building bulkhead-node with runtime-benchmarks"
	cargo build --release --locked -p bulkhead-node --features runtime-benchmarks
	# The benchmarking node is kept apart: the next plain build replaces
	# target/release/bulkhead-node.
	cp "$CARGO_TARGET_DIR/release/bulkhead-node" "$node"
fi

out="$CARGO_TARGET_DIR/benchmarks"
mkdir -p "$out"
below=()
for pallet in "${selected[@]}"; do
	if [ "$pallet" = storage ]; then
		scripts/benchmark-storage.sh
		continue
	fi
	if [ "$pallet" = blocks ]; then
		scripts/benchmark-block.sh
		continue
	fi
	if [ "$pallet" = overhead ]; then
		echo "== overhead -> runtime/src/weights/{block,extrinsic}_weights.rs"
		"$node" benchmark overhead \
			--chain dev \
			--wasm-execution compiled \
			--header scripts/weights/HEADER \
			--weight-path runtime/src/weights \
			2>&1 | tee "$out/overhead.log"
		continue
	fi
	case " ${bulkhead[*]} " in
	*" $pallet "*)
		dir="pallets/$(echo "${pallet#pallet_}" | tr _ -)"
		target="$dir/src/weights.rs"
		template=(--template scripts/weights/pallet-weights.hbs)
		;;
	*)
		target="runtime/src/weights/$pallet.rs"
		template=()
		;;
	esac
	echo "== $pallet -> $target"
	"$node" benchmark pallet \
		--chain dev \
		--pallet "$pallet" \
		--extrinsic '*' \
		--wasm-execution compiled \
		--steps "$STEPS" \
		--repeat "$REPEAT" \
		--heap-pages 4096 \
		--header scripts/weights/HEADER \
		"${template[@]}" \
		--output-analysis max \
		--output "$target" \
		--json-file "$out/$pallet.json"
	node scripts/check-weights.js "$target" "$out/$pallet.json" || below+=("$pallet")
done
echo "== weights written; raw results in $out"
if [ ${#below[@]} -gt 0 ]; then
	echo "== weights below a measured run in: ${below[*]} (see above): measure them again" >&2
	exit 1
fi
