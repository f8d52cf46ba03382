#!/usr/bin/env bash
# What this machine really executes: the time of a full block of transfers, of trade requests,
# of trade executions and of executions on their costliest path (increases of held positions),
# each transaction from an account of its own, beside the weight the runtime charges for them.
#   1. scripts/benchmark-block-state.js builds the state on a release dev node (funded
#      senders; traders with margin; traders with an order each, traders with a position and
#      an order to increase it, the price that fills them in the last block, and a keeper each
#      to execute them);
#   2. `export-state` turns that chain's last state into a chain spec's genesis (its block
#      number set back to 0: the benchmark's block is block 1); the increases in a second
#      state, since a segment holds at most 4,096 orders waiting;
#   3. `benchmark extrinsic` (the benchmarking node) builds on it a block with as many of one
#      transaction as the block's weight admits, checks that every one of them did its work
#      (node/src/benchmarking.rs), and executes that block REPEAT times, in the wasm runtime,
#      with no storage cache, as a node importing it would. Per transaction: the block's time
#      less an empty block's, over the count;
#   4. before and after the blocks, the pallet benchmark of one transfer, whose time against
#      its weight file's says how fast the machine ran against the day the weights were taken.
# Results: $CARGO_TARGET_DIR/benchmarks/blocks.json, and each run appended to
# blocks-history.jsonl beside it (scripts/performance-report.sh reads both).
# Needs the benchmarking node scripts/benchmark.sh builds; builds the plain node.
#
# Usage: scripts/benchmark-block.sh     Env: REPEAT (default 50)
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/bulkhead/target}"
REPEAT="${REPEAT:-50}"
source scripts/lib/benchmark-nodes.sh

# A chain state under $state/NAME: the state script's accounts (ARGS), exported as the
# benchmark's genesis, $state/NAME/spec.json.
#
# The benchmark builds block 1 on it, and frame-system wants the stored block number one below
# the block it starts. The clock and the Aura slot stay the chain's. What pallets stamped with
# block numbers would now lie in the block's future, so each segment's last funding accrual is
# set back to block 0 as well (the state script's `overrides`, each applied only over the value
# it was computed from): the block's first execution accrues one block of funding and
# borrowing, as a live chain's first trade of a block does, instead of finding a stamp ahead of
# the block, which breaks the invariant the accrual checks. The breakers' flow windows stay
# stamped ahead, so none rolls over in these blocks, which makes them a little cheaper than a
# live chain's.
chain_state() {
	local name="$1"; shift
	echo "== chain state for full blocks: $name"
	mkdir -p "$state/$name"
	BULKHEAD_NODE="$plain" node scripts/benchmark-block-state.js --base-path "$state/$name/chain" "$@" \
		| tee "$out/block-state-$name.json"
	"$plain" export-state --chain dev --base-path "$state/$name/chain" >"$state/$name/exported.json" \
		2>"$state/$name/export.log" || { cat "$state/$name/export.log" >&2; exit 1; }
	node --input-type=module -e '
import { readFileSync, writeFileSync } from "node:fs";
import { xxhashAsHex } from "@polkadot/util-crypto";
const [from, built, to] = process.argv.slice(1);
const spec = JSON.parse(readFileSync(from, "utf8"));
const top = spec.genesis.raw.top;
const number = xxhashAsHex("System", 128) + xxhashAsHex("Number", 128).slice(2);
if (!(number in top)) throw new Error("the exported state holds no System::Number");
top[number] = "0x00000000";
for (const [key, { from, to }] of Object.entries(JSON.parse(readFileSync(built, "utf8")).overrides)) {
  if (!(key in top)) throw new Error(`the exported state holds no ${key}, which the state script set back`);
  if (top[key] !== from) throw new Error(`the exported ${key} is not the value the state script set back`);
  top[key] = to;
}
writeFileSync(to, JSON.stringify(spec));
' "$state/$name/exported.json" "$out/block-state-$name.json" "$state/$name/spec.json"
	rm -rf "$state/$name/chain" "$state/$name/exported.json"
}
# Two states: a segment holds at most 4,096 orders waiting (MaxOrdersPerSegment), fewer than a
# block of requests and both blocks of executions need together, so the increases get their own.
chain_state main
chain_state increases --transfers 0 --requests 0 --orders 0 --increases 1800

# How fast the machine runs today against the day its weights were measured: the speed of
# one benchmarked call, timed just before and just after the blocks (this machine's speed has
# varied between runs; a ratio below is only as good as the machine was steady).
speed() {
	"$node" benchmark pallet --chain dev --pallet pallet_balances --extrinsic transfer_keep_alive \
		--wasm-execution compiled --steps 2 --repeat 50 --heap-pages 4096 >"$out/speed-$1.log" 2>&1 || true
	{ grep -A6 'Median Slopes Analysis' "$out/speed-$1.log" || true; } | { grep -oP 'Time ~=\s+\K[0-9.]+' || true; } | head -1
}
before="$(speed before)"
[ -n "$before" ] || { echo "no time from the pallet_balances benchmark: see $out/speed-before.log" >&2; exit 1; }

results=()
for bench in balances:transfer_keep_alive execution_segments:request_order \
	execution_segments:execute_order execution_segments:execute_order_increase; do
	pallet="${bench%%:*}" extrinsic="${bench#*:}"
	spec=main
	[ "$extrinsic" = execute_order_increase ] && spec=increases
	echo "== a full block of $pallet::$extrinsic"
	log="$out/block-$extrinsic.log"
	"$node" benchmark extrinsic \
		--chain "$state/$spec/spec.json" \
		--base-path "$state/bench-$extrinsic" \
		--wasm-execution compiled \
		--pallet "$pallet" \
		--extrinsic "$extrinsic" \
		--warmup 10 \
		--repeat "$REPEAT" \
		2>&1 | tee "$log"
	stat() { { grep -oP "$1" "$log" || true; } | tail -1 | tr -d ',' | sed 's/[A-Za-z]*: //'; }
	count="$(stat 'Extrinsics per block: \K[0-9]+')"
	read -r min max < <(stat 'Min: \K[0-9]+, Max: [0-9]+') || true
	read -r avg median < <(stat 'Average: \K[0-9]+, Median: [0-9]+') || true
	[ -n "$count" ] && [ -n "$max" ] && [ -n "$median" ] \
		|| { echo "no count or timing in $log: the benchmark's output changed?" >&2; exit 1; }
	results+=("$(printf '{"pallet":"%s","extrinsic":"%s","per_block":%s,"ns":{"min":%s,"max":%s,"average":%s,"median":%s}}' \
		"$pallet" "$extrinsic" "$count" "$min" "$max" "$avg" "$median")")
done
# The blocks are measured by now: a failed check after them is reported, not fatal.
after="$(speed after)"
[ -n "$after" ] || { echo "no time from the pallet_balances benchmark after the blocks: see $out/speed-after.log" >&2; after=null; }
{
	printf '{"date":"%s","repeat":%s,"speed_check":{"call":"pallet_balances::transfer_keep_alive","before_us":%s,"after_us":%s},"blocks":[' \
		"$(date -u +%F)" "$REPEAT" "$before" "$after"
	(IFS=,; printf '%s' "${results[*]}")
	printf ']}\n'
} >"$out/blocks.json"
# Every run, one a line: the report shows how far the means move between runs.
(tr -d '\n' <"$out/blocks.json"; echo) >>"$out/blocks-history.jsonl"
echo "== $out/blocks.json"
cat "$out/blocks.json"
